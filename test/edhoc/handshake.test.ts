// EDHOC between two in-process peers: every method in both suites, credentials by
// reference and by value, suite negotiation, EAD, message_4, exporter and key update,
// and the failure paths (tampering, wrong credentials, wrong order, peer errors).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fromHex, toHex } from "../../src/core/bytes";
import { EdhocInitiator, EdhocResponder, edhocErrorMessage } from "../../src/core/edhoc/edhoc";
import { encodeIdBytes, errorMessage, readIdBytes } from "../../src/core/edhoc/messages";
import { isPairkitError } from "../../src/core/errors";
import { decodeSeq, reader } from "../../src/core/cbor";
import { createNobleProvider } from "../../src/crypto/noble";
import { handshake, makeParty } from "../helpers/edhoc";
import { settledCode as code } from "../helpers/util";

const c = createNobleProvider();
const alice = makeParty(c, "alice");
const bob = makeParty(c, "bob");

/** An EDHOC error message (ERR_CODE, ERR_INFO) as {code, info}. */
function parseErrorMessage(m: Uint8Array) {
  const [code, info] = decodeSeq(m);
  return { code, info };
}


function pair(method: number, suite: number, opts: { iSuites?: number[]; rSuites?: number[]; eadLabels?: number[] } = {}) {
  const ini = new EdhocInitiator({ crypto: c, method, suites: opts.iSuites || [suite], creds: alice.creds, eadLabels: opts.eadLabels });
  const res = new EdhocResponder({ crypto: c, suites: opts.rSuites || [suite], creds: bob.creds, eadLabels: opts.eadLabels });
  return { ini, res };
}

describe("EDHOC handshakes", () => {
  for (const suite of [0, 2]) {
    for (const method of [0, 1, 2, 3]) {
      it(`method ${method}, suite ${suite}: both sides derive the same PRK_out, exporter and key update`, async () => {
        const { ini, res } = pair(method, suite);
        const r = await handshake(ini, res, bob.pub, alice.pub);
        expect(ini.complete && res.complete).toBe(true);
        expect(toHex(ini.prkOut)).toBe(toHex(res.prkOut));
        const ctx = new Uint8Array([1, 2, 3]);
        expect(toHex(ini.exporter(65000, ctx, 32))).toBe(toHex(res.exporter(65000, ctx, 32)));
        const before = toHex(ini.prkOut);
        ini.keyUpdate(ctx);
        res.keyUpdate(ctx);
        expect(toHex(ini.prkOut)).toBe(toHex(res.prkOut));
        expect(toHex(ini.prkOut)).not.toBe(before);
        expect(r.h2.idCredInfo.kid).not.toBeNull();
        expect(ini.method).toBe(method);
        expect(res.suite).toBe(suite);
      });
    }
  }

  it("credentials by value (kccs) in both directions", async () => {
    const a = makeParty(c, "anna", true);
    const b = makeParty(c, "bert", true);
    for (const method of [0, 3]) {
      const ini = new EdhocInitiator({ crypto: c, method, suites: [2], creds: a.creds });
      const res = new EdhocResponder({ crypto: c, suites: [2], creds: b.creds });
      const r = await handshake(ini, res, b.pub, a.pub);
      expect(r.h2.idCredInfo.label).toBe(14);
      expect(r.h3.idCredInfo.label).toBe(14);
      expect(toHex(ini.prkOut)).toBe(toHex(res.prkOut));
    }
  });

  it("two runs never derive the same PRK_out (fresh ephemeral keys)", async () => {
    const outs = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { ini, res } = pair(3, 2);
      await handshake(ini, res, bob.pub, alice.pub);
      outs.add(toHex(ini.prkOut));
    }
    expect(outs.size).toBe(3);
  });
});

