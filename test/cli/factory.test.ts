// Factory commands: provision-device against `pairkit se-sim`, and (with ESPRUINO_BIN)
// flash into an Espruino Linux process served with --telnet.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { pretokenise } from "../../build/pretokenise.mjs";
// @ts-ignore -- plain .mjs build script, no type declarations
import { storageFit } from "../../build/boards.mjs";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "pairkit.mjs");
const ENV = { ...process.env, PAIRKIT_CA_PASSPHRASE: "factory test passphrase" };
const dir = mkdtempSync(join(tmpdir(), "pairkit-factory-"));
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) p.kill("SIGKILL");
});

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, encoding: "utf8", timeout: 40000 });
}

function serve(args: string[], ready: RegExp): Promise<string> {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV });
  procs.push(p);
  return new Promise((resolve, reject) => {
    let out = "";
    p.stdout!.on("data", (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve(m[1]);
    });
    p.on("exit", () => reject(new Error("exited: " + out)));
  });
}

describe("pairkit provision-device", () => {
  it("provisions a simulated ATECC608 over its TCP bridge; a second run leaves it alone", async () => {
    expect(run(["ca", "init", "--dir", join(dir, "ca"), "--name", "acme", "--kdf-log2n", "14"]).status).toBe(0);
    const port = await serve(["se-sim", "--listen", "127.0.0.1:0", "--time-scale", "0"], /on 127\.0\.0\.1:(\d+)/);
    const r = run(["provision-device", "--ca", join(dir, "ca"), "--id", "lamp-7", "--model", "lamp", "--se", `127.0.0.1:${port}`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/provisioned lamp-7 \(model lamp, kid [0-9a-f]{8}, credential \d+ bytes\)/);
    const again = run(["provision-device", "--ca", join(dir, "ca"), "--id", "lamp-7", "--model", "lamp", "--se", `127.0.0.1:${port}`]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already provisioned/);
  }, 60000);
});

describe("pairkit flash: Storage size", () => {
  it("refuses files that do not fit the board's Storage before writing anything", () => {
    // Pixl.js: 36,864 bytes of Storage. Port 9 has no listener: reaching the tool at all
    // would fail with FLASH_FAILED instead.
    const fw = join(dir, "big.tok");
    writeFileSync(fw, Buffer.alloc(36_833, 0x41));
    const r = run(["flash", "--board", "pixljs", "--port", "tcp://127.0.0.1:9", "--firmware", fw]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/FLASH_TOO_LARGE/);
    expect(r.stderr).toMatch(/need 36868 bytes of Storage with their headers; pixljs has 36864/);
    expect(r.stderr).not.toMatch(/FLASH_CONNECT|FLASH_FAILED/);
  });

  it("warns when little Storage would be left for the device's records", () => {
    const fw = join(dir, "mid.tok");
    writeFileSync(fw, Buffer.alloc(40_000, 0x41));
    const r = run(["flash", "--board", "mdbt42q", "--port", "tcp://127.0.0.1:9", "--firmware", fw]);
    expect(r.stderr).toMatch(/warning: 928 bytes of mdbt42q's Storage are left for the device's records/);
    // It went on to the tool, which found nothing at port 9: said once, not retried.
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/FLASH_CONNECT: could not reach the board at tcp:\/\/127\.0\.0\.1:9: ECONNREFUSED/);
    expect(r.stderr).not.toMatch(/writing again/);
  }, 60000);

  it("counts Espruino's 32-byte file header and 4-byte padding", () => {
    expect(storageFit(40960, [34838])).toEqual({ need: 34872, left: 6088 });
    expect(storageFit(100, [1, 4, 5])).toEqual({ need: 32 * 3 + 4 + 4 + 8, left: 100 - 112 });
  });
});

const ESP = process.env.ESPRUINO_BIN || "";
if (!ESP) console.log("SKIPPED: pairkit flash against Espruino (set ESPRUINO_BIN to an Espruino Linux binary to run it)");

describe.skipIf(!ESP)("pairkit flash", () => {
  it("writes a bundle into Storage over tcp://127.0.0.1:2323 and it runs at the next boot", async () => {
    const d = mkdtempSync(join(tmpdir(), "pairkit-flash-dev-"));
    const esp = spawn("stdbuf", ["-oL", ESP, "--telnet"], { cwd: d, stdio: ["pipe", "pipe", "pipe"] });
    procs.push(esp);
    await new Promise((r) => setTimeout(r, 1000));
    // Pretokenised, as `pairkit flash` writes a built bundle: token bytes, a raw string and
    // raw integers must all arrive unchanged (the size read back is checked) and run.
    const fw = join(d, "app.tok");
    writeFileSync(fw, Buffer.from(pretokenise('var n=300;if(n===300&&typeof n=="number")print("booted from flash "+(n-298));').text, "latin1"));
    const r = run(["flash", "--board", "linux", "--port", "tcp://127.0.0.1:2323", "--firmware", fw]);
    expect(r.stdout).not.toMatch(/takes the console away/);
    // A Bluetooth board's profile (the same Linux process stands in for it): the user is told
    // how to flash it again, unless the config keeps the console.
    const ble = run(["flash", "--board", "puckjs", "--port", "tcp://127.0.0.1:2323", "--firmware", fw]);
    expect(ble.status, ble.stderr).toBe(0);
    expect(ble.stdout).toMatch(/takes the console away over Bluetooth; to flash this board again, hold its button while powering it/);
    const cfg = join(d, "dev.json");
    writeFileSync(cfg, JSON.stringify({ name: "lamp-dev", console: true }));
    const dev = run(["flash", "--board", "puckjs", "--port", "tcp://127.0.0.1:2323", "--firmware", fw, "--config", cfg]);
    expect(dev.status, dev.stderr).toBe(0);
    expect(dev.stdout).not.toMatch(/takes the console away/);
    // Storage writes reach espruino.flash at once; the telnet console does not listen to stdin.
    esp.kill("SIGKILL");
    await new Promise((res) => esp.on("exit", res));
    expect(r.status, JSON.stringify([r.stderr, r.stdout, String(r.error)])).toBe(0);
    expect(r.stdout).toMatch(/wrote \d+ bytes to tcp:\/\/127\.0\.0\.1:2323 as \.bootcde/);
    const boot = spawnSync(ESP, [], { cwd: d, input: "quit()\n", encoding: "latin1", timeout: 10000, killSignal: "SIGKILL" });
    expect(boot.stdout).toContain("booted from flash 2");
  }, 60000);
});
