/**
 * Slot and key configuration enforcement, and private keys never leaving the chip.
 */
import { describe, expect, test } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import {
  createSeDriver,
  KEY_TEMPKEY,
  seAddr,
  seEcdh,
  seGenKey,
  seInfo,
  seLock,
  seNonceLoad,
  seRandom,
  seRead,
  seSign,
  seSleep,
  seWrite,
  TARGET_MSGDIGBUF,
  ZONE_CONFIG,
  ZONE_DATA,
  ZONE_OTP,
} from "../../src/crypto/atecc608/driver";
import { createSecureElementCrypto } from "../../src/crypto/atecc608/se-crypto";
import { simBus } from "../../src/host/atecc608/bus";
import type { BusEvent } from "../../src/host/atecc608/bus";
import { nobleDecompressY } from "../../src/host/atecc608/fixture";
import { provisionSecureElement } from "../../src/host/atecc608/provision";
import { AteccSimulator } from "../../src/host/atecc608/simulator";
import { sha256 } from "@noble/hashes/sha2.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Deterministic randomness that logs what it hands out. */
function loggingRandom(seed: number) {
  const log: Uint8Array[] = [];
  let s = seed >>> 0;
  const random = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      b[i] = s >>> 24;
    }
    log.push(b);
    return new Uint8Array(b);
  };
  return { random, log };
}

async function provisioned(seed = 1) {
  const rng = loggingRandom(seed);
  const reads: Uint8Array[] = [];
  const sim = new AteccSimulator({ random: rng.random, serial: new Uint8Array([1, 0x23, 9, 9, 9, 9, 9, 9, 0xee]) });
  const tap = (e: BusEvent) => {
    if (e.kind === "read" && e.bytes) reads.push(e.bytes);
  };
  const d = createSeDriver(simBus(sim, { tap }), { timeScale: 0 });
  const res = await provisionSecureElement(d, { issueCredential: async () => new Uint8Array(100).fill(7), trustAnchors: [new Uint8Array(64).fill(9)] });
  return { sim, d, res, rng, reads };
}

