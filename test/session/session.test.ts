import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { nodeSymCrypto } from "../helpers/lossy-link";
import {
  sessionNew, sessionSeal, sessionOpen, sessionClose, sessionUpdate,
  LABEL_SESSION_I2R, LABEL_SESSION_R2I, REC_CLOSE, REC_CONFIRM, REC_DATA, KEYS_KEY, KEYS_IV, KEYS_RX, type Session
} from "../../src/core/session/session";
import { edhocExporter, edhocKeyUpdate } from "../../src/core/edhoc/kdf";
import { toHex, EMPTY, type Bytes } from "../../src/core/bytes";
import { isPairkitError } from "../../src/core/errors";
import type { SymmetricCrypto } from "../../src/crypto/provider";

var c = nodeSymCrypto();
var PRK = new Uint8Array(32).map(function (_, i) { return i * 7 + 1; });

function pair(opts?: Parameters<typeof sessionNew>[3]): [Session, Session] {
  return [sessionNew(c, PRK, true, opts), sessionNew(c, PRK, false, opts)];
}

/** Views of the session's key buffer: send key and PRK, receive key and PRK. */
function sk(s: Session): Bytes { return s.k.subarray(KEYS_KEY, KEYS_IV); }
function sp(s: Session): Bytes { return s.k.subarray(0, KEYS_KEY); }
function rk(s: Session): Bytes { return s.k.subarray(KEYS_RX + KEYS_KEY, KEYS_RX + KEYS_IV); }
function rp(s: Session): Bytes { return s.k.subarray(KEYS_RX, KEYS_RX + KEYS_KEY); }

/** Everything an open may change, as a comparable string. */
function snap(s: Session): string {
  return [toHex(s.k), s.re, s.rn, s.w0, s.w1, s.se, s.sn, s.proven, s.closed].join("|");
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isPairkitError(e)) return e.code;
    return "UNTYPED:" + String(e);
  }
  return "OK";
}

function bytes(n: number, seed: number): Bytes {
  var b = new Uint8Array(n);
  for (var i = 0; i < n; i++) b[i] = (i * 31 + seed * 17) & 255;
  return b;
}

