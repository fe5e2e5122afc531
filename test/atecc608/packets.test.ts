/**
 * Wire encodings: the driver's CRC and command packets against known-good packets from
 * Microchip/Atmel sources (test/vectors/atecc608/packets.json), and the layout of every
 * command pairkit sends against cryptoauthlib's definitions.
 */
import { describe, expect, test } from "vitest";
import vectors from "../vectors/atecc608/packets.json";
import {
  createSeDriver,
  crc16,
  encodeCommand,
  execTimeMs,
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
} from "../../src/crypto/atecc608/driver";
import type { SeBus, SeDriver } from "../../src/crypto/atecc608/driver";
import { AteccSimulator } from "../../src/host/atecc608/simulator";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

/** A bus that acknowledges everything, answers the wake, and answers every command with a CRC-correct response of the requested size. */
function recordingBus() {
  const writes: Uint8Array[] = [];
  const ops: string[] = [];
  let out: Uint8Array | null = null;
  const bus: SeBus = {
    async wake() {
      ops.push("wake");
      out = unhex("04113343");
    },
    async write(b) {
      ops.push("write:" + b[0]);
      writes.push(new Uint8Array(b));
      if (b[0] === 0x03) out = null; // response decided at read time from the read size
    },
    async read(n) {
      ops.push("read:" + n);
      if (out) return out;
      const data = n <= 4 ? new Uint8Array([0]) : new Uint8Array(n - 3).fill(0xab);
      return AteccSimulator.packet(data);
    },
  };
  return { bus, writes, ops, commands: () => writes.filter((w) => w[0] === 0x03) };
}

function driverWithBus() {
  const r = recordingBus();
  const d: SeDriver = createSeDriver(r.bus, { timeScale: 0 });
  return { d, ...r };
}

describe("CRC-16 (cryptoauthlib atCRC)", () => {
  for (const v of [...vectors.commands, ...vectors.responses]) {
    test(`${v.name} carries a valid CRC`, () => {
      const b = unhex(v.hex);
      expect(b[0]).toBe(b.length);
      const c = crc16(b, 0, b.length - 2);
      expect([c & 255, c >> 8]).toEqual([b[b.length - 2], b[b.length - 1]]);
    });
  }

  test("a flipped bit changes the CRC", () => {
    const b = unhex("0730000000035d");
    b[2] ^= 1;
    const c = crc16(b, 0, 5);
    expect([c & 255, c >> 8]).not.toEqual([0x03, 0x5d]);
  });

  test("matches a bit-by-bit reference implementation on random inputs", () => {
    const ref = (d: Uint8Array) => {
      let r = 0;
      for (const byte of d)
        for (let m = 1; m < 256; m <<= 1) {
          const db = byte & m ? 1 : 0;
          const cb = (r >> 15) & 1;
          r = (r << 1) & 0xffff;
          if (db !== cb) r ^= 0x8005;
        }
      return r;
    };
    for (let i = 0; i < 200; i++) {
      const d = new Uint8Array(Math.floor(Math.random() * 150)).map(() => Math.floor(Math.random() * 256));
      const c = crc16(d, 0, d.length);
      const r = ref(d);
      expect((c & 255) | ((c >> 8) << 8)).toBe(r);
    }
  });
});

