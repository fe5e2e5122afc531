/**
 * The device firmware on the real Espruino interpreter (ESPRUINO_BIN = an Espruino Linux
 * build, 2v29): devices boot from Storage, pair by button over the TCP hub with their
 * ATECC608s simulated behind TCP bridges; a third replaces one of them and the evicted
 * unit is refused. Prints one JSON line per device with the peak variable count and the
 * bytes its Storage holds, which must fit the Puck.js's Storage. With ESPRUINO_PUCKJS_BIN
 * (a build with a Puck.js's memory) the same scenario runs again within 2,630 variables and
 * 40 KB of Storage. Then the bound pair exchanges records and reconnects, and must keep no
 * memory from it. Each is skipped, saying so, without its binary.
 */
import { afterAll, describe, expect, it } from "vitest";
// @ts-ignore build.mjs is JavaScript
import { buildBoard } from "../../build.mjs";
import { ESPRUINO_BIN, ESPRUINO_PUCKJS_BIN, startLab, type EspDevice, type Lab } from "./harness";

if (!ESPRUINO_BIN) console.log("SKIPPED: real-interpreter pairing test (set ESPRUINO_BIN to an Espruino Linux binary to run it)");
if (!ESPRUINO_PUCKJS_BIN) console.log("SKIPPED: pairing test with a Puck.js's memory (set ESPRUINO_PUCKJS_BIN to an Espruino Linux build with 2,630 variables, 32-bit and 40 KB of Storage: README)");

