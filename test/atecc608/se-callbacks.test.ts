/**
 * The callback form of the device path: seRun(..., k) and the four asymmetric operations
 * of createSecureElementCrypto with a trailing Done callback. They must give what the
 * promise form gives, call the callback exactly once (k(error) or k(null, value)), return
 * undefined, and create no promise at all.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { perr } from "../../src/core/errors";
import type { Done } from "../../src/core/async";
import { CRV_ED25519, CRV_P256, CRV_X25519 } from "../../src/crypto/provider";
import type { KeyPair } from "../../src/crypto/provider";
import { createSeDriver, encodeCommand, seCounter, seInfo, seNonceLoad, seRun, OP_COUNTER, OP_INFO, TARGET_TEMPKEY } from "../../src/crypto/atecc608/driver";
import type { SeIoBus } from "../../src/crypto/atecc608/driver";
import { createSecureElementCrypto } from "../../src/crypto/atecc608/se-crypto";
import type { SecureElementCrypto } from "../../src/crypto/atecc608/se-crypto";
import { createSimulatedSecureElement, nobleDecompressY } from "../../src/host/atecc608/fixture";
import type { AteccSimulator } from "../../src/host/atecc608/simulator";

import { hex, nobleEcdh, peerKey, pub65 } from "../helpers/p256";
/** An x-coordinate with no point on P-256. */
function offCurveX(): Uint8Array {
  const x = new Uint8Array(32).fill(1);
  for (let i = 0; nobleDecompressY(x); i++) x[0] = i;
  return x;
}

interface Outcome {
  /** What the operation returned. */
  ret: unknown;
  /** The argument lists of every call of the callback. */
  calls: unknown[][];
}

/**
 * Starts an operation with a recording callback; settles 30 ms after the first call (a
 * second call within that time shows up in `calls`), or fails after 5 s without one.
 */
function withCallback(start: (k: Done<any>) => unknown): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const o: Outcome = { ret: "not returned yet", calls: [] };
    const timer = setTimeout(() => reject(new Error("the callback was never called")), 5000);
    o.ret = start(function (...args: unknown[]) {
      o.calls.push(args);
      if (o.calls.length === 1) {
        clearTimeout(timer);
        setTimeout(() => resolve(o), 30);
      }
    });
  });
}

/** Checks a successful outcome (returned undefined, one call k(null, value)) and gives the value. */
function value<T>(o: Outcome): T {
  expect(o.ret).toBeUndefined();
  expect(o.calls).toHaveLength(1);
  expect(o.calls[0]).toHaveLength(2);
  expect(o.calls[0][0]).toBeNull();
  return o.calls[0][1] as T;
}

/** Checks a failed outcome (returned undefined, one call k(error)) and gives the error code. */
function code(o: Outcome): string {
  expect(o.ret).toBeUndefined();
  expect(o.calls).toHaveLength(1);
  expect(o.calls[0]).toHaveLength(1);
  return (o.calls[0][0] as { code: string }).code;
}

const genKey = (c: SecureElementCrypto, crv: number) => withCallback((k) => c.generateKeyPair(crv, k));

