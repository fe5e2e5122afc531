/**
 * The nesting pass of the device build (build/nest.mjs): which top-level functions move
 * into their only user and exactly how (declarators, declarations, expression-bodied
 * targets, chains to a fixed point, ASI), every reason one stays (capture, loops, callers,
 * other uses, reassignment, this, classes, ...), the source map, the gate on the result,
 * and programs that behave the same before and after (in Node; on the real interpreter
 * too when ESPRUINO_BIN is set).
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vm from "node:vm";
import { SourceMap } from "node:module";
import * as acorn from "acorn";
import * as esbuild from "esbuild";
import fc from "fast-check";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { nestFunctions, DEFAULT_MAX_CALLERS } from "../../build/nest.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { arrowFunctions } from "../../build/arrows.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { joinVars } from "../../build/joinvars.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { checkBundle } from "../../build/gate.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { buildBoard } from "../../build.mjs";

type Stats = { moved: number; rounds: number; bytesDelta: number; moves: string[]; skipped: Record<string, number>; why?: Record<string, string> };
type Result = { code: string; map: any; stats: Stats };

function nest(src: string, opts?: object): Result {
  return nestFunctions(src, opts);
}
function conv(src: string, opts?: object): string {
  const out = nest(src, opts).code;
  // Whatever the pass writes must parse.
  acorn.parse(out, { ecmaVersion: "latest", sourceType: "script" });
  return out;
}
/** Why the pass left `name` at top level. */
function why(src: string, name: string, opts?: object): string | undefined {
  return nest(src, Object.assign({ explain: true }, opts)).stats.why![name];
}

describe("moves (input -> exact output)", () => {
  const cases: [string, string, string][] = [
    ["into a block body, before its first statement", "var h=e=>e+1;var f=(e,r)=>{return h(e)*r};f(1,2);", "var f=(e,r)=>{var h=e=>e+1;return h(e)*r};f(1,2);"],
    ["into an expression body: a block and a return", "var h=e=>e+1;var f=e=>h(e)*2;f(1);", "var f=e=>{var h=e=>e+1;return h(e)*2};f(1);"],
    ["an expression body in parentheses keeps them (no space after return)", "var h=e=>e+1;var f=e=>({v:h(e)});f(1);", "var f=e=>{var h=e=>e+1;return({v:h(e)})};f(1);"],
    ["a newline after => stays before the block, never after return", "var h=e=>e+1;var f=e=>\n(h(e),2);f(1);", "var f=e=>\n{var h=e=>e+1;return(h(e),2)};f(1);"],
    ["a declarator between others", "var a=1,h=e=>e+1,b=2;var f=e=>h(e)+b;f(a);", "var a=1,b=2;var f=e=>{var h=e=>e+1;return h(e)+b};f(a);"],
    ["the last declarator", "var a=1,h=e=>e+1;var f=e=>h(e)+a;f(a);", "var a=1;var f=e=>{var h=e=>e+1;return h(e)+a};f(a);"],
    ["the target in the same statement", "var h=e=>e+1,f=e=>h(e);f(1);", "var f=e=>{var h=e=>e+1;return h(e)};f(1);"],
    ["a function expression", "var h=function(e){return e+1};var f=e=>h(e);f(1);", "var f=e=>{var h=function(e){return e+1};return h(e)};f(1);"],
    ["a declaration stays a declaration, into a declaration", "function h(a){return a+1}function f(b){return h(b)}print(f(1));", "function f(b){function h(a){return a+1}return h(b)}print(f(1));"],
    ["into a function expression", "var h=()=>1;var f=function(){return h()};f();", "var f=function(){var h=()=>1;return h()};f();"],
    ["g.call and g.apply are calls (a function keeps its own this)", "function h(){return this.x}function f(o){return h.call(o)+h.apply(o,[])}print(f({x:1}));", "function f(o){function h(){return this.x}return h.call(o)+h.apply(o,[])}print(f({x:1}));"],
    ["recursion moves along", "var g=n=>n?g(n-1)+1:0;var f=n=>g(n);print(f(3));", "var f=n=>{var g=n=>n?g(n-1)+1:0;return g(n)};print(f(3));"],
    ["several helpers into one target, in program order", "var a=()=>1;var b=()=>2;var f=()=>a()+b();f();", "var f=()=>{var a=()=>1;var b=()=>2;return a()+b()};f();"],
    ["a helper of a helper moves into the helper first, then along with it", "var h=e=>e*2;var g=e=>h(e)+1;var f=e=>g(e)*3;print(f(1));", "var f=e=>{var g=e=>{var h=e=>e*2;return h(e)+1};return g(e)*3};print(f(1));"],
    ["a target defined before its helper", "var f=()=>h();var h=()=>2;f();", "var f=()=>{var h=()=>2;return h()};f();"],
    ["used inside a callback of a synchronous array method", "var h=e=>e+1;var f=e=>e.map(x=>h(x));f([1]);", "var f=e=>{var h=e=>e+1;return e.map(x=>h(x))};f([1]);"],
    ["the target's own names in nested functions do not matter", "var k=1;var h=()=>k;var f=()=>{var g=k=>k+h();return g(2)};f();", "var k=1;var f=()=>{var h=()=>k;var g=k=>k+h();return g(2)};f();"],
    ["a removed statement after one without `;` leaves one (ASI)", "var f=()=>h()\nx=1\nvar h=()=>2;(f)();print(x)", "var f=()=>{var h=()=>2;return h()}\nx=1\n;(f)();print(x)"],
    ["a removed statement at the start of the program", "var h=()=>1;(f)();function f(){return h()}", "(f)();function f(){var h=()=>1;return h()}"],
  ];
  it.each(cases)("%s", (_name, input, output) => {
    expect(conv(input)).toBe(output);
  });

  it("counts moves, rounds and bytes", () => {
    const src = "var h=e=>e*2;var g=e=>h(e)+1;var k=()=>0;var f=e=>g(e)*3+k();print(f(1));";
    const r = nest(src);
    expect(r.code).toBe("var f=e=>{var g=e=>{var h=e=>e*2;return h(e)+1};var k=()=>0;return g(e)*3+k()};print(f(1));");
    expect(r.stats.moves).toEqual(["h>g", "k>f", "g>f"]);
    expect(r.stats.moved).toBe(3);
    expect(r.stats.rounds).toBe(2);
    expect(r.stats.bytesDelta).toBe(r.code.length - src.length);
    expect(r.stats.skipped).toEqual({ "top-level-use": 1 });
  });

  it("is idempotent", () => {
    const once = conv("var h=e=>e*2;var g=e=>h(e)+1;var f=e=>g(e)*3;print(f(1));");
    expect(nest(once).stats.moved).toBe(0);
    expect(nest(once).code).toBe(once);
  });
});

