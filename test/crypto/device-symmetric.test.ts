/**
 * The device SymmetricCrypto (src/crypto/device/symmetric.ts) over the Espruino crypto fake
 * (test/helpers/fake-espruino-crypto.ts) and over the pure JavaScript fallbacks, against
 * node:crypto; plus the fake itself against the facts established from Espruino 2v29's
 * source and its Linux interpreter.
 */
import { createCipheriv, createHash, createHmac } from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { fromHex, toHex } from "../../src/core/bytes";
import { build } from "esbuild";
import type { BlockCipher } from "../../src/crypto/ccm";
import { createDeviceSymmetric, createNativeSymmetric } from "../../src/crypto/device/symmetric";
import type { DeviceSymmetric, EspruinoCrypto } from "../../src/crypto/device/symmetric";
import { hostConvolve } from "../../src/crypto/device/common";

// Espruino's E.convolve, which the device code calls, in JavaScript.
hostConvolve();
import { createFakeEspruinoCrypto } from "../helpers/fake-espruino-crypto";
import { rnd, code } from "../helpers/util";

// ccm() as it is, recording the block cipher the provider passes (its native CBC-MAC and
// CTR are tested directly below).
var seen = vi.hoisted(() => ({ bc: null as BlockCipher | null }));
vi.mock("../../src/crypto/ccm", async (importOriginal) => {
  var m = await importOriginal<typeof import("../../src/crypto/ccm")>();
  return {
    ...m,
    ccm: function (bc: BlockCipher, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array, tagLen: number, open: boolean) {
      seen.bc = bc;
      return m.ccm(bc, key, nonce, aad, data, tagLen, open);
    },
  };
});

function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): string {
  var c = createCipheriv("aes-128-ccm", key, nonce, { authTagLength: 8 });
  c.setAAD(aad, { plaintextLength: pt.length });
  // OpenSSL's CCM wants update() with a Uint8Array even for an empty payload.
  var body = Buffer.concat([c.update(new Uint8Array(pt)), c.final()]);
  return Buffer.concat([body, c.getAuthTag()]).toString("hex");
}

function hexOf(ab: ArrayBuffer | undefined): string {
  expect(ab).toBeInstanceOf(ArrayBuffer);
  return Buffer.from(ab as ArrayBuffer).toString("hex");
}

var K = fromHex("000102030405060708090a0b0c0d0e0f");
var P32 = new Uint8Array(32).map((_, i) => (i * 7) & 255);