describe("the four operations with a callback give what the promise form gives", () => {
  test("generateKeyPair: a TempKey pair whose ECDH (both forms) equals @noble's", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const kp = value<KeyPair>(await genKey(crypto, CRV_P256));
    expect(kp.pub.length).toBe(64);
    expect((kp.priv as unknown as { slot: number }).slot).toBe(0xffff);
    expect(kp.priv.crv).toBe(CRV_P256);
    // The public key is on the curve and belongs to the key the chip holds.
    expect(() => p256.Point.fromBytes(pub65(kp.pub))).not.toThrow();
    const peer = peerKey();
    const want = nobleEcdh(peer.sk, kp.pub);
    expect(hex(value<Uint8Array>(await withCallback((k) => crypto.ecdh(kp.priv, peer.pub, k))))).toBe(want);
    expect(hex(await crypto.ecdh(kp.priv, peer.pub))).toBe(want);
  });

  test("ecdh: ephemeral and device key, 64-byte and x-only peers (decompression deferral)", async () => {
    const { crypto, provisioned } = await createSimulatedSecureElement();
    const kp = await crypto.generateKeyPair(CRV_P256);
    for (let i = 0; i < 3; i++) {
      const peer = peerKey();
      const want = nobleEcdh(peer.sk, kp.pub);
      for (const pub of [peer.pub, peer.pub.slice(0, 32)]) {
        const viaK = hex(value<Uint8Array>(await withCallback((k) => crypto.ecdh(kp.priv, pub, k))));
        expect(viaK).toBe(want);
        expect(hex(await crypto.ecdh(kp.priv, pub))).toBe(viaK);
      }
      const dev = nobleEcdh(peer.sk, provisioned!.devicePub);
      expect(hex(value<Uint8Array>(await withCallback((k) => crypto.ecdh(crypto.deviceKey, peer.pub.slice(0, 32), k))))).toBe(dev);
      expect(hex(await crypto.ecdh(crypto.deviceKey, peer.pub.slice(0, 32)))).toBe(dev);
    }
  });

  test("sign: ES256 over SHA-256(message), verified by @noble and by verify in both forms; the first Sign seeds the RNG once", async () => {
    const { crypto, provisioned, sim } = await createSimulatedSecureElement();
    sim.resetStats();
    const msgs = [new Uint8Array(0), new Uint8Array(300).fill(7), new TextEncoder().encode("EDHOC")];
    for (const m of msgs) {
      const sig = value<Uint8Array>(await withCallback((k) => crypto.sign(crypto.deviceKey, m, k)));
      expect(sig.length).toBe(64);
      expect(p256.verify(sig, m, pub65(provisioned!.devicePub), { lowS: false })).toBe(true);
      expect(value<boolean>(await withCallback((k) => crypto.verify(CRV_P256, provisioned!.devicePub, m, sig, k)))).toBe(true);
      expect(await crypto.verify(CRV_P256, provisioned!.devicePub, m, sig)).toBe(true);
      // The promise form's signature verifies the same way.
      const sig2 = await crypto.sign(crypto.deviceKey, m);
      expect(value<boolean>(await withCallback((k) => crypto.verify(CRV_P256, provisioned!.devicePub, m, sig2, k)))).toBe(true);
    }
    expect(sim.stats.byOpcode[0x1b]).toBe(1); // Random (seed update), once
    expect(sim.stats.byOpcode[0x41]).toBe(6); // Sign
  });

  test("verify: tampered message, signature or wrong-size signature give false in both forms", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const peer = peerKey();
    const m = new TextEncoder().encode("credential");
    const sig = p256.sign(m, peer.sk);
    const s2 = new Uint8Array(sig);
    s2[63] ^= 1;
    const cases: [Uint8Array, Uint8Array, boolean][] = [
      [m, sig, true],
      [new TextEncoder().encode("credentiaL"), sig, false],
      [m, s2, false],
      [m, sig.slice(0, 63), false], // answered at once, without the chip
    ];
    for (const [msg, s, want] of cases) {
      expect(value<boolean>(await withCallback((k) => crypto.verify(CRV_P256, peer.pub, msg, s, k)))).toBe(want);
      expect(await crypto.verify(CRV_P256, peer.pub, msg, s)).toBe(want);
    }
  });

  test("release(k) sleeps the chip without a promise; the TempKey reference is stale after it", async () => {
    const { crypto, sim } = await createSimulatedSecureElement();
    const kp = await crypto.generateKeyPair(CRV_P256);
    expect(value(await withCallback((k) => crypto.release(k)))).toBeUndefined();
    expect(sim.state).toBe("sleep");
    expect(sim.volatileState().tempKey).toBe("none");
    expect(code(await withCallback((k) => crypto.ecdh(kp.priv, peerKey().pub, k)))).toBe("SE_EPHEMERAL_LOST");
  });
});

