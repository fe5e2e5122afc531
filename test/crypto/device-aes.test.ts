/**
 * The interpreted AES-128 fallback (src/crypto/device/aes.ts) against node:crypto ECB and
 * FIPS 197, including its cached key schedule when keys alternate.
 */
import { createCipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/core/bytes";
import { aesEncryptBlock, aesForget } from "../../src/crypto/device/aes";
import { rnd, code } from "../helpers/util";

function nodeEcb(key: Uint8Array, block: Uint8Array): string {
  var c = createCipheriv("aes-128-ecb", key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]).toString("hex");
}

describe("device AES-128 fallback", () => {
  it("matches FIPS 197 appendix C.1", () => {
    var key = fromHex("000102030405060708090a0b0c0d0e0f");
    var pt = fromHex("00112233445566778899aabbccddeeff");
    expect(toHex(aesEncryptBlock(key, pt))).toBe("69c4e0d86a7b0430d8cdb78070b4c55a");
  });

  it("matches FIPS 197 appendix B (the cipher example)", () => {
    var key = fromHex("2b7e151628aed2a6abf7158809cf4f3c");
    var pt = fromHex("3243f6a8885a308d313198a2e0370734");
    expect(toHex(aesEncryptBlock(key, pt))).toBe("3925841d02dc09fbdc118597196a0b32");
  });

  it("matches node:crypto ECB on random keys and blocks", () => {
    for (var i = 0; i < 300; i++) {
      var k = rnd(16);
      var b = rnd(16);
      expect(toHex(aesEncryptBlock(k, b))).toBe(nodeEcb(k, b));
    }
  });

  it("gives the same results when keys alternate (the schedule cache keys on content)", () => {
    var keys = [rnd(16), rnd(16), rnd(16)];
    var blocks = [rnd(16), rnd(16)];
    for (var r = 0; r < 4; r++) {
      for (var k of keys) for (var b of blocks) expect(toHex(aesEncryptBlock(k, b))).toBe(nodeEcb(k, b));
    }
    // Mutating a key in place (same object, new content) must not reuse the old schedule.
    var key = rnd(16);
    var block = rnd(16);
    aesEncryptBlock(key, block);
    key[15] ^= 1;
    expect(toHex(aesEncryptBlock(key, block))).toBe(nodeEcb(key, block));
    aesForget();
    expect(toHex(aesEncryptBlock(key, block))).toBe(nodeEcb(key, block));
  });

  it("accepts subarray views and does not modify its inputs", () => {
    var buf = rnd(64);
    var k = buf.subarray(3, 19);
    var b = buf.subarray(21, 37);
    var before = toHex(buf);
    expect(toHex(aesEncryptBlock(k, b))).toBe(nodeEcb(k.slice(), b.slice()));
    expect(toHex(buf)).toBe(before);
  });

  it("rejects wrong key and block sizes with typed errors", () => {
    expect(code(() => aesEncryptBlock(new Uint8Array(15), new Uint8Array(16)))).toBe("CRYPTO_BAD_KEY");
    expect(code(() => aesEncryptBlock(new Uint8Array(32), new Uint8Array(16)))).toBe("CRYPTO_BAD_KEY");
    expect(code(() => aesEncryptBlock(new Uint8Array(16), new Uint8Array(17)))).toBe("CRYPTO_BAD_INPUT");
    expect(code(() => aesEncryptBlock("0123456789abcdef" as unknown as Uint8Array, new Uint8Array(16)))).toBe("CRYPTO_BAD_KEY");
  });
});
