// The credential checks' callback form (the device path): validateChain, verifyAnchor and
// verifyDenyList give the promise form's results and error codes through the callback,
// once, whether the provider answers at once, from a timer or by a promise; one signature
// check at a time; no promise at all with a provider that answers at once.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Done } from "../../src/core/async";
import { type Bytes } from "../../src/core/bytes";
import {
  assembleSigned, encodeClaims, kidOf, signedProtected, toBeSigned, validateChain, verifyAnchor, verifyDenyList,
  type ChainOptions, type Credential, type DenyList, type ValidatedPeer,
} from "../../src/core/cred/index";
import { createNobleProvider } from "../../src/crypto/noble";
import { memDenyList, memIssue, memRoot, type MemEntity } from "../../src/host/ca/memory";
import { credWorld } from "../helpers/cred";
import { answering, countPromises, expectEachKOnce, viaK, type Answer, type AnsweringProvider } from "../edhoc/answering";

const c = createNobleProvider();
const MODES: Answer[] = ["sync", "later", "promise"];

afterEach(async () => {
  await expectEachKOnce();
});

async function forge(signer: MemEntity, issuerKid: Bytes, claims: Parameters<typeof encodeClaims>[0]): Promise<Bytes> {
  const payload = encodeClaims(claims);
  const prot = signedProtected(issuerKid);
  return assembleSigned(prot, payload, await c.sign(signer.key.priv, toBeSigned(prot, payload)));
}

/** The code of a failure, "OK:" + the result's sub (or version) on success. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    const v = (await p) as { sub?: string; version?: number };
    return "OK:" + (v.sub !== undefined ? v.sub : v.version);
  } catch (e) {
    return (e as { code: string }).code;
  }
}

/** A provider whose verify answers per mode and records how many verifies were outstanding at most. */
function verifier(mode: Answer): AnsweringProvider & { maxOpen: number } {
  const p = answering(mode) as AnsweringProvider & { maxOpen: number };
  const verify = p.verify as (...a: unknown[]) => unknown;
  let open = 0;
  p.maxOpen = 0;
  p.verify = ((crv: number, pub: Bytes, m: Bytes, sig: Bytes, k?: Done<boolean>) => {
    p.maxOpen = Math.max(p.maxOpen, ++open);
    const done: Done<boolean> | undefined = k && ((e, v) => (open--, k(e, v)));
    const r = verify(crv, pub, m, sig, done) as Promise<boolean> | undefined;
    return r && r.then((v) => (open--, v), (e) => (open--, Promise.reject(e)));
  }) as typeof p.verify;
  return p;
}

let root: MemEntity, root2: MemEntity, line: MemEntity, dev: MemEntity, devRoot: MemEntity, app: MemEntity;
let anchors: ChainOptions;
let cases: { name: string; cred: Bytes; opts: ChainOptions; want: string }[];
let denyBytes: Bytes;