describe("command packets equal known-good encodings", () => {
  const known = (name: string) => vectors.commands.find((v) => v.name === name)!.hex;

  test("encodeCommand reproduces Info, Random, Read, Lock, Write, Nonce, GenKey", () => {
    expect(hex(encodeCommand(0x30, 0, 0, null).subarray(1))).toBe(known("Info revision"));
    expect(hex(encodeCommand(0x1b, 0, 0, null).subarray(1))).toBe(known("Random (seed update)"));
    expect(hex(encodeCommand(0x02, 0, 0, null).subarray(1))).toBe(known("Read config zone word 0 (4 bytes)"));
    expect(hex(encodeCommand(0x17, 0, 0, null).subarray(1))).toBe(known("Lock config zone, summary 0x0000"));
    expect(hex(encodeCommand(0x12, 0, 0, new Uint8Array(4)).subarray(1))).toBe(known("Write config zone word 0 (4 zero bytes)"));
    expect(hex(encodeCommand(0x16, 0, 0, new Uint8Array(20)).subarray(1))).toBe(known("Nonce mode 0, 20 zero bytes"));
    expect(hex(encodeCommand(0x40, 4, 0, null).subarray(1))).toBe(known("GenKey private key in slot 0"));
  });

  test("the driver puts the word address 0x03 and the known packet on the bus", async () => {
    const { d, commands } = driverWithBus();
    await seInfo(d, 0, 0);
    await seRandom(d, 0);
    await seRead(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 0, 0), false);
    await seLock(d, 0x00, 0);
    await seWrite(d, ZONE_CONFIG, 0, new Uint8Array(4));
    await seGenKey(d, 0x04, 0);
    expect(commands().map(hex)).toEqual([
      "03" + known("Info revision"),
      "03" + known("Random (seed update)"),
      "03" + known("Read config zone word 0 (4 bytes)"),
      "03" + known("Lock config zone, summary 0x0000"),
      "03" + known("Write config zone word 0 (4 zero bytes)"),
      "03" + known("GenKey private key in slot 0"),
    ]);
  });

  test("wake, command, response, idle: the bus sequence of one command", async () => {
    const { d, ops } = driverWithBus();
    await seInfo(d, 0, 0);
    await new Promise((r) => setTimeout(r, 5));
    // wake, read the 4-byte wake response, command word, read 4+3 bytes, idle word 0x02.
    expect(ops).toEqual(["wake", "read:4", "write:3", "read:7", "write:2"]);
  });
});

/** Decodes count | opcode | p1 | p2 | data | crc and checks the CRC. */
function parse(w: Uint8Array) {
  expect(w[0]).toBe(0x03);
  const p = w.subarray(1);
  expect(p[0]).toBe(p.length);
  const c = crc16(p, 0, p.length - 2);
  expect([p[p.length - 2], p[p.length - 1]]).toEqual([c & 255, c >> 8]);
  return { count: p[0], op: p[1], p1: p[2], p2: p[3] | (p[4] << 8), data: p.subarray(5, p.length - 2) };
}

