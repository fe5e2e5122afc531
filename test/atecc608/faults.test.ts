/**
 * Faults on the bus and in the chip: CRC errors both ways, lost responses, a sleeping chip,
 * the watchdog, execution errors, an absent chip.
 */
import { describe, expect, test } from "vitest";
import {
  createSeDriver,
  KEY_TEMPKEY,
  seCounter,
  seEcdh,
  seGenKey,
  seInfo,
  seRandom,
} from "../../src/crypto/atecc608/driver";
import { simBus } from "../../src/host/atecc608/bus";
import type { BusEvent } from "../../src/host/atecc608/bus";
import { createSimulatedSecureElement } from "../../src/host/atecc608/fixture";
import { AteccSimulator } from "../../src/host/atecc608/simulator";
import { p256 } from "@noble/curves/nist.js";

function chip(simOpts?: ConstructorParameters<typeof AteccSimulator>[0], retries?: number) {
  const sim = new AteccSimulator(simOpts);
  const events: BusEvent[] = [];
  const d = createSeDriver(simBus(sim, { tap: (e) => events.push(e) }), { timeScale: 0, retries });
  return { sim, d, events };
}
const commandWrites = (ev: BusEvent[]) => ev.filter((e) => e.kind === "write" && e.bytes![0] === 0x03).length;

describe("communication errors", () => {
  test("a corrupted response CRC is re-read (no second execution) and then succeeds", async () => {
    const { sim, d, events } = chip();
    sim.faults.corruptResponseCrc = 2;
    expect(Buffer.from(await seInfo(d, 0, 0)).toString("hex")).toBe("00006003");
    expect(commandWrites(events)).toBe(1);
    expect(events.filter((e) => e.kind === "write" && e.bytes![0] === 0x00).length).toBe(2);
    expect(sim.stats.commands).toBe(1);
  });

  test("a response CRC that stays corrupt gives SE_COMM_CRC after the retries", async () => {
    const { sim, d } = chip(undefined, 3);
    sim.faults.corruptResponseCrc = 100;
    await expect(seInfo(d, 0, 0)).rejects.toMatchObject({ code: "SE_COMM_CRC" });
    expect(sim.faults.corruptResponseCrc).toBe(100 - 4);
  });

  test("a counter increment whose response CRC was hit is not executed twice", async () => {
    const s = await createSimulatedSecureElement();
    s.sim.faults.corruptResponseCrc = 1;
    expect(await seCounter(s.driver, 1, 0)).toBe(1);
    expect(s.sim.counterValue(0)).toBe(1);
  });

  test("a request corrupted on the bus (chip answers 0xFF) is sent again", async () => {
    const { sim, d, events } = chip();
    sim.faults.corruptRequest = 2;
    expect((await seInfo(d, 0, 0)).length).toBe(4);
    expect(commandWrites(events)).toBe(3);
  });

  test("requests that never arrive intact end in SE_COMM_CRC", async () => {
    const { sim, d } = chip(undefined, 2);
    sim.faults.corruptRequest = 50;
    await expect(seInfo(d, 0, 0)).rejects.toMatchObject({ code: "SE_COMM_CRC", detail: 0xff });
  });

  test("a lost response: the driver polls, gives up, re-wakes and sends again", async () => {
    const { sim, d, events } = chip();
    sim.faults.dropResponses = 1;
    expect((await seRandom(d, 0)).length).toBe(32);
    expect(commandWrites(events)).toBe(2);
  });
});