// The default Linux build (resizable variables of 27 bytes, 256 KB of Storage; the budgets
// are stated in its variables) and, when named, a build with a Puck.js's memory, where the
// firmware must run within 2,630 variables of 13 bytes and a 40 KB Storage.
for (const [memory, bin] of [["linux", ESPRUINO_BIN], ["puckjs", ESPRUINO_PUCKJS_BIN]]) describe.skipIf(!bin)("pairing on the real Espruino interpreter (" + memory + " memory)", () => {
  let lab: Lab;
  let bundleBytes = 0;
  let storedBytes = 0;
  let storageBytes = 0;
  afterAll(async () => {
    if (lab) await lab.close();
  });

  const code = (d: EspDevice, from = 0) => d.seen("code", from)[0]?.d?.code;
  // The bound pair the scenario leaves running (lamp-a and its replacement lamp-c).
  let pair: EspDevice[] = [];

  it("boots from Storage, pairs two devices by button over TCP; a third replaces one; the evicted unit is refused", async () => {
    const b = await buildBoard("linux", { write: false, sandbox: false });
    expect(b.stored, b.errors.join("\n")).toBeTruthy();
    bundleBytes = b.code.length;
    storedBytes = b.storedBytes;
    storageBytes = b.board.storageBytes;
    // Flash holds the pretokenised bundle, as `pairkit flash` writes it.
    lab = await startLab(b.stored, { bin });
    const [a, bb, c] = [await lab.add("lamp-a"), await lab.add("lamp-b"), await lab.add("lamp-c")];
    pair = [a, c];
    const tail = (d: EspDevice) => d.name + ":\n" + d.out.slice(-1500);
    a.boot();
    bb.boot();
    expect(await lab.waitFor(() => a.seen("ready").length > 0 && bb.seen("ready").length > 0, 20000), tail(a) + tail(bb)).toBe(true);

    // Pairing: both buttons, the same code on both, both confirm.
    a.press();
    bb.press();
    expect(await lab.waitFor(() => !!code(a) && !!code(bb), 30000), tail(a) + tail(bb)).toBe(true);
    expect(code(a)).toBe(code(bb));
    a.press();
    bb.press();
    expect(await lab.waitFor(() => a.seen("paired").length > 0 && bb.seen("paired").length > 0, 30000), tail(a)).toBe(true);
    const paired = Date.now();

    // lamp-b dies; lamp-c is unboxed; lamp-a holds its button 3 s (replacement window).
    await bb.stop();
    c.boot();
    expect(await lab.waitFor(() => c.seen("ready").length > 0, 20000), tail(c)).toBe(true);
    const ea = a.events.length;
    a.press(3500);
    c.press();
    expect(await lab.waitFor(() => !!code(a, ea) && !!code(c), 30000), tail(a) + tail(c)).toBe(true);
    expect(code(a, ea)).toBe(code(c));
    a.press();
    c.press();
    expect(await lab.waitFor(() => a.seen("replaced", ea).length > 0 && c.seen("paired").length > 0, 40000), tail(a) + tail(c)).toBe(true);
    expect(a.seen("replaced", ea)[0].d).toMatchObject({ peer: "lamp-c", old: "lamp-b" });

    // The dead unit comes back (it still holds its binding) and is refused.
    bb.boot();
    expect(await lab.waitFor(() => bb.seen("ready").length > 1, 20000), tail(bb)).toBe(true);
    const eb = bb.events.length;
    const ea2 = a.events.length;
    bb.repl('PK.connectTo("lamp-a", "lamp-a")');
    await lab.waitFor(() => bb.seen("failed", eb).length > 0, 20000);
    expect(bb.seen("session", eb)).toEqual([]);
    bb.repl("PK.press(10500)");
    await lab.waitFor(() => bb.seen("cleared", eb).length > 0, 5000);
    a.press();
    bb.press();
    await lab.waitFor(() => a.seen("failed", ea2).some((e) => e.d && e.d.code === "PAIR_EVICTED"), 30000);
    expect(a.seen("failed", ea2).map((e) => e.d && e.d.code), JSON.stringify(a.events.slice(ea2)) + "\n" + JSON.stringify(bb.events.slice(eb))).toContain("PAIR_EVICTED");
    expect(bb.seen("paired", eb)).toEqual([]);

    for (const d of [a, bb, c]) {
      const peak = await peakOf(d);
      const mem = await ask(d, "mem", "process.memory()");
      // What the device's Storage holds now (firmware, its config, bindings and deny-list
      // records, each with Espruino's file header and padding): the reason for the byte
      // budget is that all of it must fit the Puck.js's Storage, which the linux board
      // stands in for (its own Storage is 256 KB, so the interpreter would not say).
      const flash = await ask(d, "flash", "require('Storage').getStats()");
      const result = d === bb ? "refused" : "ok";
      console.log(JSON.stringify({ device: d.name, result, memory, peakVars: peak, jsVars: mem.total, blockBytes: mem.blocksize, bundleBytes, storedBytes, flashBytes: flash.fileBytes, storageTotal: flash.totalBytes, ms: d === a ? paired - d.started : Date.now() - d.started }));
      expect(flash.fileBytes, JSON.stringify(flash)).toBeGreaterThan(storedBytes);
      expect(flash.fileBytes, JSON.stringify(flash)).toBeLessThanOrEqual(storageBytes);
      if (memory === "puckjs") {
        // The binary really has a Puck.js's memory, and the firmware ran within it.
        expect([mem.total, mem.blocksize, flash.totalBytes]).toEqual([2630, 13, 40960]);
        expect(peak).toBeGreaterThan(0);
        expect(peak).toBeLessThan(2630);
      }
    }
  }, 240000);

  it("keeps no memory from session records or reconnects (the bound pair after the scenario)", async () => {
    const [a, c] = pair;
    expect(a && c, "the scenario above must have run").toBeTruthy();
    const usage = async (d: EspDevice) => (await ask(d, "mem", "process.memory()")).usage as number;
    const exchange = async (n: number) => {
      const ea = a.events.length, ec = c.events.length;
      for (let i = 0; i < n; i++) {
        a.repl('PK.send("lamp-c", E.toUint8Array("to c ' + i + '"))');
        c.repl('PK.send("lamp-a", E.toUint8Array("to a ' + i + '"))');
      }
      expect(await lab.waitFor(() => c.seen("message", ec).length >= n && a.seen("message", ea).length >= n, 30000), a.out.slice(-800) + c.out.slice(-800)).toBe(true);
    };
    const reconnect = async () => {
      const ea = a.events.length;
      await c.stop();
      c.boot();
      const ec = c.events.length;
      expect(await lab.waitFor(() => c.seen("ready", ec).length > 0, 20000), c.out.slice(-800)).toBe(true);
      c.repl('PK.connectTo("lamp-a", "lamp-a")');
      expect(await lab.waitFor(() => c.seen("session", ec).length > 0 && a.seen("session", ea).length > 0, 20000), c.out.slice(-800) + a.out.slice(-800)).toBe(true);
    };
    // Warm up: the first records and reconnect create what stays for good (the replay window, timers).
    await exchange(5);
    await reconnect();
    await exchange(5);
    const before = [await usage(a), await usage(c)];
    for (let r = 0; r < 3; r++) {
      await exchange(20);
      await reconnect();
    }
    await exchange(5);
    const after = [await usage(a), await usage(c)];
    console.log(JSON.stringify({ memory, soak: "60 records each way, 3 reconnects", before, after }));
    // lamp-c rebooted, so its numbers compare a fresh boot with a fresh boot; lamp-a has
    // stayed up through all of it. A few variables of slack for timers in flight.
    expect(after[0] - before[0]).toBeLessThan(25);
    expect(after[1] - before[1]).toBeLessThan(25);
  }, 240000);
});

/** Evaluates js on the device's REPL and returns its value (undefined after 5 s). */
async function ask(d: EspDevice, tag: string, js: string): Promise<any> {
  const n = d.events.length;
  d.repl(`print(JSON.stringify({pk:"${tag}",d:${js}}))`);
  const end = Date.now() + 5000;
  while (Date.now() < end && d.seen(tag, n).length === 0) await new Promise((r) => setTimeout(r, 50));
  return d.seen(tag, n)[0]?.d;
}

async function peakOf(d: EspDevice): Promise<number> {
  return (await ask(d, "peak", "PK.peak()")) ?? -1;
}
