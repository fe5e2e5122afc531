/**
 * Benchmarks of the manufacturer-credential path: credential sizes, EDHOC bytes with
 * credentials by value (kcwt) and by kid, and the modelled ATECC608 time per handshake
 * and role (worst-case execution times from Microchip's table, counted by the packet-level
 * simulator that sits behind the real device driver).
 */
import type { Bytes } from "../../core/bytes";
import { EdhocInitiator, EdhocResponder, type OwnCredential } from "../../core/edhoc/edhoc";
import { idCredKid } from "../../core/edhoc/messages";
import { idCredByValue } from "../../core/cred/idcred";
import { validateChain } from "../../core/cred/chain";
import { createNobleProvider, type NobleProvider } from "../../crypto/noble";
import type { CryptoProvider } from "../../crypto/provider";
import { memIssue, memRoot } from "../ca/memory";
import { signCredential } from "../ca/ca";
import { createSimulatedSecureElement } from "../atecc608/fixture";

interface Party {
  c: CryptoProvider;
  own: OwnCredential;
  cred: Bytes;
  pub: Bytes;
  kid: Bytes;
}

/** One handshake; `verifyChain` validates the peer's CWT (through the party's provider) as on first contact. */
async function handshake(method: number, a: Party, b: Party, anchors: Bytes[], verifyChain: boolean): Promise<number[]> {
  const ini = new EdhocInitiator({ crypto: a.c, method, suites: [2], creds: [a.own] });
  const res = new EdhocResponder({ crypto: b.c, suites: [2], creds: [b.own] });
  const m1 = await ini.message1();
  await res.processMessage1(m1);
  const m2 = await res.message2();
  await ini.parseMessage2(m2);
  if (verifyChain) await validateChain(a.c, b.cred, { anchors });
  await ini.verifyMessage2({ cred: b.cred, pub: b.pub });
  const m3 = await ini.message3();
  await res.parseMessage3(m3);
  if (verifyChain) await validateChain(b.c, a.cred, { anchors });
  await res.verifyMessage3({ cred: a.cred, pub: a.pub });
  const m4 = await res.message4();
  await ini.processMessage4(m4);
  return [m1.length, m2.length, m3.length, m4.length];
}

function withIdCred(p: Party, byKid: boolean): Party {
  return { ...p, own: { ...p.own, idCred: byKid ? idCredKid(p.kid) : idCredByValue(p.cred, null) } };
}

export async function benchPki(): Promise<Record<string, unknown>> {
  const c = createNobleProvider();
  const root = await memRoot(c, "acme-root");
  const line = await memIssue(c, root, "acme-l1", "ca", 0);
  const viaRoot = await memIssue(c, root, "00000002", "device", "puck");
  const viaLine = await memIssue(c, line, "00000001", "device", "puck");
  const mk = (e: typeof viaRoot): Party => ({ c, own: { priv: e.key.priv, cred: e.cred.bytes, idCred: idCredByValue(e.cred.bytes, null) }, cred: e.cred.bytes, pub: e.cred.pub, kid: e.cred.kid });
  const a = mk(viaRoot);
  const b = mk(await memIssue(c, root, "00000003", "device", "puck"));
  const anchors = [root.cred.bytes];
  const bytes: Record<string, unknown> = {};
  for (const m of [0, 3]) {
    const first = await handshake(m, withIdCred(a, false), withIdCred(b, false), anchors, true);
    const later = await handshake(m, withIdCred(a, true), withIdCred(b, true), anchors, false);
    bytes[`method${m}`] = {
      firstContactKcwt: { messages: first, total: first.reduce((x, y) => x + y) },
      laterByKid: { messages: later, total: later.reduce((x, y) => x + y) },
    };
  }
  return {
    credentialBytes: {
      device: viaRoot.cred.bytes.length,
      deviceViaIntermediate: viaLine.cred.bytes.length,
      root: root.cred.bytes.length,
      intermediate: line.cred.bytes.length,
      note: "names: issuer 'acme-root', device id '00000002', model 'puck' (21 characters fit the 200-byte budget)",
    },
    edhocBytesSuite2: bytes,
  };
}

/** Modelled secure-element milliseconds per role for one handshake between two simulated chips. */
export async function benchSecureElement(): Promise<Record<string, unknown>> {
  const host = createNobleProvider();
  const root = await memRoot(host, "acme-root");
  const anchors = [root.cred.bytes];
  const chips: Awaited<ReturnType<typeof createSimulatedSecureElement>>[] = [];
  for (const id of ["00000011", "00000012"]) {
    const se = await createSimulatedSecureElement({
      issueCredential: (pub) => signCredential(host, root.key.priv, root.cred, { sub: id, role: "device", model: "puck", pub }),
      trustAnchors: anchors,
    });
    chips.push(se);
  }
  const party = (i: number): Party => {
    const se = chips[i];
    const cred = se.provisioned!.identity.credential;
    const prov: CryptoProvider = { ...(host as NobleProvider), generateKeyPair: (crv) => se.crypto.generateKeyPair(crv), ecdh: (p, k) => se.crypto.ecdh(p, k), sign: (p, m) => se.crypto.sign(p, m), verify: (crv, k, m, s) => se.crypto.verify(crv, k, m, s) };
    return { c: prov, own: { priv: se.crypto.deviceKey, cred, idCred: idCredByValue(cred, null) }, cred, pub: se.provisioned!.devicePub, kid: new Uint8Array(0) };
  };
  const out: Record<string, unknown> = {};
  for (const method of [0, 3]) {
    for (const pre of [false, true]) {
      for (const first of [true, false]) {
        for (const s of chips) {
          await s.crypto.release();
          if (pre) await s.crypto.prepareEphemeral();
          s.sim.stats.execMs = 0;
        }
        await handshake(method, party(0), party(1), anchors, first);
        out[`method${method}/${pre ? "pregenerated" : "onDemand"}/${first ? "firstContact" : "pinned"}`] = {
          initiatorMs: chips[0].sim.stats.execMs,
          responderMs: chips[1].sim.stats.execMs,
        };
      }
    }
  }
  return {
    note: "ATECC608 worst-case execution times (Microchip cryptoauthlib) summed per chip; I2C transfer time excluded; first contact includes verifying the peer's CWT signature in the chip",
    perHandshake: out,
  };
}
