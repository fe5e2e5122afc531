/**
 * createSecureElementCrypto: the AsymmetricCrypto half on the ATECC608, checked against
 * @noble/curves for the same keys.
 */
import { describe, expect, test } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { CRV_ED25519, CRV_P256, CRV_X25519 } from "../../src/crypto/provider";
import { seNonceLoad, seRandom, TARGET_TEMPKEY } from "../../src/crypto/atecc608/driver";
import { createSecureElementCrypto } from "../../src/crypto/atecc608/se-crypto";
import { createSimulatedSecureElement, nobleDecompressY } from "../../src/host/atecc608/fixture";

import { hex, nobleEcdh, peerKey, pub65 } from "../helpers/p256";

describe("ECDH", () => {
  test("ephemeral (TempKey) x peer: equals @noble for 64-byte and x-only peer keys", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const kp = await crypto.generateKeyPair(CRV_P256);
    expect(kp.pub.length).toBe(64);
    for (let i = 0; i < 5; i++) {
      const peer = peerKey();
      const want = nobleEcdh(peer.sk, kp.pub);
      expect(hex(await crypto.ecdh(kp.priv, peer.pub))).toBe(want);
      expect(hex(await crypto.ecdh(kp.priv, peer.pub.slice(0, 32)))).toBe(want);
    }
  });

  test("device key x peer equals @noble (static DH, EDHOC method 3)", async () => {
    const { crypto, provisioned } = await createSimulatedSecureElement();
    const peer = peerKey();
    expect(hex(await crypto.ecdh(crypto.deviceKey, peer.pub))).toBe(nobleEcdh(peer.sk, provisioned!.devicePub));
  });

  test("an x with no point on the curve is CRYPTO_BAD_POINT (decompress returned null)", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const kp = await crypto.generateKeyPair(CRV_P256);
    let x = new Uint8Array(32).fill(1);
    for (let i = 0; nobleDecompressY(x); i++) x[0] = i;
    await expect(crypto.ecdh(kp.priv, x)).rejects.toMatchObject({ code: "CRYPTO_BAD_POINT" });
  });

  test("a 64-byte key off the curve is CRYPTO_BAD_POINT (the chip's execution error)", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const kp = await crypto.generateKeyPair(CRV_P256);
    const bad = peerKey().pub;
    bad[40] ^= 4;
    await expect(crypto.ecdh(kp.priv, bad)).rejects.toMatchObject({ code: "CRYPTO_BAD_POINT" });
    await expect(crypto.ecdh(kp.priv, new Uint8Array(33))).rejects.toMatchObject({ code: "CRYPTO_BAD_POINT" });
  });

  test("x-only keys need an injected decompress", async () => {
    const s = await createSimulatedSecureElement();
    const c = createSecureElementCrypto(s.driver, { sha256, ephemeralTtlMs: 0 });
    const kp = await c.generateKeyPair(CRV_P256);
    await expect(c.ecdh(kp.priv, peerKey().pub.slice(0, 32))).rejects.toMatchObject({ code: "CRYPTO_UNSUPPORTED" });
  });

  test("the injected decompress may return y or x||y", async () => {
    const s = await createSimulatedSecureElement();
    const full = (x: Uint8Array) => {
      const y = nobleDecompressY(x);
      return y ? Uint8Array.from([...x, ...y]) : null;
    };
    const c = createSecureElementCrypto(s.driver, { sha256, decompress: full, ephemeralTtlMs: 0 });
    const kp = await c.generateKeyPair(CRV_P256);
    const peer = peerKey();
    expect(hex(await c.ecdh(kp.priv, peer.pub.slice(0, 32)))).toBe(nobleEcdh(peer.sk, kp.pub));
  });
});

