/**
 * Manufacturer credentials: the CWT layout and its size budget, issue-then-validate for
 * root- and intermediate-issued devices, and every failure class of validateChain with
 * its typed code (tampering, another CA's signature, a chain one level too deep, kid
 * collisions, revocation, policy).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { bytesEqual, concat, toHex, type Bytes } from "../../src/core/bytes";
import { cmap, decode, encode, isMap, mapGet } from "../../src/core/cbor";
import {
  CLAIM_IAT, CLAIM_ISS, CLAIM_MODEL, CLAIM_PATH_LEN, CLAIM_ROLE, CLAIM_SUB, KID_LEN, MAX_DEVICE_CRED, ROLE_CA,
  assembleSigned, encodeClaims, idCredByValue, kidOf, parseCredential, readIdCredParts, signedProtected, toBeSigned,
  validateChain, verifyAnchor, verifyDenyList, type ChainOptions, type Role,
} from "../../src/core/cred/index";
import { idCredKid, parseIdCred } from "../../src/core/edhoc/messages";
import { createNobleProvider } from "../../src/crypto/noble";
import { memDenyList, memIssue, memRoot, type MemEntity } from "../../src/host/ca/memory";
import { credWorld } from "../helpers/cred";

const c = createNobleProvider();

/** Signs arbitrary claims (a CA that breaks the rules, or a forger with the wrong key). */
async function forge(signer: MemEntity, issuerKid: Bytes, claims: Parameters<typeof encodeClaims>[0]): Promise<Bytes> {
  const payload = encodeClaims(claims);
  const prot = signedProtected(issuerKid);
  return assembleSigned(prot, payload, await c.sign(signer.key.priv, toBeSigned(prot, payload)));
}

/** Signs an arbitrary payload map. */
async function forgePayload(signer: MemEntity, payload: Bytes): Promise<Bytes> {
  const prot = signedProtected(signer.cred.kid);
  return assembleSigned(prot, payload, await c.sign(signer.key.priv, toBeSigned(prot, payload)));
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "OK";
}

let root: MemEntity, root2: MemEntity, line: MemEntity, dev: MemEntity, devRoot: MemEntity, app: MemEntity;
let anchors: ChainOptions;

beforeAll(async () => {
  ({ root, root2, line, dev, devRoot, app, anchors } = await credWorld(c));
});