describe("cipher suite negotiation", () => {
  it("ERR_CODE 2 with SUITES_R, then a new message_1 listing the preferred suites up to the selected one", async () => {
    const ini = new EdhocInitiator({ crypto: c, method: 3, suites: [0, 2], creds: alice.creds });
    const res1 = new EdhocResponder({ crypto: c, suites: [2], creds: bob.creds });
    const m1 = await ini.message1();
    expect(toHex(m1.subarray(0, 2))).toBe("0300"); // method 3, SUITES_I = 0
    let err: unknown;
    await res1.processMessage1(m1).catch((e) => (err = e));
    expect((err as { code: string }).code).toBe("EDHOC_WRONG_SUITE");
    const errMsg = edhocErrorMessage(err);
    expect(parseErrorMessage(errMsg)).toEqual({ code: 2, info: 2 });
    expect(await code(ini.parseMessage2(errMsg))).toBe("EDHOC_WRONG_SUITE");
    const res2 = new EdhocResponder({ crypto: c, suites: [2], creds: bob.creds });
    const r = await handshake(ini, res2, bob.pub, alice.pub);
    expect(ini.suite).toBe(2);
    expect(r.info1.suite).toBe(2);
    expect(toHex(ini.prkOut)).toBe(toHex(res2.prkOut));
  });

  it("the responder refuses a selection when it supports a suite the initiator listed earlier", async () => {
    const ini = new EdhocInitiator({ crypto: c, method: 0, suites: [0, 2], selected: 2, creds: alice.creds });
    const res = new EdhocResponder({ crypto: c, suites: [0, 2], creds: bob.creds });
    const e = await res.processMessage1(await ini.message1()).catch((x) => x);
    expect(e.code).toBe("EDHOC_WRONG_SUITE");
    expect(parseErrorMessage(edhocErrorMessage(e))).toEqual({ code: 2, info: [0, 2] });
  });

  it("no common suite ends the session with EDHOC_NO_COMMON_SUITE", async () => {
    const ini = new EdhocInitiator({ crypto: c, method: 0, suites: [0], creds: alice.creds });
    await ini.message1();
    expect(await code(ini.parseMessage2(errorMessage(2, 2)))).toBe("EDHOC_NO_COMMON_SUITE");
    expect(await code(ini.message1())).toBe("EDHOC_WRONG_STATE");
  });
});

