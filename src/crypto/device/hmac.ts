/**
 * HMAC-SHA-256 (RFC 2104) and HKDF (RFC 5869) over any sha256(Bytes) -> Bytes function,
 * for devices.
 *
 * Why a cache: EDHOC and the session layer call HKDF-Expand many times with the same PRK
 * (keystream, MAC, key and IV from one PRK, exporter labels), and building HMAC's two
 * 64-byte key pads in the interpreter costs more than the native hashes themselves. The
 * pads of the most recent keys are kept:
 * - with a native hash (no streaming API): the ipad block, and the outer hash input
 *   opad || inner-digest as one reusable 96-byte buffer, so a call is one allocation, a
 *   few native copies and two native hashes;
 * - with a JavaScript SHA-256 that can resume from a midstate (pass `midstate`): the hash
 *   states after the ipad and opad blocks, which saves two of the four compressions of
 *   every call.
 * Pads are built with 32-bit words from constant pad words, XORing only the words the key
 * occupies (8 for a 32-byte key), never 64 interpreted byte steps.
 *
 * Cache lookup must compare contents (a caller may reuse or wipe a key buffer). Comparing
 * 16 words in the interpreter costs about 330 thousand instructions, so the comparison is
 * sum((a - b)^2) = sum(a^2) + sum(b^2) - 2 sum(a b) with E.convolve (exact: bytes, so every
 * sum is below 2^22), about a third of that. Its time depends on the key only through the
 * native double multiply; whether a key hits the cache is visible anyway (a miss costs a
 * pad computation) and is not secret.
 *
 * Cached pads are key material: forget() wipes them (call it when a session ends).
 * Written in the Espruino subset. Assumes a little-endian host.
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";

declare var E: { convolve?: (a: ArrayLike<number>, b: ArrayLike<number>, offset: number) => number } | undefined;

export interface HmacKdf {
  hmac(key: Bytes, data: Bytes): Bytes;
  /** HKDF-Extract: HMAC(salt, ikm); an empty salt is the same as 32 zero bytes. */
  hkdfExtract(salt: Bytes, ikm: Bytes): Bytes;
  /** HKDF-Expand: length from 1 to 255 * 32; prk at least 32 bytes. */
  hkdfExpand(prk: Bytes, info: Bytes, length: number): Bytes;
  /** Wipes and drops every cached key pad. */
  forget(): void;
}

/** A SHA-256 that can stop after one block and resume (./sha256's sha256Mid and sha256Resume). */
export interface Sha256Midstate {
  mid(block: Bytes): Int32Array;
  resume(mid: Int32Array, data: Bytes): Bytes;
}

interface PadEntry {
  /** The key as used (hashed when longer than a block). */
  k: Bytes;
  /** sum of k[i]^2, for the comparison. */
  q: number;
  /** Native hash: ipad block (64 bytes). Midstate hash: state after the ipad block. */
  i: Uint8Array | Int32Array;
  /** Native hash: opad || room for the inner digest (96 bytes). Midstate hash: state after the opad block. */
  o: Uint8Array | Int32Array;
}

/** Four keys cover EDHOC's interleaving (PRK_3e2m, PRK_4e3m, PRK_out, PRK_exporter); each entry is about 200 bytes. */
var CACHE_SIZE = 4;
var MAX_EXPAND = 255 * 32;

/** sum of a[i] * b[i] over equal lengths: E.convolve's semantics with offset 0, for hosts and boards without it. */
function jsDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (var s = 0, i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}


function bad(what: string): Error {
  return perr("CRYPTO_BAD_INPUT", what + " must be a Uint8Array");
}

/**
 * cacheSize: how many keys' pads to keep (default 4; a DRBG, whose key changes on every
 * call, wants 1). midstate: give it when sha256 is the interpreted one.
 */
