/**
 * Host-side credential handling shared by the interop command, the simulator and apps:
 * which ID_CRED we send for our own credential, and how a peer's ID_CRED is resolved to a
 * credential we trust (listed peer credentials by kid or by value).
 */
import { bytesEqual, concat, type Bytes } from "../core/bytes";
import { encHead } from "../core/cbor";
import { ccsInfo } from "../core/edhoc/ccs";
import { idCredKid, parseIdCred } from "../core/edhoc/messages";
import type { PeerCredential } from "../core/edhoc/edhoc";
import { perr } from "../core/errors";
import type { CryptoProvider } from "../crypto/provider";

export interface PeerPolicy {
  /** Credentials (CCS) the peer may present, by kid or by value. */
  creds: Bytes[];
}

/** True when the credential bytes are a CWT Claims Set (a CBOR map). */
export function isCcs(cred: Bytes): boolean {
  return cred.length > 0 && cred[0] >> 5 === 5;
}

/**
 * ID_CRED for our credential: {4: kid} when its COSE_Key has a kid, else {14: CCS}.
 * Also checks that the credential holds the public key of our private key.
 */
export function ownIdCred(cred: Bytes, pub: Bytes): Bytes {
  if (!isCcs(cred)) throw perr("CRED_MALFORMED", "credential is not a CWT Claims Set (CCS)");
  const info = ccsInfo(cred);
  if (!bytesEqual(info.pub.subarray(0, 32), pub.subarray(0, 32))) throw perr("CRED_KEY_MISMATCH", "the credential does not hold the public key of the given private key");
  if (info.kid) return idCredKid(info.kid);
  return concat([new Uint8Array([0xa1]), encHead(0, 14), cred]);
}

function label(cred: Bytes): string {
  try {
    const i = ccsInfo(cred);
    return i.sub || "peer";
  } catch {
    return "peer";
  }
}

/** Resolves a received ID_CRED against the policy; EDHOC_UNKNOWN_CRED when nothing matches. */
export async function resolvePeer(_c: CryptoProvider, policy: PeerPolicy, idCred: Bytes): Promise<PeerCredential & { name: string }> {
  const info = parseIdCred(idCred);
  for (const cred of policy.creds) {
    if (!isCcs(cred)) continue;
    const ci = ccsInfo(cred);
    if (info.kid && ci.kid && bytesEqual(info.kid, ci.kid)) return { cred, pub: ci.pub, name: label(cred) };
    if (info.label === 14 && info.value && bytesEqual(info.value, cred)) return { cred, pub: ci.pub, name: label(cred) };
  }
  throw perr("EDHOC_UNKNOWN_CRED", info.kid ? "no known credential has the peer's kid" : "the peer's credential is not one we know");
}
