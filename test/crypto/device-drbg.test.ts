/**
 * HMAC_DRBG (src/crypto/device/symmetric.ts) in the device provider against NIST CAVP known
 * answers and a reference written from SP 800-90A, and its reseed and error behaviour.
 *
 * Vectors: NIST CAVP "DRBG Test Vectors" (drbgtestvectors.zip, SP 800-90A),
 * drbgvectors_no_reseed/HMAC_DRBG.rsp, section [SHA-256] [PredictionResistance = False]
 * [EntropyInputLen = 256] [NonceLen = 128] [AdditionalInputLen = 0]
 * [ReturnedBitsLen = 1024]; COUNT = 0 of the PersonalizationStringLen = 0 group and of the
 * PersonalizationStringLen = 256 group. The CAVP procedure for these files is: instantiate,
 * generate 1024 bits (discarded), generate 1024 bits = ReturnedBits.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/core/bytes";
import { createDeviceSymmetric, createNativeSymmetric } from "../../src/crypto/device/symmetric";
import type { EspruinoCrypto } from "../../src/crypto/device/symmetric";
import { hostConvolve } from "../../src/crypto/device/common";

// Espruino's E.convolve, which the device code calls, in JavaScript.
hostConvolve();
import { createFakeEspruinoCrypto } from "../helpers/fake-espruino-crypto";
import { code } from "../helpers/util";

function nodeHmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(data).digest());
}

function cat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** SP 800-90A HMAC_DRBG written directly from the standard, over node's HMAC: the reference. */
function refDrbg(seedMaterial: Uint8Array) {
  var K: Uint8Array = new Uint8Array(32);
  var V: Uint8Array = new Uint8Array(32).fill(1);
  function update(d: Uint8Array): void {
    K = nodeHmac(K, cat(V, new Uint8Array([0]), d));
    V = nodeHmac(K, V);
    if (!d.length) return;
    K = nodeHmac(K, cat(V, new Uint8Array([1]), d));
    V = nodeHmac(K, V);
  }
  update(seedMaterial);
  return {
    reseed: (e: Uint8Array) => update(e),
    generate(n: number): Uint8Array {
      var out: Uint8Array[] = [];
      for (var o = 0; o < n; o += 32) {
        V = nodeHmac(K, V);
        out.push(V);
      }
      update(new Uint8Array(0));
      return cat(...out).subarray(0, n);
    },
  };
}

var natives: [string, () => EspruinoCrypto | null][] = [
  ["native SHA-256", () => createFakeEspruinoCrypto() as unknown as EspruinoCrypto],
  ["JavaScript SHA-256", () => null],
];

var CAVP = [
  {
    entropy: "ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488",
    nonce: "659ba96c601dc69fc902940805ec0ca8",
    pers: "",
    returned:
      "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8",
  },
  {
    entropy: "5cacc68165a2e2ee20812f35ec73a79dbf30fd475476ac0c44fc6174cdac2b55",
    nonce: "6f885496c1e63af620becd9e71ecb824",
    pers: "e72dd8590d4ed5295515c35ed6199e9d211b8f069b3058caa6670b96ef1208d0",
    returned:
      "f1012cf543f94533df27fedfbf58e5b79a3dc517a9c402bdbfc9a0c0f721f9d53faf4aafdc4b8f7a1b580fcaa52338d4bd95f58966a243cdcd3f446ed4bc546d9f607b190dd69954450d16cd0e2d6437067d8b44d19a6af7a7cfa8794e5fbd728e8fb2f2e8db5dd4ff1aa275f35886098e80ff844886060da8b1e7137846b23b",
  },
];

describe("HMAC_DRBG (SHA-256) in the device provider", () => {
  for (const [label, native] of natives) {
    it("matches the NIST CAVP no-reseed vectors over the " + label, () => {
      var p = createDeviceSymmetric(native(), new Uint8Array(32));
      for (var v of CAVP) {
        // Instantiate with seed material entropy || nonce || personalization.
        p.reseed(fromHex(v.entropy), cat(fromHex(v.nonce), fromHex(v.pers)));
        var first = p.randomBytes(128);
        expect(toHex(first)).not.toBe(v.returned);
        expect(toHex(p.randomBytes(128))).toBe(v.returned);
      }
    });

    it("agrees with a reference HMAC_DRBG for any request size, across reseeds, over the " + label, () => {
      var seed = new Uint8Array(48).map((_, i) => (i * 29 + 1) & 255);
      var p = createDeviceSymmetric(native(), seed);
      var ref = refDrbg(cat(seed, new Uint8Array(Buffer.from("pairkit device DRBG"))));
      for (var n of [0, 1, 7, 31, 32, 33, 64, 100]) expect(toHex(p.randomBytes(n)), "n " + n).toBe(toHex(ref.generate(n)));
      var e = new Uint8Array(40).fill(3);
      p.reseed(e);
      ref.reseed(e);
      expect(toHex(p.randomBytes(45))).toBe(toHex(ref.generate(45)));
    });
  }

  it("is deterministic for a given seed and changes with it", () => {
    var seed = new Uint8Array(32).fill(7);
    var a = toHex(createNativeSymmetric(createFakeEspruinoCrypto() as unknown as EspruinoCrypto, seed).randomBytes(33));
    expect(toHex(createNativeSymmetric(createFakeEspruinoCrypto() as unknown as EspruinoCrypto, seed).randomBytes(33))).toBe(a);
    expect(toHex(createNativeSymmetric(createFakeEspruinoCrypto() as unknown as EspruinoCrypto, new Uint8Array(32).fill(8)).randomBytes(33))).not.toBe(a);
  });

  it("asks for reseeding after the interval and continues after a reseed", () => {
    var p = createNativeSymmetric(createFakeEspruinoCrypto() as unknown as EspruinoCrypto, new Uint8Array(32).fill(1), 3);
    p.randomBytes(16);
    p.randomBytes(16);
    p.randomBytes(16);
    expect(code(() => p.randomBytes(16))).toBe("CRYPTO_DRBG_RESEED");
    p.reseed(new Uint8Array(32).fill(2));
    expect(p.randomBytes(16).length).toBe(16);
  });

  it("rejects short entropy and bad lengths with typed errors", () => {
    var f = createFakeEspruinoCrypto() as unknown as EspruinoCrypto;
    expect(code(() => createNativeSymmetric(f, new Uint8Array(31)))).toBe("CRYPTO_BAD_LENGTH");
    expect(code(() => createNativeSymmetric(f, [1, 2] as unknown as Uint8Array))).toBe("CRYPTO_BAD_INPUT");
    var p = createNativeSymmetric(f, new Uint8Array(32));
    expect(code(() => p.randomBytes(-1))).toBe("CRYPTO_BAD_LENGTH");
    expect(code(() => p.randomBytes(65537))).toBe("CRYPTO_BAD_LENGTH");
    expect(code(() => p.randomBytes(2.5))).toBe("CRYPTO_BAD_LENGTH");
    expect(code(() => p.randomBytes("4" as unknown as number))).toBe("CRYPTO_BAD_LENGTH");
    expect(code(() => p.reseed(new Uint8Array(8)))).toBe("CRYPTO_BAD_LENGTH");
    expect(code(() => p.reseed(new Uint8Array(4097)))).toBe("CRYPTO_BAD_LENGTH");
    expect(p.randomBytes(65536).length).toBe(65536);
  });
});