describe("sleep, idle and the watchdog", () => {
  test("the driver idles the chip after a command sequence, and wakes it for the next", async () => {
    const { sim, d } = chip();
    await seInfo(d, 0, 0);
    await new Promise((r) => setTimeout(r, 5));
    expect(sim.state).toBe("idle");
    await seInfo(d, 0, 0);
    expect(sim.stats.wakes).toBe(2);
  });

  test("commands chained in .then run in one wake", async () => {
    const { sim, d } = chip();
    await seInfo(d, 0, 0).then(() => seInfo(d, 0, 0)).then(() => seRandom(d, 0));
    expect(sim.stats.wakes).toBe(1);
  });

  test("a chip that fell asleep (watchdog) NACKs; the driver re-wakes and the command succeeds", async () => {
    const sim = new AteccSimulator();
    let responses = 0;
    // The chip falls asleep right after answering the first of two queued commands.
    const tap = (e: BusEvent) => {
      if (e.kind === "read" && e.bytes && e.bytes.length > 4 && ++responses === 1) sim.forceSleep();
    };
    const d = createSeDriver(simBus(sim, { tap }), { timeScale: 0 });
    const e0 = d.ep;
    const both = await Promise.all([seInfo(d, 0, 0), seRandom(d, 0)]);
    expect(both[1].length).toBe(32);
    expect(d.ep).toBeGreaterThan(e0);
    expect(sim.stats.wakes).toBe(2);
  });

  test("the watchdog puts an awake chip to sleep ~1.3 s after wake and wipes TempKey", async () => {
    let now = 0;
    const s = await createSimulatedSecureElement({ simulator: { clock: () => now } });
    const kp = await s.crypto.generateKeyPair(1);
    expect(s.sim.volatileState().tempKey).toBe("priv");
    // Idle: the watchdog does not run, TempKey stays.
    await new Promise((r) => setTimeout(r, 5));
    now += 10_000;
    expect(s.sim.state).toBe("idle");
    expect(s.sim.volatileState().tempKey).toBe("priv");
    // Awake past the watchdog: asleep, TempKey gone.
    s.sim.wake();
    now += 1300;
    expect(s.sim.state).toBe("sleep");
    expect(s.sim.volatileState().tempKey).toBe("none");
    // The driver recovers from the unexpected state; the ephemeral is reported lost (an
    // x-only peer key was validated by decompression, so the point is not to blame).
    const peer = p256.getPublicKey(p256.utils.randomSecretKey(), false).slice(1, 33);
    await expect(s.crypto.ecdh(kp.priv, peer)).rejects.toMatchObject({ code: "SE_EPHEMERAL_LOST" });
  });

  test("status 0xEE (watchdog about to expire) makes the driver idle, re-wake and retry", async () => {
    let now = 0;
    const sim = new AteccSimulator({ timeScale: 1, clock: () => now });
    const seen: number[] = [];
    // Manual time: a command write takes 5 ms, each NACKed poll 2 ms.
    const tap = (e: BusEvent) => {
      if (e.kind === "write" && e.bytes![0] === 0x03) now += 5;
      if (e.kind === "read" && !e.bytes) now += 2;
      if (e.kind === "read" && e.bytes && e.bytes[0] === 4) seen.push(e.bytes[1]);
    };
    let responses = 0;
    const tapLate = (e: BusEvent) => {
      tap(e);
      // 1290 ms after wake: Random (23 ms) would outlive the 1300 ms watchdog.
      if (e.kind === "read" && e.bytes && e.bytes.length > 4 && ++responses === 1) now = 1290;
    };
    const d = createSeDriver(simBus(sim, { tap: tapLate }), { timeScale: 0 });
    const r = (await Promise.all([seInfo(d, 0, 0), seRandom(d, 0)]))[1];
    expect(r.length).toBe(32);
    expect(seen).toContain(0xee);
    expect(sim.stats.wakes).toBe(2);
  });
});

describe("Nonce + Sign as one job", () => {
  test("if the chip sleeps between the Nonce and the Sign, the job re-wakes and loads the digest again", async () => {
    const s = await createSimulatedSecureElement();
    let armed = true;
    let nonces = 0;
    const { simBus: mk } = await import("../../src/host/atecc608/bus");
    const d = createSeDriver(
      mk(s.sim, {
        tap: (e) => {
          if (e.kind === "write" && e.bytes![0] === 0x03 && e.bytes![2] === 0x16) nonces++;
          // Right after the first Nonce's status is read, the chip goes to sleep (watchdog, brown-out).
          if (armed && e.kind === "read" && e.bytes && e.bytes[0] === 4 && e.bytes[1] === 0 && nonces === 1) {
            armed = false;
            s.sim.forceSleep();
          }
        },
      }),
      { timeScale: 0 },
    );
    const digest = new Uint8Array(32).fill(0x33);
    const { seSign } = await import("../../src/crypto/atecc608/driver");
    const sig = await seSign(d, 0x20, 0, digest);
    expect(nonces).toBe(2);
    expect(p256.verify(sig, digest, Uint8Array.from([4, ...s.provisioned!.devicePub]), { prehash: false, lowS: false })).toBe(true);
  });
});

