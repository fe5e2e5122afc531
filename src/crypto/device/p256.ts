/**
 * P-256 point decompression without BigInt: given x, find y with
 * y^2 = x^3 - 3x + b (mod p), p = 2^256 - 2^224 + 2^192 + 2^96 - 1.
 *
 * Why it exists: EDHOC sends P-256 ephemeral keys as the x-coordinate alone, and the
 * ATECC608's ECDH command needs a full point, so every handshake decompresses one key in
 * interpreted JavaScript. p = 3 (mod 4), so y = c^((p+1)/4) with c = x^3 - 3x + b, and
 * y^2 = c is checked at the end (false when c is not a square). Either root is returned:
 * ECDH only uses the x-coordinate of the shared point, which is the same for -y.
 *
 * Cost model (Espruino 2v29, measured with callgrind on the Linux build): one interpreted
 * statement costs 25-50 thousand x86 instructions, but one call of the native
 * E.convolve(a, b, offset) = sum_i a[i] * b[(i + offset) % b.length] computes a whole
 * 16-term dot product for about 40 thousand. So a field multiplication is written as a
 * handful of convolutions (no per-limb statements):
 *
 * 1. Columns: 16 limbs of 16 bits (radix X = 2^16, aligned with P-256's 32-bit structure).
 *    Column m of the product is one convolution of one operand's limbs stored reversed (A)
 *    with the other's (R, zero-padded), so 31 calls, in a loop. Doubles are exact below
 *    2^53; columns stay below 2^41.
 * 2. Fold: p(X) = X^16 - X^14 + X^12 + X^6 - 1, so X^m mod p(X) for m = 16..30 has
 *    coefficients in -3..3, and the 16 outputs are Toeplitz in four groups of rows: one
 *    convolution per output with a small Int8 kernel over the columns. A multiple of p in
 *    balanced base-2^16 digits (about 2^44 each) keeps outputs positive, and 2^52 is added so
 *    that a Uint16Array view of the Float64Array holds each output's 16-bit pieces
 *    (the mantissa of 2^52 + v is v): splitting costs nothing.
 * 3. Collapse: limb k is the sum of three pieces, one short convolution per limb (pattern
 *    1,0,0,1,0,0,1 over the pieces), written to both R and the reversed copy A, so a
 *    squaring chain needs no copying.
 * Steps 2 and 3 are unrolled; one function, sq(), runs a whole run of squarings (and the
 * multiplication that ends it) with its constants in locals.
 * Limbs stay below 2^18.4 (fixed point of the bounds above, re-derived by the tests), so
 * columns stay below 2^40.8 and outputs below 2^48. The chain for (p+1)/4 =
 * 2^254 - 2^222 + 2^190 + 2^94 is 253 squarings and 7 multiplications; with x^2, x^3 and
 * the check square, one decompression is 263 field multiplications (plus four cheap
 * canonical reductions, one of them the x < p check).
 *
 * Measured on the Linux build: about 849 million x86 instructions (0.07 s there; about 13 s
 * at the profile's nRF52 rate, so decompression dominates a handshake's interpreter time).
 * The column loop is the one trade of time for bytes: unrolled it was 781 M and 330 bytes
 * more (a loop iteration costs about 8 thousand instructions; counting down with the
 * column index as the offset keeps it that cheap: `for (i = 0; i < 31; i++)` with 30 - i
 * cost twice as much, unrolling by 4 gained 1 %). Not taken: the fold's rows 0-11 as a loop
 * of six (180 bytes less, 904 M: +6.4 %), and the collapse as a loop, which would cost
 * more (six fix-up statements for the folded-back pieces).
 * Alternatives measured and rejected: the same limbs with products as interpreted
 * statements (1734 M), the fold and collapse as interpreted sums (842 M), the fold as
 * full-width Int8 rows (815 M: zero terms of a kernel are not free), state in module
 * variables (776 M alone, 827 M behind 300 other globals), nested functions reading the
 * caller's variables directly (859 M).
 * Bytes saved without cost: the fold's constants as locals z0..z2 (16-digit literals
 * otherwise), the collapse's 131070 as o, the chain as a loop, carries with >> and &, x's
 * limbs and y's bytes by native reverse() and typed-array views, the offset that keeps
 * x^3 - 3x + b positive folded into b's limbs, and typed-array constructor aliases.
 *
 * E.convolve is required (every board in boards/ has it; SAVE_ON_FLASH builds do not). On
 * hosts, tests install ./common's jsConvolve as E.convolve, so the same code is tested there.
 *
 * All working arrays (about 1 KB) and the constants are allocated per call and freed on
 * return: decompression runs once per handshake and should not stay resident. The unrolled
 * statements in sq() were generated from p(X) and are checked statement by statement
 * by the tests.
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import { I } from "./common";

/** Espruino's native dot product (see ./common). */
declare var E: { convolve(a: ArrayLike<number>, b: ArrayLike<number>, offset: number): number };

