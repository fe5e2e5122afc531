/**
 * The device crypto modules in the real Espruino interpreter: runs
 * scripts/bench-device-crypto.mjs --check-only, which bundles src/crypto/device/ for
 * Espruino, runs it in the binary named by ESPRUINO_BIN and compares every output with
 * node:crypto and @noble/curves. Skipped (and says so) when ESPRUINO_BIN is not set.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

var BIN = process.env.ESPRUINO_BIN;
if (!BIN) console.log("device-espruino.test.ts: skipped, ESPRUINO_BIN is not set (point it at an Espruino 2v29 Linux binary)");

describe.skipIf(!BIN)("device crypto in the Espruino interpreter (ESPRUINO_BIN)", () => {
  it("computes the same SHA-256, AES, HMAC, HKDF, CCM, DRBG and P-256 results as the host", () => {
    var script = fileURLToPath(new URL("../../scripts/bench-device-crypto.mjs", import.meta.url));
    var r = spawnSync(process.execPath, [script, "--check-only"], { encoding: "utf8", timeout: 120000, env: process.env });
    expect(r.stdout + r.stderr).not.toMatch(/FAIL/);
    expect(r.status).toBe(0);
  }, 150000);
});
