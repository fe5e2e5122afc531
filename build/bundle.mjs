// The device build: one esbuild bundle of firmware/main.ts per board, checked by the
// Espruino compatibility gate, sized against the board's budget.
//
// Two esbuild passes per board:
//   1. source check: bundled, NOT minified, target esnext. Nothing is lowered or
//      rewritten, so every construct the gate rejects is reported where the source wrote
//      it (file:line:column through the source map), and esbuild helpers keep their
//      recognisable __names.
//   2. shipped bundle: minified, target es2022 with the features Espruino lacks marked
//      unsupported, so the minifier never *introduces* them (esbuild turns
//      `a != null ? a : b` into `a ?? b` and `a == null ? void 0 : a.b` into `a?.b` when
//      the target allows). Then build/arrows.mjs turns `function`s into arrow functions
//      where that changes nothing (about 2 % of the bytes; `arrows: false` turns it off)
//      and moves the source map along, and build/joinvars.mjs joins adjacent `var`
//      statements (`var a=1;var b=2` -> `var a=1,b=2`; `joinVars: false` turns it off). The
//      gate runs again on exactly what ships, then the start-up sandbox.
//
// Espruino specifics handled here:
//   - `require("Storage")`, `require("crypto")`, `require("net")` must stay plain calls.
//     esbuild's ESM output would route them through a `__require` shim (which uses
//     Proxy), so `require` is renamed by a `define` to a placeholder of the same length
//     and renamed back after bundling (same length: source map columns stay valid).
//   - format "esm" with a synthetic entry that only imports firmware/main.ts: no IIFE
//     wrapper (it would cost one Espruino variable per function) and no `export` left
//     over even when main.ts exports something.
//   - esbuild bundles turn `class Foo {}` into `var Foo = class _Foo {}` and name the
//     class `_Foo` inside its own body; Espruino does not bind that inner name. The
//     rewrite in build/rewrite.mjs gives such classes their outer name back.
//   - TypeScript class fields use assignment semantics (useDefineForClassFields: false):
//     `x = 1` becomes `this.x = 1` in the constructor and a type-only `x: T;` disappears;
//     static fields become `Foo.x = 1` after the class (no static blocks). Espruino's own
//     class fields are shared between instances, so they must not reach the bundle.
//   - esbuild may pick any non-keyword as a minified name; `of` is a keyword in Espruino
//     ("Got of expected ID"), and a top-level name like `E` or `D1` would overwrite an
//     Espruino global. The synthetic entry mentions those names in `typeof` expressions
//     (removed again by the minifier), which makes esbuild treat them as taken.
import { deviceSourcePlugin } from "./strip.mjs";
import { pretokenise, checkPretokenised } from "./pretokenise.mjs";
import * as esbuild from "esbuild";
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import { mkdirSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, loadBoard, listBoards, boardDefines, RECORDS_RESERVE, storageFit } from "./boards.mjs";
import { checkBundle, formatProblem } from "./gate.mjs";
import { runStartupInSandbox } from "./sandbox.mjs";
import { BOARD_GLOBALS } from "./espruino-facts.mjs";
import { fixClassSelfNames, parseLoose } from "./rewrite.mjs";
import { checkEventDetails, mangleOptions } from "./mangle.mjs";
import { arrowFunctions } from "./arrows.mjs";
import { joinVars } from "./joinvars.mjs";

export var DEFAULT_ENTRY = join(ROOT, "firmware", "main.ts");
export var DIST = join(ROOT, "dist");
var REQUIRE_PLACEHOLDER = "PK_REQ_"; // same length as "require"

// Names esbuild must not choose for minified identifiers.
var ESPRUINO_NAMES = ["of", "E", "NRF", "Bluetooth", "Puck", "Pixl", "Bangle", "Graphics", "I2C", "SPI", "Serial", "Pin", "USB",
  "LED", "BTN", "print", "load", "save", "reset", "dump", "edit", "trace", "global", "Modules", "Storage", "process",
  "getTime", "setTime", "setWatch", "clearWatch", "digitalWrite", "digitalRead", "digitalPulse", "pinMode", "analogRead", "analogWrite",
  "peek8", "poke8", "peek16", "poke16", "peek32", "poke32", "changeInterval", "getSerial", "require", "btoa", "atob", "HIGH", "LOW", "g"]
  .concat(BOARD_GLOBALS);
