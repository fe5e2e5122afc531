/**
 * Modelled secure-element time of a P-256 EDHOC handshake (cipher suite 2) on the device,
 * for methods 0 (signature/signature) and 3 (static DH/static DH), each role, with and
 * without an ephemeral generated ahead of time, with the peer's credential by value (first
 * contact: its CWT is verified against the trust anchor) or by reference (pinned peer).
 *
 * The SE operations each role performs (RFC 9528):
 *  method 0, initiator: GenKey X; ECDH(X, G_Y); [Verify CWT_R]; Verify Signature_or_MAC_2; Sign message_3
 *  method 0, responder: GenKey Y; ECDH(Y, G_X); Sign message_2; [Verify CWT_I]; Verify Signature_or_MAC_3
 *  method 3, initiator: GenKey X; ECDH(X, G_Y); [Verify CWT_R]; ECDH(X, G_R); ECDH(I, G_Y)
 *  method 3, responder: GenKey Y; ECDH(Y, G_X); ECDH(R, G_X); [Verify CWT_I]; ECDH(Y, G_I)
 * Times are the ATECC608's worst-case execution times (cryptoauthlib calib_execution.c),
 * summed by the simulator for the commands the driver actually sent; the I2C figures add
 * the bytes on the bus and one wake per command sequence.
 */
import { describe, expect, test } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import { CRV_P256 } from "../../src/crypto/provider";
import type { BusEvent } from "../../src/host/atecc608/bus";
import { createSimulatedSecureElement } from "../../src/host/atecc608/fixture";

type Op = "genkey" | "ecdhEph" | "ecdhStatic" | "sign" | "verify";

const FLOWS: Record<string, Op[]> = {
  "method 0 initiator": ["genkey", "ecdhEph", "verify*", "verify", "sign"] as Op[],
  "method 0 responder": ["genkey", "ecdhEph", "sign", "verify*", "verify"] as Op[],
  "method 3 initiator": ["genkey", "ecdhEph", "verify*", "ecdhEph", "ecdhStatic"] as Op[],
  "method 3 responder": ["genkey", "ecdhEph", "ecdhStatic", "verify*", "ecdhEph"] as Op[],
};

interface Run {
  execMs: number;
  i2c100: number;
  i2c400: number;
}

async function handshake(steps: string[], pregenerate: boolean, firstContact: boolean): Promise<Run> {
  let bits = 0;
  let wakes = 0;
  const tap = (e: BusEvent) => {
    // I2C: address byte + data bytes, 9 clocks each (8 bits + ACK).
    if (e.kind === "write") bits += (e.bytes!.length + 1) * 9;
    if (e.kind === "read") bits += ((e.bytes ? e.bytes.length : 0) + 1) * 9;
    if (e.kind === "wake") wakes++;
  };
  const se = await createSimulatedSecureElement({ bus: { tap } });
  const c = se.crypto;
  // Warm-up outside the handshake: RNG seed (once per boot) and, if asked, the ephemeral.
  await c.sign(c.deviceKey, new Uint8Array(1));
  if (pregenerate) await c.prepareEphemeral();
  await new Promise((r) => setTimeout(r, 2));
  se.sim.resetStats();
  bits = 0;
  wakes = 0;

  const peer = p256.utils.randomSecretKey();
  const peerPub = p256.getPublicKey(peer, false).slice(1);
  const msg = new Uint8Array(120).fill(7);
  const peerSig = p256.sign(msg, peer);
  let eph = null as Awaited<ReturnType<typeof c.generateKeyPair>> | null;
  for (const s of steps) {
    if (s === "verify*" && !firstContact) continue;
    switch (s.replace("*", "")) {
      case "genkey":
        eph = await c.generateKeyPair(CRV_P256);
        break;
      case "ecdhEph":
        await c.ecdh(eph!.priv, peerPub.slice(0, 32));
        break;
      case "ecdhStatic":
        await c.ecdh(c.deviceKey, peerPub.slice(0, 32));
        break;
      case "sign":
        await c.sign(c.deviceKey, msg);
        break;
      case "verify":
        expect(await c.verify(CRV_P256, peerPub, msg, peerSig)).toBe(true);
        break;
    }
    // Between messages the radio round trip lets the driver idle the chip.
    await new Promise((r) => setTimeout(r, 1));
  }
  const execMs = se.sim.stats.execMs;
  // The driver waits 2 ms after each wake pulse (tWHI 1.5 ms).
  return { execMs, i2c100: execMs + bits / 100 + wakes * 2, i2c400: execMs + bits / 400 + wakes * 2 };
}

describe("modelled SE time per EDHOC handshake (P-256, ATECC608 worst case)", () => {
  const expected: Record<string, [number, number, number, number]> = {
    // [on demand first contact, on demand pinned, pregenerated first contact, pregenerated pinned]
    "method 0 initiator": [575, 450, 460, 335],
    "method 0 responder": [575, 450, 460, 335],
    "method 3 initiator": [465, 340, 350, 225],
    "method 3 responder": [465, 340, 350, 225],
  };

  test("table", async () => {
    const rows: string[] = [];
    for (const [name, steps] of Object.entries(FLOWS)) {
      const got: Run[] = [];
      for (const [pre, first] of [[false, true], [false, false], [true, true], [true, false]] as const) got.push(await handshake(steps, pre, first));
      expect(got.map((r) => r.execMs)).toEqual(expected[name]);
      rows.push(
        `| ${name} | ${got.map((r) => `${r.execMs} (${Math.round(r.i2c100)} / ${Math.round(r.i2c400)})`).join(" | ")} |`,
      );
    }
    console.log(
      "[atecc608] SE ms per handshake: worst-case execution (with I2C at 100 kHz / 400 kHz)\n" +
        "| role | on demand, first contact | on demand, pinned | pregenerated, first contact | pregenerated, pinned |\n" +
        "| --- | --- | --- | --- | --- |\n" +
        rows.join("\n"),
    );
  });
});
