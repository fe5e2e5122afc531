/**
 * Factory and bench commands for real and simulated devices:
 *   pairkit se-sim            an ATECC608 simulator behind a TCP bridge (the Linux board's I2C)
 *   pairkit hub               the radio hub for Espruino Linux devices
 *   pairkit provision-device  slot map, key generation in the chip, credential from the CA,
 *                             identity stored in the chip; optionally also into the board's Storage
 *   pairkit flash             the board's firmware bundle into Storage (.bootcde), with the
 *                             `espruino` tool, so that it runs from flash at boot
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname } from "node:path";
import { perr } from "../../core/errors";
import { parseArgs, required } from "../args";
import { readCaDir, unlockCa, signCredential } from "../ca/ca";
import { existingPassphrase } from "../ca/passphrase";
import { AteccSimulator } from "../atecc608/simulator";
import { startSeBridge } from "../atecc608/bridge";
import { provisionSecureElement } from "../atecc608/provision";
import { createSeDriver } from "../../crypto/atecc608/driver";
import { tcpBus } from "../../crypto/atecc608/bus";
import { encodeIdentity } from "../../crypto/atecc608/identity";
import { startHub } from "../sim/hub";
import { parseCredential } from "../../core/cred/format";
import type { Command } from "./types";
import * as net from "node:net";

/** The pairkit checkout this code runs from (the CLI runs bundled from .cache/). */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, "build.mjs")) && dirname(d) !== d) d = dirname(d);
  return d;
}

function hostPort(s: string, what: string): { host: string; port: number } {
  const m = /^(?:tcp:\/\/)?([^:]+):(\d+)$/.exec(s);
  if (!m) throw perr("CLI_USAGE", `${what} must be HOST:PORT`);
  return { host: m[1], port: Number(m[2]) };
}

export const seSimCommand: Command = {
  name: "se-sim",
  summary: "run an ATECC608 simulator behind a TCP bridge (Linux board, tests)",
  usage: `pairkit se-sim [--listen HOST:PORT] [--time-scale X]

Starts a blank (unprovisioned) ATECC608 simulator and serves its I2C traffic over TCP,
the way the Espruino Linux board's firmware reaches its secure element. Provision it with
\`pairkit provision-device --se HOST:PORT\`. Runs until killed; the chip's state lives in
this process. --time-scale scales execution times (1 = the chip's worst case, default).`,
  async run(args) {
    const p = parseArgs(args, { values: ["listen", "time-scale"] });
    const { host, port } = hostPort(p.values.listen || "127.0.0.1:7460", "--listen");
    const sim = new AteccSimulator({ timeScale: p.values["time-scale"] ? Number(p.values["time-scale"]) : 1 });
    const b = await startSeBridge({ host, port, sim });
    console.log(`se-sim: ATECC608 simulator on ${host}:${b.port}`);
    return new Promise<number>(() => {});
  },
};

export const hubCommand: Command = {
  name: "hub",
  summary: "run the radio hub that connects Espruino Linux devices",
  usage: `pairkit hub [--listen HOST:PORT]

The "air" for devices on the Espruino Linux build: repeats advertisements and carries
links between devices (src/host/sim/hub.ts). Runs until killed.`,
  async run(args) {
    const p = parseArgs(args, { values: ["listen"] });
    const { host, port } = hostPort(p.values.listen || "127.0.0.1:7420", "--listen");
    const h = await startHub({ host, port, log: (s) => console.log(s) });
    console.log(`hub: listening on ${host}:${h.port}`);
    return new Promise<number>(() => {});
  },
};