(function () {
  var i;
  for (i = 0; i < 48; i++) ESPRUINO_NAMES.push("D" + i);
  for (var p of ["A", "B", "C", "H"]) for (i = 0; i < 16; i++) ESPRUINO_NAMES.push(p + i);
  for (i = 1; i <= 6; i++) ESPRUINO_NAMES.push("Serial" + i, "I2C" + i, "SPI" + i, "LED" + i);
})();

// Features the minifier must not introduce (and the source must not use: pass 1 rejects them).
var UNSUPPORTED = {
  "class-static-blocks": false,
  "nullish-coalescing": false,
  "optional-chain": false,
  "logical-assignment": false,
  "exponent-operator": false,
};

function entryContents(entry, reserve) {
  var s = "import " + JSON.stringify(entry) + ";\n";
  if (reserve) s += ESPRUINO_NAMES.map(function (n) { return "typeof " + n; }).join(", ") + ";\n";
  return s;
}

/** Renames the require placeholder back; the names have the same length, so positions do not move. */
function restoreRequire(code) {
  if (code.indexOf(REQUIRE_PLACEHOLDER) < 0) return code;
  var ast = parseLoose(code);
  if (!ast) return code.replace(new RegExp("\\b" + REQUIRE_PLACEHOLDER + "\\b", "g"), "require");
  var spots = [];
  walk.full(ast, function (n) {
    if (n.type === "Identifier" && n.name === REQUIRE_PLACEHOLDER) spots.push(n.start);
  });
  var out = code;
  spots.sort(function (a, b) { return b - a; });
  for (var at of spots) out = out.slice(0, at) + "require" + out.slice(at + REQUIRE_PLACEHOLDER.length);
  return out;
}

function relSource(p) {
  if (!p) return p;
  var s = p.replace(/^file:\/\//, "");
  if (s.startsWith("/")) s = relative(ROOT, s);
  return s;
}

async function esbuildPass(entry, board, defines, minify, mangle) {
  var res = await esbuild.build(Object.assign({
    stdin: { contents: entryContents(entry, minify), resolveDir: ROOT, sourcefile: "pk-entry.js", loader: "js" },
    bundle: true,
    write: false,
    outfile: join(DIST, board.name, minify ? "firmware.js" : "check.js"),
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: minify ? "es2022" : "esnext",
    supported: minify ? UNSUPPORTED : { "class-static-blocks": false },
    minify: minify,
    charset: "ascii",
    legalComments: "none",
    sourcemap: "external",
    sourcesContent: false,
    define: Object.assign({ require: REQUIRE_PLACEHOLDER }, defines),
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, verbatimModuleSyntax: false } },
    logLevel: "silent",
    metafile: true,
    plugins: minify ? [deviceSourcePlugin()] : [],
    inject: minify ? [join(ROOT, "build", "global-aliases.js")] : [],
  }, mangle ? { mangleProps: mangle.mangleProps, reserveProps: mangle.reserveProps } : {}));
  var js = res.outputFiles.find(function (f) { return f.path.endsWith(".js"); });
  var map = res.outputFiles.find(function (f) { return f.path.endsWith(".map"); });
  var mapObj = JSON.parse(map.text);
  mapObj.sources = mapObj.sources.map(function (s) { return s === "pk-entry.js" ? s : relSource(join(DIST, board.name, s)); });
  var fixed = fixClassSelfNames(restoreRequire(js.text), mapObj);
  return { code: fixed.code, map: fixed.map, metafile: res.metafile, warnings: res.warnings, renamedClasses: fixed.renamed };
}

/**
 * Builds one board.
 * @param {string} name board name (boards/<name>.json)
 * @param {{ entry?: string, write?: boolean, outDir?: string, sandbox?: boolean, debug?: boolean, sourceCheck?: boolean }} [opts]
 *   write: write dist/<board>/firmware.js(.map) and firmware.tok, its pretokenised form (default true)
 *   sandbox: run the start-up sandbox on the shipped bundle (default true)
 *   mangle: rename the bundle's own property names (build/mangle.mjs; default true)
 *   arrows: turn functions into arrow functions where that is safe (build/arrows.mjs; default true)
 *   joinVars: join adjacent `var` statements (build/joinvars.mjs; default true)
 * @returns {Promise<{ board: object, code: string, stored: string|null, storedBytes: number|null, map: object, bytes: number, ok: boolean,
 *   gate: object, sourceGate: object|null, sandbox: object|null, report: object, errors: string[],
 *   arrows: object|null, joinVars: object|null }>} arrows: what build/arrows.mjs converted and
 *   skipped (null when off); joinVars: how many statements build/joinvars.mjs joined (null when off);
 *   stored: the pretokenised bundle that flash holds, one character per byte (build/pretokenise.mjs;
 *   null when the gate failed)
 */
