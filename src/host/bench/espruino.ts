/**
 * Interpreter cost on the real Espruino Linux build (ESPRUINO_BIN) of bench/device-edhoc.ts,
 * built as firmware is: one EDHOC handshake per role and one session record, in x86
 * instructions counted by valgrind's callgrind (stable from run to run) or, without
 * valgrind, wall time; run from a script file, and booted from Storage as a device boots
 * (as text and pretokenised). Secure-element work runs in the Node simulator (execution
 * times scaled to zero), so it is excluded; boot costs cancel out by subtracting a run
 * that boots and stops.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
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

/**
 * Runs a script once under the interpreter. fromStorage: written into Storage as .bootcde by
 * a first (uncounted) run and booted from flash by the counted one, as a device runs it;
 * otherwise given as a script file, which the interpreter loads into RAM. tokenise: the
 * script pretokenised (only from Storage: in a RAM string the lexer's seek past a long raw
 * string walks the string from its start, which flash, read in place, does not).
 */
function runEspruino(bin: string, dir: string, script: string, valgrind: boolean, fromStorage: boolean, tokenise: ((code: string) => string) | null): Promise<Run> {
  // A pretokenised script is one character per byte.
  const data = tokenise ? Buffer.from(tokenise(script), "latin1") : Buffer.from(script, "utf8");
  const file = join(dir, `b${Math.random().toString(36).slice(2)}.js`);
  if (fromStorage) {
    writeFileSync(file, `require("Storage").eraseAll();require("Storage").write(".bootcde",atob(${JSON.stringify(data.toString("base64"))}));print("BOOTCDE "+require("Storage").read(".bootcde").length);quit();`);
    const w = spawnSync(bin, [file], { cwd: dir, input: "", encoding: "utf8", timeout: 30000, killSignal: "SIGKILL" });
    if (!new RegExp("BOOTCDE " + data.length + "\\b").test(w.stdout || "")) throw new Error("writing .bootcde failed: " + (w.stdout || "").slice(-300));
  } else {
    // A Linux build also boots what its Storage holds: none from an earlier run.
    rmSync(join(dir, "espruino.flash"), { force: true });
    writeFileSync(file, data);
  }
  const cg = join(dir, `b${Math.random().toString(36).slice(2)}.cg`);
  const args = (valgrind ? ["--tool=callgrind", `--callgrind-out-file=${cg}`, bin] : []).concat(fromStorage ? [] : [file]);
  const t0 = performance.now();
  const p = spawn(valgrind ? "valgrind" : bin, args, { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
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
  // Built as firmware is (build.mjs: device-only code, mangled names, the gate), as the
  // linux board; the start-up sandbox does not apply (the program needs its peers).
  const { buildBoard } = await import(pathToFileURL(join(root(), "build.mjs")).href);
  const built = await buildBoard("linux", { entry: join(root(), "bench", "device-edhoc.ts"), write: false, sandbox: false });
  const problems = built.errors.filter((e: string) => !/over its budget|budgetVars/.test(e));
  if (problems.length) throw new Error("bench program: " + problems.join("; "));
  const code: string = built.code;
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
  const script = (role: string, port: number, records: number) => `var BENCH=${JSON.stringify([role, port, bridge.port, records])};\n${code}`;
  // Flash holds pretokenised code (build/pretokenise.mjs; `pairkit flash`): both forms are
  // measured, the pretokenised one first as it is what a device runs.
  const { pretokenise } = await import(pathToFileURL(join(root(), "build", "pretokenise.mjs")).href);
  const diff = (a: Run, b: Run) => (a.instructions !== null && b.instructions !== null ? a.instructions - b.instructions : null);
  const measure = async (fromStorage: boolean, tokenise: ((code: string) => string) | null) => {
    const run = (role: string, port: number, records: number) => runEspruino(bin, dir, script(role, port, records), valgrind, fromStorage, tokenise);
    const base = await run("none", 0, 0);
    if (!/BENCH none/.test(base.out)) throw new Error("baseline run failed: " + base.out.slice(-300));
    // Device as initiator against the Node responder.
    const resp = await startResponder(cfg, "127.0.0.1", 0, false);
    const ini0 = await run("i", resp.port, 0);
    const ini100 = await run("i", resp.port, 100);
    await resp.close();
    if (!/BENCH i ok/.test(ini0.out) || !/BENCH i ok/.test(ini100.out)) throw new Error("initiator run failed: " + ini0.out.slice(-300));
    // Device as responder: Node connects once the device listens.
    const port = 20000 + Math.floor(Math.random() * 20000);
    const rp = run("r", port, 0);
    let r = null;
    for (let i = 0; i < 200 && !(r && r.ok); i++) {
      await new Promise((x) => setTimeout(x, valgrind ? 1000 : 200));
      r = await runInitiator(cfg, "127.0.0.1", port);
    }
    const res0 = await rp;
    if (!/BENCH r ok/.test(res0.out)) throw new Error("responder run failed: " + res0.out.slice(-300));
    return {
      handshakeInitiator: valgrind ? diff(ini0, base) : Math.round(ini0.ms - base.ms),
      handshakeResponder: valgrind ? diff(res0, base) : Math.round(res0.ms - base.ms),
      perRecord64: valgrind ? Math.round((diff(ini100, ini0) ?? 0) / 100) : Math.round(((ini100.ms - ini0.ms) / 100) * 1000) / 1000,
    };
  };
  try {
    const ram = await measure(false, null);
    const flashText = await measure(true, null);
    const flashTok = await measure(true, (c) => pretokenise(c).text);
    return {
      interpreter: "Espruino Linux " + (spawnSync(bin, ["-e", "print(process.version);quit()"], { encoding: "utf8" }).stdout.match(/\d+v\d+/) || ["?"])[0],
      measure: valgrind ? "x86 instructions (valgrind callgrind), secure-element time excluded" : "wall time in ms (no valgrind), secure-element time excluded",
      ...ram,
      fromStorage: {
        text: flashText,
        pretokenised: flashTok,
        note: "the same bundle booted from Storage, as JavaScript text and pretokenised (build/pretokenise.mjs, as `pairkit flash` writes it). The Linux build emulates flash with a file it opens, seeks and closes for every read, which a board's memory-mapped flash does not: compare the two forms with each other, not with the figures above",
      },
      note: "bench/device-edhoc.ts built as firmware is (device-only code, mangled names; edhocStep with callbacks, as the pairing controller drives it), as a script file loaded into RAM; method 3, suite 2, manufacturer credentials by value (the peer's CWT validated on the device), P-256 point decompression included; one record = sealing 64 bytes",
    };
  } finally {
    await bridge.close();
  }
}
