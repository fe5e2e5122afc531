/**
 * In-memory links for tests and the simulator: pairs of Links joined through a scheduler,
 * with seeded fault injection (drop, duplicate, reorder, truncate, stall, latency).
 *
 * Two clocks: virtual (default; tests call advance()/run() and time only moves then, so
 * runs are deterministic and instant) or real time (deliveries on setTimeout).
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import type { Link, Transport } from "../../core/link";

export interface Faults {
  /** Probability that a write is lost. */
  drop?: number;
  /** Probability that a write is delivered twice. */
  duplicate?: number;
  /** Probability that a write is held back so that later writes overtake it. */
  reorder?: number;
  /** Probability that a write loses a random tail (possibly everything but nothing). */
  truncate?: number;
  /** Probability that a write starts a stall: nothing is delivered for stallMs (Infinity: a hung link). */
  stall?: number;
  stallMs?: number;
  /** Milliseconds from write to delivery, plus up to jitter more. */
  latency?: number;
  jitter?: number;
}

export interface MemoryStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  truncated: number;
  stalls: number;
}

export interface MemoryLink extends Link {
  readonly closed: boolean;
  /** Faults applied to writes sent on this end (may be changed at any time). */
  faults: Faults;
}

export interface PairOptions {
  mtu?: number;
  /** Faults on writes from the first link to the second, and back (defaults to the same). */
  faults?: Faults;
  faultsBack?: Faults;
}

export interface MemoryNet {
  now(): number;
  pair(opts?: PairOptions): [MemoryLink, MemoryLink];
  /** Virtual clock: runs everything due within the next ms milliseconds and moves the clock. */
  advance(ms: number): void;
  /** Virtual clock: runs until nothing is due (stalled writes excepted) or maxMs passed; returns events run. */
  run(maxMs?: number): number;
  /** Events not yet run (deliveries and closes). */
  pending(): number;
  stats: MemoryStats;
  /** Seeded random number in [0, 1): the same seed gives the same faults. */
  random(): number;
}

interface Ev {
  t: number;
  q: number;
  fn: () => void;
}

