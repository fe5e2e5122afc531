// RFC 9529 traces 1 (method 0, suite 0, x5t credentials) and 2 (method 3, suite 2, CCS
// by kid), byte for byte: every message, PRK_out and every intermediate value listed
// under `derived`, with the traces' ephemeral keys injected through the crypto provider.
import { afterEach, describe, expect, it } from "vitest";
import vectors from "../vectors/rfc9529.json";
import { fromHex, toHex } from "../../src/core/bytes";
import { edhocExporter, prkExporter } from "../../src/core/edhoc/kdf";
import { edhocTestHooks } from "../../src/core/edhoc/testing";
import { createNobleProvider } from "../../src/crypto/noble";
import type { KeyPair } from "../../src/crypto/provider";
import { traceCurves, tracePair, type Trace } from "../helpers/edhoc";


afterEach(() => {
  edhocTestHooks.trace = null;
});

async function runTrace(t: Trace) {
  const noble = createNobleProvider();
  // The traces' ephemeral keys, injected through the provider (what a device's secure element would generate).
  let eph: ((crv: number) => Promise<KeyPair>) | null = null;
  const c = Object.assign(Object.create(noble), { generateKeyPair: (crv: number) => (eph ? eph(crv) : noble.generateKeyPair(crv)) }) as typeof noble;
  const { ecdhCrv } = traceCurves(t);
  const { ini, res, skI, skR, seen, at } = tracePair(c, t);
  const ephFor = (hex: string) => async (crv: number) => {
    expect(crv).toBe(ecdhCrv);
    return c.importPrivateKey(crv, fromHex(hex));
  };

  at("I");
  eph = ephFor(t.X);
  const m1 = await ini.message1();
  expect(toHex(m1)).toBe(t.message_1);

  at("R");
  eph = ephFor(t.Y);
  const info1 = await res.processMessage1(m1);
  expect(toHex(info1.connId)).toBe(t.C_I);
  expect(info1.method).toBe(t.method);
  const m2 = await res.message2();
  expect(toHex(m2)).toBe(t.message_2);

  at("I");
  const hello2 = await ini.parseMessage2(m2);
  expect(toHex(hello2.connId)).toBe(t.C_R);
  expect(toHex(hello2.idCred)).toBe(t.ID_CRED_R);
  await ini.verifyMessage2({ cred: fromHex(t.CRED_R), pub: skR.pub });
  const m3 = await ini.message3();
  expect(toHex(m3)).toBe(t.message_3);

  at("R");
  const hello3 = await res.parseMessage3(m3);
  expect(toHex(hello3.idCred)).toBe(t.ID_CRED_I);
  await res.verifyMessage3({ cred: fromHex(t.CRED_I), pub: skI.pub });
  const m4 = await res.message4();
  expect(toHex(m4)).toBe(t.message_4);

  at("I");
  expect(await ini.processMessage4(m4)).toEqual([]);

  expect(toHex(ini.prkOut)).toBe(t.PRK_out);
  expect(toHex(res.prkOut)).toBe(t.PRK_out);
  return { c, ini, res, seen };
}

for (const name of ["trace1", "trace2"] as const) {
  const t = vectors.traces[name] as unknown as Trace;
  describe(`RFC 9529 ${name}: method ${t.method}, suite ${t.suite}`, () => {
    it("reproduces messages 1-4 and PRK_out", async () => {
      await runTrace(t);
    });

    it("reproduces every derived intermediate value on both sides", async () => {
      const { c, ini, seen } = await runTrace(t);
      const d = t.derived;
      const names = ["G_XY", "TH_2", "PRK_2e", "PRK_3e2m", "MAC_2", "PLAINTEXT_2", "KEYSTREAM_2", "TH_3", "PRK_4e3m",
        "MAC_3", "PLAINTEXT_3", "K_3", "IV_3", "TH_4", "K_4", "IV_4", "PRK_out"];
      for (const n of names) {
        expect(d[n], `vector has ${n}`).toBeTypeOf("string");
        expect(seen.I[n], `initiator ${n}`).toBe(d[n]);
        expect(seen.R[n], `responder ${n}`).toBe(d[n]);
      }
      expect(toHex(c.importPrivateKey(t.suite === 2 ? 1 : 4, fromHex(t.X)).pub.subarray(0, 32))).toBe(d.G_X);
      expect(toHex(c.importPrivateKey(t.suite === 2 ? 1 : 4, fromHex(t.Y)).pub.subarray(0, 32))).toBe(d.G_Y);
      for (const m of ["message_1", "message_2", "message_3", "message_4"]) expect(d[m]).toBe((t as unknown as Record<string, string>)[m]);
      expect(toHex(prkExporter(c, ini.prkOut))).toBe(d.PRK_exporter);
      expect(toHex(edhocExporter(c, ini.prkOut, 0, new Uint8Array(0), 16))).toBe(d.OSCORE_Master_Secret);
      expect(toHex(edhocExporter(c, ini.prkOut, 1, new Uint8Array(0), 8))).toBe(d.OSCORE_Master_Salt);
      expect(toHex(ini.exporter(0, new Uint8Array(0), 16))).toBe(d.OSCORE_Master_Secret);
    });
  });
}