describe("session records", function () {
  it("round trip in both directions, overhead 10 bytes, 11 from sequence 256", function () {
    var p = pair();
    var sizes = [0, 1, 15, 16, 17, 100, 1024];
    for (var i = 0; i < sizes.length; i++) {
      var m = bytes(sizes[i], i);
      var r = sessionSeal(p[0], m);
      expect(r.length).toBe(m.length + 10);
      expect(sessionOpen(p[1], r)).toEqual(m);
      var r2 = sessionSeal(p[1], m);
      expect(sessionOpen(p[0], r2)).toEqual(m);
    }
    for (i = p[0].sn; i < 256; i++) sessionOpen(p[1], sessionSeal(p[0], EMPTY));
    var r3 = sessionSeal(p[0], bytes(5, 1));
    expect(r3.length).toBe(5 + 11);
    expect(r3[0] & 7).toBe(2);
    expect(sessionOpen(p[1], r3)).toEqual(bytes(5, 1));
    expect(p[1].proven).toBe(true);
  });

  it("derives keys and IVs from the documented exporter labels and builds OSCORE-style nonces", function () {
    var seen: { key: string; nonce: string; aad: string }[] = [];
    var spy: SymmetricCrypto = Object.assign({}, c, {
      aeadSeal: function (k: Bytes, n: Bytes, a: Bytes, p: Bytes) {
        seen.push({ key: toHex(k), nonce: toHex(n), aad: toHex(a) });
        return c.aeadSeal(k, n, a, p);
      }
    });
    var i2r = edhocExporter(c, PRK, LABEL_SESSION_I2R, EMPTY, 29);
    var r2i = edhocExporter(c, PRK, LABEL_SESSION_R2I, EMPTY, 29);
    var a = sessionNew(spy, PRK, true);
    var b = sessionNew(spy, PRK, false);
    for (var i = 0; i < 300; i++) sessionSeal(a, EMPTY);
    sessionSeal(b, EMPTY);
    expect(seen[0].key).toBe(toHex(i2r.subarray(0, 16)));
    expect(seen[300].key).toBe(toHex(r2i.subarray(0, 16)));
    var iv = i2r.subarray(16);
    for (var q of [0, 1, 255, 256, 299]) {
      var n = new Uint8Array(iv);
      n[12] ^= q & 255;
      n[11] ^= q >> 8;
      expect(seen[q].nonce).toBe(toHex(n));
    }
    expect(seen[0].aad).toBe("0100");
    expect(seen[256].aad).toBe("020100");
    expect(toHex(sk(b))).toBe(toHex(r2i.subarray(0, 16)));
    // The receive side holds the peer's send key and IV; both PRKs start as PRK_out.
    expect(toHex(b.k.subarray(KEYS_RX + KEYS_KEY))).toBe(toHex(i2r));
    expect(toHex(sp(a)) + toHex(rp(a))).toBe(toHex(PRK) + toHex(PRK));
  });

  it("refuses replayed records without changing state", function () {
    var p = pair();
    var r = sessionSeal(p[0], bytes(10, 1));
    sessionOpen(p[1], r);
    var before = snap(p[1]);
    expect(code(function () { sessionOpen(p[1], r); })).toBe("SESSION_REPLAY");
    expect(snap(p[1])).toBe(before);
  });

  it("accepts reordering inside the 64-record window and refuses beyond it", function () {
    var p = pair();
    var recs: Bytes[] = [];
    for (var i = 0; i < 200; i++) recs.push(sessionSeal(p[0], bytes(3, i)));
    // Deliver 100 first, then everything older that is still inside the window, newest first.
    expect(sessionOpen(p[1], recs[100])).toEqual(bytes(3, 100));
    for (i = 99; i >= 37; i--) expect(sessionOpen(p[1], recs[i])).toEqual(bytes(3, i));
    var before = snap(p[1]);
    expect(code(function () { sessionOpen(p[1], recs[36]); })).toBe("SESSION_REPLAY");
    expect(code(function () { sessionOpen(p[1], recs[0]); })).toBe("SESSION_REPLAY");
    expect(code(function () { sessionOpen(p[1], recs[50]); })).toBe("SESSION_REPLAY");
    expect(snap(p[1])).toBe(before);
    // A jump of more than 64 forgets everything older.
    expect(sessionOpen(p[1], recs[190])).toEqual(bytes(3, 190));
    expect(code(function () { sessionOpen(p[1], recs[120]); })).toBe("SESSION_REPLAY");
    expect(sessionOpen(p[1], recs[130])).toEqual(bytes(3, 130));
    expect(code(function () { sessionOpen(p[1], recs[101]); })).toBe("SESSION_REPLAY");
    expect(code(function () { sessionOpen(p[1], recs[130]); })).toBe("SESSION_REPLAY");
  });

  it("property: the replay window accepts exactly the records a 64-record sliding window model accepts", function () {
    var p = pair();
    var sent: Bytes[] = [];
    for (var i = 0; i < 400; i++) sent.push(sessionSeal(p[0], bytes(1, i)));
    fc.assert(fc.property(fc.array(fc.nat(399), { maxLength: 150 }), function (order) {
      var r = sessionNew(c, PRK, false);
      var seen: { [q: number]: boolean } = {};
      var top = -1;
      for (var j = 0; j < order.length; j++) {
        var q = order[j];
        var want = q > top - 64 && !seen[q];
        var got = code(function () { sessionOpen(r, sent[q]); });
        if (got !== (want ? "OK" : "SESSION_REPLAY")) return false;
        if (want) {
          seen[q] = true;
          if (q > top) top = q;
        }
      }
      return true;
    }), { numRuns: 300 });
  });

  it("refuses every tampered record (any bit, any byte) without changing state", function () {
    var p = pair();
    sessionOpen(p[1], sessionSeal(p[0], bytes(4, 0)));
    var r = sessionSeal(p[0], bytes(20, 2));
    var before = snap(p[1]);
    for (var i = 0; i < r.length; i++) {
      for (var bit = 0; bit < 8; bit++) {
        var t = new Uint8Array(r);
        t[i] ^= 1 << bit;
        var cd = code(function () { sessionOpen(p[1], t); });
        expect(cd).toMatch(/^SESSION_(AUTH|FORMAT|EPOCH|REPLAY|TOO_LARGE)$/);
        expect(snap(p[1])).toBe(before);
      }
    }
    expect(code(function () { sessionOpen(p[1], r.subarray(0, r.length - 1)); })).toBe("SESSION_AUTH");
    expect(code(function () { sessionOpen(p[1], r.subarray(0, 9)); })).toBe("SESSION_FORMAT");
    expect(snap(p[1])).toBe(before);
    expect(sessionOpen(p[1], r)).toEqual(bytes(20, 2));
  });

  it("enforces the maximum record size on both sides", function () {
    var p = pair({ maxPlain: 50 });
    expect(code(function () { sessionSeal(p[0], new Uint8Array(51)); })).toBe("SESSION_TOO_LARGE");
    expect(p[0].sn).toBe(0);
    var big = sessionNew(c, PRK, true, { maxPlain: 100 });
    var r = sessionSeal(big, new Uint8Array(51));
    expect(code(function () { sessionOpen(p[1], r); })).toBe("SESSION_TOO_LARGE");
    expect(sessionOpen(p[1], sessionSeal(p[0], new Uint8Array(50)))).toEqual(new Uint8Array(50));
  });

  it("updates keys automatically at the cap, in both directions; receivers follow; old epochs are refused", function () {
    var p = pair({ cap: 5 });
    for (var dir = 0; dir < 2; dir++) {
      var s = p[dir];
      var r = p[1 - dir];
      var oldKeyHex = toHex(sk(s));
      var recs: Bytes[] = [];
      for (var i = 0; i < 12; i++) recs.push(sessionSeal(s, bytes(8, i)));
      expect(s.se).toBe(2);
      expect(s.sn).toBe(2);
      expect(toHex(sk(s))).not.toBe(oldKeyHex);
      expect(toHex(s.k)).not.toContain(oldKeyHex); // overwritten
      expect((recs[4][0] >> 3) & 7).toBe(0);
      expect((recs[5][0] >> 3) & 7).toBe(1);
      expect((recs[10][0] >> 3) & 7).toBe(2);
      // Receiver: epoch 0 and 1 in order, keeps a late epoch-1 record for later.
      for (i = 0; i < 9; i++) expect(sessionOpen(r, recs[i])).toEqual(bytes(8, i));
      expect(r.re).toBe(1);
      var rk1 = toHex(rk(r));
      expect(sessionOpen(r, recs[10])).toEqual(bytes(8, 10));
      expect(r.re).toBe(2);
      expect(toHex(r.k)).not.toContain(rk1); // overwritten
      expect(toHex(rk(r))).toBe(toHex(sk(s)));
      var before = snap(r);
      expect(code(function () { sessionOpen(r, recs[9]); })).toBe("SESSION_EPOCH");
      expect(code(function () { sessionOpen(r, recs[3]); })).toBe("SESSION_EPOCH");
      expect(snap(r)).toBe(before);
      expect(sessionOpen(r, recs[11])).toEqual(bytes(8, 11));
    }
    // Keys of each epoch follow EDHOC_KeyUpdate.
    var prk2 = edhocKeyUpdate(c, edhocKeyUpdate(c, PRK, EMPTY), EMPTY);
    expect(toHex(sp(p[0]))).toBe(toHex(prk2));
    expect(toHex(sk(p[0]))).toBe(toHex(edhocExporter(c, prk2, LABEL_SESSION_I2R, EMPTY, 29).subarray(0, 16)));
  });

  it("never follows an epoch change on an unauthenticated record", function () {
    var p = pair({ cap: 2 });
    var recs: Bytes[] = [];
    for (var i = 0; i < 3; i++) recs.push(sessionSeal(p[0], bytes(5, i)));
    sessionOpen(p[1], recs[0]);
    var before = snap(p[1]);
    var forged = new Uint8Array(recs[2]);
    forged[forged.length - 1] ^= 1;
    expect(code(function () { sessionOpen(p[1], forged); })).toBe("SESSION_AUTH");
    var fake = new Uint8Array(18);
    fake[0] = (1 << 3) | 1;
    expect(code(function () { sessionOpen(p[1], fake); })).toBe("SESSION_AUTH");
    expect(snap(p[1])).toBe(before);
    expect(p[1].re).toBe(0);
    expect(sessionOpen(p[1], recs[2])).toEqual(bytes(5, 2));
    expect(p[1].re).toBe(1);
  });

  it("refuses at the cap when key update is off and never reuses a nonce", function () {
    var p = pair({ cap: 3, autoUpdate: false });
    for (var i = 0; i < 3; i++) sessionSeal(p[0], EMPTY);
    var before = snap(p[0]);
    expect(code(function () { sessionSeal(p[0], EMPTY); })).toBe("SESSION_EXHAUSTED");
    expect(code(function () { sessionSeal(p[0], EMPTY); })).toBe("SESSION_EXHAUSTED");
    expect(snap(p[0])).toBe(before);
    // An explicit update restores service with new keys.
    sessionUpdate(p[0]);
    expect(p[0].se).toBe(1);
    sessionSeal(p[0], EMPTY);
  });

  it("property: no (key, nonce) pair ever repeats across key updates", function () {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 60 }), function (cap, n) {
      var used: { [k: string]: 1 } = {};
      var spy: SymmetricCrypto = Object.assign({}, c, {
        aeadSeal: function (k: Bytes, nn: Bytes, a: Bytes, pt: Bytes) {
          var key = toHex(k) + "/" + toHex(nn);
          if (used[key]) throw new Error("nonce reuse");
          used[key] = 1;
          return c.aeadSeal(k, nn, a, pt);
        }
      });
      var a = sessionNew(spy, PRK, true, { cap: cap });
      var b = sessionNew(spy, PRK, false, { cap: cap });
      for (var i = 0; i < n; i++) {
        sessionSeal(a, EMPTY);
        sessionSeal(b, EMPTY);
      }
      return Object.keys(used).length === 2 * n;
    }), { numRuns: 60 });
  });

  it("close records close both ends and wipe keys; confirm records are authenticated but carry no data", function () {
    var p = pair();
    var conf = sessionSeal(p[0], EMPTY, REC_CONFIRM);
    expect(conf[0] >> 6).toBe(REC_CONFIRM);
    expect(sessionOpen(p[1], conf)).toBe(null);
    expect(p[1].proven).toBe(true);
    var keys = [sk(p[0]), rk(p[0]), sp(p[0])];
    var cl = sessionSeal(p[0], EMPTY, REC_CLOSE);
    expect(p[0].closed).toBe(true);
    for (var k of keys) expect(toHex(k)).toMatch(/^(00)+$/);
    expect(toHex(p[0].k)).toMatch(/^(00)+$/);
    expect(code(function () { sessionSeal(p[0], EMPTY); })).toBe("SESSION_CLOSED");
    expect(sessionOpen(p[1], cl)).toBe(null);
    expect(p[1].closed).toBe(true);
    expect(code(function () { sessionOpen(p[1], cl); })).toBe("SESSION_CLOSED");
    expect(code(function () { sessionSeal(p[1], EMPTY, 3); })).toBe("SESSION_CLOSED");
    var q = pair();
    sessionClose(q[0]);
    expect(toHex(rp(q[0]))).toMatch(/^(00)+$/);
    expect(code(function () { sessionSeal(q[1], EMPTY, 3); })).toBe("SESSION_BAD_TYPE");
    expect(code(function () { sessionNew(c, new Uint8Array(31), true); })).toBe("SESSION_BAD_KEY");
    expect(code(function () { sessionNew(c, PRK, true, { cap: 0 }); })).toBe("SESSION_BAD_OPTION");
    expect(REC_DATA).toBe(0);
  });

  it("property: random bytes never open and never change state; errors are typed", function () {
    var p = pair();
    sessionOpen(p[1], sessionSeal(p[0], bytes(3, 3)));
    var before = snap(p[1]);
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), function (junk) {
      var cd = code(function () { sessionOpen(p[1], junk); });
      return /^SESSION_/.test(cd) && snap(p[1]) === before;
    }), { numRuns: 500 });
  });

  it("property: a model of delivery with duplicates, reordering and tampering", function () {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(40), fc.constantFrom("deliver", "dup", "tamper")), { maxLength: 120 }), function (ops) {
      var p = pair({ cap: 7 });
      var sent: Bytes[] = [];
      for (var i = 0; i < 40; i++) sent.push(sessionSeal(p[0], bytes(2, i)));
      var accepted: { [i: number]: boolean } = {};
      var maxAccepted = -1;
      for (var j = 0; j < ops.length; j++) {
        var idx = ops[j][0] % sent.length;
        var rec = new Uint8Array(sent[idx]);
        if (ops[j][1] === "tamper") rec[rec.length - 1 - (j % 8)] ^= 0x40;
        var before = snap(p[1]);
        var cd = code(function () { sessionOpen(p[1], rec); });
        if (cd === "OK") {
          if (ops[j][1] === "tamper" || accepted[idx]) return false; // never a forgery, never twice
          accepted[idx] = true;
          if (idx > maxAccepted) maxAccepted = idx;
        } else {
          if (snap(p[1]) !== before) return false;
          if (!/^SESSION_(AUTH|REPLAY|EPOCH)$/.test(cd)) return false;
        }
      }
      return true;
    }), { numRuns: 200 });
  });
});
