// The EDHOC steps' callback form (the device path): the same bytes as the promise form
// (RFC 9529 traces 1 and 2, and deterministic handshakes of every method in both suites),
// whether the provider answers through the callback at once, from a timer, or by a
// promise; no promise made at all with a provider that answers at once; every failure
// delivered once through the callback with the promise form's code; and what a
// callback may do (start the next step at once, throw) or a provider may get wrong
// (answer twice) without completing a step twice.
import { afterEach, describe, expect, it } from "vitest";
import vectors from "../vectors/rfc9529.json";
import type { Done } from "../../src/core/async";
import { fromHex, toHex, type Bytes } from "../../src/core/bytes";
import { Edhoc, EdhocInitiator, EdhocResponder, edhocStep, type Message1Info, type PeerCredential, type PeerHello } from "../../src/core/edhoc/edhoc";
import { STEP_M1, STEP_M4, STEP_PARSE, STEP_SEND, STEP_VERIFY } from "../../src/core/edhoc/consts";
import { errorMessage } from "../../src/core/edhoc/messages";
import type { EadItem } from "../../src/core/edhoc/messages";
import { edhocTestHooks } from "../../src/core/edhoc/testing";
import { answering, countPromises, expectEachKOnce, viaK, type Answer, type AnsweringProvider } from "./answering";
import { makeParty, resolver, traceCurves, tracePair, type Party, type Trace } from "../helpers/edhoc";
import { createNobleProvider } from "../../src/crypto/noble";
import { settledCode as code } from "../helpers/util";

afterEach(async () => {
  edhocTestHooks.trace = null;
  await expectEachKOnce();
});

const MODES: Answer[] = ["sync", "later", "promise"];

interface Run {
  m1: string;
  info1: Message1Info;
  m2: string;
  h2: PeerHello;
  m3: string;
  h3: PeerHello;
  m4: string;
  ead4: EadItem[];
  prkI: string;
  prkR: string;
}

type Resolve = (h: PeerHello) => PeerCredential;

/** A whole handshake in the promise form. `at(role)` is told which side runs next. */
async function runP(ini: EdhocInitiator, res: EdhocResponder, forI: Resolve, forR: Resolve, at: (role: string) => void = () => {}): Promise<Run> {
  at("I");
  const m1 = await ini.message1();
  at("R");
  const info1 = await res.processMessage1(m1);
  const m2 = await res.message2();
  at("I");
  const h2 = await ini.parseMessage2(m2);
  await ini.verifyMessage2(forI(h2));
  const m3 = await ini.message3();
  at("R");
  const h3 = await res.parseMessage3(m3);
  await res.verifyMessage3(forR(h3));
  const m4 = await res.message4();
  at("I");
  const ead4 = await ini.processMessage4(m4);
  return { m1: toHex(m1), info1, m2: toHex(m2), h2, m3: toHex(m3), h3, m4: toHex(m4), ead4, prkI: toHex(ini.prkOut), prkR: toHex(res.prkOut) };
}

/**
 * The same handshake in the callback form, each step started from the previous one's
 * callback (as the pairing controller does): with a provider that answers at once, the
 * whole handshake runs before runK returns.
 */
function runK(ini: EdhocInitiator, res: EdhocResponder, forI: Resolve, forR: Resolve, done: Done<Run>, at: (role: string) => void = () => {}): void {
  const r = {} as Run;
  const ok = <T>(f: (v: T) => void): Done<T> => (e, v) => (e ? done(e) : f(v as T));
  at("I");
  ini.message1(undefined, ok((m1) => {
    r.m1 = toHex(m1);
    at("R");
    res.processMessage1(m1, ok((info1) => {
      r.info1 = info1;
      res.message2(undefined, ok((m2) => {
        r.m2 = toHex(m2);
        at("I");
        ini.parseMessage2(m2, ok((h2) => {
          r.h2 = h2;
          ini.verifyMessage2(forI(h2), ok(() => {
            ini.message3(undefined, ok((m3) => {
              r.m3 = toHex(m3);
              at("R");
              res.parseMessage3(m3, ok((h3) => {
                r.h3 = h3;
                res.verifyMessage3(forR(h3), ok(() => {
                  res.message4(undefined, ok((m4) => {
                    r.m4 = toHex(m4);
                    at("I");
                    ini.processMessage4(m4, ok((ead4) => {
                      r.ead4 = ead4;
                      r.prkI = toHex(ini.prkOut);
                      r.prkR = toHex(res.prkOut);
                      done(null, r);
                    }));
                  }));
                }));
              }));
            }));
          }));
        }));
      }));
    }));
  }));
}

