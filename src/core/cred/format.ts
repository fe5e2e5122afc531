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
import { EMPTY, concat, type Bytes } from "../bytes";
import { cmap, encode, readAs, reader, type CborMap } from "../cbor";
import { sigStructure1 } from "../cose";
import { isPairkitError, perr } from "../errors";
import type { CryptoProvider } from "../../crypto/provider";
import { settle, type Done } from "../async";
import type { DenyList } from "./deny";

import {
  CLAIM_CNF, CLAIM_IAT, CLAIM_ISS, CLAIM_MODEL, CLAIM_PATH_LEN, CLAIM_ROLE, CLAIM_SUB, KID_LEN, MAX_CRED, MAX_DEVICE_CRED,
  MAX_MODEL, MAX_NAME, MAX_PATH_LEN, ROLE_APP, ROLE_CA, ROLE_DEVICE,
} from "./consts";

export {
  CLAIM_CNF, CLAIM_IAT, CLAIM_ISS, CLAIM_MODEL, CLAIM_PATH_LEN, CLAIM_ROLE, CLAIM_SUB, KID_LEN, MAX_CRED, MAX_DEVICE_CRED,
  MAX_MODEL, MAX_NAME, MAX_PATH_LEN, ROLE_APP, ROLE_CA, ROLE_DEVICE,
};

export type Role = "device" | "app" | "ca";

