/**
 * Byte helpers shared by every layer. Written in the Espruino subset: no TextEncoder,
 * no Array.from, no spread; loops over indices instead of per-byte closures.
 */
import { perr } from "./errors";

export type Bytes = Uint8Array;

export var EMPTY: Bytes = new Uint8Array(0);

export function concat(parts: Bytes[]): Bytes {
  var n = 0;
  var i;
  for (i = 0; i < parts.length; i++) n += parts[i].length;
  var out = new Uint8Array(n);
  for (i = n = 0; i < parts.length; i++) {
    out.set(parts[i], n);
    n += parts[i].length;
  }
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
export var bytesEqual: (a: Bytes, b: Bytes) => boolean = ctEqual;

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

/** UTF-8 encoding by hand: Espruino has no TextEncoder. A lone surrogate is encoded as is (3 bytes). */
export function utf8Encode(s: string): Bytes {
  var out: number[] = [];
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    var d = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
      c = ((c - 0xd7c0) << 10) + (d & 0x3ff); // a surrogate pair
      i++;
    }
    // n continuation bytes; the lead byte is 0xc0, 0xe0 or 0xf0 with the top bits.
    var n = c < 0x80 ? 0 : c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
    out.push(n ? ((0xff00 >> (n + 1)) & 0xff) | (c >> (6 * n)) : c);
    while (n-- > 0) out.push(0x80 | ((c >> (6 * n)) & 63));
  }
  return new Uint8Array(out);
}

/** Strict UTF-8 decoding: overlong forms, surrogates and truncated sequences are errors. */
export function utf8Decode(b: Bytes): string {
  var s = "";
  for (var i = 0; i < b.length; ) {
    var c = b[i++];
    // n continuation bytes follow the lead byte; min is the smallest code point that needs them.
    var n = c < 0x80 ? 0 : c < 0xc0 ? -1 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : c < 0xf8 ? 3 : -1;
    var min = n < 2 ? n << 7 : n < 3 ? 0x800 : 0x10000;
    c &= 0x7f >> (n && n + 1);
    if (n < 0 || i + n > b.length) n = c = -1; // a bad lead byte or a truncated sequence
    for (; n > 0; n--) {
      var t = b[i++];
      c = c >= 0 && (t & 0xc0) === 0x80 ? (c << 6) | (t & 0x3f) : -1;
    }
    if (c < 0 || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) throw perr("BAD_UTF8", "invalid UTF-8");
    s += c < 0x10000 ? String.fromCharCode(c) : String.fromCharCode(0xd7c0 + (c >> 10), 0xdc00 + (c & 0x3ff));
  }
  return s;
}

/** Overwrites a secret buffer. JavaScript cannot promise that no copy remains, but this removes the one we hold. */
export function wipe(b: Bytes | null | undefined): void {
  if (b) b.fill(0);
}
