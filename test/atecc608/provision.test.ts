/**
 * Provisioning: pairkit's slot map written and locked, identity stored and read back at
 * boot, the at-rest secret, the binding counter; the identity record parser.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { createSeDriver, crc16, seGenKey, seSleep } from "../../src/crypto/atecc608/driver";
import {
  AT_REST_POINT_HEX,
  AT_REST_POINT_B64,
  decodeIdentity,
  encodeIdentity,
  readIdentity,
  seAtRestSecret,
  seBindingsCounter,
} from "../../src/crypto/atecc608/identity";
import { simBus } from "../../src/host/atecc608/bus";
import { createSimulatedSecureElement } from "../../src/host/atecc608/fixture";
import { PAIRKIT_SLOTS, provisionSecureElement, readConfigZone } from "../../src/host/atecc608/provision";
import { AteccSimulator } from "../../src/host/atecc608/simulator";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("provisionSecureElement", () => {
  test("writes pairkit's slot map, locks both zones, stores and reads back the identity", async () => {
    const sim = new AteccSimulator();
    const d = createSeDriver(simBus(sim), { timeScale: 0 });
    const anchors = [p256.getPublicKey(p256.utils.randomSecretKey(), false).slice(1), new Uint8Array(77).fill(5)];
    let issuedFor: Uint8Array | null = null;
    const res = await provisionSecureElement(d, {
      issueCredential: async (pub) => {
        issuedFor = pub;
        return new Uint8Array(200).map((_, i) => i);
      },
      trustAnchors: anchors,
    });
    expect(res.alreadyProvisioned).toBe(false);
    expect(hex(issuedFor!)).toBe(hex(res.devicePub));
    const cfg = sim.configZone();
    expect([cfg[86], cfg[87]]).toEqual([0x00, 0x00]);
    for (let s = 0; s < 16; s++) {
      expect(cfg[20 + 2 * s] | (cfg[21 + 2 * s] << 8)).toBe(PAIRKIT_SLOTS[s].slotConfig);
      expect(cfg[96 + 2 * s] | (cfg[97 + 2 * s] << 8)).toBe(PAIRKIT_SLOTS[s].keyConfig);
    }
    expect(hex(res.serial.subarray(0, 2))).toBe("0123");
    // At boot: a fresh driver reads the identity back.
    const boot = createSeDriver(simBus(sim), { timeScale: 0 });
    const id = await readIdentity(boot);
    expect(hex(id.credential)).toBe(hex(new Uint8Array(200).map((_, i) => i)));
    expect(id.anchors.map(hex)).toEqual(anchors.map(hex));
    // The device public key is recomputable; the device key is frozen.
    expect(hex(await seGenKey(boot, 0x00, 0))).toBe(hex(res.devicePub));
  });

  test("running it again on a provisioned chip changes nothing", async () => {
    const s = await createSimulatedSecureElement();
    const again = await provisionSecureElement(s.driver, { issueCredential: async () => new Uint8Array(9), trustAnchors: [new Uint8Array(64)] });
    expect(again.alreadyProvisioned).toBe(true);
    expect(hex(again.devicePub)).toBe(hex(s.provisioned!.devicePub));
    expect(hex(again.identity.credential)).toBe(hex(s.provisioned!.identity.credential));
  });

  test("a power loss after the config lock: re-running completes the job", async () => {
    const sim = new AteccSimulator();
    const d = createSeDriver(simBus(sim), { timeScale: 0 });
    await expect(
      provisionSecureElement(d, { issueCredential: async () => { throw new Error("CA offline"); }, trustAnchors: [new Uint8Array(64)] }),
    ).rejects.toThrow("CA offline");
    expect(sim.configZone()[87]).toBe(0x00);
    expect(sim.configZone()[86]).toBe(0x55);
    const res = await provisionSecureElement(d, { issueCredential: async () => new Uint8Array(50).fill(1), trustAnchors: [new Uint8Array(64)] });
    expect(res.alreadyProvisioned).toBe(false);
    expect(sim.configZone()[86]).toBe(0x00);
  });

  test("a chip locked with another slot map is refused", async () => {
    const sim = new AteccSimulator();
    const d = createSeDriver(simBus(sim), { timeScale: 0 });
    const { seLock } = await import("../../src/crypto/atecc608/driver");
    await seLock(d, 0x00, crc16(await readConfigZone(d), 0, 128)); // factory layout
    await expect(provisionSecureElement(d, { issueCredential: async () => new Uint8Array(9), trustAnchors: [new Uint8Array(64)] })).rejects.toMatchObject({
      code: "SE_CONFIG_MISMATCH",
    });
  });

  test("credentials over 200 bytes and identities over 416 bytes are refused before the data zone is locked", async () => {
    const sim = new AteccSimulator();
    const d = createSeDriver(simBus(sim), { timeScale: 0 });
    await expect(provisionSecureElement(d, { issueCredential: async () => new Uint8Array(201), trustAnchors: [new Uint8Array(64)] })).rejects.toMatchObject({
      code: "SE_IDENTITY_TOO_LARGE",
    });
    await expect(
      provisionSecureElement(d, { issueCredential: async () => new Uint8Array(200), trustAnchors: [new Uint8Array(120), new Uint8Array(100)] }),
    ).rejects.toMatchObject({ code: "SE_IDENTITY_TOO_LARGE" });
    expect(sim.configZone()[86]).toBe(0x55);
  });
});

describe("device-unique at-rest secret", () => {
  test("the fixed point is derived as documented and lies on P-256", () => {
    const label = new TextEncoder().encode("pairkit/atecc608/at-rest-point/v1");
    const x = sha256(Uint8Array.from([...label, 0]));
    const P = p256.Point.fromBytes(Uint8Array.from([2, ...x]));
    expect(hex(P.toBytes(false).slice(1))).toBe(AT_REST_POINT_HEX);
    expect(Buffer.from(AT_REST_POINT_B64, "base64").toString("hex")).toBe(AT_REST_POINT_HEX);
  });

  test("stable across reboots of one chip, different on another chip, and not the public key", async () => {
    const a = await createSimulatedSecureElement();
    const s1 = await seAtRestSecret(a.driver);
    await seSleep(a.driver);
    const reboot = createSeDriver(simBus(a.sim), { timeScale: 0 });
    expect(hex(await seAtRestSecret(reboot))).toBe(hex(s1));
    const b = await createSimulatedSecureElement();
    expect(hex(await seAtRestSecret(b.driver))).not.toBe(hex(s1));
    expect(hex(s1)).not.toBe(hex(a.provisioned!.devicePub.subarray(0, 32)));
  });
});

describe("binding-store counter", () => {
  test("reads and increments monotonically", async () => {
    const { driver } = await createSimulatedSecureElement();
    expect(await seBindingsCounter(driver, false)).toBe(0);
    expect(await seBindingsCounter(driver, true)).toBe(1);
    expect(await seBindingsCounter(driver, true)).toBe(2);
    expect(await seBindingsCounter(driver, false)).toBe(2);
  });
});

describe("identity record", () => {
  const arb = fc.record({
    credential: fc.uint8Array({ minLength: 1, maxLength: 200 }),
    anchors: fc.array(fc.uint8Array({ minLength: 0, maxLength: 80 }), { maxLength: 2 }),
  });

  test("decode(encode(x)) = x", () => {
    fc.assert(
      fc.property(arb, (id) => {
        const back = decodeIdentity(encodeIdentity(id));
        expect(hex(back.credential)).toBe(hex(id.credential));
        expect(back.anchors.map(hex)).toEqual(id.anchors.map(hex));
      }),
    );
  });

  test("any corruption of the header or lengths is SE_IDENTITY_CORRUPT, never another error", () => {
    fc.assert(
      fc.property(arb, fc.nat(15), fc.integer({ min: 1, max: 255 }), (id, at, x) => {
        const b = encodeIdentity(id);
        b[at % 8] ^= x; // header: magic, version, anchor count, lengths
        try {
          decodeIdentity(b);
        } catch (e) {
          expect((e as { code: string }).code).toBe("SE_IDENTITY_CORRUPT");
        }
      }),
    );
  });

  test("random bytes never decode into anything but a typed error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 416 }), (b) => {
        try {
          decodeIdentity(b);
        } catch (e) {
          expect((e as { code: string }).code).toBe("SE_IDENTITY_CORRUPT");
        }
      }),
    );
  });

  test("readIdentity on a chip whose slot 8 is empty is SE_IDENTITY_CORRUPT", async () => {
    const { sim } = await createSimulatedSecureElement({ provision: false });
    const { pairkitConfigZone, writeConfigZone } = await import("../../src/host/atecc608/provision");
    const { seLock } = await import("../../src/crypto/atecc608/driver");
    const d = createSeDriver(simBus(sim), { timeScale: 0 });
    await writeConfigZone(d, pairkitConfigZone(await readConfigZone(d)));
    await seLock(d, 0x00, crc16(await readConfigZone(d), 0, 128));
    await seLock(d, 0x81, 0);
    await expect(readIdentity(d)).rejects.toMatchObject({ code: "SE_IDENTITY_CORRUPT" });
  });
});
