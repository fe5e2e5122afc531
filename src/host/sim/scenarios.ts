/**
 * Scripted scenarios over the simulated world, shared by `pairkit simulate` and
 * `npm start`: pair, replace and fleet. Each returns named steps with their outcome,
 * virtual time, bytes on the air and modelled secure-element time.
 */
import { toHex } from "../../core/bytes";
import { createNobleProvider } from "../../crypto/noble";
import { signCredential } from "../ca/ca";
import { kidOf } from "../../core/cred/format";
import type { NobleProvider } from "../../crypto/noble";
import type { PrivateKeyRef } from "../../crypto/provider";

/** Credentials in simulations carry a fixed issue time so that runs repeat exactly. */
var ISSUED_AT = 1767225600;
import { SimDevice } from "./device";
import { seededProvider } from "./seeded";
import { World } from "./world";
import { makeSimCrypto, type SimCrypto } from "./secure-element";

export interface Step {
  name: string;
  ok: boolean;
  /** Virtual milliseconds the step took. */
  ms: number;
  /** Bytes written on links during the step. */
  bytes: number;
  /** Modelled secure-element busy time during the step, all devices. */
  seMs: number;
  detail?: string;
}

export interface ScenarioResult {
  scenario: string;
  ok: boolean;
  seed: string;
  devices: number;
  steps: Step[];
  realMs: number;
}

interface Root {
  crypto: NobleProvider;
  priv: PrivateKeyRef;
  sub: string;
  kid: Uint8Array;
  cred: Uint8Array;
}

interface Ctx {
  world: World;
  root: Root;
  devs: SimDevice[];
  ses: SimCrypto[];
  steps: Step[];
  seed: string;
}

async function makeDevice(cx: Ctx, name: string, role: "device" | "app", model: string): Promise<SimDevice> {
  const host = seededProvider(createNobleProvider(), cx.seed + "/" + name);
  const r = cx.root;
  // Factory: the key is generated inside the secure element; the CA certifies its public key.
  const se = await makeSimCrypto(cx.world, host, (pub) => signCredential(r.crypto, r.priv, { sub: r.sub, kid: r.kid }, { sub: name, role, model, pub, iat: ISSUED_AT }), [r.cred]);
  const dev = new SimDevice({
    name, world: cx.world, crypto: se.provider,
    identity: { cred: se.credential, priv: se.deviceKey, issuer: null, anchors: se.anchors },
    atRestKey: se.atRestKey,
    policy: role === "app" ? { app: true, capacity: 16 } : {},
  });
  await dev.powerOn();
  cx.devs.push(dev);
  cx.ses.push(se);
  return dev;
}

/** Runs one step: measures virtual time, bytes and secure-element time around fn. */
async function step(cx: Ctx, name: string, fn: () => Promise<boolean | string>): Promise<boolean> {
  const t0 = cx.world.now();
  const b0 = cx.world.bytes;
  const s0 = cx.ses.reduce((a, s) => a + s.busyMs(), 0);
  let ok = false;
  let detail: string | undefined;
  try {
    const r = await fn();
    ok = r === true || typeof r === "string";
    if (typeof r === "string") detail = r;
  } catch (e) {
    detail = (e as { code?: string; message?: string }).code || String((e as Error).message);
  }
  cx.steps.push({ name, ok, ms: cx.world.now() - t0, bytes: cx.world.bytes - b0, seMs: cx.ses.reduce((a, s) => a + s.busyMs(), 0) - s0, detail });
  return ok;
}

function code(d: SimDevice, from: number): string | null {
  const e = d.seen("code", from)[0];
  return e ? (e.detail as { code: string }).code : null;
}

/** Both buttons, matching codes, both confirmations, both bound. */
async function pairStep(cx: Ctx, name: string, a: SimDevice, b: SimDevice, replace: boolean): Promise<boolean> {
  return step(cx, name, async () => {
    const ea = a.events.length;
    const eb = b.events.length;
    a.press(replace ? 3500 : 200);
    b.press(200);
    if (!(await cx.world.until(() => !!code(a, ea) && !!code(b, eb), 20000))) return false;
    const ca = code(a, ea);
    if (ca !== code(b, eb)) return false;
    a.press(200);
    b.press(200);
    const done = (d: SimDevice, f: number) => d.seen(replace && d === a ? "replaced" : "paired", f).length > 0;
    if (!(await cx.world.until(() => done(a, ea) && done(b, eb), 40000))) return false;
    return `code ${ca} shown on both and confirmed` + (replace ? `; ${a.name} now bound to ${b.name}` : "");
  });
}

