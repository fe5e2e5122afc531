#!/usr/bin/env node
// Runs the device crypto modules (src/crypto/device/) in a real Espruino interpreter:
// 1. checks their outputs against node:crypto and @noble/curves, in the interpreter;
// 2. measures each operation: x86 instructions under valgrind's callgrind (stable across
//    runs) and wall time, on the Espruino Linux build;
// 3. reports the minified size of each module as esbuild bundles it for a device.
//
// Usage: ESPRUINO_BIN=/path/to/espruino node scripts/bench-device-crypto.mjs [--no-callgrind] [--check-only] [--memory] [name ...]
// (ESPRUINO_BIN defaults to /tmp/espruino/espruino.) Not a test: the measurements take a
// few minutes; --check-only runs only step 1 (test/crypto/device-espruino.test.ts uses it).
// --memory runs only the memory measurement: what firmware/main.ts pulls in on boards with
// native SHA256 and AES (createNativeSymmetric and p256DecompressY), bundled like the
// firmware (messages stripped), run from Storage: its minified bytes, the variables it
// keeps after the provider is created and after use, and the peak variables above that
// during 10 HKDF-Expands on 3 PRKs plus AES-CCM seal and open of 250 bytes.
//
// How an operation is measured: a driver bundle runs setup (tables built, caches warmed
// for "warm" cases), then the operation N times. Instructions per operation =
// (I(N2) - I(N1)) / (N2 - N1), so interpreter start-up, parsing and setup cancel out.
import { spawnSync } from "node:child_process";
import { createCipheriv, createHash, createHmac, hkdfSync } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { p256 } from "@noble/curves/nist.js";

var ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
var DEV = join(ROOT, "src/crypto/device");
var BIN = process.env.ESPRUINO_BIN || "/tmp/espruino/espruino";
var args = process.argv.slice(2);
var checkOnly = args.indexOf("--check-only") >= 0;
var useCallgrind = !checkOnly && args.indexOf("--no-callgrind") < 0 && spawnSync("valgrind", ["--version"]).status === 0;
var only = args.filter((a) => !a.startsWith("--"));
var memoryOnly = args.indexOf("--memory") >= 0;

if (!existsSync(BIN)) {
  console.error("Espruino binary not found at " + BIN + " (set ESPRUINO_BIN)");
  process.exit(2);
}

// ---------------------------------------------------------------------------------------
// The driver: one bundle, operation chosen by the global OP, repeated N times.