describe("TempKey survives a handshake's Sign and Verify (they use the Message Digest Buffer)", () => {
  test("GenKey -> Sign -> Verify -> ECDH still uses the same ephemeral", async () => {
    const { crypto, provisioned, sim } = await createSimulatedSecureElement();
    const kp = await crypto.generateKeyPair(CRV_P256);
    const sig = await crypto.sign(crypto.deviceKey, new Uint8Array([9, 9]));
    expect(await crypto.verify(CRV_P256, provisioned!.devicePub, new Uint8Array([9, 9]), sig)).toBe(true);
    expect(sim.volatileState().tempKey).toBe("priv");
    const peer = peerKey();
    expect(hex(await crypto.ecdh(kp.priv, peer.pub))).toBe(nobleEcdh(peer.sk, kp.pub));
  });

  test("control: a Nonce into TempKey would destroy it (what Message Digest Buffer avoids)", async () => {
    const { crypto, driver } = await createSimulatedSecureElement();
    const kp = await crypto.generateKeyPair(CRV_P256);
    await seNonceLoad(driver, TARGET_TEMPKEY, new Uint8Array(32));
    await expect(crypto.ecdh(kp.priv, peerKey().pub.slice(0, 32))).rejects.toMatchObject({ code: "SE_EPHEMERAL_LOST" });
  });

  test("a second generateKeyPair makes the first TempKey reference stale", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const a = await crypto.generateKeyPair(CRV_P256);
    await crypto.generateKeyPair(CRV_P256);
    await expect(crypto.ecdh(a.priv, peerKey().pub)).rejects.toMatchObject({ code: "SE_EPHEMERAL_LOST" });
  });

  test("release() sleeps the chip: TempKey is wiped and the reference is stale", async () => {
    const { crypto, sim } = await createSimulatedSecureElement();
    const a = await crypto.generateKeyPair(CRV_P256);
    await crypto.release();
    expect(sim.state).toBe("sleep");
    expect(sim.volatileState().tempKey).toBe("none");
    await expect(crypto.ecdh(a.priv, peerKey().pub)).rejects.toMatchObject({ code: "SE_EPHEMERAL_LOST" });
  });

  test("the TTL timer wipes an unused TempKey ephemeral", async () => {
    const { crypto, sim } = await createSimulatedSecureElement({ crypto: { ephemeralTtlMs: 20 } });
    const a = await crypto.generateKeyPair(CRV_P256);
    await new Promise((r) => setTimeout(r, 60));
    expect(sim.volatileState().tempKey).toBe("none");
    await expect(crypto.ecdh(a.priv, peerKey().pub)).rejects.toMatchObject({ code: "SE_EPHEMERAL_LOST" });
  });
});

describe("ephemeral generated ahead of time", () => {
  test("prepareEphemeral moves GenKey out of the handshake and survives sleep", async () => {
    const { crypto, sim } = await createSimulatedSecureElement();
    await crypto.prepareEphemeral();
    expect(crypto.hasPreparedEphemeral()).toBe(true);
    await crypto.release(); // sleep: a slot key survives, unlike TempKey
    sim.resetStats();
    const kp = await crypto.generateKeyPair(CRV_P256);
    expect(sim.stats.commands).toBe(0);
    expect(crypto.hasPreparedEphemeral()).toBe(false);
    const peer = peerKey();
    expect(hex(await crypto.ecdh(kp.priv, peer.pub))).toBe(nobleEcdh(peer.sk, kp.pub));
    // The next one comes from TempKey again.
    const kp2 = await crypto.generateKeyPair(CRV_P256);
    expect((kp2.priv as unknown as { slot: number }).slot).toBe(0xffff);
  });

  test("re-preparing overwrites the slot: the old reference is stale", async () => {
    const { crypto } = await createSimulatedSecureElement();
    await crypto.prepareEphemeral();
    const kp = await crypto.generateKeyPair(CRV_P256);
    await crypto.prepareEphemeral();
    await expect(crypto.ecdh(kp.priv, peerKey().pub)).rejects.toMatchObject({ code: "SE_EPHEMERAL_LOST" });
  });
});

