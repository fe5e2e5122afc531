/**
 * Driver + simulator round trips for every command, the chip's lifecycle rules (unlocked
 * Random pattern, locks, CRC of the configuration zone) and raw packet behaviour.
 */
import { describe, expect, test } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import vectors from "../vectors/atecc608/packets.json";
import {
  createSeDriver,
  crc16,
  encodeCommand,
  KEY_TEMPKEY,
  seAddr,
  seCounter,
  seEcdh,
  seGenKey,
  seInfo,
  seLock,
  seNonceLoad,
  seRandom,
  seRead,
  seSha,
  seSign,
  seVerifyExtern,
  seWrite,
  TARGET_ALTKEYBUF,
  TARGET_MSGDIGBUF,
  TARGET_TEMPKEY,
  ZONE_CONFIG,
  ZONE_DATA,
  ZONE_OTP,
} from "../../src/crypto/atecc608/driver";
import { simBus } from "../../src/host/atecc608/bus";
import { AteccSimulator, factoryConfig } from "../../src/host/atecc608/simulator";
import { pairkitConfigZone, readConfigZone, writeConfigZone } from "../../src/host/atecc608/provision";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const pub65 = (p: Uint8Array) => Uint8Array.from([4, ...p]);

function chip(opts?: ConstructorParameters<typeof AteccSimulator>[0]) {
  const sim = new AteccSimulator(opts);
  const d = createSeDriver(simBus(sim), { timeScale: 0 });
  return { sim, d };
}

async function lockConfig(d: ReturnType<typeof chip>["d"]) {
  const cfg = pairkitConfigZone(await readConfigZone(d));
  await writeConfigZone(d, cfg);
  await seLock(d, 0x00, crc16(await readConfigZone(d), 0, 128));
}

async function lockedChip() {
  const c = chip();
  await lockConfig(c.d);
  return c;
}

describe("raw packets at the simulator", () => {
  function raw(sim: AteccSimulator, pkt: Uint8Array) {
    sim.wake();
    expect(hex(sim.i2cRead(4)!)).toBe("04113343");
    expect(sim.i2cWrite(Uint8Array.from([3, ...pkt]))).toBe(true);
    const n = sim.i2cRead(1)![0];
    sim.i2cWrite(new Uint8Array([0])); // reset the output pointer and read it whole
    return sim.i2cRead(n)!;
  }

  test("Random before the config lock returns Microchip's FF FF 00 00 pattern, byte for byte", () => {
    const sim = new AteccSimulator();
    const want = vectors.responses.find((v) => v.name.startsWith("Random before"))!.hex;
    expect(hex(raw(sim, unhex("071b00000024cd")))).toBe(want);
  });

  test("a request with a corrupted CRC gets status 0xFF", () => {
    const sim = new AteccSimulator();
    expect(hex(raw(sim, unhex("0730000000035e")))).toBe("04ff0142");
    expect(sim.stats.commands).toBe(0);
  });

  test("a request whose count disagrees with its length gets status 0xFF", () => {
    const sim = new AteccSimulator();
    expect(hex(raw(sim, unhex("0830000000035d")))).toBe("04ff0142");
  });

  test("an unknown opcode is a parse error (04 03 83 42)", () => {
    const sim = new AteccSimulator();
    const pkt = encodeCommand(0x99, 0, 0, null).subarray(1);
    expect(hex(raw(sim, pkt))).toBe("04038342");
  });

  test("Info returns the ATECC608B revision 00 00 60 03", () => {
    const sim = new AteccSimulator();
    const r = raw(sim, unhex("0730000000035d"));
    expect(hex(r.subarray(1, 5))).toBe("00006003");
  });

  test("Read of config word 0 returns the serial number prefix 01 23", () => {
    const sim = new AteccSimulator();
    const r = raw(sim, unhex("07020000001e2d"));
    expect(hex(r.subarray(1, 3))).toBe("0123");
  });

  test("a sleeping or idle chip NACKs; wake answers 04 11 33 43; an awake chip ignores a second wake", () => {
    const sim = new AteccSimulator();
    expect(sim.state).toBe("sleep");
    expect(sim.i2cRead(4)).toBeNull();
    expect(sim.i2cWrite(new Uint8Array([2]))).toBe(false);
    sim.wake();
    expect(sim.state).toBe("awake");
    sim.i2cWrite(unhex("030730000000035d"));
    sim.wake();
    expect(sim.i2cRead(7)![0]).toBe(7); // still the Info response, not a wake response
    sim.i2cWrite(new Uint8Array([2]));
    expect(sim.state).toBe("idle");
    expect(sim.i2cRead(4)).toBeNull();
  });

  test("during execution reads are NACKed (timeScale 1 with a manual clock)", () => {
    let now = 0;
    const sim = new AteccSimulator({ timeScale: 1, clock: () => now });
    sim.wake();
    sim.i2cRead(4);
    sim.i2cWrite(Uint8Array.from([3, ...unhex("071b00000024cd")]));
    now += 22;
    expect(sim.i2cRead(35)).toBeNull();
    now += 1;
    expect(sim.i2cRead(35)![0]).toBe(35);
  });
});

