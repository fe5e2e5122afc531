/**
 * COSE (RFC 9052) structures that EDHOC and pairkit's credentials use: the to-be-signed
 * Sig_structure, the AEAD associated data Enc_structure, and COSE_Sign1 itself.
 * Hand-written on top of our CBOR because it must run on Espruino. The device only needs
 * sigStructure1 and encStructure0 (its credential parser streams over the COSE_Sign1).
 */
import { EMPTY, type Bytes } from "./bytes";
import { cmap, decode, encode, isMap, mapGet, type CborMap, type CborTag, type CborValue } from "./cbor";
import { perr } from "./errors";

/** COSE header labels used by pairkit. */
export const HDR_ALG = 1;
export const HDR_KID = 4;
export const HDR_KCCS = 14;
export const HDR_KCWT = 13;

/** COSE tag for COSE_Sign1 (RFC 9052 section 4.2). */
export const TAG_SIGN1 = 18;

/** ["Signature1", protected, external_aad, payload] */
export function sigStructure1(protectedHdr: Bytes, externalAad: Bytes, payload: Bytes): Bytes {
  return encode(["Signature1", protectedHdr, externalAad, payload]);
}

/** ["Encrypt0", protected, external_aad] */
export function encStructure0(protectedHdr: Bytes, externalAad: Bytes): Bytes {
  return encode(["Encrypt0", protectedHdr, externalAad]);
}

export interface Sign1 {
  /** The serialized protected header exactly as received (it is signed over). */
  protectedHdr: Bytes;
  protectedMap: CborMap;
  unprotected: CborMap;
  payload: Bytes;
  signature: Bytes;
  alg: number;
}

/** Builds the serialized protected header {1: alg}. */
export function protectedAlg(alg: number): Bytes {
  return encode(cmap([HDR_ALG], [alg]));
}

export function sign1Encode(protectedHdr: Bytes, unprotected: CborMap | null, payload: Bytes, signature: Bytes): Bytes {
  return encode([protectedHdr, unprotected || cmap([], []), payload, signature]);
}

/**
 * Parses a COSE_Sign1 (untagged, or tagged 18). Structure errors are typed COSE_MALFORMED;
 * the signature itself is checked by the caller through its crypto provider.
 */
export function sign1Decode(b: Bytes): Sign1 {
  var v: CborValue = decode(b, true);
  var t = v as CborTag;
  if (t && typeof t.$tag === "number") {
    if (t.$tag !== TAG_SIGN1) throw perr("COSE_MALFORMED", "unexpected CBOR tag on COSE_Sign1");
    v = t.v;
  }
  if (!Array.isArray(v) || v.length !== 4) throw perr("COSE_MALFORMED", "COSE_Sign1 must be an array of 4");
  var ph = v[0], uh = v[1], pl = v[2], sig = v[3];
  if (!(ph instanceof Uint8Array) || !isMap(uh) || !(pl instanceof Uint8Array) || !(sig instanceof Uint8Array))
    throw perr("COSE_MALFORMED", "COSE_Sign1 fields have the wrong types");
  var pm = ph.length === 0 ? cmap([], []) : decode(ph, true);
  if (!isMap(pm)) throw perr("COSE_MALFORMED", "protected header is not a map");
  var alg = mapGet(pm, HDR_ALG);
  if (typeof alg !== "number") throw perr("COSE_MALFORMED", "protected header lacks an algorithm");
  return { protectedHdr: ph, protectedMap: pm, unprotected: uh, payload: pl, signature: sig, alg: alg };
}

/** The bytes a COSE_Sign1 signature covers (no external AAD). */
export function sign1ToBeSigned(s: Sign1): Bytes {
  return sigStructure1(s.protectedHdr, EMPTY, s.payload);
}
