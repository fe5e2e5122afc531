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
 * The receive side never throws: bad input is dropped (and counted on hosts: garbage, dups).
 * Buffers are bounded: at most maxPartials partial messages (the oldest is evicted), each
 * at most maxMsg bytes, each at most `timeout` ms old (the caller passes the time; core
 * has no timers).
 *
 * A Channel (see ../link.ts, which re-exports the channel functions) is a framer bound to
 * a link: one object holds both states. frameOut and frameIn work on both: on a channel
 * frameOut sends (channelSend) and frameIn takes its time from the channel and delivers to
 * onMessage (channelTick). The link's onData/onClose is one shared function that finds
 * its channel through `this` (no closures per channel).
 *
 * Device code: Espruino subset, few functions. (Never `.slice` a typed array here: on
 * Espruino 2v29 it returns a plain Array; copies are `new Uint8Array(x.subarray(a, b))`.)
 *
 * Host only: FramerOptions and the counters (delivered, garbage, ...). Device bundles drop
 * both (nothing on a device passes options or reads counters): channels there use the
 * link's MTU, 1024-byte messages, 2 partial messages and a 10 s reassembly timeout.
 */
import type { Bytes } from "../bytes";
import { perr } from "../errors";
import { DEVICE } from "../target";
import type { Channel, Link } from "../link";

import { FRAME_HDR, FRAME_MAX_FRAGS } from "./consts";

export { CH_EDHOC, CH_ERROR, CH_SESSION, CH_RECONNECT, FRAME_HDR, FRAME_MAX_FRAGS } from "./consts";

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
  /** Stride (payload of non-last fragments), absent (undefined) while unknown. */
  s?: number;
  /**
   * Reassembly buffer once the stride is known; before that the payload of the last
   * fragment when it came first (or absent).
   */
  b?: Bytes;
  /** Bitmap of received indices (128 bits). */
  g: Bytes;
  /** Fragments received; highest index received. */
  c: number;
  h: number;
  /** Number of fragments (absent while the last one is missing); payload length of the last. */
  n?: number;
  l?: number;
}

