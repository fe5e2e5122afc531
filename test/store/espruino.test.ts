/**
 * The power-loss-safe records on the real Espruino interpreter (ESPRUINO_BIN = an Espruino
 * 2v29 Linux build) over its own `require("Storage")`, as a device uses them: versions,
 * a damaged copy skipped, and a full Storage (which makes Storage.write throw a plain
 * Error) reported as STORE_VERIFY with the previous version kept; and what files cost in
 * Storage, as `pairkit flash` counts them. Power cuts are the fake
 * Storage's job (records.test.ts); this checks that the real module behaves as the fake
 * assumes. Skipped, saying so, without ESPRUINO_BIN.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";
// @ts-ignore -- plain .mjs build script, no type declarations
import { storageFit } from "../../build/boards.mjs";

const SRC = join(__dirname, "..", "..", "src");

if (!process.env.ESPRUINO_BIN) console.log("test/store/espruino.test.ts: SKIPPED (set ESPRUINO_BIN to an Espruino 2v29 Linux binary to run the records over real Storage)");
if (!process.env.ESPRUINO_PUCKJS_BIN) console.log("test/store/espruino.test.ts: SKIPPED with a Puck.js's memory and 40 KB Storage (set ESPRUINO_PUCKJS_BIN: README)");

const ENTRY = `
import { saveRecord, loadRecord } from ${JSON.stringify(join(SRC, "core/store/records"))};
var S = require("Storage");
var C = require("crypto");
function sha(d) { return new Uint8Array(C.SHA256(d)); }
function bytes(n, v) { var b = new Uint8Array(n); b.fill(v); return b; }
var fails = 0;
function check(name, ok) { print((ok ? "OK " : "FAIL ") + name); if (!ok) fails++; }
function code(f) { try { f(); return "none"; } catch (e) { return e.code || ("untyped " + e); } }

// What files cost in Storage (pairkit flash's storageFit counts the same way).
S.write("sz1", bytes(1, 1)); S.write("sz4", bytes(4, 1)); S.write("sz5", bytes(5, 1)); S.write("sz1000", bytes(1000, 1));
print("FILEBYTES=" + S.getStats().fileBytes);
["sz1", "sz4", "sz5", "sz1000"].forEach(function (n) { S.erase(n); });
check("no record yet", loadRecord(S, sha, "pkt") === null);
var v;
for (var i = 1; i <= 3; i++) v = saveRecord(S, sha, "pkt", bytes(300, i));
var r = loadRecord(S, sha, "pkt");
check("three versions, the last one loads", v === 3 && r.version === 3 && r.data.length === 300 && r.data[0] === 3 && r.data[299] === 3);
var files = S.list(/^pkt\\./);
check("one copy on flash after an update: " + files, files.length === 1);

// A newer copy with a bad checksum (a torn write) is skipped.
var other = files[0] === "pkt.0" ? "pkt.1" : "pkt.0";
var t = new Uint8Array(S.readArrayBuffer(files[0]));
t[6] = 9; // version 9
S.write(other, t);
r = loadRecord(S, sha, "pkt");
check("damaged newer copy skipped", r.version === 3);
S.erase(other);

// Storage full: Storage.write throws a plain Error; the record layer makes it typed.
S.compact();
// The filler is written in pieces (a Puck.js's memory cannot hold it whole).
var room = S.getFree() - 600, piece = bytes(512, 0);
for (var o = 0; o < room; o += 512) S.write("filler", o + 512 <= room ? piece : piece.subarray(0, room - o), o, room);
var raw = "none";
try { raw = "returned " + S.write("probe", bytes(1000, 1)); } catch (e) { raw = (e.code ? "typed " : "plain ") + e.message; }
check("a full Storage throws a plain Error: " + raw, raw.indexOf("plain ") === 0);
check("saveRecord on a full Storage: STORE_VERIFY", code(function () { saveRecord(S, sha, "pkt", bytes(1000, 4)); }) === "STORE_VERIFY");
r = loadRecord(S, sha, "pkt");
check("the previous version stays", r.version === 3 && r.data[0] === 3);
S.erase("filler");
check("room again: version 4", saveRecord(S, sha, "pkt", bytes(1000, 4)) === 4 && loadRecord(S, sha, "pkt").data[999] === 4);
print(fails === 0 ? "DONE" : "FAILED " + fails);
quit();
`;

for (const [memory, BIN] of [["linux", process.env.ESPRUINO_BIN], ["puckjs", process.env.ESPRUINO_PUCKJS_BIN]]) describe.skipIf(!BIN)("records over the real interpreter's Storage (" + memory + " memory)", () => {
  it("versions, a damaged copy skipped, a full Storage as STORE_VERIFY with the old version kept", () => {
    const dir = mkdtempSync(join(tmpdir(), "pairkit-espruino-"));
    try {
      writeFileSync(join(dir, "entry.js"), ENTRY);
      const out = buildSync({ entryPoints: [join(dir, "entry.js")], bundle: true, format: "iife", target: "es2017", external: ["crypto", "Storage"], write: false, logLevel: "error" });
      writeFileSync(join(dir, "test.js"), out.outputFiles[0].text);
      const r = spawnSync(BIN!, [join(dir, "test.js")], { cwd: dir, input: "", encoding: "utf8", timeout: 60000 });
      const text = r.stdout + r.stderr;
      console.log(text.split("\n").filter((l) => /^(OK|FAIL|DONE|FAILED)/.test(l.trim())).join("\n"));
      expect(text).toMatch(/^DONE/m);
      expect(Number(/FILEBYTES=(\d+)/.exec(text)?.[1])).toBe(storageFit(1 << 20, [1, 4, 5, 1000]).need);
      expect(text).not.toMatch(/FAIL |Uncaught/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});
