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
 * Therefore: cbcMac = native CBC in chunks of at most CHUNK bytes, each chunk's last block
 * the next chunk's IV; encryptBlock = the same on one block (CBC with a zero IV is ECB);
 * ctr = native ECB over up to CHUNK bytes of counter blocks at a time and a 32-bit-word
 * XOR in the interpreter, in place. (XOR through CBC decryption of interleaved blocks was
 * measured too: more native calls, not cheaper.)
 *
 * Structure, for the interpreter's costs (measured with callgrind and process.memory() on
 * the 2v29 Linux build, code running from Storage):
 * - One provider per device, so its methods and helpers are functions of one factory call,
 *   closing over its state (no `this`: they can be handed out as bare functions). For one
 *   instance that costs what top-level functions would, but names resolve in the factory's
 *   small scope: a global name is found by a linear scan of the bundle's root scope
 *   (about 200 names in the firmware), and a built-in such as Uint8Array or Math only after
 *   the whole scan. Hence also the aliases U, I and cv. Creating a provider again makes an
 *   independent one.
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
 * Cache: the entries of the two most recent HMAC keys. Counted on a pairing handshake (one
 * side): 3 HKDF-Extracts with single-use salts and 18 HKDF-Expands with 5 PRKs,
 * alternating between two of them at a time (PRK_2e/PRK_3e2m, then the two exporter
 * PRKs): 9 pad computations with two entries, 14 with one, 8 with four (about 30
 * variables more). Lookup must compare contents (a caller may reuse or wipe a key
 * buffer): equal lengths and sum((a - b)^2) = sum(a^2) + sum(b^2) - 2 sum(a b) = 0 over
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
 * every update, so the state keeps K's pad entry instead of K (one pad computation per
 * update, no cache lookups), and V with 64 bytes of room in front. Pass a function as the
 * seed to let the provider reseed itself after reseedInterval requests; otherwise
 * randomBytes throws CRYPTO_DRBG_RESEED and the caller calls reseed().
 *
 * Key material is wiped when it is dropped: evicted cache entries and old DRBG keys are
 * overwritten with the entry that replaces them, ipad copies in message buffers with zeros;
 * forget() wipes the cache.
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
import { ccm } from "../ccm";
import type { BlockCipher } from "../ccm";
import type { SymmetricCrypto } from "../provider";
import { aesEncryptBlock, aesForget, blockModes } from "./aes";
import { fail } from "./common";
import { sha256 as jsSha256, sha256Forget } from "./sha256";

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

/**
 * For boards whose firmware has native SHA256 and AES: the provider without the
 * interpreted fallbacks (CRYPTO_UNSUPPORTED otherwise). seedEntropy: at least 32 bytes of
 * entropy, or a function returning them (called now and whenever the DRBG needs
 * reseeding). reseedInterval: generate calls between reseeds (default 2^20; tests).
 * fallback: createDeviceSymmetric's.
 */
