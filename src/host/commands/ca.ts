/**
 * `pairkit ca init` and `pairkit ca intermediate`: the manufacturer's root CA and its
 * factory-line intermediates.
 */
import { toHex } from "../../core/bytes";
import { perr } from "../../core/errors";
import { parseArgs, required } from "../args";
import { FILE_ANCHOR, FILE_CRED, FILE_KEY, createIntermediate, initRootCa, readCaDir, unlockCa } from "../ca/ca";
import { DEFAULT_LOG2N, MAX_LOG2N, MIN_LOG2N } from "../ca/keystore";
import { NEW_PASSPHRASE_ENV, PASSPHRASE_ENV, existingPassphrase, newPassphrase } from "../ca/passphrase";
import { join } from "node:path";
import type { Credential } from "../../core/cred/index";
import type { Command } from "./types";

const KDF_HELP = `  --kdf-log2n N     scrypt cost for the key file: N = 2^N (${MIN_LOG2N}..${MAX_LOG2N}, default ${DEFAULT_LOG2N}:
                    128 MiB and about 0.35 s per unlock; lower only for tests)`;

const PASS_HELP = `The CA key is stored encrypted (scrypt + AES-256-GCM, mode 0600). The passphrase comes
from ${PASSPHRASE_ENV}, or from a prompt (echo off) when stdin is a terminal.`;

function kdfArg(v: string | undefined): { log2N: number } | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < MIN_LOG2N || n > MAX_LOG2N) throw perr("CLI_USAGE", `--kdf-log2n must be ${MIN_LOG2N}..${MAX_LOG2N}`);
  return { log2N: n };
}

function describeCa(c: Credential, dir: string, what: string): string {
  return [
    `${what} '${c.sub}' created in ${dir}`,
    `  kid          ${toHex(c.kid)}`,
    `  path length  ${c.pathLen} (intermediate CAs allowed below it)`,
    `  credential   ${join(dir, FILE_CRED)} (${c.bytes.length} bytes)`,
    `  trust anchor ${join(dir, FILE_ANCHOR)}`,
    `  private key  ${join(dir, FILE_KEY)} (encrypted, mode 0600)`,
  ].join("\n");
}

const INIT_USAGE = `pairkit ca init --dir DIR --name NAME [--path-len 0|1] [--kdf-log2n N]

Creates a root CA: a new P-256 key, its self-issued credential (role ca) and the
trust-anchor file devices and apps install.

  --dir DIR         new CA directory (created; must not already hold a CA key)
  --name NAME       CA name, printable ASCII, at most 64 characters. It is the iss of
                    every credential the root signs, so keep it short when the root issues
                    devices directly (issuer name + device id + model <= 21 characters)
  --path-len 0|1    1 (default): the root may certify one level of intermediate CAs;
                    0: it issues devices and apps only
${KDF_HELP}

${PASS_HELP}`;

export const caInitCommand: Command = {
  name: "ca init",
  summary: "create a root CA (key, self-issued credential, trust anchor)",
  usage: INIT_USAGE,
  async run(args) {
    const p = parseArgs(args, { values: ["dir", "name", "path-len", "kdf-log2n"] });
    const dir = required(p, "dir");
    const name = required(p, "name");
    const pl = p.values["path-len"];
    if (pl !== undefined && pl !== "0" && pl !== "1") throw perr("CLI_USAGE", "--path-len must be 0 or 1");
    const kdf = kdfArg(p.values["kdf-log2n"]);
    const pass = await newPassphrase(`root CA '${name}'`, PASSPHRASE_ENV);
    const c = await initRootCa({ dir, name, passphrase: pass, pathLen: pl === undefined ? 1 : Number(pl), kdf });
    console.log(describeCa(c, dir, "root CA"));
    return 0;
  },
};

const INT_USAGE = `pairkit ca intermediate --ca DIR --name NAME --out DIR [--kdf-log2n N]

Creates an intermediate (factory line) CA certified by the root CA in --ca. Devices it
issues carry its credential next to theirs (<ID>.chain); a chain is at most
root -> intermediate -> device.

  --ca DIR          the root CA directory
  --name NAME       the intermediate's name (the iss of the devices it issues: keep it
                    short, issuer name + device id + model <= 21 characters)
  --out DIR         new CA directory for the intermediate
${KDF_HELP}

${PASS_HELP} The new key is encrypted with ${NEW_PASSPHRASE_ENV} when set, otherwise
with the root's passphrase (on a terminal you are asked; Enter reuses the root's).`;

export const caIntermediateCommand: Command = {
  name: "ca intermediate",
  summary: "create an intermediate (factory line) CA under a root CA",
  usage: INT_USAGE,
  async run(args) {
    const p = parseArgs(args, { values: ["ca", "name", "out", "kdf-log2n"] });
    const dir = required(p, "ca");
    const name = required(p, "name");
    const out = required(p, "out");
    const kdf = kdfArg(p.values["kdf-log2n"]);
    const d = readCaDir(dir);
    const rootPass = await existingPassphrase(`CA '${d.cred.sub}'`);
    const root = await unlockCa(d, rootPass);
    const pass = await newPassphrase(`intermediate CA '${name}'`, NEW_PASSPHRASE_ENV, rootPass);
    const c = await createIntermediate(root, { name, out, passphrase: pass, kdf });
    console.log(describeCa(c, out, "intermediate CA"));
    console.log(`  issued by    '${root.cred.sub}' (kid ${toHex(root.cred.kid)})`);
    return 0;
  },
};