describe("fake Espruino crypto module (facts from 2v29)", () => {
  var f = createFakeEspruinoCrypto();
  var aes = f.AES!;

  it("returns ArrayBuffers and accepts typed arrays, views, arrays and strings", () => {
    expect(f.SHA256!(new Uint8Array([0x61, 0x62, 0x63]))).toBeInstanceOf(ArrayBuffer);
    var abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    expect(hexOf(f.SHA256!("abc"))).toBe(abc);
    expect(hexOf(f.SHA256!([0x61, 0x62, 0x163]))).toBe(abc);
    expect(hexOf(f.SHA256!(new Uint8Array([0, 0x61, 0x62, 0x63, 0]).subarray(1, 4)))).toBe(abc);
  });

  it("ECB, CBC and CFB-8 match what 2v29 printed for the same inputs", () => {
    // Outputs recorded from /tmp/espruino/espruino 2v29 (Linux) for key 00..0f, data i*7.
    expect(hexOf(aes.encrypt(P32, K, { mode: "ECB" }))).toBe("dee1f2b1545b5cc3b88189b4d54ec0c9f777e0cf00827b8d789b76c3841b1d9e");
    var iv = new Uint8Array(16);
    iv[0] = 1;
    expect(hexOf(aes.encrypt(P32, K, { mode: "CBC", iv: iv }))).toBe("979f16f0d9f7709866e2104ab032c94e336e6a731adc511c8ea4142a23e4ebb0");
    expect(hexOf(aes.encrypt(P32, K, { mode: "CFB", iv: iv }))).toBe("e3f10b2d9fd90137a7bd0e619e99f54e0e45c817f378cf1241cb85dea9c29c40");
    expect(hexOf(aes.decrypt(P32, K, { mode: "CBC", iv: iv }))).toBe("78b0035727e9c328e845a72a0000b7166b4f8f55471fc943cbc4e37700bc3162");
    // No options: CBC with a zero IV (its first block equals ECB's).
    expect(hexOf(aes.encrypt(P32, K))).toBe("dee1f2b1545b5cc3b88189b4d54ec0c9a787cdec459be9b93b15d2a4205fca14");
    // A longer IV is truncated to 16 bytes, a shorter one zero-padded.
    var iv20 = new Uint8Array(20);
    iv20.set(iv);
    iv20[16] = 99;
    expect(hexOf(aes.encrypt(P32, K, { mode: "CBC", iv: iv20 }))).toBe(hexOf(aes.encrypt(P32, K, { mode: "CBC", iv: iv })));
    expect(hexOf(aes.encrypt(P32, K, { mode: "CBC", iv: [1] }))).toBe(hexOf(aes.encrypt(P32, K, { mode: "CBC", iv: iv })));
  });

  it("CTR ignores the IV and counts from the zero block", () => {
    var iv = new Uint8Array(16).fill(9);
    var want = "c6a635229bac71b35770c72ff593ba1003316d1019532ebfe1d40b5ea13fffd3";
    expect(hexOf(aes.encrypt(P32, K, { mode: "CTR", iv: iv }))).toBe(want);
    expect(hexOf(aes.encrypt(P32, K, { mode: "CTR" }))).toBe(want);
    expect(hexOf(aes.encrypt(new Uint8Array(5), K, { mode: "CTR", iv: iv }))).toBe("c6a13b3787");
    expect(() => aes.decrypt(P32, K, { mode: "CTR" })).toThrow(/garbage/);
  });

  it("reports errors by printing and returning undefined, except an unknown mode", () => {
    var g = createFakeEspruinoCrypto();
    expect(g.AES!.encrypt(new Uint8Array(17), K, { mode: "CBC" })).toBeUndefined();
    expect(g.AES!.encrypt(P32, new Uint8Array(15), { mode: "ECB" })).toBeUndefined();
    expect(g.AES!.encrypt(P32, K, { mode: "OFB" })).toBeUndefined();
    expect(g.AES!.encrypt(P32, K, 5 as unknown as { mode: string })).toBeUndefined();
    expect(g.errors).toEqual(["Invalid input length", "Unknown error: -0x20", "Feature unavailable", "'options' must be undefined, or an Object"]);
    expect(() => g.AES!.encrypt(P32, K, { mode: "XYZ" })).toThrow('Unknown Crypto mode "XYZ"');
  });

  it("ECB leaves a trailing partial block as zeros", () => {
    expect(hexOf(aes.encrypt(new Uint8Array(17), K, { mode: "ECB" }))).toBe("c6a13b37878f5b826f4f8162a1c8d87900");
    expect(hexOf(aes.encrypt(new Uint8Array(0), K, { mode: "ECB" }))).toBe("");
  });

  it("can leave out SHA256 or AES like boards that lack them", () => {
    expect(createFakeEspruinoCrypto({ sha256: false }).SHA256).toBeUndefined();
    expect(createFakeEspruinoCrypto({ aes: false }).AES).toBeUndefined();
  });
});

var configs: [string, () => EspruinoCrypto | null][] = [
  ["native SHA-256 and AES", () => createFakeEspruinoCrypto() as unknown as EspruinoCrypto],
  ["native SHA-256, JavaScript AES (MDBT42Q)", () => createFakeEspruinoCrypto({ aes: false }) as unknown as EspruinoCrypto],
  ["JavaScript SHA-256, native AES", () => createFakeEspruinoCrypto({ sha256: false }) as unknown as EspruinoCrypto],
  ["no crypto module (everything interpreted)", () => null],
];

