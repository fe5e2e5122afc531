/**
 * AES-128 block encryption (FIPS 197) in interpreted JavaScript: the fallback for boards
 * whose firmware has no native `require("crypto").AES` (MDBT42Q and Pixl.js builds, for
 * example). CCM only ever needs the forward cipher, so there is no decryption.
 *
 * Tables are computed at first use instead of being stored as literals: the S-box from
 * the multiplicative inverse in GF(2^8) and the affine map, and one 256-word round table
 * T (SubBytes and MixColumns of one byte; the other three columns' tables are rotations
 * of it). One table instead of the usual four keeps the RAM cost at about 1.3 KB, which
 * matters on boards with 2,600 JavaScript variables; the rotations cost a few operations
 * per column.
 *
 * The key schedule of the most recent key is cached: CCM encrypts several blocks with one
 * key, and the schedule costs about as much as two blocks in the interpreter. The cached
 * key is compared word by word without an early exit.
 *
 * Words are big-endian columns; blocks are loaded and stored with native typed-array
 * reverse() calls instead of 16 interpreted byte statements. Assumes a little-endian host.
 *
 * blockModes() builds ccm.ts's CBC-MAC and CTR (one function for both) from any one-block
 * encryption (this one, or @noble's in tests), XORing 32-bit words.
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import type { BlockCipher } from "../ccm";

var S: Uint8Array | null = null;
var T: Int32Array;
var RK: Int32Array;
var KEY: Int32Array;
var KIN: Uint8Array;
var KIN32: Int32Array;
var IO: Uint8Array;
var IO32: Int32Array;
/** Zeros for wiping: typed-array fill() costs about twice a set() in Espruino 2v29. */
var Z16: Uint8Array;
var haveKey = false;

/** AES-128 encryption of one 16-byte block; returns a new 16-byte array. */
export function aesEncryptBlock(key: Bytes, block: Bytes): Bytes {
  if (!(key instanceof Uint8Array) || key.length !== 16) throw perr("CRYPTO_BAD_KEY", "AES-128 key must be 16 bytes");
  if (!(block instanceof Uint8Array) || block.length !== 16) throw perr("CRYPTO_BAD_INPUT", "AES block must be 16 bytes");
  var s, t, rk, p, q, x, i, w, rc, k, ki;
  if (!S) {
    // The tables, at first use.
    s = new Uint8Array(256);
    t = new Int32Array(256);
    // p walks the multiplicative group by powers of 3, q by powers of 3^-1, so q = p^-1.
    p = q = 1;
    do {
      p = (p ^ (p << 1) ^ (p & 0x80 ? 0x1b : 0)) & 255;
      q ^= q << 1;
      q ^= q << 2;
      q ^= q << 4;
      q &= 255;
      if (q & 0x80) q ^= 0x09;
      x = q ^ (q << 1) ^ (q << 2) ^ (q << 3) ^ (q << 4);
      s[p] = (x ^ (x >> 8) ^ 0x63) & 255;
    } while (p !== 1);
    s[0] = 0x63;
    for (i = 0; i < 256; i++) {
      x = s[i];
      p = (x << 1) ^ (x & 0x80 ? 0x11b : 0);
      t[i] = (p << 24) | (x << 16) | (x << 8) | (p ^ x);
    }
    x = new ArrayBuffer(16);
    IO = new Uint8Array(x);
    IO32 = new Int32Array(x);
    x = new ArrayBuffer(16);
    KIN = new Uint8Array(x);
    KIN32 = new Int32Array(x);
    KEY = new Int32Array(4);
    Z16 = new Uint8Array(16);
    RK = new Int32Array(44);
    T = t;
    S = s;
  }
  s = S;
  t = T;
  rk = RK;
  // The key schedule, unless key is the cached one (compared word by word, no early exit).
  k = KEY;
  ki = KIN32;
  KIN.set(key);
  if (!haveKey || ((ki[0] ^ k[0]) | (ki[1] ^ k[1]) | (ki[2] ^ k[2]) | (ki[3] ^ k[3])) !== 0) {
    k.set(ki);
    // Big-endian words in reverse order (IO32[3] is word 0).
    IO.set(key);
    IO.reverse();
    rk[0] = IO32[3];
    rk[1] = IO32[2];
    rk[2] = IO32[1];
    rk[3] = IO32[0];
    for (i = 4, rc = 1; i < 44; i += 4) {
      w = rk[i - 1];
      rk[i] = rk[i - 4] ^ (s[(w >>> 16) & 255] << 24) ^ (s[(w >>> 8) & 255] << 16) ^ (s[w & 255] << 8) ^ s[w >>> 24] ^ (rc << 24);
      rk[i + 1] = rk[i - 3] ^ rk[i];
      rk[i + 2] = rk[i - 2] ^ rk[i + 1];
      rk[i + 3] = rk[i - 1] ^ rk[i + 2];
      rc = (rc << 1) ^ (rc & 0x80 ? 0x11b : 0);
    }
    haveKey = true;
  }
  KIN.set(Z16);
  IO.set(block);
  IO.reverse();
  var s0 = IO32[3] ^ rk[0], s1 = IO32[2] ^ rk[1], s2 = IO32[1] ^ rk[2], s3 = IO32[0] ^ rk[3];
  var a, b, c, t0, t1, t2;
  for (var r = 4; r < 40; r += 4) {
    a = t[(s1 >>> 16) & 255]; b = t[(s2 >>> 8) & 255]; c = t[s3 & 255];
    t0 = t[s0 >>> 24] ^ ((a >>> 8) | (a << 24)) ^ ((b >>> 16) | (b << 16)) ^ ((c >>> 24) | (c << 8)) ^ rk[r];
    a = t[(s2 >>> 16) & 255]; b = t[(s3 >>> 8) & 255]; c = t[s0 & 255];
    t1 = t[s1 >>> 24] ^ ((a >>> 8) | (a << 24)) ^ ((b >>> 16) | (b << 16)) ^ ((c >>> 24) | (c << 8)) ^ rk[r + 1];
    a = t[(s3 >>> 16) & 255]; b = t[(s0 >>> 8) & 255]; c = t[s1 & 255];
    t2 = t[s2 >>> 24] ^ ((a >>> 8) | (a << 24)) ^ ((b >>> 16) | (b << 16)) ^ ((c >>> 24) | (c << 8)) ^ rk[r + 2];
    a = t[(s0 >>> 16) & 255]; b = t[(s1 >>> 8) & 255]; c = t[s2 & 255];
    s3 = t[s3 >>> 24] ^ ((a >>> 8) | (a << 24)) ^ ((b >>> 16) | (b << 16)) ^ ((c >>> 24) | (c << 8)) ^ rk[r + 3];
    s0 = t0;
    s1 = t1;
    s2 = t2;
  }
  // Final round (no MixColumns), words stored in reverse order for the byte reverse below.
  IO32[3] = ((s[s0 >>> 24] << 24) | (s[(s1 >>> 16) & 255] << 16) | (s[(s2 >>> 8) & 255] << 8) | s[s3 & 255]) ^ rk[40];
  IO32[2] = ((s[s1 >>> 24] << 24) | (s[(s2 >>> 16) & 255] << 16) | (s[(s3 >>> 8) & 255] << 8) | s[s0 & 255]) ^ rk[41];
  IO32[1] = ((s[s2 >>> 24] << 24) | (s[(s3 >>> 16) & 255] << 16) | (s[(s0 >>> 8) & 255] << 8) | s[s1 & 255]) ^ rk[42];
  IO32[0] = ((s[s3 >>> 24] << 24) | (s[(s0 >>> 16) & 255] << 16) | (s[(s1 >>> 8) & 255] << 8) | s[s2 & 255]) ^ rk[43];
  var out = new Uint8Array(IO);
  out.reverse();
  IO.set(Z16);
  return out;
}