/** mulberry32: small, fast, seedable. */
function rng(seed: number): () => number {
  var a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    var t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createMemoryNet(opts?: { seed?: number; realtime?: boolean }): MemoryNet {
  var o = opts || {};
  var rand = rng(o.seed === undefined ? 1 : o.seed);
  var realtime = !!o.realtime;
  var t0 = Date.now();
  var vt = 0;
  var q = 0;
  var evs: Ev[] = [];
  var live = 0;
  var stats: MemoryStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, reordered: 0, truncated: 0, stalls: 0 };

  function now(): number {
    return realtime ? Date.now() - t0 : vt;
  }

  function schedule(t: number, fn: () => void): void {
    if (realtime) {
      live++;
      var d = t - now();
      setTimeout(function () {
        live--;
        fn();
      }, d > 0 ? d : 0);
      return;
    }
    var e = { t: t, q: q++, fn: fn };
    var i = evs.length;
    while (i > 0 && (evs[i - 1].t > t || (evs[i - 1].t === t && evs[i - 1].q > e.q))) i--;
    evs.splice(i, 0, e);
  }

  function runUntil(limit: number): number {
    var n = 0;
    while (evs.length > 0 && evs[0].t <= limit) {
      var e = evs.shift() as Ev;
      if (e.t > vt) vt = e.t;
      n++;
      e.fn();
    }
    return n;
  }

  function makeEnd(mtu: number, faults: Faults): MemoryLink & { peer: MemoryLink | null; lastT: number; stallUntil: number; isClosed: boolean } {
    var self = {
      mtu: mtu,
      faults: faults,
      peer: null as MemoryLink | null,
      lastT: 0,
      stallUntil: 0,
      isClosed: false,
      onData: null as ((d: Bytes) => void) | null,
      onClose: null as ((r: string) => void) | null,
      get closed(): boolean {
        return self.isClosed;
      },
      send: function (data: Bytes): void {
        if (self.isClosed) throw perr("LINK_CLOSED", "link is closed");
        if (data.length > self.mtu) throw perr("LINK_TOO_LARGE", "write larger than the link's MTU");
        stats.sent++;
        var f = self.faults;
        var peer = self.peer as (MemoryLink & { isClosed: boolean });
        var t = now() + (f.latency || 0) + (f.jitter ? Math.floor(rand() * (f.jitter + 1)) : 0);
        if (f.stall && rand() < f.stall && self.stallUntil <= now()) {
          self.stallUntil = now() + (f.stallMs === undefined ? 1000 : f.stallMs);
          stats.stalls++;
        }
        if (self.stallUntil > t) t = self.stallUntil;
        if (f.drop && rand() < f.drop) {
          stats.dropped++;
          return;
        }
        var copy = new Uint8Array(data);
        if (f.truncate && rand() < f.truncate) {
          copy = copy.slice(0, Math.floor(rand() * copy.length));
          stats.truncated++;
        }
        var reordered = !!(f.reorder && rand() < f.reorder);
        if (reordered) {
          t += 1 + Math.floor(rand() * 5 * ((f.latency || 0) + 2));
          stats.reordered++;
        } else {
          if (t < self.lastT) t = self.lastT;
          self.lastT = t;
        }
        if (t === Infinity) return; // a hung link never delivers
        var deliver = function (): void {
          if (peer.isClosed) return;
          stats.delivered++;
          if (peer.onData) peer.onData(new Uint8Array(copy));
        };
        schedule(t, deliver);
        if (f.duplicate && rand() < f.duplicate) {
          stats.duplicated++;
          schedule(t + Math.floor(rand() * 3), deliver);
        }
      },
      close: function (): void {
        if (self.isClosed) return;
        var peer = self.peer as (MemoryLink & { isClosed: boolean; close(): void });
        self.isClosed = true;
        schedule(now(), function () {
          if (self.onClose) self.onClose("local");
        });
        if (peer && !peer.isClosed) {
          peer.isClosed = true;
          schedule(now() + (self.faults.latency || 0), function () {
            if (peer.onClose) peer.onClose("remote");
          });
        }
      }
    };
    return self;
  }

  return {
    now: now,
    stats: stats,
    random: rand,
    pair: function (p?: PairOptions): [MemoryLink, MemoryLink] {
      var po = p || {};
      var a = makeEnd(po.mtu || 20, po.faults || {});
      var b = makeEnd(po.mtu || 20, po.faultsBack || po.faults || {});
      a.peer = b;
      b.peer = a;
      return [a, b];
    },
    advance: function (ms: number): void {
      if (realtime) throw perr("MEMORY_REALTIME", "advance() is for the virtual clock");
      var limit = vt + ms;
      runUntil(limit);
      vt = limit;
    },
    run: function (maxMs?: number): number {
      if (realtime) throw perr("MEMORY_REALTIME", "run() is for the virtual clock");
      return runUntil(vt + (maxMs === undefined ? 3600000 : maxMs));
    },
    pending: function (): number {
      return realtime ? live : evs.length;
    }
  };
}

/**
 * A Transport over a MemoryNet: listen() registers the peripheral/server under `name`;
 * connect(name) makes a pair and hands the far end to the listener.
 */
export function memoryTransport(net: MemoryNet, registry: { [name: string]: (l: Link) => void }, name: string, opts?: PairOptions): Transport {
  return {
    connect: function (target?: unknown): Promise<Link> {
      var l = registry[String(target)];
      if (!l) return Promise.reject(perr("LINK_NO_PEER", "nobody listens under that name"));
      var ends = net.pair(opts);
      l(ends[1]);
      return Promise.resolve(ends[0] as Link);
    },
    listen: function (onLink: (link: Link) => void): void {
      registry[name] = onLink;
    },
    close: function (): void {
      delete registry[name];
    }
  };
}