/**
 * A y (32 bytes, big-endian) with y^2 = x^3 - 3x + b mod p for the 32-byte big-endian x,
 * or null when x >= p or when x is not the x-coordinate of a P-256 point. Which of the
 * two roots is returned is unspecified.
 */
export function p256DecompressY(x: Bytes): Bytes | null {
  if (!(x instanceof Uint8Array) || x.length !== 32) throw perr("CRYPTO_BAD_POINT", "P-256 x-coordinate must be 32 bytes");
  // H: a local alias of Uint16Array (bytes); I is ./common's Int32Array, which also holds
  // the small signed tables: an Int8Array, once used, leaves its constructor and
  // prototype in the interpreter's root for good (8 variables on 2v29).
  var i, H = Uint16Array;
  // Constants and working state live in this call's scope, not in module variables: they
  // are not resident between handshakes (about 60 variables), and a bundle's module-level
  // names are Espruino globals, found by a linear scan of the root scope: in a
  // firmware-sized bundle that scan made this function about 7 % slower. sq() copies
  // what it uses into its own locals once per call. Everything is freed on return.
  /** p in 16-bit limbs, least significant first (typed arrays: a plain array costs a variable per element). */
  var m = 65535, PL = new H([m, m, m, m, m, m, 0, 0, 0, 0, 0, 0, 1, 0, m, m]);
  /**
   * The curve's b in 16-bit limbs plus a multiple of p in balanced digits near 2^18
   * (262140, 262144 at limbs 6 and 12, 262136 at limb 14), which keeps x^3 - 3x + b
   * positive limb by limb.
   */
  var BL = new I([286791, 272334, 277562, 277450, 307442, 314447, 263856, 288025, 296632, 292500, 310609, 308199, 300007, 305718, 275920, 285378]);
  /** The canonical 16-bit limbs (value mod p) of non-negative limbs below 2^30, least significant first. */
  function canon(x: ArrayLike<number>): Int32Array {
    var o = new I(x);
    var i, t, c = 0;
    for (;;) {
      // Carries with 32-bit arithmetic: t >> 16 is floor(t / 2^16), also for negative t.
      for (i = 0; i < 16; i++) {
        t = o[i] + c;
        c = t >> 16;
        o[i] = t & 65535;
      }
      if (!c) break;
      // c * 2^256 = c * (2^224 - 2^192 - 2^96 + 1) mod p
      o[0] += c;
      o[6] -= c;
      o[12] -= c;
      o[14] += c;
      c = 0;
    }
    // 0 <= value < 2^256 < 2p: value - p, unless that borrows (value < p).
    var d = new I(16);
    for (i = 0; i < 16; i++) {
      t = o[i] - PL[i] + c;
      c = t >> 16;
      d[i] = t & 65535;
    }
    return c ? o : d;
  }
  // The value being exponentiated is in A (limbs most significant first) and in R[15..31)
  // (least significant first, zeros around: R[15 + k] is limb k).
  // G (the 16 fold outputs) and F (the 40 columns, 31..39 always zero) share one buffer.
  var A = new I(16), R = new I(46), G = new Float64Array(56), F = G.subarray(16), V = new H(G.buffer);
  var K0 = new I([1, 0, 1, 0, 0, 0, -1, 0, -1, 0, -1, 0, -1]);
  var K1 = new I([-1, 0, -1, 0, 0, 0, 2, 0, 2, 0, 1, 0, 0, 0, -1]);
  var K2 = new I([-1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0, 2]);
  var K3 = new I([1, 0, 0, 0, -1, 0, -1, 0, -1, 0, -1, 0, 0, 0, 3]);
  var Q = new I([1, 0, 0, 1, 0, 0, 1]);
  var C = E.convolve;
  /** n squarings of the value in A and R, then a multiplication by s (limbs, least significant first) if given. */
  function sq(n: number, s?: ArrayLike<number>): void {
    var a = A, r = R, f = F, g = G, w = V, c = C, k0 = K0, k1 = K1, k2 = K2, k3 = K3, q = Q, z0 = 4521191813410816, z1 = 4521191813414912, z2 = 4521191813406720, o = 131070, j, d16, d17;
    for (n += s ? 1 : 0; n--; ) {
      // The last round multiplies: the other operand replaces R's copy.
      if (!n && s) r.set(s, 15);
      // Product columns f[m] = sum over i of a[i] * r[i + m], a's limbs reversed against
      // r's: one native call each.
      for (j = 31; j--; ) f[j] = c(a, r, j);
      // Fold columns 16..30 into 16 outputs (X^16 = X^14 - X^12 - X^6 + 1), plus a multiple
      // of p that keeps every output positive (balanced digits 2^44 - 2^12, 2^44, 2^44 - 2^13),
      // plus 2^52 so its bits can be read as 16-bit pieces: z0, z1, z2.
      g[0] = c(k0, f, 16) + f[0] + z0;
      g[1] = c(k0, f, 17) + f[1] + z0;
      g[2] = c(k0, f, 18) + f[2] + z0;
      g[3] = c(k0, f, 19) + f[3] + z0;
      g[4] = c(k0, f, 20) + f[4] + z0;
      g[5] = c(k0, f, 21) + f[5] + z0;
      g[6] = c(k1, f, 16) + f[6] + z1;
      g[7] = c(k1, f, 17) + f[7] + z1;
      g[8] = c(k1, f, 18) + f[8] + z0;
      g[9] = c(k1, f, 19) + f[9] + z0;
      g[10] = c(k1, f, 20) + f[10] + z0;
      g[11] = c(k1, f, 21) + f[11] + z0;
      g[12] = c(k2, f, 16) + f[12] + z1;
      g[13] = c(k2, f, 17) + f[13] + z1;
      g[14] = c(k3, f, 16) + f[14] + z2;
      g[15] = c(k3, f, 17) + f[15] + z2;
      // Limb k = bits 0-15 of output k + bits 16-31 of output k-1 + bits 32-47 of output k-2.
      // The two pieces that land at X^16 and X^17 are folded back; offsets near o = 2^17 (a
      // multiple of p) keep the limbs that receive a negative fold positive.
      d16 = w[61] + w[58];
      d17 = w[62];
      r[15] = a[15] = w[0] + d16 + o;
      r[16] = a[14] = w[4] + w[1] + d17 + o;
      r[17] = a[13] = c(q, w, 2) + o;
      r[18] = a[12] = c(q, w, 6) + o;
      r[19] = a[11] = c(q, w, 10) + o;
      r[20] = a[10] = c(q, w, 14) + o;
      r[21] = a[9] = c(q, w, 18) - d16 + 131072;
      r[22] = a[8] = c(q, w, 22) - d17 + o;
      r[23] = a[7] = c(q, w, 26) + o;
      r[24] = a[6] = c(q, w, 30) + o;
      r[25] = a[5] = c(q, w, 34) + o;
      r[26] = a[4] = c(q, w, 38) + o;
      r[27] = a[3] = c(q, w, 42) - d16 + 131072;
      r[28] = a[2] = c(q, w, 46) - d17 + o;
      r[29] = a[1] = c(q, w, 50) + d16 + 131068;
      r[30] = a[0] = c(q, w, 54) + d17 + o;
    }
  }
  /** Makes limbs l (least significant first) the value in A and R. */
  function put(l: ArrayLike<number>): void {
    R.set(l, 15);
    A.set(l);
    A.reverse();
  }
  // x's limbs: its bytes reversed, read as little-endian 16-bit words.
  var xl = new H(new Uint8Array(x).reverse().buffer);
  // x < p: then x is its own canonical form (x is public: a plain comparison is fine).
  if (canon(xl).join() !== xl.join()) return null;
  put(xl);
  sq(1, xl);
  // c = x^3 - 3x + b (plus BL's multiple of p), made canonical so the chain starts from
  // 16-bit limbs.
  var t = R.subarray(15, 31);
  for (i = 0; i < 16; i++) t[i] += BL[i] - 3 * xl[i];
  var cc = canon(t);
  put(cc);
  // y = c^((p+1)/4) by the chain c^(2^2k - 1) = (c^(2^k - 1))^(2^k) * c^(2^k - 1) for
  // k = 1, 2, 4, 8, 16, then ((c^(2^32-1))^(2^32) * c)^(2^96) * c, then ^(2^94).
  for (i = 1; i < 32; i *= 2) sq(i, R.slice(15, 31));
  sq(32, cc);
  sq(96, cc);
  sq(94);
  var y = canon(t);
  sq(1);
  // y^2 = c? (Both are public: a plain comparison is fine.)
  if (canon(t).join() !== cc.join()) return null;
  // Big-endian bytes: the limbs as little-endian 16-bit words, least significant first, reversed.
  return new Uint8Array(new H(y).buffer).reverse();
}
