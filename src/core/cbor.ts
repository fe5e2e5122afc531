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
 */
import { concat, utf8Decode, utf8Encode, type Bytes } from "./bytes";
import { isPairkitError, perr } from "./errors";

export var MAX_DEPTH = 8;

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

export function isTag(x: unknown): x is CborTag {
  return typeof x === "object" && x !== null && typeof (x as CborTag).$tag === "number";
}

/** Looks up an integer or text key; undefined when absent. */
export function mapGet(m: CborMap, key: number | string): CborValue | undefined {
  for (var i = 0; i < m.k.length; i++) if (m.k[i] === key) return m.v[i];
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Encoding

var TWO32 = 4294967296;
var MAX_INT = 9007199254740992; // 2^53

/** The head of an item: major type and argument, in the shortest form. */
export function encHead(major: number, n: number): Bytes {
  var m = major << 5;
  if (n < 24) return new Uint8Array([m | n]);
  if (n < 256) return new Uint8Array([m | 24, n]);
  if (n < 65536) return new Uint8Array([m | 25, n >> 8, n & 255]);
  if (n < TWO32) return new Uint8Array([m | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
  var hi = Math.floor(n / TWO32);
  var lo = n - hi * TWO32;
  return new Uint8Array([m | 27, (hi >>> 24) & 255, (hi >> 16) & 255, (hi >> 8) & 255, hi & 255,
    (lo >>> 24) & 255, (lo >> 16) & 255, (lo >> 8) & 255, lo & 255]);
}

function encInto(v: CborValue, out: Bytes[], depth: number): void {
  if (depth > MAX_DEPTH) throw perr("CBOR_DEPTH", "CBOR nesting deeper than " + MAX_DEPTH);
  var i;
  if (typeof v === "number") {
    if (v !== Math.floor(v) || v > MAX_INT || v < -MAX_INT) throw perr("CBOR_UNSUPPORTED", "only integers up to 2^53 can be encoded");
    if (v >= 0) out.push(encHead(0, v));
    else out.push(encHead(1, -1 - v));
  } else if (typeof v === "string") {
    var s = utf8Encode(v);
    out.push(encHead(3, s.length));
    out.push(s);
  } else if (v === true) out.push(new Uint8Array([0xf5]));
  else if (v === false) out.push(new Uint8Array([0xf4]));
  else if (v === null) out.push(new Uint8Array([0xf6]));
  else if (v instanceof Uint8Array) {
    out.push(encHead(2, v.length));
    out.push(v);
  } else if (Array.isArray(v)) {
    out.push(encHead(4, v.length));
    for (i = 0; i < v.length; i++) encInto(v[i], out, depth + 1);
  } else if (isMap(v)) {
    if (v.k.length !== v.v.length) throw perr("CBOR_UNSUPPORTED", "map keys and values differ in number");
    // Deterministic order: keys sorted by their encoded bytes.
    var ents: { e: Bytes; i: number }[] = [];
    for (i = 0; i < v.k.length; i++) ents.push({ e: encode(v.k[i]), i: i });
    ents.sort(function (a, b) { return cmpBytes(a.e, b.e); });
    out.push(encHead(5, ents.length));
    for (i = 0; i < ents.length; i++) {
      if (i > 0 && cmpBytes(ents[i - 1].e, ents[i].e) === 0) throw perr("CBOR_DUP_KEY", "duplicate map key");
      out.push(ents[i].e);
      encInto(v.v[ents[i].i], out, depth + 1);
    }
  } else if (isTag(v)) {
    out.push(encHead(6, v.$tag));
    encInto(v.v, out, depth + 1);
  } else throw perr("CBOR_UNSUPPORTED", "value cannot be encoded as CBOR");
}

/** Bytewise lexicographic order, shorter first on a common prefix. */
export function cmpBytes(a: Bytes, b: Bytes): number {
  var n = a.length < b.length ? a.length : b.length;
  for (var i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function encode(v: CborValue): Bytes {
  var out: Bytes[] = [];
  encInto(v, out, 0);
  return out.length === 1 ? out[0] : concat(out);
}

/** A CBOR sequence (RFC 8742): items one after another, no enclosing array. */
export function encodeSeq(items: CborValue[]): Bytes {
  var out: Bytes[] = [];
  for (var i = 0; i < items.length; i++) encInto(items[i], out, 0);
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
  /** Argument of the last head read. */
  n: number;
}

export function reader(b: Bytes, det?: boolean): Reader {
  if (!(b instanceof Uint8Array)) throw perr("CBOR_TYPE", "CBOR input must be bytes");
  return { b: b, p: 0, det: !!det, n: 0 };
}

export function atEnd(r: Reader): boolean {
  return r.p >= r.b.length;
}

/**
 * Reads one head; returns the major type and leaves the argument in r.n. Major type 7
 * returns 7 with r.n set to the simple value (20..22 only).
 */
export function readHead(r: Reader): number {
  var b = r.b;
  if (r.p >= b.length) throw perr("CBOR_TRUNCATED", "CBOR input ends before an item");
  var ib = b[r.p++];
  var major = ib >> 5;
  var ai = ib & 31;
  var n: number;
  if (ai < 24) n = ai;
  else if (ai < 28) {
    var len = 1 << (ai - 24);
    if (r.p + len > b.length) throw perr("CBOR_TRUNCATED", "CBOR head truncated");
    if (len === 8) {
      var hi = ((b[r.p] << 24) >>> 0) + (b[r.p + 1] << 16) + (b[r.p + 2] << 8) + b[r.p + 3];
      var lo = ((b[r.p + 4] << 24) >>> 0) + (b[r.p + 5] << 16) + (b[r.p + 6] << 8) + b[r.p + 7];
      if ((hi > 0x200000 || (hi === 0x200000 && lo > 0)) && major !== 7) throw perr("CBOR_INT_RANGE", "CBOR integer beyond 2^53");
      n = hi * TWO32 + lo;
    } else {
      n = 0;
      for (var i = 0; i < len; i++) n = n * 256 + b[r.p + i];
    }
    r.p += len;
    if (major === 7) throw perr("CBOR_UNSUPPORTED", "CBOR floats and extended simple values are not supported");
    if (r.det && n < (len === 1 ? 24 : len === 2 ? 256 : len === 4 ? 65536 : TWO32)) throw perr("CBOR_NON_CANONICAL", "CBOR head is not in its shortest form");
  } else if (ai === 31) throw perr("CBOR_INDEFINITE", "indefinite-length CBOR is not allowed");
  else throw perr("CBOR_RESERVED", "reserved CBOR additional information");
  if (major === 7 && (n < 20 || n > 22)) throw perr("CBOR_UNSUPPORTED", "unsupported CBOR simple value");
  r.n = n;
  return major;
}

function readLen(r: Reader): number {
  if (r.n > r.b.length - r.p) throw perr("CBOR_LENGTH", "CBOR length beyond the input");
  return r.n;
}

function readValue(r: Reader, depth: number): CborValue {
  if (depth > MAX_DEPTH) throw perr("CBOR_DEPTH", "CBOR nesting deeper than " + MAX_DEPTH);
  var major = readHead(r);
  var n = r.n;
  var i;
  if (major === 0) return n;
  if (major === 1) {
    if (n >= MAX_INT) throw perr("CBOR_INT_RANGE", "CBOR integer beyond 2^53");
    return -1 - n;
  }
  if (major === 2 || major === 3) {
    readLen(r);
    var s = r.b.subarray(r.p, r.p + n);
    r.p += n;
    return major === 2 ? new Uint8Array(s) : utf8Decode(s);
  }
  if (major === 4) {
    // Every item takes at least one byte: this bounds allocation by the input size.
    readLen(r);
    var arr: CborValue[] = [];
    for (i = 0; i < n; i++) arr.push(readValue(r, depth + 1));
    return arr;
  }
  if (major === 5) {
    if (n > (r.b.length - r.p) / 2) throw perr("CBOR_LENGTH", "CBOR length beyond the input");
    var m = cmap([], []);
    var prev: Bytes | null = null;
    for (i = 0; i < n; i++) {
      var ks = r.p;
      var key = readValue(r, depth + 1);
      if (typeof key !== "number" && typeof key !== "string") throw perr("CBOR_UNSUPPORTED", "map keys must be integers or text");
      var kb = r.b.subarray(ks, r.p);
      if (prev) {
        var c = cmpBytes(prev, kb);
        if (c === 0) throw perr("CBOR_DUP_KEY", "duplicate map key");
        if (r.det && c > 0) throw perr("CBOR_NON_CANONICAL", "map keys are not in deterministic order");
      }
      if (!r.det) {
        for (var j = 0; j < m.k.length; j++) if (m.k[j] === key) throw perr("CBOR_DUP_KEY", "duplicate map key");
      }
      prev = kb;
      m.k.push(key);
      m.v.push(readValue(r, depth + 1));
    }
    return m;
  }
  if (major === 6) return { $tag: n, v: readValue(r, depth + 1) };
  return n === 20 ? false : n === 21 ? true : null;
}

/** Reads the next item of a sequence. */
export function readItem(r: Reader): CborValue {
  return readValue(r, 0);
}

/** Decodes exactly one item; anything after it is an error. */
export function decode(b: Bytes, det?: boolean): CborValue {
  var r = reader(b, det);
  var v = readItem(r);
  if (!atEnd(r)) throw perr("CBOR_TRAILING", "bytes after the CBOR item");
  return v;
}

/** Decodes a whole CBOR sequence. */
export function decodeSeq(b: Bytes, det?: boolean): CborValue[] {
  var r = reader(b, det);
  var out: CborValue[] = [];
  while (!atEnd(r)) out.push(readItem(r));
  return out;
}

/** Skips one item and returns its encoded bytes (a view into the input). */
export function readRaw(r: Reader): Bytes {
  var s = r.p;
  readValue(r, 0);
  return r.b.subarray(s, r.p);
}

/**
 * Runs a parser and converts any non-pairkit exception (a bug or an engine error on
 * hostile input) into a typed error, so callers only ever see PairkitErrors.
 */
export function guard<T>(code: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isPairkitError(e)) throw e;
    throw perr(code, "malformed input");
  }
}

// Typed readers used by protocol parsers.

export function readUint(r: Reader): number {
  if (readHead(r) !== 0) throw perr("CBOR_TYPE", "expected an unsigned integer");
  return r.n;
}

export function readInt(r: Reader): number {
  var major = readHead(r);
  if (major === 0) return r.n;
  if (major === 1 && r.n < MAX_INT) return -1 - r.n;
  throw perr("CBOR_TYPE", "expected an integer");
}

export function readBstr(r: Reader): Bytes {
  if (readHead(r) !== 2) throw perr("CBOR_TYPE", "expected a byte string");
  var n = readLen(r);
  var s = new Uint8Array(r.b.subarray(r.p, r.p + n));
  r.p += n;
  return s;
}

export function readTstr(r: Reader): string {
  if (readHead(r) !== 3) throw perr("CBOR_TYPE", "expected a text string");
  var n = readLen(r);
  var s = utf8Decode(r.b.subarray(r.p, r.p + n));
  r.p += n;
  return s;
}

/** Major type of the next item without consuming it; -1 at the end of the input. */
export function peekMajor(r: Reader): number {
  return r.p < r.b.length ? r.b[r.p] >> 5 : -1;
}
