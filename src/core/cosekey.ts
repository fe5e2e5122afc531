/**
 * COSE_Key (RFC 9052 section 7, RFC 9053) for the two key types pairkit meets: EC2 P-256
 * and OKP X25519/Ed25519. Used to pull the authentication key out of CCS and CWT
 * credentials.
 */
import { concat, type Bytes } from "./bytes";
import { cmap, isMap, mapGet, type CborMap, type CborValue } from "./cbor";
import { perr } from "./errors";

export var KTY_OKP = 1;
export var KTY_EC2 = 2;

export interface CoseKeyInfo {
  kty: number;
  crv: number;
  /** P-256: 64 bytes x||y (or 32 bytes x when the key omits y); OKP: 32 bytes. */
  pub: Bytes;
  kid: Bytes | null;
}

/** Reads a COSE_Key map; typed error COSE_BAD_KEY on anything unexpected. */
export function coseKeyInfo(k: CborValue | undefined): CoseKeyInfo {
  if (!isMap(k)) throw perr("COSE_BAD_KEY", "COSE_Key is not a map");
  var kty = mapGet(k, 1), crv = mapGet(k, -1), x = mapGet(k, -2), y = mapGet(k, -3), kid = mapGet(k, 2);
  if (kid !== undefined && !(kid instanceof Uint8Array)) throw perr("COSE_BAD_KEY", "COSE_Key kid must be a byte string");
  if (!(x instanceof Uint8Array) || x.length !== 32) throw perr("COSE_BAD_KEY", "COSE_Key x must be 32 bytes");
  if (kty === KTY_EC2) {
    if (crv !== 1) throw perr("COSE_BAD_KEY", "only P-256 EC2 keys are supported");
    if (y !== undefined && !(y instanceof Uint8Array && y.length === 32)) throw perr("COSE_BAD_KEY", "COSE_Key y must be 32 bytes");
    return { kty: kty, crv: 1, pub: y instanceof Uint8Array ? concat([x, y]) : x, kid: kid || null };
  }
  if (kty === KTY_OKP) {
    if (crv !== 4 && crv !== 6) throw perr("COSE_BAD_KEY", "only X25519 and Ed25519 OKP keys are supported");
    return { kty: kty, crv: crv, pub: x, kid: kid || null };
  }
  throw perr("COSE_BAD_KEY", "unsupported COSE_Key type");
}

/** Builds a COSE_Key map; pub is 64 bytes x||y for P-256, 32 bytes for OKP curves. */
export function coseKey(crv: number, pub: Bytes, kid: Bytes | null): CborMap {
  var keys: CborValue[] = [1, -1, -2];
  var vals: CborValue[] = [crv === 1 ? KTY_EC2 : KTY_OKP, crv, pub.subarray(0, 32)];
  if (crv === 1) {
    if (pub.length !== 64) throw perr("COSE_BAD_KEY", "P-256 public key must be 64 bytes x||y");
    keys.push(-3);
    vals.push(pub.subarray(32, 64));
  } else if (pub.length !== 32) throw perr("COSE_BAD_KEY", "OKP public key must be 32 bytes");
  if (kid) {
    keys.push(2);
    vals.push(kid);
  }
  return cmap(keys, vals);
}
