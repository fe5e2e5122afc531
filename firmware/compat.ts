/**
 * Espruino 2v29's Uint8Array.prototype.slice returns a plain Array (measured), which breaks
 * `instanceof Uint8Array`, `.subarray` and `.set` on the result. Shared code is written for
 * standard JavaScript, so the firmware restores the standard behaviour once at boot.
 *
 * Device code: Espruino subset. Imported first by main.ts.
 */
if (!(new Uint8Array(1).slice(0) instanceof Uint8Array)) {
  Uint8Array.prototype.slice = function (this: Uint8Array, a?: number, b?: number) {
    return new Uint8Array(this.subarray(a, b));
  } as Uint8Array["slice"];
}
