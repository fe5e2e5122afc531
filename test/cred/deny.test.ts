/**
 * Deny lists: signed by a trust anchor, strictly increasing versions (no rollback),
 * bounded size, typed errors.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { encode } from "../../src/core/cbor";
import {
  DENY_MAX_ENTRIES, acceptDenyList, assembleSigned, encodeDenyPayload, parseDenyList, signedProtected, toBeSigned, verifyDenyList,
} from "../../src/core/cred/index";
import { createNobleProvider } from "../../src/crypto/noble";
import { memDenyList, memIssue, memRoot, type MemEntity } from "../../src/host/ca/memory";

const c = createNobleProvider();
let root: MemEntity, other: MemEntity, line: MemEntity;

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "OK";
}

async function signPayload(signer: MemEntity, payload: Uint8Array): Promise<Uint8Array> {
  const prot = signedProtected(signer.cred.kid);
  return assembleSigned(prot, payload, await c.sign(signer.key.priv, toBeSigned(prot, payload)));
}

beforeAll(async () => {
  root = await memRoot(c, "acme-root");
  other = await memRoot(c, "other");
  line = await memIssue(c, root, "acme-l1", "ca", 0);
});

describe("deny lists", () => {
  it("parse and verify: version, sorted unique subjects, signer kid", async () => {
    const b = await memDenyList(c, root, 3, ["zeta", "alpha", "zeta", "00000001"]);
    const p = parseDenyList(b);
    expect(p.version).toBe(3);
    expect(p.revoked).toEqual(["00000001", "alpha", "zeta"]);
    expect(p.verified).toBe(false);
    const v = await verifyDenyList(c, b, [other.cred.bytes, root.cred.bytes]);
    expect(v.verified).toBe(true);
    expect(Buffer.from(v.issuerKid).equals(Buffer.from(root.cred.kid))).toBe(true);
  });

  it("an empty list is valid; a list is small on the wire", async () => {
    const b = await memDenyList(c, root, 1, []);
    expect(parseDenyList(b).revoked).toEqual([]);
    expect(b.length).toBe(82);
  });

  it("acceptDenyList: only a strictly higher version (no rollback)", async () => {
    const v1 = await verifyDenyList(c, await memDenyList(c, root, 1, ["a"]), [root.cred.bytes]);
    const v2 = await verifyDenyList(c, await memDenyList(c, root, 2, ["a", "b"]), [root.cred.bytes]);
    expect(acceptDenyList(null, v1)).toBe(v1);
    expect(acceptDenyList(v1, v2)).toBe(v2);
    expect(await code(() => acceptDenyList(v2, v1))).toBe("DENY_ROLLBACK");
    expect(await code(() => acceptDenyList(v2, v2))).toBe("DENY_ROLLBACK");
    // A same-version list with other content is no replacement either.
    const v2b = await verifyDenyList(c, await memDenyList(c, root, 2, []), [root.cred.bytes]);
    expect(await code(() => acceptDenyList(v2, v2b))).toBe("DENY_ROLLBACK");
  });

  it("acceptDenyList: refuses unverified lists and lists from another anchor", async () => {
    const v1 = await verifyDenyList(c, await memDenyList(c, root, 1, ["a"]), [root.cred.bytes]);
    const unverified = parseDenyList(await memDenyList(c, root, 5, []));
    expect(await code(() => acceptDenyList(v1, unverified))).toBe("DENY_UNVERIFIED");
    const foreign = await verifyDenyList(c, await memDenyList(c, other, 9, []), [root.cred.bytes, other.cred.bytes]);
    expect(await code(() => acceptDenyList(v1, foreign))).toBe("DENY_WRONG_ISSUER");
  });

  it("DENY_BAD_SIGNATURE: tampered, or signed by another key under the anchor's kid", async () => {
    const b = await memDenyList(c, root, 4, ["victim"]);
    const t = b.slice();
    t[Buffer.from(t).indexOf("victim")] = "V".charCodeAt(0);
    expect(parseDenyList(t).revoked).toEqual(["Victim"]);
    expect(await code(verifyDenyList(c, t, [root.cred.bytes]))).toBe("DENY_BAD_SIGNATURE");
    const payload = encodeDenyPayload(100, []);
    const prot = signedProtected(root.cred.kid);
    const forged = assembleSigned(prot, payload, await c.sign(other.key.priv, toBeSigned(prot, payload)));
    expect(await code(verifyDenyList(c, forged, [root.cred.bytes]))).toBe("DENY_BAD_SIGNATURE");
  });

  it("DENY_UNKNOWN_ISSUER: signed by an intermediate or an unknown root", async () => {
    expect(await code(verifyDenyList(c, await memDenyList(c, line, 1, []), [root.cred.bytes]))).toBe("DENY_UNKNOWN_ISSUER");
    expect(await code(verifyDenyList(c, await memDenyList(c, other, 1, []), [root.cred.bytes]))).toBe("DENY_UNKNOWN_ISSUER");
  });

  it("DENY_TOO_LARGE: more entries than the bound (64 by default, configurable)", async () => {
    const ids = Array.from({ length: DENY_MAX_ENTRIES + 1 }, (_, i) => "dev-" + String(i).padStart(5, "0"));
    const big = await memDenyList(c, root, 1, ids);
    expect(await code(() => parseDenyList(big))).toBe("DENY_TOO_LARGE");
    expect(await code(verifyDenyList(c, big, [root.cred.bytes]))).toBe("DENY_TOO_LARGE");
    expect(parseDenyList(big, 100).revoked.length).toBe(65);
    const ok = await memDenyList(c, root, 1, ids.slice(0, DENY_MAX_ENTRIES));
    expect(parseDenyList(ok).revoked.length).toBe(64);
    expect(await code(() => parseDenyList(ok, 8))).toBe("DENY_TOO_LARGE");
    // Refused by size before any decoding.
    expect(await code(() => parseDenyList(new Uint8Array(100000), 64))).toBe("DENY_TOO_LARGE");
  });

  it("DENY_MALFORMED: unsorted or duplicate entries, version 0, wrong shapes, a credential", async () => {
    const payloads = [
      encode([1, ["b", "a"]]),
      encode([1, ["a", "a"]]),
      encode([0, []]),
      encode([1, [1]]),
      encode([1, "a"]),
      encode({ $map: 1, k: [1], v: [1] }),
      encode([1, ["tab\there"]]),
    ];
    for (const p of payloads) expect(await code(verifyDenyList(c, await signPayload(root, p), [root.cred.bytes]))).toBe("DENY_MALFORMED");
    // A credential is not a deny list even though the envelope is the same.
    expect(await code(() => parseDenyList(line.cred.bytes))).toBe("DENY_MALFORMED");
  });
});