/** Runs the `espruino` tool (the npm package's CLI) against a board. */
function espruinoTool(port: string, board: string, extra: string[]): string {
  const req = createRequire(import.meta.url);
  let cli: string;
  try {
    cli = join(req.resolve("espruino/package.json"), "..", "bin", "espruino-cli.js");
  } catch {
    throw perr("FLASH_TOOL", "the espruino package is not installed (npm install)");
  }
  const dir = mkdtempSync(join(tmpdir(), "pairkit-flash-"));
  // An explicit board description: the tool then needs no network to look the board up.
  const boardJson = join(dir, "board.json");
  writeFileSync(boardJson, JSON.stringify({ info: { name: board, builtin_modules: ["Storage", "crypto", "net", "Flash", "heatshrink"] } }));
  const r = spawnSync(process.execPath, [cli, "--no-ble", "--board", boardJson, "-p", port, ...extra], { encoding: "utf8", timeout: 120000 });
  if (r.status !== 0) throw perr("FLASH_FAILED", `espruino tool failed (${r.status}): ${(r.stderr || r.stdout || "").trim().split("\n").slice(-3).join(" ")}`);
  // The tool (0.1.67) exits with 0 when it cannot reach the board; it says so on stderr.
  const err = r.stderr || "";
  if (/Unable to connect!|RECEIVE ERROR/.test(err)) {
    const why = /"code":"(\w+)"/.exec(err)?.[1] || err.trim().split("\n").filter((l) => !/Unable to connect!/.test(l)).pop() || "no answer";
    throw perr("FLASH_CONNECT", `could not reach the board at ${port}: ${why}`);
  }
  return r.stdout;
}

/**
 * Writes files into the board's Storage and checks what arrived. Up to three attempts: over
 * `espruino --telnet` the tool's Ctrl-C sometimes reaches the REPL after the start of the
 * first upload line and wipes it (measured: 2 of 4 uploads of the Linux bundle), and the
 * size check is what notices.
 */
function writeStorage(port: string, board: string, files: { name: string; path: string }[]): void {
  const args: string[] = [];
  for (const f of files) args.push("--storage", `${f.name}:${f.path}`);
  const sizes = files.map((f) => `require('Storage').read(${JSON.stringify(f.name)}).length`).join("+','+");
  const want = files.map((f) => readFileSync(f.path).length).join(",");
  let got = "nothing";
  for (let attempt = 1; attempt <= 3; attempt++) {
    const out = espruinoTool(port, board, [...args, "-e", `print('PKSIZES='+${sizes})`]);
    const m = /PKSIZES=([\d,]+)/.exec(out);
    if (m && m[1] === want) return;
    got = m ? m[1] + " bytes" : "nothing";
    if (attempt < 3) console.error(`flash: Storage holds ${got}, expected ${want} bytes; writing again (attempt ${attempt + 1} of 3)`);
  }
  throw perr("FLASH_VERIFY", `Storage holds ${got}, expected ${want} bytes`);
}

export const flashCommand: Command = {
  name: "flash",
  summary: "write the firmware bundle into a board's Storage (runs from flash at boot)",
  usage: `pairkit flash --board B --port PORT [--firmware FILE] [--text] [--config FILE]

Builds the board's bundle (unless --firmware is given) and writes it into the board's
Storage as .bootcde with the espruino tool, so it runs from flash at every boot; then
reads the size back to check it. What is written is the pretokenised bundle
(dist/<B>/firmware.tok: Espruino's own token encoding of dist/<B>/firmware.js, about 14 %
smaller, the same program; it needs Espruino 2v26 or later on the board, as every
profile in boards/ states); --text writes the minified JavaScript instead. --firmware
writes the given file as it is. --config writes a JSON file as Storage "pkcfg" (the Linux
board's device name, hub and secure-element bridge addresses). Files that do not fit the
board's Storage (boards/<B>.json storageBytes, with Espruino's file headers) are refused
before anything is written; a warning says when less than 4 KB would be left for the
device's records (the build's own limit).
  --port   a serial port, a Bluetooth address, or tcp://127.0.0.1:2323 for \`espruino --telnet\``,
  async run(args) {
    const p = parseArgs(args, { values: ["board", "port", "firmware", "config"], flags: ["text"] });
    const board = required(p, "board");
    const port = required(p, "port");
    let fw = p.values.firmware;
    if (fw && p.flags.text) throw perr("CLI_USAGE", "--text chooses between the built forms; with --firmware the file is written as it is");
    if (!fw) {
      const { buildBoard } = await import(pathToFileURL(join(repoRoot(), "build.mjs")).href);
      const b = await buildBoard(board, { write: true });
      fw = join(repoRoot(), "dist", board, (b.ok ? "firmware" : "firmware.failed") + (p.flags.text ? ".js" : ".tok"));
      if (!b.ok) console.error(`flash: warning: the ${board} build is not within its budget:\n  ${b.errors.join("\n  ")}`);
    }
    if (!existsSync(fw)) throw perr("FILE_READ", `no firmware at ${fw}`);
    const files = [{ name: ".bootcde", path: fw }];
    if (p.values.config) files.push({ name: "pkcfg", path: p.values.config });
    const { loadBoard, storageFit, RECORDS_RESERVE } = await import(pathToFileURL(join(repoRoot(), "build", "boards.mjs")).href);
    let storageBytes = 0;
    let transport = "";
    try {
      ({ storageBytes, transport } = loadBoard(board));
    } catch {
      console.error(`flash: no profile boards/${board}.json: the Storage size is not checked`);
    }
    if (storageBytes) {
      const fit = storageFit(storageBytes, files.map((f) => readFileSync(f.path).length));
      if (fit.left < 0) throw perr("FLASH_TOO_LARGE", `the files need ${fit.need} bytes of Storage with their headers; ${board} has ${storageBytes}`);
      if (fit.left < RECORDS_RESERVE) console.error(`flash: warning: ${fit.left} bytes of ${board}'s Storage are left for the device's records (bindings, deny list); under ${RECORDS_RESERVE}, a record update may not fit (docs/device-memory.md)`);
    }
    writeStorage(port, board.toUpperCase(), files);
    console.log(`flash: wrote ${readFileSync(fw).length} bytes to ${port} as .bootcde${p.values.config ? " (+ pkcfg)" : ""}; it runs at the next boot`);
    let keepsConsole = false;
    try {
      keepsConsole = !!p.values.config && JSON.parse(readFileSync(p.values.config, "utf8")).console === true;
    } catch {
      // not JSON: the device ignores it too
    }
    if (transport === "ble" && !keepsConsole) console.log("flash: from its next boot the firmware takes the console away over Bluetooth; to flash this board again, hold its button while powering it (docs/boards.md)");
    return 0;
  },
};

