/**
 * pairkit manufacturer credentials: a CWT (RFC 8392) that is an untagged COSE_Sign1
 * (ES256) by a manufacturer CA over a claims set whose `cnf` claim (RFC 8747) holds the
 * subject's P-256 COSE_Key. Layout (docs/credentials.md has the byte counts):
 *
 *   [ << {1: -7, 4: h'issuer kid'} >>,     protected: ES256 and the issuer's kid
 *     {},                                  unprotected: always empty
 *     << {1: iss, 2: sub, 6: iat,
 *         8: {1: {1: 2, 2: h'kid', -1: 1, -2: h'x', -3: h'y'}},
 *         -1: role, -2: model  (devices, apps) | -1: 3, -3: pathLen  (CAs)} >>,
 *     h'r || s' ]
 *
 * Strings (iss, sub, model) are printable ASCII; kids are the first 4 bytes of
 * SHA-256(x || y). Encoding is deterministic CBOR, and parsing insists on it, so the
 * bytes of a credential (EDHOC's CRED_x) are a function of its content.
 *
 * The same signed envelope (protected {1: -7, 4: kid}, empty unprotected, 64-byte
 * signature) carries deny lists; a credential's payload is a map and a deny list's an
 * array, so one can never be taken for the other.
 *
 * Espruino subset: no Map/Set, no spread, no async; few, larger functions.
 */
import { EMPTY, type Bytes } from "../bytes";
import { cmap, decode, encode, isMap, mapGet, type CborMap, type CborValue } from "../cbor";
import { sigStructure1, sign1Decode } from "../cose";
import { isPairkitError, perr, type PairkitError } from "../errors";
import type { CryptoProvider } from "../../crypto/provider";

/** CWT claim keys (RFC 8392, RFC 8747). */
export var CLAIM_ISS = 1;
export var CLAIM_SUB = 2;
export var CLAIM_IAT = 6;
export var CLAIM_CNF = 8;
/**
 * pairkit's own claims. One-byte keys, unregistered in IANA's CWT registry: the private-use
 * range (below -65536) costs five bytes a key, 12 bytes of a 200-byte budget
 * (docs/credentials.md). Only pairkit verifiers interpret these credentials.
 */
export var CLAIM_ROLE = -1;
export var CLAIM_MODEL = -2;
export var CLAIM_PATH_LEN = -3;

export var ROLE_DEVICE = 1;
export var ROLE_APP = 2;
export var ROLE_CA = 3;

export type Role = "device" | "app" | "ca";

/** Bytes of a kid: truncated SHA-256 of x || y (docs/credentials.md weighs the length). */
export var KID_LEN = 4;
/** A device credential must fit the budget of a device's storage and of one EDHOC message. */
export var MAX_DEVICE_CRED = 200;
/** Any credential (CA credentials carry longer names). */
export var MAX_CRED = 400;
/** Printable ASCII names: iss and sub at most 64 characters, model at most 32. */
export var MAX_NAME = 64;
export var MAX_MODEL = 32;
/** A chain is at most root -> one intermediate -> end entity, so path lengths are 0 or 1. */
export var MAX_PATH_LEN = 1;

/** The fields every signed pairkit object shares (credentials and deny lists). */
export interface Signed {
  /** The exact bytes received. For a credential these are EDHOC's CRED_x. */
  bytes: Bytes;
  /** Serialized protected header, as signed. */
  prot: Bytes;
  payload: Bytes;
  /** Raw ES256 signature r || s. */
  sig: Bytes;
  /** kid of the key that signed (protected header label 4). */
  issuerKid: Bytes;
}

export interface Credential extends Signed {
  iss: string;
  sub: string;
  /** Issued-at, seconds since 1970 (informational: devices have no trusted clock). */
  iat: number;
  role: Role;
  /** Device or app model; "" for CA credentials. */
  model: string;
  /** CA credentials: how many intermediate CAs may follow below this one; -1 otherwise. */
  pathLen: number;
  /** The subject key's kid (cnf COSE_Key label 2). */
  kid: Bytes;
  /** The subject's P-256 public key, 64 bytes x || y. */
  pub: Bytes;
}

/** What a CA puts into a credential (see encodeClaims). */
export interface CredentialClaims {
  iss: string;
  sub: string;
  iat: number;
  role: Role;
  model?: string;
  pathLen?: number;
  kid: Bytes;
  pub: Bytes;
}

