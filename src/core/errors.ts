/**
 * Typed errors for every layer of pairkit.
 *
 * Espruino cannot run `class X extends Error` (it fails at `super(msg)`), so a pairkit
 * error is a plain `Error` carrying a stable `code`. Callers branch on `code`; `message`
 * is for people and never contains key material or other secrets (device builds drop it).
 */

export interface PairkitError extends Error {
  /** Stable machine-readable code, for example `CBOR_TRUNCATED`. */
  code: string;
  /** Optional non-secret detail (for example an EDHOC error code received from a peer). */
  detail?: unknown;
}

export function perr(code: string, message: string, detail?: unknown): PairkitError {
  var e = new Error(message) as PairkitError;
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
