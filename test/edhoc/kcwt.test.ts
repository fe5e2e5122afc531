// EDHOC with manufacturer credentials: ID_CRED = {13: CWT} on first contact, validated
// against trust anchors in the credential-resolution step; {4: kid} once pinned.
import { describe, expect, it } from "vitest";
import { EdhocInitiator, EdhocResponder, edhocErrorMessage } from "../../src/core/edhoc/edhoc";
import { idCredKid } from "../../src/core/edhoc/messages";
import { decodeSeq } from "../../src/core/cbor";

/** An EDHOC error message (ERR_CODE, ERR_INFO) as {code, info}. */
const parseErrorMessage = (m: Uint8Array) => {
  const [code, info] = decodeSeq(m);
  return { code, info };
};
import { idCredByValue } from "../../src/core/cred/idcred";
import { createNobleProvider } from "../../src/crypto/noble";
import { memDenyList, memIssue, memRoot, type MemEntity } from "../../src/host/ca/memory";
import { resolvePeer, type PeerPolicy } from "../../src/host/peers";
import { verifyDenyList } from "../../src/core/cred/deny";

const c = createNobleProvider();

async function run(method: number, a: MemEntity, b: MemEntity, aPol: PeerPolicy, bPol: PeerPolicy, aIssuer: Uint8Array | null = null, byKid = false) {
  const own = (e: MemEntity, issuer: Uint8Array | null) => ({ priv: e.key.priv, cred: e.cred.bytes, idCred: byKid ? idCredKid(e.cred.kid) : idCredByValue(e.cred.bytes, issuer) });
  const ini = new EdhocInitiator({ crypto: c, method, suites: [2], creds: [own(a, aIssuer)] });
  const res = new EdhocResponder({ crypto: c, suites: [2], creds: [own(b, null)] });
  const sizes: number[] = [];
  const m1 = await ini.message1();
  await res.processMessage1(m1);
  const m2 = await res.message2();
  const h2 = await ini.parseMessage2(m2);
  let peer2;
  try {
    peer2 = await resolvePeer(c, aPol, h2.idCred);
  } catch (e) {
    ini.abort();
    return { ok: false, side: "initiator", err: parseErrorMessage(edhocErrorMessage(e)), code: (e as { code: string }).code, ini, res };
  }
  await ini.verifyMessage2(peer2);
  const m3 = await ini.message3();
  const h3 = await res.parseMessage3(m3);
  let peer3;
  try {
    peer3 = await resolvePeer(c, bPol, h3.idCred);
  } catch (e) {
    res.abort();
    return { ok: false, side: "responder", err: parseErrorMessage(edhocErrorMessage(e)), code: (e as { code: string }).code, ini, res };
  }
  await res.verifyMessage3(peer3);
  const m4 = await res.message4();
  await ini.processMessage4(m4);
  sizes.push(m1.length, m2.length, m3.length, m4.length);
  return { ok: true, sizes, ini, res, peer2, peer3 };
}

describe("EDHOC with kcwt", async () => {
  const root = await memRoot(c, "Acme");
  const a = await memIssue(c, root, "dev-a", "device", "lamp");
  const b = await memIssue(c, root, "dev-b", "device", "lamp");
  const trust: PeerPolicy = { creds: [], anchors: [root.cred.bytes] };

  for (const method of [0, 3]) {
    it(`method ${method}: devices of one CA authenticate each other by value`, async () => {
      const r = await run(method, a, b, trust, trust);
      expect(r.ok).toBe(true);
      expect(r.peer2!.name).toBe("dev-b");
      expect(r.peer3!.name).toBe("dev-a");
      expect(Buffer.from(r.ini.prkOut).equals(Buffer.from(r.res.prkOut))).toBe(true);
      // First contact with kcwt both ways stays within 500 bytes over all four messages (method 3).
      if (method === 3) expect(r.sizes!.reduce((x, y) => x + y)).toBeLessThanOrEqual(500);
    });

    it(`method ${method}: a genuine device of another CA is refused with an EDHOC error and no keys`, async () => {
      const evil = await memRoot(c, "Evil");
      const x = await memIssue(c, evil, "dev-x", "device", "lamp");
      const r = await run(method, x, b, { creds: [], anchors: [evil.cred.bytes, root.cred.bytes] }, trust);
      expect(r.ok).toBe(false);
      expect(r.side).toBe("responder");
      expect(r.code).toBe("CRED_UNKNOWN_ISSUER");
      expect(r.err).toEqual({ code: 1, info: "CRED_UNKNOWN_ISSUER" });
      expect(() => r.res.prkOut).toThrow();
    });

    it(`method ${method}: a revoked device is refused`, async () => {
      const deny = await verifyDenyList(c, await memDenyList(c, root, 1, ["dev-a"]), [root.cred.bytes]);
      const r = await run(method, a, b, trust, { ...trust, deny });
      expect(r.ok).toBe(false);
      expect(r.code).toBe("CRED_REVOKED");
      expect(() => r.res.prkOut).toThrow();
    });
  }

  it("a device issued by a factory-line intermediate sends its chain along", async () => {
    const line = await memIssue(c, root, "line-1", "ca", 0);
    const d = await memIssue(c, line, "dev-d", "device", "lamp");
    const r = await run(3, d, b, trust, trust, line.cred.bytes);
    expect(r.ok).toBe(true);
    expect(r.peer3!.name).toBe("dev-d");
  });

  it("once pinned, credentials go by kid", async () => {
    const pinnedA: PeerPolicy = { creds: [b.cred.bytes] };
    const pinnedB: PeerPolicy = { creds: [a.cred.bytes] };
    const r = await run(3, a, b, pinnedA, pinnedB, null, true);
    expect(r.ok).toBe(true);
    expect(r.sizes!.reduce((x, y) => x + y)).toBeLessThan(130);
  });
});