export const provisionCommand: Command = {
  name: "provision-device",
  summary: "provision a secure element: slot map, key in the chip, credential, identity",
  usage: `pairkit provision-device --ca DIR --id ID --model M --se HOST:PORT [--port PORT --board B]

Provisions the ATECC608 reachable through a TCP bridge (\`pairkit se-sim\`, or a bridge to
a board's I2C): writes and locks pairkit's slot map (docs/atecc608.md), generates the
device key inside the chip, has the CA in --ca issue the credential for its public key,
and stores credential and trust anchor in the chip's identity slot. The private key never
leaves the chip. With --port it also writes the identity into the board's Storage ("pkid").
Safe to re-run: an already provisioned chip is left as it is.`,
  async run(args) {
    const p = parseArgs(args, { values: ["ca", "id", "model", "se", "port", "board"] });
    const id = required(p, "id");
    const model = required(p, "model");
    const { host, port } = hostPort(required(p, "se"), "--se");
    const d = readCaDir(required(p, "ca"));
    const ca = await unlockCa(d, await existingPassphrase(`CA '${d.cred.sub}'`));
    const bus = tcpBus(net as unknown as Parameters<typeof tcpBus>[0], host, port);
    try {
      const drv = createSeDriver(bus, {});
      const r = await provisionSecureElement(drv, {
        issueCredential: (pub) => signCredential(ca.crypto, ca.priv, { sub: ca.cred.sub, kid: ca.cred.kid }, { sub: id, role: "device", model, pub }),
        trustAnchors: [ca.anchor.bytes],
      });
      const cred = parseCredential(r.identity.credential);
      console.log(`provision-device: ${r.alreadyProvisioned ? "already provisioned" : "provisioned"} ${cred.sub} (model ${cred.model}, kid ${Buffer.from(cred.kid).toString("hex")}, credential ${r.identity.credential.length} bytes)`);
      if (p.values.port) {
        const f = join(mkdtempSync(join(tmpdir(), "pairkit-id-")), "pkid");
        writeFileSync(f, encodeIdentity(r.identity));
        writeStorage(p.values.port, (p.values.board || "linux").toUpperCase(), [{ name: "pkid", path: f }]);
        console.log(`provision-device: identity written to ${p.values.port} Storage as pkid`);
      }
      return 0;
    } finally {
      bus.close();
    }
  },
};