for (const [label, make] of configs) {
  describe("device SymmetricCrypto: " + label, () => {
    // One provider per device: each test configures it afresh.
    var s: DeviceSymmetric;
    beforeEach(() => {
      s = createDeviceSymmetric(make(), rnd(48));
    });

    it("AES-CCM-16-64-128 matches node:crypto (payload and AAD lengths incl. 0, block and chunk edges)", () => {
      for (var n of [0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 127, 128, 129, 239, 240, 241, 250, 400, 496, 497]) {
        for (var al of [0, 1, 13, 14, 40, 95, 96, 97, 300]) {
          var key = rnd(16);
          var nonce = rnd(13);
          var aad = rnd(al);
          var pt = rnd(n);
          var want = nodeSeal(key, nonce, aad, pt);
          var got = s.aeadSeal(key, nonce, aad, pt);
          expect(toHex(got), "pt " + n + " aad " + al).toBe(want);
          var back = s.aeadOpen(key, nonce, aad, got);
          expect(back).not.toBeNull();
          expect(toHex(back as Uint8Array)).toBe(toHex(pt));
          got[Math.floor(Math.random() * got.length)] ^= 0x10;
          expect(s.aeadOpen(key, nonce, aad, got)).toBeNull();
        }
      }
    });

    it("AES-CCM matches node:crypto on a payload of more than 255 blocks (the counter carries)", () => {
      var key = rnd(16), nonce = rnd(13), aad = rnd(3), pt = rnd(5000);
      var sealed = s.aeadSeal(key, nonce, aad, pt);
      expect(toHex(sealed)).toBe(nodeSeal(key, nonce, aad, pt));
      expect(toHex(s.aeadOpen(key, nonce, aad, sealed) as Uint8Array)).toBe(toHex(pt));
    });

    it("AES-CCM rejects a wrong AAD or nonce, and a ciphertext shorter than the tag", () => {
      var key = rnd(16);
      var nonce = rnd(13);
      var ct = s.aeadSeal(key, nonce, rnd(4), rnd(20));
      expect(s.aeadOpen(key, nonce, rnd(4), ct)).toBeNull();
      expect(s.aeadOpen(key, rnd(13), new Uint8Array(4), ct)).toBeNull();
      expect(s.aeadOpen(key, nonce, new Uint8Array(0), new Uint8Array(7))).toBeNull();
    });

    it("hashes, MACs and derives like node:crypto", () => {
      var d = rnd(100);
      expect(toHex(s.sha256(d))).toBe(createHash("sha256").update(d).digest("hex"));
      var k = rnd(32);
      expect(toHex(s.hmacSha256(k, d))).toBe(createHmac("sha256", k).update(d).digest("hex"));
      var prk = s.hkdfExtract(rnd(32), k);
      var t1 = createHmac("sha256", prk).update(Buffer.concat([d, Buffer.from([1])])).digest("hex");
      expect(toHex(s.hkdfExpand(prk, d, 32))).toBe(t1);
      s.forget();
      expect(toHex(s.hkdfExpand(prk, d, 32))).toBe(t1);
    });

    it("compares in constant time with ctEqual", () => {
      var a = rnd(8);
      expect(s.ctEqual(a, a.slice())).toBe(true);
      var b = a.slice();
      b[7] ^= 1;
      expect(s.ctEqual(a, b)).toBe(false);
      expect(s.ctEqual(a, a.subarray(0, 7))).toBe(false);
    });

    it("produces random bytes of the requested length", () => {
      expect(s.randomBytes(0).length).toBe(0);
      var a = s.randomBytes(33);
      var b = s.randomBytes(33);
      expect(a.length).toBe(33);
      expect(toHex(a)).not.toBe(toHex(b));
    });

    it("rejects bad arguments with typed errors", () => {
      expect(code(() => s.aeadSeal(rnd(15), rnd(13), rnd(0), rnd(1)))).toBe("CRYPTO_BAD_KEY");
      expect(code(() => s.aeadSeal(rnd(16), rnd(12), rnd(0), rnd(1)))).toBe("CRYPTO_BAD_NONCE");
      expect(code(() => s.aeadOpen(rnd(16), rnd(13), "aad" as unknown as Uint8Array, rnd(9)))).toBe("CRYPTO_BAD_INPUT");
      expect(code(() => s.sha256([1] as unknown as Uint8Array))).toBe("CRYPTO_BAD_INPUT");
      expect(code(() => s.ctEqual(rnd(1), null as unknown as Uint8Array))).toBe("CRYPTO_BAD_INPUT");
      expect(code(() => s.randomBytes(65537))).toBe("CRYPTO_BAD_LENGTH");
    });
  });
}

