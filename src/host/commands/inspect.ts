/**
 * `pairkit inspect`: decodes credentials, trust anchors, deny lists and CA key files.
 */
import { existsSync } from "node:fs";
import { readBinaryOrHex } from "../files";
import { parseArgs } from "../args";
import { perr } from "../../core/errors";
import { inspectBytes, formatInspection } from "../ca/inspect";
import type { Command } from "./types";

const USAGE = `pairkit inspect FILE [--trust-anchor FILE ...] [--intermediate FILE ...] [--deny-list FILE] [--json]

Decodes a credential (<ID>.cred, ca.cred), a trust anchor (trust-anchor.cred), a deny
list (denylist.cbor) or a CA key file (ca.key: only its parameters; it is never
decrypted), from binary or hex text. Private key files are recognised and not shown.

  --trust-anchor FILE  check the chain (credentials) or the signature (deny lists) against
                       this root credential (repeatable); each anchor's self-signature is
                       checked too
  --intermediate FILE  an intermediate CA credential for the chain (repeatable); FILE's
                       sibling <ID>.chain is used automatically when it exists
  --deny-list FILE     also check the credential against this deny list
  --json               machine-readable output

Exit status 0 when the file decodes and every requested check passes, 1 otherwise.`;

export const inspectCommand: Command = {
  name: "inspect",
  summary: "decode a credential, trust anchor, deny list or CA key file",
  usage: USAGE,
  async run(args) {
    const p = parseArgs(args, { values: ["deny-list"], repeat: ["trust-anchor", "intermediate"], flags: ["json"], positional: 1 });
    const file = p.positional[0];
    if (!file) throw perr("CLI_USAGE", "inspect needs a FILE\n\n" + USAGE);
    const intermediates = p.repeat.intermediate.map((f) => readBinaryOrHex(f, "intermediate"));
    const sibling = file.replace(/\.cred$/, ".chain");
    if (sibling !== file && existsSync(sibling)) intermediates.push(readBinaryOrHex(sibling, "chain"));
    const r = await inspectBytes(readBinaryOrHex(file, "input"), {
      anchors: p.repeat["trust-anchor"].map((f) => readBinaryOrHex(f, "trust anchor")),
      intermediates,
      deny: p.values["deny-list"] !== undefined ? readBinaryOrHex(p.values["deny-list"], "deny list") : null,
    });
    console.log(p.flags.json ? JSON.stringify(r, null, 2) : formatInspection(r));
    const bad = ["chain", "signature", "selfSignature", "denyList"].some((k) => (r[k] as { status?: string } | undefined)?.status === "invalid");
    return bad ? 1 : 0;
  },
};
