/**
 * The interpreted SHA-256 fallback (src/crypto/device/sha256.ts) against node:crypto,
 * including every padding boundary, and its cache of HMAC pad-block midstates.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes";
import { hostConvolve } from "../../src/crypto/device/common";

// Espruino's E.convolve, which the device code calls, in JavaScript.
hostConvolve();
import { sha256, sha256Forget } from "../../src/crypto/device/sha256";
import { rnd, code } from "../helpers/util";

function nodeSha(...parts: Uint8Array[]): string {
  var h = createHash("sha256");
  for (var p of parts) h.update(p);
  return h.digest("hex");
}

describe("device SHA-256 fallback", () => {
  it("matches FIPS 180-4 examples", () => {
    expect(toHex(sha256(new Uint8Array(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(sha256(new Uint8Array([0x61, 0x62, 0x63])))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    var two = new TextEncoder().encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    expect(toHex(sha256(two))).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  it("matches node:crypto at every padding boundary (55/56/63/64/65 and multiples)", () => {
    var lens = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 183, 184, 191, 192, 193, 1000];
    for (var n of lens) {
      var d = rnd(n);
      expect(toHex(sha256(d)), "length " + n).toBe(nodeSha(d));
    }
  });

  it("matches node:crypto on random lengths", () => {
    for (var i = 0; i < 200; i++) {
      var d = rnd(Math.floor(Math.random() * 600));
      expect(toHex(sha256(d))).toBe(nodeSha(d));
    }
  });

  it("hashes subarray views with their offset", () => {
    var big = rnd(300);
    for (var off of [0, 1, 3, 7, 64]) {
      var v = big.subarray(off, off + 130);
      expect(toHex(sha256(v))).toBe(nodeSha(v));
    }
  });

  it("does not modify its input", () => {
    var d = rnd(100);
    var copy = d.slice();
    sha256(d);
    expect(toHex(d)).toBe(toHex(copy));
  });

  it("caches the state after HMAC pad blocks and resumes from it correctly", () => {
    sha256Forget();
    var blocks: Uint8Array[] = [];
    for (var i = 0; i < 6; i++) {
      var blk = new Uint8Array(64).fill(i & 1 ? 0x5c : 0x36);
      blk.set(rnd(32));
      blocks.push(blk);
    }
    // Same length, same sum of squares, different bytes: different blocks.
    var p = new Uint8Array(64).fill(0x36);
    var q = new Uint8Array(64).fill(0x36);
    p[0] = 3;
    p[1] = 4;
    q[0] = 4;
    q[1] = 3;
    blocks.push(p, q);
    for (var round = 0; round < 3; round++) {
      for (var b of blocks) {
        for (var n of [0, 1, 32, 55, 56, 64, 100, 200]) {
          var data = rnd(n);
          expect(toHex(sha256(new Uint8Array(Buffer.concat([b, data])))), "length " + n).toBe(nodeSha(b, data));
        }
      }
    }
    // A cached block mutated in place is a different block.
    var m = new Uint8Array(Buffer.concat([blocks[7], rnd(10)]));
    var want = nodeSha(m);
    expect(toHex(sha256(m))).toBe(want);
    m[5] ^= 1;
    expect(toHex(sha256(m))).toBe(nodeSha(m));
    m[5] ^= 1;
    expect(toHex(sha256(m))).toBe(want);
    sha256Forget();
    expect(toHex(sha256(m))).toBe(want);
  });

  it("rejects wrong input types and sizes with typed errors", () => {
    expect(code(() => sha256([1, 2, 3] as unknown as Uint8Array))).toBe("CRYPTO_BAD_INPUT");
  });
});
