#!/usr/bin/env node
// `node scripts/bundle-breakdown.mjs [board] [--entry FILE]`: where a device bundle's bytes
// go, per source module (esbuild's bytesInOutput of the minified bundle), plus the gate's
// function counts and the pretokenised size. A tool for shrinking the device build; the
// budgets themselves are checked by build.mjs. --entry builds another program the device
// way, for example bench/device-edhoc.ts: the protocol core (one handshake with the chain
// check, the secure element, session records) without the pairing lifecycle.
import { resolve } from "node:path";
import { buildBoard } from "../build.mjs";

var args = process.argv.slice(2);
var at = args.indexOf("--entry");
var entry = at >= 0 ? resolve(args.splice(at, 2)[1]) : undefined;
var name = args[0] || "linux";
var opts = { write: false, sandbox: false };
if (entry) opts.entry = entry;
var r = await buildBoard(name, opts);
for (var e of r.errors.filter(function (x) { return !/over its budget|budgetVars/.test(x); })) console.error("error: " + e);
var out = r.metafile.outputs;
var key = Object.keys(out).find(function (k) { return k.endsWith("firmware.js"); });
var rows = Object.entries(out[key].inputs)
  .map(function (e) { return [e[1].bytesInOutput, e[0]]; })
  .filter(function (row) { return row[0] > 0; })
  .sort(function (a, b) { return b[0] - a[0]; });
for (var row of rows) console.log(String(row[0]).padStart(7) + "  " + row[1]);
var st = r.report;
console.log(String(r.bytes).padStart(7) + "  total (" + name + (entry ? ", entry " + entry : "") + ", budget " + st.budgetBytes + "; pretokenised " + r.storedBytes + ")");
console.log("functions " + st.functions + ", resident " + st.residentFunctions + ", est. resident vars " + st.estResidentVars);
