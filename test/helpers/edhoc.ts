// Test helpers: parties with CCS credentials, a complete in-memory handshake, and the
// parties of an RFC 9529 trace.
import vectors from "../vectors/rfc9529.json";
import { bytesEqual, fromHex, toHex, type Bytes } from "../../src/core/bytes";
import { edhocTestHooks } from "../../src/core/edhoc/testing";
import { ccsIdCred, ccsInfo, makeCcs } from "../../src/core/edhoc/ccs";
import { EdhocInitiator, EdhocResponder, type OwnCredential, type PeerCredential, type PeerHello } from "../../src/core/edhoc/edhoc";
import type { EadItem } from "../../src/core/edhoc/messages";
import type { NobleProvider } from "../../src/crypto/noble";

export interface Party {
  creds: OwnCredential[];
  /** Public credentials by curve, for the peer's lookup. */
  pub: { cred: Bytes; pub: Bytes; kid: Bytes | null }[];
}

/** A party with one key per curve it needs: P-256 (suite 2), and for suite 0 Ed25519 + X25519. */
export function makeParty(c: NobleProvider, name: string, byValue = false): Party {
  const p: Party = { creds: [], pub: [] };
  const curves = [1, 4, 6];
  curves.forEach((crv, i) => {
    const kp = c.importPrivateKey(crv, c.randomBytes(32).map((b, j) => (j === 0 ? (b & 0x7f) | 1 : b)));
    const kid = byValue ? null : new Uint8Array([name.charCodeAt(0), i]);
    const cred = makeCcs(name, crv, kp.pub, kid);
    p.creds.push({ priv: kp.priv, cred, idCred: ccsIdCred(cred) });
    p.pub.push({ cred, pub: kp.pub, kid });
  });
  return p;
}

/** Resolves a received ID_CRED against a list of known credentials (by kid or by value). */
export function resolver(known: Party["pub"]) {
  return (hello: PeerHello): PeerCredential => {
    const info = hello.idCredInfo;
    for (const k of known) {
      if (info.kid && k.kid && bytesEqual(info.kid, k.kid)) return { cred: k.cred, pub: k.pub };
      if (info.value && bytesEqual(info.value, k.cred)) return { cred: k.cred, pub: ccsInfo(k.cred).pub };
    }
    throw Object.assign(new Error("unknown credential"), { code: "EDHOC_UNKNOWN_CRED" });
  };
}

export interface RunOpts {
  ead1?: EadItem[];
  ead2?: EadItem[];
  ead3?: EadItem[];
  ead4?: EadItem[];
}

export async function handshake(ini: EdhocInitiator, res: EdhocResponder, iKnows: Party["pub"], rKnows: Party["pub"], o: RunOpts = {}) {
  const sizes: number[] = [];
  const m1 = await ini.message1(o.ead1);
  sizes.push(m1.length);
  const info1 = await res.processMessage1(m1);
  const m2 = await res.message2(o.ead2);
  sizes.push(m2.length);
  const h2 = await ini.parseMessage2(m2);
  await ini.verifyMessage2(resolver(iKnows)(h2));
  const m3 = await ini.message3(o.ead3);
  sizes.push(m3.length);
  const h3 = await res.parseMessage3(m3);
  await res.verifyMessage3(resolver(rKnows)(h3));
  const m4 = await res.message4(o.ead4);
  sizes.push(m4.length);
  const ead4 = await ini.processMessage4(m4);
  return { sizes, info1, h2, h3, ead4 };
}

/** An RFC 9529 trace of test/vectors/rfc9529.json, with its derived intermediate values. */
export type Trace = (typeof vectors.traces)["trace1"] & { derived: Record<string, string> };

/** The trace's curves: of the ephemeral ECDH keys, and of the authentication keys. */
export function traceCurves(t: Trace): { ecdhCrv: number; authCrv: number } {
  return { ecdhCrv: t.suite === 2 ? 1 : 4, authCrv: t.suite === 2 ? 1 : t.method === 0 ? 6 : 4 };
}

/**
 * Both parties of a trace over provider c (its ephemeral keys are the caller's business):
 * their static keys, connection identifiers and credentials from the trace, and the
 * intermediate values each side derives, recorded under the role set with at(role).
 */
export function tracePair(c: NobleProvider, t: Trace) {
  const { authCrv } = traceCurves(t);
  const skI = c.importPrivateKey(authCrv, fromHex(t.SK_I));
  const skR = c.importPrivateKey(authCrv, fromHex(t.SK_R));
  const suites = Array.isArray(t.suitesI) ? (t.suitesI as number[]) : [t.suitesI as number];
  const seen: Record<string, Record<string, string>> = { I: {}, R: {} };
  let role = "I";
  edhocTestHooks.trace = (name, v) => {
    seen[role][name] = toHex(v);
  };
  const ini = new EdhocInitiator({
    crypto: c, method: t.method, suites, selected: t.suite, connId: fromHex(t.C_I),
    creds: [{ priv: skI.priv, cred: fromHex(t.CRED_I), idCred: fromHex(t.ID_CRED_I) }],
  });
  const res = new EdhocResponder({
    crypto: c, suites: [t.suite], connId: fromHex(t.C_R),
    creds: [{ priv: skR.priv, cred: fromHex(t.CRED_R), idCred: fromHex(t.ID_CRED_R) }],
  });
  return { ini, res, skI, skR, seen, at: (r: string) => (role = r) };
}
