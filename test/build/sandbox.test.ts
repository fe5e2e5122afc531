/**
 * The start-up sandbox (build/sandbox.mjs): a Node vm context with only what Espruino
 * 2v29 has. It must catch a missing global or API reached at run time, which the static
 * gate cannot see (dynamic code, globals the gate's list does not name).
 */
import { describe, expect, it } from "vitest";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { runStartupInSandbox } from "../../build/gate.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { loadBoard } from "../../build/boards.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { buildBoard } from "../../build.mjs";

type Finding = { construct: string; message: string; line: number; column: number };
type Run = { ok: boolean; problems: Finding[]; warnings: Finding[]; output: string[]; pressed: number; storage: Record<string, string> };

var linux = loadBoard("linux");

function run(code: string, board?: object, opts?: object): Promise<Run> {
  return runStartupInSandbox(code, board || linux, Object.assign({ file: "fw.js" }, opts || {}));
}

describe("start-up sandbox", function () {
  it("has none of the globals Espruino lacks, and the ones it has", async function () {
    var r = await run("print([typeof Map, typeof Set, typeof Symbol, typeof BigInt, typeof Proxy, typeof Reflect, typeof TextEncoder, typeof WeakMap, typeof setImmediate, typeof Array.from, typeof Math.imul].join());" +
      "print([typeof E, typeof process.memory, typeof require, typeof setWatch, typeof Promise, typeof Uint8Array, typeof globalThis, typeof global].join());");
    expect(r.output[0]).toBe(Array(11).fill("undefined").join());
    expect(r.output[1]).toBe("object,function,function,function,function,function,object,object");
  });

  it("catches a missing global at start-up", async function () {
    var r = await run("var seed = new Uint8Array(16);\ncrypto.getRandomValues(seed);\nprint('boot');");
    expect(r.ok).toBe(false);
    expect(r.problems[0].construct).toBe("runtime-missing-global");
    expect(r.problems[0].message).toContain("crypto");
    expect(r.problems[0].line).toBe(2);
    expect(r.output).toEqual([]);
  });

  it("catches a missing global reached through eval-like code the static gate cannot read", async function () {
    var r = await run("var make = new Function('return new Map()');\nmake();");
    expect(r.problems.map(function (p) { return p.construct; })).toEqual(["runtime-missing-global"]);
    expect(r.problems[0].message).toContain("Map");
  });

  it("catches a missing global in a start-up timer and in a promise job", async function () {
    var r = await run("setTimeout(function () { new TextEncoder(); }, 200);\nPromise.resolve(1).then(function () { return Symbol('x'); });");
    var msgs = r.problems.map(function (p) { return p.construct + " " + p.message; }).join("\n");
    expect(msgs).toMatch(/runtime-missing-global .*TextEncoder/);
    expect(msgs).toMatch(/runtime-missing-global .*unhandled rejection.*Symbol/);
  });

  it("catches a missing static method", async function () {
    var r = await run("print(Math.trunc(1.5));");
    expect(r.problems[0].construct).toBe("runtime-missing-api");
    expect(r.problems[0].message).toContain("trunc");
  });

  it("presses each watched button once after start-up", async function () {
    var code = "setWatch(function (e) { if (e.state) new WeakMap(); }, 'D0', { repeat: true, edge: 'rising' });";
    var pressed = await run(code);
    expect(pressed.pressed).toBe(1);
    expect(pressed.problems[0].message).toContain("WeakMap");
    expect(pressed.problems[0].message).toContain("button press");
    expect((await run(code, linux, { pressButtons: false })).ok).toBe(true);
  });

  it("knows each board's modules and globals", async function () {
    var puck = loadBoard("puckjs");
    var net = await run("var net = require('net');", puck);
    expect(net.problems[0].construct).toBe("runtime-require");
    expect((await run("var net = require('net'); print(typeof net.connect);")).output).toEqual(["function"]);
    expect((await run("NRF.setAdvertising({}); LED1.write(1);", puck)).ok).toBe(true);
    expect((await run("NRF.setAdvertising({});")).problems[0].message).toContain("NRF");
  });

  it("fakes Storage and the board's native crypto", async function () {
    var r = await run("var S = require('Storage'); S.write('pk.a', 'hello'); print(S.read('pk.a'));" +
      "var h = new Uint8Array(require('crypto').SHA256('abc')); print(h.length, h[0].toString(16));" +
      "print(typeof require('crypto').AES.encrypt);");
    expect(r.output).toEqual(["hello", "32 ba", "function"]);
    expect(r.storage["pk.a"]).toBe("hello");
    var pixl = await run("print(typeof require('crypto').SHA256, typeof require('crypto').AES);", loadBoard("pixljs"));
    expect(pixl.output).toEqual(["undefined undefined"]);
  });

  it("reports other start-up exceptions as warnings (the fakes are not hardware)", async function () {
    var r = await run("throw new Error('no secure element');");
    expect(r.ok).toBe(true);
    expect(r.warnings[0].construct).toBe("runtime-exception");
  });

  it("runs Espruino's promise order: due timers before promise jobs", async function () {
    var r = await run("setTimeout(function () { print('T'); }, 0); Promise.resolve().then(function () { print('P'); }); print('S');");
    expect(r.output).toEqual(["S", "T", "P"]);
  });

  it("starts the firmware of the linux build: it reaches for its secure element over the TCP bridge", async function () {
    var b = await buildBoard("linux", { write: false, sandbox: false });
    var r = await runStartupInSandbox(b.code, linux);
    expect(r.ok).toBe(true);
    expect(r.output.join("\n")).toContain("net.connect");
  });

  it("a Bluetooth board's firmware takes the console away at start-up and drops a connection that came first, unless pkcfg says console: true", async function () {
    var puck = loadBoard("puckjs");
    var b = await buildBoard("puckjs", { write: false, sandbox: false });
    var shipped = await runStartupInSandbox(b.code, puck);
    expect(shipped.console).toEqual({ device: null, force: true });
    expect(shipped.bleDisconnects).toBe(1);
    var dev = await runStartupInSandbox(b.code, puck, { storage: { pkcfg: JSON.stringify({ name: "lamp-dev", console: true }) } });
    expect(dev.console).toBeNull();
    expect(dev.bleDisconnects).toBe(0);
    // Not on the TCP boards, whose console is a wire or the Linux process's own.
    var l = await buildBoard("linux", { write: false, sandbox: false });
    expect((await runStartupInSandbox(l.code, linux)).console).toBeNull();
  });
});
