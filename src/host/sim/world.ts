/**
 * A simulated world for pairkit devices: one virtual clock for timers, links and
 * secure-element waits; an "air" that carries advertisements between devices in range;
 * in-memory links with optional faults; per-device flash that can lose power.
 *
 * Virtual time moves in small steps and only when the world runs, so a 60-second pairing
 * window costs milliseconds of real time and every run with the same seed is the same.
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import type { Link } from "../../core/link";
import { createMemoryNet, type Faults, type MemoryNet } from "../transport/memory";

export interface Timer {
  t: number;
  seq: number;
  fn: () => void;
  dead: boolean;
}

/** What the world needs from a device. */
export interface Radio {
  name: string;
  /** Current advertisement (null: not advertising). */
  advert(): Bytes | null;
  onAdvert(from: string, adv: Bytes): void;
  accept(link: Link, from: string): void;
  /** Powered off devices neither advertise nor accept. */
  on: boolean;
}

export interface WorldOptions {
  seed?: number;
  /** Virtual milliseconds per step. */
  stepMs?: number;
  /** How often devices hear each other's advertisements. */
  advertMs?: number;
  mtu?: number;
  faults?: Faults;
}

export class World {
  net: MemoryNet;
  timers: Timer[] = [];
  seq = 0;
  radios: Radio[] = [];
  stepMs: number;
  advertMs: number;
  mtu: number;
  faults: Faults | undefined;
  /** Which devices hear each other (default: everyone). */
  inRange: (a: string, b: string) => boolean = () => true;
  /** Bytes written on all links (for timelines). */
  bytes = 0;
  private lastAdvert = -Infinity;

  constructor(o: WorldOptions = {}) {
    this.net = createMemoryNet({ seed: o.seed ?? 1 });
    this.stepMs = o.stepMs ?? 5;
    this.advertMs = o.advertMs ?? 200;
    this.mtu = o.mtu ?? 20;
    this.faults = o.faults;
  }

  now(): number {
    return this.net.now();
  }

  after(ms: number, fn: () => void): Timer {
    const t: Timer = { t: this.now() + Math.max(0, ms), seq: this.seq++, fn, dead: false };
    this.timers.push(t);
    return t;
  }

  cancel(h: unknown): void {
    if (h) (h as Timer).dead = true;
  }

  /** A promise resolved after ms of virtual time (secure-element waits use this). */
  sleep(ms: number): Promise<void> {
    return new Promise((r) => this.after(ms, r));
  }

  add(r: Radio): void {
    this.radios.push(r);
  }

  /** Opens a link from one device to another (central to peripheral). */
  connect(from: string, to: string): Promise<Link> {
    const target = this.radios.find((r) => r.name === to);
    if (!target || !target.on || !this.inRange(from, to)) return Promise.reject(perr("LINK_NO_PEER", `${to} is not in range`));
    const [a, b] = this.net.pair({ mtu: this.mtu, faults: this.faults });
    const count = (l: Link) => {
      const send = l.send.bind(l);
      l.send = (d: Bytes) => {
        this.bytes += d.length;
        send(d);
      };
    };
    count(a);
    count(b);
    target.accept(b, from);
    return Promise.resolve(a);
  }

  private deliverAdverts(): void {
    for (const r of this.radios) {
      if (!r.on) continue;
      const adv = r.advert();
      if (!adv) continue;
      for (const o of this.radios) if (o !== r && o.on && this.inRange(r.name, o.name)) o.onAdvert(r.name, adv);
    }
  }

  /**
   * Lets promise chains run until nothing new happens: no new timer, delivery or byte for
   * a few turns of the event loop. This keeps runs with the same seed identical.
   */
  async settle(): Promise<void> {
    let quiet = 0;
    let last = "";
    for (let i = 0; i < 1000 && quiet < 3; i++) {
      await new Promise<void>((r) => setImmediate(r));
      const sig = `${this.seq}/${this.net.pending()}/${this.bytes}/${this.net.stats.sent}`;
      quiet = sig === last ? quiet + 1 : 0;
      last = sig;
    }
  }

  /** Runs the world for ms of virtual time. */
  async run(ms: number): Promise<void> {
    const end = this.now() + ms;
    while (this.now() < end) await this.step();
    await this.settle();
  }

  /** Runs until pred() holds or maxMs of virtual time passed; returns whether it held. */
  async until(pred: () => boolean, maxMs: number): Promise<boolean> {
    const end = this.now() + maxMs;
    await this.settle();
    while (!pred()) {
      if (this.now() >= end) return false;
      await this.step();
    }
    return true;
  }

  /** Runs the world until the promise settles (for work that waits on virtual timers). */
  async wait<T>(p: Promise<T>, maxMs: number): Promise<T> {
    let done = false;
    const q = p.finally(() => {
      done = true;
    });
    q.catch(() => {});
    await this.until(() => done, maxMs);
    if (!done) throw perr("SIM_TIMEOUT", "simulated operation did not finish in time");
    return q;
  }

  private async step(): Promise<void> {
    await this.settle();
    this.net.advance(this.stepMs);
    const now = this.now();
    if (now - this.lastAdvert >= this.advertMs) {
      this.lastAdvert = now;
      this.deliverAdverts();
    }
    const due = this.timers.filter((t) => !t.dead && t.t <= now).sort((a, b) => a.t - b.t || a.seq - b.seq);
    this.timers = this.timers.filter((t) => !t.dead && t.t > now);
    for (const t of due) if (!t.dead) t.fn();
  }
}