function runKP(ini: EdhocInitiator, res: EdhocResponder, forI: Resolve, forR: Resolve, at?: (role: string) => void): Promise<Run> {
  return viaK("handshake", (k) => runK(ini, res, forI, forR, k, at));
}


describe("RFC 9529 traces through callbacks", () => {
  for (const name of ["trace1", "trace2"] as const) {
    const t = vectors.traces[name] as unknown as Trace;
    for (const mode of [...MODES, "noble"] as const) {
      it(`${name} (method ${t.method}, suite ${t.suite}), provider answering ${mode}: messages 1-4, PRK_out and every intermediate value`, async () => {
        const { ecdhCrv } = traceCurves(t);
        let c;
        if (mode === "noble") {
          // The @noble provider itself (it ignores callbacks and returns promises), with
          // the traces' ephemeral keys injected as rfc9529.test.ts does.
          const noble = createNobleProvider();
          const eph = [t.X, t.Y];
          c = Object.assign(Object.create(noble), {
            generateKeyPair: (crv: number) => Promise.resolve(noble.importPrivateKey(crv, fromHex(eph.shift()!))),
          }) as typeof noble;
        } else {
          c = answering(mode);
          c.eph.push(fromHex(t.X), fromHex(t.Y));
        }
        const { ini, res, skI, skR, seen, at } = tracePair(c, t);
        const r = await runKP(ini, res, () => ({ cred: fromHex(t.CRED_R), pub: skR.pub }), () => ({ cred: fromHex(t.CRED_I), pub: skI.pub }), at);
        expect([r.m1, r.m2, r.m3, r.m4]).toEqual([t.message_1, t.message_2, t.message_3, t.message_4]);
        expect(r.prkI).toBe(t.PRK_out);
        expect(r.prkR).toBe(t.PRK_out);
        expect(toHex(r.info1.connId)).toBe(t.C_I);
        expect(toHex(r.h2.idCred)).toBe(t.ID_CRED_R);
        expect(toHex(r.h3.idCred)).toBe(t.ID_CRED_I);
        expect(r.ead4).toEqual([]);
        for (const n of ["G_XY", "TH_2", "PRK_2e", "PRK_3e2m", "MAC_2", "PLAINTEXT_2", "KEYSTREAM_2", "TH_3", "PRK_4e3m", "MAC_3", "PLAINTEXT_3", "K_3", "IV_3", "TH_4", "K_4", "IV_4", "PRK_out"]) {
          expect(seen.I[n], `initiator ${n}`).toBe(t.derived[n]);
          expect(seen.R[n], `responder ${n}`).toBe(t.derived[n]);
        }
        expect(toHex(ini.exporter(0, new Uint8Array(0), 16))).toBe(t.derived.OSCORE_Master_Secret);
        if (mode !== "noble") {
          // Every asymmetric operation was given the callback; the ephemeral keys were on the ECDH curve.
          const log = (c as AnsweringProvider).log;
          expect(log.length).toBeGreaterThanOrEqual(4);
          expect(log.every((l) => l.endsWith("/k"))).toBe(true);
          expect(log.filter((l) => l.startsWith("generateKeyPair"))).toEqual([`generateKeyPair(${ecdhCrv})/k`, `generateKeyPair(${ecdhCrv})/k`]);
        }
      });
    }
  }
});

