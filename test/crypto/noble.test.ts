/**
 * The @noble host provider: hashes and KDFs against their RFC vectors and node:crypto,
 * X25519/Ed25519/P-256 against RFC vectors, node:crypto and Wycheproof, and the provider
 * policy (opaque private keys, typed errors, point validation, high-S acceptance).
 */
import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/core/bytes";
import type { PairkitError } from "../../src/core/errors";
import { createNobleProvider } from "../../src/crypto/noble";
import { CRV_ED25519, CRV_P256, CRV_X25519 } from "../../src/crypto/provider";
import type { KeyPair } from "../../src/crypto/provider";

var provider = createNobleProvider();

/** P-256 field prime and group order (FIPS 186-4 D.1.2.3 / SEC 2). */
var P = BigInt("0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
var N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

function big(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt("0x" + toHex(b));
}
function be32(v: bigint): Uint8Array {
  return fromHex(v.toString(16).padStart(64, "0"));
}
function ascii(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}
function cat(a: Uint8Array, b: Uint8Array): Uint8Array {
  var o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}
function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as PairkitError).code;
  }
  return undefined;
}
async function asyncCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as PairkitError).code;
  }
  return undefined;
}
function loadVectors<T>(name: string): T {
  var j = JSON.parse(readFileSync(new URL("../vectors/crypto/" + name, import.meta.url), "utf8"));
  expect(j.source.repository).toBe("https://github.com/C2SP/wycheproof");
  return j as T;
}
function seq(start: number, n: number): Uint8Array {
  var b = new Uint8Array(n);
  for (var i = 0; i < n; i++) b[i] = start + i;
  return b;
}

