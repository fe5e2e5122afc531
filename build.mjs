#!/usr/bin/env node
// `npm run build [-- --board NAME ...] [--entry FILE] [--no-sandbox] [--debug] [--json]`
//
// Bundles firmware/main.ts for each board in boards/ with esbuild, runs the Espruino
// compatibility gate (build/gate.mjs) and the start-up sandbox on every bundle, writes
// dist/<board>/firmware.js (+ .map) and dist/report.json, prints a size table, and exits
// non-zero when a bundle fails the gate or exceeds its budget.
//
// Library use (tests, the real-interpreter test):
//   import { buildBoard } from "./build.mjs";
//   const r = await buildBoard("linux", { write: false });  // r.code, r.ok, r.report, r.errors
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { buildBoard, buildAll, formatTable, DEFAULT_ENTRY, DIST } from "./build/bundle.mjs";
import { checkBundle, formatProblem, runStartupInSandbox } from "./build/gate.mjs";
import { loadBoard, listBoards } from "./build/boards.mjs";

export { buildBoard, buildAll, formatTable, checkBundle, formatProblem, runStartupInSandbox, loadBoard, listBoards, DEFAULT_ENTRY, DIST };

export async function main(argv) {
  var names = [];
  var opts = { write: true, sandbox: true, debug: false };
  var json = false;
  for (var i = 0; i < argv.length; i++) {
    var a = argv[i];
    if (a === "--board" || a === "-b") names.push(argv[++i]);
    else if (a.startsWith("--board=")) names.push(a.slice(8));
    else if (a === "--entry") opts.entry = resolve(argv[++i]);
    else if (a === "--no-sandbox") opts.sandbox = false;
    else if (a === "--debug") opts.debug = true;
    else if (a === "--json") json = true;
    else if (a === "--help" || a === "-h") {
      console.log("usage: node build.mjs [--board NAME]... [--entry FILE] [--no-sandbox] [--debug] [--json]\nboards: " + listBoards().join(", "));
      return 0;
    } else {
      console.error("build: unknown argument " + a);
      return 2;
    }
  }
  for (var n of names) {
    if (!n || listBoards().indexOf(n) < 0) {
      console.error("build: unknown board \"" + n + "\" (boards: " + listBoards().join(", ") + ")");
      return 2;
    }
  }
  var res = await buildAll(names, opts);
  if (json) console.log(JSON.stringify(res.report, null, 2));
  else {
    console.log(formatTable(res.results));
    console.log("wrote dist/<board>/firmware.js and dist/report.json");
  }
  for (var r of res.results) {
    for (var w of (r.sourceGate ? r.sourceGate.warnings : []).concat(r.gate.warnings, r.sandbox ? r.sandbox.warnings : [])) console.error("warning: " + r.board.name + ": " + formatProblem(w));
  }
  if (!res.ok) {
    for (var r2 of res.results) for (var e of r2.errors) console.error("error: " + e);
    var bad = res.results.filter(function (r) { return !r.ok; }).map(function (r) { return r.board.name; });
    console.error("build failed for " + bad.join(", "));
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(function (code) {
    process.exitCode = code;
  }, function (err) {
    console.error("build: " + (err && err.stack ? err.stack : err));
    process.exitCode = 1;
  });
}