/** Two parties with fixed keys, and a fresh deterministic provider per run (same seed, same handshake). */
function parties(c: AnsweringProvider) {
  const noble = createNobleProvider();
  // makeParty draws its keys from the provider's randomBytes: with a seed they are fixed too.
  const a = makeParty(Object.assign(Object.create(noble), { randomBytes: c.randomBytes, importPrivateKey: c.importPrivateKey }), "alice");
  const b = makeParty(Object.assign(Object.create(noble), { randomBytes: c.randomBytes, importPrivateKey: c.importPrivateKey }), "bob");
  return { a, b };
}

function pair(c: AnsweringProvider, a: Party, b: Party, method: number, suite: number) {
  return {
    ini: new EdhocInitiator({ crypto: c, method, suites: [suite], creds: a.creds }),
    res: new EdhocResponder({ crypto: c, suites: [suite], creds: b.creds }),
  };
}

describe("handshakes through callbacks match the promise form byte for byte", () => {
  for (const suite of [0, 2]) {
    for (const method of [0, 1, 2, 3]) {
      it(`method ${method}, suite ${suite}: every message, PRK_out and the exporter, for each way of answering`, async () => {
        const seed = `m${method}s${suite}`;
        const c0 = answering("promise", seed);
        const p0 = parties(c0);
        const s0 = pair(c0, p0.a, p0.b, method, suite);
        const ref = await runP(s0.ini, s0.res, resolver(p0.b.pub), resolver(p0.a.pub));
        expect(ref.prkI).toBe(ref.prkR);
        expect(ref.m1.length).toBeGreaterThan(70);
        for (const mode of MODES) {
          const c = answering(mode, seed);
          const p = parties(c);
          const s = pair(c, p.a, p.b, method, suite);
          const r = await runKP(s.ini, s.res, resolver(p.b.pub), resolver(p.a.pub));
          expect({ mode, m: [r.m1, r.m2, r.m3, r.m4, r.prkI, r.prkR] }).toEqual({ mode, m: [ref.m1, ref.m2, ref.m3, ref.m4, ref.prkI, ref.prkR] });
          expect(r.h2.idCredInfo).toEqual(ref.h2.idCredInfo);
          expect(r.info1).toEqual(ref.info1);
          expect(toHex(s.ini.exporter(7, new Uint8Array([1]), 24))).toBe(toHex(s0.ini.exporter(7, new Uint8Array([1]), 24)));
          expect(c.log.every((l) => l.endsWith("/k"))).toBe(true);
        }
      });
    }
  }

  it("Edhoc(o, true) and Edhoc(o), driven by edhocStep as the pairing controller does, are byte for byte the role classes", async () => {
    for (const method of [0, 3]) {
      const seed = `edhoc-role-m${method}`;
      const c0 = answering("later", seed);
      const p0 = parties(c0);
      const s0 = pair(c0, p0.a, p0.b, method, 2);
      const ref = await runKP(s0.ini, s0.res, resolver(p0.b.pub), resolver(p0.a.pub));
      const c = answering("later", seed);
      const p = parties(c);
      const ini = new Edhoc({ crypto: c, method, suites: [2], creds: p.a.creds }, true);
      const res = new Edhoc({ crypto: c, suites: [2], creds: p.b.creds });
      expect([ini.i, res.i]).toEqual([true, undefined]);
      const step = <T>(s: Edhoc, n: number, x?: unknown) => viaK<T>("step " + n, (k) => edhocStep(s, n, x, k));
      const m1 = await step<Bytes>(ini, STEP_M1);
      await step(res, STEP_M1, m1);
      const m2 = await step<Bytes>(res, STEP_SEND);
      await step<PeerHello>(ini, STEP_PARSE, m2).then((h) => step(ini, STEP_VERIFY, resolver(p.b.pub)(h)));
      const m3 = await step<Bytes>(ini, STEP_SEND);
      await step<PeerHello>(res, STEP_PARSE, m3).then((h) => step(res, STEP_VERIFY, resolver(p.a.pub)(h)));
      const m4 = await step<Bytes>(res, STEP_M4);
      await step(ini, STEP_M4, m4);
      expect([toHex(m1), toHex(m2), toHex(m3), toHex(m4), toHex(ini.prkOut), toHex(res.prkOut)]).toEqual([ref.m1, ref.m2, ref.m3, ref.m4, ref.prkI, ref.prkR]);
    }
  });

  it("the @noble provider itself (promises, callbacks ignored): both sides agree", async () => {
    const c = createNobleProvider();
    const a = makeParty(c, "alice");
    const b = makeParty(c, "bob");
    for (const method of [0, 3]) {
      const ini = new EdhocInitiator({ crypto: c, method, suites: [2], creds: a.creds });
      const res = new EdhocResponder({ crypto: c, suites: [2], creds: b.creds });
      const r = await runKP(ini, res, resolver(b.pub), resolver(a.pub));
      expect(r.prkI).toBe(r.prkR);
      expect(r.prkI).toMatch(/^[0-9a-f]{64}$/);
      expect(ini.complete && res.complete).toBe(true);
    }
  });
});