export async function buildBoard(name, opts) {
  opts = Object.assign({ entry: DEFAULT_ENTRY, write: true, outDir: DIST, sandbox: true, debug: false, sourceCheck: true, mangle: true, arrows: true, joinVars: true }, opts || {});
  var board = loadBoard(name);
  var defines = boardDefines(board, { debug: opts.debug });
  if (!existsSync(opts.entry)) throw new Error("no firmware entry at " + relative(ROOT, opts.entry));

  var errors = [];
  var sourceGate = null;
  var check = await esbuildPass(opts.entry, board, defines, false);
  if (opts.sourceCheck) {
    // No board here: pass 1 keeps `if (false) {...}` branches (only the minifier removes
    // them), so board-specific rules (NRF, require("net")) run on the shipped bundle only.
    sourceGate = checkBundle(check.code, { file: board.name + "/check.js", sourceMap: check.map });
  }
  var mangle = null;
  if (opts.mangle) {
    for (var ev of checkEventDetails(check.code)) {
      errors.push(board.name + ": check.js:" + ev.line + ":" + ev.column + ": the detail of a " + ev.call + "() event must be an object literal, so that property mangling keeps its keys");
    }
    mangle = mangleOptions(check.code);
  }
  var ship = await esbuildPass(opts.entry, board, defines, true, mangle);
  var code = ship.code;
  var shipMap = ship.map;
  var arrows = null;
  if (opts.arrows) {
    // After the last esbuild pass, before the gate: the gate and the sandbox check the
    // converted text, and its source map still leads gate problems to the source.
    arrows = arrowFunctions(code, { map: shipMap, reserved: ESPRUINO_NAMES });
    code = arrows.code;
    shipMap = arrows.map;
  }
  var joined = null;
  if (opts.joinVars) {
    // After the arrow pass, which leaves `var f=e=>...;var g=...` runs.
    joined = joinVars(code, { map: shipMap });
    code = joined.code;
    shipMap = joined.map;
  }
  var bytes = Buffer.byteLength(code, "utf8");
  var gate = checkBundle(code, { file: board.name + "/firmware.js", board: board, sourceMap: shipMap });

  var problems = gate.problems.slice();
  if (sourceGate) {
    // Source-level findings first; drop shipped-bundle duplicates that map to the same source spot.
    var seen = new Set(sourceGate.problems.map(function (p) { return p.construct + "@" + (p.source ? p.source.file + ":" + p.source.line : p.line); }));
    problems = sourceGate.problems.concat(gate.problems.filter(function (p) {
      return !seen.has(p.construct + "@" + (p.source ? p.source.file + ":" + p.source.line : p.line));
    }));
  }
  for (var p of problems) errors.push(board.name + ": " + formatProblem(p));

  var sandbox = null;
  if (opts.sandbox && problems.length === 0) {
    sandbox = await runStartupInSandbox(code, board, { file: board.name + "/firmware.js" });
    for (var sp of sandbox.problems) errors.push(board.name + ": " + formatProblem(sp));
  }

  // How flash holds the bundle (build/pretokenise.mjs): same tokens, fewer bytes. The
  // budget stays on the minified JavaScript, which is what the gate checked.
  var stored = null;
  if (problems.length === 0) {
    stored = pretokenise(code, { firmware: board.firmware });
    var bad = checkPretokenised(code, stored.text);
    if (bad) errors.push(board.name + ": the pretokenised bundle does not decode to the bundle's tokens (" + bad + ")");
  }

  var overBytes = bytes > board.budgetBytes;
  if (overBytes) errors.push(board.name + ": bundle is " + bytes + " bytes, over its budget of " + board.budgetBytes + " (boards/" + board.name + ".json budgetBytes)");
  // What the firmware leaves of Storage for the device's own files (config, bindings and
  // deny-list records).
  var storageLeft = stored ? storageFit(board.storageBytes, [stored.bytes]).left : null;
  if (storageLeft !== null && storageLeft < RECORDS_RESERVE) errors.push(board.name + ": the pretokenised firmware (" + stored.bytes + " bytes and its file header) " + (storageLeft < 0 ? "does not fit the board's Storage of " + board.storageBytes + " bytes" : "leaves " + storageLeft + " bytes of the board's Storage for the device's records, under the " + RECORDS_RESERVE + " they need"));
  var st = gate.stats;
  var overVars = st.estResidentVars > board.budgetVars;
  if (overVars) errors.push(board.name + ": its " + st.residentFunctions + " resident functions alone cost about " + st.estResidentVars + " Espruino variables (4 per function + 1 per parameter), over budgetVars " + board.budgetVars);

  var report = {
    bytes: bytes,
    budgetBytes: board.budgetBytes,
    storedBytes: stored ? stored.bytes : null,
    percentOfBudget: Math.round((bytes / board.budgetBytes) * 1000) / 10,
    budgetVars: board.budgetVars,
    jsVars: board.jsVars,
    storageBytes: board.storageBytes,
    storageLeftBytes: storageLeft,
    gate: problems.length === 0 ? "pass" : "fail",
    problems: problems.length,
    warnings: (sourceGate ? sourceGate.warnings.length : 0) + gate.warnings.length,
    sandbox: sandbox ? (sandbox.ok ? "pass" : "fail") : "skipped",
    functions: st.functions,
    params: st.params,
    estVars: st.estVars,
    residentFunctions: st.residentFunctions,
    estResidentVars: st.estResidentVars,
    transport: board.transport,
    nativeSha256: !!board.crypto.sha256,
    nativeAes: !!board.crypto.aes,
    inputs: Object.keys(ship.metafile.inputs).filter(function (k) { return k !== "pk-entry.js"; }).length,
    ok: errors.length === 0,
  };

  if (opts.write) {
    // A bundle that fails is kept for inspection under another name, never as firmware.js.
    var dir = join(opts.outDir, board.name);
    mkdirSync(dir, { recursive: true });
    var base = errors.length === 0 ? "firmware.js" : "firmware.failed.js";
    for (var stale of ["firmware.js", "firmware.js.map", "firmware.tok", "firmware.failed.js", "firmware.failed.js.map", "firmware.failed.tok"]) rmSync(join(dir, stale), { force: true });
    writeFileSync(join(dir, base), code); // no sourceMappingURL comment: every byte goes to the device
    writeFileSync(join(dir, base + ".map"), JSON.stringify(Object.assign({}, shipMap, { file: base })));
    if (stored) writeFileSync(join(dir, base.replace(/\.js$/, ".tok")), Buffer.from(stored.text, "latin1"));
  }
  return { board: board, code: code, stored: stored ? stored.text : null, storedBytes: stored ? stored.bytes : null, map: shipMap, metafile: ship.metafile, arrows: arrows ? arrows.stats : null, joinVars: joined ? joined.stats : null, bytes: bytes, ok: errors.length === 0, gate: gate, sourceGate: sourceGate, sandbox: sandbox, report: report, errors: errors };
}

