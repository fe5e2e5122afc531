/**
 * An in-memory manufacturer PKI for tests, the simulator and EDHOC integration: the same
 * credentials the file-based CA issues, without files or passphrases.
 */
import { p256 } from "@noble/curves/nist.js";
import type { Bytes } from "../../core/bytes";
import { assembleSigned, encodeDenyPayload, kidOf, parseCredential, signedProtected, toBeSigned, type Credential, type Role } from "../../core/cred/index";
import type { NobleProvider } from "../../crypto/noble";
import { CRV_P256, type KeyPair } from "../../crypto/provider";
import { signCredential } from "./ca";

export interface MemEntity {
  cred: Credential;
  key: KeyPair;
  /** The raw private scalar (what `device issue --generate` writes to <ID>.key). */
  scalar: Bytes;
}

function newKey(crypto: NobleProvider): { key: KeyPair; scalar: Bytes } {
  var scalar = p256.utils.randomSecretKey();
  return { key: crypto.importPrivateKey(CRV_P256, scalar), scalar: scalar };
}

/** A root CA (self-issued, role ca, path length 0 or 1). */
export async function memRoot(crypto: NobleProvider, name: string, pathLen?: number): Promise<MemEntity> {
  var k = newKey(crypto);
  var kid = kidOf(crypto, k.key.pub);
  var b = await signCredential(crypto, k.key.priv, { sub: name, kid: kid }, { sub: name, role: "ca", pathLen: pathLen === undefined ? 1 : pathLen, pub: k.key.pub });
  return { cred: parseCredential(b), key: k.key, scalar: k.scalar };
}

/**
 * An entity certified by `issuer`: a device or app (model required) or a CA (pathLen).
 * No chain rules are enforced here, so tests can build chains a real CA would refuse.
 */
export async function memIssue(crypto: NobleProvider, issuer: MemEntity, sub: string, role: Role, modelOrPathLen: string | number, iat?: number): Promise<MemEntity> {
  var k = newKey(crypto);
  var b = await signCredential(crypto, issuer.key.priv, issuer.cred, {
    sub: sub, role: role, pub: k.key.pub, iat: iat,
    model: typeof modelOrPathLen === "string" ? modelOrPathLen : undefined,
    pathLen: typeof modelOrPathLen === "number" ? modelOrPathLen : undefined,
  });
  return { cred: parseCredential(b), key: k.key, scalar: k.scalar };
}

/** A deny list signed by `signer` (normally a root). */
export async function memDenyList(crypto: NobleProvider, signer: MemEntity, version: number, revoked: string[]): Promise<Bytes> {
  var payload = encodeDenyPayload(version, revoked);
  var prot = signedProtected(signer.cred.kid);
  return assembleSigned(prot, payload, await crypto.sign(signer.key.priv, toBeSigned(prot, payload)));
}