describe("callbacks without promises", () => {
  for (const [method, suite] of [[0, 2], [3, 2], [0, 0], [3, 0]]) {
    it(`method ${method}, suite ${suite}: with a provider that answers at once, the whole handshake runs inside the first call and makes no promise`, async () => {
      const seed = "np" + method + suite;
      const c0 = answering("promise", seed);
      const p0 = parties(c0);
      const s0 = pair(c0, p0.a, p0.b, method, suite);
      const ref = await runP(s0.ini, s0.res, resolver(p0.b.pub), resolver(p0.a.pub));
      const c = answering("sync", seed);
      const p = parties(c);
      const s = pair(c, p.a, p.b, method, suite);
      let got: Run | null = null;
      let err: unknown = null;
      let calls = 0;
      const made = countPromises(() => {
        runK(s.ini, s.res, resolver(p.b.pub), resolver(p.a.pub), (e, v) => {
          calls++;
          err = e;
          got = v || null;
        });
      });
      expect(err).toBeNull();
      expect(calls).toBe(1);
      expect(made).toBe(0);
      expect(got!.m2).toBe(ref.m2);
      expect(got!.m3).toBe(ref.m3);
      expect(got!.prkI).toBe(ref.prkI);
      expect(c.log.length).toBe(c0.log.length);
    });
  }
});


const step = <T>(what: string, f: (k: Done<T>) => void) => viaK<T>(what, f);