describe("EDHOC failure paths", () => {
  it("an ERR_CODE 1 message is reported with its text and ends the session", async () => {
    const { ini } = pair(0, 2);
    await ini.message1();
    const e = await ini.parseMessage2(errorMessage(1, "busy")).catch((x) => x);
    expect(e.code).toBe("EDHOC_PEER_ERROR");
    expect(e.detail).toEqual({ code: 1, info: "busy" });
    expect(await code(ini.verifyMessage2({ cred: bob.pub[0].cred, pub: bob.pub[0].pub }))).toBe("EDHOC_WRONG_STATE");
  });

  it("an error message of the wrong shape is malformed, not a peer error", async () => {
    const bad = [errorMessage(1, 5), errorMessage(2, "x"), new Uint8Array([...errorMessage(1, "busy"), 0]), fromHex("0102")];
    for (const m of bad) {
      const { ini } = pair(0, 2);
      await ini.message1();
      expect(await code(ini.parseMessage2(m))).toBe("EDHOC_MALFORMED");
    }
  });

  it("errors we send carry only a stable code", () => {
    const m = edhocErrorMessage(Object.assign(new Error("secret detail 1234"), { code: "EDHOC_AUTH_FAILED" }));
    expect(parseErrorMessage(m)).toEqual({ code: 1, info: "EDHOC_AUTH_FAILED" });
    expect(parseErrorMessage(edhocErrorMessage(new TypeError("x")))).toEqual({ code: 1, info: "EDHOC_INTERNAL" });
    expect(parseErrorMessage(edhocErrorMessage(Object.assign(new Error(""), { code: "EDHOC_UNKNOWN_CRED" })))).toEqual({ code: 3, info: true });
  });

  it("wrong-order calls are typed errors that leave the state alone", async () => {
    const { ini, res } = pair(3, 2);
    expect(await code(ini.message3())).toBe("EDHOC_WRONG_STATE");
    expect(await code(res.message2())).toBe("EDHOC_WRONG_STATE");
    expect(() => ini.exporter(0, new Uint8Array(0), 16)).toThrow(/not completed/);
    await handshake(ini, res, bob.pub, alice.pub);
    expect(await code(res.message4())).toBe("EDHOC_WRONG_STATE");
    expect(ini.complete).toBe(true);
  });

  it("a call while a step runs is refused without disturbing it; an abort meanwhile ends the step and stays final", async () => {
    const { ini, res } = pair(3, 2);
    await res.processMessage1(await ini.message1());
    const first = res.message2();
    expect(await code(res.message2())).toBe("EDHOC_WRONG_STATE");
    const m2 = await first;
    await ini.parseMessage2(m2);
    const v = ini.verifyMessage2({ cred: bob.pub[0].cred, pub: bob.pub[0].pub });
    ini.abort();
    expect(await code(v)).toBe("EDHOC_WRONG_STATE");
    expect(ini.complete).toBe(false);
    expect(await code(ini.message3())).toBe("EDHOC_WRONG_STATE");
    expect(() => ini.prkOut).toThrow();
  });

  it("message_2 verified against the wrong credential fails authentication, for signature and MAC methods", async () => {
    for (const method of [0, 1]) {
      const { ini, res } = pair(method, 2);
      await res.processMessage1(await ini.message1());
      await ini.parseMessage2(await res.message2());
      const wrong = makeParty(c, "mallory").pub[0];
      expect(await code(ini.verifyMessage2({ cred: wrong.cred, pub: wrong.pub }))).toBe("EDHOC_AUTH_FAILED");
      expect(() => ini.prkOut).toThrow();
    }
  });

  it("message_3 verified against the wrong credential fails, for signature and MAC methods", async () => {
    for (const method of [0, 2]) {
      const { ini, res } = pair(method, 2);
      await res.processMessage1(await ini.message1());
      const h2 = await ini.parseMessage2(await res.message2());
      expect(h2.idCredInfo.kid).not.toBeNull();
      await ini.verifyMessage2({ cred: bob.pub[0].cred, pub: bob.pub[0].pub });
      const m3 = await ini.message3();
      await res.parseMessage3(m3);
      const wrong = makeParty(c, "mallory").pub[0];
      expect(await code(res.verifyMessage3({ cred: wrong.cred, pub: wrong.pub }))).toBe("EDHOC_AUTH_FAILED");
      expect(res.complete).toBe(false);
    }
  });

  it("any single-bit flip in message_2, message_3 or message_4 is refused", async () => {
    for (const which of [2, 3, 4]) {
      for (const bit of [0, 7, 100, 300]) {
        const { ini, res } = pair(3, 2);
        const m1 = await ini.message1();
        await res.processMessage1(m1);
        let m2 = await res.message2();
        const flip = (m: Uint8Array) => {
          const x = new Uint8Array(m);
          const i = 1 + (Math.floor(bit / 8) % (x.length - 1));
          x[i] ^= 1 << bit % 8;
          return x;
        };
        if (which === 2) m2 = flip(m2);
        const r2 = await code(ini.parseMessage2(m2).then((h) => ini.verifyMessage2({ cred: bob.pub[0].cred, pub: bob.pub[0].pub }).then(() => h)));
        if (which === 2) {
          expect(r2).not.toBe("resolved");
          continue;
        }
        let m3 = await ini.message3();
        if (which === 3) m3 = flip(m3);
        const r3 = await code(res.parseMessage3(m3).then(() => res.verifyMessage3({ cred: alice.pub[0].cred, pub: alice.pub[0].pub })));
        if (which === 3) {
          expect(r3).toBe("EDHOC_DECRYPT_FAILED");
          continue;
        }
        const m4 = flip(await res.message4());
        expect(await code(ini.processMessage4(m4))).toBe("EDHOC_DECRYPT_FAILED");
        expect(ini.complete).toBe(false);
      }
    }
  });

  it("a G_X that is not on P-256 is refused with a typed error", async () => {
    const { res } = pair(0, 2);
    const m1 = fromHex("0002" + "5820" + "ff".repeat(32) + "0e");
    await res.processMessage1(m1);
    const r = await code(res.message2());
    expect(r).toMatch(/^CRYPTO_BAD_POINT$/);
  });

  it("message_1 with an unknown method, bad suites or a bad G_X length is malformed", async () => {
    const bad = ["0402" + "5820" + "00".repeat(32) + "0e", "00" + "80" + "5820" + "00".repeat(32) + "0e", "0002" + "5810" + "00".repeat(16) + "0e", "0002"];
    for (const h of bad) {
      const { res } = pair(0, 2);
      expect(await code(res.processMessage1(fromHex(h)))).toBe("EDHOC_MALFORMED");
    }
  });

  it("a wrong configuration is EDHOC_BAD_CONFIG", () => {
    const bad = [
      () => new EdhocInitiator({ crypto: c, method: 4, suites: [2], creds: alice.creds }),
      () => new EdhocInitiator({ crypto: c, method: 0, suites: [1], creds: alice.creds }),
      () => new EdhocInitiator({ crypto: c, method: 0, suites: [2], selected: 0, creds: alice.creds }),
      () => new EdhocInitiator({ crypto: c, method: 0, suites: [2], creds: alice.creds, connId: new Uint8Array(9) }),
      () => new EdhocResponder({ crypto: c, suites: [2], creds: bob.creds, connId: new Uint8Array(0) }),
      () => new EdhocResponder({ crypto: c, suites: [2], methods: [0, 1.5], creds: bob.creds }),
      () => new EdhocResponder({ crypto: c, suites: [], creds: bob.creds }),
    ];
    for (const f of bad) expect(f).toThrow(expect.objectContaining({ code: "EDHOC_BAD_CONFIG" }));
    expect(new EdhocResponder({ crypto: c, suites: [2], methods: [3], creds: bob.creds, connId: new Uint8Array(8) }).complete).toBe(false);
  });

  it("the responder refuses methods it does not accept", async () => {
    const ini = new EdhocInitiator({ crypto: c, method: 0, suites: [2], creds: alice.creds });
    const res = new EdhocResponder({ crypto: c, suites: [2], methods: [3], creds: bob.creds });
    expect(await code(res.processMessage1(await ini.message1()))).toBe("EDHOC_METHOD_REFUSED");
  });
});

