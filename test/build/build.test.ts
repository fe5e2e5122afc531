/**
 * The device build (build.mjs): every board's bundle of the current firmware passes the
 * gate and fits its budget; require() survives as a plain call; board constants remove
 * dead code; nothing esbuild-specific (exports, helpers, the require shim, the name `of`)
 * reaches a bundle. Runs esbuild in-process (buildBoard), no Espruino binary needed.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { SourceMap } from "node:module";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { buildBoard, buildAll, formatTable, listBoards, loadBoard } from "../../build.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { fixClassSelfNames } from "../../build/rewrite.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { checkPretokenised } from "../../build/pretokenise.mjs";
// @ts-ignore plain .mjs build script
import { RECORDS_RESERVE } from "../../build/boards.mjs";

type Build = {
  ok: boolean;
  code: string;
  bytes: number;
  storedBytes: number;
  errors: string[];
  board: { name: string; budgetBytes: number; budgetVars: number; jsVars: number; storageBytes: number };
  gate: { ok: boolean; problems: { construct: string; source?: { file: string; line: number } }[]; stats: { functions: number } };
  sourceGate: { problems: { construct: string; source?: { file: string; line: number } }[] };
  sandbox: { ok: boolean; output: string[] } | null;
  report: Record<string, unknown>;
};

var FIX = join(__dirname, "fixtures");
var BOARDS: string[] = listBoards();

describe("board profiles", function () {
  it("has the seven boards", function () {
    expect(BOARDS.slice().sort()).toEqual(["banglejs2", "linux", "mdbt42q", "pico", "pixljs", "puckjs", "wifi"]);
  });

  it("the Puck.js budgets are the design's, and linux proves them", function () {
    var p = loadBoard("puckjs");
    var l = loadBoard("linux");
    expect([p.budgetBytes, p.budgetVars, p.jsVars, p.storageBytes]).toEqual([24576, 1500, 2630, 40960]);
    expect([l.budgetBytes, l.budgetVars, l.jsVars, l.storageBytes]).toEqual([24576, 1500, 2630, 40960]);
    expect(l.transport).toBe("tcp");
    expect(l.secureElement.bus).toBe("tcp");
    expect(typeof l.secureElement.port).toBe("number");
  });

  it("transports: BLE on nRF52, TCP on linux and WiFi, USB serial on the Pico", function () {
    var t: Record<string, string> = {};
    for (var b of BOARDS) t[b] = loadBoard(b).transport;
    expect(t).toEqual({ puckjs: "ble", pixljs: "ble", mdbt42q: "ble", banglejs2: "ble", pico: "usb-serial", wifi: "tcp", linux: "tcp" });
  });

  it("budgets stay inside each board's storage and variables", function () {
    for (var b of BOARDS) {
      var p = loadBoard(b);
      expect(p.budgetBytes).toBeLessThanOrEqual(Math.floor((p.storageBytes * 0.6) / 1024) * 1024 || p.budgetBytes);
      expect(p.budgetVars / p.jsVars).toBeLessThanOrEqual(0.58);
    }
  });
});

/** Boards whose full firmware is still over its byte budget (measured; see the closing note of issue 4). */
var OVER_BUDGET = ["puckjs", "pixljs", "mdbt42q", "pico", "wifi", "linux"];
/**
 * Boards whose pretokenised firmware does not leave RECORDS_RESERVE bytes of their Storage
 * for the device's records (measured: Pixl.js does not fit at all, 40,326 bytes of 36,864;
 * MDBT42Q leaves 712 bytes, under two copies of a bindings record).
 */
var NOT_IN_STORAGE = ["pixljs", "mdbt42q"];