describe("driver + simulator round trips", () => {
  test("Info revision", async () => {
    const { d } = chip();
    expect(hex(await seInfo(d, 0, 0))).toBe("00006003");
  });

  test("Random: pattern before the config lock, fresh bytes after", async () => {
    const { d } = chip();
    expect(hex(await seRandom(d, 0))).toBe("ffff0000".repeat(8));
    await lockConfig(d);
    const a = await seRandom(d, 0);
    const b = await seRandom(d, 0);
    expect(a.length).toBe(32);
    expect(hex(a)).not.toBe(hex(b));
  });

  test("Read and Write of the configuration zone (4 and 32 bytes)", async () => {
    const { d, sim } = chip();
    await seWrite(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 0, 5), unhex("85000000"));
    expect(hex(await seRead(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 0, 5), false))).toBe("85000000");
    const blk = new Uint8Array(32).map((_, i) => i);
    await seWrite(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 3, 0), blk);
    expect(hex(await seRead(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 3, 0), true))).toBe(hex(blk));
    expect(hex(sim.configZone().subarray(96, 128))).toBe(hex(blk));
  });

  test("the serial number, revision and lock bytes cannot be written", async () => {
    const { d } = chip();
    await expect(seWrite(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 0, 0), new Uint8Array(4))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await expect(seWrite(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 2, 5), new Uint8Array(4))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await expect(seWrite(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 0, 0), new Uint8Array(32))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
  });

  test("Lock of the configuration zone checks the CRC summary of all 128 bytes", async () => {
    const { d, sim } = chip();
    const cfg = await readConfigZone(d);
    const good = crc16(cfg, 0, 128);
    await expect(seLock(d, 0x00, good ^ 1)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    expect(sim.configZone()[87]).toBe(0x55);
    await seLock(d, 0x00, good);
    expect(sim.configZone()[87]).toBe(0x00);
    await expect(seLock(d, 0x00, good)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await expect(seWrite(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 0, 5), new Uint8Array(4))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
  });

  test("GenKey into a slot and into TempKey; GenKey mode 0 recomputes the same public key", async () => {
    const { d, sim } = await lockedChip();
    const p0 = await seGenKey(d, 0x04, 0);
    expect(p256.utils.isValidPublicKey(pub65(p0), false)).toBe(true);
    expect(hex(await seGenKey(d, 0x00, 0))).toBe(hex(p0));
    const pt = await seGenKey(d, 0x04, KEY_TEMPKEY);
    expect(p256.utils.isValidPublicKey(pub65(pt), false)).toBe(true);
    expect(sim.volatileState().tempKey).toBe("priv");
    expect(hex(await seInfo(d, 1, 0))).toBe("01000000");
    expect(hex(await seInfo(d, 1, 5))).toBe("00000000");
  });

  test("Nonce pass-through fills TempKey, the Message Digest Buffer and the Alternate Key Buffer", async () => {
    const { d, sim } = chip();
    expect(sim.volatileState()).toMatchObject({ tempKey: "none", msgDigBuf: false, altKeyBuf: false });
    await seNonceLoad(d, TARGET_MSGDIGBUF, new Uint8Array(32));
    await seNonceLoad(d, TARGET_ALTKEYBUF, new Uint8Array(32));
    await seNonceLoad(d, TARGET_TEMPKEY, new Uint8Array(64));
    expect(sim.volatileState()).toMatchObject({ tempKey: "data", msgDigBuf: true, altKeyBuf: true });
    await expect(seNonceLoad(d, TARGET_ALTKEYBUF, new Uint8Array(64))).rejects.toMatchObject({ code: "SE_PARSE_ERROR" });
  });

  test("Sign (external, Message Digest Buffer and TempKey) verifies with @noble", async () => {
    const { d } = await lockedChip();
    const pub = await seGenKey(d, 0x04, 0);
    await seLock(d, 0x81, 0);
    const digest = sha256(new TextEncoder().encode("pairkit"));
    await seNonceLoad(d, TARGET_MSGDIGBUF, digest);
    const s1 = await seSign(d, 0x20, 0);
    expect(p256.verify(s1, digest, pub65(pub), { prehash: false, lowS: false })).toBe(true);
    await seNonceLoad(d, TARGET_TEMPKEY, digest);
    const s2 = await seSign(d, 0x00, 0);
    expect(p256.verify(s2, digest, pub65(pub), { prehash: false, lowS: false })).toBe(true);
    expect(hex(s1)).not.toBe(hex(s2)); // random k, as on the chip
  });

  test("Verify external: true for a @noble signature, false (status 0x01) for a wrong one", async () => {
    const { d } = await lockedChip();
    const sk = p256.utils.randomSecretKey();
    const pub = p256.getPublicKey(sk, false).slice(1);
    const digest = sha256(new Uint8Array([1, 2, 3]));
    const sig = p256.sign(digest, sk, { prehash: false });
    await seNonceLoad(d, TARGET_MSGDIGBUF, digest);
    expect(await seVerifyExtern(d, 0x20, sig, pub)).toBe(true);
    sig[10] ^= 1;
    await seNonceLoad(d, TARGET_MSGDIGBUF, digest);
    expect(await seVerifyExtern(d, 0x20, sig, pub)).toBe(false);
    await seNonceLoad(d, TARGET_MSGDIGBUF, digest);
    await expect(seVerifyExtern(d, 0x20, sig, new Uint8Array(64).fill(1))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
  });

  test("ECDH from a slot and from TempKey equals @noble's shared secret", async () => {
    const { d } = await lockedChip();
    const p0 = await seGenKey(d, 0x04, 0);
    await seLock(d, 0x81, 0);
    const peer = p256.utils.randomSecretKey();
    const peerPub = p256.getPublicKey(peer, false).slice(1);
    const x0 = await seEcdh(d, 0x0c, 0, peerPub);
    expect(hex(x0)).toBe(hex(p256.getSharedSecret(peer, pub65(p0), true).slice(1)));
    const pt = await seGenKey(d, 0x04, KEY_TEMPKEY);
    const xt = await seEcdh(d, 0x0d, 0, peerPub);
    expect(hex(xt)).toBe(hex(p256.getSharedSecret(peer, pub65(pt), true).slice(1)));
    // Not on the curve: execution error, as Microchip's engineers describe for atcab_ecdh (cryptoauthlib issue #11).
    const bad = new Uint8Array(peerPub);
    bad[63] ^= 1;
    await expect(seEcdh(d, 0x0c, 0, bad)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
  });

  test("SHA start/update/end equals @noble sha256; HMAC from a data slot equals @noble hmac", async () => {
    const { d } = await lockedChip();
    const msg = new Uint8Array(64 * 2 + 17).map((_, i) => (i * 7) & 255);
    await seSha(d, 0x00, 0, null);
    await seSha(d, 0x01, 64, msg.subarray(0, 64));
    await seSha(d, 0x01, 64, msg.subarray(64, 128));
    const dig = await seSha(d, 0xc2, 17, msg.subarray(128));
    expect(hex(dig)).toBe(hex(sha256(msg)));
    // HMAC keyed by slot 9 (a clear data slot in pairkit's map).
    const key = new Uint8Array(32).map((_, i) => 100 + i);
    const blk = new Uint8Array(32);
    blk.set(key);
    await seWrite(d, ZONE_DATA, seAddr(ZONE_DATA, 9, 0, 0), blk);
    await seLock(d, 0x81, 0);
    await seSha(d, 0x04, 9, null);
    await seSha(d, 0x01, 64, msg.subarray(0, 64));
    const mac = await seSha(d, 0xc2, 10, msg.subarray(64, 74));
    expect(hex(mac)).toBe(hex(hmac(sha256, key, msg.subarray(0, 74))));
    await expect(seSha(d, 0x01, 64, msg.subarray(0, 64))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" }); // no context
  });

  test("Read/Write of data and OTP: 32-byte writes before the data lock, reads after", async () => {
    const { d } = await lockedChip();
    const blk = new Uint8Array(32).fill(0x42);
    await expect(seWrite(d, ZONE_DATA, seAddr(ZONE_DATA, 9, 0, 0), blk.subarray(0, 4))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await seWrite(d, ZONE_DATA, seAddr(ZONE_DATA, 9, 0, 0), blk);
    await seWrite(d, ZONE_OTP, seAddr(ZONE_OTP, 0, 1, 0), blk);
    await expect(seRead(d, ZONE_DATA, seAddr(ZONE_DATA, 9, 0, 0), true)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await seLock(d, 0x81, 0);
    expect(hex(await seRead(d, ZONE_DATA, seAddr(ZONE_DATA, 9, 0, 0), true))).toBe(hex(blk));
    expect(hex(await seRead(d, ZONE_OTP, seAddr(ZONE_OTP, 0, 1, 0), true))).toBe(hex(blk));
    // Slot 9 is "Always" writable after the lock, 4 bytes at a time too.
    await seWrite(d, ZONE_DATA, seAddr(ZONE_DATA, 9, 2, 1), unhex("01020304"));
    expect(hex(await seRead(d, ZONE_DATA, seAddr(ZONE_DATA, 9, 2, 1), false))).toBe("01020304");
    // Past the end of a 72-byte slot.
    await expect(seRead(d, ZONE_DATA, seAddr(ZONE_DATA, 9, 2, 2), false)).rejects.toMatchObject({ code: "SE_PARSE_ERROR" });
    // The OTP zone is read-only after the lock.
    await expect(seWrite(d, ZONE_OTP, seAddr(ZONE_OTP, 0, 0, 0), blk)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
  });

  test("Lock of a single slot: only lockable slots, only after the data lock, then no writes", async () => {
    const { d, sim } = await lockedChip();
    await expect(seLock(d, 0x02 | (9 << 2), 0)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" }); // data unlocked
    await seLock(d, 0x81, 0);
    await expect(seLock(d, 0x02 | (2 << 2), 0)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" }); // slot 2 not lockable
    await seLock(d, 0x02 | (9 << 2), 0);
    const z = sim.configZone();
    expect(((z[88] | (z[89] << 8)) >> 9) & 1).toBe(0);
    await expect(seWrite(d, ZONE_DATA, seAddr(ZONE_DATA, 9, 0, 0), new Uint8Array(32))).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await expect(seLock(d, 0x02 | (9 << 2), 0)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" }); // already
  });

  test("Counter read and increment (monotonic, per counter)", async () => {
    const { d, sim } = await lockedChip();
    expect(await seCounter(d, 0, 0)).toBe(0);
    expect(await seCounter(d, 1, 0)).toBe(1);
    expect(await seCounter(d, 1, 0)).toBe(2);
    expect(await seCounter(d, 0, 1)).toBe(0);
    expect(sim.counterValue(0)).toBe(2);
    await expect(seCounter(d, 0, 2)).rejects.toMatchObject({ code: "SE_PARSE_ERROR" });
  });

  test("Counter needs a locked configuration zone", async () => {
    const { d } = chip();
    await expect(seCounter(d, 1, 0)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
  });

  test("the factory configuration is cryptoauthlib's reference layout, unlocked", () => {
    const c = factoryConfig();
    expect(c.length).toBe(128);
    expect([c[86], c[87], c[88], c[89]]).toEqual([0x55, 0x55, 0xff, 0xff]);
    expect(hex(c.subarray(4, 8))).toBe("00006003");
  });
});
