/**
 * Property mangling of device bundles (build/mangle.mjs): pairkit's own long property
 * names get short ones; names Espruino or the outside world knows keep theirs; an event
 * whose detail is not an object literal fails the build, because its keys could not be kept.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { buildBoard } from "../../build.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { checkEventDetails, mangleOptions } from "../../build/mangle.mjs";

function mangle(src: string): string {
  const m = mangleOptions(src);
  return esbuild.transformSync(src, { minify: true, mangleProps: m.mangleProps, reserveProps: m.reserveProps, format: "esm" }).code;
}

describe("property mangling", () => {
  it("renames internal names and keeps Espruino's, the built-ins', event keys and the console handle's", () => {
    const out = mangle(`
      var st = { handshakeState: 1, peerCredential: 2 };
      var S = require("Storage");
      S.readArrayBuffer("f"); S.write("f", "x");
      var b = new Uint8Array(4); b.subarray(1);
      setWatch(function (e) { return e.lastTime; }, "D0", { repeat: true, debounce: 30 });
      plat.report("failed", { peerName: st.peerCredential, reason: st.handshakeState });
      globalThis.PK = { press: 1 };
      var q = obj["quotedName"]; var r = obj.quotedName;
    `);
    expect(out).not.toContain("handshakeState");
    expect(out).not.toContain("peerCredential");
    for (const kept of ["readArrayBuffer", "write", "subarray", "lastTime", "repeat", "debounce", "peerName", "reason", "PK", "press", "quotedName"]) {
      expect(out).toContain(kept);
    }
  });

  it("does not depend on what the building process has on globalThis", () => {
    const src = "var o = { pkTestOnlyName: 1 }; f(o.pkTestOnlyName);";
    const before = mangle(src);
    (globalThis as any).pkTestOnlyGlobal = { pkTestOnlyName: 1 };
    try {
      expect(mangle(src)).toBe(before);
    } finally {
      delete (globalThis as any).pkTestOnlyGlobal;
    }
    expect(before).not.toContain("pkTestOnlyName");
  });

  it("never gives a mangled name that an unmangled property already uses", () => {
    const out = mangle(`var o = { somethingLong: 1, on: 2 }; o.on(o.somethingLong);`);
    const m = /\{(\w+):1,on:2\}/.exec(out);
    expect(m, out).not.toBeNull();
    expect(m![1]).not.toBe("on");
  });

  it("rejects an event whose detail is built elsewhere, and accepts literals", () => {
    expect(checkEventDetails(`p.report("a", { x: 1 }); p.report("b"); log("c", d);`)).toEqual([]);
    const bad = checkEventDetails(`var d = { secretName: 1 };\np.report("a", d);`);
    expect(bad).toEqual([{ line: 2, column: 14, call: "report" }]);
  });

  it("fails a device build whose firmware reports a non-literal detail", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pk-mangle-"));
    const entry = join(dir, "main.ts");
    writeFileSync(entry, `var d = { count: 1 };\nvar plat = { report: function (e: string, x: unknown) { print(JSON.stringify({ pk: e, d: x })); } };\nplat.report("x", d);\n`);
    const r = await buildBoard("linux", { entry, write: false, sandbox: false });
    expect(r.ok).toBe(false);
    expect(r.errors.join("\n")).toMatch(/detail of a report\(\) event must be an object literal/);
  });
});
