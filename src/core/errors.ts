/**
 * Typed errors for every layer of pairkit.
 *
 * Espruino cannot run `class X extends Error` (it fails at `super(msg)`), so a pairkit
 * error is a plain `Error` carrying a stable `code`. Callers branch on `code`; `message`
 * is for people and never contains key material or other secrets (device builds drop it).
 *
 * On a device it is a plain object with the same `code` and `detail`, not an `Error`:
 * Espruino gives every `Error` the stack trace as a string (measured on 2v29: 28 variables
 * for an error made one call deep, 80 for one made inside the pairing controller's
 * callbacks, against 3 for the object), and an error lives for as long as the failure is
 * being handled, which is when a refused pairing peaks. Device builds have no messages and
 * nothing on a device reads a stack.
 */
import { DEVICE } from "./target";

export interface PairkitError extends Error {
  /** Stable machine-readable code, for example `CBOR_TRUNCATED`. */
  code: string;
  /** Optional non-secret detail (for example an EDHOC error code received from a peer). */
  detail?: unknown;
}

export function perr(code: string, message: string, detail?: unknown): PairkitError {
  var e = (DEVICE ? {} : new Error(message)) as PairkitError;
  e.code = code;
  if (detail !== undefined) e.detail = detail;
  return e;
}

export function isPairkitError(e: unknown): e is PairkitError {
  return typeof e === "object" && e !== null && typeof (e as PairkitError).code === "string";
}

/**
 * Normalises anything thrown inside a parser or a protocol step into a PairkitError, so
 * that callers never see a raw TypeError/RangeError coming from malformed input.
 */
export function asPairkitError(e: unknown, code: string): PairkitError {
  return isPairkitError(e) ? e : perr(code, "internal failure while processing input");
}
