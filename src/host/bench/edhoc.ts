/**
 * EDHOC host benchmarks: handshakes per second with the @noble provider and message sizes
 * per method with credentials by reference (kid) and by value (kccs).
 */
import { ccsIdCred, makeCcs } from "../../core/edhoc/ccs";
import { EdhocInitiator, EdhocResponder, type OwnCredential } from "../../core/edhoc/edhoc";
import { createNobleProvider, type NobleProvider } from "../../crypto/noble";
import { ccsInfo } from "../../core/edhoc/ccs";

function party(c: NobleProvider, name: string, byValue: boolean): { own: OwnCredential; cred: Uint8Array; pub: Uint8Array } {
  const raw = c.randomBytes(32);
  raw[0] &= 0x7f;
  const k = c.importPrivateKey(1, raw);
  const cred = makeCcs(name, 1, k.pub, byValue ? null : new Uint8Array([name.charCodeAt(0)]));
  return { own: { priv: k.priv, cred, idCred: ccsIdCred(cred) }, cred, pub: k.pub };
}

/** One complete handshake with message_4; returns the four message sizes. */
export async function handshakeOnce(c: NobleProvider, method: number, a: ReturnType<typeof party>, b: ReturnType<typeof party>): Promise<number[]> {
  const ini = new EdhocInitiator({ crypto: c, method, suites: [2], creds: [a.own] });
  const res = new EdhocResponder({ crypto: c, suites: [2], creds: [b.own] });
  const m1 = await ini.message1();
  await res.processMessage1(m1);
  const m2 = await res.message2();
  await ini.parseMessage2(m2);
  await ini.verifyMessage2({ cred: b.cred, pub: ccsInfo(b.cred).pub });
  const m3 = await ini.message3();
  await res.parseMessage3(m3);
  await res.verifyMessage3({ cred: a.cred, pub: ccsInfo(a.cred).pub });
  const m4 = await res.message4();
  await ini.processMessage4(m4);
  return [m1.length, m2.length, m3.length, m4.length];
}

export async function benchEdhoc(seconds: number): Promise<Record<string, unknown>> {
  const c = createNobleProvider();
  const sizes: Record<string, unknown> = {};
  for (const byValue of [false, true]) {
    const a = party(c, "initiator-01", byValue);
    const b = party(c, "responder-01", byValue);
    const per: Record<string, { messages: number[]; total: number }> = {};
    for (const m of [0, 1, 2, 3]) {
      const s = await handshakeOnce(c, m, a, b);
      per[`method${m}`] = { messages: s, total: s.reduce((x, y) => x + y, 0) };
    }
    sizes[byValue ? "byValue_kccs" : "byKid"] = per;
  }
  const rates: Record<string, number> = {};
  const a = party(c, "initiator-01", false);
  const b = party(c, "responder-01", false);
  for (const m of [0, 3]) {
    await handshakeOnce(c, m, a, b);
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await handshakeOnce(c, m, a, b);
      n++;
    }
    rates[`method${m}`] = Math.round((n / ((performance.now() - t0) / 1000)) * 10) / 10;
  }
  return {
    provider: c.name,
    suite: 2,
    note: "handshakes per second: both roles in one process, so one handshake = initiator + responder work; P-256 CCS credentials",
    handshakesPerSecond: rates,
    messageBytes: sizes,
  };
}
