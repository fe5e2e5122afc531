/**
 * Fragmentation and reassembly of whole messages over links with small writes (BLE: 20
 * bytes by default, up to 244 after an MTU exchange). See docs/sessions.md.
 *
 * Fragment = 2-byte header || payload (at least 1 byte):
 *
 *   byte 0   cccc iiii   c = channel 1..15 (0 is invalid), i = message id mod 16
 *   byte 1   l xxxxxxx   l = last fragment, x = fragment index 0..127
 *
 * Every fragment of a message except the last carries the same payload length (the
 * stride), so a fragment's place is index * stride whatever order fragments arrive in and
 * the receiver never needs to know the sender's MTU. The sender numbers messages with one
 * counter for all channels; the receiver remembers which of the last ids completed, so a
 * duplicated fragment of a delivered message is ignored (best effort: upper layers still
 * treat duplicates as possible, the session's replay window and EDHOC's state do).
 *
 * The receive side never throws: bad input is counted (garbage, duplicates) and dropped.
 * Buffers are bounded: at most maxPartials partial messages (the oldest is evicted), each
 * at most maxMsg bytes, each at most `timeout` ms old (the caller passes the time; core
 * has no timers).
 *
 * Device code: Espruino subset. (Never `.slice` a typed array here: on Espruino 2v29 it
 * returns a plain Array; copies are `new Uint8Array(x.subarray(a, b))`.)
 */
import type { Bytes } from "../bytes";
import { perr } from "../errors";

/** Channels (the high nibble of byte 0). 5..15 are free for applications. */
export const CH_EDHOC = 1;
export const CH_ERROR = 2;
export const CH_SESSION = 3;
export const CH_RECONNECT = 4;

export const FRAME_HDR = 2;
export const FRAME_MAX_FRAGS = 128;

export interface FramerOptions {
  /** Largest write of the link in bytes, header included (default 20, at least 3). */
  mtu?: number;
  /** Largest message in bytes (default 1024). */
  maxMsg?: number;
  /** Partial messages held at once (default 2). */
  maxPartials?: number;
  /** Milliseconds a partial message may wait for its missing fragments (default 10000). */
  timeout?: number;
}

export interface FramePartial {
  /** Header byte 0 (channel and id). */
  k: number;
  /** Time of the first fragment. */
  t: number;
  /** Stride (payload of non-last fragments), 0 while unknown. */
  s: number;
  /** Reassembly buffer (allocated once the stride is known). */
  b: Bytes | null;
  /** Bitmap of received indices (128 bits). */
  g: Bytes;
  /** Fragments received. */
  c: number;
  /** Highest index received. */
  h: number;
  /** Number of fragments (0 while the last one is missing); payload length of the last. */
  n: number;
  l: number;
  /** Payload of the last fragment while the stride is unknown. */
  lp: Bytes | null;
}

export interface Framer {
  mtu: number;
  max: number;
  np: number;
  to: number;
  /** Next message id to send. */
  nid: number;
  /** Partial messages, oldest first. */
  p: FramePartial[];
  /** Receive side: bit i = message id i completed recently; newest id seen; time of the last completion. */
  done: number;
  hid: number;
  dt: number;
  /** Counters (never reset): delivered messages, dropped garbage, duplicate fragments, expired and evicted partials. */
  delivered: number;
  garbage: number;
  dups: number;
  expired: number;
  evicted: number;
}

export interface FrameMsg {
  ch: number;
  msg: Bytes;
}

export function newFramer(o?: FramerOptions): Framer {
  var x = o || {};
  var f: Framer = {
    mtu: x.mtu || 20, max: x.maxMsg || 1024, np: x.maxPartials || 2, to: x.timeout || 10000,
    nid: 0, p: [], done: 0, hid: 15, dt: 0,
    delivered: 0, garbage: 0, dups: 0, expired: 0, evicted: 0
  };
  if (!(f.mtu >= 3 && f.max >= 1 && f.np >= 1 && f.to > 0)) throw perr("FRAME_BAD_OPTION", "bad option");
  return f;
}

/**
 * Splits a message into writes of at most f.mtu bytes (f.mtu may change between
 * messages, for example after a BLE MTU exchange). Throws FRAME_TOO_LARGE or FRAME_CHANNEL:
 * those are the caller's mistakes, not the peer's.
 */
