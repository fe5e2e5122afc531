// P-256 references from @noble for the secure-element tests.
import { p256 } from "@noble/curves/nist.js";

export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** The uncompressed SEC 1 form (0x04 || x || y) of a 64-byte x||y key. */
export const pub65 = (p: Uint8Array) => Uint8Array.from([4, ...p]);
/** A fresh peer key pair: the secret scalar and the 64-byte x||y public key. */
export const peerKey = () => {
  const sk = p256.utils.randomSecretKey();
  return { sk, pub: p256.getPublicKey(sk, false).slice(1) };
};
/** The ECDH shared x-coordinate of sk with a 64-byte public key, as hex. */
export const nobleEcdh = (sk: Uint8Array, pub64: Uint8Array) => hex(p256.getSharedSecret(sk, pub65(pub64), true).slice(1));
