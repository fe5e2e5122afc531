/**
 * The device driver over the TCP bus (the code the Espruino Linux build runs), here with
 * Node's net module, through the simulator's TCP bridge.
 */
import { afterEach, describe, expect, test } from "vitest";
import net from "node:net";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { tcpBus } from "../../src/crypto/atecc608/bus";
import type { NetLike } from "../../src/crypto/atecc608/bus";
import { createSeDriver, seInfo } from "../../src/crypto/atecc608/driver";
import { createSecureElementCrypto } from "../../src/crypto/atecc608/se-crypto";
import { startSeBridge } from "../../src/host/atecc608/bridge";
import type { SeBridge } from "../../src/host/atecc608/bridge";
import { createSimulatedSecureElement, nobleDecompressY } from "../../src/host/atecc608/fixture";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const nodeNet = net as unknown as NetLike;
let bridge: SeBridge | null = null;

afterEach(async () => {
  if (bridge) await bridge.close();
  bridge = null;
});

describe("TCP bus <-> bridge <-> simulator", () => {
  test("GenKey, Sign and ECDH through the bridge match @noble", async () => {
    const se = await createSimulatedSecureElement();
    bridge = await startSeBridge({ sim: se.sim });
    const bus = tcpBus(nodeNet, "127.0.0.1", bridge.port);
    const d = createSeDriver(bus, { timeScale: 0 });
    const c = createSecureElementCrypto(d, { sha256, decompress: nobleDecompressY, ephemeralTtlMs: 0 });
    const kp = await c.generateKeyPair(1);
    const peer = p256.utils.randomSecretKey();
    const x = await c.ecdh(kp.priv, p256.getPublicKey(peer, false).slice(1, 33));
    expect(hex(x)).toBe(hex(p256.getSharedSecret(peer, Uint8Array.from([4, ...kp.pub]), true).slice(1)));
    const msg = new Uint8Array(300).fill(0xa5);
    const sig = await c.sign(c.deviceKey, msg);
    expect(p256.verify(sig, msg, Uint8Array.from([4, ...se.provisioned!.devicePub]), { lowS: false })).toBe(true);
    bus.close();
  });

  test("bytes >= 0x80 survive the binary framing both ways", async () => {
    const se = await createSimulatedSecureElement();
    bridge = await startSeBridge({ sim: se.sim });
    const bus = tcpBus(nodeNet, "127.0.0.1", bridge.port);
    // The bus's callback form (SeIoBus.io: 0 wake, 1 write, 2 read), as promises.
    const io = (k: number, a: unknown) => new Promise<Uint8Array | null | undefined>((res, rej) => bus.io(k, a, (e, r) => (e ? rej(e) : res(r))));
    await io(0, null);
    expect(hex((await io(2, 4))!)).toBe("04113343");
    await io(1, new Uint8Array([0x03, 0x07, 0x30, 0x00, 0x00, 0x00, 0x03, 0x5d]));
    expect(hex((await io(2, 7))!)).toMatch(/^0700006003/);
    // NACK is reported as SE_NACK; a NACKed read as null.
    await io(1, new Uint8Array([0x01]));
    await expect(io(1, new Uint8Array([0x02]))).rejects.toMatchObject({ code: "SE_NACK" });
    expect(await io(2, 4)).toBeNull();
    bus.close();
  });

  test("no bridge: a typed SE_BUS error", async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const d = createSeDriver(tcpBus(nodeNet, "127.0.0.1", port), { timeScale: 0 });
    await expect(seInfo(d, 0, 0)).rejects.toMatchObject({ code: "SE_BUS" });
  });

  test("the bridge answers malformed requests with status 2", async () => {
    const se = await createSimulatedSecureElement({ provision: false });
    bridge = await startSeBridge({ sim: se.sim });
    const sock = net.connect({ host: "127.0.0.1", port: bridge.port });
    const reply = await new Promise<Buffer>((resolve) => {
      sock.on("data", (d) => resolve(d));
      sock.write(Buffer.from([0, 1, 0x5a]));
    });
    expect(hex(reply)).toBe("000102");
    sock.destroy();
  });
});
