/**
 * Test helpers for sessions over faulty links:
 * - nodeSymCrypto(): a SymmetricCrypto on node:crypto (HMAC-SHA-256, HKDF, AES-128-CCM with
 *   an 8-byte tag), independent of pairkit's own CCM, for tests until the @noble provider
 *   (createNobleProvider) is wired everywhere;
 * - lossyExchange(): request/response traffic of session records over a MemoryNet pair
 *   with faults, on a virtual clock, with typed time-outs; reports what happened and what
 *   state is left behind.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes as nodeRandom } from "node:crypto";
import type { SymmetricCrypto } from "../../src/crypto/provider";
import { ctEqual, type Bytes } from "../../src/core/bytes";
import { channelOpen, channelSend, channelTick, type Channel } from "../../src/core/link";
import { CH_SESSION } from "../../src/core/frame/frame";
import { sessionNew, sessionOpen, sessionSeal, type Session } from "../../src/core/session/session";
import { createMemoryNet, type Faults, type MemoryNet } from "../../src/host/transport/memory";
import { isPairkitError } from "../../src/core/errors";

export function nodeSymCrypto(random?: (n: number) => Bytes): SymmetricCrypto {
  function hmac(k: Bytes, d: Bytes): Bytes {
    return new Uint8Array(createHmac("sha256", k).update(d).digest());
  }
  return {
    randomBytes: random || function (n: number) { return new Uint8Array(nodeRandom(n)); },
    sha256: function (d: Bytes) { return new Uint8Array(createHash("sha256").update(d).digest()); },
    hmacSha256: hmac,
    hkdfExtract: function (salt: Bytes, ikm: Bytes) { return hmac(salt.length ? salt : new Uint8Array(32), ikm); },
    hkdfExpand: function (prk: Bytes, info: Bytes, len: number) {
      var out = new Uint8Array(len);
      var t: Bytes = new Uint8Array(0);
      for (var i = 1, o = 0; o < len; i++) {
        var m = new Uint8Array(t.length + info.length + 1);
        m.set(t, 0);
        m.set(info, t.length);
        m[m.length - 1] = i;
        t = hmac(prk, m);
        out.set(t.subarray(0, Math.min(32, len - o)), o);
        o += 32;
      }
      return out;
    },
    aeadSeal: function (key: Bytes, nonce: Bytes, aad: Bytes, pt: Bytes) {
      var c = createCipheriv("aes-128-ccm", key, nonce, { authTagLength: 8 });
      c.setAAD(aad, { plaintextLength: pt.length });
      var ct = c.update(pt);
      c.final();
      var tag = c.getAuthTag();
      var out = new Uint8Array(ct.length + 8);
      out.set(ct, 0);
      out.set(tag, ct.length);
      return out;
    },
    aeadOpen: function (key: Bytes, nonce: Bytes, aad: Bytes, ct: Bytes) {
      if (ct.length < 8) return null;
      try {
        var d = createDecipheriv("aes-128-ccm", key, nonce, { authTagLength: 8 });
        d.setAuthTag(ct.subarray(ct.length - 8));
        d.setAAD(aad, { plaintextLength: ct.length - 8 });
        var pt = d.update(ct.subarray(0, ct.length - 8));
        d.final();
        return new Uint8Array(pt);
      } catch (e) {
        return null;
      }
    },
    ctEqual: ctEqual
  };
}

export interface ExchangeOptions {
  seed: number;
  faults: Faults;
  /** Requests to send (each waits for its echo). */
  count: number;
  mtu?: number;
  /** Largest request payload (default 300). */
  maxSize?: number;
  /** Per-request deadline in ms (default 500). */
  deadlineMs?: number;
  /** Framer partial-message time-out in ms (default 300). */
  frameTimeoutMs?: number;
}

export interface ExchangeResult {
  completed: number;
  timeouts: number;
  /** Every error code seen (typed errors only; anything else fails the test). */
  codes: { [code: string]: number };
  untyped: number;
  net: MemoryNet;
  a: Channel;
  b: Channel;
  sa: Session;
  sb: Session;
}

/**
 * A sends numbered requests as session records on CH_SESSION and waits for each echo with
 * a deadline; B opens each record and echoes it. Every request either completes (the
 * echo matches) or times out with LINK_TIMEOUT. At the end the clock runs past every
 * time-out and both channels are ticked so that the caller can check for leftover state.
 */
export function lossyExchange(o: ExchangeOptions): ExchangeResult {
  var c = nodeSymCrypto();
  var net = createMemoryNet({ seed: o.seed });
  var ends = net.pair({ mtu: o.mtu || 20, faults: o.faults });
  var fo = { timeout: o.frameTimeoutMs || 300, maxMsg: 1024 };
  var a = channelOpen(ends[0], net.now, fo);
  var b = channelOpen(ends[1], net.now, fo);
  var prk = new Uint8Array(32).fill(7);
  var sa = sessionNew(c, prk, true);
  var sb = sessionNew(c, prk, false);
  var res: ExchangeResult = { completed: 0, timeouts: 0, codes: {}, untyped: 0, net: net, a: a, b: b, sa: sa, sb: sb };
  var maxSize = o.maxSize || 300;
  var deadlineMs = o.deadlineMs || 500;
  var cur = -1;
  var want: Bytes | null = null;
  var deadline = 0;

  function note(e: unknown): void {
    if (isPairkitError(e)) res.codes[e.code] = (res.codes[e.code] || 0) + 1;
    else res.untyped++;
  }
  function next(): void {
    cur++;
    if (cur >= o.count) {
      want = null;
      return;
    }
    var n = 4 + Math.floor(net.random() * (maxSize - 3));
    var p = new Uint8Array(n);
    for (var i = 0; i < n; i++) p[i] = Math.floor(net.random() * 256);
    p[0] = cur >> 8;
    p[1] = cur & 255;
    want = p;
    deadline = net.now() + deadlineMs;
    a.deadline = deadline;
    try {
      channelSend(a, CH_SESSION, sessionSeal(sa, p));
    } catch (e) {
      note(e);
    }
  }
  a.onMessage = function (_ch, msg) {
    try {
      var pt = sessionOpen(sa, msg);
      if (want && pt && pt.length === want.length && ctEqual(pt, want)) {
        res.completed++;
        next();
        return;
      }
      res.codes.STALE = (res.codes.STALE || 0) + 1;
    } catch (e) {
      note(e);
    }
    // Not the answer we wait for: keep waiting, unless nothing is awaited any more (a late
    // duplicate after the last echo must not re-arm the time-out and count a 41st exchange).
    if (want) a.deadline = deadline;
  };
  a.onError = function (e) {
    note(e);
    if (e.code === "LINK_TIMEOUT") {
      res.timeouts++;
      next();
    }
  };
  b.onMessage = function (_ch, msg) {
    try {
      var pt = sessionOpen(sb, msg);
      if (pt) channelSend(b, CH_SESSION, sessionSeal(sb, pt));
    } catch (e) {
      note(e);
    }
  };
  b.onError = note;

  next();
  for (var steps = 0; cur < o.count && steps < 100000; steps++) {
    net.advance(5);
    channelTick(a);
    channelTick(b);
  }
  // Let everything in flight land, then run the clock past every time-out.
  net.run(10000);
  net.advance(Math.max(deadlineMs, o.frameTimeoutMs || 300) + 10);
  channelTick(a);
  channelTick(b);
  return res;
}

