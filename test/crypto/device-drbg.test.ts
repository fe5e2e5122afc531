/**
 * HMAC_DRBG (src/crypto/device/drbg.ts) against NIST CAVP known answers, and its reseed
 * and error behaviour.
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
import type { PairkitError } from "../../src/core/errors";
import { createDrbg } from "../../src/crypto/device/drbg";
import { createHmacKdf } from "../../src/crypto/device/hmac";
import { sha256 as jsSha256, sha256Mid, sha256Resume } from "../../src/crypto/device/sha256";

function nodeHmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(data).digest());
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as PairkitError).code;
  }
  return undefined;
}

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

describe("HMAC_DRBG (SHA-256)", () => {
  for (const [label, hmac] of [
    ["node HMAC", nodeHmac],
    ["device HMAC over the JavaScript SHA-256", createHmacKdf(jsSha256, 1, { mid: sha256Mid, resume: sha256Resume }).hmac],
  ] as const) {
    it("matches the NIST CAVP no-reseed vectors with " + label, () => {
      for (var v of CAVP) {
        var d = createDrbg(hmac, fromHex(v.entropy), fromHex(v.nonce), v.pers ? fromHex(v.pers) : undefined);
        var first = d.generate(128);
        expect(toHex(first)).not.toBe(v.returned);
        expect(toHex(d.generate(128))).toBe(v.returned);
      }
    });
  }

  it("is deterministic for any request size", () => {
    var v = CAVP[0];
    var a = createDrbg(nodeHmac, fromHex(v.entropy), fromHex(v.nonce));
    var b = createDrbg(nodeHmac, fromHex(v.entropy), fromHex(v.nonce));
    expect(toHex(a.generate(33))).toBe(toHex(b.generate(33)));
    expect(a.generate(0).length).toBe(0);
    b.generate(0);
    expect(toHex(a.generate(7))).toBe(toHex(b.generate(7)));
  });

  it("asks for reseeding after the interval and continues after reseed()", () => {
    var d = createDrbg(nodeHmac, new Uint8Array(32).fill(1), new Uint8Array(16), undefined, 3);
    d.generate(16);
    d.generate(16);
    d.generate(16);
    expect(code(() => d.generate(16))).toBe("CRYPTO_DRBG_RESEED");
    d.reseed(new Uint8Array(32).fill(2));
    expect(d.generate(16).length).toBe(16);
  });

  it("changes its output with additional input and after reseeding", () => {
    var e = new Uint8Array(32).fill(7);
    var n = new Uint8Array(16).fill(9);
    var a = createDrbg(nodeHmac, e, n);
    var b = createDrbg(nodeHmac, e, n);
    expect(toHex(a.generate(32, new Uint8Array([1])))).not.toBe(toHex(b.generate(32)));
    var c = createDrbg(nodeHmac, e, n);
    var d = createDrbg(nodeHmac, e, n);
    c.reseed(new Uint8Array(32).fill(3));
    expect(toHex(c.generate(32))).not.toBe(toHex(d.generate(32)));
  });

  it("rejects short entropy, bad lengths and use after destroy with typed errors", () => {
    expect(code(() => createDrbg(nodeHmac, new Uint8Array(31), new Uint8Array(16)))).toBe("CRYPTO_BAD_LENGTH");
    expect(code(() => createDrbg(nodeHmac, [1, 2] as unknown as Uint8Array, new Uint8Array(16)))).toBe("CRYPTO_BAD_INPUT");
    var d = createDrbg(nodeHmac, new Uint8Array(32), new Uint8Array(16));
    expect(code(() => d.generate(-1))).toBe("CRYPTO_BAD_LENGTH");
    expect(code(() => d.generate(65537))).toBe("CRYPTO_BAD_LENGTH");
    expect(code(() => d.generate(2.5))).toBe("CRYPTO_BAD_LENGTH");
    expect(code(() => d.reseed(new Uint8Array(8)))).toBe("CRYPTO_BAD_LENGTH");
    d.destroy();
    expect(code(() => d.generate(1))).toBe("CRYPTO_DRBG_DEAD");
    expect(code(() => d.reseed(new Uint8Array(32)))).toBe("CRYPTO_DRBG_DEAD");
  });
});
