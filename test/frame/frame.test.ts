import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { newFramer, frameOut, frameIn, CH_EDHOC, CH_SESSION, CH_RECONNECT, FRAME_MAX_FRAGS, type Framer, type FrameMsg } from "../../src/core/frame/frame";
import { isPairkitError } from "../../src/core/errors";
import type { Bytes } from "../../src/core/bytes";

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return isPairkitError(e) ? e.code : "UNTYPED";
  }
  return "OK";
}

function msgOf(n: number, seed: number): Bytes {
  var b = new Uint8Array(n);
  for (var i = 0; i < n; i++) b[i] = (i * 13 + seed) & 255;
  return b;
}

/** Feeds writes and returns every delivered message. */
function feed(f: Framer, ws: Bytes[], now?: number): FrameMsg[] {
  var out: FrameMsg[] = [];
  for (var i = 0; i < ws.length; i++) {
    var m = frameIn(f, ws[i], now || 0);
    if (m) out.push(m);
  }
  return out;
}

function bounded(f: Framer): boolean {
  if (f.p.length > f.np) return false;
  for (var i = 0; i < f.p.length; i++) {
    var p = f.p[i];
    if (p.b && p.b.length > f.max) return false;

  }
  return true;
}

describe("framing", function () {
  it("has the documented header layout", function () {
    var f = newFramer({ mtu: 20 });
    var w = frameOut(f, CH_SESSION, msgOf(40, 1));
    expect(w.map(function (x) { return x.length; })).toEqual([20, 20, 6]);
    expect(w[0][0]).toBe(0x30);
    expect(w[0][1]).toBe(0);
    expect(w[1][1]).toBe(1);
    expect(w[2][1]).toBe(0x82);
    var w2 = frameOut(f, CH_EDHOC, msgOf(5, 1));
    expect(w2.length).toBe(1);
    expect(w2[0][0]).toBe(0x11);
    expect(w2[0][1]).toBe(0x80);
  });

  it("sender errors are typed: empty, too large, bad channel", function () {
    var f = newFramer({ mtu: 20, maxMsg: 600 });
    expect(code(function () { frameOut(f, CH_EDHOC, new Uint8Array(0)); })).toBe("FRAME_TOO_LARGE");
    expect(code(function () { frameOut(f, CH_EDHOC, new Uint8Array(601)); })).toBe("FRAME_TOO_LARGE");
    expect(code(function () { frameOut(f, 0, new Uint8Array(1)); })).toBe("FRAME_CHANNEL");
    expect(code(function () { frameOut(f, 16, new Uint8Array(1)); })).toBe("FRAME_CHANNEL");
    var g = newFramer({ mtu: 3, maxMsg: 4096 });
    expect(code(function () { frameOut(g, CH_EDHOC, new Uint8Array(FRAME_MAX_FRAGS + 1)); })).toBe("FRAME_TOO_LARGE");
    expect(frameOut(g, CH_EDHOC, new Uint8Array(FRAME_MAX_FRAGS)).length).toBe(FRAME_MAX_FRAGS);
    expect(code(function () { newFramer({ mtu: 2 }); })).toBe("FRAME_BAD_OPTION");
  });

  it("property: any message through any MTU 20..247, in any order with duplicates, reassembles exactly once", function () {
    fc.assert(fc.property(
      fc.integer({ min: 20, max: 247 }), fc.integer({ min: 1, max: 1024 }), fc.integer({ min: 1, max: 15 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 40 }),
      function (mtu, len, ch, order, dups) {
        var tx = newFramer({ mtu: mtu });
        var rx = newFramer({ mtu: 20 });
        var m = msgOf(len, mtu);
        var ws = frameOut(tx, ch, m);
        // A permutation (from `order`) plus duplicates of random fragments.
        var idx = ws.map(function (_, i) { return i; });
        for (var i = idx.length - 1; i > 0; i--) {
          var j = order[i % order.length] % (i + 1);
          var t = idx[i]; idx[i] = idx[j]; idx[j] = t;
        }
        for (i = 0; i < dups; i++) idx.splice(order[(i * 7) % order.length] % (idx.length + 1), 0, idx[order[i % order.length] % idx.length]);
        var got = feed(rx, idx.map(function (k) { return ws[k]; }));
        return got.length === 1 && got[0].ch === ch && got[0].msg.length === len &&
          Buffer.from(got[0].msg).equals(Buffer.from(m)) && rx.p.length === 0 && bounded(rx);
      }), { numRuns: 400 });
  });

  it("interleaved messages on different channels all arrive; MTU may change between messages", function () {
    var tx = newFramer({ mtu: 20 });
    var rx = newFramer({ maxPartials: 3 });
    var a = frameOut(tx, CH_EDHOC, msgOf(600, 1));
    tx.mtu = 100;
    var b = frameOut(tx, CH_SESSION, msgOf(300, 2));
    tx.mtu = 247;
    var c = frameOut(tx, CH_RECONNECT, msgOf(50, 3));
    var ws: Bytes[] = [];
    for (var i = 0; i < 40; i++) {
      if (i < a.length) ws.push(a[i]);
      if (i < b.length) ws.push(b[b.length - 1 - i]);
      if (i < c.length) ws.push(c[i]);
    }
    var got = feed(rx, ws);
    expect(got.map(function (g) { return g.ch; }).sort()).toEqual([CH_EDHOC, CH_SESSION, CH_RECONNECT]);
    for (var g of got) expect(g.msg).toEqual(g.ch === CH_EDHOC ? msgOf(600, 1) : g.ch === CH_SESSION ? msgOf(300, 2) : msgOf(50, 3));
    expect(rx.p.length).toBe(0);
  });

  it("partial messages time out; the framer holds nothing afterwards", function () {
    var tx = newFramer({ mtu: 20 });
    var rx = newFramer({ timeout: 1000 });
    var ws = frameOut(tx, CH_EDHOC, msgOf(100, 1));
    feed(rx, ws.slice(0, 3), 0);
    expect(rx.p.length).toBe(1);
    expect(frameIn(rx, null, 999)).toBe(null);
    expect(rx.p.length).toBe(1);
    frameIn(rx, null, 1001);
    expect(rx.p.length).toBe(0);
    expect(rx.expired).toBe(1);
    // The rest of the message alone is not delivered.
    expect(feed(rx, ws.slice(3), 1002).length).toBe(0);
    frameIn(rx, null, 5000);
    expect(rx.p.length).toBe(0);
  });

  it("bounds partial messages: the oldest is evicted", function () {
    var tx = newFramer({ mtu: 20 });
    var rx = newFramer({ maxPartials: 2 });
    var ms = [frameOut(tx, 1, msgOf(60, 1)), frameOut(tx, 1, msgOf(60, 2)), frameOut(tx, 1, msgOf(60, 3))];
    feed(rx, [ms[0][0], ms[1][0], ms[2][0]]);
    expect(rx.p.length).toBe(2);
    expect(rx.evicted).toBe(1);
    var got = feed(rx, ms[1].slice(1).concat(ms[2].slice(1)));
    expect(got.length).toBe(2);
  });

  it("drops duplicates of a delivered message and inconsistent or truncated fragments", function () {
    var tx = newFramer({ mtu: 20 });
    var rx = newFramer();
    var ws = frameOut(tx, 3, msgOf(50, 1));
    expect(feed(rx, ws).length).toBe(1);
    expect(feed(rx, ws).length).toBe(0);
    expect(rx.dups).toBe(3);
    var one = frameOut(tx, 3, msgOf(5, 1));
    expect(feed(rx, one.concat(one)).length).toBe(1);
    // Truncated non-last fragment: different stride -> garbage; the message cannot complete with it.
    var ws2 = frameOut(tx, 3, msgOf(50, 2));
    var g0 = rx.garbage;
    expect(feed(rx, [ws2[0], ws2[1].slice(0, 10), ws2[2]]).length).toBe(0);
    expect(rx.garbage).toBe(g0 + 1);
    expect(feed(rx, [ws2[1]]).length).toBe(1);
    // Header-only and channel-0 writes are garbage.
    feed(rx, [new Uint8Array([0x31, 0x80]), new Uint8Array([0x01, 0x80, 1]), new Uint8Array(0)]);
    expect(rx.garbage).toBe(g0 + 4);
    // Two "last" fragments, fragments beyond the last, last larger than the stride.
    var ws3 = frameOut(tx, 3, msgOf(50, 3));
    var fakeLast = new Uint8Array(ws3[1]);
    fakeLast[1] |= 0x80;
    expect(feed(rx, [ws3[2], fakeLast, ws3[0]]).length).toBe(0);
    var beyond = new Uint8Array(ws3[0]);
    beyond[1] = 5;
    feed(rx, [beyond]);
    expect(feed(rx, [ws3[1]]).length).toBe(1);
    expect(frameIn(rx, "nope" as unknown as Bytes, 0)).toBe(null);
  });

  it("the last fragment may arrive first", function () {
    var tx = newFramer({ mtu: 20 });
    var rx = newFramer();
    var ws = frameOut(tx, 2, msgOf(77, 9));
    var got = feed(rx, ws.slice().reverse());
    expect(got.length).toBe(1);
    expect(got[0].msg).toEqual(msgOf(77, 9));
  });

  it("property: random writes never throw and never grow buffers past their bounds", function () {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 260 }), { maxLength: 200 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 16, max: 2000 }),
      function (ws, np, max) {
        var rx = newFramer({ maxPartials: np, maxMsg: max, timeout: 50 });
        for (var i = 0; i < ws.length; i++) {
          var m = frameIn(rx, ws[i], i);
          if (m && (m.msg.length > max || m.msg.length < 1)) return false;
          if (!bounded(rx)) return false;
        }
        frameIn(rx, null, ws.length + 100);
        return rx.p.length === 0;
      }), { numRuns: 300 });
  });

  it("property: structured garbage (valid headers, random sizes and indices) stays bounded", function () {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 250 })), { maxLength: 300 }),
      function (hs) {
        var rx = newFramer({ maxPartials: 3, maxMsg: 700 });
        for (var i = 0; i < hs.length; i++) {
          var w = new Uint8Array(2 + hs[i][2]);
          w[0] = hs[i][0];
          w[1] = hs[i][1];
          var m = frameIn(rx, w, 0);
          if (m && m.msg.length > 700) return false;
          if (!bounded(rx)) return false;
        }
        return true;
      }), { numRuns: 300 });
  });

  it("keeps delivering after the 16 message ids wrap many times, with stray duplicates around", function () {
    var tx = newFramer({ mtu: 20 });
    var rx = newFramer();
    var n = 0;
    var prev: Bytes[] = [];
    for (var i = 0; i < 200; i++) {
      var ws = frameOut(tx, 1 + (i % 4), msgOf(1 + (i * 37) % 120, i));
      var got = feed(rx, ws.concat(prev.slice(0, 1)), i);
      n += got.length;
      prev = ws;
    }
    expect(n).toBe(200);
  });
});
