/**
 * The credential code in the real Espruino interpreter (2v29 Linux build): a bundle of
 * src/core/cred parses credentials and deny lists and validates chains there, with
 * Espruino's native SHA-256 and a verify that answers from signatures checked on the host
 * (devices verify in their ATECC608, not in JavaScript). Also reports the variables the
 * code and one validation use. Runs when ESPRUINO_BIN points at the Espruino binary;
 * skipped (and says so) otherwise.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { concat, toHex } from "../../src/core/bytes";
import { decode } from "../../src/core/cbor";
import { toBeSigned } from "../../src/core/cred/index";
import { createNobleProvider } from "../../src/crypto/noble";
import { memDenyList, memIssue, memRoot, type MemEntity } from "../../src/host/ca/memory";

const BIN = process.env.ESPRUINO_BIN;
const SRC = join(__dirname, "..", "..", "src");

if (!BIN) console.log("test/cred/espruino.test.ts: SKIPPED (set ESPRUINO_BIN to an Espruino 2v29 Linux binary to run the credential code in the interpreter)");

describe.skipIf(!BIN)("credentials in the Espruino interpreter", () => {
  it("parses, validates chains and deny lists, and only throws typed errors", async () => {
    const c = createNobleProvider();
    const root = await memRoot(c, "acme-root");
    const line = await memIssue(c, root, "acme-l1", "ca", 0);
    const dev = await memIssue(c, line, "00000001", "device", "puck");
    const other = await memIssue(c, root, "00000002", "device", "puck");
    const d1 = await memDenyList(c, root, 1, ["00000002"]);
    const d2 = await memDenyList(c, root, 2, ["00000002", "00000003"]);
    // Valid signatures, checked on the host: sha256(pub || tbs || sig).
    const valid: string[] = [];
    const sigOf = (b: Uint8Array, issuer: MemEntity) => {
      const arr = decode(b, true) as Uint8Array[]; // [protected, {}, payload, signature]
      valid.push(toHex(c.sha256(concat([issuer.key.pub, toBeSigned(arr[0], arr[2]), arr[3]]))));
    };
    sigOf(dev.cred.bytes, line);
    sigOf(line.cred.bytes, root);
    sigOf(other.cred.bytes, root);
    for (const d of [d1, d2]) sigOf(d, root);
    const fx = { root: toHex(root.cred.bytes), line: toHex(line.cred.bytes), dev: toHex(dev.cred.bytes), other: toHex(other.cred.bytes), d1: toHex(d1), d2: toHex(d2), valid };

    const entry = `
import { parseCredential, validateChain, parseDenyList, verifyDenyList, acceptDenyList, readIdCredParts, idCredByValue } from ${JSON.stringify(join(SRC, "core/cred/index"))};
import { toHex, concat } from ${JSON.stringify(join(SRC, "core/bytes"))};
// Not bytes.fromHex: its /^[0-9a-fA-F]{2}$/ check relies on {n}, which 2v29 does not implement.
function fromHex(s) { var b = new Uint8Array(s.length / 2); for (var i = 0; i < b.length; i++) b[i] = parseInt(s.substr(i * 2, 2), 16); return b; }
var peak = 0;
var FX = ${JSON.stringify(fx)};
var C = require("crypto");
function sha(d) { return new Uint8Array(C.SHA256(d)); }
var crypto = {
  sha256: sha,
  verify: function (crv, pub, msg, sig) {
    var u = process.memory().usage;
    if (u > peak) peak = u;
    return Promise.resolve(FX.valid.indexOf(toHex(sha(concat([pub, msg, sig])))) >= 0);
  }
};
var fails = 0;
function check(name, ok) { print((ok ? "OK " : "FAIL ") + name); if (!ok) fails++; }
var root = fromHex(FX.root), line = fromHex(FX.line), dev = fromHex(FX.dev), other = fromHex(FX.other);
var m0 = process.memory().usage;
var c = parseCredential(dev);
check("parse device", c.sub === "00000001" && c.model === "puck" && c.role === "device" && c.pub.length === 64 && c.kid.length === 4);
check("parse root", parseCredential(root).pathLen === 1);
// Copies with new Uint8Array(x): in 2v29 a typed array's slice() returns a plain Array.
var bad = new Uint8Array(dev); bad[bad.length - 1] ^= 1;
var typed = 0, total = 0;
for (var i = 0; i < dev.length; i += 3) {
  var m = new Uint8Array(dev); m[i] ^= 1 << (i % 8);
  total++;
  try { parseCredential(m); typed++; } catch (e) { if (e.code === "CRED_MALFORMED") typed++; else print("untyped: " + e); }
  try { parseCredential(new Uint8Array(dev.subarray(0, i))); } catch (e) { if (e.code !== "CRED_MALFORMED") { print("untyped: " + e); typed--; } }
}
check("mutations give typed errors only", typed === total);
var opts = { anchors: [root], intermediates: [line] };
var mv = 0;
peak = 0;
validateChain(crypto, dev, opts).then(function (p) {
  mv = peak;
  check("validate device <- intermediate <- root", p.sub === "00000001" && p.via === "acme-l1");
  return validateChain(crypto, bad, opts).then(function () { check("tampered refused", false); }, function (e) { check("tampered signature refused: " + e.code, e.code === "CRED_BAD_SIGNATURE"); });
}).then(function () {
  return validateChain(crypto, dev, { anchors: [root] }).then(function () { check("no intermediate refused", false); }, function (e) { check("no intermediate: " + e.code, e.code === "CRED_UNKNOWN_ISSUER"); });
}).then(function () {
  var parts = readIdCredParts(idCredByValue(dev, line));
  check("ID_CRED round trip", toHex(parts.cred) === FX.dev && toHex(parts.issuer) === FX.line);
  return verifyDenyList(crypto, fromHex(FX.d1), [root]);
}).then(function (d1) {
  return verifyDenyList(crypto, fromHex(FX.d2), [root]).then(function (d2) {
    check("deny v1 -> v2", acceptDenyList(d1, d2) === d2);
    try { acceptDenyList(d2, d1); check("rollback refused", false); } catch (e) { check("rollback refused: " + e.code, e.code === "DENY_ROLLBACK"); }
    return validateChain(crypto, other, { anchors: [root], deny: d2 }).then(function () { check("revoked refused", false); }, function (e) { check("revoked: " + e.code, e.code === "CRED_REVOKED"); });
  });
}).then(function () {
  print("MEM variables before validating=" + m0 + ", peak while validating device <- intermediate <- root=" + mv + " (+" + (mv - m0) + ")");
  print(fails === 0 ? "DONE" : "FAILED " + fails);
  quit();
}, function (e) { print("ERROR " + e + " " + e.code); quit(); });
`;
    const dir = mkdtempSync(join(tmpdir(), "pairkit-espruino-"));
    try {
      writeFileSync(join(dir, "entry.js"), entry);
      const out = buildSync({ entryPoints: [join(dir, "entry.js")], bundle: true, format: "iife", target: "es2017", external: ["crypto"], write: false, logLevel: "error" });
      const js = out.outputFiles[0].text;
      writeFileSync(join(dir, "test.js"), js);
      const r = spawnSync(BIN!, [join(dir, "test.js")], { cwd: dir, input: "", encoding: "utf8", timeout: 60000 });
      const text = r.stdout + r.stderr;
      const lines = text.split("\n").filter((l) => /^(OK|FAIL|MEM|DONE|FAILED|ERROR|untyped)/.test(l.trim()));
      console.log(lines.join("\n"));
      expect(text).toMatch(/^DONE/m);
      expect(text).not.toMatch(/FAIL |ERROR|untyped|Uncaught/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});
