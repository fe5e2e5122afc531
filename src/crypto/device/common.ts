/**
 * Small pieces shared by the device crypto modules (and ../ccm).
 *
 * E.convolve(a, b, offset) = sum over i < a.length of a[i] * b[(i + offset) % b.length]
 * is Espruino's native dot product (src/jswrap_espruino.c). The device crypto calls it
 * directly, for the P-256 field multiplication (./p256) and for comparing HMAC keys
 * (./symmetric, ./sha256), so a device build must have it: every board in boards/ does
 * (only SAVE_ON_FLASH builds leave it out). jsConvolve is the same function in JavaScript
 * for hosts: tests install it with hostConvolve() before running device code in Node.
 * Device code never references either, so neither is in a firmware bundle; only U and I are.
 */
/**
 * Aliases of the typed-array constructors the device crypto allocates with. A bundle's
 * module-level names are Espruino globals, found by a scan of the root scope; a built-in
 * such as Uint8Array is found only after that whole scan fails. So the alias is both
 * shorter and found sooner.
 */
export var U = Uint8Array;
export var I = Int32Array;

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
