/**
 * The main job. For now: two in-memory peers with fresh P-256 credentials run an EDHOC
 * method-3 handshake and print a short trace.
 */
import { toHex } from "../core/bytes";
import { createNobleProvider } from "../crypto/noble";
import { ccsIdCred, makeCcs } from "../core/edhoc/ccs";
import { EdhocInitiator, EdhocResponder } from "../core/edhoc/edhoc";

export async function runDemo(): Promise<number> {
  const c = createNobleProvider();
  const t0 = performance.now();
  const mk = (name: string, kid: number) => {
    const raw = c.randomBytes(32);
    raw[0] &= 0x7f;
    const kp = c.importPrivateKey(1, raw);
    const cred = makeCcs(name, 1, kp.pub, new Uint8Array([kid]));
    return { kp, cred, own: { priv: kp.priv, cred, idCred: ccsIdCred(cred) } };
  };
  const a = mk("device-a", 0x0a);
  const b = mk("device-b", 0x0b);
  const ini = new EdhocInitiator({ crypto: c, method: 3, suites: [2], creds: [a.own] });
  const res = new EdhocResponder({ crypto: c, suites: [2], creds: [b.own] });
  const log = (who: string, what: string, n: number) => console.log(`  ${(performance.now() - t0).toFixed(1).padStart(7)} ms  ${who.padEnd(10)} ${what.padEnd(12)} ${String(n).padStart(4)} bytes`);
  console.log("pairkit: EDHOC (RFC 9528) method 3 (static DH both ways), cipher suite 2 (P-256, AES-CCM-16-64-128, SHA-256)");
  const m1 = await ini.message1();
  log("device-a", "message_1", m1.length);
  await res.processMessage1(m1);
  const m2 = await res.message2();
  log("device-b", "message_2", m2.length);
  await ini.parseMessage2(m2);
  await ini.verifyMessage2({ cred: b.cred, pub: b.kp.pub });
  const m3 = await ini.message3();
  log("device-a", "message_3", m3.length);
  await res.parseMessage3(m3);
  await res.verifyMessage3({ cred: a.cred, pub: a.kp.pub });
  const m4 = await res.message4();
  log("device-b", "message_4", m4.length);
  await ini.processMessage4(m4);
  const same = toHex(ini.prkOut) === toHex(res.prkOut);
  console.log(`  both sides derived the same PRK_out: ${same ? "yes" : "NO"} (not printed: it is a secret)`);
  console.log(`  total ${m1.length + m2.length + m3.length + m4.length} bytes in ${(performance.now() - t0).toFixed(1)} ms`);
  return same ? 0 : 1;
}
