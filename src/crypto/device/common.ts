/**
 * Small pieces shared by the device crypto modules.
 *
 * E.convolve(a, b, offset) = sum over i < a.length of a[i] * b[(i + offset) % b.length]
 * is Espruino's native dot product (src/jswrap_espruino.c). The device crypto calls it
 * directly, for the P-256 field multiplication (./p256) and for comparing HMAC keys
 * (./symmetric, ./sha256), so a device build must have it: every board in boards/ does
 * (only SAVE_ON_FLASH builds leave it out). jsConvolve is the same function in JavaScript
 * for hosts: tests install it with hostConvolve() before running device code in Node.
 * Device code never references either, so neither is in a firmware bundle.
 */
import { perr } from "../../core/errors";

/**
 * The device crypto's typed errors: perr("CRYPTO_" + code). One message for all (device
 * builds drop messages anyway); each call site says in a comment what it means.
 */
export function fail(code: string): Error {
  return perr("CRYPTO_" + code, "device crypto: CRYPTO_" + code);
}

/** E.convolve's semantics in JavaScript. */
export function jsConvolve(a: ArrayLike<number>, b: ArrayLike<number>, o: number): number {
  var l = b.length, s = 0;
  o %= l;
  if (o < 0) o += l;
  for (var i = 0; i < a.length; i++) {
    s += a[i] * b[o];
    if (++o === l) o = 0;
  }
  return s;
}

/** Installs jsConvolve as E.convolve on a host that has no E (tests); returns E. */
export function hostConvolve(): { convolve: typeof jsConvolve } {
  var g = globalThis as unknown as { E?: { convolve?: typeof jsConvolve } };
  if (!g.E) g.E = {};
  if (!g.E.convolve) g.E.convolve = jsConvolve;
  return g.E as { convolve: typeof jsConvolve };
}