describe("credential layout", () => {
  it("encodes the documented claims deterministically, with a derived 4-byte kid", () => {
    const b = dev.cred.bytes;
    expect(b[0]).toBe(0x84); // untagged COSE_Sign1
    const arr = decode(b, true) as unknown[];
    const prot = decode(arr[0] as Bytes, true);
    expect(isMap(prot) && mapGet(prot, 1)).toBe(-7);
    expect(toHex((isMap(prot) && mapGet(prot, 4)) as Bytes)).toBe(toHex(line.cred.kid));
    expect(isMap(arr[1]) && arr[1].k.length).toBe(0);
    const claims = decode(arr[2] as Bytes, true);
    if (!isMap(claims)) throw new Error("claims");
    expect(claims.k).toEqual([CLAIM_ISS, CLAIM_SUB, CLAIM_IAT, 8, CLAIM_ROLE, CLAIM_MODEL]);
    expect(mapGet(claims, CLAIM_ISS)).toBe("acme-l1");
    expect(mapGet(claims, CLAIM_SUB)).toBe("00000001");
    expect(mapGet(claims, CLAIM_ROLE)).toBe(1);
    expect(mapGet(claims, CLAIM_MODEL)).toBe("puck");
    const cnf = mapGet(claims, 8);
    const key = isMap(cnf) ? mapGet(cnf, 1) : null;
    if (!isMap(key)) throw new Error("cnf");
    expect(key.k).toEqual([1, 2, -1, -2, -3]);
    expect(mapGet(key, 1)).toBe(2);
    expect(mapGet(key, -1)).toBe(1);
    expect(toHex(mapGet(key, 2) as Bytes)).toBe(toHex(kidOf(c, dev.key.pub)));
    expect(dev.cred.kid.length).toBe(KID_LEN);
    expect(toHex(dev.cred.pub)).toBe(toHex(dev.key.pub));
    // Re-encoding the parsed structure gives the same bytes (deterministic CBOR).
    expect(toHex(encode(decode(b, true)))).toBe(toHex(b));
  });

  it("fits the 200-byte device budget: 179 bytes + iss + sub + model", () => {
    expect(dev.cred.bytes.length).toBe(179 + "acme-l1".length + "00000001".length + "puck".length);
    expect(dev.cred.bytes.length).toBeLessThanOrEqual(MAX_DEVICE_CRED);
    expect(root.cred.bytes.length).toBe(179 + 2 * "acme-root".length);
    expect(line.cred.bytes.length).toBe(179 + "acme-root".length + "acme-l1".length);
  });

  it("refuses to issue a device credential over 200 bytes", async () => {
    await expect(memIssue(c, line, "a-much-longer-device-id", "device", "puck")).rejects.toMatchObject({ code: "CA_CRED_TOO_LARGE" });
  });

  it("parses role, model, path length and names", () => {
    expect(parseCredential(root.cred.bytes)).toMatchObject({ role: "ca", pathLen: 1, sub: "acme-root", iss: "acme-root", model: "" });
    expect(parseCredential(line.cred.bytes)).toMatchObject({ role: "ca", pathLen: 0, iss: "acme-root" });
    expect(parseCredential(app.cred.bytes)).toMatchObject({ role: "app", model: "ios", pathLen: -1 });
  });
});

describe("validateChain: accepted chains", () => {
  it("device <- intermediate <- root", async () => {
    const p = await validateChain(c, dev.cred.bytes, anchors);
    expect(p).toMatchObject({ sub: "00000001", model: "puck", role: "device", iss: "acme-l1", via: "acme-l1" });
    expect(toHex(p.pub)).toBe(toHex(dev.key.pub));
    expect(toHex(p.kid)).toBe(toHex(dev.cred.kid));
    expect(toHex(p.issuerKid)).toBe(toHex(line.cred.kid));
    expect(toHex(p.anchorKid)).toBe(toHex(root.cred.kid));
    expect(p.cred).toBe(dev.cred.bytes);
  });

  it("device <- root, app <- root", async () => {
    expect((await validateChain(c, devRoot.cred.bytes, { anchors: [root.cred.bytes] })).via).toBeNull();
    expect((await validateChain(c, app.cred.bytes, { anchors: [root.cred.bytes] })).role).toBe("app");
  });

  it("an intermediate validates as a CA when the policy allows role ca", async () => {
    const p = await validateChain(c, line.cred.bytes, { anchors: [root.cred.bytes], policy: { roles: ["ca"] } });
    expect(p.sub).toBe("acme-l1");
  });

  it("accepts parsed credentials and a second, unrelated anchor", async () => {
    const p = await validateChain(c, dev.cred.bytes, { anchors: [root2.cred, root.cred], intermediates: [line.cred] });
    expect(p.sub).toBe("00000001");
  });

  it("the policy hook sees the peer and may refuse", async () => {
    let seen = "";
    await validateChain(c, dev.cred.bytes, { ...anchors, policy: { models: ["puck"], accept: (p) => ((seen = p.sub), true) } });
    expect(seen).toBe("00000001");
    expect(await code(validateChain(c, dev.cred.bytes, { ...anchors, policy: { accept: () => false } }))).toBe("CRED_POLICY");
  });

  it("verifyAnchor checks a root's self-signature", async () => {
    expect((await verifyAnchor(c, root.cred.bytes)).sub).toBe("acme-root");
    expect(await code(verifyAnchor(c, line.cred.bytes))).toBe("CRED_BAD_ANCHOR");
    const t = root.cred.bytes.slice();
    t[t.length - 1] ^= 1;
    expect(await code(verifyAnchor(c, t))).toBe("CRED_BAD_SIGNATURE");
  });
});