export interface Framer {
  mtu: number;
  /** Host only (FramerOptions; a device uses the defaults 1024, 2, 10000 as literals). */
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
  /**
   * Counters (never reset; host only, absent on devices): delivered messages, dropped
   * garbage, duplicate fragments, expired and evicted partials.
   */
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

/**
 * Splits a message into writes of at most f.mtu bytes (f.mtu may change between
 * messages, for example after a BLE MTU exchange) and returns them. On a Channel each
 * write goes to the link as soon as it is made and nothing is returned: this is
 * channelSend, with the link's current MTU, LINK_CLOSED once the channel closed. Each write
 * is its own small buffer (a link may keep it queued), so a link that sends at once holds
 * one write at a time. Throws FRAME_TOO_LARGE or FRAME_CHANNEL: those are the caller's
 * mistakes, not the peer's.
 */
export function frameOut(f: Framer, ch: number, msg: Bytes): Bytes[] {
  var l = (f as Channel).link;
  if (l) {
    if ((f as Channel).closed) throw perr("LINK_CLOSED", "closed");
    f.mtu = l.mtu;
  }
  // An integer 1..15.
  if (!(ch && ch === (ch & 15))) throw perr("FRAME_CHANNEL", "bad channel");
  var s = f.mtu - FRAME_HDR;
  var len = msg.length;
  var n = Math.ceil(len / s);
  if (s < 1 || len < 1 || len > (DEVICE ? 1024 : f.max) || n > FRAME_MAX_FRAGS) throw perr("FRAME_TOO_LARGE", "bad size");
  var id = f.nid;
  f.nid = (id + 1) & 15;
  var out: Bytes[] = [];
  for (var i = 0; i < n; i++) {
    var o = i * s;
    var e = o + s < len ? o + s : len;
    var w = new Uint8Array(FRAME_HDR + e - o);
    w[0] = (ch << 4) | id;
    w[1] = e < len ? i : i | 128;
    w.set(msg.subarray(o, e), FRAME_HDR);
    if (l) l.send(w);
    else out.push(w);
  }
  return out;
}

/** Closes the channel and its link and drops every partial message. Idempotent. */
export function channelClose(c: Channel, why?: string): void {
  if (c.closed) return;
  var l = c.link;
  c.closed = true;
  c.deadline = 0;
  c.p = [];
  l.onData = l.onClose = l.pkch = null;
  l.close();
  if (c.onError) c.onError(perr("LINK_CLOSED", why || "closed"));
}

/**
 * Takes one received write (or null to only expire old partials) at time `now` (ms).
 * Returns a completed message or null. Never throws.
 *
 * On a Channel this is channelTick(c, d?): time comes from c.now(), a completed message
 * goes to onMessage (and clears the deadline) and nothing is returned; without a message
 * LINK_TIMEOUT is raised once when the deadline has passed. Call it periodically (for
 * example once a second from setInterval). (One function for both: each function costs
 * interpreter variables on a device.)
 */
export function frameIn(f: Framer, d?: Bytes | null, now?: number): FrameMsg | null;
// (The implementation names its parameters as it uses them: no aliases. p starts undefined.)
export function frameIn(c: Framer & Partial<Channel>, d?: Bytes | null, t?: any): FrameMsg | null {
  var l = c.link;
  if (l) {
    if (c.closed) return null;
    t = c.now!();
  }
  var ps = c.p;
  var p: FramePartial | undefined;
  var m: FrameMsg | null = null;
  var i;
  for (i = ps.length; i--; ) {
    if (t - ps[i].t > (DEVICE ? 10000 : c.to) || t < ps[i].t) {
      ps.splice(i, 1);
      if (!DEVICE) c.expired++;
    }
  }
  if (t - c.dt > (DEVICE ? 10000 : c.to)) c.done = 0;
  if (d != null) {
    try {
      var k = d[0];
      var id = k & 15;
      var last = d[1] >> 7;
      var x = d[1] & 127;
      var pl = d.length - FRAME_HDR;
      for (i = 0; i < ps.length; i++) if (ps[i].k === k) p = ps[i];
      var fresh = !p;
      // (A duplicate is not garbage.)
      if (!(d instanceof Uint8Array) || pl < 1 || k < 16) {
        if (!DEVICE) c.garbage++;
      } else if (p ? (p.g[x >> 3] >> (x & 7)) & 1 : (c.done >> id) & 1) {
        if (!DEVICE) c.dups++;
      } else {
        // (s, b, n and l start absent: every test of them reads undefined as it would 0 or null)
        if (!p) p = { k: k, t: t, g: new Uint8Array(16), c: 0, h: 0 };
        // Consistency: one last fragment, nothing beyond it, equal strides (a last one at most
        // the stride), and the message fits in max (a fragment ends at x * stride + pl; when the
        // last one came first the stride is at least its pl).
        var s = p.s || (last ? 0 : pl);
        if ((last ? p.n || p.h > x || (s && pl > s) : (p.n && x >= p.n - 1) || pl !== s) ||
            x * (s || pl) + pl > (DEVICE ? 1024 : c.max) || (s && p.n && (p.l! > s || (p.n - 1) * s + p.l! > (DEVICE ? 1024 : c.max)))) {
          if (!DEVICE) c.garbage++;
        } else {
          if (fresh) {
            // A newer id (less than half the id space ahead): ids that far ahead are not "recently
            // done" any more; their bits (a run of a bits from hid + 9, rotated within 16 bits) are cleared.
            var a = (id - c.hid) & 15;
            if (a && a < 8) {
              a = ((1 << a) - 1) << ((c.hid + 9) & 15);
              c.done &= ~(a | (a >> 16));
              c.hid = id;
            }
            // A message of one fragment completes below without being held.
            if (x || !last) {
              if (ps.length >= (DEVICE ? 2 : c.np)) {
                ps.shift();
                if (!DEVICE) c.evicted++;
              }
              ps.push(p);
            }
          }
          if (last) {
            p.n = x + 1;
            p.l = pl;
          }
          if (s && !p.s) {
            // The stride is known now: the buffer (max bytes: the size the message may have
            // before its last fragment is known), with the last fragment when it came first.
            var lp = p.b;
            p.s = s;
            p.b = new Uint8Array(DEVICE ? 1024 : c.max);
            if (lp) p.b.set(lp, (p.n! - 1) * s);
          }
          if (s) (p.b as Bytes).set(d.subarray(FRAME_HDR), x * s);
          else p.b = new Uint8Array(d.subarray(FRAME_HDR));
          p.g[x >> 3] |= 1 << (x & 7);
          if (x > p.h) p.h = x;
          if (++p.c === p.n) {
            i = ps.indexOf(p);
            if (i >= 0) ps.splice(i, 1);
            var len = (p.n - 1) * s + p.l!;
            var b = p.b as Bytes;
            c.done |= 1 << id;
            c.dt = t;
            if (!DEVICE) c.delivered++;
            m = { ch: k >> 4, msg: b.length === len ? b : new Uint8Array(b.subarray(0, len)) };
          }
        }
      }
    } catch (e) {
      if (!DEVICE) c.garbage++;
    }
  }
  if (!l) return m;
  if (m) {
    c.deadline = 0;
    if (c.onMessage) c.onMessage(m.ch, m.msg);
  } else if (c.deadline && t > c.deadline) {
    c.deadline = 0;
    if (c.onError) c.onError(perr("LINK_TIMEOUT", "timeout"));
  }
  return null;
}

/** channelTick(c, d?): frameIn on a channel (see there). */
export { frameIn as channelTick };

/**
 * The link's onData and onClose, called as its methods: a write or a close reason. The
 * channel is found through `this` (one function for every channel, no closures). Only
 * ever called as a link's method: in a plain call Espruino's `this` is the global object,
 * whose properties are the bundle's top-level names.
 */
function chEvent(this: Link, x: Bytes | string): void {
  var c = this.pkch;
  if (c) {
    if (typeof x === "string") channelClose(c, x);
    else frameIn(c, x);
  }
}

/**
 * Wraps a link (or nothing, for a bare framer): framing with the link's MTU, time from
 * now() (milliseconds).
 */
export function channelOpen(link: Link, now: () => number, opts?: FramerOptions): Channel {
  var c = {
    mtu: link ? link.mtu : 20, nid: 0, p: [], done: 0, hid: 15, dt: 0,
    link: link, now: now, onMessage: null, onError: null, deadline: 0, closed: false
  } as unknown as Channel;
  // (Expressions only: esbuild drops a DEVICE block only when it holds no statements. A
  // bad option makes mtu 0, so that the one check below, which devices keep for the link's
  // MTU, refuses it.)
  if (!DEVICE) {
    c.delivered = c.garbage = c.dups = c.expired = c.evicted = 0;
    c.max = (opts && opts.maxMsg) || 1024;
    c.np = (opts && opts.maxPartials) || 2;
    c.to = (opts && opts.timeout) || 10000;
    c.mtu = c.max >= 1 && c.np >= 1 && c.to > 0 ? (link ? link.mtu : (opts && opts.mtu) || 20) : 0;
  }
  if (!(c.mtu >= 3)) throw perr("FRAME_BAD_OPTION", "bad option");
  if (link) {
    link.pkch = c;
    link.onData = link.onClose = chEvent;
  }
  return c;
}

/** A framer on its own (tests, tools): frameOut returns the writes, frameIn takes them. */
export function newFramer(o?: FramerOptions): Framer {
  return channelOpen(null as unknown as Link, null as unknown as () => number, o);
}
