/**
 * Byte helpers shared by every layer. Written in the Espruino subset: no TextEncoder,
 * no Array.from, no spread; loops over indices instead of per-byte closures.
 */
import { perr } from "./errors";

export type Bytes = Uint8Array;

export var EMPTY: Bytes = new Uint8Array(0);

export function concat(parts: Bytes[]): Bytes {
  var n = 0;
  var i = 0;
  while (i < parts.length) n += parts[i++].length;
  var out = new Uint8Array(n);
  for (i = n = 0; i < parts.length; n += parts[i++].length) out.set(parts[i], n);
  return out;
}

/** Constant-time comparison: the time depends only on the lengths, never on the contents. */
export function ctEqual(a: Bytes, b: Bytes): boolean {
  var d = a.length ^ b.length;
  var n = a.length < b.length ? a.length : b.length;
  for (var i = 0; i < n; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/**
 * Equality of public values. The constant-time comparison itself: one function fewer on a
 * device, and the values compared (kids, credentials) are a few hundred bytes at most.
 */
export { ctEqual as bytesEqual };

var HEX = "0123456789abcdef";

export function toHex(b: Bytes): string {
  var s = "";
  for (var i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

export function fromHex(s: string): Bytes {
  if (typeof s !== "string" || s.length % 2 !== 0) throw perr("BAD_HEX", "hex string must have an even length");
  var out = new Uint8Array(s.length / 2);
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    var l = c | 32; // A-F as a-f
    var v = c >= 48 && c <= 57 ? c - 48 : l >= 97 && l <= 102 ? l - 87 : -1;
    if (v < 0) throw perr("BAD_HEX", "not a hex string");
    out[i >> 1] = (out[i >> 1] << 4) | v;
  }
  return out;
}

/**
 * UTF-8 both ways, by hand (Espruino has no TextEncoder): a string is encoded, bytes are
 * decoded. One function, because decoding checks itself by encoding the code points it
 * read again: overlong forms, truncated sequences and stray continuation bytes never
 * re-encode to the same bytes, and a surrogate or a code point beyond U+10FFFF is read as
 * U+FFFF, which does not either. Encoding writes a lone surrogate as is (3 bytes).
 */
function utf8(x: string): Bytes;
function utf8(x: Bytes): string;
function utf8(x: string | Bytes): any {
  var str = typeof x === "string";
  var out: any = [];
  var s = "";
  var i = 0;
  var c, n;
  while (i < x.length) {
    if (str) {
      c = (x as string).charCodeAt(i++);
      if (c >> 10 === 54 && (x as string).charCodeAt(i) >> 10 === 55) c = ((c - 0xd7c0) << 10) + ((x as string).charCodeAt(i++) & 0x3ff); // a surrogate pair
    } else {
      c = (x as Bytes)[i++];
      // n continuation bytes follow the lead byte.
      n = c < 0xc0 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
      c &= 0x7f >> (n && n + 1);
      while (n-- > 0) c = (c << 6) | ((x as Bytes)[i++] & 63);
      if (c >> 11 === 27 || c > 0x10ffff) c = 0xffff;
      s += c < 0x10000 ? String.fromCharCode(c) : String.fromCharCode(0xd7c0 + (c >> 10), 0xdc00 + (c & 0x3ff));
    }
    // n continuation bytes; the lead byte is 0xc0, 0xe0 or 0xf0 with the top bits.
    n = c < 0x80 ? 0 : c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
    out.push(n ? ((0xff00 >> (n + 1)) & 0xff) | (c >> (6 * n)) : c);
    while (n-- > 0) out.push(0x80 | ((c >> (6 * n)) & 63));
  }
  out = new Uint8Array(out);
  if (str) return out;
  if (!ctEqual(out, x as Bytes)) throw perr("BAD_UTF8", "invalid UTF-8");
  return s;
}

/**
 * utf8Encode and utf8Decode are utf8 itself (re-exported, not variables holding it: on a device
 * a module variable stays resident). Decoding is strict: overlong forms, surrogates and
 * truncated sequences are errors.
 */
export { utf8 as utf8Encode, utf8 as utf8Decode };

/** Overwrites a secret buffer. JavaScript cannot promise that no copy remains, but this removes the one we hold. */
export function wipe(b: Bytes | null | undefined): void {
  if (b) b.fill(0);
}
