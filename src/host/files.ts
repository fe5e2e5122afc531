/**
 * File helpers for the CLI: keys and credentials in binary or hex text. (Atomic private
 * writes are writeFileAtomic in src/host/ca/keystore.ts.)
 */
import { readFileSync } from "node:fs";
import { fromHex, type Bytes } from "../core/bytes";
import { perr } from "../core/errors";

/** Reads a file holding raw bytes, or the same bytes as hex text (whitespace ignored). */
export function readBinaryOrHex(path: string, what: string): Bytes {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw perr("FILE_READ", `cannot read ${what} file ${path}: ${(e as NodeJS.ErrnoException).code || "error"}`);
  }
  const text = raw.toString("latin1").replace(/\s+/g, "");
  if (text.length > 0 && /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 && raw.length !== 32) return fromHex(text);
  return new Uint8Array(raw);
}

/** Reads a 32-byte private key file (binary or hex). */
export function readKeyFile(path: string): Bytes {
  const k = readBinaryOrHex(path, "key");
  if (k.length !== 32) throw perr("CLI_KEY", `key file ${path} must hold 32 bytes (binary or hex), found ${k.length}`);
  return k;
}
