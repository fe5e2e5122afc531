/**
 * SHA-256 (FIPS 180-4) in interpreted JavaScript: the fallback for boards whose firmware
 * has no native `require("crypto").SHA256` (Pixl.js, for example). Boards with the native
 * hash never run this code; the provider picks the native one.
 *
 * Written in the Espruino subset, for the interpreter's cost model (every statement costs
 * thousands of host instructions, a native call costs about the same as one statement):
 * - big-endian words are loaded with two native `reverse()` calls on typed arrays instead
 *   of 16 interpreted byte-combining statements per block;
 * - eight rounds are unrolled with the working variables renamed, so a round is two
 *   statements and the eight-variable shuffle disappears;
 * - all buffers are allocated once and reused; the schedule and block copies, which hold
 *   key material when HMAC hashes its pads, are zeroed after each hash.
 *
 * Round constants are computed at first use from the primes (fractional parts of square
 * and cube roots) rather than stored as a 72-word literal. Espruino's Math.pow and
 * Math.sqrt are not correctly rounded (on 2v29 Math.pow(2, 32) is off by 3e-6 and
 * Math.sqrt(19) by 2 ulp), so the computation relies on margins checked offline with
 * exact integer roots: every constant is at least 2^-7.5 away from an integer boundary in
 * units of 2^-32, several hundred times the error seen on 2v29 (about 2^-17 there). A
 * checksum of the generated table is verified, so a board with a worse libm fails
 * loudly (CRYPTO_SELFTEST) instead of hashing wrongly. Init costs about 20 million
 * instructions, once.
 *
 * HMAC's pad blocks are recognised and their states cached (see sha256()): with an
 * interpreted hash that saves two of the four compressions of every HMAC call.
 *
 * Assumes a little-endian host (every Espruino board, x86 and ARM hosts).
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";

/** Espruino's native dot product (see ./common). */
declare var E: { convolve(a: ArrayLike<number>, b: ArrayLike<number>, offset: number): number };

var K: Int32Array | null = null;
var H0: Int32Array;
var W: Int32Array;
var BLK: Uint8Array;
var BLK32: Int32Array;
var TAIL: Uint8Array;
/** Zeros for wiping: typed-array fill() costs about twice a set() in Espruino 2v29. */
var ZB: Uint8Array;
var ZW: Int32Array;
/** Pad-block cache: [block (64 bytes), state after it, sum of squares of block, ...], most recent first. */
var MID: (Bytes | Int32Array | number)[] = [];

/** One compression of the 64-byte block src[off..off+64) into state st. */
function compress(st: Int32Array, src: Bytes, off: number): void {
  var k = K as Int32Array;
  var w = W;
  var i, x, y, t;
  // Big-endian load: reverse the block's bytes, read it as little-endian words (now in
  // reverse order), then reverse the words.
  BLK.set(src.subarray(off, off + 64));
  BLK.reverse();
  w.set(BLK32);
  w.subarray(0, 16).reverse();
  for (i = 16; i < 64; i++) {
    x = w[i - 15];
    y = w[i - 2];
    w[i] = (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[i - 7] + w[i - 16];
  }
  var a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
  for (i = 0; i < 64; i += 8) {
    t = h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + k[i] + w[i];
    d = (d + t) | 0;
    h = (t + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0;
    t = g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + (f ^ (d & (e ^ f))) + k[i + 1] + w[i + 1];
    c = (c + t) | 0;
    g = (t + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) | (b & (h | a)))) | 0;
    t = f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + (e ^ (c & (d ^ e))) + k[i + 2] + w[i + 2];
    b = (b + t) | 0;
    f = (t + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) | (a & (g | h)))) | 0;
    t = e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + (d ^ (b & (c ^ d))) + k[i + 3] + w[i + 3];
    a = (a + t) | 0;
    e = (t + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) | (h & (f | g)))) | 0;
    t = d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + (c ^ (a & (b ^ c))) + k[i + 4] + w[i + 4];
    h = (h + t) | 0;
    d = (t + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) | (g & (e | f)))) | 0;
    t = c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + (b ^ (h & (a ^ b))) + k[i + 5] + w[i + 5];
    g = (g + t) | 0;
    c = (t + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) | (f & (d | e)))) | 0;
    t = b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + (a ^ (g & (h ^ a))) + k[i + 6] + w[i + 6];
    f = (f + t) | 0;
    b = (t + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) | (e & (c | d)))) | 0;
    t = a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + (h ^ (f & (g ^ h))) + k[i + 7] + w[i + 7];
    e = (e + t) | 0;
    a = (t + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) | (d & (b | c)))) | 0;
  }
  st[0] += a;
  st[1] += b;
  st[2] += c;
  st[3] += d;
  st[4] += e;
  st[5] += f;
  st[6] += g;
  st[7] += h;
}

