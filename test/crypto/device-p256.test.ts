/**
 * P-256 decompression without BigInt (src/crypto/device/p256.ts): against @noble/curves on
 * random points, random (mostly non-residue) x values and edge cases; plus a structural
 * check of the generated field multiplication: every statement of sq() is parsed and
 * re-derived from the prime, and the limb bounds that keep doubles exact are
 * recomputed from the constants actually in the file.
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes";
import type { PairkitError } from "../../src/core/errors";
import { hostConvolve, jsConvolve } from "../../src/crypto/device/common";
import { p256DecompressY } from "../../src/crypto/device/p256";

// Espruino's E.convolve, which the device code calls, in JavaScript.
var hostE = hostConvolve();

var P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
var Bc = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

function big(b: Uint8Array): bigint {
  return BigInt("0x" + (toHex(b) || "0"));
}

function bytes32(v: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(v.toString(16).padStart(64, "0"), "hex"));
}

function mod(a: bigint): bigint {
  var r = a % P;
  return r < 0n ? r + P : r;
}

/** What decompression must return for x: null, or the set of valid y values. */
function expected(x: bigint): bigint[] | null {
  if (x >= P) return null;
  try {
    var pt = p256.Point.fromBytes(new Uint8Array([2, ...bytes32(x)]));
    return [pt.y, mod(-pt.y)];
  } catch (e) {
    return null;
  }
}

function check(x: Uint8Array): void {
  var want = expected(big(x));
  var got = p256DecompressY(x);
  if (want === null) {
    expect(got, "x " + toHex(x)).toBeNull();
  } else {
    expect(got, "x " + toHex(x)).not.toBeNull();
    var y = big(got as Uint8Array);
    expect(want.includes(y), "x " + toHex(x)).toBe(true);
    expect(mod(y * y)).toBe(mod(big(x) ** 3n - 3n * big(x) + Bc));
  }
}

describe("p256DecompressY", () => {
  afterEach(() => {
    hostE.convolve = jsConvolve;
  });

  it("recovers y (either root) for random public keys, as @noble/curves does", () => {
    for (var i = 0; i < 60; i++) {
      var pub = p256.getPublicKey(p256.utils.randomSecretKey(), false);
      var x = pub.slice(1, 33);
      var y = big(pub.slice(33));
      var got = p256DecompressY(x);
      expect(got).not.toBeNull();
      var gy = big(got as Uint8Array);
      expect(gy === y || gy === mod(-y)).toBe(true);
    }
  });

  it("agrees with @noble/curves on random x (about half are not on the curve)", () => {
    var none = 0;
    for (var i = 0; i < 80; i++) {
      var x = new Uint8Array(randomBytes(32));
      if (expected(big(x)) === null) none++;
      check(x);
    }
    expect(none).toBeGreaterThan(10);
  });

  it("handles edge values of x", () => {
    var edges = [0n, 1n, 2n, 3n, 4n, 2n ** 16n - 1n, 2n ** 16n, 2n ** 128n, 2n ** 255n, P - 3n, P - 2n, P - 1n, P, P + 1n, 2n ** 256n - 1n];
    for (var e of edges) check(bytes32(e));
    // The generator's x, and an x whose limbs are all 0xffff below p.
    check(bytes32(p256.Point.BASE.x));
    check(bytes32(2n ** 224n - 1n));
  });

  it("does not modify x and accepts a subarray view", () => {
    var pub = p256.getPublicKey(p256.utils.randomSecretKey(), false);
    var before = toHex(pub);
    var y = p256DecompressY(pub.subarray(1, 33));
    expect(y).not.toBeNull();
    expect(toHex(pub)).toBe(before);
  });

  it("does all its multiplications with E.convolve", () => {
    var calls = 0;
    var real = function (a: ArrayLike<number>, b: ArrayLike<number>, o: number): number {
      // Espruino's semantics: sum_i a[i] * b[(i + o) mod b.length].
      calls++;
      var l = b.length;
      var s = 0;
      o = ((o % l) + l) % l;
      for (var i = 0; i < a.length; i++) s += a[i] * b[(i + o) % l];
      return s;
    };
    hostE.convolve = real;
    check(p256.getPublicKey(p256.utils.randomSecretKey(), true).slice(1));
    // 263 field operations, each 31 + 16 + 14 convolutions.
    expect(calls).toBe(263 * 61);
  });

  it("rejects x of the wrong length or type with a typed error", () => {
    for (var bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0), "00" as unknown as Uint8Array]) {
      var c: string | undefined;
      try {
        p256DecompressY(bad);
      } catch (e) {
        c = (e as PairkitError).code;
      }
      expect(c).toBe("CRYPTO_BAD_POINT");
    }
  });
});