describe("failures through callbacks: once, with the promise form's code", () => {
  it("a step in the wrong state fails at once with EDHOC_WRONG_STATE and changes nothing", async () => {
    const c = answering("later", "ws");
    const { a, b } = parties(c);
    const { ini, res } = pair(c, a, b, 3, 2);
    let seen: unknown = "none";
    expect(ini.message3(undefined, (e) => (seen = e))).toBeUndefined();
    expect((seen as { code: string }).code).toBe("EDHOC_WRONG_STATE");
    expect(await code(step("message2 first", (k) => res.message2(undefined, k)))).toBe("EDHOC_WRONG_STATE");
    expect(await code(ini.message3())).toBe("EDHOC_WRONG_STATE");
    // The session is untouched: the handshake still runs to the end.
    const r = await runKP(ini, res, resolver(b.pub), resolver(a.pub));
    expect(r.prkI).toBe(r.prkR);
    expect(await code(step("message4 again", (k) => res.message4(undefined, k)))).toBe("EDHOC_WRONG_STATE");
  });

  it("a call while a step waits for the provider is refused without disturbing it", async () => {
    const c = answering("later", "busy");
    const { a, b } = parties(c);
    const { ini, res } = pair(c, a, b, 3, 2);
    const m1 = await step<Bytes>("m1", (k) => ini.message1(undefined, k));
    await step("p1", (k) => res.processMessage1(m1, k));
    const first = step<Bytes>("message2", (k) => res.message2(undefined, k));
    let second: unknown = null;
    res.message2(undefined, (e) => (second = e));
    expect((second as { code: string }).code).toBe("EDHOC_WRONG_STATE");
    const m2 = await first;
    expect(m2.length).toBeGreaterThan(40);
    const h2 = await step<PeerHello>("parse", (k) => ini.parseMessage2(m2, k));
    expect(h2.idCredInfo.kid).not.toBeNull();
  });

  it("an abort while the provider works ends the step with EDHOC_WRONG_STATE, once, and stays final", async () => {
    const c = answering("later", "abort");
    const { a, b } = parties(c);
    const { ini, res } = pair(c, a, b, 0, 2);
    const m1 = await step<Bytes>("m1", (k) => ini.message1(undefined, k));
    await step("p1", (k) => res.processMessage1(m1, k));
    const m2 = await step<Bytes>("m2", (k) => res.message2(undefined, k));
    const h2 = await step<PeerHello>("parse", (k) => ini.parseMessage2(m2, k));
    const v = step("verify", (k) => ini.verifyMessage2(resolver(b.pub)(h2), k));
    ini.abort();
    expect(await code(v)).toBe("EDHOC_WRONG_STATE");
    expect(ini.complete).toBe(false);
    expect(await code(step("m3", (k) => ini.message3(undefined, k)))).toBe("EDHOC_WRONG_STATE");
    expect(() => ini.prkOut).toThrow();
  });

  // Each scenario runs the failing step in both forms on identical sessions; f gets the
  // step's caller, which takes the callback form's k or (k undefined) returns the promise.
  type Call = <T>(run: (k?: Done<T>) => Promise<T> | void) => Promise<T>;
  const viaPromise: Call = (run) => run() as Promise<any>;
  const viaCallback: Call = (run) => viaK("step", (k) => run(k));
  async function both(mode: Answer, seed: string, f: (c: AnsweringProvider, call: Call) => Promise<string>): Promise<string[]> {
    const out = [];
    for (const call of [viaPromise, viaCallback]) out.push(await f(answering(mode, seed), call));
    return out;
  }

  for (const mode of MODES) {
    it(`provider answering ${mode}: authentication failures (signature and MAC) are EDHOC_AUTH_FAILED and end the session`, async () => {
      for (const method of [0, 1]) {
        const got = await both(mode, "auth" + method, async (c, call) => {
          const { a, b } = parties(c);
          const { ini, res } = pair(c, a, b, method, 2);
          const m1 = await call<Bytes>((k) => ini.message1(undefined, k as Done<Bytes>));
          await call((k) => res.processMessage1(m1, k as Done<Message1Info>));
          const m2 = await call<Bytes>((k) => res.message2(undefined, k as Done<Bytes>));
          await call((k) => ini.parseMessage2(m2, k as Done<PeerHello>));
          const wrong = makeParty(createNobleProvider(), "mallory").pub[0];
          const r = await code(call((k) => ini.verifyMessage2({ cred: wrong.cred, pub: wrong.pub }, k as Done<void>)));
          expect(() => ini.prkOut).toThrow();
          expect(await code(call((k) => ini.message3(undefined, k as Done<Bytes>)))).toBe("EDHOC_WRONG_STATE");
          return r;
        });
        expect(got).toEqual(["EDHOC_AUTH_FAILED", "EDHOC_AUTH_FAILED"]);
      }
    });

    it(`provider answering ${mode}: provider failures pass through typed (CRYPTO_BAD_POINT) or become EDHOC_INTERNAL`, async () => {
      for (const [op, error, want] of [
        ["ecdh", Object.assign(new Error("x"), { code: "CRYPTO_BAD_POINT" }), "CRYPTO_BAD_POINT"],
        ["generateKeyPair", new TypeError("boom"), "EDHOC_INTERNAL"],
      ] as const) {
        const got = await both(mode, "fail" + op, async (c, call) => {
          const { a, b } = parties(c);
          const { ini, res } = pair(c, a, b, 3, 2);
          const m1 = await call<Bytes>((k) => ini.message1(undefined, k as Done<Bytes>));
          await call((k) => res.processMessage1(m1, k as Done<Message1Info>));
          c.failNext = { op, error };
          const r = await code(call((k) => res.message2(undefined, k as Done<Bytes>)));
          expect(await code(call((k) => res.message2(undefined, k as Done<Bytes>)))).toBe("EDHOC_WRONG_STATE");
          return r;
        });
        expect(got).toEqual([want, want]);
      }
    });

    it(`provider answering ${mode}: malformed input, peer errors and a point not on the curve`, async () => {
      const got = await both(mode, "mal", async (c, call) => {
        const { a, b } = parties(c);
        const out: string[] = [];
        let s = pair(c, a, b, 0, 2);
        out.push(await code(call((k) => s.res.processMessage1(fromHex("0402" + "5820" + "00".repeat(32) + "0e"), k as Done<Message1Info>))));
        s = pair(c, a, b, 0, 2);
        await call((k) => s.ini.message1(undefined, k as Done<Bytes>));
        out.push(await code(call((k) => s.ini.parseMessage2(fromHex("0102"), k as Done<PeerHello>))));
        s = pair(c, a, b, 0, 2);
        await call((k) => s.ini.message1(undefined, k as Done<Bytes>));
        const pe: any = await call((k) => s.ini.parseMessage2(errorMessage(1, "busy"), k as Done<PeerHello>)).catch((e) => e);
        out.push(pe.code + " " + JSON.stringify(pe.detail));
        s = pair(c, a, b, 0, 2);
        await call((k) => s.res.processMessage1(fromHex("0002" + "5820" + "ff".repeat(32) + "0e"), k as Done<Message1Info>));
        out.push(await code(call((k) => s.res.message2(undefined, k as Done<Bytes>))));
        // Suite negotiation (host): ERR_CODE 2, then a new message_1 with the next suite.
        const ini = new EdhocInitiator({ crypto: c, method: 3, suites: [0, 2], creds: a.creds });
        await call((k) => ini.message1(undefined, k as Done<Bytes>));
        out.push(await code(call((k) => ini.parseMessage2(errorMessage(2, 2), k as Done<PeerHello>))));
        const m1 = await call<Bytes>((k) => ini.message1(undefined, k as Done<Bytes>));
        out.push(toHex(m1.subarray(0, 3)));
        return out.join(",");
      });
      expect(got[1]).toBe(got[0]);
      expect(got[0]).toBe('EDHOC_MALFORMED,EDHOC_MALFORMED,EDHOC_PEER_ERROR {"code":1,"info":"busy"},CRYPTO_BAD_POINT,EDHOC_WRONG_SUITE,038200');
    });
  }
});