describe("EAD items", () => {
  it("known items arrive in every message; unknown non-critical ones are ignored", async () => {
    const { ini, res } = pair(3, 2, { eadLabels: [5] });
    const v = new Uint8Array([9, 9]);
    const r = await handshake(ini, res, bob.pub, alice.pub, {
      ead1: [{ label: 5, value: v }, { label: 7, value: null }],
      ead2: [{ label: -5, value: v }],
      ead3: [{ label: 0, value: null }, { label: 5, value: null }],
      ead4: [{ label: 5, value: v }, { label: 20, value: v }],
    });
    expect(r.info1.ead).toEqual([{ label: 5, value: v }]);
    expect(r.h2.ead).toEqual([{ label: -5, value: v }]);
    expect(r.h3.ead).toEqual([{ label: 5, value: null }]);
    expect(r.ead4).toEqual([{ label: 5, value: v }]);
  });

  it("an unknown critical item aborts the handshake", async () => {
    const { ini, res } = pair(3, 2, { eadLabels: [5] });
    expect(await code(res.processMessage1(await ini.message1([{ label: -9, value: null }])))).toBe("EDHOC_EAD_CRITICAL");
  });
});

describe("connection identifiers", () => {
  it("one-byte identifiers that encode an integer in -24..23 travel as that integer", () => {
    expect(toHex(encodeIdBytes(fromHex("2d")))).toBe("2d");
    expect(toHex(encodeIdBytes(fromHex("17")))).toBe("17");
    expect(toHex(encodeIdBytes(fromHex("18")))).toBe("4118");
    expect(toHex(encodeIdBytes(fromHex("0102")))).toBe("420102");
    expect(toHex(readIdBytes(reader(fromHex("37"))))).toBe("37");
    expect(() => readIdBytes(reader(fromHex("412d")))).toThrow(/integer encoding/);
    expect(() => readIdBytes(reader(fromHex("1818")))).toThrow(/outside/);
  });
});

describe("parsers on hostile input return only typed errors", () => {
  const typed = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      expect(isPairkitError(e), String(e)).toBe(true);
    }
  };

  it("message_1", async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 80 }), async (b) => {
      await typed(pair(0, 2).res.processMessage1(b));
    }), { numRuns: 300 });
  });

  it("message_2 and message_3", async () => {
    const { ini, res } = pair(3, 2);
    const m1 = await ini.message1();
    await res.processMessage1(m1);
    const m2 = await res.message2();
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 120 }), fc.nat(200), async (b, cut) => {
      const i2 = new EdhocInitiator({ crypto: c, method: 3, suites: [2], creds: alice.creds });
      await i2.message1();
      await typed(i2.parseMessage2(b));
      const i3 = new EdhocInitiator({ crypto: c, method: 3, suites: [2], creds: alice.creds });
      await i3.message1();
      await typed(i3.parseMessage2(m2.subarray(0, cut % (m2.length + 1))));
    }), { numRuns: 150 });
    const m3 = await (async () => {
      await ini.parseMessage2(m2);
      await ini.verifyMessage2({ cred: bob.pub[0].cred, pub: bob.pub[0].pub });
      return ini.message3();
    })();
    expect(m3.length).toBeGreaterThan(0);
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 60 }), async (b) => {
      const { ini: i, res: r } = pair(3, 2);
      await r.processMessage1(await i.message1());
      await r.message2();
      await typed(r.parseMessage3(b));
    }), { numRuns: 60 });
  });
});
