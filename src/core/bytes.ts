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
  var o = 0;
  for (i = 0; i < parts.length; i++) {
    out.set(parts[i], o);
    o += parts[i].length;
  }
  return out;
}

/** Equality for public values. Use the crypto provider's ctEqual for tags and MACs. */
export function bytesEqual(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Constant-time comparison: the time depends only on the lengths, never on the contents. */
export function ctEqual(a: Bytes, b: Bytes): boolean {
  var d = a.length ^ b.length;
  var n = a.length < b.length ? a.length : b.length;
  for (var i = 0; i < n; i++) d |= a[i] ^ b[i];
  return d === 0;
}

var HEX = "0123456789abcdef";

export function toHex(b: Bytes): string {
  var s = "";
  for (var i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

export function fromHex(s: string): Bytes {
  if (typeof s !== "string" || s.length % 2 !== 0) throw perr("BAD_HEX", "hex string must have an even length");
  var out = new Uint8Array(s.length / 2);
  for (var i = 0; i < out.length; i++) {
    var v = parseInt(s.substr(i * 2, 2), 16);
    if (!(v >= 0 && v <= 255) || !isHex(s.charCodeAt(i * 2)) || !isHex(s.charCodeAt(i * 2 + 1))) throw perr("BAD_HEX", "not a hex string");
    out[i] = v;
  }
  return out;
}

/** UTF-8 encoding by hand: Espruino has no TextEncoder. */
export function utf8Encode(s: string): Bytes {
  var out: number[] = [];
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      var c2 = s.charCodeAt(i + 1);
      if (c2 >= 0xdc00 && c2 <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (c2 - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

/** Strict UTF-8 decoding: overlong forms, surrogates and truncated sequences are errors. */
export function utf8Decode(b: Bytes): string {
  var s = "";
  var i = 0;
  while (i < b.length) {
    var c = b[i++];
    var n = 0;
    var min = 0;
    if (c < 0x80) {
      s += String.fromCharCode(c);
      continue;
    } else if ((c & 0xe0) === 0xc0) { n = 1; min = 0x80; c &= 0x1f; }
    else if ((c & 0xf0) === 0xe0) { n = 2; min = 0x800; c &= 0x0f; }
    else if ((c & 0xf8) === 0xf0) { n = 3; min = 0x10000; c &= 0x07; }
    else throw perr("BAD_UTF8", "invalid UTF-8 lead byte");
    if (i + n > b.length) throw perr("BAD_UTF8", "truncated UTF-8 sequence");
    for (var k = 0; k < n; k++) {
      var t = b[i++];
      if ((t & 0xc0) !== 0x80) throw perr("BAD_UTF8", "invalid UTF-8 continuation byte");
      c = (c << 6) | (t & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) throw perr("BAD_UTF8", "invalid UTF-8 code point");
    if (c >= 0x10000) {
      c -= 0x10000;
      s += String.fromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
    } else s += String.fromCharCode(c);
  }
  return s;
}

/** Overwrites a secret buffer. JavaScript cannot promise that no copy remains, but this removes the one we hold. */
export function wipe(b: Bytes | null | undefined): void {
  if (b) b.fill(0);
}
