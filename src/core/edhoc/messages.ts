/**
 * EDHOC (RFC 9528) wire elements: connection identifiers, ID_CRED compact encoding, EAD
 * items, error messages and cipher suites. Hand-written over our CBOR because the same
 * code runs on Espruino. Every parser returns typed errors only.
 */
import { bytesEqual, concat, type Bytes } from "../bytes";
import { encHead, encode, readBstr, readHead, readInt, readRaw, peekMajor, atEnd, reader, readItem, type CborValue, type Reader } from "../cbor";
import { perr } from "../errors";

export interface EadItem {
  /** Negative labels are critical: a receiver that does not know them must abort. */
  label: number;
  value: Bytes | null;
}

/** Cipher suites pairkit implements: 0 (X25519, EdDSA) and 2 (P-256, ES256); both AES-CCM-16-64-128 and SHA-256. */
export function suiteEcdhCrv(suite: number): number {
  return suite === 2 ? 1 : suite === 0 ? 4 : -1;
}

export function suiteSigCrv(suite: number): number {
  return suite === 2 ? 1 : suite === 0 ? 6 : -1;
}

export var MAC_LEN = 8;
export var KEY_LEN = 16;
export var IV_LEN = 13;

/** Error codes of RFC 9528 section 6. */
export var ERR_UNSPECIFIED = 1;
export var ERR_WRONG_SUITE = 2;
export var ERR_UNKNOWN_CRED = 3;

/** True when a one-byte identifier is itself the CBOR encoding of an integer in -24..23. */
function isOneByteInt(id: Bytes): boolean {
  return id.length === 1 && (id[0] <= 0x17 || (id[0] >= 0x20 && id[0] <= 0x37));
}

/**
 * Connection identifiers and compact kids (RFC 9528 section 3.3.2): a byte string that is
 * the one-byte encoding of an integer in -24..23 is sent as that integer.
 */
export function encodeIdBytes(id: Bytes): Bytes {
  return isOneByteInt(id) ? id : concat([encHead(2, id.length), id]);
}

/** Reads a connection identifier or compact kid and returns its raw byte-string value. */
export function readIdBytes(r: Reader): Bytes {
  var m = peekMajor(r);
  if (m === 0 || m === 1) {
    var s = r.p;
    var v = readInt(r);
    if (v < -24 || v > 23) throw perr("EDHOC_MALFORMED", "integer identifier outside -24..23");
    return r.b.slice(s, r.p);
  }
  var b = readBstr(r);
  if (isOneByteInt(b)) throw perr("EDHOC_MALFORMED", "identifier must use its integer encoding");
  return b;
}

/** Full ID_CRED map for a kid: {4: kid}. */
export function idCredKid(kid: Bytes): Bytes {
  return concat([new Uint8Array([0xa1, 0x04]), encHead(2, kid.length), kid]);
}

export interface IdCredInfo {
  /** kid when ID_CRED = {4: kid}. */
  kid: Bytes | null;
  /** Label of a by-value credential (14 kccs, 13 kcwt, ...), else 0. */
  label: number;
  /** Encoded credential carried by value (for kccs and kcwt, CRED_x is exactly these bytes). */
  value: Bytes | null;
}

/** Decodes an ID_CRED map (full form) into kid or by-value parts. Other labels (x5t, ...) are left to the application. */
export function parseIdCred(idCred: Bytes): IdCredInfo {
  var r = reader(idCred);
  if (readHead(r) !== 5) throw perr("EDHOC_MALFORMED", "ID_CRED is not a map");
  var n = r.n;
  var res: IdCredInfo = { kid: null, label: 0, value: null };
  for (var i = 0; i < n; i++) {
    var k = readInt(r);
    var raw = readRaw(r);
    if (k === 4) {
      if (raw.length === 0 || raw[0] >> 5 !== 2) throw perr("EDHOC_MALFORMED", "kid must be a byte string");
      res.kid = readBstr(reader(raw));
    } else if (k === 13 || k === 14) {
      res.label = k;
      res.value = raw;
    }
  }
  if (!atEnd(r)) throw perr("EDHOC_MALFORMED", "bytes after ID_CRED");
  return res;
}