describe("what stays (and why)", () => {
  const same: [string, string, string][] = [
    // Capture: a name the helper reads from outside is declared in the target.
    ["capture", "a parameter of the target has the name of a top-level variable the helper reads", "var k=1;var h=()=>k;var f=k=>h()+k;f(2);"],
    ["capture", "a var anywhere in the target (a block too)", "var k=1;var h=()=>k;var f=()=>{if(1){var k=2}return h()};f();"],
    ["capture", "a let at the top of the target's body", "var k=1;var h=()=>k;var f=()=>{let k=2;return h()+k};f();"],
    ["capture", "a catch parameter in the target", "var k=1;var h=()=>k;var f=()=>{try{return h()}catch(k){return k}};f();"],
    ["capture", "a function declared in the target", "var k=1;var h=()=>k;var f=()=>{function k(){return 2}return h()+k()};f();"],
    ["capture", "a global the target declares locally", "var h=()=>print;var f=()=>{var print=1;return h()};f();"],
    ["capture", "the target's own name (named function expression)", "var h=()=>n;var f=function n(){return h()};f();"],
    ["capture", "a top-level function the target shadows", "var k=()=>1;var h=()=>k();var f=function(){var k=2;return h()+k};f(k());"],
    ["name-taken", "the helper's name is declared in the target", "var h=()=>1;var f=()=>{var r=h();{let h=2;r+=h}return r};f();"],
    // Cost.
    ["loop-caller", "the target is called in a loop body", "var h=()=>1;var f=()=>h();for(var i=0;i<3;i++)f();"],
    ["loop-caller", "... in a loop test", "var h=()=>1;var f=()=>h();var i=0;while(f()&&i<3)i++;"],
    ["loop-caller", "... in a loop of another function", "var h=()=>1;var f=()=>h();var g=a=>{for(var x of a)f()};g([1]);f();"],
    ["loop-caller", "... from a forEach callback", "var h=()=>1;var f=()=>h();[1,2].forEach(x=>f(x));"],
    ["loop-caller", "... as a map callback", "var h=()=>1;var f=()=>h();[1,2].map(f);"],
    ["loop-caller", "... from setInterval", "var h=()=>1;var f=()=>h();setInterval(()=>f(),10);"],
    ["escaping-target", "the target is kept as a value (a provider's method: called from anywhere)", "var h=()=>1;var f=()=>h();var o={m:f};o.m();"],
    ["escaping-target", "the target is a callback", "var h=()=>1;var f=()=>h();p.then(f);"],
    ["many-callers", "the target is called from more places than maxCallers", "var h=()=>1;var f=()=>h();" + "f();".repeat(DEFAULT_MAX_CALLERS + 1)],
    // Other uses of the helper.
    ["multi-use", "used by two functions", "var h=()=>1;var f=()=>h();var g=()=>h();f();g();"],
    ["top-level-use", "also used at top level", "var h=()=>1;var f=()=>h();print(h(),f());"],
    ["top-level-use", "used in a class method (classes are no targets)", "var h=()=>1;class C{m(){return h()}}new C().m();"],
    ["top-level-use", "used in an object literal method", "var h=()=>1;var o={m(){return h()}};o.m();"],
    ["top-level-use", "used in an IIFE", "var h=()=>1;(()=>{print(h())})();"],
    ["top-level-use", "typeof at top level", "var h=()=>1;var f=()=>h();print(typeof h,f());"],
    ["param-use", "used in a default parameter of the target", "var h=()=>1;var f=(a=h())=>a;f();"],
    ["value-use", "passed as a value (a new one per call of the target could be compared)", "var h=()=>1;var f=o=>o.on('x',h);f(o);"],
    ["value-use", "stored in an object", "var h=()=>1;var f=()=>({m:h});f();"],
    ["value-use", "bound", "var h=()=>1;var f=()=>h.bind(null);f();"],
    ["value-use", "constructed", "var h=function(){this.a=1};var f=()=>new h();f();"],
    ["value-use", "its own reference as a value", "var h=()=>h;var f=()=>h();f();"],
    ["value-use", "typeof in the target", "var h=()=>1;var f=()=>typeof h;f();"],
    ["reassigned", "reassigned at top level", "var h=()=>1;var f=()=>h();h=()=>2;f();"],
    ["reassigned", "reassigned in the target", "var h=()=>1;var f=()=>{var r=h();h=null;return r};f();"],
    ["reassigned", "updated", "var h=()=>1;var f=()=>h();h++;"],
    ["redeclared", "declared twice", "var h=()=>1;var h;var f=()=>h();f();"],
    ["redeclared", "also declared in a top-level block", "var h=()=>1;if(x){var h=2}var f=()=>h();f();"],
    ["unused", "never used", "var h=()=>1;var f=()=>2;f();"],
    // this, arguments, eval.
    ["arrow-this", "an arrow that uses this", "var h=()=>this.x;var f=function(){return h()};f();"],
    ["arrow-this", "an arrow with the word this anywhere (Espruino stores this for it)", "var h=()=>function(){return this};var f=function(){return h()};f();"],
    ["arrow-arguments", "an arrow that reads arguments", "var h=()=>arguments.length;var f=function(){return h()};f();"],
    ["this-into-arrow", "a function with this into an arrow", "var h=function(){return this};var f=()=>h();f();"],
    // Closures: a function made by the helper would keep the target's call alive; one kept
    // by the target (returned, stored) keeps a copy of the helper per call of the target.
    ["closure", "the helper returns a function", "var h=e=>()=>e;var f=e=>h(e)();f(1);"],
    ["closure", "the helper passes a callback on", "var h=e=>{q(()=>e)};var f=e=>{h(e)};f(1);"],
    ["closure", "the helper stores a function", "var h=e=>{e.m=()=>1};var f=e=>{h(e)};f({});"],
    ["closure-target", "the target returns a function", "var h=e=>e+1;var f=e=>()=>h(e);f(1)();"],
    ["closure-target", "the target passes a callback on (it keeps the target's call alive)", "var h=e=>e+1;var f=e=>{q(()=>h(e))};f(1);"],
    ["closure-target", "the target passes a local function on", "var h=e=>e+1;var f=e=>{var r=x=>h(x);q(r)};f(1);"],
    ["closure-target", "the target makes an object with methods (a factory)", "var h=e=>e+1;var f=e=>({m:x=>h(x)+e});f(1).m(2);"],
    ["closure-target", "the target stores a function", "var h=e=>e+1;var f=e=>{e.m=x=>h(x)};f({});"],
    ["closure-target", "the target keeps a local function it returns", "var h=e=>e+1;var f=e=>{var r=x=>h(x);return r};f(1)(2);"],
    ["eval", "eval in the helper", "var h=()=>eval('1');var f=()=>h();f();"],
    ["eval", "eval in the target", "var h=()=>1;var f=()=>h()+eval('1');f();"],
    // Kinds.
    ["let-const", "a const binding", "const h=()=>1;var f=()=>h();f();"],
    ["async-generator", "an async helper", "var h=async()=>1;var f=()=>h();f();"],
    ["async-generator", "a generator target", "var h=()=>1;function*f(){yield h()}f();"],
    ["directive", "a target with a directive prologue", "var h=()=>1;function f(){'use strict';return h()}f();"],
  ];
  it.each(same)("%s: %s", (reason, _name, input) => {
    expect(conv(input)).toBe(input);
    expect(why(input, "h")).toBe(reason);
  });

  it("classes never move and are never targets", () => {
    for (const src of ["class h{}var f=()=>new h();f();", "var h=class{};var f=()=>new h();f();"]) {
      const r = nest(src);
      expect(r.code).toBe(src);
      expect(r.stats.skipped.class).toBe(1);
    }
  });

  it("maxCallers is the limit: at it the helper moves, above it not", () => {
    const src = (n: number) => "var h=()=>1;var f=()=>h();" + "f();".repeat(n);
    expect(nest(src(3), { maxCallers: 3 }).stats.moved).toBe(1);
    expect(nest(src(4), { maxCallers: 3 }).stats.moved).toBe(0);
    expect(nest(src(DEFAULT_MAX_CALLERS)).stats.moved).toBe(1);
  });

  it("a loop inside the target itself does not matter (the helper is made once per call)", () => {
    expect(conv("var h=()=>1;var f=()=>{for(var i=0,s=0;i<3;i++)s+=h();return s};f();")).toBe("var f=()=>{var h=()=>1;for(var i=0,s=0;i<3;i++)s+=h();return s};f();");
  });

  it("a chain stops where a link would be captured", () => {
    // h moves into g; then g reads k, which f's parameter shadows: g stays.
    const r = nest("var k=1;var h=()=>k;var g=()=>h();var f=k=>g()+k;f(2);", { explain: true });
    expect(r.code).toBe("var k=1;var g=()=>{var h=()=>k;return h()};var f=k=>g()+k;f(2);");
    expect(r.stats.why!.g).toBe("capture");
  });

  it("a helper's own locals may have the target's names", () => {
    expect(conv("var h=()=>1;var g=()=>h();var f=h=>g()+h;f(2);")).toBe("var f=h=>{var g=()=>{var h=()=>1;return h()};return g()+h};f(2);");
  });

  it("a loop in a caller of the caller: the helper goes one level up, where it is made once", () => {
    // f (called in g's loop) keeps no helper, but f itself moves into g, and h follows it there.
    expect(conv("var h=()=>1;var f=()=>h();var g=a=>{for(var x of a)f()};g([1]);")).toBe("var g=a=>{var h=()=>1;var f=()=>h();for(var x of a)f()};g([1]);");
  });

  it("leaves code it cannot parse alone", () => {
    expect(nest("var h=()=>1;var f=()=>h(").code).toBe("var h=()=>1;var f=()=>h(");
  });
});