export function frameOut(f: Framer, ch: number, msg: Bytes): Bytes[] {
  if (!(ch >= 1 && ch <= 15 && ch === (ch | 0))) throw perr("FRAME_CHANNEL", "bad channel");
  var s = f.mtu - FRAME_HDR;
  var len = msg.length;
  var n = Math.ceil(len / s);
  if (s < 1 || len < 1 || len > f.max || n > FRAME_MAX_FRAGS) throw perr("FRAME_TOO_LARGE", "bad size");
  var id = f.nid;
  f.nid = (id + 1) & 15;
  // One buffer for all fragments; each write is a view of it (fewer interpreter variables
  // than one buffer per fragment).
  var all = new Uint8Array(len + FRAME_HDR * n);
  var out: Bytes[] = [];
  for (var i = 0; i < n; i++) {
    var e = i === n - 1 ? len : (i + 1) * s;
    var o = i * (s + FRAME_HDR);
    all[o] = (ch << 4) | id;
    all[o + 1] = (i === n - 1 ? 128 : 0) | i;
    all.set(msg.subarray(i * s, e), o + FRAME_HDR);
    out.push(all.subarray(o, o + FRAME_HDR + e - i * s));
  }
  return out;
}

/**
 * Takes one received write (or null to only expire old partials) at time `now` (ms).
 * Returns a completed message or null. Never throws.
 */
export function frameIn(f: Framer, d: Bytes | null, now: number): FrameMsg | null {
  var ps = f.p;
  var i;
  for (i = ps.length - 1; i >= 0; i--) {
    if (now - ps[i].t > f.to || now < ps[i].t) {
      ps.splice(i, 1);
      f.expired++;
    }
  }
  if (now - f.dt > f.to) f.done = 0;
  if (d === null || d === undefined) return null;
  try {
    if (!(d instanceof Uint8Array) || d.length <= FRAME_HDR || d[0] < 16) {
      f.garbage++;
      return null;
    }
    var k = d[0];
    var id = k & 15;
    var last = d[1] >> 7;
    var x = d[1] & 127;
    var pl = d.length - FRAME_HDR;
    var p: FramePartial | null = null;
    for (i = 0; i < ps.length; i++) if (ps[i].k === k) p = ps[i];
    var fresh = !p;
    if (!p) {
      if ((f.done >> id) & 1) {
        f.dups++;
        return null;
      }
      p = { k: k, t: now, s: 0, b: null, g: new Uint8Array(16), c: 0, h: 0, n: 0, l: 0, lp: null };
    } else if ((p.g[x >> 3] >> (x & 7)) & 1) {
      f.dups++;
      return null;
    }
    // Consistency: one last fragment, nothing beyond it, equal strides, bounded size.
    var s = p.s || (last ? 0 : pl);
    var bad = last ? (p.n > 0 || (p.c > 0 && p.h > x) || (x === 0 && !fresh) || (s > 0 && pl > s)) : ((p.n > 0 && x >= p.n - 1) || pl !== s);
    if (!bad && s > 0) {
      if (p.n > 0 && (p.l > s || (p.n - 1) * s + p.l > f.max)) bad = true;
      else if ((last ? x * s + pl : (x + 1) * s) > f.max) bad = true;
    } else if (!bad && (x + 1) * pl > f.max) bad = true; // last fragment first: the stride is at least pl
    if (bad) {
      f.garbage++;
      return null;
    }
    if (fresh) {
      // A newer id (less than half the id space ahead): ids that far ahead are not "recently done" any more.
      var ahead = (id - f.hid) & 15;
      if (ahead > 0 && ahead < 8) {
        for (i = 1; i <= ahead; i++) f.done &= ~(1 << ((f.hid + i + 8) & 15));
        f.hid = id;
      }
      if (last && x === 0) {
        // A message of one fragment.
        f.done |= 1 << id;
        f.dt = now;
        f.delivered++;
        return { ch: k >> 4, msg: new Uint8Array(d.subarray(FRAME_HDR)) };
      }
      if (ps.length >= f.np) {
        ps.shift();
        f.evicted++;
      }
      ps.push(p);
    }
    if (last) {
      p.n = x + 1;
      p.l = pl;
    }
    if (s > 0 && !p.b) {
      p.s = s;
      var cap = p.n > 0 ? (p.n - 1) * s + p.l : s * FRAME_MAX_FRAGS;
      p.b = new Uint8Array(cap < f.max ? cap : f.max);
      if (p.lp) {
        p.b.set(p.lp, (p.n - 1) * s);
        p.lp = null;
      }
    }
    if (p.b) p.b.set(d.subarray(FRAME_HDR), x * s);
    else p.lp = new Uint8Array(d.subarray(FRAME_HDR));
    p.g[x >> 3] |= 1 << (x & 7);
    p.c++;
    if (x > p.h) p.h = x;
    if (p.n > 0 && p.c === p.n && p.b) {
      ps.splice(ps.indexOf(p), 1);
      var len = (p.n - 1) * p.s + p.l;
      f.done |= 1 << id;
      f.dt = now;
      f.delivered++;
      return { ch: k >> 4, msg: p.b.length === len ? p.b : new Uint8Array(p.b.subarray(0, len)) };
    }
    return null;
  } catch (e) {
    f.garbage++;
    return null;
  }
}