describe("chip errors are typed", () => {
  test("execution error", async () => {
    const { sim, d } = chip();
    sim.faults.forceStatus = 0x0f;
    await expect(seInfo(d, 0, 0)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR", detail: 0x0f });
  });

  test.each([
    [0x01, "SE_CHECKMAC_OR_VERIFY_FAIL"],
    [0x03, "SE_PARSE_ERROR"],
    [0x05, "SE_ECC_FAULT"],
    [0x07, "SE_SELFTEST_ERROR"],
    [0x08, "SE_HEALTH_TEST_ERROR"],
    [0x42, "SE_UNKNOWN_STATUS"],
  ])("status 0x%s -> %s", async (status, code) => {
    const { sim, d } = chip();
    sim.faults.forceStatus = status;
    await expect(seInfo(d, 0, 0)).rejects.toMatchObject({ code });
  });

  test("0x11 after wake is retried, not reported", async () => {
    const { sim, d } = chip();
    sim.faults.forceStatus = 0x11;
    expect((await seInfo(d, 0, 0)).length).toBe(4);
  });

  test("ECDH with an ephemeral in TempKey fails cleanly when TempKey was never set", async () => {
    const s = await createSimulatedSecureElement();
    const peer = p256.getPublicKey(p256.utils.randomSecretKey(), false).slice(1);
    await expect(seEcdh(s.driver, 0x0d, 0, peer)).rejects.toMatchObject({ code: "SE_EXECUTION_ERROR" });
    await expect(seGenKey(s.driver, 0x04, KEY_TEMPKEY)).resolves.toHaveLength(64);
  });
});

describe("no chip", () => {
  test("an absent chip gives SE_NO_DEVICE after the wake attempts", async () => {
    const { sim, d, events } = chip();
    sim.faults.absent = true;
    await expect(seInfo(d, 0, 0)).rejects.toMatchObject({ code: "SE_NO_DEVICE" });
    expect(events.filter((e) => e.kind === "wake").length).toBe(3);
  });

  test("a chip that answers garbage to the wake gives SE_WAKE_FAILED", async () => {
    const d = createSeDriver(
      { wake: async () => {}, write: async () => {}, read: async (n) => new Uint8Array(n).fill(0x12) },
      { timeScale: 0 },
    );
    await expect(seInfo(d, 0, 0)).rejects.toMatchObject({ code: "SE_WAKE_FAILED" });
  });

  test("a failed power-on self test is reported", async () => {
    const d = createSeDriver(
      { wake: async () => {}, write: async () => {}, read: async () => new Uint8Array([0x04, 0x07, 0xc4, 0x40]) },
      { timeScale: 0 },
    );
    await expect(seInfo(d, 0, 0)).rejects.toMatchObject({ code: "SE_SELFTEST_ERROR" });
  });

  test("the chip comes back: a later command works", async () => {
    const { sim, d } = chip();
    sim.faults.absent = true;
    await expect(seInfo(d, 0, 0)).rejects.toMatchObject({ code: "SE_NO_DEVICE" });
    sim.faults.absent = false;
    expect((await seInfo(d, 0, 0)).length).toBe(4);
  });
});

describe("virtual time", () => {
  test("opts.delay replaces setTimeout; with the simulator on the same clock the waits are exact", async () => {
    let now = 0;
    const timers: { at: number; fn: () => void }[] = [];
    const delay = (fn: () => void, ms: number) => void timers.push({ at: now + ms, fn });
    const sim = new AteccSimulator({ timeScale: 1, clock: () => now });
    const d = createSeDriver(simBus(sim), { delay });
    const p = seRandom(d, 0);
    // Run the virtual clock until the command completes.
    let done = false;
    p.then(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) {
      await new Promise((r) => setTimeout(r, 0));
      timers.sort((a, b) => a.at - b.at);
      const t = timers.shift();
      if (t) {
        now = t.at;
        t.fn();
      }
    }
    expect((await p).length).toBe(32);
    expect(now).toBe(2 + 23); // wake delay + Random's worst case
  });
});