describe("real build of the current firmware", function () {
  for (var name of BOARDS) {
    (function (board: string) {
      it(board + " passes the gate and the start-up sandbox", async function () {
        var r: Build = await buildBoard(board, { write: false });
        expect(r.gate.ok).toBe(true);
        expect(r.report.gate).toBe("pass");
        expect(r.report.sandbox).toBe("pass");
        // Warnings are hazards too (a conditional var throws in Espruino when its block did not run).
        expect(r.report.warnings).toBe(0);
        expect(r.errors.filter(function (e: string) { return !/over its budget|budgetVars|does not fit the board's Storage|for the device's records/.test(e); })).toEqual([]);
        expect(r.code).not.toMatch(/\bexport\s*[{*]|\bexport (var|let|const|function|class|default)\b/);
        expect(r.code).not.toContain("PK_REQ_");
        expect(r.code).not.toContain("Proxy");
      });
      // Boards in OVER_BUDGET do not fit yet (issue 4 stays open): `it.fails` keeps the
      // requirement in the suite, and the day such a bundle fits the test fails and the
      // board must leave the list. Sizes are in dist/report.json.
      (OVER_BUDGET.indexOf(board) >= 0 ? it.fails : it)(board + " fits its byte budget" + (OVER_BUDGET.indexOf(board) >= 0 ? " (known over budget)" : ""), async function () {
        var r: Build = await buildBoard(board, { write: false });
        expect(r.bytes).toBeLessThanOrEqual(r.board.budgetBytes);
        expect(r.ok).toBe(true);
      });
      // Flash holds the pretokenised form with a 32-byte file header, padded to 4 bytes, and
      // must keep room for the device's records.
      (NOT_IN_STORAGE.indexOf(board) >= 0 ? it.fails : it)(board + "'s pretokenised firmware leaves its Storage room for records" + (NOT_IN_STORAGE.indexOf(board) >= 0 ? " (known not to)" : ""), async function () {
        var r: Build = await buildBoard(board, { write: false });
        expect(r.report.storageLeftBytes).toBe(r.board.storageBytes - 32 - Math.ceil(r.storedBytes / 4) * 4);
        expect(r.errors.filter(function (e: string) { return /Storage/.test(e); })).toEqual([]);
        expect(r.report.storageLeftBytes).toBeGreaterThanOrEqual(RECORDS_RESERVE);
      });
    })(name);
  }
});

describe("bundling details", function () {
  var entry = join(FIX, "entry-features.ts");

  it("builds the bench's device program as firmware (npm run bench measures what devices run)", async function () {
    var r: Build = await buildBoard("linux", { entry: join(__dirname, "..", "..", "bench", "device-edhoc.ts"), write: false, sandbox: false });
    // It passes the gate (the Espruino subset) like the firmware; its runner prepends BENCH.
    expect(r.errors.filter(function (e: string) { return !/over its budget|budgetVars/.test(e); })).toEqual([]);
    expect(r.gate.ok).toBe(true);
    expect(r.code).toMatch(/BENCH\[3\]/);
  });

  it("keeps require() plain, drops the entry's export and tree-shakes unused code", async function () {
    var r: Build = await buildBoard("linux", { entry: entry, write: false });
    expect(r.errors).toEqual([]);
    expect(r.code).toContain('require("Storage")');
    expect(r.code).toContain('require("net")');
    expect(r.code).not.toMatch(/\bexport\b/);
    expect(r.code).not.toContain("tree-shaken-away");
    expect(r.code).not.toMatch(/__require|typeof require/);
  });

  it("removes the branches a board cannot run", async function () {
    var puck: Build = await buildBoard("puckjs", { entry: entry, write: false });
    var pixl: Build = await buildBoard("pixljs", { entry: entry, write: false });
    var linux: Build = await buildBoard("linux", { entry: entry, write: false });
    var pico: Build = await buildBoard("pico", { entry: entry, write: false });
    expect(puck.ok && pixl.ok && linux.ok && pico.ok).toBe(true);
    expect(puck.code).toContain("native-aes");
    expect(puck.code).not.toContain("js-aes");
    expect(puck.code).toContain("NRF.setAdvertising");
    expect(puck.code).not.toContain("transport-tcp");
    expect(puck.code).not.toContain('require("net")');
    expect(pixl.code).toContain("js-aes");
    expect(pixl.code).toContain("js-sha");
    expect(linux.code).not.toContain("NRF");
    expect(linux.code).toContain("transport-tcp");
    expect(pico.code).not.toContain("NRF");
    expect(pico.code).not.toContain("transport-tcp");
    expect(puck.code).not.toContain("debug-build");
    var dbg: Build = await buildBoard("puckjs", { entry: entry, write: false, debug: true });
    expect(dbg.code).toContain("debug-build");
  });

  it("gives classes that mention themselves their outer name back (esbuild's _Foo is unbound in Espruino)", async function () {
    var r: Build = await buildBoard("linux", { entry: join(FIX, "entry-classes.ts"), write: false });
    expect(r.errors).toEqual([]);
    var pairs = Array.from(r.code.matchAll(/(\w+)=class (\w+)/g));
    expect(pairs.length).toBeGreaterThanOrEqual(2);
    for (var m of pairs) expect(m[2]).toBe(m[1]);
    expect(r.code).not.toMatch(/static\s*\{/);
    expect(r.sandbox!.output).toContain("classes 2 0 4 2 special");
  });

  it("keeps the source map right after renaming", async function () {
    var src = "function probe() {\n  return 1;\n}\nexport class Foo {\n  static make() {\n    return [new Foo(), probe()];\n  }\n}\nprint(Foo.make());\n";
    var out = await esbuild.build({ stdin: { contents: src, loader: "ts", sourcefile: "src.ts" }, bundle: true, write: false, format: "esm", outfile: "out.js", sourcemap: "external", logLevel: "silent" });
    var js = out.outputFiles.find(function (f) { return f.path.endsWith(".js"); })!.text;
    var map = JSON.parse(out.outputFiles.find(function (f) { return f.path.endsWith(".map"); })!.text);
    expect(js).toContain("new _Foo(), probe()");
    var fixed = fixClassSelfNames(js, map);
    expect(fixed.renamed).toEqual(["_Foo->Foo"]);
    expect(fixed.code).toContain("var Foo = class Foo {");
    expect(fixed.code).toContain("new Foo(), probe()");
    function pos(code: string, needle: string) {
      var at = code.indexOf(needle);
      var lines = code.slice(0, at).split("\n");
      return { line: lines.length - 1, column: lines[lines.length - 1].length };
    }
    var p = pos(fixed.code, "probe()];");
    var entry = new SourceMap(fixed.map).findEntry(p.line, p.column) as { originalLine: number; originalColumn: number };
    expect(entry.originalLine).toBe(5);
    expect(entry.originalColumn).toBe(src.split("\n")[5].indexOf("probe"));
    var old = pos(js, "probe()];");
    expect(old.column).toBe(p.column + 1);
  });

  it("reports a forbidden construct at its source line", async function () {
    var r: Build = await buildBoard("linux", { entry: join(FIX, "entry-bad.ts"), write: false });
    expect(r.ok).toBe(false);
    var p = r.sourceGate.problems.find(function (x) { return x.construct === "optional-chaining"; });
    expect(p).toBeTruthy();
    expect(p!.source!.file).toBe("test/build/fixtures/entry-bad.ts");
    expect(p!.source!.line).toBe(3);
    expect(r.errors.join("\n")).toMatch(/linux: .*optional-chaining.*test\/build\/fixtures\/entry-bad\.ts:3:/);
  });

  it("never lets the minifier name a variable `of` (a keyword in Espruino) and fails an over-budget bundle", async function () {
    var dir = mkdtempSync(join(tmpdir(), "pk-build-"));
    try {
      var src = "";
      for (var i = 0; i < 3000; i++) src += "function fn" + i + "(a" + i + ") { return a" + i + " + " + i + "; }\n";
      src += "var t = 0;\n";
      for (var j = 0; j < 3000; j++) src += "t += fn" + j + "(" + j + ");\n";
      src += "print(t);\n";
      var file = join(dir, "many.js");
      writeFileSync(file, src);
      var r: Build = await buildBoard("linux", { entry: file, write: false, sandbox: false });
      expect(r.gate.problems).toEqual([]);
      expect(r.code).not.toMatch(/\bfunction of\(|\bof=|[,(]of[,)]/);
      expect(r.ok).toBe(false);
      expect(r.errors.join("\n")).toMatch(/linux: bundle is \d+ bytes, over its budget of 24576/);
      expect(r.errors.join("\n")).toMatch(/resident functions alone cost about \d+ Espruino variables/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes dist files and report.json, and prints a size table", async function () {
    var out = mkdtempSync(join(tmpdir(), "pk-dist-"));
    try {
      var res = await buildAll(["puckjs", "linux"], { outDir: out });
      // The build fails while the firmware is over budget (issue 4), and says so.
      expect(res.ok).toBe(res.results.every(function (x: Build) { return x.bytes <= x.board.budgetBytes; }));
      // An over-budget bundle is written as firmware.failed.js, never as firmware.js.
      var shipped = res.ok ? "firmware.js" : "firmware.failed.js";
      expect(existsSync(join(out, "puckjs", shipped))).toBe(true);
      expect(existsSync(join(out, "linux", shipped + ".map"))).toBe(true);
      expect(existsSync(join(out, "linux", "firmware.js"))).toBe(res.ok);
      // The pretokenised form beside it is what flash holds: the same tokens, fewer bytes.
      var tok = readFileSync(join(out, "linux", shipped.replace(/\.js$/, ".tok")));
      var js = readFileSync(join(out, "linux", shipped), "utf8");
      expect(checkPretokenised(js, tok.toString("latin1"))).toBeNull();
      var rep = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
      for (var b of ["puckjs", "linux"]) {
        var e = rep.boards[b];
        expect(e.gate).toBe("pass");
        expect(e.bytes).toBeGreaterThan(0);
        expect(e.storedBytes).toBeGreaterThan(0);
        expect(e.storedBytes).toBeLessThan(e.bytes * 0.9);
        expect(typeof e.functions).toBe("number");
        expect(e.budgetVars).toBe(1500);
        expect(e.jsVars).toBe(2630);
      }
      var table: string = formatTable(res.results);
      expect(table).toMatch(/puckjs\s+\d+\s+24576/);
      expect(table).toMatch(/linux\s+\d+\s+24576/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