beforeAll(async () => {
  ({ root, root2, line, dev, devRoot, app, anchors } = await credWorld(c));
  const tampered = dev.cred.bytes.slice();
  tampered[tampered.length - 5] ^= 0x80;
  const badLine = line.cred.bytes.slice();
  badLine[badLine.length - 3] ^= 4;
  const l2 = await memIssue(c, line, "acme-l2", "ca", 0);
  const deep = await memIssue(c, l2, "00000005", "device", "puck");
  const notCa = await memIssue(c, devRoot, "00000009", "device", "puck");
  const clashKey = await memRoot(c, "clash");
  const clash = await forge(clashKey, root.cred.kid, { iss: "clash", sub: "clash", iat: 1, role: "ca", pathLen: 1, kid: root.cred.kid, pub: clashKey.key.pub });
  denyBytes = await memDenyList(c, root, 1, ["00000001"]);
  const deny = await verifyDenyList(c, denyBytes, [root.cred.bytes]);
  cases = [
    { name: "device <- intermediate <- root", cred: dev.cred.bytes, opts: anchors, want: "OK:00000001" },
    { name: "device <- root", cred: devRoot.cred.bytes, opts: { anchors: [root.cred.bytes] }, want: "OK:00000002" },
    { name: "the peer is an anchor itself (no signature to check)", cred: root.cred.bytes, opts: { anchors: [root.cred.bytes], policy: { roles: ["ca"] } }, want: "OK:acme-root" },
    { name: "malformed", cred: new Uint8Array([1, 2, 3]), opts: anchors, want: "CRED_MALFORMED" },
    { name: "a bad anchor", cred: dev.cred.bytes, opts: { anchors: [line.cred.bytes] }, want: "CRED_BAD_ANCHOR" },
    { name: "unknown issuer", cred: dev.cred.bytes, opts: { anchors: [root.cred.bytes] }, want: "CRED_UNKNOWN_ISSUER" },
    { name: "a device as issuer", cred: notCa.cred.bytes, opts: { anchors: [root.cred.bytes], intermediates: [devRoot.cred.bytes] }, want: "CRED_NOT_CA" },
    {
      name: "iss is not the issuer's sub",
      cred: await forge(root, root.cred.kid, { iss: "someone", sub: "00000010", iat: 1, role: "device", model: "puck", kid: kidOf(c, dev.key.pub), pub: dev.key.pub }),
      opts: anchors, want: "CRED_ISSUER_MISMATCH",
    },
    { name: "two intermediates", cred: deep.cred.bytes, opts: { anchors: [root.cred.bytes], intermediates: [line.cred.bytes, l2.cred.bytes] }, want: "CRED_PATH_TOO_LONG" },
    { name: "a kid collision", cred: devRoot.cred.bytes, opts: { anchors: [root.cred.bytes, clash] }, want: "CRED_KID_COLLISION" },
    {
      name: "a kid not derived from the key",
      cred: await forge(root, root.cred.kid, { iss: "acme-root", sub: "00000011", iat: 1, role: "device", model: "puck", kid: new Uint8Array([1, 2, 3, 4]), pub: dev.key.pub }),
      opts: anchors, want: "CRED_KID_MISMATCH",
    },
    { name: "revoked", cred: dev.cred.bytes, opts: { ...anchors, deny }, want: "CRED_REVOKED" },
    { name: "role", cred: app.cred.bytes, opts: { ...anchors, policy: { roles: ["device"] } }, want: "CRED_ROLE_NOT_ALLOWED" },
    { name: "model", cred: dev.cred.bytes, opts: { ...anchors, policy: { models: ["bangle"] } }, want: "CRED_MODEL_NOT_ALLOWED" },
    { name: "a tampered leaf signature", cred: tampered, opts: anchors, want: "CRED_BAD_SIGNATURE" },
    { name: "a tampered intermediate", cred: dev.cred.bytes, opts: { anchors: [root.cred.bytes], intermediates: [badLine] }, want: "CRED_BAD_SIGNATURE" },
    {
      name: "signed by another CA",
      cred: await forge(root2, root.cred.kid, { iss: "acme-root", sub: "evil", iat: 1, role: "device", model: "puck", kid: kidOf(c, dev.key.pub), pub: dev.key.pub }),
      opts: anchors, want: "CRED_BAD_SIGNATURE",
    },
    { name: "the policy hook refuses", cred: dev.cred.bytes, opts: { ...anchors, policy: { accept: () => false } }, want: "CRED_POLICY" },
  ];
});

describe("validateChain through a callback", () => {
  for (const mode of MODES) {
    it(`provider answering ${mode}: every case gives the promise form's result, one signature check at a time`, async () => {
      for (const t of cases) {
        const pv = verifier(mode);
        const viaPromise = await outcome(validateChain(pv, t.cred, t.opts));
        const pk = verifier(mode);
        const viaCallback = await outcome(viaK<ValidatedPeer>(t.name, (k) => validateChain(pk, t.cred, t.opts, k)));
        expect({ case: t.name, viaPromise, viaCallback }).toEqual({ case: t.name, viaPromise: t.want, viaCallback: t.want });
        // Both forms asked for the same signature checks, never two at once.
        expect(pk.log).toEqual(pv.log.map((l) => (l.endsWith("/k") ? l : l + "/k")));
        expect(pk.maxOpen).toBeLessThanOrEqual(1);
      }
    });
  }

  it("the validated peer is the same object either way: identity, key, chain", async () => {
    const a = await validateChain(verifier("promise"), dev.cred.bytes, anchors);
    const b = await viaK<ValidatedPeer>("peer", (k) => validateChain(verifier("later"), dev.cred.bytes, anchors, k));
    expect(b).toEqual(a);
    expect(b.via).toBe("acme-l1");
    expect(b.cred).toBe(dev.cred.bytes);
    expect(Buffer.from(b.pub).toString("hex")).toBe(Buffer.from(dev.key.pub).toString("hex"));
  });

  it("with a provider that answers at once: the result arrives before validateChain returns, and no promise is made", () => {
    for (const t of cases) {
      const p = verifier("sync");
      let got = "";
      let calls = 0;
      const made = countPromises(() => {
        const r = validateChain(p, t.cred, t.opts, (e, v) => {
          calls++;
          got = e ? e.code : "OK:" + v!.sub;
        });
        expect(r).toBeUndefined();
      });
      expect({ case: t.name, got, calls, made }).toEqual({ case: t.name, got: t.want, calls: 1, made: 0 });
    }
  });

  it("provider failures: CRYPTO_* becomes CRED_BAD_SIGNATURE (the provider's code as detail), others pass unchanged, in both forms", async () => {
    for (const mode of MODES) {
      for (const [error, want, detail] of [
        [Object.assign(new Error("x"), { code: "CRYPTO_BAD_POINT" }), "CRED_BAD_SIGNATURE", "CRYPTO_BAD_POINT"],
        [Object.assign(new Error("x"), { code: "SE_TIMEOUT" }), "SE_TIMEOUT", undefined],
        [new TypeError("x"), "CRED_BAD_SIGNATURE", undefined],
      ] as const) {
        const got = [];
        for (const viaCb of [false, true]) {
          const p = verifier(mode);
          p.failNext = { op: "verify", error };
          const e: any = await (viaCb ? viaK<ValidatedPeer>("fail", (k) => validateChain(p, dev.cred.bytes, anchors, k)) : validateChain(p, dev.cred.bytes, anchors)).catch((x) => x);
          got.push([e.code, e.detail]);
          // The first check failed: the second is never asked for.
          expect(p.log.filter((l) => l.startsWith("verify"))).toHaveLength(1);
        }
        expect(got).toEqual([[want, detail], [want, detail]]);
      }
    }
  });

  it("a policy hook that throws: its error is the result (host)", async () => {
    const boom = new Error("policy bug");
    const opts = { ...anchors, policy: { accept: () => { throw boom; } } };
    expect(await validateChain(verifier("later"), dev.cred.bytes, opts).catch((e) => e)).toBe(boom);
    expect(await viaK("policy", (k) => validateChain(verifier("sync"), dev.cred.bytes, opts, k)).catch((e) => e)).toBe(boom);
  });

  it("a callback that throws: the exception reaches the caller and the callback is not called again", () => {
    for (const cred of [dev.cred.bytes, new Uint8Array([1])]) {
      let calls = 0;
      expect(() =>
        validateChain(verifier("sync"), cred, anchors, () => {
          calls++;
          throw new Error("callback bug");
        }),
      ).toThrow("callback bug");
      expect(calls).toBe(1);
    }
  });
});

