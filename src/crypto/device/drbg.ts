/**
 * HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1, section 10.1.2), no prediction
 * resistance, for devices.
 *
 * Why a DRBG on a device: E.hwRand() is one 32-bit word per call (and on the Linux build
 * it is the C library's unseeded rand(), the same sequence in every process), and the
 * ATECC608's Random command is an asynchronous I2C transaction of 23 ms. The caller
 * gathers entropy once (hardware words and secure-element output, concatenated) and this
 * generator stretches it synchronously; reseeding takes fresh entropy the same way.
 *
 * It runs over any HMAC-SHA-256 function. K changes on every update, so give it an HMAC
 * instance of its own with a one-entry pad cache (the provider does) rather than the one
 * that caches EDHOC's PRKs: a request then computes pads twice and hits the cache once.
 *
 * Written in the Espruino subset.
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";

/** SP 800-90A: entropy input at least the security strength (256 bits). */
export var DRBG_MIN_ENTROPY = 32;
/** SP 800-90A allows 2^48 requests between reseeds; a device reseeds far sooner. */
export var DRBG_RESEED_INTERVAL = 1 << 20;
/** SP 800-90A limit per request: 2^19 bits. */
var MAX_REQUEST = 65536;
var MAX_INPUT = 4096;

export interface Drbg {
  /** Mixes in fresh entropy (at least 32 bytes) and optional additional input; resets the counter. */
  reseed(entropy: Bytes, additional?: Bytes): void;
  /**
   * n pseudorandom bytes (0 to 65536). Throws CRYPTO_DRBG_RESEED once the reseed interval
   * is used up: the caller reseeds and asks again.
   */
  generate(n: number, additional?: Bytes): Bytes;
  /** Zeroes the state; every later call fails. */
  destroy(): void;
}

function check(x: Bytes | undefined, what: string, min: number): void {
  if (x === undefined && min === 0) return;
  if (!(x instanceof Uint8Array)) throw perr("CRYPTO_BAD_INPUT", what + " must be a Uint8Array");
  if (x.length < min || x.length > MAX_INPUT) throw perr("CRYPTO_BAD_LENGTH", what + " must be " + min + " to " + MAX_INPUT + " bytes");
}

/**
 * Instantiate (SP 800-90A 10.1.2.3): seed material = entropy || nonce || personalization.
 * hmac is HMAC-SHA-256; interval overrides the reseed interval (tests).
 */
export function createDrbg(hmac: (key: Bytes, data: Bytes) => Bytes, entropy: Bytes, nonce: Bytes, personalization?: Bytes, interval?: number): Drbg {
  check(entropy, "DRBG entropy", DRBG_MIN_ENTROPY);
  check(nonce, "DRBG nonce", 0);
  check(personalization, "DRBG personalization", 0);
  var limit = interval || DRBG_RESEED_INTERVAL;
  var K: Bytes = new Uint8Array(32);
  var V: Bytes = new Uint8Array(32);
  V.fill(1);
  var counter = 1;
  var live = true;

  /** HMAC_DRBG_Update (10.1.2.2) with provided data given as up to three parts. */
  function update(a: Bytes | undefined, b: Bytes | undefined, c: Bytes | undefined): void {
    var al = a ? a.length : 0, bl = b ? b.length : 0, cl = c ? c.length : 0;
    var m = new Uint8Array(33 + al + bl + cl);
    for (var r = 0; r < 2; r++) {
      m.set(V, 0);
      m[32] = r;
      if (a) m.set(a, 33);
      if (b) m.set(b, 33 + al);
      if (c) m.set(c, 33 + al + bl);
      var k = hmac(K, m);
      K.fill(0);
      K = k;
      V = hmac(K, V);
      if (al + bl + cl === 0) break;
    }
    m.fill(0);
  }

  update(entropy, nonce, personalization);

  return {
    reseed: function (e, add) {
      if (!live) throw perr("CRYPTO_DRBG_DEAD", "DRBG was destroyed");
      check(e, "DRBG entropy", DRBG_MIN_ENTROPY);
      check(add, "DRBG additional input", 0);
      update(e, add, undefined);
      counter = 1;
    },
    generate: function (n, add) {
      if (!live) throw perr("CRYPTO_DRBG_DEAD", "DRBG was destroyed");
      if (typeof n !== "number" || n !== Math.floor(n) || n < 0 || n > MAX_REQUEST) throw perr("CRYPTO_BAD_LENGTH", "random length must be an integer from 0 to " + MAX_REQUEST);
      check(add, "DRBG additional input", 0);
      if (counter > limit) throw perr("CRYPTO_DRBG_RESEED", "DRBG needs fresh entropy");
      if (add && add.length) update(add, undefined, undefined);
      var out = new Uint8Array(n);
      for (var o = 0; o < n; o += 32) {
        V = hmac(K, V);
        out.set(n - o < 32 ? V.subarray(0, n - o) : V, o);
      }
      update(add && add.length ? add : undefined, undefined, undefined);
      counter++;
      return out;
    },
    destroy: function () {
      K.fill(0);
      V.fill(0);
      live = false;
    },
  };
}
