/**
 * `pairkit revoke`: the next version of the root CA's deny list.
 */
import { toHex } from "../../core/bytes";
import { perr } from "../../core/errors";
import { DENY_MAX_ENTRIES } from "../../core/cred/index";
import { parseArgs, required } from "../args";
import { FILE_DENY, readCaDir, revoke, unlockCa } from "../ca/ca";
import { PASSPHRASE_ENV, existingPassphrase } from "../ca/passphrase";
import { join } from "node:path";
import type { Command } from "./types";

const USAGE = `pairkit revoke --ca DIR --id ID [--id ID ...] [--max-entries N]

Adds subject ids (devices, apps, or an intermediate CA's name, which revokes everything it
issued) to the root CA's deny list and signs the next version. Writes
DIR/denylist-<version>.cbor and replaces DIR/denylist.cbor. Devices accept a deny list only
with a valid root signature and a strictly higher version than the one they hold.

  --ca DIR          the root CA directory (deny lists are signed by the trust anchor)
  --id ID           subject to revoke (repeatable)
  --max-entries N   refuse to grow the list beyond N entries (default ${DENY_MAX_ENTRIES}, what
                    devices accept by default)

The CA passphrase comes from ${PASSPHRASE_ENV} or a prompt on a terminal.`;

export const revokeCommand: Command = {
  name: "revoke",
  summary: "add ids to the deny list (next signed version)",
  usage: USAGE,
  async run(args) {
    const p = parseArgs(args, { values: ["ca", "max-entries"], repeat: ["id"] });
    const dir = required(p, "ca");
    const ids = p.repeat.id;
    if (ids.length === 0) throw perr("CLI_USAGE", "--id is required");
    let max: number | undefined;
    if (p.values["max-entries"] !== undefined) {
      max = Number(p.values["max-entries"]);
      if (!Number.isInteger(max) || max < 1 || max > 65536) throw perr("CLI_USAGE", "--max-entries must be 1..65536");
    }
    const d = readCaDir(dir);
    if (!d.isRoot) throw perr("CA_NOT_ROOT", "deny lists are signed by the root CA (trust anchor); use the root's directory");
    const ca = await unlockCa(d, await existingPassphrase(`CA '${d.cred.sub}'`));
    const r = await revoke(ca, ids, max);
    console.log(`deny list version ${r.list.version} signed by '${ca.cred.sub}' (kid ${toHex(ca.cred.kid)}): ${r.list.revoked.length} entries, ${r.list.bytes.length} bytes`);
    console.log(`  added   ${r.added.join(", ")}`);
    console.log(`  wrote   ${r.path}`);
    console.log(`  latest  ${join(dir, FILE_DENY)}`);
    return 0;
  },
};
