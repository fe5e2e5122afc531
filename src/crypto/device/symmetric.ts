/**
 * The device's synchronous crypto (SymmetricCrypto): SHA-256, HMAC-SHA-256 (RFC 2104),
 * HKDF (RFC 5869), HMAC_DRBG (SP 800-90A) and AES-CCM-16-64-128 over Espruino's native
 * `crypto` module, with interpreted fallbacks for boards that lack part of it.
 *
 * What the native module really does (Espruino 2v29, libs/crypto/jswrap_crypto.c, and
 * checked on the Linux interpreter; test/helpers/fake-espruino-crypto.ts mirrors it):
 * - SHA256(data) returns a 32-byte ArrayBuffer; typed-array views (subarray) are hashed
 *   with their offset honoured.
 * - AES.encrypt/decrypt(data, key, {mode, iv}) return an ArrayBuffer the size of data.
 *   Errors (key not 16/24/32 bytes, CBC data not a multiple of 16, OFB) are printed to
 *   the console and return undefined; they are not exceptions. Only an unknown mode
 *   name throws. So every result is checked here (CRYPTO_NATIVE).
 * - The mode defaults to CBC; CBC uses options.iv (shorter IVs are zero-padded, no IV
 *   means zeros): the last block of CBC over a zero IV is exactly the CBC-MAC ccm.ts wants.
 * - ECB encrypts whole blocks and leaves a trailing partial block as zeros.
 * - CTR ignores options.iv and always starts from the all-zero counter block, and its
 *   decrypt direction uses the decryption key schedule (output unrelated to encrypt), so
 *   it cannot serve ccm.ts's ctr contract. "CFB" is CFB-8; "OFB" is not implemented.
 * - Every result needs one contiguous free block of memory ("Not enough memory for
 *   result" otherwise), and a non-contiguous input is copied onto the C stack.
 * Therefore ccm.ts's block cipher is one function, aes(): without data it is the CBC-MAC
 * (native CBC in chunks of at most CHUNK bytes, each chunk's last block the next chunk's
 * IV; on one block that is encryptBlock, CBC with a zero IV being ECB); with data it is
 * CTR (native ECB over up to CHUNK bytes of counter blocks at a time and a 32-bit-word XOR
 * in the interpreter, in place). (XOR through CBC decryption of interleaved blocks was
 * measured too: more native calls, not cheaper.)
 *
 * Structure, for the interpreter's costs (measured with callgrind and process.memory() on
 * the 2v29 Linux build, code running from Storage):
 * - A device has one provider. Its state (native module, pad cache, DRBG) is the one
 *   module-level object D, its methods are top-level functions that read D, and the
 *   object a factory returns only points at them: nothing is a closure, so the provider
 *   costs its functions (which exist anyway) plus a variable per property, for the
 *   device's lifetime. Creating a provider again re-initialises that one provider (pads
 *   forgotten, DRBG instantiated anew, the new native module): objects returned earlier
 *   then use the new state.
 * - Function calls, typed-array allocations and views cost 35-75 thousand instructions
 *   each; set() about 0.8 thousand per byte, fill() about 1.2 thousand per element of the
 *   whole array whatever the range (wipes copy zeros from a template); one interpreted XOR
 *   statement about 40 thousand; === on two typed arrays compares their contents (2.6
 *   million instructions for 272 bytes: never compare buffers). A frame costs about 5
 *   variables plus one per parameter and local, a view about 6, which counts at the peak
 *   of a call: few locals in the functions that call native code.
 *
 * HMAC works on a pad entry: one Uint8Array of 224 bytes,
 *   [key block (64, zero-padded) | ipad block (64) | opad block (64) | inner digest (32)]
 * and two views of it made once, the ipad block and opad || inner digest, so an HMAC is
 * two native hashes and a few native copies: the message buffer has 64 bytes of room in
 * front for the ipad, and the outer hash input is the second view. The pads are copied
 * from a template and only the words the key occupies (8 for a 32-byte key) are XORed in
 * the interpreter, one statement per word.
 *
 * Cache: the entry of the most recent HMAC key. Counted on a pairing handshake (one
 * side): 3 HKDF-Extracts with single-use salts and 18 HKDF-Expands with 5 PRKs,
 * alternating between two of them at a time (PRK_2e/PRK_3e2m, then the two exporter
 * PRKs): 14 pad computations with one entry, 9 with two, 8 with four. An entry is about
 * 19 variables and the handshake's peak is while they are cached, so one entry it is:
 * the 5 extra pad computations are a few native copies and 8 XOR statements each, well
 * under 1 % of a handshake's interpreted work (docs/device-memory.md). Lookup must
 * compare contents (a caller may reuse or wipe a key buffer): equal lengths and sum((a - b)^2) = sum(a^2) + sum(b^2) - 2 sum(a b) = 0 over
 * the key bytes with E.convolve (exact: every sum is below 2^22), straight from the
 * caller's key and the cached key block. Its time does not depend on where two keys
 * differ; whether a key hits the cache is visible anyway (a miss costs a pad computation)
 * and is not secret. (Keys shorter than a block are zero-padded by HMAC, so "k" and "k\0"
 * are the same key; they get separate entries, which is merely redundant.)
 *
 * Random bytes: HMAC_DRBG, no prediction resistance, no additional input on generate,
 * seeded with caller-supplied entropy (on a device, E.hwRand() words concatenated with the
 * secure element's Random output; E.hwRand() on the Linux build is the C library's
 * unseeded rand(), the same in every process, so never the only source) and the
 * personalization string "pairkit device DRBG". K is only ever an HMAC key and changes on
 * every update, so it never enters the pad cache: its pads are computed where it is used
 * (once per randomBytes call, which hands them on to the update that follows, and once
 * per reseed), and the state keeps only K's 32 bytes and V with 64 bytes of room in front
 * (a kept pad entry would cost about 19 variables for good). Pass a function as the seed
 * to let the provider reseed itself after reseedInterval requests; otherwise
 * randomBytes throws CRYPTO_DRBG_RESEED and the caller calls reseed().
 *
 * Key material is wiped when it is dropped: evicted cache entries and old DRBG keys are
 * overwritten with the entry that replaces them, ipad copies in message buffers with zeros;
 * forget() wipes the cache, and so does creating the provider again.
 *
 * Two factories:
 * - createDeviceSymmetric: any board; the interpreted SHA-256 and AES (./sha256, ./aes)
 *   stand in for whatever the native module lacks.
 * - createNativeSymmetric: boards with native SHA256 and AES (Puck.js); a bundle that uses
 *   only it leaves the fallbacks out.
 *
 * Written in the Espruino subset. Assumes a little-endian host.
 */