var NAME_RE = /^[\x20-\x7e]+$/;

/** A printable-ASCII name of 1..max characters, or an error with `code`. */
export function checkName(v: unknown, max: number, what: string, code: string): string {
  if (typeof v !== "string" || v.length < 1 || v.length > max || !NAME_RE.test(v))
    throw perr(code, what + ": 1.." + max + " printable ASCII characters");
  return v;
}

/**
 * Parses the signed envelope shared by credentials and deny lists: an untagged COSE_Sign1
 * with protected header exactly {1: -7, 4: kid}, an empty unprotected header and a 64-byte
 * signature. Every failure is `code`.
 */
export function parseSigned(b: Bytes, maxLen: number, code: string): Signed {
  if (!(b instanceof Uint8Array)) throw perr(code, "expected bytes");
  if (b.length > maxLen) throw perr(code, "larger than " + maxLen + " bytes");
  // 0x84: an untagged array of four (the COSE_Sign1 tag 18 is not used).
  if (b[0] !== 0x84) throw perr(code, "not an untagged COSE_Sign1");
  try {
    var s = sign1Decode(b);
    var pm = s.protectedMap;
    var kid = mapGet(pm, 4);
    if (pm.k.length !== 2 || s.alg !== -7 || !(kid instanceof Uint8Array) || kid.length !== KID_LEN)
      throw perr(code, "protected header is not {1: -7, 4: kid}");
    if (s.unprotected.k.length !== 0) throw perr(code, "unprotected header must be empty");
    if (s.signature.length !== 64) throw perr(code, "ES256 signature must be 64 bytes");
    return { bytes: b, prot: s.protectedHdr, payload: s.payload, sig: s.signature, issuerKid: kid };
  } catch (e) {
    throw wrapErr(e, code);
  }
}

/** Any error as a PairkitError of `code`, keeping the inner code as detail. */
export function wrapErr(e: unknown, code: string): PairkitError {
  if (isPairkitError(e)) {
    if (e.code === code) return e;
    return perr(code, e.message, e.code);
  }
  return perr(code, "malformed input");
}

/**
 * Parses a credential strictly: deterministic CBOR, exactly the claims above, nothing
 * else. Every failure is a PairkitError with code CRED_MALFORMED (the inner CBOR/COSE code
 * is in `detail`). The signature is not checked here (see validateChain).
 */
export function parseCredential(b: Bytes): Credential {
  var s = parseSigned(b, MAX_CRED, "CRED_MALFORMED");
  var c: CborValue;
  try {
    c = decode(s.payload, true);
  } catch (e) {
    throw wrapErr(e, "CRED_MALFORMED");
  }
  var M = "CRED_MALFORMED";
  if (!isMap(c) || c.k.length !== 6) throw perr(M, "unexpected set of claims");
  var iat = mapGet(c, CLAIM_IAT);
  var cnf = mapGet(c, CLAIM_CNF);
  var role = mapGet(c, CLAIM_ROLE);
  if (typeof iat !== "number" || iat < 0) throw perr(M, "iat must be an unsigned integer");
  if (!isMap(cnf) || cnf.k.length !== 1) throw perr(M, "cnf must be {1: COSE_Key}");
  var ck = mapGet(cnf, 1);
  if (!isMap(ck) || ck.k.length !== 5) throw perr(M, "cnf COSE_Key is not kty, kid, crv, x, y");
  var kid = mapGet(ck, 2);
  var x = mapGet(ck, -2);
  var y = mapGet(ck, -3);
  if (mapGet(ck, 1) !== 2 || mapGet(ck, -1) !== 1) throw perr(M, "cnf key is not EC2 P-256");
  if (!(kid instanceof Uint8Array) || kid.length !== KID_LEN) throw perr(M, "cnf kid must be " + KID_LEN + " bytes");
  if (!(x instanceof Uint8Array) || x.length !== 32 || !(y instanceof Uint8Array) || y.length !== 32)
    throw perr(M, "cnf x or y is not 32 bytes");
  var model = "";
  var pathLen = -1;
  if (role === ROLE_CA) {
    pathLen = mapGet(c, CLAIM_PATH_LEN) as number;
    if (typeof pathLen !== "number" || pathLen < 0 || pathLen > MAX_PATH_LEN) throw perr(M, "bad path length");
  } else if (role === ROLE_DEVICE || role === ROLE_APP) {
    model = checkName(mapGet(c, CLAIM_MODEL), MAX_MODEL, "model", M);
    if (role === ROLE_DEVICE && b.length > MAX_DEVICE_CRED) throw perr(M, "device credential over " + MAX_DEVICE_CRED + " bytes");
  } else throw perr(M, "unknown role");
  var pub = new Uint8Array(64);
  pub.set(x, 0);
  pub.set(y, 32);
  return {
    bytes: b, prot: s.prot, payload: s.payload, sig: s.sig, issuerKid: s.issuerKid,
    iss: checkName(mapGet(c, CLAIM_ISS), MAX_NAME, "iss", M),
    sub: checkName(mapGet(c, CLAIM_SUB), MAX_NAME, "sub", M),
    iat: iat, role: role === ROLE_CA ? "ca" : role === ROLE_APP ? "app" : "device",
    model: model, pathLen: pathLen, kid: kid, pub: pub,
  };
}

