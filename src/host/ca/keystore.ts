/**
 * CA private keys at rest. A CA key file is never the key in clear:
 *
 *   offset  size  field
 *   0       8     magic "PKCAKEY" + format version 0x01
 *   8       1     scrypt log2(N)   (14..20; default 17: N = 131072)
 *   9       1     scrypt r         (1..16; default 8)
 *   10      1     scrypt p         (1..4; default 1)
 *   11      1     COSE curve of the key (1 = P-256)
 *   12      16    scrypt salt (random)
 *   28      12    AES-GCM nonce (random)
 *   40      32    AES-256-GCM ciphertext of the 32-byte scalar
 *   72      16    GCM tag
 *
 * key = scrypt(passphrase as UTF-8 NFC, salt, N, r, p, 32 bytes); the 40-byte header is
 * the GCM associated data, so no parameter can be changed without the tag failing. Files
 * are written with mode 0600 through a temporary file and a rename, so a crash leaves
 * either the old file or the new one.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { link, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { perr } from "../../core/errors";

export var KEY_FILE_LEN = 88;
var HEADER_LEN = 40;
var MAGIC = [0x50, 0x4b, 0x43, 0x41, 0x4b, 0x45, 0x59, 0x01]; // "PKCAKEY" 1

export var DEFAULT_LOG2N = 17;
export var MIN_LOG2N = 14;
export var MAX_LOG2N = 20;
var DEFAULT_R = 8;
var DEFAULT_P = 1;

export interface KdfParams {
  log2N: number;
  r: number;
  p: number;
}

function deriveKey(passphrase: string, salt: Uint8Array, k: KdfParams): Buffer {
  var N = 2 ** k.log2N;
  return scryptSync(Buffer.from(passphrase.normalize("NFC"), "utf8"), salt, 32, { N: N, r: k.r, p: k.p, maxmem: 128 * N * k.r * k.p + 16 * 1024 * 1024 });
}

/** Encrypts a 32-byte private scalar into the key file format above. */
export function encryptCaKey(scalar: Uint8Array, passphrase: string, kdf?: Partial<KdfParams>): Uint8Array {
  if (scalar.length !== 32) throw perr("CA_KEY_MALFORMED", "a CA private key is 32 bytes");
  var k: KdfParams = { log2N: (kdf && kdf.log2N) || DEFAULT_LOG2N, r: (kdf && kdf.r) || DEFAULT_R, p: (kdf && kdf.p) || DEFAULT_P };
  checkKdf(k);
  var header = new Uint8Array(HEADER_LEN);
  header.set(MAGIC, 0);
  header[8] = k.log2N;
  header[9] = k.r;
  header[10] = k.p;
  header[11] = 1;
  header.set(randomBytes(16), 12);
  header.set(randomBytes(12), 28);
  var key = deriveKey(passphrase, header.subarray(12, 28), k);
  try {
    var c = createCipheriv("aes-256-gcm", key, header.subarray(28, 40));
    c.setAAD(header);
    var ct = Buffer.concat([c.update(scalar), c.final()]);
    var out = new Uint8Array(KEY_FILE_LEN);
    out.set(header, 0);
    out.set(ct, HEADER_LEN);
    out.set(c.getAuthTag(), HEADER_LEN + 32);
    return out;
  } finally {
    key.fill(0);
  }
}

function checkKdf(k: KdfParams): void {
  if (!(k.log2N >= MIN_LOG2N && k.log2N <= MAX_LOG2N) || !(k.r >= 1 && k.r <= 16) || !(k.p >= 1 && k.p <= 4) ||
    k.log2N !== Math.floor(k.log2N) || k.r !== Math.floor(k.r) || k.p !== Math.floor(k.p))
    throw perr("CA_KEY_MALFORMED", `scrypt parameters out of range (log2 N ${MIN_LOG2N}..${MAX_LOG2N}, r 1..16, p 1..4)`);
}

/** The scrypt parameters of a key file, without decrypting it. */
export function keyFileInfo(file: Uint8Array): KdfParams & { curve: number } {
  if (file.length !== KEY_FILE_LEN) throw perr("CA_KEY_MALFORMED", "not a pairkit CA key file (wrong size)");
  for (var i = 0; i < 8; i++) if (file[i] !== MAGIC[i]) throw perr("CA_KEY_MALFORMED", "not a pairkit CA key file (bad magic or version)");
  var k = { log2N: file[8], r: file[9], p: file[10], curve: file[11] };
  checkKdf(k);
  if (k.curve !== 1) throw perr("CA_KEY_MALFORMED", "unsupported key curve");
  return k;
}

/** Decrypts a key file. A wrong passphrase (or a modified file) is CA_BAD_PASSPHRASE. */
export function decryptCaKey(file: Uint8Array, passphrase: string): Uint8Array {
  var k = keyFileInfo(file);
  var header = file.subarray(0, HEADER_LEN);
  var key = deriveKey(passphrase, header.subarray(12, 28), k);
  try {
    var d = createDecipheriv("aes-256-gcm", key, header.subarray(28, 40));
    d.setAAD(header);
    d.setAuthTag(file.subarray(HEADER_LEN + 32));
    var pt = d.update(file.subarray(HEADER_LEN, HEADER_LEN + 32));
    try {
      d.final();
    } catch {
      pt.fill(0);
      throw perr("CA_BAD_PASSPHRASE", "wrong passphrase for the CA key (or the key file was modified)");
    }
    return new Uint8Array(pt);
  } finally {
    key.fill(0);
  }
}

/**
 * Writes a file atomically: a temporary file in the same directory (created exclusively
 * with `mode`), fsync, rename over the target. With `exclusive`, an existing target is an
 * error (CA_EXISTS) instead of being replaced.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, mode: number, exclusive?: boolean): void {
  var tmp = join(dirname(path), "." + basename(path) + "." + process.pid + "." + randomBytes(4).toString("hex") + ".tmp");
  var fd = openSync(tmp, "wx", mode);
  try {
    try {
      var b = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      var off = 0;
      while (off < b.length) off += writeSync(fd, b, off, b.length - off);
      chmodSync(tmp, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (exclusive) {
      // link() fails when the target exists, unlike rename().
      try {
        linkNoReplace(tmp, path);
      } finally {
        unlinkSync(tmp);
      }
    } else renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
}

function linkNoReplace(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (e) {
    if ((e as { code?: string }).code === "EEXIST") throw perr("CA_EXISTS", `${to} already exists; refusing to overwrite`);
    throw e;
  }
}

/**
 * writeFileAtomic without fsync, on libuv's thread pool: batch issuance overlaps its file
 * system work with the signing on the main thread.
 */
export async function writeFileAtomicAsync(path: string, data: Uint8Array, mode: number, exclusive?: boolean): Promise<void> {
  var tmp = join(dirname(path), "." + basename(path) + "." + process.pid + "." + randomBytes(4).toString("hex") + ".tmp");
  var fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
  try {
    if (exclusive) {
      try {
        await link(tmp, path);
      } catch (e) {
        if ((e as { code?: string }).code === "EEXIST") throw perr("CA_EXISTS", `${path} already exists; refusing to overwrite`);
        throw e;
      }
      await unlink(tmp);
    } else await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(function () {});
    throw e;
  }
}