async function messageStep(cx: Ctx, name: string, from: SimDevice, to: SimDevice, text: string): Promise<boolean> {
  return step(cx, name, async () => {
    const e = to.events.length;
    if (!from.pairing.conns.some((k) => k.ph === 3 && k.peer?.sub === to.name)) {
      from.pairing.connectTo(to.name, to.name);
      if (!(await cx.world.until(() => from.pairing.conns.some((k) => k.ph === 3 && k.peer?.sub === to.name), 10000))) return false;
    }
    from.pairing.send(to.name, new TextEncoder().encode(text));
    if (!(await cx.world.until(() => to.seen("message", e).length > 0, 5000))) return false;
    const got = new TextDecoder().decode((to.seen("message", e)[0].detail as { data: Uint8Array }).data);
    return got === text ? `"${text}" arrived, AES-CCM session record` : false;
  });
}

async function scenarioPair(cx: Ctx): Promise<void> {
  const a = await makeDevice(cx, "lamp-a", "device", "lamp");
  const b = await makeDevice(cx, "lamp-b", "device", "lamp");
  if (!(await pairStep(cx, "pair", a, b, false))) return;
  await messageStep(cx, "message", a, b, "on");
  await messageStep(cx, "message-back", b, a, "ack");
}

async function scenarioReplace(cx: Ctx): Promise<void> {
  const a = await makeDevice(cx, "lamp-a", "device", "lamp");
  const b = await makeDevice(cx, "lamp-b", "device", "lamp");
  const c = await makeDevice(cx, "lamp-c", "device", "lamp");
  c.powerOff(); // still in its box
  if (!(await pairStep(cx, "pair", a, b, false))) return;
  await messageStep(cx, "message", a, b, "on");
  await messageStep(cx, "message-back", b, a, "ack");
  await step(cx, "dies", async () => {
    b.powerOff();
    await cx.world.run(1000);
    return `${b.name} powered off for good`;
  });
  await step(cx, "new-unit", async () => {
    await c.powerOn();
    return `${c.name} unboxed`;
  });
  if (!(await pairStep(cx, "replace", a, c, true))) return;
  await messageStep(cx, "message-new", a, c, "on");
  await step(cx, "evicted-refused", async () => {
    await b.powerOn();
    const ea = a.events.length;
    const eb = b.events.length;
    // The old unit still holds its binding and tries to reconnect; then it even tries to pair anew.
    b.pairing.connectTo(a.name, a.name);
    await cx.world.run(3000);
    if (b.seen("session", eb).length) return false;
    b.pairing.clearAll();
    a.press(200);
    b.press(200);
    await cx.world.run(5000);
    a.pairing.closeWindow("demo");
    const refused = a.seen("failed", ea).map((e) => (e.detail as { code: string }).code);
    const ok = b.seen("paired", eb).length === 0 && a.pairing.bindings.map((x) => x.sub).join() === c.name;
    return ok ? `refused: ${[...new Set(refused)].join(", ") || "no session"}` : false;
  });
}

async function scenarioFleet(cx: Ctx, n: number): Promise<void> {
  const app = await makeDevice(cx, "phone-app", "app", "app");
  const devs: SimDevice[] = [];
  for (let i = 0; i < n; i++) devs.push(await makeDevice(cx, `lamp-${String(i + 1).padStart(2, "0")}`, "device", "lamp"));
  for (const d of devs) {
    await step(cx, "pair", async () => {
      const e = d.events.length;
      d.press(200);
      if (!(await cx.world.until(() => !!code(d, e), 20000))) return false;
      app.pairing.confirmCode();
      d.press(200);
      if (!(await cx.world.until(() => d.seen("paired", e).length > 0, 20000))) return false;
      return `${d.name} bound to the app (code ${code(d, e)})`;
    });
  }
  for (const d of devs) await messageStep(cx, "message", app, d, "status?");
}

export async function runScenario(name: string, o: { devices?: number; seed?: string } = {}): Promise<ScenarioResult> {
  const t0 = performance.now();
  const seed = o.seed ?? "pairkit";
  const world = new World({ seed: parseInt(toHex(new TextEncoder().encode(seed)).slice(0, 8), 16) || 1 });
  const rootHost = seededProvider(createNobleProvider(), seed + "/ca");
  const kp = await rootHost.generateKeyPair(1);
  const kid = kidOf(rootHost, kp.pub);
  const root: Root = {
    crypto: rootHost, priv: kp.priv, sub: "Acme", kid,
    cred: await signCredential(rootHost, kp.priv, { sub: "Acme", kid }, { sub: "Acme", role: "ca", pathLen: 1, pub: kp.pub, iat: ISSUED_AT }),
  };
  const cx: Ctx = { world, root, devs: [], ses: [], steps: [], seed };
  if (name === "pair") await scenarioPair(cx);
  else if (name === "replace") await scenarioReplace(cx);
  else if (name === "fleet") await scenarioFleet(cx, Math.max(1, (o.devices ?? 4) - 1));
  else throw Object.assign(new Error(`unknown scenario '${name}'`), { code: "CLI_USAGE" });
  const ok = cx.steps.length > 0 && cx.steps.every((s) => s.ok);
  return { scenario: name, ok, seed, devices: cx.devs.length, steps: cx.steps, realMs: Math.round(performance.now() - t0) };
}
