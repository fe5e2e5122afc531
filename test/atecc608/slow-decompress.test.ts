/**
 * On a board, P-256 decompression in the interpreter takes seconds, longer than the
 * ATECC608's watchdog (1.3 s after wake). The ephemeral key in TempKey must survive it:
 * the chip has to be idle, not awake, while the decompression runs.
 */
import { expect, test } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import { CRV_P256 } from "../../src/crypto/provider";
import { createSimulatedSecureElement, nobleDecompressY } from "../../src/host/atecc608/fixture";

test("an ephemeral key survives a decompression longer than the watchdog", async () => {
  let now = 0;
  const se = await createSimulatedSecureElement({ simulator: { clock: () => now, timeScale: 0 } });
  // The slow decompression: 3 s of (simulated) interpreter time pass while it runs.
  const slow = (x: Uint8Array) => {
    now += 3000;
    return nobleDecompressY(x);
  };
  const { createSecureElementCrypto } = await import("../../src/crypto/atecc608/se-crypto");
  const crypto = createSecureElementCrypto(se.driver, { sha256: (b) => new Uint8Array(32).fill(b.length & 255), decompress: slow, ephemeralTtlMs: 0 });
  const kp = await crypto.generateKeyPair(CRV_P256);
  const sk = p256.utils.randomSecretKey();
  const peer = p256.getPublicKey(sk, false).slice(1, 33);
  const shared = await crypto.ecdh(kp.priv, peer);
  const want = p256.getSharedSecret(sk, Uint8Array.from([4, ...kp.pub]), true).slice(1);
  expect(Buffer.from(shared).equals(Buffer.from(want))).toBe(true);
});

test("the peer's x is decompressed once when EDHOC uses it twice (ephemeral and device key)", async () => {
  const se = await createSimulatedSecureElement({});
  let calls = 0;
  const counting = (x: Uint8Array) => {
    calls++;
    return nobleDecompressY(x);
  };
  const { createSecureElementCrypto } = await import("../../src/crypto/atecc608/se-crypto");
  const crypto = createSecureElementCrypto(se.driver, { sha256: (b) => new Uint8Array(32).fill(b.length & 255), decompress: counting, ephemeralTtlMs: 0 });
  const kp = await crypto.generateKeyPair(CRV_P256);
  const peer = p256.getPublicKey(p256.utils.randomSecretKey(), false).slice(1, 33);
  await crypto.ecdh(kp.priv, peer);
  await crypto.ecdh(crypto.deviceKey, peer);
  expect(calls).toBe(1);
  const other = p256.getPublicKey(p256.utils.randomSecretKey(), false).slice(1, 33);
  await crypto.ecdh(crypto.deviceKey, other);
  expect(calls).toBe(2);
});