describe("source map", () => {
  // Several modules, so that helpers are top-level functions of their own.
  const FILES: Record<string, string> = {
    "util.ts": "export function twice(n: number) {\n  return n * 2;\n}\nexport function label(s: string) {\n  return '<' + s + '>';\n}\n",
    "calc.ts": "import { twice } from './util';\nfunction square(n: number) {\n  return n * n;\n}\nexport function area(w: number, h: number) {\n  return twice(w) + square(h) + Math.trunc(w);\n}\n",
    "show.ts": "import { label } from './util';\nexport var show = (x: number) => label(String(x));\n",
    "main.ts": "import { area } from './calc';\nimport { show } from './show';\nprint(show(area(2, 3)));\n",
  };
  async function bundle() {
    const out = await esbuild.build({
      entryPoints: ["main.ts"], bundle: true, write: false, format: "esm", outfile: "out.js", sourcemap: "external",
      minify: true, logLevel: "silent",
      plugins: [{
        name: "mem",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (a) => ({ path: a.path.replace(/^\.\//, "").replace(/(\.ts)?$/, ".ts"), namespace: "mem" }));
          b.onLoad({ filter: /.*/, namespace: "mem" }, (a) => ({ contents: FILES[a.path], loader: "ts" }));
        },
      }],
    });
    const js = out.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
    const map = JSON.parse(out.outputFiles.find((f) => f.path.endsWith(".map"))!.text);
    // As in the build: the arrow pass first.
    const ar = arrowFunctions(js, { map });
    return { js: ar.code as string, map: ar.map };
  }
  const lc = (code: string, at: number) => {
    const lines = code.slice(0, at).split("\n");
    return [lines.length - 1, lines[lines.length - 1].length];
  };
  const ids = (code: string) => {
    const found: { name: string; start: number }[] = [];
    const walk = (n: any) => {
      if (!n || typeof n.type !== "string") return;
      if (n.type === "Identifier") found.push({ name: n.name, start: n.start });
      for (const k of Object.keys(n)) {
        const v = n[k];
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === "object") walk(v);
      }
    };
    walk(acorn.parse(code, { ecmaVersion: "latest", sourceType: "module" }));
    return found;
  };
  /** name@source:line:col for every identifier that has a segment of its own. */
  function mapped(code: string, map: any): string[] {
    const sm = new SourceMap(map);
    const out: string[] = [];
    for (const id of ids(code)) {
      const [l, c] = lc(code, id.start);
      const e = sm.findEntry(l, c) as any;
      if (!e || e.generatedLine !== l || e.generatedColumn !== c) continue;
      out.push(id.name + "@" + e.originalSource + ":" + e.originalLine + ":" + e.originalColumn);
    }
    return out.sort();
  }

  it("every identifier of kept and moved text still maps to the same source position", async () => {
    const { js, map } = await bundle();
    const r = nest(js, { map });
    expect(r.stats.moved).toBeGreaterThanOrEqual(3);
    const before = mapped(js, map);
    expect(before.length).toBeGreaterThan(10);
    expect(mapped(r.code, r.map)).toEqual(before);
    // The helpers really moved: the text of `square` now sits inside `area`.
    const sq = before.filter((s) => s.includes("calc.ts:2:"));
    expect(sq.length).toBeGreaterThan(0);
  });

  it("an identifier inside a moved helper maps to its source line at its new place", async () => {
    const { js, map } = await bundle();
    const r = nest(js, { map });
    const sm = new SourceMap(r.map);
    // `n*n` of square (calc.ts line 3): find it in the output, inside area's body.
    const at = r.code.indexOf("*", r.code.indexOf("=>", r.code.search(/[,;{]\w+=\w+=>\w+\*\w+/)));
    expect(at).toBeGreaterThan(0);
    const square = /(\w+)=(\w+)=>\2\*\2/.exec(r.code)!;
    const [l, c] = lc(r.code, square.index + square[1].length + 1);
    const e = sm.findEntry(l, c) as any;
    expect([e.originalSource, e.originalLine + 1]).toEqual(["mem:calc.ts", 2]);
  });

  it("gate problems in a moved helper still point at their source line", async () => {
    const { js, map } = await bundle();
    const r = nest(js, { map });
    const g1 = checkBundle(js, { sourceMap: map });
    const g2 = checkBundle(r.code, { sourceMap: r.map });
    const p1 = g1.problems.find((p: any) => p.construct === "missing-static");
    const p2 = g2.problems.find((p: any) => p.construct === "missing-static");
    expect(p1.source).toEqual({ file: "mem:calc.ts", line: 6, column: 33 });
    expect(p2.source).toEqual(p1.source);
  });
});

describe("the gate after nesting", () => {
  it("finds no declaration-before-use in moved helpers (they come first in their target)", () => {
    const src = "var h=e=>e*2;var g=e=>h(e)+1;var f=e=>{var x=g(e);return x*3};function d(a){return a+f(1)}print(d(1));";
    const out = conv(src);
    expect(out).toBe("function d(a){var f=e=>{var g=e=>{var h=e=>e*2;return h(e)+1};var x=g(e);return x*3};return a+f(1)}print(d(1));");
    expect(checkBundle(out, { file: "t.js" }).problems).toEqual([]);
  });

  it("counts fewer resident functions, the same functions and parameters", () => {
    const src = "var h=(a,b)=>a+b;var g=e=>h(e,1);var f=e=>g(e)*3;print(f(1));";
    const a = checkBundle(src, { file: "t.js" }).stats;
    const b = checkBundle(conv(src), { file: "t.js" }).stats;
    expect([b.functions, b.params]).toEqual([a.functions, a.params]);
    expect(b.residentFunctions).toBe(a.residentFunctions - 2);
    expect(b.estResidentVars).toBe(a.estResidentVars - 4 * 2 - 3);
  });
});

// --- Behaviour: programs give the same results before and after -----------------------------

function runNode(code: string): string {
  const lines: string[] = [];
  vm.runInNewContext(code, { print: (...a: unknown[]) => lines.push(a.join(" ")) }, { timeout: 2000 });
  const m = /OUT:(.*)/.exec(lines.join("\n"));
  return m ? m[1] : "(no output)";
}

const CORPUS = `
var out=[];
var k=10;
var sq=e=>e*e;
var area=(w,h)=>sq(w)+sq(h)+k;
function shout(s){return s.toUpperCase()+"!"}
function greet(n){return shout("hi "+n)}
var a1=1,inc=e=>e+a1,a2=2;
var addTwo=e=>inc(inc(e))+a2;
var fact=n=>n?n*fact(n-1):1;
var useFact=n=>fact(n)+1;
var counter=()=>{var c=0;return()=>++c};
var mk=()=>{var f=counter();f();return f()};
function self(){return this&&this.v}
var callSelf=function(o){return self.call(o)+self.apply(o,[])};
var h3=e=>e*3;var h2=e=>h3(e)+1;var h1=e=>h2(e)*2;
var loopy=e=>e+1;var caller=()=>{for(var i=0,s=0;i<3;i++)s+=loopy(i);return s};
var shadowK=()=>k;var sh=k=>shadowK()+k;
var late=()=>later()+1;var later=()=>5;
out.push(area(2,3),greet("bob"),addTwo(1),useFact(5),mk(),callSelf({v:4}),h1(1),caller(),sh(1),late());
print("OUT:"+out.join(" "));
`;

/** A small random program: top-level functions of every shape calling later ones, parameters and locals that shadow top-level names, loops, callbacks. */
function randomProgram(seed: number): string {
  let s = seed >>> 0 || 1;
  const rnd = (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
  const n = 3 + rnd(8);
  const names = ["k0", "k1", "k2"];
  const fnNames: string[] = [];
  for (let i = 0; i < n; i++) fnNames.push("f" + i);
  const call = (i: number, vars: string[], depth: number): string => {
    // Only later functions: no endless recursion.
    const j = i + 1 + rnd(Math.max(1, n - i - 1));
    if (j >= n || depth > 2) return vars.length ? vars[rnd(vars.length)] : String(rnd(9));
    const f = fnNames[j];
    switch (rnd(4)) {
      case 0: return f + ".call(null," + expr(i, vars, depth + 1) + ")";
      default: return f + "(" + expr(i, vars, depth + 1) + ")";
    }
  };
  const expr = (i: number, vars: string[], depth: number): string => {
    switch (depth > 2 ? rnd(2) : rnd(7)) {
      case 0: return String(rnd(9));
      case 1: return vars[rnd(vars.length)];
      case 2: return "(" + expr(i, vars, depth + 1) + ["+", "-", "*"][rnd(3)] + expr(i, vars, depth + 1) + ")";
      case 3:
      case 4: return call(i, vars, depth);
      case 5: return "[1,2].map(x=>" + call(i, vars.concat("x"), depth + 1) + ").join('')";
      default: return "(" + expr(i, vars, depth + 1) + "?" + expr(i, vars, depth + 1) + ":" + expr(i, vars, depth + 1) + ")";
    }
  };
  const body = (i: number, params: string[]): string => {
    const vars = params.concat(names);
    switch (rnd(4)) {
      case 0: return "{return " + expr(i, vars, 0) + "}";
      case 1: {
        const local = names[rnd(names.length)];
        return "{var " + local + "=" + expr(i, vars, 1) + ";log.push(" + local + ");return " + expr(i, vars, 0) + "}";
      }
      case 2: return "{for(var t=0,u=0;t<2;t++)u+=" + expr(i, vars.concat("t"), 1) + ";return u}";
      default: return "{if(" + expr(i, vars, 1) + ")log.push(" + expr(i, vars, 1) + ");return " + expr(i, vars, 0) + "}";
    }
  };
  let src = "var log=[];var k0=1,k1=2,k2=3;\n";
  // Definitions in a shuffled order (a function may be defined after one that calls it).
  const order = fnNames.map((_, i) => i).sort(() => rnd(3) - 1);
  for (let x = 0; x < order.length; x++) {
    const i = order[x];
    const params = rnd(2) ? ["a"] : [["a", "k0", "k1", "b"][rnd(4)]];
    const b = body(i, params);
    switch (rnd(5)) {
      case 0: src += "function " + fnNames[i] + "(" + params.join(",") + ")" + b + "\n"; break;
      case 1: src += "var " + fnNames[i] + "=function(" + params.join(",") + ")" + b + ";\n"; break;
      case 2: src += "var " + fnNames[i] + "=(" + params.join(",") + ")=>" + b + ";\n"; break;
      case 3: src += "var " + fnNames[i] + "=(" + params.join(",") + ")=>(" + expr(i, params.concat(names), 0) + ");\n"; break;
      default: src += "var k" + (3 + x) + "=" + rnd(5) + "," + fnNames[i] + "=" + params[0] + "=>" + expr(i, params.concat(names), 0) + ";\n";
    }
  }
  // Top level: f0 always, a few others sometimes, one maybe in a loop.
  src += "log.push(f0(1));\n";
  for (let i = 1; i < n; i++) {
    const r = rnd(8);
    if (r === 0) src += "log.push(" + fnNames[i] + "(2));\n";
    else if (r === 1) src += "for(var q=0;q<2;q++)log.push(" + fnNames[i] + "(q));\n";
  }
  src += "print('OUT:'+log.join(','));\n";
  return src;
}

describe("behaviour is unchanged", () => {
  it("a corpus of small programs prints the same in Node", () => {
    const r = nest(CORPUS, { explain: true });
    acorn.parse(r.code, { ecmaVersion: "latest", sourceType: "script" });
    expect(r.stats.moved).toBeGreaterThanOrEqual(9);
    expect(r.stats.why!.counter).toBe("closure");
    expect(runNode(r.code)).toBe(runNode(CORPUS));
    expect(runNode(CORPUS)).toBe("23 HI BOB! 5 121 2 8 8 6 11 6");
  });

  it("random programs print the same in Node before and after (also with the arrow and var-joining passes)", () => {
    let moved = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fffffff }), (seed) => {
        const src = randomProgram(seed);
        const r = nest(src);
        moved += r.stats.moved;
        const before = runNode(src);
        expect(before, src).not.toMatch(/no output/);
        expect(runNode(r.code), src + "\n=>\n" + r.code).toBe(before);
        const all = joinVars(nestFunctions(arrowFunctions(src).code).code).code;
        expect(runNode(all), src + "\n=>\n" + all).toBe(before);
        // And what the gate sees: no declaration-before-use that was not there before.
        const count = (code: string) => checkBundle(code, { file: "t.js" }).problems.filter((p: any) => p.construct === "use-before-declaration").length;
        expect(count(r.code)).toBeLessThanOrEqual(count(src));
      }),
      { numRuns: 300 },
    );
    expect(moved).toBeGreaterThan(200);
  });

  const BIN = process.env.ESPRUINO_BIN;
  it.skipIf(!BIN)("the corpus and random programs print the same on the real Espruino interpreter", () => {
    const dir = mkdtempSync(join(tmpdir(), "pk-nest-"));
    try {
      const run = (code: string, file: string) => {
        writeFileSync(join(dir, file), code);
        const p = spawnSync(BIN!, [file], { cwd: dir, input: "", encoding: "utf8", timeout: 10000 });
        const m = /OUT:(.*)/.exec(p.stdout || "");
        return m ? m[1].replace(/\r$/, "") : "(no output) " + p.stdout + p.stderr;
      };
      const before = run(CORPUS, "before.js");
      expect(before).toBe(runNode(CORPUS));
      expect(run(conv(CORPUS), "after.js")).toBe(before);
      let moved = 0;
      for (let seed = 1; seed <= 25; seed++) {
        const src = randomProgram(seed * 7919);
        const b = run(src, "b.js");
        expect(b, src).not.toMatch(/^\(no output\)/);
        const r = nest(src);
        moved += r.stats.moved;
        expect(run(r.code, "a.js"), src + "\n=>\n" + r.code).toBe(b);
        expect(run(joinVars(nestFunctions(arrowFunctions(src).code).code).code, "c.js"), src).toBe(b);
      }
      expect(moved).toBeGreaterThan(15);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});

describe("in the build", () => {
  it("device bundles get the pass with `nest: true` (off by default), and stay within the gate", async () => {
    const on = await buildBoard("linux", { write: false, sandbox: false, nest: true });
    const off = await buildBoard("linux", { write: false, sandbox: false });
    expect(on.gate.ok, on.errors.join("\n")).toBe(true);
    expect(on.gate.problems).toEqual([]);
    expect(off.nest).toBeNull();
    expect(on.nest.moves.length).toBe(on.nest.moved);
    // Fewer resident functions, by exactly the moved ones; the same functions overall.
    expect(on.gate.stats.functions).toBe(off.gate.stats.functions);
    expect(on.gate.stats.params).toBe(off.gate.stats.params);
    expect(on.gate.stats.residentFunctions).toBe(off.gate.stats.residentFunctions - on.nest.moved);
    expect(on.gate.stats.estResidentVars).toBeLessThanOrEqual(off.gate.stats.estResidentVars - 4 * on.nest.moved);
    expect(on.report.warnings).toBe(off.report.warnings);
    // Bytes barely change (a block and a return per expression-bodied target; joins absorb the rest).
    expect(Math.abs(on.bytes - off.bytes)).toBeLessThan(100);
    // Nothing more to move in what ships.
    expect(nestFunctions(on.code).stats.moved).toBe(0);
  }, 60000);

  it("a firmware entry with helpers: they move, the gate and the start-up sandbox pass, the map leads to the source", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pk-nest-entry-"));
    try {
      writeFileSync(join(dir, "calc.ts"), [
        "function square(n: number): number {",
        "  return n * n;",
        "}",
        "function twice(n: number): number {",
        "  return n * 2;",
        "}",
        "export function area(w: number, h: number): number {",
        "  var t = twice(w);",
        "  return t + square(h);",
        "}",
        "export function perimeter(w: number, h: number): number {",
        "  return twice(w + h);",
        "}",
      ].join("\n") + "\n");
      writeFileSync(join(dir, "main.ts"), "import { area, perimeter } from './calc';\ndeclare function print(...a: any[]): void;\nprint('area ' + area(2, 3));\nprint('perimeter ' + perimeter(2, 3));\n");
      const on = await buildBoard("linux", { entry: join(dir, "main.ts"), write: false, nest: { explain: true } });
      const off = await buildBoard("linux", { entry: join(dir, "main.ts"), write: false, nest: false });
      expect(on.errors, on.code).toEqual([]);
      expect(on.sandbox.ok).toBe(true);
      // square moves into area; twice is used by two functions and stays.
      expect(on.nest.moved).toBe(1);
      expect(on.gate.stats.residentFunctions).toBe(off.gate.stats.residentFunctions - 1);
      expect(runNode(on.code.replace(/print\(/g, "print('OUT:'+"))).toBe(runNode(off.code.replace(/print\(/g, "print('OUT:'+")));
      // The moved helper's body still maps to calc.ts line 2.
      const m = /(\w+)=(\w+)=>\2\*\2/.exec(on.code)!;
      expect(m).toBeTruthy();
      const at = m.index + m[1].length + 1 + m[2].length + 2;
      const lines = on.code.slice(0, at).split("\n");
      const e = new SourceMap(on.map).findEntry(lines.length - 1, lines[lines.length - 1].length) as any;
      expect(String(e.originalSource)).toMatch(/calc\.ts$/);
      expect(e.originalLine + 1).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});
