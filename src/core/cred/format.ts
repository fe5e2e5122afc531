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
import { cmap, encode, readAs, reader, type CborMap } from "../cbor";
import { sigStructure1 } from "../cose";
import { isPairkitError, perr, type PairkitError } from "../errors";
import type { CryptoProvider } from "../../crypto/provider";

import {
  CLAIM_CNF, CLAIM_IAT, CLAIM_ISS, CLAIM_MODEL, CLAIM_PATH_LEN, CLAIM_ROLE, CLAIM_SUB, KID_LEN, MAX_CRED, MAX_DEVICE_CRED,
  MAX_MODEL, MAX_NAME, MAX_PATH_LEN, ROLE_APP, ROLE_CA, ROLE_DEVICE,
} from "./consts";

export {
  CLAIM_CNF, CLAIM_IAT, CLAIM_ISS, CLAIM_MODEL, CLAIM_PATH_LEN, CLAIM_ROLE, CLAIM_SUB, KID_LEN, MAX_CRED, MAX_DEVICE_CRED,
  MAX_MODEL, MAX_NAME, MAX_PATH_LEN, ROLE_APP, ROLE_CA, ROLE_DEVICE,
};

export type Role = "device" | "app" | "ca";

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

/** A printable-ASCII name of 1..max characters, or an error with `code`. */
export function checkName(v: unknown, max: number, what: string, code: string): string {
  if (typeof v !== "string" || v.length < 1 || v.length > max || !/^[\x20-\x7e]+$/.test(v))
    throw perr(code, what + ": 1.." + max + " printable ASCII characters");
  return v;
}

/**
 * Parses the signed envelope shared by credentials and deny lists: an untagged COSE_Sign1
 * with protected header exactly {1: -7, 4: kid}, an empty unprotected header and a 64-byte
 * signature, in deterministic CBOR. Every failure is `code`. The fields are views into `b`.
 */
export function parseSigned(b: Bytes, maxLen: number, code: string): Signed {
  // 0x84: an untagged array of four (the COSE_Sign1 tag 18 is not used).
  if (!(b instanceof Uint8Array) || b.length > maxLen || b[0] !== 0x84) throw perr(code, "not an untagged COSE_Sign1 of at most " + maxLen + " bytes");
  try {
    var r = reader(b, true);
    readAs(r, 4);
    var prot = readAs(r, 2);
    var p = reader(prot, true);
    if (readAs(p, 5) !== 2 || readAs(p, -1, 1) !== -7) throw perr(code, "protected header is not {1: -7, 4: kid}");
    var kid = readAs(p, 2, 4);
    var unprotected = readAs(r, 5);
    var payload = readAs(r, 2);
    var sig = readAs(r, 2);
    if (kid.length !== KID_LEN || p.p < prot.length || unprotected || sig.length !== 64 || r.p < b.length)
      throw perr(code, "not [<< {1: -7, 4: 4-byte kid} >>, {}, payload, 64-byte signature]");
    return { bytes: b, prot: prot, payload: payload, sig: sig, issuerKid: kid };
  } catch (e) {
    throw wrapErr(e, code);
  }
}

/** Any error as a PairkitError of `code`, keeping the inner code as detail. */
export function wrapErr(e: unknown, code: string): PairkitError {
  if (isPairkitError(e)) return e.code === code ? e : perr(code, e.message, e.code);
  return perr(code, "malformed input");
}

/**
 * Parses a credential strictly: deterministic CBOR, exactly the claims above, nothing
 * else. Every failure is a PairkitError with code CRED_MALFORMED, or `code` when given (the
 * inner CBOR/COSE code is in `detail`). The signature is not checked here (see validateChain). Streams over the
 * bytes (no decoded tree); prot, payload, sig, issuerKid and kid are views into `b`.
 */
export function parseCredential(b: Bytes, code?: string): Credential {
  var M = code || "CRED_MALFORMED";
  var s = parseSigned(b, MAX_CRED, M);
  try {
    // Deterministic order of the keys: 1 iss, 2 sub, 6 iat, 8 cnf = {1: {1: 2 (EC2), 2: kid,
    // -1: 1 (P-256), -2: x, -3: y}}, -1 role, then -2 model (devices, apps) or -3 pathLen (CAs).
    // Everything is read first (a wrong type or key fails at once), then checked.
    var r = reader(s.payload, true);
    var n = readAs(r, 5);
    var iss = readAs(r, 3, CLAIM_ISS);
    var sub = readAs(r, 3, CLAIM_SUB);
    var iat = readAs(r, 0, CLAIM_IAT);
    var cnf = readAs(r, 5, CLAIM_CNF) === 1 && readAs(r, 5, 1) === 5 && readAs(r, 0, 1) === 2;
    var kid = readAs(r, 2, 2);
    var crv = readAs(r, 0, -1);
    var x = readAs(r, 2, -2);
    var y = readAs(r, 2, -3);
    var role = readAs(r, 0, CLAIM_ROLE);
    var ca = role === ROLE_CA;
    var last: any = readAs(r, ca ? 0 : 3, ca ? CLAIM_PATH_LEN : CLAIM_MODEL);
    if (n !== 6 || !cnf || kid.length !== KID_LEN || crv !== 1 || x.length !== 32 || y.length !== 32 || r.p < s.payload.length ||
      (ca ? last > MAX_PATH_LEN : (role !== ROLE_DEVICE && role !== ROLE_APP) || (role === ROLE_DEVICE && b.length > MAX_DEVICE_CRED)))
      throw perr(M, "not a pairkit claims set (P-256 cnf key, role, model or path length, at most " + MAX_DEVICE_CRED + " bytes for a device)");
    checkName(iss, MAX_NAME, "iss", M);
    checkName(sub, MAX_NAME, "sub", M);
    if (!ca) checkName(last, MAX_MODEL, "model", M);
    var pub = new Uint8Array(64);
    pub.set(x);
    pub.set(y, 32);
    return {
      bytes: b, prot: s.prot, payload: s.payload, sig: s.sig, issuerKid: s.issuerKid,
      iss: iss, sub: sub, iat: iat, role: ca ? "ca" : role === ROLE_APP ? "app" : "device",
      model: ca ? "" : last, pathLen: ca ? last : -1, kid: kid, pub: pub,
    };
  } catch (e) {
    throw wrapErr(e, M);
  }
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
    p = crypto.verify(1, pub, sigStructure1(s.prot, EMPTY, s.payload), s.sig);
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