describe("verifyAnchor and verifyDenyList through a callback", () => {
  for (const mode of MODES) {
    it(`provider answering ${mode}: anchors`, async () => {
      const t = root.cred.bytes.slice();
      t[t.length - 1] ^= 1;
      const got: string[][] = [];
      for (const b of [root.cred.bytes, line.cred.bytes, t, new Uint8Array([0x84])]) {
        got.push([
          await outcome(verifyAnchor(verifier(mode), b)),
          await outcome(viaK<Credential>("anchor", (k) => verifyAnchor(verifier(mode), b, k))),
        ]);
      }
      expect(got).toEqual([["OK:acme-root", "OK:acme-root"], ["CRED_BAD_ANCHOR", "CRED_BAD_ANCHOR"], ["CRED_BAD_SIGNATURE", "CRED_BAD_SIGNATURE"], ["CRED_MALFORMED", "CRED_MALFORMED"]]);
    });

    it(`provider answering ${mode}: deny lists`, async () => {
      const good = await memDenyList(c, root, 3, ["00000007", "0000000a"]);
      const other = await memDenyList(c, root2, 3, ["x"]);
      const bad = good.slice();
      bad[bad.length - 2] ^= 1;
      const got: string[][] = [];
      for (const [b, max] of [[good, undefined], [other, undefined], [bad, undefined], [new Uint8Array([0x84]), undefined], [good, 1]] as const) {
        got.push([
          await outcome(verifyDenyList(verifier(mode), b, [root.cred.bytes], max)),
          await outcome(viaK<DenyList>("deny", (k) => verifyDenyList(verifier(mode), b, [root.cred.bytes], max, k))),
        ]);
      }
      expect(got).toEqual([["OK:3", "OK:3"], ["DENY_UNKNOWN_ISSUER", "DENY_UNKNOWN_ISSUER"], ["DENY_BAD_SIGNATURE", "DENY_BAD_SIGNATURE"], ["DENY_MALFORMED", "DENY_MALFORMED"], ["DENY_TOO_LARGE", "DENY_TOO_LARGE"]]);
      const d = await viaK<DenyList>("deny list", (k) => verifyDenyList(verifier(mode), good, [root.cred.bytes], undefined, k));
      expect(d.verified).toBe(true);
      expect(d.revoked).toEqual(["00000007", "0000000a"]);
    });
  }

  it("with a provider that answers at once, no promise is made", () => {
    let anchor: Credential | undefined;
    let deny: DenyList | undefined;
    let refused = "";
    const made = countPromises(() => {
      verifyAnchor(verifier("sync"), root.cred.bytes, (e, v) => (anchor = e ? undefined : v));
      verifyDenyList(verifier("sync"), denyBytes, [root.cred.bytes], undefined, (e, v) => (deny = e ? undefined : v));
      verifyDenyList(verifier("sync"), denyBytes, [root2.cred.bytes], undefined, (e) => (refused = e.code));
    });
    expect(made).toBe(0);
    expect(anchor!.sub).toBe("acme-root");
    expect(deny!.verified).toBe(true);
    expect(deny!.revoked).toEqual(["00000001"]);
    expect(refused).toBe("DENY_UNKNOWN_ISSUER");
  });
});