var DRIVER = `
import { sha256 as jsSha256 } from ${JSON.stringify(DEV + "/sha256")};
import { aesEncryptBlock } from ${JSON.stringify(DEV + "/aes")};
import { createDeviceSymmetric, createNativeSymmetric } from ${JSON.stringify(DEV + "/symmetric")};
import { p256DecompressY } from ${JSON.stringify(DEV + "/p256")};
declare var OP: string, N: number;
declare function print(...a: any[]): void;
declare function require(m: string): any;
declare function getTime(): number;
declare var E: any;
function hx(s: string): Uint8Array { var o = new Uint8Array(s.length / 2); for (var i = 0; i < o.length; i++) o[i] = parseInt(s.substr(2 * i, 2), 16); return o; }
function th(b: Uint8Array): string { var s = ""; for (var i = 0; i < b.length; i++) s += (b[i] + 256).toString(16).substr(1); return s; }
function seq(n: number, m: number): Uint8Array { var o = new Uint8Array(n); for (var i = 0; i < n; i++) o[i] = (i * m + 1) & 255; return o; }
var crypto = require("crypto");
var seed = seq(48, 29);
// Providers over the native module, and with the interpreted fallbacks only.
function nat(): any { return createNativeSymmetric(crypto, seed); }
function js(): any { return createDeviceSymmetric(null, seed); }
var key32 = seq(32, 3), key16 = seq(16, 5), nonce = seq(13, 7), aad = seq(5, 11), d64 = seq(64, 13), info = seq(10, 17), d250 = seq(250, 19), aad24 = seq(24, 23);
var X = hx(${JSON.stringify("8af6f430ebe18d34184017a9a11bf511c8dff8f834730b96c1b7c8dbca2fc3b6")});
var r: any = null, i = 0, p: any = null;
var ops: any = {
  "sha256-js-64": function () { r = jsSha256(d64); },
  "sha256-native-64": function () { r = p.sha256(d64); },
  "aes-js-block": function () { r = aesEncryptBlock(key16, d64.subarray(0, 16)); },
  "hmac-native-cold": function () { key32[0] = i & 255; key32[1] = i >> 8; r = p.hmacSha256(key32, d64); },
  "hmac-native-warm": function () { r = p.hmacSha256(key32, d64); },
  "hmac-js-cold": function () { key32[0] = i & 255; key32[1] = i >> 8; r = p.hmacSha256(key32, d64); },
  "hmac-js-warm": function () { r = p.hmacSha256(key32, d64); },
  "hkdf-expand32-native-cold": function () { key32[0] = i & 255; key32[1] = i >> 8; r = p.hkdfExpand(key32, info, 32); },
  "hkdf-expand32-native-warm": function () { r = p.hkdfExpand(key32, info, 32); },
  "hkdf-expand32-js-warm": function () { r = p.hkdfExpand(key32, info, 32); },
  "ccm-seal64-native": function () { r = p.aeadSeal(key16, nonce, aad, d64); },
  "ccm-open64-native": function () { r = p.aeadOpen(key16, nonce, aad, SEALED); },
  "ccm-seal250-native": function () { r = p.aeadSeal(key16, nonce, aad24, d250); },
  "ccm-open250-native": function () { r = p.aeadOpen(key16, nonce, aad24, SEALED250); },
  "ccm-seal64-js": function () { r = p.aeadSeal(key16, nonce, aad, d64); },
  "drbg-random32-native": function () { r = p.randomBytes(32); },
  "p256-decompress": function () { r = p256DecompressY(X); },
};
var SEALED = new Uint8Array(nat().aeadSeal(key16, nonce, aad, d64));
var SEALED250 = new Uint8Array(nat().aeadSeal(key16, nonce, aad24, d250));
// The Linux build has 4096 variables and holds this driver's source in RAM, so the checks
// run in three separate processes ("check:a", "check:b", "check:c").
if (OP === "check:a") {
  p = js();
  p.reseed(hx(${JSON.stringify("ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488")}), hx(${JSON.stringify("659ba96c601dc69fc902940805ec0ca8")}));
  p.randomBytes(128);
  print("@@ drbg-cavp " + th(p.randomBytes(128)));
  print("@@ sha256-js-abc " + th(jsSha256(hx("616263"))));
  print("@@ sha256-js-64 " + th(jsSha256(d64)));
  print("@@ sha256-native-64 " + th(nat().sha256(d64)));
  print("@@ aes-js-block " + th(aesEncryptBlock(key16, d64.subarray(0, 16))));
  print("@@ hmac-native " + th(nat().hmacSha256(key32, d64)));
  print("@@ hmac-js " + th(js().hmacSha256(key32, d64)));
  p = nat();
  print("@@ hkdf-native " + th(p.hkdfExpand(p.hkdfExtract(info, key32), info, 42)));
  p = js();
  print("@@ hkdf-js " + th(p.hkdfExpand(p.hkdfExtract(info, key32), info, 42)));
} else if (OP === "check:b") {
  print("@@ ccm-native " + th(SEALED));
  print("@@ ccm250-native " + th(SEALED250));
  print("@@ ccm-js " + th(js().aeadSeal(key16, nonce, aad, d64)));
  print("@@ ccm-open-native " + th(nat().aeadOpen(key16, nonce, aad, SEALED)));
  print("@@ ccm-open250-native " + th(nat().aeadOpen(key16, nonce, aad24, SEALED250)));
  SEALED[3] ^= 1;
  print("@@ ccm-forged-native " + (nat().aeadOpen(key16, nonce, aad, SEALED) === null ? "null" : "ACCEPTED"));
  print("@@ ccm-forged-js " + (js().aeadOpen(key16, nonce, aad, SEALED) === null ? "null" : "ACCEPTED"));
  SEALED250[255] ^= 0x80;
  print("@@ ccm-forged-tag-native " + (nat().aeadOpen(key16, nonce, aad24, SEALED250) === null ? "null" : "ACCEPTED"));
} else if (OP === "check:c") {
  for (var k = 0; k < XS.length; k++) { var y = p256DecompressY(hx(XS[k])); print("@@ p256-" + k + " " + (y ? th(y) : "null")); }
  print("@@ convolve " + (typeof E !== "undefined" && E.convolve ? "native" : "js"));
} else {
  var op = ops[OP];
  p = OP.indexOf("-js") > 0 ? js() : nat();
  // Warm-up outside the measured loop: tables, caches, first-use allocations.
  op();
  var t0 = getTime();
  for (i = 0; i < N; i++) op();
  var t1 = getTime();
  print("@@ time " + ((t1 - t0) / (N || 1)));
}
`;

