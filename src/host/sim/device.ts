/**
 * A simulated pairkit device (or app) in a World: the core Pairing controller with a
 * crypto provider, its own flash, virtual-time timers, the world's air and links, and a
 * log of every UI and lifecycle event. Powering it off drops its links and timers;
 * powering it on boots a fresh controller from what its flash holds, as a real reboot.
 */
import type { Bytes } from "../../core/bytes";
import type { Link } from "../../core/link";
import { DEFAULT_POLICY, Pairing, type Identity, type PairingPolicy, type Platform } from "../../core/pairing/controller";
import type { CryptoProvider } from "../../crypto/provider";
import { FakeFlash } from "./flash";
import type { Radio, Timer, World } from "./world";

export interface SimEvent {
  t: number;
  ev: string;
  detail?: unknown;
}

export interface SimDeviceOptions {
  name: string;
  world: World;
  crypto: CryptoProvider;
  identity: Identity;
  /** Device-unique key for bindings at rest (on hardware the secure element reproduces it). */
  atRestKey: Bytes;
  policy?: Partial<PairingPolicy>;
  flash?: FakeFlash;
}

export class SimDevice implements Radio {
  name: string;
  world: World;
  crypto: CryptoProvider;
  identity: Identity;
  atRestKey: Bytes;
  policy: PairingPolicy;
  flash: FakeFlash;
  pairing!: Pairing;
  on = false;
  events: SimEvent[] = [];
  ui: SimEvent[] = [];
  private timers: Timer[] = [];
  /** Links this device holds (tests inject faults through them). */
  links: Link[] = [];
  private ticker: Timer | null = null;

  constructor(o: SimDeviceOptions) {
    this.name = o.name;
    this.world = o.world;
    this.crypto = o.crypto;
    this.identity = o.identity;
    this.atRestKey = o.atRestKey;
    this.policy = { ...DEFAULT_POLICY, ...(o.policy || {}) };
    this.flash = o.flash || new FakeFlash();
    o.world.add(this);
  }

  private platform(): Platform {
    const w = this.world;
    return {
      crypto: this.crypto,
      flash: this.flash,
      now: () => w.now(),
      after: (ms, fn) => {
        const t = w.after(ms, () => {
          if (this.on) fn();
        });
        this.timers.push(t);
        return t;
      },
      cancel: (h) => w.cancel(h),
      connect: (addr) =>
        w.connect(this.name, addr).then((l) => {
          this.links.push(l);
          return l;
        }),
      ui: (ev, detail) => this.ui.push({ t: w.now(), ev, detail }),
      report: (ev, detail) => this.events.push({ t: w.now(), ev, detail }),
    };
  }

  /** Boots from flash. */
  async powerOn(): Promise<void> {
    this.on = true;
    this.flash.reboot();
    this.pairing = new Pairing(this.platform(), this.identity, this.policy, this.atRestKey);
    await this.pairing.boot();
    const tick = () => {
      if (!this.on) return;
      this.pairing.tick();
      this.ticker = this.world.after(1000, tick);
    };
    this.ticker = this.world.after(1000, tick);
    this.events.push({ t: this.world.now(), ev: "boot" });
  }

  /** Power loss: timers and links die with it; flash keeps what was written. */
  powerOff(): void {
    this.on = false;
    for (const t of this.timers) this.world.cancel(t);
    this.timers = [];
    if (this.ticker) this.world.cancel(this.ticker);
    for (const l of this.links) l.close();
    this.links = [];
    this.events.push({ t: this.world.now(), ev: "power-off" });
  }

  press(ms = 200): void {
    if (this.on) this.pairing.press(ms);
  }

  advert(): Bytes | null {
    return this.on ? this.pairing.advert() : null;
  }

  onAdvert(from: string, adv: Bytes): void {
    if (this.on) this.pairing.onAdvert(from, adv);
  }

  accept(link: Link, from: string): void {
    if (!this.on) {
      link.close();
      return;
    }
    this.links.push(link);
    this.pairing.accept(link, from);
  }

  /** Events with a given name since index `from`. */
  seen(ev: string, from = 0): SimEvent[] {
    return this.events.slice(from).filter((e) => e.ev === ev);
  }

  last(ev: string): SimEvent | undefined {
    const l = this.seen(ev);
    return l[l.length - 1];
  }
}
