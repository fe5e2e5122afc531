/**
 * Device HMAC-SHA-256 and HKDF (src/crypto/device/symmetric.ts) through the device provider,
 * over the native SHA-256 (the Espruino fake) and over the JavaScript fallback (whose
 * pad-block midstate cache is exercised too), against node:crypto and RFC 4231 / RFC 5869
 * vectors, with the pad cache exercised by alternating and mutated keys.
 */
import { createHmac, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/core/bytes";
import { createDeviceSymmetric, createNativeSymmetric } from "../../src/crypto/device/symmetric";
import type { EspruinoCrypto } from "../../src/crypto/device/symmetric";
import { hostConvolve } from "../../src/crypto/device/common";

// Espruino's E.convolve, which the device code calls, in JavaScript.
hostConvolve();
import { createFakeEspruinoCrypto } from "../helpers/fake-espruino-crypto";
import { rnd, code } from "../helpers/util";

interface Kdf {
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  forget(): void;
}

/** The provider's methods as bare functions, the way the firmware hands them out. */
function kdf(p: ReturnType<typeof createNativeSymmetric>): Kdf {
  return { hmac: p.hmacSha256, hkdfExtract: p.hkdfExtract, hkdfExpand: p.hkdfExpand, forget: p.forget };
}

var variants: [string, () => Kdf][] = [
  ["native SHA-256", () => kdf(createNativeSymmetric(createFakeEspruinoCrypto() as unknown as EspruinoCrypto, rnd(32)))],
  ["JavaScript SHA-256 (pad-block midstates)", () => kdf(createDeviceSymmetric(createFakeEspruinoCrypto({ sha256: false }) as unknown as EspruinoCrypto, rnd(32)))],
];

function ascii(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

function nodeHmac(key: Uint8Array, data: Uint8Array): string {
  return createHmac("sha256", key).update(data).digest("hex");
}

function nodeExpand(prk: Uint8Array, info: Uint8Array, len: number): string {
  var t = Buffer.alloc(0);
  var out = Buffer.alloc(0);
  for (var i = 1; out.length < len; i++) {
    t = createHmac("sha256", prk).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
    out = Buffer.concat([out, t]);
  }
  return out.subarray(0, len).toString("hex");
}

/** RFC 4231 section 4 test cases 1, 2, 3, 4, 6, 7 (case 5 truncates the output). */
var RFC4231: [string, string, string][] = [
  ["0b".repeat(20), toHex(ascii("Hi There")), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
  [toHex(ascii("Jefe")), toHex(ascii("what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
  ["aa".repeat(20), "dd".repeat(50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
  ["0102030405060708090a0b0c0d0e0f10111213141516171819", "cd".repeat(50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
  ["aa".repeat(131), toHex(ascii("Test Using Larger Than Block-Size Key - Hash Key First")), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
  [
    "aa".repeat(131),
    toHex(ascii("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.")),
    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
  ],
];

/** RFC 5869 appendix A test cases 1-3 (SHA-256): ikm, salt, info, L, PRK, OKM. */
var RFC5869: [string, string, string, number, string, string][] = [
  [
    "0b".repeat(22),
    "000102030405060708090a0b0c",
    "f0f1f2f3f4f5f6f7f8f9",
    42,
    "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  ],
  [
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f",
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
    82,
    "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
    "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
  ],
  ["0b".repeat(22), "", "", 42, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04", "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"],
];

for (const [label, make] of variants) {
  describe("device HMAC/HKDF over " + label, () => {
    it("matches RFC 4231", () => {
      var k = make();
      for (var [key, data, mac] of RFC4231) {
        expect(toHex(k.hmac(fromHex(key), fromHex(data)))).toBe(mac);
        // A second call is served from the pad cache.
        expect(toHex(k.hmac(fromHex(key), fromHex(data)))).toBe(mac);
      }
    });

    it("matches RFC 5869", () => {
      var k = make();
      for (var [ikm, salt, info, len, prk, okm] of RFC5869) {
        var p = k.hkdfExtract(fromHex(salt), fromHex(ikm));
        expect(toHex(p)).toBe(prk);
        expect(toHex(k.hkdfExpand(p, fromHex(info), len))).toBe(okm);
      }
    });

    it("matches node:crypto HMAC across key and data lengths", () => {
      var k = make();
      for (var kl of [0, 1, 3, 31, 32, 33, 63, 64, 65, 100, 200]) {
        for (var dl of [0, 1, 55, 56, 63, 64, 65, 119, 120, 300]) {
          var key = rnd(kl);
          var data = rnd(dl);
          expect(toHex(k.hmac(key, data)), "key " + kl + " data " + dl).toBe(nodeHmac(key, data));
        }
      }
    });

    it("matches node:crypto HKDF (extract + expand) and expand at block boundaries", () => {
      var k = make();
      for (var len of [1, 16, 31, 32, 33, 64, 65, 100, 255 * 32]) {
        for (var il of [0, 5, 100]) {
          var prk = rnd(32);
          var info = rnd(il);
          expect(toHex(k.hkdfExpand(prk, info, len)), "L " + len + " info " + il).toBe(nodeExpand(prk, info, len));
        }
      }
      var salt = rnd(32);
      var ikm = rnd(32);
      var info2 = ascii("pairkit");
      var want = Buffer.from(hkdfSync("sha256", ikm, salt, info2, 42)).toString("hex");
      expect(toHex(k.hkdfExpand(k.hkdfExtract(salt, ikm), info2, 42))).toBe(want);
    });

    it("gives the same results when more keys alternate than the cache holds", () => {
      var k = make();
      var keys: Uint8Array[] = [];
      for (var i = 0; i < 7; i++) keys.push(rnd(32));
      keys.push(rnd(100)); // hashed key
      keys.push(new Uint8Array(0)); // empty key = 64 zero bytes
      var data = rnd(40);
      var info = ascii("info");
      for (var round = 0; round < 3; round++) {
        for (var j = 0; j < keys.length; j++) {
          var key = keys[(j * 5 + round) % keys.length];
          expect(toHex(k.hmac(key, data))).toBe(nodeHmac(key, data));
          if (key.length >= 32) expect(toHex(k.hkdfExpand(key, info, 32))).toBe(nodeExpand(key, info, 32));
        }
      }
    });

    it("serves keys from its two-entry cache, evicts the oldest, and starts over after forget()", () => {
      var f = createFakeEspruinoCrypto();
      var p = createDeviceSymmetric(f as unknown as EspruinoCrypto, rnd(32));
      var a = rnd(32), b = rnd(32), c = rnd(32), d = rnd(20);
      // Hits, misses and evictions in every order: the results never depend on the cache.
      for (var round = 0; round < 3; round++) {
        for (var key of [a, b, a, c, b, c, a]) {
          expect(toHex(p.hkdfExpand(key, d, 40))).toBe(nodeExpand(key, d, 40));
          expect(toHex(p.hmacSha256(key, d))).toBe(nodeHmac(key, d));
        }
        p.forget();
      }
      var k = make();
      expect(toHex(k.hkdfExpand(a, d, 32))).toBe(nodeExpand(a, d, 32));
    });

    it("never serves stale pads: a key mutated in place, a copy, forget()", () => {
      var k = make();
      var key = rnd(32);
      var data = rnd(10);
      var first = toHex(k.hmac(key, data));
      var firstX = toHex(k.hkdfExpand(key, data, 32));
      expect(toHex(k.hmac(key.slice(), data))).toBe(first);
      expect(toHex(k.hkdfExpand(key.slice(), data, 32))).toBe(firstX);
      key[31] ^= 0x80;
      expect(toHex(k.hmac(key, data))).toBe(nodeHmac(key, data));
      expect(toHex(k.hkdfExpand(key, data, 32))).toBe(nodeExpand(key, data, 32));
      key[31] ^= 0x80;
      expect(toHex(k.hmac(key, data))).toBe(first);
      expect(toHex(k.hkdfExpand(key, data, 32))).toBe(firstX);
      k.forget();
      expect(toHex(k.hmac(key, data))).toBe(first);
      expect(toHex(k.hkdfExpand(key, data, 32))).toBe(firstX);
      // HMAC keys shorter than a block are zero-padded: "k" and "k\0" are the same key.
      expect(toHex(k.hmac(ascii("k"), data))).toBe(toHex(k.hmac(new Uint8Array([0x6b, 0]), data)));
      // Same length, same sum of squares, different bytes: still different keys.
      var p = new Uint8Array(32);
      var q2 = new Uint8Array(32);
      p[0] = 3;
      p[1] = 4;
      q2[0] = 4;
      q2[1] = 3;
      expect(toHex(k.hmac(p, data))).toBe(nodeHmac(p, data));
      expect(toHex(k.hmac(q2, data))).toBe(nodeHmac(q2, data));
      expect(toHex(k.hkdfExpand(p, data, 32))).toBe(nodeExpand(p, data, 32));
      expect(toHex(k.hkdfExpand(q2, data, 32))).toBe(nodeExpand(q2, data, 32));
      // A 64-byte key and its own hash are different keys; a 65-byte key is hashed first.
      var long = rnd(65);
      expect(toHex(k.hkdfExpand(long, data, 32))).toBe(nodeExpand(long, data, 32));
      expect(toHex(k.hkdfExpand(long.subarray(0, 64), data, 32))).toBe(nodeExpand(long.subarray(0, 64), data, 32));
    });

    it("does not modify its inputs and accepts subarray views", () => {
      var k = make();
      var buf = rnd(200);
      var before = toHex(buf);
      var key = buf.subarray(1, 33);
      var data = buf.subarray(35, 120);
      expect(toHex(k.hmac(key, data))).toBe(nodeHmac(key.slice(), data.slice()));
      expect(toHex(k.hkdfExpand(key, data, 70))).toBe(nodeExpand(key.slice(), data.slice(), 70));
      expect(toHex(buf)).toBe(before);
    });

    it("rejects bad arguments with typed errors", () => {
      var k = make();
      var prk = rnd(32);
      expect(code(() => k.hmac("key" as unknown as Uint8Array, rnd(1)))).toBe("CRYPTO_BAD_INPUT");
      expect(code(() => k.hmac(rnd(32), [1] as unknown as Uint8Array))).toBe("CRYPTO_BAD_INPUT");
      expect(code(() => k.hkdfExtract(null as unknown as Uint8Array, rnd(32)))).toBe("CRYPTO_BAD_INPUT");
      expect(code(() => k.hkdfExpand(prk, rnd(1), 0))).toBe("CRYPTO_BAD_LENGTH");
      expect(code(() => k.hkdfExpand(prk, rnd(1), 255 * 32 + 1))).toBe("CRYPTO_BAD_LENGTH");
      expect(code(() => k.hkdfExpand(prk, rnd(1), 1.5))).toBe("CRYPTO_BAD_LENGTH");
      expect(code(() => k.hkdfExpand(rnd(31), rnd(1), 32))).toBe("CRYPTO_BAD_KEY");
    });
  });
}

describe("device HMAC cost shape", () => {
  it("uses exactly two native hashes per HMAC and per HKDF-Expand block", () => {
    var f = createFakeEspruinoCrypto();
    var p = createNativeSymmetric(f as unknown as EspruinoCrypto, rnd(32));
    var key = rnd(32);
    var before = f.calls.SHA256;
    p.hmacSha256(key, rnd(5));
    p.hkdfExpand(key, rnd(5), 32);
    p.hkdfExpand(key, rnd(5), 32);
    expect(f.calls.SHA256 - before).toBe(6);
    before = f.calls.SHA256;
    p.hkdfExpand(key, rnd(5), 70);
    expect(f.calls.SHA256 - before).toBe(6);
  });

  it("with the JavaScript SHA-256, HMACs interleaved with random bytes (whose pad blocks share its cache) stay right", () => {
    var p = createDeviceSymmetric(null, rnd(32));
    var key = rnd(32);
    var d = rnd(20);
    for (var i = 0; i < 3; i++) {
      expect(toHex(p.hkdfExpand(key, d, 32))).toBe(nodeExpand(key, d, 32));
      p.randomBytes(8);
      expect(toHex(p.hmacSha256(key, d))).toBe(nodeHmac(key, d));
    }
  });
});