/** The provider's AES for ccm() over the native module (the fake). */
function nativeCipher(): BlockCipher {
  createNativeSymmetric(createFakeEspruinoCrypto() as unknown as EspruinoCrypto, rnd(32)).aeadSeal(rnd(16), rnd(13), rnd(0), rnd(1));
  return seen.bc as BlockCipher;
}

describe("device SymmetricCrypto wiring", () => {
  it("uses native ECB and CBC for CCM (one call each for short messages), never the native CTR", () => {
    var f = createFakeEspruinoCrypto();
    var s = createDeviceSymmetric(f as unknown as EspruinoCrypto, rnd(32));
    s.aeadSeal(rnd(16), rnd(13), rnd(5), rnd(64));
    expect(f.calls["AES.encrypt.ECB"]).toBe(1); // counter blocks A_0..A_4
    expect(f.calls["AES.encrypt.CBC"]).toBe(1); // CBC-MAC
    expect(f.calls["AES.encrypt.CTR"]).toBeUndefined();
    // Longer messages go in chunks of at most 256 bytes per native call.
    s.aeadSeal(rnd(16), rnd(13), rnd(5), rnd(250));
    expect(f.calls["AES.encrypt.ECB"]).toBe(3);
    expect(f.calls["AES.encrypt.CBC"]).toBe(3);
  });

  it("falls back to the interpreted SHA-256 or AES only for what the native module lacks", () => {
    var noAes = createFakeEspruinoCrypto({ aes: false });
    var s = createDeviceSymmetric(noAes as unknown as EspruinoCrypto, rnd(32));
    var sha = noAes.calls.SHA256;
    s.aeadSeal(rnd(16), rnd(13), rnd(5), rnd(40));
    s.hmacSha256(rnd(32), rnd(5));
    expect(noAes.calls.SHA256 - sha).toBe(2);
    var noSha = createFakeEspruinoCrypto({ sha256: false });
    s = createDeviceSymmetric(noSha as unknown as EspruinoCrypto, rnd(32));
    s.hmacSha256(rnd(32), rnd(5));
    s.aeadSeal(rnd(16), rnd(13), rnd(5), rnd(40));
    expect(noSha.calls["AES.encrypt.ECB"]).toBe(1);
    expect(noSha.calls.SHA256).toBeUndefined();
  });

  it("is one provider per device: creating it again re-initialises it (native module, DRBG)", () => {
    var f = createFakeEspruinoCrypto();
    var a = createDeviceSymmetric(null, rnd(32));
    var b = createNativeSymmetric(f as unknown as EspruinoCrypto, rnd(32));
    expect(b).not.toBe(a);
    var before = f.calls.SHA256;
    b.sha256(rnd(3));
    expect(f.calls.SHA256).toBe(before + 1);
    a.sha256(rnd(3)); // an object returned earlier uses the device's current state
    expect(f.calls.SHA256).toBe(before + 2);
    var c = createDeviceSymmetric(null, rnd(32));
    c.sha256(rnd(3)); // no native module any more
    expect(f.calls.SHA256).toBe(before + 2);
    // The DRBG is instantiated anew: the same seed gives the same stream again.
    var seed = rnd(32);
    var first = toHex(createNativeSymmetric(f as unknown as EspruinoCrypto, seed).randomBytes(40));
    var d = createNativeSymmetric(f as unknown as EspruinoCrypto, seed);
    expect(toHex(d.randomBytes(40))).toBe(first);
    expect(toHex(d.randomBytes(40))).not.toBe(first);
  });

  it("its methods work as bare functions (the firmware copies them out)", () => {
    var p = createNativeSymmetric(createFakeEspruinoCrypto() as unknown as EspruinoCrypto, rnd(32));
    var seal = p.aeadSeal, open = p.aeadOpen, sha = p.sha256, mac = p.hmacSha256, ext = p.hkdfExtract, exp = p.hkdfExpand, rand = p.randomBytes, eq = p.ctEqual;
    var key = rnd(16), nonce = rnd(13), aad = rnd(7), pt = rnd(50), k = rnd(32);
    var ct = seal(key, nonce, aad, pt);
    expect(toHex(ct)).toBe(nodeSeal(key, nonce, aad, pt));
    expect(toHex(open(key, nonce, aad, ct) as Uint8Array)).toBe(toHex(pt));
    expect(toHex(sha(pt))).toBe(createHash("sha256").update(pt).digest("hex"));
    expect(toHex(mac(k, pt))).toBe(createHmac("sha256", k).update(pt).digest("hex"));
    expect(toHex(ext(k, pt))).toBe(createHmac("sha256", k).update(pt).digest("hex"));
    expect(exp(k, pt, 20).length).toBe(20);
    expect(rand(5).length).toBe(5);
    expect(eq(pt, pt.slice())).toBe(true);
  });

  it("its CTR keystream carries across a 32-bit counter wrap like a 128-bit counter, in place", () => {
    var bc = nativeCipher();
    var key = rnd(16);
    for (var iv of ["000000000000000000000000fffffffe", "00000000000000ffffffffffffffffff", "ffffffffffffffffffffffffffffffff", "0102030405060708090a0b0c0d0e0f10"]) {
      for (var len of [16, 80, 128, 144, 400]) {
        var data = rnd(len);
        var c = createCipheriv("aes-128-ctr", key, fromHex(iv));
        var want = Buffer.concat([c.update(data), c.final()]).toString("hex");
        var ivb = fromHex(iv);
        var r = bc.ctr!(key, ivb, data);
        expect(toHex(r), iv + " " + len).toBe(want);
        expect(r).toBe(data); // XORed in place
        expect(toHex(ivb)).toBe(iv); // ccm's counter block is not advanced in place
      }
    }
  });

  it("its CBC-MAC chains chunks and its encryptBlock is AES", () => {
    var bc = nativeCipher();
    var key = rnd(16);
    for (var len of [16, 128, 144, 256, 400]) {
      var data = rnd(len);
      var c = createCipheriv("aes-128-cbc", key, new Uint8Array(16));
      c.setAutoPadding(false);
      var full = Buffer.concat([c.update(data), c.final()]);
      expect(toHex(bc.cbcMac!(key, data)), "len " + len).toBe(full.subarray(len - 16).toString("hex"));
    }
    var blk = rnd(16);
    var e = createCipheriv("aes-128-ecb", key, null);
    e.setAutoPadding(false);
    expect(toHex(bc.encryptBlock(key, blk))).toBe(Buffer.concat([e.update(blk), e.final()]).toString("hex"));
  });

  it("turns a failing native call into a typed error instead of using undefined", () => {
    var broken: EspruinoCrypto = {
      SHA256: function () {
        return undefined;
      },
      AES: {
        encrypt: function () {
          return undefined;
        },
        decrypt: function () {
          return undefined;
        },
      },
    };
    expect(code(() => createDeviceSymmetric(broken, rnd(32)))).toBe("CRYPTO_NATIVE");
    var f = createFakeEspruinoCrypto();
    var half: EspruinoCrypto = { SHA256: f.SHA256 as EspruinoCrypto["SHA256"], AES: broken.AES };
    var s = createDeviceSymmetric(half, rnd(32));
    expect(code(() => s.aeadSeal(rnd(16), rnd(13), rnd(0), rnd(16)))).toBe("CRYPTO_NATIVE");
  });

  it("refuses too little seed entropy", () => {
    expect(code(() => createDeviceSymmetric(null, rnd(16)))).toBe("CRYPTO_BAD_LENGTH");
  });

  it("reseeds itself from a seed function when the DRBG asks, and on request", () => {
    var calls = 0;
    var s = createDeviceSymmetric(
      createFakeEspruinoCrypto() as unknown as EspruinoCrypto,
      function () {
        calls++;
        return rnd(32);
      },
      2,
    );
    expect(calls).toBe(1);
    s.randomBytes(8);
    s.randomBytes(8);
    expect(calls).toBe(1);
    s.randomBytes(8);
    expect(calls).toBe(2);
    var fixed = createDeviceSymmetric(null, rnd(32), 1);
    fixed.randomBytes(1);
    expect(code(() => fixed.randomBytes(1))).toBe("CRYPTO_DRBG_RESEED");
    fixed.reseed(rnd(32));
    expect(fixed.randomBytes(4).length).toBe(4);
  });
});