describe("sign and verify", () => {
  test("sign(deviceKey) is ES256 over SHA-256(message) and verifies with @noble", async () => {
    const { crypto, provisioned } = await createSimulatedSecureElement();
    for (const m of [new Uint8Array(0), new Uint8Array(1000).fill(3), new TextEncoder().encode("EDHOC")]) {
      const sig = await crypto.sign(crypto.deviceKey, m);
      expect(sig.length).toBe(64);
      expect(p256.verify(sig, m, pub65(provisioned!.devicePub), { lowS: false })).toBe(true);
    }
  });

  test("the first Sign seeds the RNG once (Random mode 0), later ones do not", async () => {
    const { crypto, sim } = await createSimulatedSecureElement();
    sim.resetStats();
    await crypto.sign(crypto.deviceKey, new Uint8Array([1]));
    await crypto.sign(crypto.deviceKey, new Uint8Array([2]));
    expect(sim.stats.byOpcode[0x1b]).toBe(1);
    expect(sim.stats.byOpcode[0x41]).toBe(2);
  });

  test("a seed update already made on the driver (the firmware's boot Random) is not repeated", async () => {
    const { crypto, driver, sim } = await createSimulatedSecureElement();
    await seRandom(driver, 0);
    sim.resetStats();
    await crypto.sign(crypto.deviceKey, new Uint8Array([1]));
    expect(sim.stats.byOpcode[0x1b]).toBeUndefined();
    expect(sim.stats.byOpcode[0x41]).toBe(1);
  });

  test("verify: @noble signatures verify; tampered message or signature do not", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const peer = peerKey();
    const m = new TextEncoder().encode("credential");
    const sig = p256.sign(m, peer.sk);
    expect(await crypto.verify(CRV_P256, peer.pub, m, sig)).toBe(true);
    expect(await crypto.verify(CRV_P256, peer.pub, new TextEncoder().encode("credentiaL"), sig)).toBe(false);
    const s2 = new Uint8Array(sig);
    s2[63] ^= 1;
    expect(await crypto.verify(CRV_P256, peer.pub, m, s2)).toBe(false);
    expect(await crypto.verify(CRV_P256, peer.pub, m, sig.slice(0, 63))).toBe(false);
  });

  test("verify: a public key off the curve is CRYPTO_BAD_POINT; a wrong size CRYPTO_BAD_KEY", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const peer = peerKey();
    const sig = p256.sign(new Uint8Array([1]), peer.sk);
    const bad = new Uint8Array(peer.pub);
    bad[1] ^= 1;
    await expect(crypto.verify(CRV_P256, bad, new Uint8Array([1]), sig)).rejects.toMatchObject({ code: "CRYPTO_BAD_POINT" });
    await expect(crypto.verify(CRV_P256, peer.pub.slice(0, 32), new Uint8Array([1]), sig)).rejects.toMatchObject({ code: "CRYPTO_BAD_KEY" });
  });

  test("signing with an ephemeral or a foreign reference is refused", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const kp = await crypto.generateKeyPair(CRV_P256);
    await expect(crypto.sign(kp.priv, new Uint8Array(1))).rejects.toMatchObject({ code: "CRYPTO_BAD_KEY" });
    await expect(crypto.sign({ crv: CRV_P256 }, new Uint8Array(1))).rejects.toMatchObject({ code: "CRYPTO_BAD_KEY" });
    await expect(crypto.sign({ crv: CRV_ED25519, slot: 0 } as never, new Uint8Array(1))).rejects.toMatchObject({ code: "CRYPTO_BAD_KEY" });
    await expect(crypto.ecdh({ crv: CRV_P256, slot: 16 } as never, peerKey().pub)).rejects.toMatchObject({ code: "CRYPTO_BAD_KEY" });
  });

  test("other curves are CRYPTO_UNSUPPORTED", async () => {
    const { crypto } = await createSimulatedSecureElement();
    await expect(crypto.generateKeyPair(CRV_X25519)).rejects.toMatchObject({ code: "CRYPTO_UNSUPPORTED" });
    await expect(crypto.verify(CRV_ED25519, new Uint8Array(32), new Uint8Array(1), new Uint8Array(64))).rejects.toMatchObject({ code: "CRYPTO_UNSUPPORTED" });
  });

  test("concurrent callers are serialised on the bus", async () => {
    const { crypto, provisioned } = await createSimulatedSecureElement();
    const msgs = [1, 2, 3, 4].map((i) => new Uint8Array([i]));
    const sigs = await Promise.all(msgs.map((m) => crypto.sign(crypto.deviceKey, m)));
    for (let i = 0; i < 4; i++) expect(await crypto.verify(CRV_P256, provisioned!.devicePub, msgs[i], sigs[i])).toBe(true);
  });
});
