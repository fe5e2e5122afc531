/**
 * Runs pairkit devices in real Espruino Linux processes (ESPRUINO_BIN): each in its own
 * directory (its own espruino.flash), its firmware bundle written into Storage so it runs
 * from flash at boot, its ATECC608 simulated on the host behind a TCP bridge and
 * provisioned the factory way, all of them on one radio hub. Buttons are pressed through
 * each process's REPL on stdin; events come back as JSON lines on stdout.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createNobleProvider } from "../../src/crypto/noble";
import { memRoot, type MemEntity } from "../../src/host/ca/memory";
import { signCredential } from "../../src/host/ca/ca";
import { AteccSimulator } from "../../src/host/atecc608/simulator";
import { simBus } from "../../src/host/atecc608/bus";
import { startSeBridge, type SeBridge } from "../../src/host/atecc608/bridge";
import { provisionSecureElement } from "../../src/host/atecc608/provision";
import { createSeDriver } from "../../src/crypto/atecc608/driver";
import { startHub, type Hub } from "../../src/host/sim/hub";
// @ts-ignore -- plain .mjs build script
import { longCode } from "../../build/strip.mjs";

export const ESPRUINO_BIN = process.env.ESPRUINO_BIN || "";
/**
 * An Espruino Linux build with a Puck.js's memory (README, "Testing on the real
 * interpreter"): 32-bit, 2,630 fixed variables of 13 bytes, 40 KB of Storage.
 */
export const ESPRUINO_PUCKJS_BIN = process.env.ESPRUINO_PUCKJS_BIN || "";

export interface DevEvent {
  pk: string;
  t: number;
  d?: any;
}

export class EspDevice {
  name: string;
  dir: string;
  proc: ChildProcess | null = null;
  events: DevEvent[] = [];
  out = "";
  sim: AteccSimulator;
  bridge: SeBridge | null = null;
  started = 0;

  constructor(name: string, dir: string, sim: AteccSimulator, public bin = ESPRUINO_BIN) {
    this.name = name;
    this.dir = dir;
    this.sim = sim;
  }

  /** Starts the interpreter with no script: it runs .bootcde from its Storage. */
  boot(): void {
    this.started = Date.now();
    // The interpreter's stdout is fully buffered on a pipe: stdbuf makes it line-buffered.
    const p = spawn("stdbuf", ["-oL", this.bin], { cwd: this.dir, stdio: ["pipe", "pipe", "pipe"] });
    this.proc = p;
    let buf = "";
    p.stdout!.on("data", (d: Buffer) => {
      const s = d.toString("latin1");
      this.out += s;
      buf += s;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const raw = buf.slice(0, i);
        buf = buf.slice(i + 1);
        // The REPL may prefix a line with its prompt and terminal escapes.
        const at = raw.indexOf('{"pk"');
        const line = at >= 0 ? raw.slice(at).trim() : "";
        if (line) {
          try {
            const ev = JSON.parse(line);
            // Device builds print short error codes (build/error-codes.json): tests read the long ones.
            if (ev.d && typeof ev.d.code === "string") ev.d.code = longCode(ev.d.code);
            this.events.push(ev);
          } catch {
            // a partial line
          }
        }
      }
    });
  }

  repl(js: string): void {
    this.proc?.stdin?.write(js + "\n");
  }

  press(ms = 200): void {
    this.repl(`PK.press(${ms})`);
  }

  seen(ev: string, from = 0): DevEvent[] {
    return this.events.slice(from).filter((e) => e.pk === ev);
  }

  /** Espruino ignores SIGTERM: ask it to quit, then SIGKILL. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    this.repl("quit()");
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        p.kill("SIGKILL");
        r();
      }, 1500);
      p.on("exit", () => {
        clearTimeout(t);
        r();
      });
    });
  }
}

export interface Lab {
  dir: string;
  hub: Hub;
  root: MemEntity;
  devices: EspDevice[];
  add(name: string): Promise<EspDevice>;
  waitFor(pred: () => boolean, ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Writes files into a device's Storage by running the interpreter once on a script. The
 * script reads each file in 512-byte pieces (E.openFile) and writes it with Storage.write's
 * offset form, as the espruino tool uploads to a board: a whole firmware held in a string
 * would not fit a Puck.js's memory (a build with its 2,630 variables runs these tests too).
 * Each piece is read back and compared.
 */
export function writeStorage(dir: string, files: Record<string, string | Uint8Array>, bin = ESPRUINO_BIN): void {
  const lines = [
    "var S=require('Storage');",
    "function put(n,p,size){var f=E.openFile(p,'r'),o=0,c;while(o<size&&(c=f.read(512))){S.write(n,c,o,size);if(S.read(n,o,c.length)!==c)break;o+=c.length;}f.close();if(o!==size)print('STORAGE MISMATCH '+n+' at '+o);}",
  ];
  let i = 0;
  for (const [name, data] of Object.entries(files)) {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data);
    const path = `storage-${i++}.bin`;
    writeFileSync(join(dir, path), bytes);
    lines.push(`put(${JSON.stringify(name)},${JSON.stringify(path)},${bytes.length});`);
  }
  lines.push("print('STORAGE OK');quit();");
  writeFileSync(join(dir, "flash-write.js"), lines.join("\n"));
  const r = spawnSync(bin, ["flash-write.js"], { cwd: dir, encoding: "latin1", timeout: 30000, killSignal: "SIGKILL" });
  if (!/STORAGE OK/.test(r.stdout) || /MISMATCH/.test(r.stdout)) throw new Error("writing Storage failed: " + r.stdout.slice(-400));
}

export async function startLab(firmware: string, opts: { timeScale?: number; bin?: string } = {}): Promise<Lab> {
  const bin = opts.bin || ESPRUINO_BIN;
  const dir = mkdtempSync(join(tmpdir(), "pairkit-espruino-"));
  const c = createNobleProvider();
  const root = await memRoot(c, "Acme");
  const hub = await startHub({});
  const devices: EspDevice[] = [];
  return {
    dir,
    hub,
    root,
    devices,
    async add(name: string) {
      const d = join(dir, name);
      mkdirSync(d);
      // Factory: the key is generated in the (simulated) chip and certified by the CA.
      const sim = new AteccSimulator({ timeScale: 0 });
      const drv = createSeDriver(simBus(sim), { timeScale: 0 });
      await provisionSecureElement(drv, {
        issueCredential: (pub) => signCredential(c, root.key.priv, root.cred, { sub: name, role: "device", model: "lamp", pub }),
        trustAnchors: [root.cred.bytes],
      });
      // From here on the chip takes its real execution times.
      sim.timeScale = opts.timeScale ?? 1;
      const bridge = await startSeBridge({ sim });
      const dev = new EspDevice(name, d, sim, bin);
      dev.bridge = bridge;
      writeStorage(d, {
        ".bootcde": firmware,
        pkcfg: JSON.stringify({ name, hub: ["127.0.0.1", hub.port], se: ["127.0.0.1", bridge.port] }),
      }, bin);
      devices.push(dev);
      return dev;
    },
    async waitFor(pred, ms) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (pred()) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return pred();
    },
    async close() {
      for (const d of devices) {
        await d.stop();
        await d.bridge?.close();
      }
      await hub.close();
    },
  };
}