export function createHmacKdf(sha256: (d: Bytes) => Bytes, cacheSize?: number, midstate?: Sha256Midstate): HmacKdf {
  var size = cacheSize || CACHE_SIZE;
  var dot = typeof E !== "undefined" && E && typeof E.convolve === "function" ? E.convolve : jsDot;
  // typed-array fill() costs twice a set() in Espruino 2v29: wipe by copying zeros.
  var zero = new Uint8Array(96);
  var z64 = zero.subarray(0, 64);
  var zw = new Int32Array(8);
  var ms = midstate || null;
  var cache: PadEntry[] = [];
  var next = 0;
  // Constant pads, XORed with the key words on a miss.
  var ib = new Uint8Array(64);
  var ob = new Uint8Array(96);
  ib.fill(0x36);
  ob.fill(0x5c, 0, 64);

  function wipe(e: PadEntry): void {
    e.k.set(zero.subarray(0, e.k.length));
    if (ms) {
      (e.i as Int32Array).set(zw);
      (e.o as Int32Array).set(zw);
    } else {
      (e.i as Uint8Array).set(z64);
      (e.o as Uint8Array).set(zero);
    }
  }

  /** The cache entry for key, built on a miss. */
  function pads(key: Bytes): PadEntry {
    var i, e, w, q;
    // A key longer than a block is replaced by its hash (RFC 2104); that copy is wiped below.
    var long = key.length > 64;
    if (long) key = sha256(key);
    var n = key.length;
    for (i = 0; i < cache.length; i++) {
      e = cache[i];
      if (e.k.length !== n) continue;
      if (n === 0) return e;
      if (q === undefined) q = dot(key, key, 0);
      if (q + e.q - 2 * dot(key, e.k, 0) === 0) {
        if (long) key.set(z64.subarray(0, 32));
        return e;
      }
    }
    var kb = new Uint8Array(64);
    kb.set(key);
    var kw = new Int32Array(kb.buffer);
    var ip = new Uint8Array(ib);
    var op = new Uint8Array(ob);
    var ipw = new Int32Array(ip.buffer);
    var opw = new Int32Array(op.buffer);
    for (i = 0; i < (n + 3) >> 2; i++) {
      w = kw[i];
      ipw[i] = w ^ 0x36363636;
      opw[i] = w ^ 0x5c5c5c5c;
    }
    kb.set(z64);
    // E.convolve never returns on empty arrays (Espruino 2v29): an empty key has q = 0.
    e = { k: new Uint8Array(key), q: q !== undefined ? q : n ? dot(key, key, 0) : 0, i: ip as Uint8Array | Int32Array, o: op as Uint8Array | Int32Array };
    if (long) key.set(z64.subarray(0, 32));
    if (ms) {
      e.i = ms.mid(ip);
      e.o = ms.mid(op.subarray(0, 64));
      ip.set(z64);
      op.set(zero);
    }
    if (cache.length < size) cache.push(e);
    else {
      wipe(cache[next]);
      cache[next] = e;
      next = (next + 1) % size;
    }
    return e;
  }

  /**
   * HMAC of msg.subarray(off) under entry e. For a native hash, msg[off - 64, off) must be
   * free for the ipad (HKDF-Expand lays its buffer out that way); off = 0 copies msg once.
   */
  function mac(e: PadEntry, msg: Bytes, off: number): Bytes {
    if (ms) return ms.resume(e.o as Int32Array, ms.resume(e.i as Int32Array, msg.subarray(off)));
    var b = msg;
    if (off < 64) {
      b = new Uint8Array(64 + msg.length - off);
      b.set(msg.subarray(off), 64);
      off = 64;
    }
    b.set(e.i as Uint8Array, off - 64);
    var h = sha256(b.subarray(off - 64));
    b.set(z64, off - 64);
    var o = e.o as Uint8Array;
    o.set(h, 64);
    return sha256(o);
  }

  return {
    hmac: function (key, data) {
      if (!(key instanceof Uint8Array) || !(data instanceof Uint8Array)) throw bad("HMAC key and data");
      return mac(pads(key), data, 0);
    },
    hkdfExtract: function (salt, ikm) {
      if (!(salt instanceof Uint8Array) || !(ikm instanceof Uint8Array)) throw bad("HKDF salt and input key material");
      return mac(pads(salt), ikm, 0);
    },
    hkdfExpand: function (prk, info, length) {
      if (!(prk instanceof Uint8Array) || !(info instanceof Uint8Array)) throw bad("HKDF PRK and info");
      if (typeof length !== "number" || length !== Math.floor(length) || length < 1 || length > MAX_EXPAND) {
        throw perr("CRYPTO_BAD_LENGTH", "HKDF output length must be an integer from 1 to " + MAX_EXPAND);
      }
      if (prk.length < 32) throw perr("CRYPTO_BAD_KEY", "HKDF PRK must be at least 32 bytes");
      var e = pads(prk);
      // Layout: [ipad room (64) | T(i-1) (32) | info | counter]. T(0) is empty, so the
      // first block starts 32 bytes later and its ipad room overlaps the T slot.
      var il = info.length;
      var buf = new Uint8Array(96 + il + 1);
      buf.set(info, 96);
      buf[96 + il] = 1;
      var t = mac(e, buf, 96);
      if (length === 32) return t;
      if (length < 32) {
        // A copy, so the caller's buffer does not carry the rest of T(1).
        var r = t.slice(0, length);
        t.fill(0);
        return r;
      }
      var out = new Uint8Array(length);
      out.set(t, 0);
      for (var i = 2, o = 32; o < length; i++, o += 32) {
        buf.set(t, 64);
        buf[96 + il] = i;
        t = mac(e, buf, 64);
        out.set(length - o < 32 ? t.subarray(0, length - o) : t, o);
      }
      return out;
    },
    forget: function () {
      for (var i = 0; i < cache.length; i++) wipe(cache[i]);
      cache = [];
      next = 0;
    },
  };
}