describe("what callbacks and providers may do", () => {
  it("a provider's promise rejected without a reason is CRYPTO_INTERNAL (settle gives it one), in both forms", async () => {
    const got: string[] = [];
    for (const viaCb of [false, true]) {
      const c = answering("promise", "bare");
      const { a, b } = parties(c);
      const { ini, res } = pair(c, a, b, 3, 2);
      await res.processMessage1(await ini.message1());
      c.failNext = { op: "ecdh", bare: true };
      got.push(await code(viaCb ? step("m2", (k) => res.message2(undefined, k)) : res.message2()));
      expect(await code(res.message2())).toBe("EDHOC_WRONG_STATE");
    }
    expect(got).toEqual(["CRYPTO_INTERNAL", "CRYPTO_INTERNAL"]);
  });

  it("a callback that throws: the exception reaches the caller, the step is not completed twice and its result stands", () => {
    const c = answering("sync", "throw");
    const { a, b } = parties(c);
    const { ini, res } = pair(c, a, b, 3, 2);
    let calls = 0;
    let m1: Bytes | undefined;
    expect(() =>
      ini.message1(undefined, (e, v) => {
        expect(e).toBeNull();
        calls++;
        m1 = v;
        throw new Error("callback bug");
      }),
    ).toThrow("callback bug");
    expect(calls).toBe(1);
    expect(m1!.length).toBeGreaterThan(36);
    // message_1 stands: the handshake continues from it.
    let info: Message1Info | undefined;
    res.processMessage1(m1!, (e, v) => (info = e ? undefined : v));
    expect(info!.method).toBe(3);
    let m2: Bytes | undefined;
    calls = 0;
    expect(() =>
      res.message2(undefined, (e, v) => {
        expect(e).toBeNull();
        calls++;
        m2 = v;
        throw new Error("again");
      }),
    ).toThrow("again");
    expect(calls).toBe(1);
    let hello: PeerHello | undefined;
    ini.parseMessage2(m2!, (e, v) => (hello = e ? undefined : v));
    expect(hello!.idCredInfo.kid).not.toBeNull();
  });

  for (const mode of ["sync", "later"] as const) {
    it(`a provider that answers twice (${mode}): only the first answer counts, also while the step goes on`, async () => {
      const seed = "twice-" + mode;
      const ref = answering(mode, seed);
      const pr = parties(ref);
      const r0 = pair(ref, pr.a, pr.b, 3, 2);
      const want = await runKP(r0.ini, r0.res, resolver(pr.b.pub), resolver(pr.a.pub));
      const c = answering(mode, seed);
      const { a, b } = parties(c);
      const gen = c.generateKeyPair as (...x: unknown[]) => unknown;
      const ecdh = c.ecdh as (...x: unknown[]) => unknown;
      let extra = 0;
      // Each operation answers a second time once its first answer has been taken in:
      // generateKeyPair through the promise it returns (another key), ecdh through the
      // callback again (other bytes), at once (sync) or from a timer (later), while the
      // step goes on or after it has ended.
      c.generateKeyPair = ((crv: number, k?: Done<unknown>) => {
        const other = answering("sync").importPrivateKey(crv, new Uint8Array(32).fill(7));
        let again!: () => void;
        const second = new Promise((r) => (again = () => r(other)));
        gen(crv, k && ((e: unknown, v?: unknown) => (k(e, v), extra++, again())));
        return second;
      }) as typeof c.generateKeyPair;
      c.ecdh = ((p: unknown, q: Bytes, k?: Done<Bytes>) => {
        const bogus = () => k!(null, new Uint8Array(32).fill(9));
        ecdh(p, q, k && ((e: unknown, v?: Bytes) => (k(e, v), extra++, mode === "sync" ? bogus() : setTimeout(bogus, 0))));
      }) as typeof c.ecdh;
      const s = pair(c, a, b, 3, 2);
      const r = await runKP(s.ini, s.res, resolver(b.pub), resolver(a.pub));
      // The second answers come from timers: wait for them (a loaded machine may take a while).
      for (let t = 0; t < 200 && extra < 8; t++) await new Promise((x) => setTimeout(x, 10));
      await new Promise((x) => setTimeout(x, 20));
      expect(extra).toBe(2 + 6); // two ephemeral keys; three ECDH per side (method 3)
      expect([r.m1, r.m2, r.m3, r.m4, r.prkI, r.prkR]).toEqual([want.m1, want.m2, want.m3, want.m4, want.prkI, want.prkR]);
    });
  }

  it("the promise form keeps its types; the callback form returns nothing", async () => {
    const c = answering("sync", "types");
    const { a, b } = parties(c);
    const { ini, res } = pair(c, a, b, 3, 2);
    const p: Promise<Bytes> = ini.message1();
    expect(p).toBeInstanceOf(Promise);
    const m1 = await p;
    let info: Message1Info | null = null;
    const ret: void = res.processMessage1(m1, (e, v) => (info = e ? null : v || null));
    expect(ret).toBeUndefined();
    expect(info!.suite).toBe(2);
  });
});