describe("errors reach the callback once, with their typed code", () => {
  test("bad key references: CRYPTO_BAD_KEY", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const kp = await crypto.generateKeyPair(CRV_P256);
    const m = new Uint8Array(1);
    expect(code(await withCallback((k) => crypto.sign(kp.priv, m, k)))).toBe("CRYPTO_BAD_KEY"); // an ephemeral does not sign
    expect(code(await withCallback((k) => crypto.sign({ crv: CRV_P256 }, m, k)))).toBe("CRYPTO_BAD_KEY");
    expect(code(await withCallback((k) => crypto.sign({ crv: CRV_ED25519, slot: 0 } as never, m, k)))).toBe("CRYPTO_BAD_KEY");
    expect(code(await withCallback((k) => crypto.ecdh({ crv: CRV_P256, slot: 16 } as never, peerKey().pub, k)))).toBe("CRYPTO_BAD_KEY");
    expect(code(await withCallback((k) => crypto.verify(CRV_P256, peerKey().pub.slice(0, 32), m, new Uint8Array(64), k)))).toBe("CRYPTO_BAD_KEY");
  });

  test("stale ephemeral: SE_EPHEMERAL_LOST (replaced by a newer one; TempKey overwritten behind the provider)", async () => {
    const { crypto, driver } = await createSimulatedSecureElement();
    const a = await crypto.generateKeyPair(CRV_P256);
    value(await genKey(crypto, CRV_P256));
    expect(code(await withCallback((k) => crypto.ecdh(a.priv, peerKey().pub, k)))).toBe("SE_EPHEMERAL_LOST");
    // Found by the chip after decompression (ECDH's second round): an execution error.
    const b = await crypto.generateKeyPair(CRV_P256);
    await seNonceLoad(driver, TARGET_TEMPKEY, new Uint8Array(32));
    expect(code(await withCallback((k) => crypto.ecdh(b.priv, peerKey().pub.slice(0, 32), k)))).toBe("SE_EPHEMERAL_LOST");
  });

  test("bad points: CRYPTO_BAD_POINT (x not on the curve, 64 bytes off the curve, wrong size, verify's key)", async () => {
    const { crypto } = await createSimulatedSecureElement();
    const kp = await crypto.generateKeyPair(CRV_P256);
    expect(code(await withCallback((k) => crypto.ecdh(kp.priv, offCurveX(), k)))).toBe("CRYPTO_BAD_POINT");
    const bad = peerKey().pub;
    bad[40] ^= 4;
    expect(code(await withCallback((k) => crypto.ecdh(kp.priv, bad, k)))).toBe("CRYPTO_BAD_POINT");
    expect(code(await withCallback((k) => crypto.ecdh(kp.priv, new Uint8Array(33), k)))).toBe("CRYPTO_BAD_POINT");
    const peer = peerKey();
    const sig = p256.sign(new Uint8Array([1]), peer.sk);
    const badPub = new Uint8Array(peer.pub);
    badPub[1] ^= 1;
    expect(code(await withCallback((k) => crypto.verify(CRV_P256, badPub, new Uint8Array([1]), sig, k)))).toBe("CRYPTO_BAD_POINT");
  });

  test("unsupported: other curves, x-only keys without decompress", async () => {
    const s = await createSimulatedSecureElement();
    expect(code(await genKey(s.crypto, CRV_X25519))).toBe("CRYPTO_UNSUPPORTED");
    expect(code(await withCallback((k) => s.crypto.verify(CRV_ED25519, new Uint8Array(32), new Uint8Array(1), new Uint8Array(64), k)))).toBe("CRYPTO_UNSUPPORTED");
    const c = createSecureElementCrypto(s.driver, { sha256, ephemeralTtlMs: 0 });
    const kp = await c.generateKeyPair(CRV_P256);
    expect(code(await withCallback((k) => c.ecdh(kp.priv, peerKey().pub.slice(0, 32), k)))).toBe("CRYPTO_UNSUPPORTED");
  });

  test("a decompress that throws (out of memory on a board) reaches the callback, and the promise form rejects", async () => {
    const s = await createSimulatedSecureElement();
    const oom = perr("OOM", "Not enough memory for result");
    const c = createSecureElementCrypto(s.driver, {
      sha256,
      decompress: () => {
        throw oom;
      },
      ephemeralTtlMs: 0,
    });
    const kp = await c.generateKeyPair(CRV_P256);
    const o = await withCallback((k) => c.ecdh(kp.priv, peerKey().pub.slice(0, 32), k));
    expect(code(o)).toBe("OOM");
    expect(o.calls[0][0]).toBe(oom);
    await expect(c.ecdh(kp.priv, peerKey().pub.slice(0, 32))).rejects.toBe(oom);
  });
});

