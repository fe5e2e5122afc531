// Test helpers: parties with CCS credentials and a complete in-memory handshake.
import { bytesEqual, type Bytes } from "../../src/core/bytes";
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
