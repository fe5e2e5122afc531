/**
 * AES-CCM as pairkit uses it: the shared ccm() composition over @noble's AES (both the
 * block-only path and the CTR/CBC-MAC fast paths) and the provider's AES-CCM-16-64-128.
 *
 * References: node:crypto (OpenSSL) aes-128-ccm; RFC 3610 section 8 packet vectors;
 * NIST SP 800-38C Appendix C examples; Wycheproof aes_ccm_test.json.
 */
import { createCipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/core/bytes";
import type { PairkitError } from "../../src/core/errors";
import { ccm } from "../../src/crypto/ccm";
import type { BlockCipher } from "../../src/crypto/ccm";
import { createNobleProvider, nobleAes } from "../../src/crypto/noble";
import { blockModes } from "../../src/crypto/device/aes";

var provider = createNobleProvider();
/** The same AES one block at a time: CBC-MAC and CTR from the device's generic block modes. */
var blockOnly: BlockCipher = blockModes(nobleAes.encryptBlock);

function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array, tagLen: number): Uint8Array {
  var c = createCipheriv("aes-128-ccm", key, nonce, { authTagLength: tagLen });
  c.setAAD(aad, { plaintextLength: pt.length });
  // OpenSSL's CCM needs update() even for an empty payload.
  var body = Buffer.concat([c.update(pt), c.final()]);
  return new Uint8Array(Buffer.concat([body, c.getAuthTag()]));
}

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as PairkitError).code;
  }
  return undefined;
}

function rnd(n: number): Uint8Array {
  return provider.randomBytes(n);
}

