/**
 * `pairkit device issue` and `pairkit device issue-batch`: device (and app) credentials.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { toHex } from "../../core/bytes";
import { perr } from "../../core/errors";
import { parseArgs, required } from "../args";
import { FILE_ANCHOR, issueBatch, issueDevice, readCaDir, readPublicKey, unlockCa } from "../ca/ca";
import { PASSPHRASE_ENV, existingPassphrase } from "../ca/passphrase";
import type { Command } from "./types";

const ISSUE_USAGE = `pairkit device issue --ca DIR --id ID --model M (--pubkey FILE | --generate) --out DIR [--role device|app]

Issues one credential (a CWT signed by the CA in --ca) and writes into --out:
  <ID>.cred           the credential: EDHOC's CRED_x, usable as --cred of pairkit interop
  <ID>.key            with --generate: the raw 32-byte private key (mode 0600), usable as
                      --key of pairkit interop (simulated devices; real devices keep their
                      key in the secure element and give --pubkey)
  <ID>.chain          when --ca is an intermediate: its credential, which the device sends
                      next to its own on first contact
  trust-anchor.cred   the root credential the device must trust

  --id ID           device id (the credential's sub): A-Z a-z 0-9 . _ -, at most 64
  --model M         model name, printable ASCII, at most 32 characters
  --pubkey FILE     the device's P-256 public key: raw 64-byte x||y, 65-byte 04||x||y,
                    or the hex of either
  --generate        make a new key pair here instead
  --role R          device (default) or app

A device credential is at most 200 bytes: issuer name + id + model <= 21 characters.
The CA passphrase comes from ${PASSPHRASE_ENV} or a prompt on a terminal.`;

export const deviceIssueCommand: Command = {
  name: "device issue",
  summary: "issue a device or app credential (from a public key, or --generate)",
  usage: ISSUE_USAGE,
  async run(args) {
    const p = parseArgs(args, { values: ["ca", "id", "model", "pubkey", "out", "role"], flags: ["generate"] });
    const dir = required(p, "ca");
    const id = required(p, "id");
    const model = required(p, "model");
    const out = required(p, "out");
    const role = p.values.role || "device";
    if (role !== "device" && role !== "app") throw perr("CLI_USAGE", "--role must be device or app");
    const gen = !!p.flags.generate;
    if (gen === (p.values.pubkey !== undefined)) throw perr("CLI_USAGE", "give exactly one of --pubkey FILE and --generate");
    let pub: Uint8Array | undefined;
    if (p.values.pubkey !== undefined) {
      let raw: Uint8Array;
      try {
        raw = readFileSync(p.values.pubkey);
      } catch (e) {
        throw perr("FILE_READ", `cannot read ${p.values.pubkey}: ${(e as NodeJS.ErrnoException).code || "error"}`);
      }
      pub = readPublicKey(raw);
    }
    const d = readCaDir(dir);
    const ca = await unlockCa(d, await existingPassphrase(`CA '${d.cred.sub}'`));
    const r = await issueDevice(ca, { id, model, role, pub, generate: gen, out });
    console.log(`issued ${r.cred.role} '${r.id}' (model ${r.cred.model}) by '${ca.cred.sub}'`);
    console.log(`  kid         ${toHex(r.cred.kid)}`);
    console.log(`  credential  ${r.cred.bytes.length} bytes`);
    for (const f of r.files) console.log(`  wrote       ${f}`);
    console.log(`  trust anchor ${join(out, FILE_ANCHOR)}`);
    return 0;
  },
};

const BATCH_USAGE = `pairkit device issue-batch --ca DIR --count N --model M --out DIR [--prefix P]

Issues N simulated devices with generated keys: <ID>.cred and <ID>.key (0600) for each,
plus <ID>.chain when --ca is an intermediate. Ids are --prefix followed by an 8-digit
serial number that the CA directory hands out once (state.json), so batches never reuse
an id. Shows a progress bar on stderr and prints the measured rate.

  --count N         1..1000000
  --model M         model name for every device
  --prefix P        id prefix (default none); issuer name + prefix + 8 + model <= 21`;

/** A progress bar on stderr: redrawn in place on a terminal, a line a second otherwise. */
function progressBar(total: number): (done: number) => void {
  const tty = !!process.stderr.isTTY;
  const t0 = Date.now();
  let last = t0;
  return (done) => {
    const now = Date.now();
    if (done !== total && now - last < (tty ? 100 : 1000)) return;
    last = now;
    const w = 30;
    const f = Math.round((w * done) / total);
    const rate = done / Math.max((now - t0) / 1000, 0.001);
    const line = `[${"#".repeat(f)}${".".repeat(w - f)}] ${done}/${total} ${Math.round(rate)}/s`;
    process.stderr.write(tty ? "\r" + line + (done === total ? "\n" : "") : line + "\n");
  };
}

export const deviceIssueBatchCommand: Command = {
  name: "device issue-batch",
  summary: "issue credentials for N simulated devices (progress bar, rate)",
  usage: BATCH_USAGE,
  async run(args) {
    const p = parseArgs(args, { values: ["ca", "count", "model", "out", "prefix"] });
    const dir = required(p, "ca");
    const count = Number(required(p, "count"));
    if (!Number.isInteger(count) || count < 1 || count > 1000000) throw perr("CLI_USAGE", "--count must be 1..1000000");
    const model = required(p, "model");
    const out = required(p, "out");
    const d = readCaDir(dir);
    const ca = await unlockCa(d, await existingPassphrase(`CA '${d.cred.sub}'`));
    const r = await issueBatch(ca, { count, model, out, prefix: p.values.prefix, onProgress: progressBar(count) });
    console.log(`issued ${r.ids.length} device credentials (${r.ids[0]} .. ${r.ids[r.ids.length - 1]}) into ${out}`);
    console.log(`rate: ${Math.round(r.rate)} credentials/s (${r.seconds.toFixed(2)} s, key generation, signing and files included; ` +
      `${r.threads} key-generation worker thread${r.threads === 1 ? "" : "s"})`);
    return 0;
  },
};