import { ctEqual, concat, utf8Encode } from "../../core/bytes";
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import { ccm } from "../ccm";
import type { BlockCipher } from "../ccm";
import type { SymmetricCrypto } from "../provider";
import { aesEncryptBlock, aesForget, blockModes } from "./aes";
import { sha256 as jsSha256, sha256Forget } from "./sha256";
import { I, U } from "./common";

/** Espruino's native dot product (see ./common). */
declare var E: { convolve(a: ArrayLike<number>, b: ArrayLike<number>, offset: number): number };

type AesOptions = { mode?: string; iv?: Bytes };
type EspruinoAes = {
  encrypt: (data: Bytes, key: Bytes, options?: AesOptions) => ArrayBuffer | undefined;
  decrypt: (data: Bytes, key: Bytes, options?: AesOptions) => ArrayBuffer | undefined;
};

/** The parts of Espruino's `require("crypto")` this provider uses. */
export interface EspruinoCrypto {
  SHA256?: (data: Bytes) => ArrayBuffer | undefined;
  AES?: EspruinoAes;
}

/** The provider: SymmetricCrypto's methods and two more, all usable as bare functions. */
export interface DeviceSymmetric extends SymmetricCrypto {
  /**
   * Mixes fresh entropy (32 to 4096 bytes) into the random generator. With personalization
   * (any bytes, possibly empty) it instantiates it anew instead: K = 0, V = 1, seed material
   * entropy || personalization (a nonce, when there is one, goes first in personalization).
   */
  reseed(entropy: Bytes, personalization?: Bytes): void;
  /** Wipes the cached HMAC pads and the fallbacks' caches (for example when a session ends). */
  forget(): void;
}

/** A pad entry: [ipad block (a view), opad block || inner digest (a view), the whole 224-byte buffer]. */
type Entry = [Bytes, Bytes, Bytes];

/** createDeviceSymmetric's interpreted SHA-256, AES for ccm(), and a function that wipes their caches. */
type Fallback = [(d: Bytes) => Bytes, BlockCipher, () => void];