describe("validateChain: each failure class has its code", () => {
  it("CRED_MALFORMED", async () => {
    expect(await code(validateChain(c, new Uint8Array([1, 2, 3]), anchors))).toBe("CRED_MALFORMED");
    const tagged = new Uint8Array([0xd2, ...dev.cred.bytes]);
    expect(await code(validateChain(c, tagged, anchors))).toBe("CRED_MALFORMED");
  });

  it("CRED_BAD_SIGNATURE: a tampered claim", async () => {
    // Change the device id inside the signed payload: "00000001" -> "00000009".
    const b = dev.cred.bytes.slice();
    const i = Buffer.from(b).indexOf("00000001");
    b[i + 7] = "9".charCodeAt(0);
    expect(parseCredential(b).sub).toBe("00000009");
    expect(await code(validateChain(c, b, anchors))).toBe("CRED_BAD_SIGNATURE");
    // A flipped bit in the public key: the kid no longer derives from it (checked before
    // any signature, so a device spends no secure-element time on it).
    const k = dev.cred.bytes.slice();
    k[Buffer.from(k).indexOf(Buffer.from(dev.key.pub.subarray(32))) + 5] ^= 0x01;
    expect(await code(validateChain(c, k, anchors))).toBe("CRED_KID_MISMATCH");
    // The model changed to another of the same length.
    const m = dev.cred.bytes.slice();
    m[Buffer.from(m).indexOf("puck")] = "d".charCodeAt(0);
    expect(parseCredential(m).model).toBe("duck");
    expect(await code(validateChain(c, m, anchors))).toBe("CRED_BAD_SIGNATURE");
    // A flipped bit in the signature.
    const s = dev.cred.bytes.slice();
    s[s.length - 5] ^= 0x80;
    expect(await code(validateChain(c, s, anchors))).toBe("CRED_BAD_SIGNATURE");
  });

  it("CRED_BAD_SIGNATURE: signed by another CA under the root's kid and name", async () => {
    const b = await forge(root2, root.cred.kid, { iss: "acme-root", sub: "evil", iat: 1, role: "device", model: "puck", kid: kidOf(c, dev.key.pub), pub: dev.key.pub });
    expect(await code(validateChain(c, b, anchors))).toBe("CRED_BAD_SIGNATURE");
  });

  it("CRED_BAD_SIGNATURE: a tampered intermediate", async () => {
    const t = line.cred.bytes.slice();
    t[t.length - 3] ^= 4;
    expect(await code(validateChain(c, dev.cred.bytes, { anchors: [root.cred.bytes], intermediates: [t] }))).toBe("CRED_BAD_SIGNATURE");
  });

  it("CRED_UNKNOWN_ISSUER", async () => {
    // Issuer is another root.
    const other = await memIssue(c, root2, "00000003", "device", "puck");
    expect(await code(validateChain(c, other.cred.bytes, anchors))).toBe("CRED_UNKNOWN_ISSUER");
    // The intermediate is missing.
    expect(await code(validateChain(c, dev.cred.bytes, { anchors: [root.cred.bytes] }))).toBe("CRED_UNKNOWN_ISSUER");
    // A self-issued root that is not an anchor.
    expect(await code(validateChain(c, root2.cred.bytes, { ...anchors, policy: { roles: ["ca"] } }))).toBe("CRED_UNKNOWN_ISSUER");
    // A self-issued CA offered as an intermediate is still not trusted.
    const d2 = await memIssue(c, root2, "00000004", "device", "puck");
    expect(await code(validateChain(c, d2.cred.bytes, { anchors: [root.cred.bytes], intermediates: [root2.cred.bytes] }))).toBe("CRED_UNKNOWN_ISSUER");
  });

  it("CRED_PATH_TOO_LONG: a chain one level too deep", async () => {
    // root -> l1 -> l2 -> device: l2 is a second intermediate (a real CA refuses to make it).
    const l2 = await memIssue(c, line, "acme-l2", "ca", 0);
    const deep = await memIssue(c, l2, "00000005", "device", "puck");
    expect(await code(validateChain(c, deep.cred.bytes, { anchors: [root.cred.bytes], intermediates: [line.cred.bytes, l2.cred.bytes] }))).toBe("CRED_PATH_TOO_LONG");
    // Even if l1 says it may have one CA below it.
    const l1b = await memIssue(c, root, "acme-l1b", "ca", 1);
    const l2b = await memIssue(c, l1b, "acme-l2b", "ca", 0);
    const deep2 = await memIssue(c, l2b, "00000006", "device", "puck");
    expect(await code(validateChain(c, deep2.cred.bytes, { anchors: [root.cred.bytes], intermediates: [l1b.cred.bytes, l2b.cred.bytes] }))).toBe("CRED_PATH_TOO_LONG");
  });

  it("CRED_PATH_TOO_LONG: a root with path length 0 cannot have intermediates", async () => {
    const r0 = await memRoot(c, "root-0", 0);
    const l = await memIssue(c, r0, "line-0", "ca", 0);
    const d = await memIssue(c, l, "00000007", "device", "puck");
    expect(await code(validateChain(c, d.cred.bytes, { anchors: [r0.cred.bytes], intermediates: [l.cred.bytes] }))).toBe("CRED_PATH_TOO_LONG");
    const direct = await memIssue(c, r0, "00000008", "device", "puck");
    expect((await validateChain(c, direct.cred.bytes, { anchors: [r0.cred.bytes] })).sub).toBe("00000008");
  });

  it("CRED_NOT_CA: a device credential used as an issuer", async () => {
    const fake = await memIssue(c, devRoot, "00000009", "device", "puck");
    expect(fake.cred.iss).toBe("00000002");
    expect(await code(validateChain(c, fake.cred.bytes, { anchors: [root.cred.bytes], intermediates: [devRoot.cred.bytes] }))).toBe("CRED_NOT_CA");
  });

  it("CRED_ISSUER_MISMATCH: iss is not the issuer's sub", async () => {
    const b = await forge(root, root.cred.kid, { iss: "someone", sub: "00000010", iat: 1, role: "device", model: "puck", kid: kidOf(c, dev.key.pub), pub: dev.key.pub });
    expect(await code(validateChain(c, b, anchors))).toBe("CRED_ISSUER_MISMATCH");
  });

  it("CRED_KID_MISMATCH: a kid not derived from the key", async () => {
    const b = await forge(root, root.cred.kid, { iss: "acme-root", sub: "00000011", iat: 1, role: "device", model: "puck", kid: new Uint8Array([1, 2, 3, 4]), pub: dev.key.pub });
    expect(await code(validateChain(c, b, anchors))).toBe("CRED_KID_MISMATCH");
  });

  it("CRED_KID_COLLISION: two CAs with one kid and different keys", async () => {
    // A second self-issued root that claims the first root's kid.
    const k = await memRoot(c, "clash");
    const clash = await forge(k, root.cred.kid, { iss: "clash", sub: "clash", iat: 1, role: "ca", pathLen: 1, kid: root.cred.kid, pub: k.key.pub });
    expect(await code(validateChain(c, devRoot.cred.bytes, { anchors: [root.cred.bytes, clash] }))).toBe("CRED_KID_COLLISION");
    // Same, between an anchor and an intermediate.
    const lineKey = line;
    const clashInt = await forge(root, root.cred.kid, { iss: "acme-root", sub: "clash-l", iat: 1, role: "ca", pathLen: 0, kid: root.cred.kid, pub: lineKey.key.pub });
    expect(await code(validateChain(c, dev.cred.bytes, { anchors: [root.cred.bytes], intermediates: [clashInt] }))).toBe("CRED_KID_COLLISION");
  });

  it("CRED_KID_COLLISION: a peer whose kid equals a CA's kid", async () => {
    const b = await forge(root, root.cred.kid, { iss: "acme-root", sub: "00000012", iat: 1, role: "device", model: "puck", kid: line.cred.kid, pub: dev.key.pub });
    expect(await code(validateChain(c, b, anchors))).toBe("CRED_KID_COLLISION");
  });

  it("CRED_BAD_ANCHOR: an anchor that is not a self-issued CA, or not a credential", async () => {
    expect(await code(validateChain(c, dev.cred.bytes, { anchors: [line.cred.bytes] }))).toBe("CRED_BAD_ANCHOR");
    expect(await code(validateChain(c, dev.cred.bytes, { anchors: [new Uint8Array([0x84, 0x40])] }))).toBe("CRED_BAD_ANCHOR");
  });

  it("CRED_REVOKED: the device, or the intermediate that issued it", async () => {
    const d1 = await verifyDenyList(c, await memDenyList(c, root, 1, ["00000001"]), [root.cred.bytes]);
    expect(await code(validateChain(c, dev.cred.bytes, { ...anchors, deny: d1 }))).toBe("CRED_REVOKED");
    expect(await code(validateChain(c, devRoot.cred.bytes, { ...anchors, deny: d1 }))).toBe("OK");
    const d2 = await verifyDenyList(c, await memDenyList(c, root, 2, ["acme-l1"]), [root.cred.bytes]);
    expect(await code(validateChain(c, dev.cred.bytes, { ...anchors, deny: d2 }))).toBe("CRED_REVOKED");
  });

  it("CRED_ROLE_NOT_ALLOWED and CRED_MODEL_NOT_ALLOWED", async () => {
    expect(await code(validateChain(c, app.cred.bytes, { ...anchors, policy: { roles: ["device"] } }))).toBe("CRED_ROLE_NOT_ALLOWED");
    expect(await code(validateChain(c, line.cred.bytes, anchors))).toBe("CRED_ROLE_NOT_ALLOWED");
    expect(await code(validateChain(c, dev.cred.bytes, { ...anchors, policy: { models: ["bangle"] } }))).toBe("CRED_MODEL_NOT_ALLOWED");
  });

  it("strict parsing: unknown claims, a device with a path length, a CA without one, an unknown role", async () => {
    /** The claims of a valid device credential, edited. */
    const edited = (edit: (k: unknown[], v: unknown[]) => void) => {
      const m = decode(encodeClaims({ iss: "acme-root", sub: "x", iat: 1, role: "device", model: "m", kid: devRoot.cred.kid, pub: devRoot.key.pub }), true);
      if (!isMap(m)) throw new Error("claims");
      edit(m.k, m.v);
      return encode(cmap(m.k, m.v));
    };
    const payloads = [
      edited((k) => { k[k.indexOf(CLAIM_IAT)] = 99; }), // unknown claim instead of iat
      edited((k) => { k[k.indexOf(CLAIM_MODEL)] = CLAIM_PATH_LEN; }), // a device with a path length
      edited((k, v) => { v[k.indexOf(CLAIM_ROLE)] = ROLE_CA; }), // a CA with a model, no path length
      edited((k, v) => { v[k.indexOf(CLAIM_ROLE)] = 7; }), // unknown role
      edited((k, v) => { v[k.indexOf(CLAIM_SUB)] = "bell\u0007"; }), // control character in a name
      edited((k, v) => { k.push(100); v.push(0); }), // an extra claim
    ];
    for (const p of payloads) {
      const b = await forgePayload(root, p);
      expect(() => parseCredential(b)).toThrow(expect.objectContaining({ code: "CRED_MALFORMED" }));
      expect(await code(validateChain(c, b, anchors))).toBe("CRED_MALFORMED");
    }
  });

  it("CRED_MALFORMED: a device credential over 200 bytes even when properly signed", async () => {
    const b = await forge(root, root.cred.kid, { iss: "acme-root", sub: "a-very-long-device-identifier-0000000001", iat: 1, role: "device", model: "puck", kid: kidOf(c, dev.key.pub), pub: dev.key.pub });
    expect(b.length).toBeGreaterThan(MAX_DEVICE_CRED);
    expect(await code(validateChain(c, b, anchors))).toBe("CRED_MALFORMED");
    // The same as an app credential is fine (no device budget).
    const a = await forge(root, root.cred.kid, { iss: "acme-root", sub: "a-very-long-device-identifier-0000000001", iat: 1, role: "app", model: "puck", kid: kidOf(c, dev.key.pub), pub: dev.key.pub });
    expect(await code(validateChain(c, a, anchors))).toBe("OK");
  });
});

