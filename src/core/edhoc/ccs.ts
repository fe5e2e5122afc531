/**
 * CWT Claims Set credentials (CCS, RFC 9528 section 3.5.2): the raw-public-key credential
 * form EDHOC uses without a CA, {2: sub, 8: {1: COSE_Key}}. ID_CRED is {4: kid} when the
 * key has a kid and {14: CCS} (by value) otherwise.
 */
import { concat, type Bytes } from "../bytes";
import { cmap, decode, encHead, encode, isMap, mapGet } from "../cbor";
import { coseKey, coseKeyInfo, type CoseKeyInfo } from "../cosekey";
import { perr } from "../errors";
import { idCredKid } from "./messages";

export interface CcsInfo extends CoseKeyInfo {
  sub: string | null;
}

/** Parses a CCS credential and returns its subject and COSE_Key; typed errors only. */
export function ccsInfo(cred: Bytes): CcsInfo {
  var m;
  try {
    m = decode(cred);
  } catch (e) {
    throw perr("CRED_MALFORMED", "credential is not a CBOR map");
  }
  if (!isMap(m)) throw perr("CRED_MALFORMED", "CCS credential must be a map");
  var cnf = mapGet(m, 8);
  if (!isMap(cnf)) throw perr("CRED_MALFORMED", "CCS credential lacks cnf");
  var k = coseKeyInfo(mapGet(cnf, 1));
  var sub = mapGet(m, 2);
  return { kty: k.kty, crv: k.crv, pub: k.pub, kid: k.kid, sub: typeof sub === "string" ? sub : null };
}

/** Builds a CCS credential {2: sub, 8: {1: COSE_Key}}. */
export function makeCcs(sub: string, crv: number, pub: Bytes, kid: Bytes | null): Bytes {
  return encode(cmap([2, 8], [sub, cmap([1], [coseKey(crv, pub, kid)])]));
}

/** ID_CRED for a CCS credential: by reference when it has a kid, else {14: CCS} by value. */
export function ccsIdCred(cred: Bytes): Bytes {
  var info = ccsInfo(cred);
  if (info.kid) return idCredKid(info.kid);
  return concat([new Uint8Array([0xa1]), encHead(0, 14), cred]);
}
