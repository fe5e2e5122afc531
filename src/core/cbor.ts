/**
 * CBOR (RFC 8949) for what EDHOC, COSE and CWT need, written by hand because it must run
 * on Espruino: no library fits the interpreter's subset and its memory.
 *
 * Supported: unsigned and negative integers of magnitude up to 2^53, byte and text
 * strings, arrays, maps, tags, false/true/null, CBOR sequences. Not supported (typed
 * error): floats, undefined and other simple values, indefinite lengths, integers
 * outside +-2^53.
 *
 * Encoding is deterministic (RFC 8949 section 4.2.1: shortest heads, map keys sorted by
 * their encoded bytes). Decoding is strict: every malformation is a PairkitError with a
 * CBOR_* code; in deterministic mode non-shortest heads and unsorted or duplicate map keys
 * are errors too.
 *
 * One decoder function, readAs, does everything: protocol parsers walk a known layout
 * with it without building a tree (`reader`, `readAs`, `peekMajor`, `readRaw`), and
 * `decode` uses it to build a tree of values (maps as CborMap). Few functions is what
 * keeps a device's variable count down.
 */
import { concat, utf8Decode, utf8Encode, type Bytes } from "./bytes";
import { perr } from "./errors";

/**
 * Deepest nesting accepted and produced. The code writes 8 (and 2^53 for the integer
 * range) as literals: constants of a module with imports stay variables on a device.
 */
export const MAX_DEPTH = 8;

/** A decoded map keeps key order and allows integer and text keys side by side. */
export interface CborMap {
  $map: 1;
  k: CborValue[];
  v: CborValue[];
}

export interface CborTag {
  $tag: number;
  v: CborValue;
}

export type CborValue = number | string | boolean | null | Bytes | CborValue[] | CborMap | CborTag;

export function cmap(keys: CborValue[], values: CborValue[]): CborMap {
  return { $map: 1, k: keys, v: values };
}

export function isMap(x: unknown): x is CborMap {
  return typeof x === "object" && x !== null && (x as CborMap).$map === 1;
}

/** Looks up an integer or text key; undefined when absent. */
export function mapGet(m: CborMap, key: number | string): CborValue | undefined {
  var i = m.k.indexOf(key);
  return i < 0 ? undefined : m.v[i];
}

// ---------------------------------------------------------------------------------------
// Encoding

/** The head of an item: major type and argument (at most 2^53), in the shortest form. */
export function encHead(major: number, n: number): Bytes {
  var len = n < 24 ? 0 : n < 256 ? 1 : n < 65536 ? 2 : n < 4294967296 ? 4 : 8;
  var h = new Uint8Array(len + 1);
  // Additional information: the value itself, or 24..27 for 1, 2, 4 or 8 bytes of argument.
  h[0] = (major << 5) | (len ? 24 + (len >> 1) - (len >> 3) : n);
  for (; len > 0; len--) {
    h[len] = n % 256;
    n = Math.floor(n / 256);
  }
  return h;
}