describe("EDHOC ID_CRED helpers", () => {
  it("{13: CWT} and {13: CWT, -65537: intermediate} carry the exact bytes", async () => {
    const one = idCredByValue(devRoot.cred.bytes, null);
    const two = idCredByValue(dev.cred.bytes, line.cred.bytes);
    // Deterministic CBOR maps, and the EDHOC code's own parser finds kcwt (13) in them.
    expect(toHex(encode(decode(one, true)))).toBe(toHex(one));
    expect(toHex(encode(decode(two, true)))).toBe(toHex(two));
    const info = parseIdCred(two);
    expect(info.label).toBe(13);
    expect(bytesEqual(info.value!, dev.cred.bytes)).toBe(true);
    const parts = readIdCredParts(two);
    expect(bytesEqual(parts.cred!, dev.cred.bytes)).toBe(true);
    expect(bytesEqual(parts.issuer!, line.cred.bytes)).toBe(true);
    expect(parts.kid).toBeNull();
    const p = await validateChain(c, parts.cred!, { anchors: [root.cred.bytes], intermediates: [parts.issuer!] });
    expect(p.sub).toBe("00000001");
    expect(readIdCredParts(one).issuer).toBeNull();
  });

  it("{4: kid} by reference, and malformed maps", () => {
    expect(toHex(readIdCredParts(idCredKid(dev.cred.kid)).kid!)).toBe(toHex(dev.cred.kid));
    const bad = [
      encode(cmap([4, 13], [dev.cred.kid, decode(dev.cred.bytes)])), // both
      encode(cmap([-65537], [decode(line.cred.bytes)])), // intermediate alone
      encode(cmap([14], [cmap([], [])])), // kccs: not a pairkit credential
      encode(cmap([13], [dev.cred.bytes])), // CWT wrapped in a bstr
      encode([1, 2]),
      new Uint8Array([0xa1, 0x0d]),
      encode(cmap([13, 99], [decode(dev.cred.bytes), 1])), // an unknown label
      encode(cmap([13, -65537], [decode(dev.cred.bytes), line.cred.bytes])), // intermediate wrapped in a bstr
      concat([new Uint8Array([0xa2, 0x0d]), dev.cred.bytes, new Uint8Array([0x0d]), dev.cred.bytes]), // kcwt twice
      concat([idCredByValue(dev.cred.bytes, null), new Uint8Array([0])]), // trailing byte
    ];
    for (const b of bad) expect(() => readIdCredParts(b)).toThrow(expect.objectContaining({ code: "CRED_MALFORMED" }));
  });
});

describe("roles", () => {
  it("role names map to the documented numbers", () => {
    const roles: Role[] = ["device", "app", "ca"];
    expect(roles.map((r) => parseCredential(r === "ca" ? root.cred.bytes : r === "app" ? app.cred.bytes : dev.cred.bytes).role)).toEqual(roles);
  });
});