/** The form of ID_CRED that travels inside PLAINTEXT_2/3: only the kid when the map is exactly {4: kid}. */
export function compactIdCred(idCred: Bytes): Bytes {
  var info = parseIdCred(idCred);
  if (info.kid && bytesEqual(idCred, idCredKid(info.kid))) return encodeIdBytes(info.kid);
  return idCred;
}

/** Reads ID_CRED from a plaintext (compact kid or a map) and returns the full map encoding. */
export function readIdCred(r: Reader): Bytes {
  var m = peekMajor(r);
  if (m === 5) return new Uint8Array(readRaw(r));
  if (m === 0 || m === 1 || m === 2) return idCredKid(readIdBytes(r));
  throw perr("EDHOC_MALFORMED", "ID_CRED has the wrong type");
}

export function encodeEad(items: EadItem[] | null | undefined): Bytes {
  if (!items || items.length === 0) return new Uint8Array(0);
  var parts: Bytes[] = [];
  for (var i = 0; i < items.length; i++) {
    parts.push(encode(items[i].label));
    var v = items[i].value;
    if (v) parts.push(encode(v));
  }
  return concat(parts);
}

/**
 * Reads EAD items up to the end of the input. Padding (label 0) and unknown non-critical
 * items are dropped; an unknown critical item (negative label) aborts the handshake.
 */
export function readEad(r: Reader, known: number[] | null | undefined): EadItem[] {
  var out: EadItem[] = [];
  while (!atEnd(r)) {
    var label = readInt(r);
    var value: Bytes | null = null;
    if (peekMajor(r) === 2) value = readBstr(r);
    var isKnown = !!known && known.indexOf(label < 0 ? -label : label) >= 0;
    if (isKnown) out.push({ label: label, value: value });
    else if (label < 0) throw perr("EDHOC_EAD_CRITICAL", "unknown critical EAD item " + label);
  }
  return out;
}

/** An EDHOC error message: (ERR_CODE, ERR_INFO). */
export function errorMessage(code: number, info: CborValue): Bytes {
  return concat([encode(code), encode(info)]);
}

export interface PeerError {
  code: number;
  info: CborValue;
}

/**
 * Recognises an EDHOC error message (it starts with an integer where a message_2/3/4
 * starts with a byte string). Returns null when the input is not an error message.
 */
export function parseErrorMessage(b: Bytes): PeerError | null {
  var r = reader(b);
  var m = peekMajor(r);
  if (m !== 0 && m !== 1) return null;
  var code = readInt(r);
  var info = atEnd(r) ? null : readItem(r);
  if (!atEnd(r)) throw perr("EDHOC_MALFORMED", "bytes after the error message");
  if (code === ERR_UNSPECIFIED && typeof info !== "string") throw perr("EDHOC_MALFORMED", "ERR_CODE 1 needs a text");
  if (code === ERR_WRONG_SUITE && typeof info !== "number" && !Array.isArray(info)) throw perr("EDHOC_MALFORMED", "ERR_CODE 2 needs SUITES_R");
  return { code: code, info: info };
}

/** Reads SUITES_I / SUITES_R: an int, or an array of at least two ints. */
export function readSuites(r: Reader): number[] {
  var m = peekMajor(r);
  if (m === 0 || m === 1) return [readInt(r)];
  if (readHead(r) !== 4 || r.n < 2 || r.n > 16) throw perr("EDHOC_MALFORMED", "SUITES must be an int or an array of 2 to 16 ints");
  var n = r.n;
  var out: number[] = [];
  for (var i = 0; i < n; i++) out.push(readInt(r));
  return out;
}

export function encodeSuites(s: number[]): Bytes {
  return encode(s.length === 1 ? s[0] : s);
}