describe("p256 sq(): every generated statement re-derived", () => {
  var src = readFileSync(new URL("../../src/crypto/device/p256.ts", import.meta.url), "utf8");
  var start = src.indexOf("function sq(");
  var body = src.slice(start, src.indexOf("\n  }\n", start));

  /** Coefficients of X^m mod p(X), X = 2^16, p(X) = X^16 - X^14 + X^12 + X^6 - 1. */
  function xmod(m: number): number[] {
    var c = new Array(Math.max(m + 1, 16)).fill(0);
    c[m] = 1;
    for (var k = m; k >= 16; k--) {
      var v = c[k];
      c[k] = 0;
      c[k - 2] += v;
      c[k - 4] -= v;
      c[k - 10] -= v;
      c[k - 16] += v;
    }
    return c.slice(0, 16);
  }

  function weighted(v: bigint[]): bigint {
    return v.reduce((s, x, k) => s + (x << BigInt(16 * k)), 0n);
  }

  var kernels: number[][] = [];
  for (var m of src.matchAll(/K(\d) = new I\(\[([^\]]+)\]\);/g)) kernels[Number(m[1])] = m[2].split(",").map(Number);
  var pattern = (/Q = new I\(\[([^\]]+)\]\);/.exec(src) as RegExpExecArray)[1].split(",").map(Number);

  it("computes the 31 product columns with the right offsets into the reversed operand", () => {
    // a[i] = limb 15 - i of one operand, r[15 + k] = limb k of the other (zeros around), so
    // sum_i a[i] r[i + m] = sum over i + k = m of limb_i * limb_k: column m, for m = 0..30.
    expect(body).toContain("for (j = 31; j--; ) f[j] = c(a, r, j);");
    expect(src).toContain("R.set(l, 15);\n    A.set(l);\n    A.reverse();");
    var m = 7, a = Array.from({ length: 16 }, (_, i) => 100 + i), b = Array.from({ length: 16 }, (_, i) => 300 - 7 * i);
    var rr = new Array(46).fill(0);
    b.forEach((v, k) => (rr[15 + k] = v));
    var want = 0;
    for (var i = 0; i <= m; i++) if (m - i < 16) want += a[i] * b[m - i];
    expect(jsConvolve(a.slice().reverse(), rr, m)).toBe(want);
  });

  var zs: bigint[] = [];
  var rows: number[][] = [];
  it("folds the columns exactly as X^m mod p(X), plus a multiple of p and 2^52", () => {
    var zc: Record<string, string> = {};
    for (var z of body.matchAll(/(z\d) = (\d+)/g)) zc[z[1]] = z[2];
    var st = Array.from(body.matchAll(/g\[(\d+)\] = c\(k(\d), f, (\d+)\) \+ f\[(\d+)\] \+ (z\d);/g));
    expect(st.length).toBe(16);
    for (var s of st) {
      var j = Number(s[1]);
      expect(Number(s[4])).toBe(j);
      var row = new Array(40).fill(0);
      row[j] += 1;
      var k = kernels[Number(s[2])];
      for (var d = 0; d < k.length; d++) row[Number(s[3]) + d] += k[d];
      // Columns 31..39 are always zero (F has 40 entries, P writes 0..30): only 0..30 count.
      for (var mm = 0; mm < 31; mm++) expect(row[mm], "row " + j + " column " + mm).toBe(xmod(mm)[j]);
      expect(Number(s[3]) + k.length).toBeLessThanOrEqual(40);
      rows[j] = row.slice(0, 31);
      zs[j] = BigInt(zc[s[5]]) - 2n ** 52n;
    }
    expect(weighted(zs) % P).toBe(0n);
  });

  var offs: bigint[] = [];
  it("collapses the 16-bit pieces into limbs with the X^16 and X^17 pieces folded back", () => {
    var def = /d16 = w\[(\d+)\] \+ w\[(\d+)\];\s*d17 = w\[(\d+)\];/.exec(body) as RegExpExecArray;
    def[4] = (/\bo = (\d+)/.exec(body) as RegExpExecArray)[1];
    var sym: Record<string, Map<number, number>> = {
      d16: new Map([[Number(def[1]), 1], [Number(def[2]), 1]]),
      d17: new Map([[Number(def[3]), 1]]),
    };
    // limbs[k]: piece index -> coefficient
    var limbs: Map<number, number>[] = [];
    for (var s of body.matchAll(/r\[(\d+)\] = a\[(\d+)\] = (.*);/g)) {
      var k = Number(s[1]) - 15;
      expect(Number(s[2])).toBe(15 - k);
      var terms = new Map<number, number>();
      var add = (i: number, c: number): void => {
        terms.set(i, (terms.get(i) || 0) + c);
      };
      var constant = 0n;
      for (var t of s[3].matchAll(/([+-]?)\s*(c\(q, w, (\d+)\)|w\[(\d+)\]|d16|d17|\bo\b|\d+)/g)) {
        var sign = t[1] === "-" ? -1 : 1;
        if (t[3] !== undefined) pattern.forEach((p, i) => p && add(Number(t[3]) + i, sign * p));
        else if (t[4] !== undefined) add(Number(t[4]), sign);
        else if (t[2] === "d16" || t[2] === "d17") sym[t[2]].forEach((c, i) => add(i, sign * c));
        else if (t[2] === "o") constant += BigInt(sign) * BigInt(def[4]);
        else constant += BigInt(sign) * BigInt(t[2]);
      }
      limbs[k] = terms;
      offs[k] = constant;
    }
    expect(limbs.length).toBe(16);
    // Piece s = 4j + t is bits 16t..16t+15 of output j: weight X^(j+t); t = 3 is the exponent.
    for (var sIdx = 0; sIdx < 64; sIdx++) {
      var tt = sIdx % 4;
      var want = tt === 3 ? new Array(16).fill(0) : xmod(Math.floor(sIdx / 4) + tt);
      var got = limbs.map((l) => l.get(sIdx) || 0);
      expect(got, "piece " + sIdx).toEqual(want);
    }
    expect(weighted(offs) % P).toBe(0n);
  });

  it("keeps every intermediate exact: limbs < 2^19, columns < 2^41, outputs in [0, 2^48)", () => {
    expect(rows.length).toBe(16);
    expect(offs.length).toBe(16);
    var B = 65535n; // limbs of the first input (x or canonical c)
    for (var round = 0; round < 10; round++) {
      var cmax = (m: number): bigint => BigInt(Math.min(m + 1, 31 - m, 16)) * B * B;
      var hiMax = 0n;
      for (var j = 0; j < 16; j++) {
        var lo = zs[j];
        var hi = zs[j];
        for (var m = 0; m < 31; m++) {
          var c = BigInt(rows[j][m]);
          if (c > 0n) hi += c * cmax(m);
          else lo += c * cmax(m);
        }
        expect(lo >= 0n, "output " + j + " may go negative").toBe(true);
        expect(hi < 2n ** 48n, "output " + j + " may reach 2^48").toBe(true);
        if (hi >> 32n > hiMax) hiMax = hi >> 32n;
      }
      var d16 = 65535n + hiMax;
      var d17 = hiMax;
      var next = 0n;
      for (var k = 0; k < 16; k++) {
        var mx = 65535n + (k >= 1 ? 65535n : 0n) + (k >= 2 ? hiMax : 0n) + offs[k];
        var mn = offs[k];
        if (k === 0 || k === 14) mx += d16;
        if (k === 1 || k === 15) mx += d17;
        if (k === 6 || k === 12) mn -= d16;
        if (k === 7 || k === 13) mn -= d17;
        expect(mn >= 0n, "limb " + k + " may go negative").toBe(true);
        if (mx > next) next = mx;
      }
      if (next <= B) break;
      B = next;
    }
    expect(B < 2n ** 19n).toBe(true);
    expect(16n * B * B < 2n ** 41n).toBe(true);
    // Int32Array limbs and the c = x^3 - 3x + b step (x^3 limbs <= B, plus b and an offset below 2^19).
    expect(B + 65535n + 2n ** 19n < 2n ** 31n).toBe(true);
  });

  it("adds a multiple of p to x^3 - 3x + b (the offset folded into BL in p256DecompressY)", () => {
    var line = /t\[i\] \+= BL\[i\] - 3 \* xl\[i\];/;
    expect(line.test(src)).toBe(true);
    var bl = (/BL = new I\(\[([^\]]+)\]\);/.exec(src) as RegExpExecArray)[1].split(",").map((v) => BigInt(Number(v)));
    expect(bl.length).toBe(16);
    var b = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
    var limbs = Array.from({ length: 16 }, (_, i) => (b >> BigInt(16 * i)) & 0xffffn);
    var oc = bl.map((v, i) => v - limbs[i]);
    // The offsets as before: 262140, 262144 at limbs 6 and 12, 262136 at limb 14.
    expect(oc).toEqual(Array.from({ length: 16 }, (_, i) => 262140n + (i === 6 || i === 12 ? 4n : i === 14 ? -4n : 0n)));
    expect(weighted(oc) % P).toBe(0n);
    // Every limb of the sum stays positive before canon (3x's limbs are at most 3 * 65535).
    for (var v of oc) expect(v >= 3n * 65535n).toBe(true);
  });
});