// p256 check inputs: random x values (about half not on the curve) and known points.
var xs = [p256.Point.BASE.x.toString(16).padStart(64, "0"), "8af6f430ebe18d34184017a9a11bf511c8dff8f834730b96c1b7c8dbca2fc3b6"];
for (var t = 0; t < 4; t++) xs.push(createHash("sha256").update("pairkit x " + t).digest("hex"));
xs.push("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"); // p itself: null

async function bundle() {
  var r = await build({
    stdin: { contents: DRIVER.replace("var r: any = null", "var XS = " + JSON.stringify(xs) + ";\nvar r: any = null"), resolveDir: ROOT, loader: "ts" },
    bundle: true,
    external: ["crypto"],
    format: "esm",
    minify: true,
    write: false,
    logLevel: "silent",
  });
  return r.outputFiles[0].text;
}

function runEspruino(code, op, n, callgrind) {
  var dir = mkdtempSync(join(tmpdir(), "pk-esp-"));
  try {
    writeFileSync(join(dir, "main.js"), "var OP=" + JSON.stringify(op) + ",N=" + n + ";\n" + code + "\nquit();\n");
    var cmd = callgrind ? "valgrind" : BIN;
    var argv = callgrind ? ["--tool=callgrind", "--callgrind-out-file=/dev/null", BIN, "main.js"] : ["main.js"];
    // Espruino ignores SIGTERM; stop it with SIGKILL on timeout.
    var p = spawnSync(cmd, argv, { cwd: dir, encoding: "utf8", timeout: 1800000, killSignal: "SIGKILL", maxBuffer: 1 << 24 });
    var out = (p.stdout || "") + (p.stderr || "");
    var lines = {};
    for (var line of out.split(/\r?\n/)) {
      var m = /@@ (\S+) (.*)$/.exec(line);
      if (m) lines[m[1]] = m[2].trim();
    }
    var ir = /Collected : (\d+)/.exec(out);
    if (/Uncaught|ERROR/.test(out) && !callgrind) console.error(out.slice(-2000));
    return { lines: lines, instructions: ir ? Number(ir[1]) : null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Expected values, computed in Node.

function seq(n, m) {
  var o = Buffer.alloc(n);
  for (var i = 0; i < n; i++) o[i] = (i * m + 1) & 255;
  return o;
}
var key32 = seq(32, 3), key16 = seq(16, 5), nonce = seq(13, 7), aad = seq(5, 11), d64 = seq(64, 13), info = seq(10, 17);
var d250 = seq(250, 19), aad24 = seq(24, 23);
function ccm(a, d) {
  var c = createCipheriv("aes-128-ccm", key16, nonce, { authTagLength: 8 });
  c.setAAD(a || aad, { plaintextLength: (d || d64).length });
  var body = Buffer.concat([c.update(d || d64), c.final()]);
  return Buffer.concat([body, c.getAuthTag()]).toString("hex");
}
var aesC = createCipheriv("aes-128-ecb", key16, null);
aesC.setAutoPadding(false);
var hkdf = Buffer.from(hkdfSync("sha256", key32, info, info, 42)).toString("hex");
var expected = {
  "drbg-cavp":
    "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8",
  "sha256-js-abc": createHash("sha256").update("abc").digest("hex"),
  "sha256-js-64": createHash("sha256").update(d64).digest("hex"),
  "sha256-native-64": createHash("sha256").update(d64).digest("hex"),
  "aes-js-block": Buffer.concat([aesC.update(d64.subarray(0, 16)), aesC.final()]).toString("hex"),
  "hmac-native": createHmac("sha256", key32).update(d64).digest("hex"),
  "hmac-js": createHmac("sha256", key32).update(d64).digest("hex"),
  "hkdf-native": hkdf,
  "hkdf-js": hkdf,
  "ccm-native": ccm(),
  "ccm-js": ccm(),
  "ccm-open-native": d64.toString("hex"),
  "ccm250-native": ccm(aad24, d250),
  "ccm-open250-native": d250.toString("hex"),
  "ccm-forged-native": "null",
  "ccm-forged-js": "null",
  "ccm-forged-tag-native": "null",
  convolve: "native",
};
var P = p256.Point.Fp.ORDER;
xs.forEach(function (x, k) {
  var v = BigInt("0x" + x);
  var ok = null;
  if (v < P) {
    try {
      ok = p256.Point.fromBytes(Buffer.from("02" + x, "hex")).y;
    } catch (e) {
      ok = null;
    }
  }
  expected["p256-" + k] = ok === null ? "null" : [ok.toString(16).padStart(64, "0"), (P - ok).toString(16).padStart(64, "0")];
});

// ---------------------------------------------------------------------------------------

var CASES = [
  ["sha256-js-64", 2, 4],
  ["sha256-native-64", 2, 22],
  ["aes-js-block", 2, 6],
  ["hmac-native-cold", 2, 12],
  ["hmac-native-warm", 2, 12],
  ["hmac-js-cold", 1, 3],
  ["hmac-js-warm", 1, 3],
  ["hkdf-expand32-native-cold", 2, 12],
  ["hkdf-expand32-native-warm", 2, 12],
  ["hkdf-expand32-js-warm", 1, 3],
  ["ccm-seal64-native", 2, 12],
  ["ccm-open64-native", 2, 12],
  ["ccm-seal250-native", 2, 8],
  ["ccm-open250-native", 2, 8],
  ["ccm-seal64-js", 1, 3],
  ["drbg-random32-native", 2, 12],
  ["p256-decompress", 1, 2],
];

async function sizes() {
  var out = [];
  var entries = ["sha256", "aes", "symmetric", "p256"].map((m) => [m, "export * from " + JSON.stringify(DEV + "/" + m) + ";"]);
  // What a board with native SHA256 and AES ships: the provider without the fallbacks.
  entries.push(["symmetric (createNativeSymmetric only)", "export { createNativeSymmetric } from " + JSON.stringify(DEV + "/symmetric") + ";"]);
  for (var [m, contents] of entries) {
    var r = await build({
      stdin: { contents: contents, resolveDir: ROOT, loader: "ts" },
      bundle: true,
      format: "esm",
      minify: true,
      write: false,
      logLevel: "silent",
    });
    out.push([m, r.outputFiles[0].contents.length]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// --memory

/** Bundles entry source like the firmware build: minified, perr messages stripped, Espruino-safe names. */
async function deviceBundle(contents, keep) {
  var { deviceSourcePlugin } = await import(pathToFileURL(join(ROOT, "build/strip.mjs")).href);
  var r = await build({
    stdin: { contents: contents + "\n" + keep.map((n) => "typeof " + n).join(", ") + ";\n", resolveDir: ROOT, loader: "ts" },
    bundle: true, format: "esm", platform: "neutral", target: "es2022", minify: true, write: false, logLevel: "silent", charset: "ascii",
    supported: { "class-static-blocks": false, "nullish-coalescing": false, "optional-chain": false, "logical-assignment": false, "exponent-operator": false },
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, verbatimModuleSyntax: false } },
    plugins: [deviceSourcePlugin()],
  });
  return r.outputFiles[0].text;
}

/** Runs runner (a script file) in a fresh interpreter whose Storage holds code as "g.js"; returns its "@@" JSON line. */
function runFromStorage(code, runner) {
  var dir = mkdtempSync(join(tmpdir(), "pk-mem-"));
  try {
    var b64 = Buffer.from(code, "latin1").toString("base64");
    writeFileSync(join(dir, "w.js"), "require('Storage').write('g.js',atob(" + JSON.stringify(b64) + "));quit();");
    spawnSync(BIN, ["w.js"], { cwd: dir, timeout: 30000, killSignal: "SIGKILL" });
    writeFileSync(join(dir, "r.js"), runner);
    var p = spawnSync(BIN, ["r.js"], { cwd: dir, encoding: "latin1", timeout: 120000, killSignal: "SIGKILL" });
    var m = /@@(\{.*\})/.exec(p.stdout || "");
    if (!m) throw new Error("memory run failed: " + (p.stdout || "").slice(-1500));
    return JSON.parse(m[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function memory() {
  // The runner's names, kept out of the bundle's minified globals.
  var keep = ["of", "E", "print", "require", "process", "global", "NATIVE", "SEED", "KEEP", "MK", "DEC", "QM", "QW", "QP", "QK", "QI", "QR", "QC", "QX"];
  // core.js: the shared helpers the group uses (already in any firmware); group.js: the same plus the group.
  var core = 'import { perr } from "./src/core/errors"; import { concat, ctEqual, utf8Encode } from "./src/core/bytes"; declare var KEEP: any, MK: any, DEC: any; KEEP = [perr, concat, ctEqual, utf8Encode];';
  var group = core + ' import { createNativeSymmetric } from "./src/crypto/device/symmetric"; import { p256DecompressY } from "./src/crypto/device/p256"; declare var NATIVE: any, SEED: any; MK = function () { return createNativeSymmetric(NATIVE, SEED); }; DEC = p256DecompressY;';
  var runner = `
var N0 = require("crypto"), QW = 0, QM = 0;
function QP() { var u = process.memory().usage; if (u > QM) QM = u; return u; }
// The native module, sampling memory after every native call (results and callers' buffers alive).
var NATIVE = { SHA256: function (d) { var r = N0.SHA256(d); if (QW) QP(); return r; }, AES: {
  encrypt: function (d, k, o) { var r = N0.AES.encrypt(d, k, o); if (QW) QP(); return r; },
  decrypt: function (d, k, o) { var r = N0.AES.decrypt(d, k, o); if (QW) QP(); return r; } } };
function QX(n, m) { var o = new Uint8Array(n); for (var i = 0; i < n; i++) o[i] = (i * m + 1) & 255; return o; }
var SEED = QX(48, 29), QK = [QX(32, 3), QX(32, 5), QX(32, 7)], QI = [QX(12, 11), QX(20, 13), QX(9, 17), QX(30, 19)];
var QC = [QX(16, 23), QX(13, 31), QX(24, 37), QX(250, 41)], KEEP = null, MK = null, DEC = null, QR = {}, P = null, r = null, c = null, i, b;
var u0 = QP();
eval(require("Storage").read("g.js"));
QR.code = QP() - u0;
if (MK) {
  P = MK();
  QR.created = QP() - u0;
  b = QP(); QW = 1; QM = 0;
  for (i = 0; i < 10; i++) r = P.hkdfExpand(QK[i % 3], QI[i % 4], [32, 16, 13, 8, 64, 100, 32, 16, 13, 32][i]);
  c = P.aeadSeal(QC[0], QC[1], QC[2], QC[3]);
  r = P.aeadOpen(QC[0], QC[1], QC[2], c);
  QW = 0;
  QR.ok = !!r && r.length === 250 && r[249] === QC[3][249];
  QR.peak = QM - b;
  r = c = null;
  QR.used = QP() - u0;
}
print("@@" + JSON.stringify(QR));
quit();
`;
  var coreCode = await deviceBundle(core, keep);
  var groupCode = await deviceBundle(group, keep);
  var rc = runFromStorage(coreCode, runner);
  var rg = runFromStorage(groupCode, runner);
  console.log("createNativeSymmetric + p256DecompressY as the firmware bundles them (linux/puckjs), from Storage:");
  console.log("  minified bytes (beyond the shared core helpers)   " + (groupCode.length - coreCode.length));
  console.log("  variables: code loaded                             " + (rg.code - rc.code));
  console.log("  variables: provider created                        " + (rg.created - rc.code));
  console.log("  variables: after 10 HKDF-Expands and CCM (cached)  " + (rg.used - rc.code));
  console.log("  peak variables above that during the sequence      " + rg.peak + (rg.ok ? "" : "  (WRONG RESULT)"));
  if (!rg.ok) process.exit(1);
}

if (memoryOnly) {
  await memory();
  process.exit(0);
}

var code = await bundle();
console.log("driver bundle: " + code.length + " bytes; interpreter: " + BIN);
var failures = 0;
var check = { lines: {} };
for (var part of ["check:a", "check:b", "check:c"]) Object.assign(check.lines, runEspruino(code, part, 0, false).lines);
for (var name of Object.keys(expected)) {
  var got = check.lines[name];
  var want = expected[name];
  var ok = Array.isArray(want) ? want.indexOf(got) >= 0 : got === want;
  if (!ok) failures++;
  console.log((ok ? "ok   " : "FAIL ") + name + (ok ? "" : "  got " + got + " want " + want));
}
if (checkOnly) process.exit(failures ? 1 : 0);
console.log("");
console.log("minified size (esbuild --bundle --minify, each module with what it imports):");
for (var [m, n] of await sizes()) console.log("  " + m.padEnd(40) + String(n).padStart(6) + " bytes");
console.log("");
console.log("operation".padEnd(28) + (useCallgrind ? "instructions/op".padStart(16) : "") + "ms/op (Linux build)".padStart(22));
for (var [op, n1, n2] of CASES) {
  if (only.length && only.indexOf(op) < 0) continue;
  var timed = runEspruino(code, op, n2, false);
  var per = "";
  if (useCallgrind) {
    var a = runEspruino(code, op, n1, true).instructions;
    var b = runEspruino(code, op, n2, true).instructions;
    per = a !== null && b !== null ? String(Math.round((b - a) / (n2 - n1))) : "?";
  }
  var ms = timed.lines.time ? (Number(timed.lines.time) * 1000).toFixed(3) : "?";
  console.log(op.padEnd(28) + (useCallgrind ? per.padStart(16) : "") + ms.padStart(22));
}
if (failures) {
  console.error(failures + " check(s) failed in the interpreter");
  process.exit(1);
}