describe("AES-CCM-16-64-128 against node:crypto", () => {
  it("agrees on random keys, nonces, AAD and payloads (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 13, maxLength: 13 }),
        fc.uint8Array({ maxLength: 70 }),
        fc.uint8Array({ maxLength: 300 }),
        (key, nonce, aad, pt) => {
          var want = nodeSeal(key, nonce, aad, pt, 8);
          var got = provider.aeadSeal(key, nonce, aad, pt);
          expect(toHex(got)).toBe(toHex(want));
          var back = provider.aeadOpen(key, nonce, aad, want);
          expect(back).not.toBeNull();
          expect(toHex(back as Uint8Array)).toBe(toHex(pt));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("agrees at AAD and payload length boundaries (2-byte and 6-byte AAD headers, empty parts)", () => {
    var key = rnd(16);
    var aadLens = [0, 1, 13, 14, 15, 16, 17, 0xfeff, 0xff00, 0xff01, 0x10000];
    var ptLens = [0, 1, 15, 16, 17, 64];
    for (var a of aadLens) {
      for (var p of ptLens) {
        var nonce = rnd(13);
        var aad = rnd(a);
        var pt = rnd(p);
        var want = nodeSeal(key, nonce, aad, pt, 8);
        expect(toHex(provider.aeadSeal(key, nonce, aad, pt)), "aad " + a + " pt " + p).toBe(toHex(want));
        expect(toHex(provider.aeadOpen(key, nonce, aad, want) as Uint8Array)).toBe(toHex(pt));
      }
    }
  });

  it("handles the largest payload the 13-byte nonce allows and refuses one byte more", () => {
    var key = rnd(16);
    var nonce = rnd(13);
    var aad = rnd(5);
    var pt = rnd(65535);
    var want = nodeSeal(key, nonce, aad, pt, 8);
    expect(toHex(provider.aeadSeal(key, nonce, aad, pt))).toBe(toHex(want));
    expect(errorCode(() => provider.aeadSeal(key, nonce, aad, new Uint8Array(65536)))).toBe("CRYPTO_TOO_LONG");
  });

  it("ccm() agrees with node for every nonce length 7..13 and tag length 4..16, both paths", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 7, max: 13 }),
        fc.integer({ min: 2, max: 8 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ minLength: 13, maxLength: 13 }),
        (n, halfTag, key, aad, pt, nonceBytes) => {
          var nonce = nonceBytes.subarray(0, n);
          var tagLen = halfTag * 2;
          var want = toHex(nodeSeal(key, nonce, aad, pt, tagLen));
          expect(toHex(ccm(nobleAes, key, nonce, aad, pt, tagLen, false) as Uint8Array)).toBe(want);
          expect(toHex(ccm(blockOnly, key, nonce, aad, pt, tagLen, false) as Uint8Array)).toBe(want);
          expect(toHex(ccm(blockOnly, key, nonce, aad, fromHex(want), tagLen, true) as Uint8Array)).toBe(toHex(pt));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("noble fast paths keep the contract ccm.ts documents", () => {
  function nodeCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): string {
    var c = createCipheriv("aes-128-ctr", key, iv);
    return Buffer.concat([c.update(data), c.final()]).toString("hex");
  }

  it("ctr increments the full 128-bit big-endian counter and leaves the caller's counter block alone", () => {
    var key = rnd(16);
    var data = rnd(16 * 5 + 3);
    var prefix = rnd(16);
    // Counter blocks whose low bytes carry across 8-, 32-, 64- and 128-bit boundaries.
    var tails = ["fe", "fffffffe", "fffffffffffffffd", "fffffffffffffffffffffffffffffffe"];
    for (var t of tails) {
      var iv = new Uint8Array(prefix);
      iv.set(fromHex(t), 16 - t.length / 2);
      var before = toHex(iv);
      expect(toHex(nobleAes.ctr!(key, iv, data)), t).toBe(nodeCtr(key, iv, data));
      expect(toHex(iv)).toBe(before);
    }
  });

  it("cbcMac is the last block of AES-CBC with a zero IV", () => {
    var key = rnd(16);
    for (var blocks of [1, 2, 7]) {
      var data = rnd(16 * blocks);
      var c = createCipheriv("aes-128-cbc", key, new Uint8Array(16));
      c.setAutoPadding(false);
      var full = Buffer.concat([c.update(data), c.final()]);
      expect(toHex(nobleAes.cbcMac!(key, data))).toBe(full.subarray(full.length - 16).toString("hex"));
    }
  });

  it("encryptBlock is AES-128 (FIPS 197 Appendix C.1)", () => {
    var out = nobleAes.encryptBlock(fromHex("000102030405060708090a0b0c0d0e0f"), fromHex("00112233445566778899aabbccddeeff"));
    expect(toHex(out)).toBe("69c4e0d86a7b0430d8cdb78070b4c55a");
  });
});

/**
 * RFC 3610 section 8, packet vectors #1..#24 (AES-128, L = 2, 13-byte nonce). The RFC
 * prints each packet as header || payload; here the header is the AAD and the expected
 * output is the encrypted payload followed by the tag. M (the tag length) is 8 for
 * #1-#6 and #13-#18, 10 for #7-#12 and #19-#24; only the M = 8 ones are exactly
 * AES-CCM-16-64-128, the others go through ccm() directly.
 */
var K1 = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
var K2 = "d7828d13b2b0bdc325a76236df93cc6b";
var H8 = "0001020304050607";
var H12 = "000102030405060708090a0b";
var P23 = "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e";
var P19 = "0c0d0e0f101112131415161718191a1b1c1d1e";
var RFC3610: [number, string, string, string, string, string][] = [
  [1, K1, "00000003020100a0a1a2a3a4a5", H8, P23, "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"],
  [2, K1, "00000004030201a0a1a2a3a4a5", H8, P23 + "1f", "72c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3ba091d56e10400916"],
  [3, K1, "00000005040302a0a1a2a3a4a5", H8, P23 + "1f20", "51b1e5f44a197d1da46b0f8e2d282ae871e838bb64da8596574adaa76fbd9fb0c5"],
  [4, K1, "00000006050403a0a1a2a3a4a5", H12, P19, "a28c6865939a9a79faaa5c4c2a9d4a91cdac8c96c861b9c9e61ef1"],
  [5, K1, "00000007060504a0a1a2a3a4a5", H12, P19 + "1f", "dcf1fb7b5d9e23fb9d4e131253658ad86ebdca3e51e83f077d9c2d93"],
  [6, K1, "00000008070605a0a1a2a3a4a5", H12, P19 + "1f20", "6fc1b011f006568b5171a42d953d469b2570a4bd87405a0443ac91cb94"],
  [7, K1, "00000009080706a0a1a2a3a4a5", H8, P23, "0135d1b2c95f41d5d1d4fec185d166b8094e999dfed96c048c56602c97acbb7490"],
  [8, K1, "0000000a090807a0a1a2a3a4a5", H8, P23 + "1f", "7b75399ac0831dd2f0bbd75879a2fd8f6cae6b6cd9b7db24c17b4433f434963f34b4"],
  [9, K1, "0000000b0a0908a0a1a2a3a4a5", H8, P23 + "1f20", "82531a60cc24945a4b8279181ab5c84df21ce7f9b73f42e197ea9c07e56b5eb17e5f4e"],
  [10, K1, "0000000c0b0a09a0a1a2a3a4a5", H12, P19, "07342594157785152b074098330abb141b947b566aa9406b4d999988dd"],
  [11, K1, "0000000d0c0b0aa0a1a2a3a4a5", H12, P19 + "1f", "676bb20380b0e301e8ab79590a396da78b834934f53aa2e9107a8b6c022c"],
  [12, K1, "0000000e0d0c0ba0a1a2a3a4a5", H12, P19 + "1f20", "c0ffa0d6f05bdb67f24d43a4338d2aa4bed7b20e43cd1aa31662e7ad65d6db"],
  [13, K2, "00412b4ea9cdbe3c9696766cfa", "0be1a88bace018b1", "08e8cf97d820ea258460e96ad9cf5289054d895ceac47c", "4cb97f86a2a4689a877947ab8091ef5386a6ffbdd080f8e78cf7cb0cddd7b3"],
  [14, K2, "0033568ef7b2633c9696766cfa", "63018f76dc8a1bcb", "9020ea6f91bdd85afa0039ba4baff9bfb79c7028949cd0ec", "4ccb1e7ca981befaa0726c55d378061298c85c92814abc33c52ee81d7d77c08a"],
  [15, K2, "00103fe41336713c9696766cfa", "aa6cfa36cae86b40", "b916e0eacc1c00d7dcec68ec0b3bbb1a02de8a2d1aa346132e", "b1d23a2220ddc0ac900d9aa03c61fcf4a559a4417767089708a776796edb723506"],
  [16, K2, "00764c63b8058e3c9696766cfa", "d0d0735c531e1becf049c244", "12daac5630efa5396f770ce1a66b21f7b2101c", "14d253c3967b70609b7cbb7c499160283245269a6f49975bcadeaf"],
  [17, K2, "00f8b678094e3b3c9696766cfa", "77b60f011c03e1525899bcae", "e88b6a46c78d63e52eb8c546efb5de6f75e9cc0d", "5545ff1a085ee2efbf52b2e04bee1e2336c73e3f762c0c7744fe7e3c"],
  [18, K2, "00d560912d3f703c9696766cfa", "cd9044d2b71fdb8120ea60c0", "6435acbafb11a82e2f071d7ca4a5ebd93a803ba87f", "009769ecabdf48625594c59251e6035722675e04c847099e5ae0704551"],
  [19, K2, "0042fff8f1951c3c9696766cfa", "d85bc7e69f944fb8", "8a19b950bcf71a018e5e6701c91787659809d67dbedd18", "bc218daa947427b6db386a99ac1aef23ade0b52939cb6a637cf9bec2408897c6ba"],
  [20, K2, "00920f40e56cdc3c9696766cfa", "74a0ebc9069f5b37", "1761433c37c5a35fc1f39f406302eb907c6163be38c98437", "5810e6fd25874022e80361a478e3e9cf484ab04f447efff6f0a477cc2fc9bf548944"],
  [21, K2, "0027ca0c7120bc3c9696766cfa", "44a3aa3aae6475ca", "a434a8e58500c6e41530538862d686ea9e81301b5ae4226bfa", "f2beed7bc5098e83feb5b31608f8e29c38819a89c8e776f1544d4151a4ed3a8b87b9ce"],
  [22, K2, "005b8ccbcd9af83c9696766cfa", "ec46bb63b02520c33c49fd70", "b96b49e21d621741632875db7f6c9243d2d7c2", "31d750a09da3ed7fddd49a2032aabf17ec8ebf7d22c8088c666be5c197"],
  [23, K2, "003ebe94044b9a3c9696766cfa", "47a65ac78b3d594227e85e71", "e2fcfbb880442c731bf95167c8ffd7895e337076", "e882f1dbd38ce3eda7c23f04dd65071eb41342acdf7e00dccec7ae52987d"],
  [24, K2, "008d493b30ae8b3c9696766cfa", "6e37a6ef546d955d34ab6059", "abf21c0b02feb88f856df4a37381bce3cc128517d4", "f32905b88a641b04b9c9ffb58cc390900f3da12ab16dce9e82efa16da62059"],
];

describe("RFC 3610 packet vectors", () => {
  it.each(RFC3610)("packet vector #%i", (_n, key, nonce, aad, pt, out) => {
    var k = fromHex(key);
    var n = fromHex(nonce);
    var a = fromHex(aad);
    var p = fromHex(pt);
    var tagLen = out.length / 2 - p.length;
    expect(tagLen === 8 || tagLen === 10).toBe(true);
    expect(toHex(ccm(nobleAes, k, n, a, p, tagLen, false) as Uint8Array)).toBe(out);
    expect(toHex(ccm(blockOnly, k, n, a, p, tagLen, false) as Uint8Array)).toBe(out);
    expect(toHex(ccm(nobleAes, k, n, a, fromHex(out), tagLen, true) as Uint8Array)).toBe(pt);
    if (tagLen === 8) {
      expect(toHex(provider.aeadSeal(k, n, a, p))).toBe(out);
      expect(toHex(provider.aeadOpen(k, n, a, fromHex(out)) as Uint8Array)).toBe(pt);
    }
  });
});

describe("NIST SP 800-38C Appendix C", () => {
  var K = "404142434445464748494a4b4c4d4e4f";
  var a4 = new Uint8Array(65536);
  for (var i = 0; i < a4.length; i++) a4[i] = i & 255;
  // [example, Tlen bytes, N, A, P, C (ciphertext || tag)]
  var cases: [number, number, string, string, string, string][] = [
    [1, 4, "10111213141516", "0001020304050607", "20212223", "7162015b4dac255d"],
    [2, 6, "1011121314151617", "000102030405060708090a0b0c0d0e0f", "202122232425262728292a2b2c2d2e2f", "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd"],
    [3, 8, "101112131415161718191a1b", "000102030405060708090a0b0c0d0e0f10111213", "202122232425262728292a2b2c2d2e2f3031323334353637", "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951"],
    // Example 4: 65536 bytes of associated data (00..ff repeated), so the 6-byte AAD header.
    [4, 14, "101112131415161718191a1b1c", "", "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f", "69915dad1e84c6376a68c2967e4dab615ae0fd1faec44cc484828529463ccf72b4ac6bec93e8598e7f0dadbcea5b"],
  ];
  it.each(cases)("example %i", (ex, tagLen, nonce, aad, pt, out) => {
    var k = fromHex(K);
    var n = fromHex(nonce);
    var a = ex === 4 ? a4 : fromHex(aad);
    var p = fromHex(pt);
    expect(toHex(ccm(nobleAes, k, n, a, p, tagLen, false) as Uint8Array)).toBe(out);
    expect(toHex(ccm(blockOnly, k, n, a, p, tagLen, false) as Uint8Array)).toBe(out);
    expect(toHex(ccm(nobleAes, k, n, a, fromHex(out), tagLen, true) as Uint8Array)).toBe(pt);
  });
});

describe("tampering", () => {
  it("changing any byte of ciphertext, tag, nonce or AAD makes open return null", () => {
    var key = rnd(16);
    var nonce = rnd(13);
    var aad = rnd(20);
    var pt = rnd(37);
    var sealed = provider.aeadSeal(key, nonce, aad, pt);
    expect(sealed.length).toBe(37 + 8);
    function flip(b: Uint8Array, i: number, bit: number): Uint8Array {
      var c = new Uint8Array(b);
      c[i] ^= 1 << bit;
      return c;
    }
    for (var i = 0; i < sealed.length; i++) {
      expect(provider.aeadOpen(key, nonce, aad, flip(sealed, i, i & 7)), "ct/tag byte " + i).toBeNull();
    }
    for (var j = 0; j < nonce.length; j++) expect(provider.aeadOpen(key, flip(nonce, j, j & 7), aad, sealed), "nonce byte " + j).toBeNull();
    for (var k = 0; k < aad.length; k++) expect(provider.aeadOpen(key, nonce, flip(aad, k, k & 7), sealed), "aad byte " + k).toBeNull();
    expect(provider.aeadOpen(flip(key, 0, 0), nonce, aad, sealed)).toBeNull();
    // Truncated, extended, tag-only, shorter than a tag, dropped AAD.
    expect(provider.aeadOpen(key, nonce, aad, sealed.subarray(0, sealed.length - 1))).toBeNull();
    var longer = new Uint8Array(sealed.length + 1);
    longer.set(sealed);
    expect(provider.aeadOpen(key, nonce, aad, longer)).toBeNull();
    expect(provider.aeadOpen(key, nonce, aad, sealed.subarray(sealed.length - 8))).toBeNull();
    expect(provider.aeadOpen(key, nonce, aad, sealed.subarray(0, 7))).toBeNull();
    expect(provider.aeadOpen(key, nonce, new Uint8Array(0), sealed)).toBeNull();
    // The untouched record still opens.
    expect(toHex(provider.aeadOpen(key, nonce, aad, sealed) as Uint8Array)).toBe(toHex(pt));
  });

  it("an empty plaintext still authenticates nonce and AAD", () => {
    var key = rnd(16);
    var nonce = rnd(13);
    var sealed = provider.aeadSeal(key, nonce, new Uint8Array([1]), new Uint8Array(0));
    expect(sealed.length).toBe(8);
    expect(provider.aeadOpen(key, nonce, new Uint8Array([1]), sealed)).toEqual(new Uint8Array(0));
    expect(provider.aeadOpen(key, nonce, new Uint8Array([2]), sealed)).toBeNull();
  });
});

describe("input checks", () => {
  var key = new Uint8Array(16);
  var nonce = new Uint8Array(13);
  var e = new Uint8Array(0);
  it("rejects wrong key and nonce lengths with typed errors", () => {
    for (var n of [0, 15, 17, 24, 32]) {
      expect(errorCode(() => provider.aeadSeal(new Uint8Array(n), nonce, e, e))).toBe("CRYPTO_BAD_KEY");
      expect(errorCode(() => provider.aeadOpen(new Uint8Array(n), nonce, e, new Uint8Array(8)))).toBe("CRYPTO_BAD_KEY");
    }
    for (var m of [0, 7, 12, 14, 16]) {
      expect(errorCode(() => provider.aeadSeal(key, new Uint8Array(m), e, e))).toBe("CRYPTO_BAD_NONCE");
      expect(errorCode(() => provider.aeadOpen(key, new Uint8Array(m), e, new Uint8Array(8)))).toBe("CRYPTO_BAD_NONCE");
    }
  });
  it("rejects arguments that are not byte arrays", () => {
    var bad = [null, undefined, "00", [0], new Uint16Array(8)] as unknown as Uint8Array[];
    for (var b of bad) {
      expect(errorCode(() => provider.aeadSeal(b, nonce, e, e))).toBe("CRYPTO_BAD_INPUT");
      expect(errorCode(() => provider.aeadSeal(key, b, e, e))).toBe("CRYPTO_BAD_INPUT");
      expect(errorCode(() => provider.aeadSeal(key, nonce, b, e))).toBe("CRYPTO_BAD_INPUT");
      expect(errorCode(() => provider.aeadOpen(key, nonce, e, b))).toBe("CRYPTO_BAD_INPUT");
    }
  });
});

interface CcmTest { tcId: number; comment: string; flags: string[]; key: string; iv: string; aad: string; msg: string; ct: string; tag: string; result: string }
interface CcmGroup { ivSize: number; keySize: number; tagSize: number; tests: CcmTest[] }
var wycheproof = JSON.parse(readFileSync(new URL("../vectors/crypto/wycheproof-aes-ccm-128.json", import.meta.url), "utf8")) as { source: { repository: string }; testGroups: CcmGroup[] };

describe("Wycheproof AES-CCM (keySize 128)", () => {
  it("names its source", () => {
    expect(wycheproof.source.repository).toContain("wycheproof");
  });
  var groups = wycheproof.testGroups.map((g) => [g.ivSize + "-bit nonce, " + g.tagSize + "-bit tag (" + g.tests.length + " tests)", g] as const);
  it.each(groups)("%s", (_name, g) => {
    var tagLen = g.tagSize / 8;
    for (var t of g.tests) {
      var id = "tcId " + t.tcId + " " + t.comment;
      var key = fromHex(t.key);
      var iv = fromHex(t.iv);
      var aad = fromHex(t.aad);
      var msg = fromHex(t.msg);
      var sealed = fromHex(t.ct + t.tag);
      if (t.result === "valid") {
        expect(toHex(ccm(nobleAes, key, iv, aad, msg, tagLen, false) as Uint8Array), id).toBe(t.ct + t.tag);
        expect(toHex(ccm(blockOnly, key, iv, aad, msg, tagLen, false) as Uint8Array), id).toBe(t.ct + t.tag);
        expect(toHex(ccm(nobleAes, key, iv, aad, sealed, tagLen, true) as Uint8Array), id).toBe(t.msg);
      } else {
        // Invalid: either a parameter ccm() refuses (typed error) or a tag that does not verify.
        var code: string | undefined;
        var opened: Uint8Array | null = null;
        try {
          opened = ccm(nobleAes, key, iv, aad, sealed, tagLen, true);
        } catch (e) {
          code = (e as PairkitError).code;
        }
        if (code === undefined) expect(opened, id).toBeNull();
        else expect(["CRYPTO_BAD_NONCE", "CRYPTO_BAD_TAG"], id).toContain(code);
        if (t.flags.indexOf("InvalidNonceSize") >= 0) expect(code, id).toBe("CRYPTO_BAD_NONCE");
        if (t.flags.indexOf("InvalidTagSize") >= 0 || t.flags.indexOf("InsecureTagSize") >= 0) expect(code, id).toBe("CRYPTO_BAD_TAG");
      }
    }
  });
});
