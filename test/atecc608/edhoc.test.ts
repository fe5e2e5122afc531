/**
 * Full EDHOC handshakes with both devices' keys inside simulated ATECC608s (methods 0 and
 * 3, manufacturer credentials by value), through the real device driver and SE provider.
 */
import { describe, expect, it } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import { EdhocInitiator, EdhocResponder } from "../../src/core/edhoc/edhoc";
import { idCredByValue, readIdCredParts } from "../../src/core/cred/idcred";
import { validateChain } from "../../src/core/cred/chain";
import { createNobleProvider } from "../../src/crypto/noble";
import type { CryptoProvider } from "../../src/crypto/provider";
import { memRoot } from "../../src/host/ca/memory";
import { signCredential } from "../../src/host/ca/ca";
import { createSimulatedSecureElement } from "../../src/host/atecc608/fixture";

const host = createNobleProvider();

async function chipParty(root: Awaited<ReturnType<typeof memRoot>>, id: string) {
  const se = await createSimulatedSecureElement({
    issueCredential: (pub) => signCredential(host, root.key.priv, root.cred, { sub: id, role: "device", model: "lamp", pub }),
    trustAnchors: [root.cred.bytes],
  });
  const c: CryptoProvider = {
    ...host,
    generateKeyPair: (crv) => se.crypto.generateKeyPair(crv),
    ecdh: (k, p) => se.crypto.ecdh(k, p),
    sign: (k, m) => se.crypto.sign(k, m),
    verify: (crv, p, m, s) => se.crypto.verify(crv, p, m, s),
  };
  const cred = se.provisioned!.identity.credential;
  return { se, c, own: { priv: se.crypto.deviceKey, cred, idCred: idCredByValue(cred, null) } };
}

/** Every byte array reachable from an object, to show no 32-byte private scalar is among them. */
function reachable(o: unknown, seen = new Set<unknown>(), out: Uint8Array[] = []): Uint8Array[] {
  if (!o || typeof o !== "object" || seen.has(o)) return out;
  seen.add(o);
  if (o instanceof Uint8Array) {
    out.push(o);
    return out;
  }
  for (const k of Object.keys(o)) reachable((o as Record<string, unknown>)[k], seen, out);
  return out;
}

describe("EDHOC with keys in simulated secure elements", async () => {
  const root = await memRoot(host, "Acme");
  const anchors = [root.cred.bytes];
  for (const method of [0, 3]) {
    it(`method ${method}: both sides derive the same PRK_out; the chips did the asymmetric work`, async () => {
      const a = await chipParty(root, "dev-a");
      const b = await chipParty(root, "dev-b");
      const ini = new EdhocInitiator({ crypto: a.c, method, suites: [2], creds: [a.own] });
      const res = new EdhocResponder({ crypto: b.c, suites: [2], creds: [b.own] });
      const m1 = await ini.message1();
      await res.processMessage1(m1);
      const h2 = await ini.parseMessage2(await res.message2());
      const pb = await validateChain(a.c, readIdCredParts(h2.idCred).cred!, { anchors });
      await ini.verifyMessage2({ cred: pb.cred, pub: pb.pub });
      const h3 = await res.parseMessage3(await ini.message3());
      const pa = await validateChain(b.c, readIdCredParts(h3.idCred).cred!, { anchors });
      await res.verifyMessage3({ cred: pa.cred, pub: pa.pub });
      await ini.processMessage4(await res.message4());
      expect(Buffer.from(ini.prkOut).equals(Buffer.from(res.prkOut))).toBe(true);
      expect(pb.sub).toBe("dev-b");
      // GenKey 0x40, ECDH 0x43, Sign 0x41, Verify 0x45 (cryptoauthlib opcodes).
      for (const s of [a.se.sim, b.se.sim]) {
        expect(s.stats.byOpcode[0x40]).toBeGreaterThan(0);
        expect(s.stats.byOpcode[0x43]).toBeGreaterThan(0);
        expect(s.stats.byOpcode[0x45]).toBeGreaterThan(0);
        if (method === 0) expect(s.stats.byOpcode[0x41]).toBeGreaterThan(0);
      }
      // No API surface holds a private key: no byte array reachable from the provider, its key
      // references or the handshake state is the scalar of the device key (or the ephemeral).
      for (const p of [a, b]) {
        const pubs = [p.se.provisioned!.devicePub];
        for (const arr of reachable([p.se.crypto, p.own, ini, res])) {
          if (arr.length !== 32) continue;
          let derived: Uint8Array | null = null;
          try {
            derived = p256.getPublicKey(arr, false).slice(1);
          } catch {
            derived = null;
          }
          for (const pub of pubs) expect(derived && Buffer.from(derived).equals(Buffer.from(pub))).toBeFalsy();
        }
      }
    });
  }
});
