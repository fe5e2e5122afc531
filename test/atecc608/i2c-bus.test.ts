/**
 * The device I2C bus (callback form, answering synchronously like Espruino's I2C) over an
 * I2C stand-in backed by the simulator: the whole device path in Node, its faults, and the
 * driver taking synchronous answers in its loop rather than nesting calls.
 */
import { describe, expect, test } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { i2cBus } from "../../src/crypto/atecc608/bus";
import type { I2cLike } from "../../src/crypto/atecc608/bus";
import { createSeDriver, seInfo, seRandom, seRead, ZONE_CONFIG } from "../../src/crypto/atecc608/driver";
import { createSecureElementCrypto } from "../../src/crypto/atecc608/se-crypto";
import { readIdentity, seAtRestSecret } from "../../src/crypto/atecc608/identity";
import { provisionSecureElement } from "../../src/host/atecc608/provision";
import { nobleDecompressY } from "../../src/host/atecc608/fixture";
import { AteccSimulator } from "../../src/host/atecc608/simulator";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Espruino's I2C semantics: a transfer the device does not acknowledge throws; the wake's general call always does. */
function simI2c(sim: AteccSimulator, onRead?: () => void): I2cLike {
  return {
    writeTo(addr, data) {
      if (addr === 0) {
        sim.wake();
        throw new Error("I2C: no ACK");
      }
      if (!sim.i2cWrite(typeof data === "number" ? new Uint8Array([data]) : new Uint8Array(data))) throw new Error("I2C: no ACK");
    },
    readFrom(_addr, n) {
      if (onRead) onRead();
      const r = sim.i2cRead(n);
      if (!r) throw new Error("I2C: no ACK");
      return r;
    },
  };
}

describe("i2cBus over a simulated chip", () => {
  test("provisioning, identity, at-rest secret, GenKey + ECDH + Sign + Verify match @noble", async () => {
    const sim = new AteccSimulator();
    const d = createSeDriver(i2cBus(simI2c(sim), 0x60), { timeScale: 0 });
    const anchor = p256.getPublicKey(p256.utils.randomSecretKey(), false).slice(1);
    const res = await provisionSecureElement(d, {
      issueCredential: async (pub) => Uint8Array.from([0xd8, 0x3d, ...pub]),
      trustAnchors: [anchor],
    });
    const id = await readIdentity(d);
    expect(hex(id.credential)).toBe(hex(res.identity.credential));
    expect(id.anchors.map(hex)).toEqual([hex(anchor)]);
    expect((await seAtRestSecret(d)).length).toBe(32);
    const c = createSecureElementCrypto(d, { sha256, decompress: nobleDecompressY, ephemeralTtlMs: 0 });
    const kp = await c.generateKeyPair(1);
    const peer = p256.utils.randomSecretKey();
    const x = await c.ecdh(kp.priv, p256.getPublicKey(peer, false).slice(1, 33));
    expect(hex(x)).toBe(hex(p256.getSharedSecret(peer, Uint8Array.from([4, ...kp.pub]), true).slice(1)));
    const msg = new TextEncoder().encode("over I2C");
    const sig = await c.sign(c.deviceKey, msg);
    expect(p256.verify(sig, msg, Uint8Array.from([4, ...res.devicePub]), { lowS: false })).toBe(true);
    expect(await c.verify(1, res.devicePub, msg, sig)).toBe(true);
  });

  test("faults: a corrupted response is re-read, a lost one re-sent, an absent chip is SE_NO_DEVICE", async () => {
    const sim = new AteccSimulator();
    const d = createSeDriver(i2cBus(simI2c(sim), 0x60), { timeScale: 0 });
    sim.faults.corruptResponseCrc = 2;
    expect(hex(await seInfo(d, 0, 0))).toBe("00006003");
    sim.faults.dropResponses = 1;
    expect((await seRandom(d, 0)).length).toBe(32);
    sim.forceSleep(); // behind the driver's back: the next write is not acknowledged
    expect(hex(await seInfo(d, 0, 0))).toBe("00006003");
    sim.faults.absent = true;
    await expect(seInfo(d, 0, 0)).rejects.toMatchObject({ code: "SE_NO_DEVICE" });
  });

  test("answers given at once do not nest: the stack stays flat over many queued commands", async () => {
    const sim = new AteccSimulator();
    const depths: number[] = [];
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 1000;
    try {
      // Frames of the driver's state machine (`step`) under each I2C read.
      const frames = () => new Error().stack!.split("\n").filter((l) => /\bat step\b/.test(l)).length;
      const d = createSeDriver(i2cBus(simI2c(sim, () => depths.push(frames())), 0x60), { timeScale: 0 });
      const reads = [];
      for (let b = 0; b < 20; b++) reads.push(seRead(d, ZONE_CONFIG, b & 3, false));
      expect((await Promise.all(reads)).length).toBe(20);
    } finally {
      Error.stackTraceLimit = limit;
    }
    // Each read under a single step frame, however many commands ran: a nested call per
    // answer would pile up one more frame each time.
    expect(depths.length).toBeGreaterThanOrEqual(21);
    expect(depths.every((n) => n === 1)).toBe(true);
  });
});