/** The fields every signed pairkit object keeps (credentials and deny lists). */
export interface Signed {
  /**
   * The exact bytes received. For a credential these are EDHOC's CRED_x. The protected
   * header, payload and signature are not kept apart: checkSignature finds them here (a
   * parsed object lives long on a device, and every view costs it variables).
   */
  bytes: Bytes;
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

/** A printable-ASCII name of 1..max characters, or an error with `code` (host-side CA checks). */
export function checkName(v: unknown, max: number, what: string, code: string): string {
  if (typeof v !== "string" || v.length < 1 || v.length > max || !/^[\x20-\x7e]+$/.test(v))
    throw perr(code, what + ": 1.." + max + " printable ASCII characters");
  return v;
}

/**
 * Parses a signed object strictly: the envelope shared by credentials and deny lists (an
 * untagged COSE_Sign1 with protected header exactly {1: -7, 4: kid}, an empty unprotected
 * header and a 64-byte signature), then the payload, in deterministic CBOR throughout.
 * Without maxEntries the payload must be a credential's claims set (below), with it a deny
 * list's [version, [sub, ...]] of at most maxEntries subjects (deny.ts; over the bound:
 * DENY_TOO_LARGE, checked on the byte size before any decoding too). Every other failure
 * is `code` (default CRED_MALFORMED), the inner CBOR code kept as detail. issuerKid and
 * kid are views into `b`. One function for both, because each function costs a device
 * variables.
 */
export function parseSigned(b: Bytes, code?: string): Credential;
export function parseSigned(b: Bytes, code: string | undefined, maxEntries: number | undefined): Credential | DenyList;
export function parseSigned(b: Bytes, code?: string, maxEntries?: number): Credential | DenyList {
  code = code || "CRED_MALFORMED";
  var deny = maxEntries !== undefined;
  var max = deny ? 96 + maxEntries! * (MAX_NAME + 2) : MAX_CRED;
  // 0x84: an untagged array of four (the COSE_Sign1 tag 18 is not used).
  if (!(b instanceof Uint8Array) || b.length > max || b[0] !== 0x84)
    throw perr(deny && b instanceof Uint8Array && b.length > max ? "DENY_TOO_LARGE" : code, "not an untagged COSE_Sign1 of at most " + max + " bytes");
  // (Every local is declared here: no var statements of their own inside the try.)
  var n: any, i, v: any, iat: any, kid: any, x: any, y: any, role: any, ca: any, last: any, issuerKid: any, names: any[], unprotected, payload: any, t, bad: any;
  var r, prot: any, p, cnf, crv;
  try {
    r = reader(b, true);
    readAs(r, 4);
    prot = readAs(r, 2);
    p = reader(prot, true);
    // (One check: the reads after the header's first two happen in the same order as checks.)
    if (readAs(p, 5) !== 2 || readAs(p, -1, 1) !== -7 || (issuerKid = readAs(p, 2, 4), unprotected = readAs(r, 5), payload = readAs(r, 2),
      issuerKid.length !== KID_LEN || p.p < prot.length || unprotected || readAs(r, 2).length !== 64 || r.p < b.length))
      throw perr(code, "not [<< {1: -7, 4: 4-byte kid} >>, {}, payload, 64-byte signature]");
    r = reader(payload, true);
    // Names to check at the end: iss, sub, model; or a deny list's subjects.
    names = [];
    if (deny) {
      v = readAs(r, 4) === 2 ? readAs(r, -1) : 0;
      if (v < 1) throw perr(code, "payload is not [version, [sub, ...]]");
      n = readAs(r, 4);
      for (i = 0; i < n && n <= maxEntries!; i++) names.push(readAs(r, 3));
    } else {
      // Deterministic order of the keys: 1 iss, 2 sub, 6 iat, 8 cnf = {1: {1: 2 (EC2), 2: kid,
      // -1: 1 (P-256), -2: x, -3: y}}, -1 role, then -2 model (devices, apps) or -3 pathLen (CAs).
      // Everything is read first (a wrong type or key fails at once), then checked.
      n = readAs(r, 5);
      names.push(readAs(r, 3, CLAIM_ISS), readAs(r, 3, CLAIM_SUB));
      iat = readAs(r, 0, CLAIM_IAT);
      cnf = readAs(r, 5, CLAIM_CNF) === 1 && readAs(r, 5, 1) === 5 && readAs(r, 0, 1) === 2;
      kid = readAs(r, 2, 2);
      crv = readAs(r, 0, -1);
      x = readAs(r, 2, -2);
      y = readAs(r, 2, -3);
      role = readAs(r, 0, CLAIM_ROLE);
      ca = role === ROLE_CA;
      last = readAs(r, ca ? 0 : 3, ca ? CLAIM_PATH_LEN : CLAIM_MODEL);
      if (!ca) names.push(last);
      bad = n !== 6 || !cnf || kid.length !== KID_LEN || crv !== 1 || x.length !== 32 || y.length !== 32 ||
        (ca ? last > MAX_PATH_LEN : (role !== ROLE_DEVICE && role !== ROLE_APP) || (role === ROLE_DEVICE && b.length > MAX_DEVICE_CRED));
    }
    // Then (nothing is read any more, so the order of these checks does not matter): bytes
    // after the payload; names of printable ASCII, 1..64 characters (a model 1..32), a deny
    // list's subjects strictly ascending.
    bad = bad || ((!deny || n <= maxEntries!) && r.p < payload.length);
    for (i = 0; !bad && i < names.length; i++) {
      t = names[i];
      bad = !t.length || t.length > (deny || i < 2 ? MAX_NAME : MAX_MODEL) || !/^[\x20-\x7e]+$/.test(t) || (deny && i && !(names[i - 1] < t));
    }
    if (bad)
      throw perr(code, "not a pairkit claims set (P-256 cnf key, role, model or path length, at most " + MAX_DEVICE_CRED + " bytes for a device), " +
        "bytes after the payload, or names not 1..64 (a model 1..32) printable ASCII characters, a deny list's ascending and unique");
  } catch (e) {
    throw isPairkitError(e) && e.code === code ? e : perr(code, isPairkitError(e) ? e.message : "malformed input", isPairkitError(e) ? e.code : undefined);
  }
  if (deny) {
    if (n > maxEntries!) throw perr("DENY_TOO_LARGE", "deny list over " + maxEntries + " entries");
    return { bytes: b, issuerKid: issuerKid, version: v, revoked: names, verified: false };
  }
  return {
    bytes: b, issuerKid: issuerKid, iss: names[0], sub: names[1], iat: iat, role: ca ? "ca" : role === ROLE_APP ? "app" : "device",
    model: ca ? "" : last, pathLen: ca ? last : -1, kid: kid, pub: concat([x, y]),
  };
}

/**
 * Parses a credential strictly: deterministic CBOR, exactly the claims above, nothing
 * else. Every failure is a PairkitError with code CRED_MALFORMED, or `code` when given (the
 * inner CBOR/COSE code is in `detail`). The signature is not checked here (see
 * validateChain). Streams over the bytes (no decoded tree); issuerKid and kid are views
 * into `b`. parseSigned itself, exported under a second name (on a device neither a function
 * nor a variable of its own).
 */
export { parseSigned as parseCredential };

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
 * Checks a signed object's ES256 signature with `pub`: k(null, s) when valid; k(error
 * with `code`) when invalid or when the key is not a usable point (CRYPTO_* from the
 * provider). Other provider failures (a secure element that does not answer) pass through
 * unchanged. Callbacks only (no promise): one provider verify, through settle. k is
 * called once, even by a provider that answers twice or throws after answering; an
 * exception k itself throws is rethrown, not taken for a failed check.
 */
export function checkSignature(crypto: Pick<CryptoProvider, "verify">, s: Signed, pub: Bytes, code: string, k: Done<any>): void {
  var b = s.bytes;
  var r;
  var g = function (e: any, ok?: boolean) {
    var f = k;
    k = null as any;
    // Both failures in one perr call (device builds drop the message).
    e = e && isPairkitError(e) && e.code.indexOf("CRYPTO_") ? e
      : e || ok !== true ? perr(code, "signature does not verify", isPairkitError(e) ? e.code : undefined) : null;
    if (f) e ? f(e) : f(null, s);
  };
  try {
    // parseSigned fixed the layout: 0x84, the 9-byte protected header as a bstr (bytes 2..10),
    // the empty map 0xa0, the payload bstr from byte 12, and the 64-byte signature at the end.
    r = reader(b);
    r.p = 12;
    settle(crypto.verify(1, pub, sigStructure1(b.subarray(2, 11), EMPTY, readAs(r, 2)), b.subarray(b.length - 64), g), g);
  } catch (e) {
    if (!k) throw e;
    g(e);
  }
}