/** Bytewise lexicographic order, shorter first on a common prefix. */
function cmpBytes(a: Bytes, b: Bytes): number {
  var n = a.length < b.length ? a.length : b.length;
  for (var i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Deterministic encoding of one item. `depth` is internal (the nesting of `v`). */
export function encode(v: CborValue, depth?: number): Bytes;
export function encode(v: any, depth?: number): Bytes {
  var d = (depth || 0) + 1;
  if (d > 9) throw perr("CBOR_DEPTH", "CBOR nesting deeper than 8");
  var out: Bytes[], i, e: any[];
  if (typeof v === "number") {
    if (v !== Math.floor(v) || Math.abs(v) > 9007199254740992) throw perr("CBOR_UNSUPPORTED", "only integers up to 2^53 can be encoded");
    return v < 0 ? encHead(1, -1 - v) : encHead(0, v);
  }
  if (typeof v === "boolean" || v === null) return encHead(7, v ? 21 : v === null ? 22 : 20);
  var text = typeof v === "string";
  if (text) v = utf8Encode(v);
  if (v instanceof Uint8Array) out = [encHead(text ? 3 : 2, v.length), v];
  else if (Array.isArray(v)) {
    out = [encHead(4, v.length)];
    for (i = 0; i < v.length; i++) out.push(encode(v[i], d));
  } else if (v && v.$map === 1) {
    if (v.k.length !== v.v.length) throw perr("CBOR_UNSUPPORTED", "map keys and values differ in number");
    // Deterministic order: entries sorted by their keys' encoded bytes.
    e = [];
    for (i = 0; i < v.k.length; i++) e.push([encode(v.k[i]), v.v[i]]);
    e.sort(function (a, b) { return cmpBytes(a[0], b[0]); });
    out = [encHead(5, e.length)];
    for (i = 0; i < e.length; i++) {
      if (i && !cmpBytes(e[i - 1][0], e[i][0])) throw perr("CBOR_DUP_KEY", "duplicate map key");
      out.push(e[i][0], encode(e[i][1], d));
    }
  } else if (v && typeof v.$tag === "number") out = [encHead(6, v.$tag), encode(v.v, d)];
  else throw perr("CBOR_UNSUPPORTED", "value cannot be encoded as CBOR");
  return concat(out);
}

/** A CBOR sequence (RFC 8742): items one after another, no enclosing array. */
export function encodeSeq(items: CborValue[]): Bytes {
  var out: Bytes[] = [];
  for (var i = 0; i < items.length; i++) out.push(encode(items[i]));
  return concat(out);
}

// ---------------------------------------------------------------------------------------
// Decoding

export interface Reader {
  b: Bytes;
  /** Read position. */
  p: number;
  /** Deterministic mode: shortest heads and sorted, unique map keys are required. */
  det: boolean;
}

export function reader(b: Bytes, det?: boolean): Reader {
  if (!(b instanceof Uint8Array)) throw perr("CBOR_TYPE", "CBOR input must be bytes");
  return { b: b, p: 0, det: !!det };
}

/** Major type of the next item without consuming it; -1 at the end of the input. */
export function peekMajor(r: Reader): number {
  return r.p < r.b.length ? r.b[r.p] >> 5 : -1;
}

/**
 * Reads the next item, which must have major type `want` (-1: an integer of either sign;
 * 6 and 7 return the tag number or the simple value 20..22, nothing more). With `key`,
 * reads a map entry of a layout known in advance instead: the key must be `key` and the
 * value of type `want`. Returns the integer, a byte string as a view into the input (copy
 * it to keep it apart), a text string, or for an array or a map its number of items,
 * bounded by the input left.
 *
 * Whole items of any type: `want` 8 builds the value (byte strings copied, maps as
 * CborMap); `want` omitted checks the item by every rule and returns its encoded bytes (a
 * view into the input: readRaw); 9 only checks it. Then `key` is the nesting depth.
 */
export function readAs(r: Reader): Bytes;
export function readAs(r: Reader, want: 2, key?: number): Bytes;
export function readAs(r: Reader, want: 3, key?: number): string;
export function readAs(r: Reader, want: 8 | 9, depth?: number): CborValue;
export function readAs(r: Reader, want: number, key?: number): number;
export function readAs(r: Reader, want?: number, key?: number): any {
  var b = r.b;
  var p = r.p;
  var major, n: any, len, m: any, i, x, prev;
  if (!(want! < 8)) {
    // A whole item; a map key is always built, to find duplicates.
    if (key! > 8) throw perr("CBOR_DEPTH", "CBOR nesting deeper than 8");
    major = peekMajor(r);
    n = readAs(r, major < 2 ? -1 : major);
    len = want === 8 ? 8 : 9; // nested items: built only when this one is
    key = (key || 0) + 1;
    if (major === 2 && len === 8) n = new Uint8Array(n);
    if (major === 7) n = n === 20 ? false : n === 21 ? true : null;
    if (major === 6) n = { $tag: n, v: readAs(r, len, key) };
    if (major > 3 && major < 6) {
      m = major === 4 ? [] : cmap([], []);
      for (i = 0; i < n; i++) {
        if (major === 5) {
          x = r.p;
          var k = readAs(r, 8, key);
          if (typeof k !== "number" && typeof k !== "string") throw perr("CBOR_UNSUPPORTED", "map keys must be integers or text");
          x = b.subarray(x, r.p);
          if (m.k.indexOf(k) >= 0) throw perr("CBOR_DUP_KEY", "duplicate map key");
          if (r.det && prev && cmpBytes(prev, x) > 0) throw perr("CBOR_NON_CANONICAL", "map keys are not in deterministic order");
          prev = x;
          m.k.push(k);
        }
        x = readAs(r, len, key);
        if (major === 5) m.v.push(x);
        else if (len === 8) m.push(x);
      }
      n = m;
    }
    return want === undefined ? b.subarray(p, r.p) : n;
  }
  if (key !== undefined && readAs(r, -1) !== key) throw perr("CBOR_TYPE", "unexpected map key");
  p = r.p;
  var ib = b[p++]; // undefined at the end: then the length check below fails
  major = ib >> 5;
  n = ib & 31;
  if (n > 27) throw perr(n === 31 ? "CBOR_INDEFINITE" : "CBOR_RESERVED", "indefinite-length or reserved CBOR head");
  len = n > 23 ? 1 << (n - 24) : 0;
  if (p + len > b.length) throw perr("CBOR_TRUNCATED", "CBOR input ends within an item");
  if (major === 7 && (len || n < 20 || n > 22)) throw perr("CBOR_UNSUPPORTED", "CBOR floats, undefined and other simple values are not supported");
  if (len) {
    // Big-endian, at most 2^53 (2^53 - 1 for a negative integer's -1 - n): checked before
    // each step, so n stays exact in a double.
    for (n = 0; len > 0; len--) {
      if (n * 256 > 9007199254740992 - b[p] - +(major === 1)) throw perr("CBOR_INT_RANGE", "CBOR integer beyond 2^53");
      n = n * 256 + b[p++];
    }
    len = ib & 31;
    if (r.det && n < (len === 24 ? 24 : Math.pow(2, 4 << (len - 24)))) throw perr("CBOR_NON_CANONICAL", "CBOR head is not in its shortest form");
  }
  r.p = p;
  if (want! < 0 ? major > 1 : major !== want) throw perr("CBOR_TYPE", "unexpected CBOR type");
  if (major < 2) return major ? -1 - n : n;
  if (major > 5) return n;
  // Every item takes at least one byte (a map entry two): this bounds allocation by the input size.
  if ((major === 5 ? 2 * n : n) > b.length - p) throw perr("CBOR_LENGTH", "CBOR length beyond the input");
  if (major > 3) return n;
  r.p = p + n;
  b = b.subarray(p, p + n);
  return major === 2 ? b : utf8Decode(b);
}

/** Checks one item by every rule and returns its encoded bytes (a view into the input). */
export { readAs as readRaw };

/** Decodes exactly one item; anything after it is an error. */
export function decode(b: Bytes, det?: boolean): CborValue {
  var r = reader(b, det);
  var v = readAs(r, 8);
  if (r.p < b.length) throw perr("CBOR_TRAILING", "bytes after the CBOR item");
  return v;
}

/** Decodes a whole CBOR sequence. */
export function decodeSeq(b: Bytes, det?: boolean): CborValue[] {
  var r = reader(b, det);
  var out: CborValue[] = [];
  while (r.p < b.length) out.push(readAs(r, 8));
  return out;
}