describe("SHA-256, HMAC-SHA-256, HKDF", () => {
  it("SHA-256 of 'abc' (FIPS 180-2 B.1) and of random data against node", () => {
    expect(toHex(provider.sha256(ascii("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (d) => {
        expect(toHex(provider.sha256(d))).toBe(crypto.createHash("sha256").update(d).digest("hex"));
      }),
      { numRuns: 100 },
    );
  });

  // RFC 4231 section 4 (test case 5 is a truncated output and is left out).
  var hmacCases: [number, Uint8Array, Uint8Array, string][] = [
    [1, new Uint8Array(20).fill(0x0b), ascii("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    [2, ascii("Jefe"), ascii("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    [3, new Uint8Array(20).fill(0xaa), new Uint8Array(50).fill(0xdd), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
    [4, seq(1, 25), new Uint8Array(50).fill(0xcd), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
    [6, new Uint8Array(131).fill(0xaa), ascii("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
    [7, new Uint8Array(131).fill(0xaa), ascii("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"],
  ];
  it.each(hmacCases)("HMAC-SHA-256 RFC 4231 test case %i", (_n, key, data, mac) => {
    expect(toHex(provider.hmacSha256(key, data))).toBe(mac);
  });

  // RFC 5869 Appendix A, test cases 1-3 (SHA-256).
  var hkdfCases: [number, Uint8Array, Uint8Array, Uint8Array, number, string, string][] = [
    [1, new Uint8Array(22).fill(0x0b), seq(0, 13), seq(0xf0, 10), 42, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"],
    [2, seq(0, 80), seq(0x60, 80), seq(0xb0, 80), 82, "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244", "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"],
    [3, new Uint8Array(22).fill(0x0b), new Uint8Array(0), new Uint8Array(0), 42, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04", "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"],
  ];
  it.each(hkdfCases)("HKDF RFC 5869 test case %i", (_n, ikm, salt, info, len, prk, okm) => {
    var k = provider.hkdfExtract(salt, ikm);
    expect(toHex(k)).toBe(prk);
    expect(toHex(provider.hkdfExpand(k, info, len))).toBe(okm);
  });

  it("HKDF against node:crypto on random inputs, including the largest output", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 8160 }), (salt, ikm, info, len) => {
        var okm = provider.hkdfExpand(provider.hkdfExtract(salt, ikm), info, len);
        expect(toHex(okm)).toBe(Buffer.from(crypto.hkdfSync("sha256", ikm, salt, info, len)).toString("hex"));
      }),
      { numRuns: 60 },
    );
    expect(provider.hkdfExpand(new Uint8Array(32), new Uint8Array(0), 8160).length).toBe(8160);
  });

  it("HKDF-Expand refuses lengths outside 1..8160 and short PRKs with typed errors", () => {
    var prk = new Uint8Array(32);
    var e = new Uint8Array(0);
    for (var bad of [0, -1, 8161, 1.5, NaN, Infinity, "32" as unknown as number]) {
      expect(codeOf(() => provider.hkdfExpand(prk, e, bad))).toBe("CRYPTO_BAD_LENGTH");
    }
    expect(codeOf(() => provider.hkdfExpand(new Uint8Array(31), e, 32))).toBe("CRYPTO_BAD_KEY");
    expect(codeOf(() => provider.hkdfExtract(null as unknown as Uint8Array, e))).toBe("CRYPTO_BAD_INPUT");
    expect(codeOf(() => provider.hmacSha256(e, "x" as unknown as Uint8Array))).toBe("CRYPTO_BAD_INPUT");
    expect(codeOf(() => provider.sha256([1, 2] as unknown as Uint8Array))).toBe("CRYPTO_BAD_INPUT");
  });
});

describe("randomBytes and ctEqual", () => {
  it("randomBytes returns fresh bytes of the asked length and checks n", () => {
    expect(provider.randomBytes(0).length).toBe(0);
    var a = provider.randomBytes(32);
    var b = provider.randomBytes(32);
    expect(a.length).toBe(32);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(provider.randomBytes(65536).length).toBe(65536);
    for (var bad of [-1, 1.5, 65537, NaN, "8" as unknown as number]) expect(codeOf(() => provider.randomBytes(bad))).toBe("CRYPTO_BAD_LENGTH");
  });

  it("ctEqual compares contents and lengths", () => {
    expect(provider.ctEqual(fromHex("0102"), fromHex("0102"))).toBe(true);
    expect(provider.ctEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(provider.ctEqual(fromHex("0102"), fromHex("0103"))).toBe(false);
    expect(provider.ctEqual(fromHex("8102"), fromHex("0102"))).toBe(false);
    expect(provider.ctEqual(fromHex("0102"), fromHex("010200"))).toBe(false);
    expect(provider.ctEqual(fromHex("010200"), fromHex("0102"))).toBe(false);
    expect(codeOf(() => provider.ctEqual(fromHex("01"), "01" as unknown as Uint8Array))).toBe("CRYPTO_BAD_INPUT");
  });
});

describe("private keys", () => {
  it("the handle holds nothing but the curve and belongs to one provider", async () => {
    var raw = provider.randomBytes(32);
    var kp = provider.importPrivateKey(CRV_ED25519, raw);
    var ref = kp.priv as unknown as Record<string, unknown>;
    expect(Object.getOwnPropertyNames(ref)).toEqual(["crv"]);
    expect(Object.getOwnPropertySymbols(ref)).toEqual([]);
    expect(Object.isFrozen(ref)).toBe(true);
    expect(JSON.stringify(ref)).toBe('{"crv":' + CRV_ED25519 + "}");
    expect(Object.getPrototypeOf(ref)).toBe(Object.prototype);
    var other = createNobleProvider();
    expect(await asyncCode(other.sign(kp.priv, new Uint8Array(1)))).toBe("CRYPTO_BAD_KEY");
    expect(await asyncCode(provider.sign({ crv: CRV_ED25519 }, new Uint8Array(1)))).toBe("CRYPTO_BAD_KEY");
    expect(await asyncCode(provider.sign(null as unknown as KeyPair["priv"], new Uint8Array(1)))).toBe("CRYPTO_BAD_KEY");
  });

  it("import copies the key, so the caller can wipe its buffer", async () => {
    var raw = provider.randomBytes(32);
    var kp = provider.importPrivateKey(CRV_ED25519, raw);
    var msg = ascii("still works");
    raw.fill(0);
    expect(await provider.verify(CRV_ED25519, kp.pub, msg, await provider.sign(kp.priv, msg))).toBe(true);
  });

  it("import validates curve, length and P-256 range without echoing the key", () => {
    expect(codeOf(() => provider.importPrivateKey(2, new Uint8Array(32).fill(1)))).toBe("CRYPTO_UNSUPPORTED");
    for (var crv of [CRV_P256, CRV_X25519, CRV_ED25519]) {
      for (var len of [0, 31, 33, 64]) expect(codeOf(() => provider.importPrivateKey(crv, new Uint8Array(len).fill(7)))).toBe("CRYPTO_BAD_KEY");
      expect(codeOf(() => provider.importPrivateKey(crv, "00" as unknown as Uint8Array))).toBe("CRYPTO_BAD_INPUT");
    }
    expect(codeOf(() => provider.importPrivateKey(CRV_P256, new Uint8Array(32)))).toBe("CRYPTO_BAD_KEY");
    expect(codeOf(() => provider.importPrivateKey(CRV_P256, be32(N)))).toBe("CRYPTO_BAD_KEY");
    expect(codeOf(() => provider.importPrivateKey(CRV_P256, new Uint8Array(32).fill(0xff)))).toBe("CRYPTO_BAD_KEY");
    expect(provider.importPrivateKey(CRV_P256, be32(N - 1n)).pub.length).toBe(64);
    expect(toHex(provider.importPrivateKey(CRV_P256, be32(1n)).pub)).toBe(
      "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
    );
    var secret = new Uint8Array(32).fill(0xff);
    try {
      provider.importPrivateKey(CRV_P256, secret);
    } catch (e) {
      expect((e as Error).message).not.toContain("ff");
    }
  });

  it("generateKeyPair gives keys for each curve and refuses others", async () => {
    expect((await provider.generateKeyPair(CRV_P256)).pub.length).toBe(64);
    expect((await provider.generateKeyPair(CRV_X25519)).pub.length).toBe(32);
    expect((await provider.generateKeyPair(CRV_ED25519)).pub.length).toBe(32);
    expect(await asyncCode(provider.generateKeyPair(2))).toBe("CRYPTO_UNSUPPORTED");
  });

  it("keys only do what their curve allows", async () => {
    var x = await provider.generateKeyPair(CRV_X25519);
    var ed = await provider.generateKeyPair(CRV_ED25519);
    expect(await asyncCode(provider.sign(x.priv, new Uint8Array(1)))).toBe("CRYPTO_UNSUPPORTED");
    expect(await asyncCode(provider.ecdh(ed.priv, x.pub))).toBe("CRYPTO_UNSUPPORTED");
    expect(await asyncCode(provider.verify(CRV_X25519, x.pub, new Uint8Array(1), new Uint8Array(64)))).toBe("CRYPTO_UNSUPPORTED");
    expect(await asyncCode(provider.verify(99, x.pub, new Uint8Array(1), new Uint8Array(64)))).toBe("CRYPTO_UNSUPPORTED");
  });
});

describe("X25519", () => {
  it("RFC 7748 section 6.1", async () => {
    var a = provider.importPrivateKey(CRV_X25519, fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    var b = provider.importPrivateKey(CRV_X25519, fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    expect(toHex(a.pub)).toBe("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    expect(toHex(b.pub)).toBe("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    var k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    expect(toHex(await provider.ecdh(a.priv, b.pub))).toBe(k);
    expect(toHex(await provider.ecdh(b.priv, a.pub))).toBe(k);
  });

  it("rejects low-order points and wrong lengths with CRYPTO_BAD_POINT", async () => {
    var a = await provider.generateKeyPair(CRV_X25519);
    var lowOrder = [
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    for (var h of lowOrder) expect(await asyncCode(provider.ecdh(a.priv, fromHex(h))), h).toBe("CRYPTO_BAD_POINT");
    for (var n of [0, 31, 33]) expect(await asyncCode(provider.ecdh(a.priv, new Uint8Array(n).fill(9)))).toBe("CRYPTO_BAD_POINT");
  });

  interface XTest { tcId: number; comment: string; flags: string[]; public: string; private: string; shared: string; result: string }
  var xv = loadVectors<{ testGroups: { tests: XTest[] }[] }>("wycheproof-x25519.json");
  it("Wycheproof x25519_test.json: valid agree, low-order points refused, twist points either way", async () => {
    var count = 0;
    for (var g of xv.testGroups) {
      for (var t of g.tests) {
        var id = "tcId " + t.tcId + " " + t.comment;
        var kp = provider.importPrivateKey(CRV_X25519, fromHex(t.private));
        var got: string | undefined;
        var code: string | undefined;
        try {
          got = toHex(await provider.ecdh(kp.priv, fromHex(t.public)));
        } catch (e) {
          code = (e as PairkitError).code;
        }
        if (t.result === "valid") expect(got, id).toBe(t.shared);
        else if (t.flags.indexOf("ZeroSharedSecret") >= 0 || t.result === "invalid") expect(code, id).toBe("CRYPTO_BAD_POINT");
        else if (code === undefined) expect(got, id).toBe(t.shared);
        else expect(code, id).toBe("CRYPTO_BAD_POINT");
        count++;
      }
    }
    expect(count).toBe(518);
  });
});

describe("Ed25519", () => {
  // RFC 8032 section 7.1, TEST 1 and TEST 2.
  var cases: [number, string, string, string, string][] = [
    [1, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "", "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"],
    [2, "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72", "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"],
  ];
  it.each(cases)("RFC 8032 TEST %i", async (_n, seed, pub, msg, sig) => {
    var kp = provider.importPrivateKey(CRV_ED25519, fromHex(seed));
    expect(toHex(kp.pub)).toBe(pub);
    expect(toHex(await provider.sign(kp.priv, fromHex(msg)))).toBe(sig);
    expect(await provider.verify(CRV_ED25519, fromHex(pub), fromHex(msg), fromHex(sig))).toBe(true);
    expect(await provider.verify(CRV_ED25519, fromHex(pub), fromHex(msg + "00"), fromHex(sig))).toBe(false);
    var bad = fromHex(sig);
    bad[5] ^= 1;
    expect(await provider.verify(CRV_ED25519, fromHex(pub), fromHex(msg), bad)).toBe(false);
    expect(await provider.verify(CRV_ED25519, fromHex(pub), fromHex(msg), fromHex(sig).subarray(0, 63))).toBe(false);
    expect(await provider.verify(CRV_ED25519, fromHex(pub), fromHex(msg), cat(fromHex(sig), new Uint8Array(1)))).toBe(false);
  });

  it("malformed public keys throw CRYPTO_BAD_POINT", async () => {
    var msg = new Uint8Array(1);
    var sig = new Uint8Array(64);
    for (var n of [0, 31, 33, 64]) expect(await asyncCode(provider.verify(CRV_ED25519, new Uint8Array(n), msg, sig))).toBe("CRYPTO_BAD_POINT");
    // y = 2 has no x on edwards25519; y = p is a non-canonical encoding.
    var y2 = new Uint8Array(32);
    y2[0] = 2;
    expect(await asyncCode(provider.verify(CRV_ED25519, y2, msg, sig))).toBe("CRYPTO_BAD_POINT");
    expect(await asyncCode(provider.verify(CRV_ED25519, fromHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), msg, sig))).toBe("CRYPTO_BAD_POINT");
  });

  interface EdTest { tcId: number; comment: string; msg: string; sig: string; result: string }
  var ev = loadVectors<{ testGroups: { publicKey: { pk: string }; tests: EdTest[] }[] }>("wycheproof-ed25519.json");
  it("Wycheproof ed25519_test.json", async () => {
    var count = 0;
    for (var g of ev.testGroups) {
      for (var t of g.tests) {
        var id = "tcId " + t.tcId + " " + t.comment;
        var ok: boolean | undefined;
        var code: string | undefined;
        try {
          ok = await provider.verify(CRV_ED25519, fromHex(g.publicKey.pk), fromHex(t.msg), fromHex(t.sig));
        } catch (e) {
          code = (e as PairkitError).code;
        }
        if (t.result === "valid") expect(ok, id).toBe(true);
        else if (code === undefined) expect(ok, id).toBe(false);
        else expect(code, id).toBe("CRYPTO_BAD_POINT");
        count++;
      }
    }
    expect(count).toBe(151);
  });
});

describe("ES256 (P-256)", () => {
  function nodePublic(pub: Uint8Array): crypto.KeyObject {
    return crypto.createPublicKey({
      key: { kty: "EC", crv: "P-256", x: Buffer.from(pub.subarray(0, 32)).toString("base64url"), y: Buffer.from(pub.subarray(32)).toString("base64url") },
      format: "jwk",
    });
  }

  it("sign/verify round trip, raw r||s, wrong message and tampering fail", async () => {
    var kp = await provider.generateKeyPair(CRV_P256);
    var msg = ascii("pairkit ES256");
    var sig = await provider.sign(kp.priv, msg);
    expect(sig.length).toBe(64);
    expect(await provider.verify(CRV_P256, kp.pub, msg, sig)).toBe(true);
    expect(await provider.verify(CRV_P256, kp.pub, ascii("pairkit ES257"), sig)).toBe(false);
    for (var i of [0, 31, 32, 63]) {
      var bad = new Uint8Array(sig);
      bad[i] ^= 0x10;
      expect(await provider.verify(CRV_P256, kp.pub, msg, bad), "byte " + i).toBe(false);
    }
    var other = await provider.generateKeyPair(CRV_P256);
    expect(await provider.verify(CRV_P256, other.pub, msg, sig)).toBe(false);
  });

  it("hashes with SHA-256 inside: node verifies our signatures and we verify node's", async () => {
    for (var round = 0; round < 6; round++) {
      var kp = await provider.generateKeyPair(CRV_P256);
      var msg = provider.randomBytes(round * 20);
      var sig = await provider.sign(kp.priv, msg);
      expect(crypto.verify("sha256", msg, { key: nodePublic(kp.pub), dsaEncoding: "ieee-p1363" }, sig)).toBe(true);

      var pair = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
      var jwk = pair.privateKey.export({ format: "jwk" });
      var imported = provider.importPrivateKey(CRV_P256, new Uint8Array(Buffer.from(jwk.d as string, "base64url")));
      var pub = cat(new Uint8Array(Buffer.from(jwk.x as string, "base64url")), new Uint8Array(Buffer.from(jwk.y as string, "base64url")));
      expect(toHex(imported.pub)).toBe(toHex(pub));
      var nsig = new Uint8Array(crypto.sign("sha256", msg, { key: pair.privateKey, dsaEncoding: "ieee-p1363" }));
      expect(await provider.verify(CRV_P256, pub, msg, nsig)).toBe(true);
    }
  });

  it("accepts the high-S twin of a valid signature (COSE does not require low S)", async () => {
    var kp = await provider.generateKeyPair(CRV_P256);
    var msg = ascii("malleable");
    var sig = await provider.sign(kp.priv, msg);
    var s = big(sig.subarray(32));
    var twin = cat(sig.subarray(0, 32), be32(N - s));
    expect(toHex(twin)).not.toBe(toHex(sig));
    expect(await provider.verify(CRV_P256, kp.pub, msg, sig)).toBe(true);
    expect(await provider.verify(CRV_P256, kp.pub, msg, twin)).toBe(true);
    expect(crypto.verify("sha256", msg, { key: nodePublic(kp.pub), dsaEncoding: "ieee-p1363" }, twin)).toBe(true);
  });

  it("returns false for wrong-length or out-of-range signatures", async () => {
    var kp = await provider.generateKeyPair(CRV_P256);
    var msg = ascii("range");
    var sig = await provider.sign(kp.priv, msg);
    var r = sig.subarray(0, 32);
    var s = sig.subarray(32);
    var bad: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["63 bytes", sig.subarray(0, 63)],
      ["65 bytes", cat(sig, new Uint8Array(1))],
      ["DER-like prefix", cat(new Uint8Array([0x30]), sig)],
      ["r = 0", cat(new Uint8Array(32), s)],
      ["s = 0", cat(r, new Uint8Array(32))],
      ["r = n", cat(be32(N), s)],
      ["s = n", cat(r, be32(N))],
      ["s = n + s", cat(r, be32(N + big(s) < 2n ** 256n ? N + big(s) : N + 1n))],
      ["r, s = 2^256 - 1", new Uint8Array(64).fill(0xff)],
    ];
    for (var [name, b] of bad) expect(await provider.verify(CRV_P256, kp.pub, msg, b), name).toBe(false);
  });

  it("throws CRYPTO_BAD_POINT only for a malformed public key", async () => {
    var kp = await provider.generateKeyPair(CRV_P256);
    var msg = ascii("key");
    var sig = await provider.sign(kp.priv, msg);
    var offCurve = new Uint8Array(kp.pub);
    offCurve[63] ^= 1;
    var malformed = [new Uint8Array(0), kp.pub.subarray(0, 32), cat(new Uint8Array([4]), kp.pub), offCurve, new Uint8Array(64)];
    for (var m of malformed) expect(await asyncCode(provider.verify(CRV_P256, m, msg, sig)), toHex(m)).toBe("CRYPTO_BAD_POINT");
  });

  interface SigTest { tcId: number; comment: string; msg: string; sig: string; result: string }
  var sv = loadVectors<{ testGroups: { publicKey: { uncompressed: string }; tests: SigTest[] }[] }>("wycheproof-ecdsa-p256-sha256-p1363.json");
  it("Wycheproof ecdsa_secp256r1_sha256_p1363_test.json", async () => {
    var count = 0;
    for (var g of sv.testGroups) {
      var pub = fromHex(g.publicKey.uncompressed);
      expect(pub[0]).toBe(4);
      for (var t of g.tests) {
        var id = "tcId " + t.tcId + " " + t.comment;
        var ok = await provider.verify(CRV_P256, pub.subarray(1), fromHex(t.msg), fromHex(t.sig));
        expect(ok, id).toBe(t.result === "valid");
        expect(t.result === "acceptable").toBe(false);
        count++;
      }
    }
    expect(count).toBe(262);
  });
});

describe("P-256 ECDH", () => {
  it("is symmetric between two generated keys with 64-byte and 32-byte peer keys", async () => {
    var a = await provider.generateKeyPair(CRV_P256);
    var b = await provider.generateKeyPair(CRV_P256);
    var ab = toHex(await provider.ecdh(a.priv, b.pub));
    expect(ab.length).toBe(64);
    expect(toHex(await provider.ecdh(b.priv, a.pub))).toBe(ab);
    expect(toHex(await provider.ecdh(a.priv, b.pub.subarray(0, 32)))).toBe(ab);
    expect(toHex(await provider.ecdh(b.priv, a.pub.subarray(0, 32)))).toBe(ab);
    // The same key also signs.
    var sig = await provider.sign(a.priv, new Uint8Array(3));
    expect(await provider.verify(CRV_P256, a.pub, new Uint8Array(3), sig)).toBe(true);
  });

  it("agrees with node:crypto, and the x-only form works whichever y the peer has", async () => {
    for (var round = 0; round < 8; round++) {
      var mine = provider.importPrivateKey(CRV_P256, be32(big(provider.randomBytes(32)) % (N - 1n) + 1n));
      var node = crypto.createECDH("prime256v1");
      node.generateKeys();
      var peer = new Uint8Array(node.getPublicKey()).subarray(1);
      var want = toHex(new Uint8Array(node.computeSecret(Buffer.from(cat(new Uint8Array([4]), mine.pub)))));
      expect(toHex(await provider.ecdh(mine.priv, peer))).toBe(want);
      expect(toHex(await provider.ecdh(mine.priv, peer.subarray(0, 32)))).toBe(want);
    }
  });

  /** The uncompressed point with the given x, decompressed by node:crypto (OpenSSL). */
  function nodePoint(x: bigint): Uint8Array {
    var sec1 = crypto.ECDH.convertKey(Buffer.from(cat(new Uint8Array([2]), be32(x))), "prime256v1", undefined, undefined, "uncompressed") as Buffer;
    return new Uint8Array(sec1).subarray(1);
  }

  it("rejects points not on the curve, coordinates >= p, the zero point and wrong lengths", async () => {
    var a = await provider.generateKeyPair(CRV_P256);
    var b = await provider.generateKeyPair(CRV_P256);
    var offCurve = new Uint8Array(b.pub);
    offCurve[63] ^= 1;
    // x = 5 is on the curve; 5 + p is below 2^256 and would decode to the same point if reduced mod p.
    var five = nodePoint(5n);
    expect(toHex(await provider.ecdh(a.priv, five))).toBe(toHex(await provider.ecdh(a.priv, five.subarray(0, 32))));
    var bad: [string, Uint8Array][] = [
      ["off curve", offCurve],
      ["x = 1 has no y", be32(1n)],
      ["x = p", be32(P)],
      ["x = 5 + p, 32-byte form", be32(5n + P)],
      ["x = 5 + p with the y of x = 5", cat(be32(5n + P), five.subarray(32))],
      ["y = p", cat(five.subarray(0, 32), be32(P))],
      ["x = y = 2^256 - 1", new Uint8Array(64).fill(0xff)],
      ["all zeros, 64 bytes", new Uint8Array(64)],
      ["0 bytes", new Uint8Array(0)],
      ["31 bytes", b.pub.subarray(0, 31)],
      ["33 bytes SEC1 compressed", cat(new Uint8Array([2]), b.pub.subarray(0, 32))],
      ["63 bytes", b.pub.subarray(0, 63)],
      ["65 bytes SEC1 uncompressed", cat(new Uint8Array([4]), b.pub)],
    ];
    for (var [name, pub] of bad) expect(await asyncCode(provider.ecdh(a.priv, pub)), name).toBe("CRYPTO_BAD_POINT");
    expect(await asyncCode(provider.ecdh(a.priv, "00" as unknown as Uint8Array))).toBe("CRYPTO_BAD_INPUT");
  });

  it("x = 0 in the 32-byte form is a genuine curve point (0, sqrt(b)), not an encoding of the identity", async () => {
    var d = be32(big(provider.randomBytes(32)) % (N - 1n) + 1n);
    var mine = provider.importPrivateKey(CRV_P256, d);
    var node = crypto.createECDH("prime256v1");
    node.setPrivateKey(Buffer.from(d));
    var want = toHex(new Uint8Array(node.computeSecret(Buffer.from(cat(new Uint8Array([2]), new Uint8Array(32))))));
    expect(toHex(await provider.ecdh(mine.priv, new Uint8Array(32)))).toBe(want);
  });

  interface DhTest { tcId: number; comment: string; flags: string[]; public: string; private: string; shared: string; result: string }
  var dv = loadVectors<{ testGroups: { tests: DhTest[] }[] }>("wycheproof-ecdh-p256-ecpoint.json");
  it("Wycheproof ecdh_secp256r1_ecpoint_test.json (SEC1 points mapped to x||y or x)", async () => {
    var count = 0;
    for (var g of dv.testGroups) {
      for (var t of g.tests) {
        var id = "tcId " + t.tcId + " " + t.comment;
        var d = big(fromHex(t.private));
        var kp = provider.importPrivateKey(CRV_P256, be32(d));
        var pt = fromHex(t.public);
        // pairkit takes raw x||y or x alone; SEC1 prefixes map onto those, anything else is passed as is.
        var pub = (pt.length === 65 && pt[0] === 4) || (pt.length === 33 && (pt[0] === 2 || pt[0] === 3)) ? pt.subarray(1) : pt;
        var got: string | undefined;
        var code: string | undefined;
        try {
          got = toHex(await provider.ecdh(kp.priv, pub));
        } catch (e) {
          code = (e as PairkitError).code;
        }
        if (t.result === "valid") expect(got, id).toBe(t.shared);
        else if (t.result === "invalid") expect(code, id).toBe("CRYPTO_BAD_POINT");
        else if (code === undefined) expect(got, id).toBe(t.shared);
        else expect(code, id).toBe("CRYPTO_BAD_POINT");
        count++;
      }
    }
    expect(count).toBe(355);
  });
});
