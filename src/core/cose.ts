/**
 * COSE (RFC 9052) structures that EDHOC and pairkit's credentials use: the to-be-signed
 * Sig_structure and the AEAD associated data Enc_structure. Hand-written on top of our
 * CBOR because it must run on Espruino. COSE_Sign1 itself is parsed where it is used
 * (src/core/cred/format.ts streams over a credential's exact layout).
 */
import { type Bytes } from "./bytes";
import { encode } from "./cbor";

/** ["Signature1", protected, external_aad, payload] */
export function sigStructure1(protectedHdr: Bytes, externalAad: Bytes, payload: Bytes): Bytes {
  return encode(["Signature1", protectedHdr, externalAad, payload]);
}

/** ["Encrypt0", protected, external_aad] */
export function encStructure0(protectedHdr: Bytes, externalAad: Bytes): Bytes {
  return encode(["Encrypt0", protectedHdr, externalAad]);
}
