#!/usr/bin/env node
// `node scripts/bundle-breakdown.mjs [board]`: where a device bundle's bytes go, per source
// module (esbuild's bytesInOutput of the minified bundle), plus the gate's function counts.
// A tool for shrinking the device build; the budgets themselves are checked by build.mjs.
import { buildBoard } from "../build.mjs";

var name = process.argv[2] || "linux";
var r = await buildBoard(name, { write: false, sandbox: false });
var out = r.metafile.outputs;
var key = Object.keys(out).find(function (k) { return k.endsWith("firmware.js"); });
var rows = Object.entries(out[key].inputs)
  .map(function (e) { return [e[1].bytesInOutput, e[0]]; })
  .filter(function (row) { return row[0] > 0; })
  .sort(function (a, b) { return b[0] - a[0]; });
for (var row of rows) console.log(String(row[0]).padStart(7) + "  " + row[1]);
var st = r.report;
console.log(String(r.bytes).padStart(7) + "  total (" + name + ", budget " + st.budgetBytes + ")");
console.log("functions " + st.functions + ", resident " + st.residentFunctions + ", est. resident vars " + st.estResidentVars);
