/**
 * Checks shared by the tests of the bundle passes (arrows, joinvars, pretokenise): output
 * that still parses, a program's printed output in Node and on the real interpreter, and
 * that every identifier of a rewritten bundle still maps to the source position it had
 * before.
 */
import { expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vm from "node:vm";
import { SourceMap } from "node:module";
import * as acorn from "acorn";

/** A pass's output, after checking that it still parses as a script (whatever a pass writes must). */
export function parsed(code: string): string {
  acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  return code;
}

/** What a program prints after "OUT:" when run in a Node context that has print(). */
export function runNode(code: string): string {
  const lines: string[] = [];
  vm.runInNewContext(code, { print: (...a: unknown[]) => lines.push(a.join(" ")) }, { timeout: 2000 });
  const m = /OUT:(.*)/.exec(lines.join("\n"));
  return m ? m[1] : "(no output)";
}

/**
 * Runs fn with run(code, file): what the program prints after "OUT:" on the Espruino
 * binary bin (each program a file of a fresh directory; bytes are written as they are), or
 * "(no output) ..." with its output when it printed nothing of the kind.
 */
export function withEspruino(bin: string, fn: (run: (code: string | Uint8Array, file: string) => string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "pk-pass-"));
  try {
    fn((code, file) => {
      writeFileSync(join(dir, file), code);
      const p = spawnSync(bin, [file], { cwd: dir, input: "", encoding: "utf8", timeout: 10000, killSignal: "SIGKILL" });
      const m = /OUT:(.*)/.exec(p.stdout || "");
      return m ? m[1].replace(/\r$/, "") : "(no output) " + p.stdout + p.stderr;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * On the real interpreter bin: each program prints something, and prints the same after
 * each of the passes (a pass returns text or the bytes to run). The first `matchNode`
 * programs must also print what Node prints.
 */
export function expectSameOnEspruino(bin: string, programs: string[], passes: ((src: string) => string | Uint8Array)[], matchNode = 0): void {
  withEspruino(bin, (run) => {
    programs.forEach((src, i) => {
      const before = run(src, `p${i}.js`);
      expect(before, src).not.toMatch(/^\(no output\)/);
      if (i < matchNode) expect(before, src).toBe(runNode(src));
      passes.forEach((pass, j) => expect(run(pass(src), `p${i}-${j}.js`), src).toBe(before));
    });
  });
}

function identifiers(code: string): { name: string; start: number }[] {
  const out: { name: string; start: number }[] = [];
  const walk = (n: any) => {
    if (!n || typeof n.type !== "string") return;
    if (n.type === "Identifier") out.push({ name: n.name, start: n.start });
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") walk(v);
    }
  };
  walk(acorn.parse(code, { ecmaVersion: "latest", sourceType: "module" }));
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Asserts that the rewritten code has the same identifiers in the same order and that each
 * one the old map located exactly maps, in the new map, to the same source line, column and
 * file. Returns how many were checked and how many of those moved in the generated code.
 */
export function expectIdentifiersMapped(js: string, map: object, code: string, newMap: object): { checked: number; moved: number } {
  const before = identifiers(js);
  const after = identifiers(code);
  expect(after.map((x) => x.name)).toEqual(before.map((x) => x.name));
  const oldM = new SourceMap(map as any);
  const newM = new SourceMap(newMap as any);
  const lc = (text: string, at: number) => {
    const lines = text.slice(0, at).split("\n");
    return [lines.length - 1, lines[lines.length - 1].length];
  };
  let checked = 0;
  let moved = 0;
  for (let i = 0; i < before.length; i++) {
    const [ol, oc] = lc(js, before[i].start);
    const e1 = oldM.findEntry(ol, oc) as any;
    if (!e1 || e1.generatedLine !== ol || e1.generatedColumn !== oc) continue;
    const [nl, nc] = lc(code, after[i].start);
    if (nc !== oc || nl !== ol) moved++;
    const e2 = newM.findEntry(nl, nc) as any;
    expect([e2.generatedLine, e2.generatedColumn, e2.originalLine, e2.originalColumn, e2.originalSource], before[i].name)
      .toEqual([nl, nc, e1.originalLine, e1.originalColumn, e1.originalSource]);
    checked++;
  }
  return { checked, moved };
}
