// A manufacturer, its devices and a world for lifecycle tests.
import { createNobleProvider } from "../../src/crypto/noble";
import { memIssue, memRoot, memDenyList, type MemEntity } from "../../src/host/ca/memory";
import { SimDevice } from "../../src/host/sim/device";
import { World, type WorldOptions } from "../../src/host/sim/world";
import type { PairingPolicy } from "../../src/core/pairing/controller";

export const crypto = createNobleProvider();

export interface Maker {
  root: MemEntity;
  world: World;
  device(name: string, o?: { model?: string; role?: "device" | "app"; policy?: Partial<PairingPolicy>; root?: MemEntity }): Promise<SimDevice>;
  denyList(version: number, revoked: string[]): Promise<Uint8Array>;
}

export async function setup(o: WorldOptions = {}): Promise<Maker> {
  const root = await memRoot(crypto, "Acme");
  const world = new World(o);
  return {
    root,
    world,
    async device(name, d = {}) {
      const r = d.root || root;
      const e = await memIssue(crypto, r, name, d.role || "device", d.model || "lamp-1");
      const dev = new SimDevice({
        name, world, crypto,
        identity: { cred: e.cred.bytes, priv: e.key.priv, issuer: null, anchors: [root.cred.bytes] },
        atRestKey: crypto.randomBytes(16),
        policy: { ...(d.role === "app" ? { app: true, capacity: 8 } : {}), ...(d.policy || {}) },
      });
      await dev.powerOn();
      return dev;
    },
    denyList: (version, revoked) => memDenyList(crypto, root, version, revoked),
  };
}

/** Presses the button on both, waits for the codes, checks they match, confirms on both. */
export async function pairByButton(w: World, a: SimDevice, b: SimDevice, opts: { confirm?: boolean; replace?: SimDevice } = {}): Promise<boolean> {
  const ea = a.events.length;
  const eb = b.events.length;
  if (opts.replace === a) a.press(3500);
  else a.press(200);
  b.press(200);
  const coded = await w.until(() => a.seen("code", ea).length > 0 && b.seen("code", eb).length > 0, 20000);
  if (!coded) return false;
  const ca = (a.seen("code", ea)[0].detail as { code: string }).code;
  const cb = (b.seen("code", eb)[0].detail as { code: string }).code;
  if (ca !== cb) throw new Error(`codes differ: ${ca} vs ${cb}`);
  if (opts.confirm === false) return false;
  a.press(200);
  b.press(200);
  const done = (d: SimDevice, from: number) => d.seen("paired", from).length + d.seen("replaced", from).length > 0;
  return w.until(() => done(a, ea) && done(b, eb), 40000);
}

/** a and b paired, then b dies and a new unit c is switched on: the field-replacement setup. */
export async function deadPeer(o: WorldOptions = {}) {
  const m = await setup(o);
  const a = await m.device("lamp-a");
  const b = await m.device("lamp-b");
  await pairByButton(m.world, a, b);
  b.powerOff();
  const c = await m.device("lamp-c");
  return { m, a, b, c };
}

/** Survivor a holds its button 3 s, c opens its window, both show the code, c confirms. */
export async function stageReplacement(m: Maker, a: SimDevice, c: SimDevice): Promise<number> {
  const ea = a.events.length;
  a.press(3500);
  c.press(200);
  await m.world.until(() => a.seen("code", ea).length > 0 && c.seen("code").length > 0, 10000);
  c.press(200);
  await m.world.run(100);
  return ea;
}
