/**
 * Interpreter cost on the real Espruino Linux build (ESPRUINO_BIN): one EDHOC handshake per
 * role and one session record, in x86 instructions counted by valgrind's callgrind (stable
 * from run to run) or, without valgrind, wall time. Secure-element work runs in the Node
 * simulator (execution times scaled to zero), so it is excluded; boot costs cancel out by
 * subtracting a run that boots and stops.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { createNobleProvider } from "../../crypto/noble";
import { memIssue, memRoot } from "../ca/memory";
import { signCredential } from "../ca/ca";
import { AteccSimulator } from "../atecc608/simulator";
import { simBus } from "../atecc608/bus";
import { startSeBridge } from "../atecc608/bridge";
import { provisionSecureElement } from "../atecc608/provision";
import { createSeDriver } from "../../crypto/atecc608/driver";
import { runInitiator, startResponder, type InteropConfig } from "../interop";

/** The pairkit checkout (the CLI runs bundled from .cache/). */
function root(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, "build.mjs")) && dirname(d) !== d) d = dirname(d);
  return d;
}

function hasValgrind(): boolean {
  return spawnSync("valgrind", ["--version"], { encoding: "utf8" }).status === 0;
}

interface Run {
  instructions: number | null;
  ms: number;
  out: string;
}

function runEspruino(bin: string, dir: string, script: string, valgrind: boolean): Promise<Run> {
  const file = join(dir, `b${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(file, script);
  const cg = file + ".cg";
  const args = valgrind ? ["--tool=callgrind", `--callgrind-out-file=${cg}`, bin, file] : [file];
  const t0 = performance.now();
  const p = spawn(valgrind ? "valgrind" : bin, args, { cwd: dir });
  let out = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (out += d));
  return new Promise((resolve) => {
    const kill = setTimeout(() => p.kill("SIGKILL"), 300000);
    p.on("exit", () => {
      clearTimeout(kill);
      let instructions: number | null = null;
      if (valgrind) {
        try {
          const m = /^summary:\s*(\d+)/m.exec(readFileSync(cg, "utf8")) || /^totals:\s*(\d+)/m.exec(readFileSync(cg, "utf8"));
          if (m) instructions = Number(m[1]);
        } catch {
          instructions = null;
        }
      }
      resolve({ instructions, ms: performance.now() - t0, out });
    });
  });
}

export async function benchEspruino(bin: string): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "pairkit-bench-esp-"));
  const bundle = await build({
    entryPoints: [join(root(), "bench", "device-edhoc.ts")],
    bundle: true, write: false, format: "iife", minify: true, target: "es2015", platform: "neutral",
    external: ["crypto", "net"], logLevel: "error",
  });
  const code = bundle.outputFiles[0].text;
  const c = createNobleProvider();
  const ca = await memRoot(c, "Acme");
  const host = await memIssue(c, ca, "host-peer", "device", "lamp");
  // Under valgrind the interpreter is ~50x slower than real time: the chip's 1.3 s watchdog would
  // measure valgrind, not pairkit, so it is off here (tests cover it).
  const sim = new AteccSimulator({ timeScale: 0, watchdogMs: Infinity });
  await provisionSecureElement(createSeDriver(simBus(sim), { timeScale: 0 }), {
    issueCredential: (pub) => signCredential(c, ca.key.priv, ca.cred, { sub: "bench-dev", role: "device", model: "lamp", pub }),
    trustAnchors: [ca.cred.bytes],
  });
  const bridge = await startSeBridge({ sim });
  const cfg: InteropConfig = { method: 3, suite: 2, key: host.scalar, cred: host.cred.bytes, peers: { creds: [], anchors: [ca.cred.bytes] }, timeoutMs: 300000 };
  const valgrind = hasValgrind() && !process.env.PAIRKIT_BENCH_NO_VALGRIND;
  const script = (role: string, port: number, records: number) => `var BENCH=${JSON.stringify({ role, port, se: bridge.port, records })};\n${code}`;
  try {
    const base = await runEspruino(bin, dir, script("none", 0, 0), valgrind);
    if (!/BENCH none/.test(base.out)) throw new Error("baseline run failed: " + base.out.slice(-300));
    // Device as initiator against the Node responder.
    const resp = await startResponder(cfg, "127.0.0.1", 0, false);
    const ini0 = await runEspruino(bin, dir, script("i", resp.port, 0), valgrind);
    const ini100 = await runEspruino(bin, dir, script("i", resp.port, 100), valgrind);
    await resp.close();
    if (!/BENCH i ok/.test(ini0.out) || !/BENCH i ok/.test(ini100.out)) throw new Error("initiator run failed: " + ini0.out.slice(-300));
    // Device as responder: Node connects once the device listens.
    const port = 20000 + Math.floor(Math.random() * 20000);
    const rp = runEspruino(bin, dir, script("r", port, 0), valgrind);
    let r = null;
    for (let i = 0; i < 200 && !(r && r.ok); i++) {
      await new Promise((x) => setTimeout(x, valgrind ? 1000 : 200));
      r = await runInitiator(cfg, "127.0.0.1", port);
    }
    const res0 = await rp;
    if (!/BENCH r ok/.test(res0.out)) throw new Error("responder run failed: " + res0.out.slice(-300));
    const diff = (a: Run, b: Run) => (a.instructions !== null && b.instructions !== null ? a.instructions - b.instructions : null);
    return {
      interpreter: "Espruino Linux " + (spawnSync(bin, ["-e", "print(process.version);quit()"], { encoding: "utf8" }).stdout.match(/\d+v\d+/) || ["?"])[0],
      measure: valgrind ? "x86 instructions (valgrind callgrind), secure-element time excluded" : "wall time in ms (no valgrind), secure-element time excluded",
      handshakeInitiator: valgrind ? diff(ini0, base) : Math.round(ini0.ms - base.ms),
      handshakeResponder: valgrind ? diff(res0, base) : Math.round(res0.ms - base.ms),
      perRecord64: valgrind ? Math.round((diff(ini100, ini0) ?? 0) / 100) : Math.round(((ini100.ms - ini0.ms) / 100) * 1000) / 1000,
      note: "method 3, suite 2, manufacturer credentials by value (the peer's CWT validated on the device), P-256 point decompression included; one record = sealing 64 bytes",
    };
  } finally {
    await bridge.close();
  }
}
