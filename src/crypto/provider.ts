/**
 * The one crypto interface every layer of pairkit talks to (the matter.js pattern: one
 * interface, a backend per platform, native fast paths where they exist).
 *
 * - Symmetric primitives are synchronous: hosts run them in @noble, devices in the
 *   interpreter's native SHA-256/AES with JavaScript fallbacks.
 * - Asymmetric primitives return promises: on a device they are commands to an ATECC608
 *   secure element over I2C that take tens of milliseconds. Each also takes an optional
 *   trailing completion callback (core/async.ts): a provider may then call it instead of
 *   making a promise (the device provider does: a pending promise costs memory there), or
 *   ignore it and return a promise as usual; callers pass both answers to `settle`.
 * - Private keys are opaque references. No method returns private key bytes; a device's
 *   keys never leave its secure element.
 *
 * Numbers for curves and algorithms are COSE identifiers (RFC 9053), so they can be put on
 * the wire or compared against COSE_Key parameters directly.
 */
import type { Bytes } from "../core/bytes";
import type { Done } from "../core/async";

/** COSE elliptic curve identifiers (RFC 9053, Table 18). */
export var CRV_P256 = 1;
export var CRV_X25519 = 4;
export var CRV_ED25519 = 6;

/** COSE algorithm identifiers. */
export var ALG_ES256 = -7;
export var ALG_EDDSA = -8;

/**
 * Opaque handle to a private key held by a provider. Hosts keep the scalar inside the
 * provider's closure; devices keep a secure-element slot number. Applications only pass
 * handles back to the provider that created them.
 */
export interface PrivateKeyRef {
  /** COSE curve of the key (P-256, X25519 or Ed25519). */
  readonly crv: number;
}

export interface KeyPair {
  priv: PrivateKeyRef;
  /**
   * Public key: P-256 as 64 bytes x||y; X25519 and Ed25519 as their 32-byte encodings.
   */
  pub: Bytes;
}

export interface CryptoProvider {
  /** Short name for logs and benchmarks ("noble", "espruino+atecc608", ...). */
  readonly name: string;

  randomBytes(n: number): Bytes;
  sha256(data: Bytes): Bytes;
  hmacSha256(key: Bytes, data: Bytes): Bytes;
  /** HKDF-Extract with SHA-256 (RFC 5869). */
  hkdfExtract(salt: Bytes, ikm: Bytes): Bytes;
  /** HKDF-Expand with SHA-256 (RFC 5869); length at most 255 * 32. */
  hkdfExpand(prk: Bytes, info: Bytes, length: number): Bytes;
  /** AES-CCM-16-64-128: 16-byte key, 13-byte nonce, 8-byte tag appended to the ciphertext. */
  aeadSeal(key: Bytes, nonce: Bytes, aad: Bytes, plaintext: Bytes): Bytes;
  /** Returns the plaintext, or null when the tag does not verify (callers raise their own typed error). */
  aeadOpen(key: Bytes, nonce: Bytes, aad: Bytes, ciphertext: Bytes): Bytes | null;
  /** Constant-time equality for MACs and tags. */
  ctEqual(a: Bytes, b: Bytes): boolean;

  /** Fresh ephemeral or static key pair on the given COSE curve (P-256 or X25519 for ECDH, P-256 or Ed25519 for signing). */
  generateKeyPair(crv: number): Promise<KeyPair>;
  generateKeyPair(crv: number, k: Done<KeyPair>): Promise<KeyPair> | void;
  /**
   * ECDH. For P-256 the peer key is 32 bytes (x only, the compact form EDHOC sends) or 64
   * bytes (x||y); the result is the 32-byte x-coordinate of the shared point. Points not on
   * the curve and the point at infinity are rejected with a typed error (CRYPTO_BAD_POINT).
   */
  ecdh(priv: PrivateKeyRef, peerPub: Bytes): Promise<Bytes>;
  ecdh(priv: PrivateKeyRef, peerPub: Bytes, k: Done<Bytes>): Promise<Bytes> | void;
  /** ES256 (P-256 key, raw r||s, 64 bytes; the message is hashed with SHA-256 inside) or EdDSA (Ed25519). */
  sign(priv: PrivateKeyRef, message: Bytes): Promise<Bytes>;
  sign(priv: PrivateKeyRef, message: Bytes, k: Done<Bytes>): Promise<Bytes> | void;
  /** Verifies an ES256 signature (pub 64 bytes x||y) or an EdDSA signature (pub 32 bytes). */
  verify(crv: number, pub: Bytes, message: Bytes, signature: Bytes): Promise<boolean>;
  verify(crv: number, pub: Bytes, message: Bytes, signature: Bytes, k: Done<boolean>): Promise<boolean> | void;
}

/** The synchronous half of a provider; devices build it from native SHA-256/AES. */
export type SymmetricCrypto = Pick<CryptoProvider, "randomBytes" | "sha256" | "hmacSha256" | "hkdfExtract" | "hkdfExpand" | "aeadSeal" | "aeadOpen" | "ctEqual">;

/** The asynchronous half; devices build it from the secure element. */
export type AsymmetricCrypto = Pick<CryptoProvider, "generateKeyPair" | "ecdh" | "sign" | "verify">;