describe("seRun with a completion callback", () => {
  test("gives the promise form's result, applies done, returns undefined", async () => {
    const { driver } = await createSimulatedSecureElement();
    const rev = await seInfo(driver, 0, 0);
    expect(rev.length).toBe(4);
    expect(hex(value<Uint8Array>(await withCallback((k) => seRun(driver, encodeCommand(OP_INFO, 0, 0), 1, 4, null, null, k))))).toBe(hex(rev));
    // done's return value is the result; what it throws, the error.
    const counter = await seCounter(driver, 0, 0);
    const read = (k: Done<any>) =>
      seRun(driver, encodeCommand(OP_COUNTER, 0, 0), 20, 4, null, (e, r) => {
        if (e) throw e;
        return r[0] + r[1] * 256 + r[2] * 65536 + r[3] * 16777216;
      }, k);
    expect(value<number>(await withCallback(read))).toBe(counter);
    const boom = perr("BOOM", "from done");
    const o = await withCallback((k) => seRun(driver, encodeCommand(OP_INFO, 0, 0), 1, 4, null, () => { throw boom; }, k));
    expect(code(o)).toBe("BOOM");
    expect(o.calls[0][0]).toBe(boom);
    // A chip error (Counter 5 does not exist: parse error) comes as its SE_* code.
    expect(code(await withCallback((k) => seRun(driver, encodeCommand(OP_COUNTER, 0, 5), 20, 4, null, null, k)))).toMatch(/^SE_/);
    // The promise form still resolves as before.
    expect(hex(await seRun(driver, encodeCommand(OP_INFO, 0, 0), 1, 4))).toBe(hex(rev));
  });

  test("a command queued from the callback runs in the same wake", async () => {
    const { driver, sim } = await createSimulatedSecureElement();
    await seInfo(driver, 0, 0);
    await new Promise((r) => setTimeout(r, 20)); // the driver idles the chip
    sim.resetStats();
    const o = await withCallback((k) =>
      seRun(driver, encodeCommand(OP_INFO, 0, 0), 1, 4, null, null, (e) => {
        if (e) return k(e);
        seRun(driver, encodeCommand(OP_INFO, 0, 0), 1, 4, null, null, k);
      }),
    );
    expect(value<Uint8Array>(o).length).toBe(4);
    expect(sim.stats.commands).toBe(2);
    expect(sim.stats.wakes).toBe(1);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  test("a callback that throws does not stop the driver: the error is thrown again from a timer", async () => {
    const { driver } = await createSimulatedSecureElement();
    const real = globalThis.setTimeout;
    const rethrowers: (() => void)[] = [];
    vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms?: number, ...args: unknown[]) => {
      if (/throw/.test(String(fn))) {
        rethrowers.push(fn);
        return 0;
      }
      return real(fn, ms, ...args);
    }) as never);
    const boom = new Error("callback bug");
    let calls = 0;
    seRun(driver, encodeCommand(OP_INFO, 0, 0), 1, 4, null, null, () => {
      calls++;
      throw boom;
    });
    // The next job still runs.
    expect((await seInfo(driver, 0, 0)).length).toBe(4);
    expect(calls).toBe(1);
    expect(rethrowers).toHaveLength(1);
    expect(() => rethrowers[0]()).toThrow(boom);
  });
});

/**
 * A callback-form bus over the simulator that answers at once, as the device I2C bus does:
 * with time scale 0, whole commands then complete inside the call that queued them.
 */