/** The device's provider state. */
interface State {
  /** Native AES, if any. */
  a?: EspruinoAes | null;
  /** The hash: native SHA256 (an ArrayBuffer, or undefined on error) or the fallback. */
  h: (d: Bytes) => ArrayBuffer | Bytes | undefined;
  /** ccm()'s block cipher. */
  b: BlockCipher;
  /** Pad cache: [entry, sum of squares of its key, key length, ...], most recent first. */
  c: (Entry | number)[];
  /** 64 zero bytes (wipes), and the pad template [0x36 x 64 | 0x5c x 64]. */
  z: Bytes;
  p: Bytes;
  /** DRBG: K (32 bytes); V at [64, 96) with room for the ipad; requests since the (re)seed. */
  k: Bytes;
  v: Bytes;
  n: number;
  /** The seed function, if the provider reseeds itself, and the reseed interval (none: 2^20). */
  s: (() => Bytes) | false;
  i?: number;
  /** The fallbacks' forget, if any. */
  f?: () => void;
}
var D = { c: [], z: new U(64), p: new U(128).fill(0x5c).fill(0x36, 0, 64) } as unknown as State;

/** Throws CRYPTO_BAD_INPUT unless x and y are Uint8Arrays; with hi, CRYPTO_BAD_LENGTH unless n is an integer from lo to hi. */
function chk(x: unknown, y: unknown, n?: number, lo?: number, hi?: number): void {
  if (!(x instanceof U && y instanceof U)) throw perr("CRYPTO_BAD_INPUT", "arguments must be Uint8Arrays");
  // n === +n: a number (NaN fails the range test anyway).
  if (hi && !(n === +n! && n >= lo! && n <= hi && n % 1 === 0)) throw perr("CRYPTO_BAD_LENGTH", "length out of range");
}

/** SHA-256 of d (the provider's sha256). */
function hash(d: Bytes): Bytes {
  chk(d, d);
  var r = D.h(d);
  if (!r) throw perr("CRYPTO_NATIVE", "the native SHA256 printed an error");
  return new U(r);
}

/** The pad entry for key: the cached one, or a new one that is cached; with fresh, a new one that is not. */
function entry(key: Bytes, fresh?: boolean): Entry {
  var c = D.c, n, q, i, e: Entry, f, w;
  // A key longer than a block is replaced by its hash (RFC 2104).
  if (key.length > 64) key = hash(key);
  n = key.length;
  if (!fresh) {
    // E.convolve never returns on an empty array (2v29): an empty key matches by length.
    q = n && E.convolve(key, key, 0);
    for (i = 0; i < c.length; i += 3) {
      if (c[i + 2] === n && (!n || q + (c[i + 1] as number) - 2 * E.convolve(key, (c[i] as Entry)[2], 0) === 0)) return c[i] as Entry;
    }
  }
  f = new U(224);
  w = new I(f.buffer);
  f.set(key);
  f.set(D.p, 64);
  // ipad word ^= key word; opad word = ipad word ^ 0x6a6a6a6a (0x36 ^ 0x5c).
  for (i = 0; i < (n + 3) >> 2; i++) w[i + 32] = (w[i + 16] ^= w[i]) ^ 0x6a6a6a6a;
  e = [f.subarray(64, 128), f.subarray(128), f];
  if (!fresh) {
    c.unshift(e, q as number, n);
    // The evicted entry is overwritten with the new one (live key material anyway).
    if (c.length > 3) (c.splice(3)[0] as Entry)[2].set(f);
  }
  return e;
}

/** HMAC under entry e of b[off + 64..]; b[off, off + 64) is room for the ipad (wiped afterwards). */
function mac(e: Entry, b: Bytes, off: number): Bytes {
  b.set(e[0], off);
  e[1].set(hash(off ? b.subarray(off) : b), 64);
  b.set(D.z, off);
  return hash(e[1]);
}

/** HMAC-SHA-256(key, data); also HKDF-Extract(salt, ikm) (an empty salt is 64 zero bytes, the same as 32). */
function hmac(key: Bytes, data: Bytes): Bytes {
  chk(key, data);
  var b = new U(64 + data.length);
  b.set(data, 64);
  return mac(entry(key), b, 0);
}

