// `pairkit simulate` and `npm start` through the real CLI.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const run = (args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "pairkit.mjs"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60000 });

describe("pairkit simulate", () => {
  it("replace --json: the steps include pair, message, replace and evicted-refused, all ok", () => {
    const r = run(["simulate", "--devices", "3", "--scenario", "replace", "--seed", "t1", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    const names = j.steps.map((s: { name: string }) => s.name);
    for (const n of ["pair", "message", "replace", "evicted-refused"]) expect(names).toContain(n);
    for (const s of j.steps) expect(s).toMatchObject({ ok: true });
    // Pairing costs secure-element time on both devices and bytes on the air.
    const pair = j.steps.find((s: { name: string }) => s.name === "pair");
    expect(pair.seMs).toBeGreaterThan(0);
    expect(pair.bytes).toBeGreaterThan(300);
  });

  it("runs repeat exactly for the same seed", () => {
    const a = JSON.parse(run(["simulate", "--scenario", "pair", "--seed", "same", "--json"]).stdout);
    const b = JSON.parse(run(["simulate", "--scenario", "pair", "--seed", "same", "--json"]).stdout);
    expect(a.steps).toEqual(b.steps);
  });

  it("fleet: an app pairs with every device", () => {
    const r = run(["simulate", "--devices", "4", "--scenario", "fleet", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.steps.filter((s: { name: string }) => s.name === "pair")).toHaveLength(3);
  });

  it("refuses bad options", () => {
    const r = run(["simulate", "--scenario", "dance"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown scenario/);
  });
});

describe("npm start (the main job)", () => {
  it("runs the whole scenario and exits 0 well under 30 s", () => {
    const t0 = Date.now();
    const r = run(["demo"]);
    expect(r.status, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30000);
    expect(r.stdout).toMatch(/all steps succeeded/);
    expect(r.stdout).toMatch(/evicted-refused/);
  });
});