function syncBus(sim: AteccSimulator): SeIoBus {
  return {
    io(k, a, cb) {
      if (!k) {
        sim.wake();
        cb(null);
      } else if (k === 1) cb(sim.i2cWrite(typeof a === "number" ? new Uint8Array([a]) : new Uint8Array(a)) ? null : perr("SE_NACK", "no acknowledge"));
      else cb(null, sim.i2cRead(a));
    },
  };
}

describe("no promise on the callback path", () => {
  /**
   * Counts promises constructed while `run` and what it starts are under way (until `run`
   * calls back) by code in the secure-element modules or core/async; other code (the test
   * runner) may make promises meanwhile and is not counted.
   */
  function countPromises(run: (done: () => void) => void): Promise<number> {
    const Native = globalThis.Promise;
    let made = 0;
    class Counting<T> extends Native<T> {
      constructor(ex: (y: (v: T) => void, n: (e: unknown) => void) => void) {
        super(ex);
        if (/src[\\/](crypto[\\/]atecc608|core[\\/]async)/.test(new Error().stack || "")) made++;
      }
    }
    return new Native((resolve, reject) => {
      globalThis.Promise = Counting as unknown as PromiseConstructor;
      try {
        run(() => {
          globalThis.Promise = Native;
          resolve(made);
        });
      } catch (e) {
        globalThis.Promise = Native;
        reject(e);
      }
    });
  }

  /** GenKey, ECDH (x-only: decompression deferral and second round), first Sign (with its Random), Verify, error paths. */
  function handshake(c: SecureElementCrypto, devicePub: Uint8Array, out: Record<string, unknown>, done: () => void, withK: boolean): void {
    const peer = peerKey();
    const msg = new Uint8Array(100).fill(5);
    const call = (f: (k?: Done<any>) => unknown, next: (v: any) => void) => {
      if (withK) {
        // Pushed after the call returns: the callback may already have run the next steps.
        (out.returns as unknown[]).push(f((e, v) => next(e || v)));
      } else (f() as Promise<unknown>).then(next, next);
    };
    out.returns = [];
    call((k) => c.generateKeyPair(CRV_P256, k!), (kp: KeyPair) => {
      out.want = nobleEcdh(peer.sk, kp.pub);
      call((k) => c.ecdh(kp.priv, peer.pub.slice(0, 32), k!), (x: Uint8Array) => {
        out.ecdh = hex(x);
        call((k) => c.sign(c.deviceKey, msg, k!), (sig: Uint8Array) => {
          out.sigOk = p256.verify(sig, msg, pub65(devicePub), { lowS: false });
          call((k) => c.verify(CRV_P256, devicePub, msg, sig, k!), (ok: boolean) => {
            out.verify = ok;
            call((k) => c.sign(kp.priv, msg, k!), (e: { code: string }) => {
              out.badKey = e.code;
              call((k) => c.ecdh(kp.priv, offCurveX(), k!), (e: { code: string }) => {
                out.badPoint = e.code;
                done();
              });
            });
          });
        });
      });
    });
  }

  test("a handshake's operations on an I2C-like bus make no promise; the promise form does (the count is real)", async () => {
    const s = await createSimulatedSecureElement();
    for (const withK of [true, false]) {
      // One driver at a time: let the previous one idle the chip first (its idle tick).
      await new Promise((r) => setTimeout(r, 20));
      const d = createSeDriver(syncBus(s.sim), { timeScale: 0 });
      const c = createSecureElementCrypto(d, { sha256, decompress: nobleDecompressY, ephemeralTtlMs: 0 });
      const out: Record<string, unknown> = {};
      const made = await countPromises((done) => handshake(c, s.provisioned!.devicePub, out, done, withK));
      expect(out.ecdh).toBe(out.want);
      expect(out.sigOk).toBe(true);
      expect(out.verify).toBe(true);
      expect(out.badKey).toBe("CRYPTO_BAD_KEY");
      expect(out.badPoint).toBe("CRYPTO_BAD_POINT");
      if (withK) {
        expect(made).toBe(0);
        expect(out.returns).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
      } else expect(made).toBeGreaterThanOrEqual(6);
    }
  });
});