describe("every command's layout matches cryptoauthlib (calib_command.h)", () => {
  const pub = new Uint8Array(64).map((_, i) => i + 1);
  const sig = new Uint8Array(64).map((_, i) => 200 - i);
  const dig = new Uint8Array(32).fill(0x5c);

  test.each([
    ["Nonce pass-through 32 -> TempKey", (d: SeDriver) => seNonceLoad(d, TARGET_TEMPKEY, dig), { count: 39, op: 0x16, p1: 0x03, p2: 0 }],
    ["Nonce pass-through 32 -> Message Digest Buffer", (d: SeDriver) => seNonceLoad(d, TARGET_MSGDIGBUF, dig), { count: 39, op: 0x16, p1: 0x43, p2: 0 }],
    ["Nonce pass-through 32 -> Alternate Key Buffer", (d: SeDriver) => seNonceLoad(d, TARGET_ALTKEYBUF, dig), { count: 39, op: 0x16, p1: 0x83, p2: 0 }],
    ["Nonce pass-through 64 -> Message Digest Buffer", (d: SeDriver) => seNonceLoad(d, TARGET_MSGDIGBUF, new Uint8Array(64)), { count: 71, op: 0x16, p1: 0x63, p2: 0 }],
    ["GenKey private key -> TempKey", (d: SeDriver) => seGenKey(d, 0x04, KEY_TEMPKEY), { count: 7, op: 0x40, p1: 0x04, p2: 0xffff }],
    ["GenKey public key of slot 0", (d: SeDriver) => seGenKey(d, 0x00, 0), { count: 7, op: 0x40, p1: 0x00, p2: 0 }],
    ["Sign external from Message Digest Buffer, slot 0", (d: SeDriver) => seSign(d, 0x20, 0), { count: 7, op: 0x41, p1: 0xa0, p2: 0 }],
    ["Sign external from TempKey, slot 1", (d: SeDriver) => seSign(d, 0x00, 1), { count: 7, op: 0x41, p1: 0x80, p2: 1 }],
    ["Verify external, Message Digest Buffer, P-256", (d: SeDriver) => seVerifyExtern(d, 0x20, sig, pub), { count: 135, op: 0x45, p1: 0x22, p2: 0x0004 }],
    ["ECDH TempKey source, output buffer", (d: SeDriver) => seEcdh(d, 0x0d, 0, pub), { count: 71, op: 0x43, p1: 0x0d, p2: 0 }],
    ["ECDH slot 3, output buffer", (d: SeDriver) => seEcdh(d, 0x0c, 3, pub), { count: 71, op: 0x43, p1: 0x0c, p2: 3 }],
    ["SHA start", (d: SeDriver) => seSha(d, 0x00, 0, null), { count: 7, op: 0x47, p1: 0x00, p2: 0 }],
    ["SHA HMAC start with slot 9", (d: SeDriver) => seSha(d, 0x04, 9, null), { count: 7, op: 0x47, p1: 0x04, p2: 9 }],
    ["SHA update 64", (d: SeDriver) => seSha(d, 0x01, 64, new Uint8Array(64)), { count: 71, op: 0x47, p1: 0x01, p2: 64 }],
    ["SHA end 10 bytes, output only", (d: SeDriver) => seSha(d, 0xc2, 10, new Uint8Array(10)), { count: 17, op: 0x47, p1: 0xc2, p2: 10 }],
    ["Read 32 bytes data slot 8 block 1", (d: SeDriver) => seRead(d, ZONE_DATA, seAddr(ZONE_DATA, 8, 1, 0), true), { count: 7, op: 0x02, p1: 0x82, p2: 0x0140 }],
    ["Read 4 bytes config word 21", (d: SeDriver) => seRead(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 2, 5), false), { count: 7, op: 0x02, p1: 0x00, p2: 0x15 }],
    ["Write 32 bytes data slot 8 block 12", (d: SeDriver) => seWrite(d, ZONE_DATA, seAddr(ZONE_DATA, 8, 12, 0), new Uint8Array(32)), { count: 39, op: 0x12, p1: 0x82, p2: 0x0c40 }],
    ["Lock config with summary", (d: SeDriver) => seLock(d, 0x00, 0xbeef), { count: 7, op: 0x17, p1: 0x00, p2: 0xbeef }],
    ["Lock data zone without summary", (d: SeDriver) => seLock(d, 0x81, 0), { count: 7, op: 0x17, p1: 0x81, p2: 0 }],
    ["Lock slot 8", (d: SeDriver) => seLock(d, 0x02 | (8 << 2), 0), { count: 7, op: 0x17, p1: 0x22, p2: 0 }],
    ["Counter increment 0", (d: SeDriver) => seCounter(d, 1, 0), { count: 7, op: 0x24, p1: 0x01, p2: 0 }],
    ["Counter read 1", (d: SeDriver) => seCounter(d, 0, 1), { count: 7, op: 0x24, p1: 0x00, p2: 1 }],
    ["Info key valid slot 2", (d: SeDriver) => seInfo(d, 1, 2), { count: 7, op: 0x30, p1: 0x01, p2: 2 }],
    ["Random without seed update", (d: SeDriver) => seRandom(d, 1), { count: 7, op: 0x1b, p1: 0x01, p2: 0 }],
  ] as const)("%s", async (_name, run, want) => {
    const { d, commands } = driverWithBus();
    await run(d);
    const c = parse(commands()[0]);
    expect({ count: c.count, op: c.op, p1: c.p1, p2: c.p2 }).toEqual(want);
  });

  test("Verify carries signature then public key; ECDH carries x||y", async () => {
    const { d, commands } = driverWithBus();
    await seVerifyExtern(d, 0x20, sig, pub);
    await seEcdh(d, 0x0c, 0, pub);
    const [v, e] = commands().map(parse);
    expect(hex(v.data)).toBe(hex(sig) + hex(pub));
    expect(hex(e.data)).toBe(hex(pub));
  });
});

describe("execution times (cryptoauthlib calib_execution.c, ATECC608 M0)", () => {
  test("the design's budget numbers", () => {
    expect(execTimeMs(0x40)).toBe(115); // GenKey
    expect(execTimeMs(0x43)).toBe(75); // ECDH
    expect(execTimeMs(0x41)).toBe(115); // Sign
    expect(execTimeMs(0x45)).toBe(105); // Verify
    expect(execTimeMs(0x16)).toBe(20); // Nonce
    expect(execTimeMs(0x1b)).toBe(23); // Random
    expect(execTimeMs(0x47)).toBe(36); // SHA
    expect(execTimeMs(0x02)).toBe(5); // Read
    expect(execTimeMs(0x12)).toBe(45); // Write
    expect(execTimeMs(0x17)).toBe(35); // Lock
    expect(execTimeMs(0x24)).toBe(25); // Counter
    expect(execTimeMs(0x30)).toBe(5); // Info
    expect(execTimeMs(0x99)).toBe(0);
  });
});