/** Drops the cached key schedule (for example after a session ends). */
export function aesForget(): void {
  if (S) {
    RK.fill(0);
    KEY.fill(0);
  }
  haveKey = false;
}

/**
 * ccm.ts's cbcMac and ctr from this.encryptBlock, one function for both roles (like the
 * native aes() in ./symmetric): modes(key, data) is the CBC-MAC of data (the last block of
 * CBC with a zero IV; whole blocks, 4-byte aligned); modes(key, iv, data) XORs data (whole
 * blocks, 4-byte aligned) with the CTR key stream from counter block iv, in place.
 */
function modes(this: BlockCipher, key: Bytes, x: Bytes, data?: Bytes): Bytes {
  var t = new Uint8Array(16), tw = new Int32Array(t.buffer), c = data && new Uint8Array(x), dw, i, k;
  if (!data) data = x;
  dw = new Int32Array(data.buffer, data.byteOffset, data.length >> 2);
  for (i = 0; i < dw.length; i += 4) {
    if (c) {
      t.set(this.encryptBlock(key, c));
      dw[i] ^= tw[0];
      dw[i + 1] ^= tw[1];
      dw[i + 2] ^= tw[2];
      dw[i + 3] ^= tw[3];
      // 128-bit big-endian increment.
      for (k = 15; k >= 0 && !(++c[k] & 255); k--);
    } else {
      tw[0] ^= dw[i];
      tw[1] ^= dw[i + 1];
      tw[2] ^= dw[i + 2];
      tw[3] ^= dw[i + 3];
      t.set(this.encryptBlock(key, t));
    }
  }
  return c ? data : t;
}

/** A BlockCipher for ccm() from a one-block AES encryption. */
export function blockModes(encryptBlock: (key: Bytes, block: Bytes) => Bytes): BlockCipher {
  return { encryptBlock: encryptBlock, cbcMac: modes, ctr: modes, inPlace: true };
}