/**
 * SHA-256 of data. When data starts with a block that looks like an HMAC pad (its last
 * byte is 0x36 or 0x5c, as for every key up to 63 bytes), the state after that block is
 * looked up in (and added to) a cache of the four most recent such blocks, so that an HMAC
 * of a short message costs two compressions instead of four without the HMAC code knowing
 * about midstates. Lookup compares contents like ./symmetric does for HMAC keys (sums of
 * products with E.convolve, exact and independent of where blocks differ). The cached
 * blocks are key material: sha256Forget() wipes them.
 */
export function sha256(data: Bytes): Bytes {
  var st: Int32Array | undefined, b, q, i, n, r, t, e, prefix = 0;
  if (!K) {
    // The tables, at first use: k and h from the primes; s checks their sum mod 2^32
    // (46528188 as a signed 32-bit value). The string holds half the gaps between
    // consecutive odd primes from 3 to 311: the 64 primes without a sieve.
    var k = new Int32Array(64), h = new Int32Array(8), sum = 0, c;
    for (c = 0, n = 2; c < 64; c++) {
      // One Newton step on the cube root tightens Math.pow's result to about one ulp.
      r = Math.pow(n, 1 / 3);
      r = r - (r * r * r - n) / (3 * r * r);
      k[c] = (r - Math.floor(r)) * 4294967296;
      sum = (sum + k[c]) | 0;
      if (c < 8) {
        r = Math.sqrt(n);
        h[c] = (r - Math.floor(r)) * 4294967296;
        sum = (sum + h[c]) | 0;
      }
      n = c ? n + 2 * ("11212123132123313213234212127231513323315121662123153331321572".charCodeAt(c - 1) - 48) : 3;
    }
    if (sum !== 46528188) throw perr("CRYPTO_SELFTEST", "SHA-256 constants failed their self-check on this board");
    b = new ArrayBuffer(64);
    BLK = new Uint8Array(b);
    BLK32 = new Int32Array(b);
    W = new Int32Array(64);
    TAIL = new Uint8Array(128);
    ZB = new Uint8Array(128);
    ZW = new Int32Array(64);
    H0 = h;
    K = k;
  }
  if (!(data instanceof Uint8Array)) throw perr("CRYPTO_BAD_INPUT", "SHA-256 input must be a Uint8Array");
  if (data.length >= 64 && (data[63] === 0x36 || data[63] === 0x5c)) {
    b = data.subarray(0, 64);
    q = E.convolve(b, b, 0);
    for (i = 0; !st && i < MID.length; i += 3) if (q + (MID[i + 2] as number) - 2 * E.convolve(b, MID[i] as Bytes, 0) === 0) st = new Int32Array(MID[i + 1] as Int32Array);
    if (!st) {
      st = new Int32Array(H0);
      compress(st, data, 0);
      W.set(ZW);
      BLK.set(ZB.subarray(0, 64));
      MID.unshift(new Uint8Array(b), new Int32Array(st), q);
      if (MID.length > 12) {
        MID.pop();
        (MID.pop() as Int32Array).fill(0);
        (MID.pop() as Bytes).fill(0);
      }
    }
    data = data.subarray(64);
    prefix = 64;
  } else st = new Int32Array(H0);
  // The rest of data into st (which has absorbed prefix bytes), then the padding.
  n = data.length;
  e = n - (n % 64);
  for (i = 0; i < e; i += 64) compress(st, data, i);
  r = n - e;
  t = TAIL;
  t.set(ZB);
  t.set(data.subarray(e), 0);
  t[r] = 0x80;
  e = r < 56 ? 64 : 128;
  // Message length in bits, big-endian; inputs here are far below 2^32 bytes.
  n = (n + prefix) * 8;
  q = Math.floor(n / 4294967296);
  t[e - 1] = n & 255;
  t[e - 2] = (n >>> 8) & 255;
  t[e - 3] = (n >>> 16) & 255;
  t[e - 4] = (n >>> 24) & 255;
  t[e - 5] = q & 255;
  t[e - 6] = (q >>> 8) & 255;
  compress(st, t, 0);
  if (e === 128) compress(st, t, 64);
  // Big-endian store: reverse the word order, then every byte.
  b = new Uint8Array(32);
  q = new Int32Array(b.buffer);
  q.set(st);
  q.reverse();
  b.reverse();
  // The schedule and block copies hold message words (key pads, for HMAC).
  t.set(ZB);
  W.set(ZW);
  BLK.set(ZB.subarray(0, 64));
  return b;
}

/** Wipes the cached HMAC pad blocks and their states. */
export function sha256Forget(): void {
  for (var i = 0; i < MID.length; i += 3) {
    (MID[i] as Bytes).fill(0);
    (MID[i + 1] as Int32Array).fill(0);
  }
  MID = [];
}