/**
 * The deterministic claims set (the COSE payload) of a credential. Host side: a CA encodes,
 * signs toBeSigned(signedProtected(issuerKid), payload), assembles with assembleSigned and runs
 * parseCredential on the result, which enforces every limit.
 */
export function encodeClaims(c: CredentialClaims): Bytes {
  if (!(c.pub instanceof Uint8Array) || c.pub.length !== 64) throw perr("CRED_MALFORMED", "public key must be 64 bytes x || y");
  var key = cmap([1, 2, -1, -2, -3], [2, c.kid, 1, c.pub.subarray(0, 32), c.pub.subarray(32, 64)]);
  var ca = c.role === "ca";
  return encode(cmap([CLAIM_ISS, CLAIM_SUB, CLAIM_IAT, CLAIM_CNF, CLAIM_ROLE, ca ? CLAIM_PATH_LEN : CLAIM_MODEL],
    [c.iss, c.sub, c.iat, cmap([1], [key]), ca ? ROLE_CA : c.role === "app" ? ROLE_APP : ROLE_DEVICE,
      ca ? (c.pathLen === undefined ? 0 : c.pathLen) : c.model || ""]));
}

/** The serialized protected header {1: -7, 4: issuerKid}. */
export function signedProtected(issuerKid: Bytes): Bytes {
  return encode(cmap([1, 4], [-7, issuerKid]));
}

/** The COSE Sig_structure an issuer signs ("Signature1", no external AAD). */
export function toBeSigned(prot: Bytes, payload: Bytes): Bytes {
  return sigStructure1(prot, EMPTY, payload);
}

/** The untagged COSE_Sign1 [prot, {}, payload, sig]. */
export function assembleSigned(prot: Bytes, payload: Bytes, sig: Bytes): Bytes {
  return encode([prot, cmap([], []) as CborMap, payload, sig]);
}

/** kid of a P-256 public key: the first KID_LEN bytes of SHA-256(x || y). */
export function kidOf(crypto: Pick<CryptoProvider, "sha256">, pub: Bytes): Bytes {
  // Not .slice(): on Espruino 2v29 a typed array's slice() returns a plain Array.
  return new Uint8Array(crypto.sha256(pub).subarray(0, KID_LEN));
}

/**
 * Checks a signed object's ES256 signature with `pub`. Resolves when valid; rejects with
 * `code` when invalid or when the key is not a usable point (CRYPTO_* from the provider).
 * Other provider failures (a secure element that does not answer) pass through unchanged.
 */
export function checkSignature(crypto: Pick<CryptoProvider, "verify">, s: Signed, pub: Bytes, code: string): Promise<void> {
  var p: Promise<boolean>;
  try {
    p = crypto.verify(1, pub, toBeSigned(s.prot, s.payload), s.sig);
  } catch (e) {
    p = Promise.reject(e);
  }
  return p.then(function (ok) {
    if (ok !== true) throw perr(code, "signature does not verify");
  }, function (e) {
    if (isPairkitError(e) && e.code.indexOf("CRYPTO_") !== 0) throw e;
    throw perr(code, "signature does not verify", isPairkitError(e) ? e.code : undefined);
  });
}