describe("slot permissions (pairkit's slot map)", () => {
  test("ECDH on a slot whose SlotConfig does not permit it is refused", async () => {
    const { d } = await provisioned();
    const peer = p256.getPublicKey(p256.utils.randomSecretKey(), false).slice(1);
    // Slot 8 is data, slot 5 holds no key; both refuse.
    await expect(seEcdh(d, 0x0c, 8, peer)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await expect(seEcdh(d, 0x0c, 5, peer)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    // Slots 0 (device key), 2 (ephemeral) and 3 (at-rest) permit ECDH.
    for (const s of [0, 2, 3]) expect((await seEcdh(d, 0x0c, s, peer)).length).toBe(32);
  });

  test("ECDH is refused on a P-256 key slot whose ReadKey lacks the ECDH bit", async () => {
    // Same provisioning, but a configuration where slot 0 allows signing only (ReadKey 0x1).
    const sim = new AteccSimulator();
    const d = createSeDriver(simBus(sim), { timeScale: 0 });
    const { pairkitConfigZone, readConfigZone, writeConfigZone } = await import("../../src/host/atecc608/provision");
    const { crc16 } = await import("../../src/crypto/atecc608/driver");
    const cfg = pairkitConfigZone(await readConfigZone(d));
    cfg[20] = 0x81; // ReadKey 1: external signatures only
    await writeConfigZone(d, cfg);
    await seLock(d, 0x00, crc16(await readConfigZone(d), 0, 128));
    await seGenKey(d, 0x04, 0);
    await seLock(d, 0x81, 0);
    const peer = p256.getPublicKey(p256.utils.randomSecretKey(), false).slice(1);
    await expect(seEcdh(d, 0x0c, 0, peer)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await seNonceLoad(d, TARGET_MSGDIGBUF, new Uint8Array(32));
    expect((await seSign(d, 0x20, 0)).length).toBe(64);
  });

  test("Sign only with private keys that allow external signatures", async () => {
    const { d } = await provisioned();
    for (const s of [2, 3, 8]) {
      await seNonceLoad(d, TARGET_MSGDIGBUF, new Uint8Array(32));
      await expect(seSign(d, 0x20, s)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    }
    await seNonceLoad(d, TARGET_MSGDIGBUF, new Uint8Array(32));
    expect((await seSign(d, 0x20, 0)).length).toBe(64);
  });

  test("Sign without a loaded message is refused", async () => {
    const { d } = await provisioned();
    await seSleep(d); // wipes the Message Digest Buffer
    await expect(seSign(d, 0x20, 0)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
  });

  test("private key slots are never readable, in 4- or 32-byte reads", async () => {
    const { d } = await provisioned();
    for (const s of [0, 1, 2, 3]) {
      await expect(seRead(d, ZONE_DATA, seAddr(ZONE_DATA, s, 0, 0), true)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
      await expect(seRead(d, ZONE_DATA, seAddr(ZONE_DATA, s, 0, 1), false)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    }
    // The identity slot reads in the clear.
    expect((await seRead(d, ZONE_DATA, seAddr(ZONE_DATA, 8, 0, 0), true)).length).toBe(32);
  });

  test("GenKey only where KeyConfig and WriteConfig allow it", async () => {
    const { d } = await provisioned();
    await expect(seGenKey(d, 0x04, 0)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" }); // device key frozen
    await expect(seGenKey(d, 0x04, 3)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" }); // at-rest key frozen
    await expect(seGenKey(d, 0x04, 8)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" }); // not a key slot
    expect((await seGenKey(d, 0x04, 2)).length).toBe(64); // ephemeral slot
    expect((await seGenKey(d, 0x04, KEY_TEMPKEY)).length).toBe(64);
  });

  test("GenKey before the configuration zone is locked is refused", async () => {
    const sim = new AteccSimulator();
    const d = createSeDriver(simBus(sim), { timeScale: 0 });
    await expect(seGenKey(d, 0x04, 0)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await expect(seGenKey(d, 0x04, KEY_TEMPKEY)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
  });

  test("writes to locked zones and write-protected slots are refused", async () => {
    const { d } = await provisioned();
    await expect(seWrite(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 0, 5), new Uint8Array(4))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await expect(seWrite(d, ZONE_OTP, seAddr(ZONE_OTP, 0, 0, 0), new Uint8Array(32))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await expect(seWrite(d, ZONE_DATA, seAddr(ZONE_DATA, 8, 0, 0), new Uint8Array(32))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" }); // identity: Never
    await expect(seWrite(d, ZONE_DATA, seAddr(ZONE_DATA, 0, 0, 0), new Uint8Array(32))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" }); // private key
    await expect(seLock(d, 0x81, 0)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" }); // already locked
  });
});

describe("private keys never leave the chip", () => {
  test("no bus response, zone or simulator property carries a private key", async () => {
    const { sim, d, res, rng, reads } = await provisioned(7);
    // The first three 32-byte draws after construction were the GenKeys of slots 0, 3 and 2.
    const keys = rng.log.filter((b) => b.length === 32 && p256.utils.isValidSecretKey(b)).slice(0, 3);
    expect(hex(p256.getPublicKey(keys[0], false).slice(1))).toBe(hex(res.devicePub));
    // Exercise everything that returns bytes.
    const c = createSecureElementCrypto(d, { sha256, decompress: nobleDecompressY, ephemeralTtlMs: 0 });
    const eph = await c.generateKeyPair(1);
    const peer = p256.getPublicKey(p256.utils.randomSecretKey(), false).slice(1);
    await c.ecdh(eph.priv, peer);
    await c.ecdh(c.deviceKey, peer);
    await c.sign(c.deviceKey, new Uint8Array([1]));
    await seInfo(d, 0, 0);
    await seRandom(d, 0);
    for (let b = 0; b < 4; b++) await seRead(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, b, 0), true);
    for (let b = 0; b < 2; b++) await seRead(d, ZONE_OTP, seAddr(ZONE_OTP, 0, b, 0), true);
    for (let s = 0; s < 16; s++) {
      for (let b = 0; b * 32 < [36, 36, 36, 36, 36, 36, 36, 36, 416, 72, 72, 72, 72, 72, 72, 72][s] - 4; b++) {
        await seRead(d, ZONE_DATA, seAddr(ZONE_DATA, s, b, 0), true).catch(() => null);
      }
    }
    const all = reads.map(hex).join("|");
    for (const k of keys) expect(all.includes(hex(k))).toBe(false);
    // Nothing reachable from the simulator object holds a key either.
    const seen = new Set<unknown>();
    const walk = (v: unknown) => {
      if (!v || typeof v !== "object" || seen.has(v)) return;
      seen.add(v);
      if (v instanceof Uint8Array) {
        for (const k of keys) expect(hex(v).includes(hex(k))).toBe(false);
        return;
      }
      for (const x of Object.values(v)) walk(x);
    };
    walk(sim);
    walk(d);
    walk(c);
    walk(eph);
    // The reference: curve, slot, generation and the provider holding it (walked above).
    expect(Object.keys(eph.priv).sort()).toEqual(["crv", "gen", "s", "slot"]);
    expect((eph.priv as unknown as { s: unknown }).s).toBe(c);
  });
});