/** HKDF-Expand: length from 1 to 255 * 32; prk at least 32 bytes. */
function hkdfExpand(prk: Bytes, info: Bytes, length: number): Bytes {
  chk(prk, info, length, 1, 8160);
  if (prk.length < 32) throw perr("CRYPTO_BAD_KEY", "HKDF PRK must be at least 32 bytes");
  // Layout: [ipad room (64) | T(i-1) (32) | info | counter]. T(0) is empty, so the first
  // block's room starts 32 bytes later and overlaps the T slot.
  var e = entry(prk), il = info.length, b = new U(97 + il), t, out, o;
  b.set(info, 96);
  b[96 + il] = 1;
  t = mac(e, b, 32);
  if (length === 32) return t;
  out = new U(length);
  for (o = 0; ; ) {
    out.set(length - o < 32 ? t.subarray(0, length - o) : t, o);
    if ((o += 32) >= length) return out;
    b.set(t, 64);
    // The counter byte counts up in place (at most 255 blocks).
    b[96 + il]++;
    t = mac(e, b, 0);
  }
}

/**
 * HMAC_DRBG_Update (10.1.2.2) with provided data d (none when null). K is kept as its 32
 * bytes, not as a pad entry: an entry is about 19 variables for the device's lifetime,
 * so K's pads are computed when it is used; randomBytes passes the entry it already made
 * for the current K as e. Every entry is wiped here once K moves on.
 */
function update(d: Bytes | null, e?: Entry): void {
  var dl = d ? d.length : 0, m = new U(97 + dl), k, r, t;
  if (!e) e = entry(D.k, true);
  if (d) m.set(d, 97);
  for (r = 0; r < 2; r++) {
    // K = HMAC(K, V || r || d); V = HMAC(K, V)
    m.set(D.v);
    m[96] = r;
    k = mac(e, m, 0);
    t = entry(k, true);
    e[2].fill(0);
    e = t;
    D.k.set(k);
    k.fill(0);
    D.v.set(mac(e, D.v, 0), 64);
    if (!dl) break;
  }
  e[2].fill(0);
  // Without data m holds only the old V (the last output block) past its wiped room.
  if (dl) m.fill(0);
}

function reseed(entropy: Bytes, personalization?: Bytes): void {
  chk(entropy, entropy, entropy && entropy.length, 32, 4096);
  if (personalization) {
    // Instantiate (10.1.2.3): K = 0, V = 1, seed material = entropy || personalization.
    entropy = concat([entropy, personalization]);
    if (D.k) D.k.fill(0);
    D.k = new U(32);
    D.v = new U(96).fill(1, 64);
  }
  update(entropy);
  if (personalization) entropy.fill(0);
  D.n = 1;
}

/** n pseudorandom bytes (0 to 65536, the SP 800-90A limit per request). */
function randomBytes(n: number): Bytes {
  var d = D, out, o, e;
  chk(d.z, d.z, n, 0, 65536);
  if (d.n > (d.i || 1 << 20)) {
    if (!d.s) throw perr("CRYPTO_DRBG_RESEED", "DRBG needs fresh entropy");
    reseed(d.s());
  }
  out = new U(n);
  e = entry(d.k, true);
  for (o = 0; o < n; o += 32) {
    d.v.set(mac(e, d.v, 0), 64);
    out.set(d.v.subarray(64, n - o < 32 ? 64 + n - o : 96), o);
  }
  update(null, e);
  d.n++;
  return out;
}

// Bytes per native AES call (CHUNK in the comments; written as the literal 256, since
// esbuild does not inline constants): bounds the contiguous memory a result needs (10
// variables on the Linux build, 20 on a Puck.js). Each chunk costs about 250 thousand
// instructions beyond its blocks (views, checks, the call): a 250-byte seal took 15 %
// longer with 128-byte chunks than with one call for everything, 6 % with 256.

/**
 * ccm()'s block cipher over the native AES. aes(key, x): the CBC-MAC of x (the last block
 * of CBC with a zero IV, over whole blocks), on one block its AES encryption.
 * aes(key, iv, data): data (whole blocks, 4-byte aligned) XOR the CTR key stream from
 * counter block iv, in place.
 */