describe("createNativeSymmetric (boards with native SHA256 and AES)", () => {
  it("works like createDeviceSymmetric over the full native module", () => {
    var s = createNativeSymmetric(createFakeEspruinoCrypto() as unknown as EspruinoCrypto, rnd(32));
    var key = rnd(16);
    var nonce = rnd(13);
    var aad = rnd(3);
    var pt = rnd(40);
    expect(toHex(s.aeadSeal(key, nonce, aad, pt))).toBe(nodeSeal(key, nonce, aad, pt));
    var k = rnd(32);
    expect(toHex(s.hmacSha256(k, pt))).toBe(createHmac("sha256", k).update(pt).digest("hex"));
  });

  it("refuses firmware without native SHA256 or AES", () => {
    expect(code(() => createNativeSymmetric(createFakeEspruinoCrypto({ aes: false }) as unknown as EspruinoCrypto, rnd(32)))).toBe("CRYPTO_UNSUPPORTED");
    expect(code(() => createNativeSymmetric(createFakeEspruinoCrypto({ sha256: false }) as unknown as EspruinoCrypto, rnd(32)))).toBe("CRYPTO_UNSUPPORTED");
  });

  it("leaves the interpreted SHA-256 and AES out of a bundle that uses only it", async () => {
    async function size(entry: string): Promise<string> {
      var r = await build({
        stdin: { contents: entry, resolveDir: new URL("../../src/crypto/device/", import.meta.url).pathname, loader: "ts" },
        bundle: true,
        format: "esm",
        minify: true,
        write: false,
        logLevel: "silent",
      });
      return r.outputFiles[0].text;
    }
    var lean = await size('import { createNativeSymmetric } from "./symmetric"; (globalThis as any).p = createNativeSymmetric;');
    var full = await size('import { createDeviceSymmetric } from "./symmetric"; (globalThis as any).p = createDeviceSymmetric;');
    // The SHA-256 prime-gap table and the AES S-box generator's reduction constant.
    expect(full).toContain("11212123132123313213234212127231513323315121662123153331321572");
    expect(lean).not.toContain("11212123132123313213234212127231513323315121662123153331321572");
    expect(full.length - lean.length).toBeGreaterThan(4000);
  });
});