export function createNativeSymmetric(native: EspruinoCrypto | null, seedEntropy: Bytes | (() => Bytes), reseedInterval?: number, fallback?: Fallback): DeviceSymmetric {
  var a = native && native.AES, sha = native && native.SHA256;
  if (!fallback && !(sha && a)) throw fail("UNSUPPORTED"); // this firmware lacks native SHA256 or AES; use createDeviceSymmetric
  var U = Uint8Array, I = Int32Array, cv = E.convolve;
  var hashFn = (sha || fallback![0]) as (d: Bytes) => ArrayBuffer | Bytes | undefined;
  /** Pad cache: [entry, sum of squares of its key, key length, ...], most recent first. */
  var c: (Entry | number)[] = [];
  /** Templates: 64 zero bytes, and the pad bytes [0x36 x 64 | 0x5c x 64]. */
  var z = new U(64), pads = new U(128).fill(0x5c).fill(0x36, 0, 64);
  /** DRBG: the pad entry of K; V at [64, 96) with room for the ipad; requests since the (re)seed. */
  var dk: Entry, dv: Bytes, dn = 1, src = typeof seedEntropy === "function" && seedEntropy;
  /** Options of the native ECB calls. */
  var ecb = { mode: "ECB" };

  /** Throws CRYPTO_BAD_INPUT unless x and y are Uint8Arrays. */
  function chk(x: unknown, y: unknown): void {
    if (!(x instanceof U) || !(y instanceof U)) throw fail("BAD_INPUT"); // arguments must be Uint8Arrays
  }

  /** Throws CRYPTO_BAD_LENGTH unless x is an integer from lo to hi. */
  function len(x: number, lo: number, hi: number): void {
    if (!(typeof x === "number" && x >= lo && x <= hi && x % 1 === 0)) throw fail("BAD_LENGTH"); // not an integer from lo to hi
  }

  /** SHA-256 of d (the provider's sha256). */
  function hash(d: Bytes): Bytes {
    if (!(d instanceof U)) throw fail("BAD_INPUT"); // data must be a Uint8Array
    var r = hashFn(d);
    if (!r) throw fail("NATIVE"); // the native module printed an error
    return new U(r);
  }

  /** The pad entry for key: the cached one, or a new one that is cached; with fresh, a new one that is not. */
  function entry(key: Bytes, fresh?: boolean): Entry {
    var n, q, i, e: Entry;
    // A key longer than a block is replaced by its hash (RFC 2104).
    if (key.length > 64) key = hash(key);
    n = key.length;
    if (!fresh) {
      // E.convolve never returns on an empty array (2v29): an empty key matches by length.
      q = n && cv(key, key, 0);
      for (i = 0; i < c.length; i += 3) {
        if (c[i + 2] === n && (!n || q + (c[i + 1] as number) - 2 * cv(key, (c[i] as Entry)[2], 0) === 0)) return c[i] as Entry;
      }
    }
    var f = new U(224), w = new I(f.buffer);
    f.set(key);
    f.set(pads, 64);
    // ipad word ^= key word; opad word = ipad word ^ 0x6a6a6a6a (0x36 ^ 0x5c).
    for (i = 0; i < (n + 3) >> 2; i++) w[i + 32] = (w[i + 16] ^= w[i]) ^ 0x6a6a6a6a;
    e = [f.subarray(64, 128), f.subarray(128), f];
    if (!fresh) {
      c.unshift(e, q as number, n);
      // The evicted entry is overwritten with the new one (live key material anyway).
      if (c.length > 6) (c.splice(6)[0] as Entry)[2].set(f);
    }
    return e;
  }

  /** HMAC under entry e of b[off + 64..]; b[off, off + 64) is room for the ipad (wiped afterwards). */
  function mac(e: Entry, b: Bytes, off: number): Bytes {
    b.set(e[0], off);
    e[1].set(hash(off ? b.subarray(off) : b), 64);
    b.set(z, off);
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
    chk(prk, info);
    len(length, 1, 8160);
    if (prk.length < 32) throw fail("BAD_KEY"); // HKDF PRK must be at least 32 bytes
    // Layout: [ipad room (64) | T(i-1) (32) | info | counter]. T(0) is empty, so the first
    // block's room starts 32 bytes later and overlaps the T slot.
    var e = entry(prk), il = info.length, b = new U(97 + il), t, out, i, o;
    b.set(info, 96);
    b[96 + il] = 1;
    t = mac(e, b, 32);
    if (length === 32) return t;
    out = new U(length);
    for (i = 1, o = 0; ; ) {
      out.set(length - o < 32 ? t.subarray(0, length - o) : t, o);
      if ((o += 32) >= length) return out;
      b.set(t, 64);
      b[96 + il] = ++i;
      t = mac(e, b, 0);
    }
  }

  /** HMAC_DRBG_Update (10.1.2.2) with provided data d (none when empty or null). */
  function update(d: Bytes | null): void {
    var dl = d ? d.length : 0, m = new U(97 + dl), k, r, old;
    if (d) m.set(d, 97);
    for (r = 0; r < 2; r++) {
      // K = HMAC(K, V || r || d); V = HMAC(K, V)
      m.set(dv);
      m[96] = r;
      k = mac(dk, m, 0);
      old = dk[2];
      dk = entry(k, true);
      old.set(dk[2]);
      k.set(z.subarray(32));
      dv.set(mac(dk, dv, 0), 64);
      if (!dl) break;
    }
    // Without data m holds only the old V (the last output block) past its wiped room.
    if (dl) m.fill(0);
  }

  function reseed(entropy: Bytes, personalization?: Bytes): void {
    chk(entropy, entropy);
    len(entropy.length, 32, 4096);
    if (personalization) {
      // Instantiate (10.1.2.3): K = 0, V = 1, seed material = entropy || personalization.
      entropy = concat([entropy, personalization]);
      dk = entry(new U(32), true);
      dv = new U(96).fill(1, 64);
    }
    update(entropy);
    if (personalization) entropy.fill(0);
    dn = 1;
  }

  /** n pseudorandom bytes (0 to 65536, the SP 800-90A limit per request). */
  function randomBytes(n: number): Bytes {
    len(n, 0, 65536);
    if (dn > (reseedInterval || 1 << 20)) {
      if (!src) throw fail("DRBG_RESEED"); // DRBG needs fresh entropy
      reseed(src());
    }
    var out = new U(n), o;
    for (o = 0; o < n; o += 32) {
      dv.set(mac(dk, dv, 0), 64);
      out.set(dv.subarray(64, n - o < 32 ? 64 + n - o : 96), o);
    }
    update(null);
    dn++;
    return out;
  }

  // Bytes per native AES call (CHUNK in the comments; written as the literal 256, since
  // esbuild does not inline constants): bounds the contiguous memory a result needs (10
  // variables on the Linux build, 20 on a Puck.js). Each chunk costs about 250 thousand
  // instructions beyond its blocks (views, checks, the call): a 250-byte seal took 15 %
  // longer with 128-byte chunks than with one call for everything, 6 % with 256.

  /** CBC-MAC (last block of CBC with a zero IV) over whole blocks; on one block, AES encryption. */
  function cbcMac(key: Bytes, data: Bytes): Bytes {
    // subarray() does not clamp its end to the length in Espruino 2v29: clamp here. (A
    // view costs about 6 variables and 60 thousand instructions: none for one chunk.)
    for (var n = data.length, o = 0, r, iv; o < n; o += 256) {
      r = a!.encrypt(n > 256 ? data.subarray(o, n - o < 256 ? n : o + 256) : data, key, { iv: iv });
      if (!r) throw fail("NATIVE"); // the native module printed an error
      iv = new U(r, r.byteLength - 16, 16);
    }
    return iv as Bytes;
  }

  /** data (whole blocks, 4-byte aligned) XOR the CTR key stream from counter block iv, in place. */
  function ctr(key: Bytes, iv: Bytes, data: Bytes): Bytes {
    var b = new U(256), cb = new U(iv), o, m, j, k, d;
    for (o = 0; o < data.length; o += 256) {
      m = data.length - o < 256 ? data.length - o : 256;
      // Counter blocks, with a full 128-bit big-endian increment.
      for (j = 0; j < m; j += 16) for (b.set(cb, j), k = 15; k >= 0 && !(++cb[k] & 255); k--);
      k = a!.encrypt(m < 256 ? b.subarray(0, m) : b, key, ecb);
      if (!k) throw fail("NATIVE"); // the native module printed an error
      k = new I(k);
      d = new I(data.buffer, data.byteOffset + o, m >> 2);
      for (j = 0; j < m >> 2; j += 4) {
        d[j] ^= k[j];
        d[j + 1] ^= k[j + 1];
        d[j + 2] ^= k[j + 2];
        d[j + 3] ^= k[j + 3];
      }
    }
    return data;
  }

  var bc: BlockCipher = a ? { encryptBlock: cbcMac, cbcMac: cbcMac, ctr: ctr, inPlace: true } : fallback![1];

  /** AES-CCM-16-64-128 (COSE algorithm 10): seals, or opens when open is true. */
  function aeadSeal(key: Bytes, nonce: Bytes, aad: Bytes, data: Bytes, open?: boolean): Bytes {
    chk(key, nonce);
    chk(aad, data);
    if (nonce.length !== 13) throw fail("BAD_NONCE"); // AES-CCM-16-64-128 nonce must be 13 bytes
    return ccm(bc, key, nonce, aad, data, 8, open as boolean) as Bytes;
  }

  reseed(src ? src() : (seedEntropy as Bytes), utf8Encode("pairkit device DRBG"));
  // Not kept alive by the methods' scope.
  seedEntropy = null as unknown as Bytes;
  native = null;

  return {
    randomBytes: randomBytes,
    sha256: hash,
    hmacSha256: hmac,
    hkdfExtract: hmac,
    hkdfExpand: hkdfExpand,
    aeadSeal: aeadSeal,
    aeadOpen: function (key, nonce, aad, data) {
      return aeadSeal(key, nonce, aad, data, true);
    },
    ctEqual: function (x, y) {
      chk(x, y);
      return ctEqual(x, y);
    },
    reseed: reseed,
    forget: function () {
      // Entries are overwritten with the pad template (no key material left).
      for (var i = 0; i < c.length; i += 3) {
        (c[i] as Entry)[2].set(pads);
        (c[i] as Entry)[2].set(pads, 96);
      }
      c.splice(0);
      if (fallback) fallback[2]();
    },
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