function aes(key: Bytes, x: Bytes, data?: Bytes): Bytes {
  // Few locals (see above). CTR: c is truthy, x becomes a copy of the counter block and b
  // holds a chunk's counter blocks. CBC-MAC: data is x, b the running IV (none: zeros).
  var c: any = data, o, m, r: any, j, b: any;
  if (c) {
    b = new U(256);
    x = new U(x);
  } else data = x;
  for (o = 0; o < data!.length; o += 256) {
    m = data!.length - o;
    if (m > 256) m = 256;
    if (c) {
      // Counter blocks, with a full 128-bit big-endian increment.
      for (j = 0; j < m; j += 16) for (b.set(x, j), r = 15; r >= 0 && !(++x[r] & 255); r--);
      r = D.a!.encrypt(m < 256 ? b.subarray(0, m) : b, key, { mode: "ECB" });
    } else {
      // subarray() does not clamp its end to the length in Espruino 2v29: o + m, not
      // o + 256. (A view costs about 6 variables and 60 thousand instructions: none for
      // one chunk.)
      r = D.a!.encrypt(m < data!.length ? data!.subarray(o, o + m) : data!, key, { iv: b });
    }
    if (!r) throw perr("CRYPTO_NATIVE", "the native AES printed an error");
    if (c) {
      r = new I(r);
      c = new I(data!.buffer, data!.byteOffset + o, m >> 2);
      for (j = 0; j < m >> 2; j += 4) {
        c[j] ^= r[j];
        c[j + 1] ^= r[j + 1];
        c[j + 2] ^= r[j + 2];
        c[j + 3] ^= r[j + 3];
      }
    } else b = new U(r, r.byteLength - 16, 16);
  }
  return c ? data! : b;
}

/** AES-CCM-16-64-128 (COSE algorithm 10): seals, or opens when open is true. */
function aeadSeal(key: Bytes, nonce: Bytes, aad: Bytes, data: Bytes, open?: boolean): Bytes {
  chk(key, nonce);
  chk(aad, data);
  if (nonce.length !== 13) throw perr("CRYPTO_BAD_NONCE", "AES-CCM-16-64-128 nonce must be 13 bytes");
  return ccm(D.b, key, nonce, aad, data, 8, open as boolean) as Bytes;
}

function aeadOpen(key: Bytes, nonce: Bytes, aad: Bytes, data: Bytes): Bytes | null {
  return aeadSeal(key, nonce, aad, data, true);
}

function eq(x: Bytes, y: Bytes): boolean {
  chk(x, y);
  return ctEqual(x, y);
}

function forget(): void {
  while (D.c.length) (D.c.splice(0, 3)[0] as Entry)[2].fill(0);
  if (D.f) D.f();
}

/**
 * For boards whose firmware has native SHA256 and AES: the provider without the
 * interpreted fallbacks (CRYPTO_UNSUPPORTED otherwise). seedEntropy: at least 32 bytes of
 * entropy, or a function returning them (called now and whenever the DRBG needs
 * reseeding). reseedInterval: generate calls between reseeds (default 2^20; tests).
 * fallback: createDeviceSymmetric's.
 */
export function createNativeSymmetric(native: EspruinoCrypto | null, seedEntropy: Bytes | (() => Bytes), reseedInterval?: number, fallback?: Fallback): DeviceSymmetric {
  var a = native && native.AES, sha = native && native.SHA256;
  if (!fallback && !(sha && a)) throw perr("CRYPTO_UNSUPPORTED", "this firmware lacks native SHA256 or AES; use createDeviceSymmetric");
  forget();
  D.a = a;
  D.h = sha || fallback![0];
  D.b = a ? { encryptBlock: aes, cbcMac: aes, ctr: aes, inPlace: true } : fallback![1];
  D.f = fallback && fallback[2];
  D.s = typeof seedEntropy === "function" && seedEntropy;
  D.i = reseedInterval;
  reseed(D.s ? D.s() : (seedEntropy as Bytes), utf8Encode("pairkit device DRBG"));
  return {
    randomBytes: randomBytes,
    sha256: hash,
    hmacSha256: hmac,
    hkdfExtract: hmac,
    hkdfExpand: hkdfExpand,
    aeadSeal: aeadSeal,
    aeadOpen: aeadOpen,
    ctEqual: eq,
    reseed: reseed,
    forget: forget,
  };
}

function fallbackForget(): void {
  aesForget();
  sha256Forget();
}

/** For any board. native: `require("crypto")`, or null (everything interpreted). The rest as createNativeSymmetric. */
export function createDeviceSymmetric(native: EspruinoCrypto | null, seedEntropy: Bytes | (() => Bytes), reseedInterval?: number): DeviceSymmetric {
  return createNativeSymmetric(native, seedEntropy, reseedInterval, [jsSha256, blockModes(aesEncryptBlock), fallbackForget]);
}
