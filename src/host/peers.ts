/**
 * Host-side credential handling shared by the interop command and apps: which ID_CRED we
 * send for our own credential, and how a peer's ID_CRED is resolved to a credential we
 * trust: a listed peer credential (CCS or CWT, by kid or by value), or a CWT by value
 * that chains to one of our trust anchors and is not on the deny list.
 */
import { bytesEqual, concat, type Bytes } from "../core/bytes";
import { encHead } from "../core/cbor";
import { ccsInfo } from "../core/edhoc/ccs";
import { idCredKid, parseIdCred } from "../core/edhoc/messages";
import type { PeerCredential } from "../core/edhoc/edhoc";
import { perr } from "../core/errors";
import { validateChain } from "../core/cred/chain";
import { parseCredential } from "../core/cred/format";
import { idCredByValue, readIdCredParts } from "../core/cred/idcred";
import type { DenyList } from "../core/cred/deny";
import type { CryptoProvider } from "../crypto/provider";

export interface PeerPolicy {
  /** Credentials (CCS or CWT) the peer may present, by kid or by value. */
  creds: Bytes[];
  /** Trust anchors (root CA credentials): a CWT by value that chains to one is accepted. */
  anchors?: Bytes[];
  /** Intermediate CA credentials known locally. */
  intermediates?: Bytes[];
  deny?: DenyList | null;
}

/** True when the credential bytes are a CWT Claims Set (a CBOR map). */
export function isCcs(cred: Bytes): boolean {
  return cred.length > 0 && cred[0] >> 5 === 5;
}

interface KeyInfo {
  pub: Bytes;
  kid: Bytes | null;
  name: string;
}

/** Public key, kid and a display name of a CCS or a CWT credential. */
export function credKey(cred: Bytes): KeyInfo {
  if (isCcs(cred)) {
    const i = ccsInfo(cred);
    return { pub: i.pub, kid: i.kid, name: i.sub || "peer" };
  }
  const c = parseCredential(cred);
  return { pub: c.pub, kid: c.kid, name: c.sub };
}

/**
 * ID_CRED for our credential. CCS: {4: kid} when its COSE_Key has a kid, else {14: CCS}.
 * CWT (a manufacturer credential): by value, {13: CWT} plus the issuing intermediate when
 * given. Also checks that the credential holds the public key of our private key.
 */
export function ownIdCred(cred: Bytes, pub: Bytes, chain?: Bytes | null): Bytes {
  const info = credKey(cred);
  if (!bytesEqual(info.pub.subarray(0, 32), pub.subarray(0, 32))) throw perr("CRED_KEY_MISMATCH", "the credential does not hold the public key of the given private key");
  if (!isCcs(cred)) return idCredByValue(cred, chain || null);
  if (info.kid) return idCredKid(info.kid);
  return concat([new Uint8Array([0xa1]), encHead(0, 14), cred]);
}

/** Resolves a received ID_CRED against the policy; EDHOC_UNKNOWN_CRED when nothing matches. */
export async function resolvePeer(c: CryptoProvider, policy: PeerPolicy, idCred: Bytes): Promise<PeerCredential & { name: string }> {
  const info = parseIdCred(idCred);
  for (const cred of policy.creds) {
    const k = credKey(cred);
    if (info.kid && k.kid && bytesEqual(info.kid, k.kid)) return { cred, pub: k.pub, name: k.name };
    if (info.value && bytesEqual(info.value, cred)) return { cred, pub: k.pub, name: k.name };
  }
  if (info.label === 13 && policy.anchors && policy.anchors.length) {
    const parts = readIdCredParts(idCred);
    const peer = await validateChain(c, parts.cred as Bytes, {
      anchors: policy.anchors,
      intermediates: (policy.intermediates || []).concat(parts.issuer ? [parts.issuer] : []),
      deny: policy.deny || null,
    });
    return { cred: peer.cred, pub: peer.pub, name: peer.sub };
  }
  throw perr("EDHOC_UNKNOWN_CRED", info.kid ? "no known credential has the peer's kid" : "the peer's credential is not one we know");
}