/** Builds several boards (all by default); writes dist/report.json when opts.write is not false. */
export async function buildAll(names, opts) {
  opts = Object.assign({ write: true, outDir: DIST }, opts || {});
  names = names && names.length ? names : listBoards();
  var results = [];
  for (var n of names) results.push(await buildBoard(n, opts));
  var report = { esbuild: esbuild.version, espruino: "2v29", boards: {} };
  for (var r of results) report.boards[r.board.name] = r.report;
  if (opts.write) {
    mkdirSync(opts.outDir, { recursive: true });
    writeFileSync(join(opts.outDir, "report.json"), JSON.stringify(report, null, 2) + "\n");
  }
  return { results: results, report: report, ok: results.every(function (r) { return r.ok; }) };
}

/** The size table printed by `npm run build`. */
export function formatTable(results) {
  var head = ["board", "bytes", "budget", "used", "stored", "left", "functions", "est.vars", "budgetVars", "jsVars", "transport", "gate", "sandbox"];
  var rows = results.map(function (r) {
    var x = r.report;
    return [r.board.name, String(x.bytes), String(x.budgetBytes), x.percentOfBudget + "%", x.storedBytes === null ? "-" : String(x.storedBytes), x.storageLeftBytes === null ? "-" : String(x.storageLeftBytes), String(x.functions), String(x.estResidentVars), String(x.budgetVars), String(x.jsVars), x.transport, x.gate, x.sandbox];
  });
  var widths = head.map(function (h, i) { return Math.max(h.length, ...rows.map(function (row) { return row[i].length; })); });
  function line(cells) {
    return cells.map(function (c, i) { return i === 0 || i >= 10 ? c.padEnd(widths[i]) : c.padStart(widths[i]); }).join("  ");
  }
  return [line(head), line(widths.map(function (w) { return "-".repeat(w); }))].concat(rows.map(line)).join("\n");
}
