/**
 * EDHOC (RFC 9528) wire elements: connection identifiers, ID_CRED compact encoding, EAD
 * items, error messages (received ones are read where messages are, in edhoc.ts) and
 * cipher suites. Hand-written over our CBOR because the same code runs on Espruino. Every
 * parser returns typed errors only.
 */
import { type Bytes } from "../bytes";
import { cmap, encode, encodeSeq, peekMajor, readAs, readRaw, reader, type CborValue, type Reader } from "../cbor";
import { perr } from "../errors";
import { DEVICE } from "../target";
import { ERR_UNKNOWN_CRED, ERR_UNSPECIFIED, ERR_WRONG_SUITE, IV_LEN, KEY_LEN, MAC_LEN } from "./consts";
import { HDR_ISSUER_CWT } from "../cred/consts";

export interface EadItem {
  /** Negative labels are critical: a receiver that does not know them must abort. */
  label: number;
  value: Bytes | null;
}

/**
 * Cipher suites pairkit implements: 0 (X25519, EdDSA; host only: a device's secure
 * element does P-256) and 2 (P-256, ES256); both AES-CCM-16-64-128 and SHA-256. The COSE
 * curve of a suite's ECDH (sig false) or signature (sig true) key; -1 for other suites.
 */
export function suiteCrv(suite: number, sig: boolean): number {
  return suite === 2 ? 1 : DEVICE || suite !== 0 ? -1 : sig ? 6 : 4;
}

export { ERR_UNKNOWN_CRED, ERR_UNSPECIFIED, ERR_WRONG_SUITE, IV_LEN, KEY_LEN, MAC_LEN };

/**
 * Connection identifiers and compact kids (RFC 9528 section 3.3.2): a byte string that is
 * the one-byte encoding of an integer in -24..23 is sent as that integer (the identifier
 * itself is returned then), any other as a byte string.
 */
export function encodeIdBytes(id: Bytes): Bytes {
  // 0x00..0x17 and 0x20..0x37: the byte without bit 5 (major type 1's) is below 0x18.
  return id.length === 1 && (id[0] & 0xdf) < 0x18 ? id : encode(id);
}

/** Reads a connection identifier or compact kid and returns its raw byte-string value. */
export function readIdBytes(r: Reader): Bytes {
  var s = r.p;
  var int = peekMajor(r) < 2;
  var v: any = readAs(r, int ? -1 : 2);
  var b = int ? r.b.subarray(s, r.p) : v;
  if (int ? v < -24 || v > 23 : encodeIdBytes(b) === b) throw perr("EDHOC_MALFORMED", "identifier outside -24..23, or a byte string that must use its integer encoding");
  return new Uint8Array(b);
}

/** Full ID_CRED map for a kid: {4: kid}. */
export function idCredKid(kid: Bytes): Bytes {
  return encode(cmap([4], [kid]));
}

export interface IdCredInfo {
  /** kid when ID_CRED = {4: kid}. */
  kid: Bytes | null;
  /** Label of a by-value credential (14 kccs, 13 kcwt, ...), else 0. */
  label: number;
  /** Encoded credential carried by value (for kccs and kcwt, CRED_x is exactly these bytes). */
  value: Bytes | null;
  /** pairkit's -65537: the issuing intermediate CA's CWT sent along with a kcwt (docs/credentials.md). */
  issuer: Bytes | null;
  /** Entries not taken: other labels (x5t, ...), repeated ones. */
  other: number;
}

/**
 * Decodes an ID_CRED map (full form) into kid or by-value parts; other labels (x5t, ...)
 * are left to the application. The first entry of each kind counts. `det`: in
 * deterministic encoding only. Values are views into idCred.
 */
export function parseIdCred(idCred: Bytes, det?: boolean): IdCredInfo {
  var r = reader(idCred, det);
  var res: IdCredInfo = { kid: null, label: 0, value: null, issuer: null, other: 0 };
  // NaN when not a map: the loop is skipped and the check after it fails.
  for (var n = peekMajor(r) === 5 ? readAs(r, 5) : NaN; n > 0; n--) {
    var k = readAs(r, -1);
    var s = r.p;
    var raw = readRaw(r);
    if (k === 4 && !res.kid) {
      if (raw[0] >> 5 !== 2) throw perr("EDHOC_MALFORMED", "kid must be a byte string");
      r.p = s;
      res.kid = new Uint8Array(readAs(r, 2));
    } else if ((k === 13 || k === 14) && !res.value) {
      res.label = k;
      res.value = raw;
    } else if (k === HDR_ISSUER_CWT && !res.issuer) res.issuer = raw;
    else res.other++;
  }
  if (n !== 0 || r.p < idCred.length) throw perr("EDHOC_MALFORMED", "ID_CRED is not a map, or bytes follow it");
  return res;
}

/** EAD items as a CBOR sequence (empty for none). */
export function encodeEad(items: EadItem[] | null | undefined): Bytes {
  var parts: CborValue[] = [];
  for (var i = 0; items && i < items.length; i++) {
    parts.push(items[i].label);
    if (items[i].value) parts.push(items[i].value);
  }
  return encodeSeq(parts);
}

/**
 * Reads EAD items up to the end of the input. Padding (label 0) and unknown non-critical
 * items are dropped; an unknown critical item (negative label) aborts the handshake.
 */
export function readEad(r: Reader, known: number[] | null | undefined): EadItem[] {
  var out: EadItem[] = [];
  while (r.p < r.b.length) {
    var label = readAs(r, -1);
    var value = peekMajor(r) === 2 ? new Uint8Array(readAs(r, 2)) : null;
    if (known && known.indexOf(label < 0 ? -label : label) >= 0) out.push({ label: label, value: value });
    else if (label < 0) throw perr("EDHOC_EAD_CRITICAL", "unknown critical EAD item " + label);
  }
  return out;
}

/** An EDHOC error message: (ERR_CODE, ERR_INFO). */
export function errorMessage(code: number, info: CborValue): Bytes {
  return encodeSeq([code, info]);
}
