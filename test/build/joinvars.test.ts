/**
 * The var-joining pass of the device build (build/joinvars.mjs): which adjacent `var`
 * statements are joined and exactly how, which are not (not adjacent, different blocks or
 * functions, let/const, loop heads, statement bodies, comments in between), the source
 * map, the gate still seeing a read before its declarator, and programs that behave the
 * same before and after (in Node; on the real interpreter too when ESPRUINO_BIN is set).
 */
import { describe, expect, it } from "vitest";
import { expectIdentifiersMapped, expectSameOnEspruino, parsed, runNode } from "./pass-check";
import * as esbuild from "esbuild";
import fc from "fast-check";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { joinVars } from "../../build/joinvars.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { arrowFunctions } from "../../build/arrows.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { checkBundle } from "../../build/gate.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { buildBoard } from "../../build.mjs";

if (!process.env.ESPRUINO_BIN) console.log("SKIPPED: the var-joining pass on the real Espruino interpreter (set ESPRUINO_BIN to an Espruino Linux binary to run it)");

type Result = { code: string; map: any; stats: { joined: number; bytesSaved: number } };

function join1(src: string, opts?: object): Result {
  return joinVars(src, opts);
}
function conv(src: string): string {
  return parsed(join1(src).code);
}

describe("joins (input -> exact output)", () => {
  const cases: [string, string, string][] = [
    ["two adjacent statements", "var a=1;var b=2;", "var a=1,b=2;"],
    ["a run of four, with and without initialisers", "var a=1;var b;var c=a,d;var e=c;f(e);", "var a=1,b,c=a,d,e=c;f(e);"],
    ["the last statement of the program without a semicolon", "var a=1;var b=2", "var a=1,b=2"],
    ["arrow functions with expression and block bodies", "var f=e=>e+1;var g=(a,b)=>{return a*b};var h=1;", "var f=e=>e+1,g=(a,b)=>{return a*b},h=1;"],
    ["a function and a class expression", "var f=function(){};var C=class{};", "var f=function(){},C=class{};"],
    ["white space and a newline instead of a semicolon", "var a = 1;\n  var b = 2\nvar c = 3;", "var a = 1,b = 2,c = 3;"],
    ["destructuring patterns (the keyword without a space)", "var[a]=x;var{b}=y;", "var[a]=x,{b}=y;"],
    ["inside a block", "if(x){var a=1;var b=2}", "if(x){var a=1,b=2}"],
    ["inside a function body, not across it", "var a=1;function f(){var b=2;var c=3}var d=4;", "var a=1;function f(){var b=2,c=3}var d=4;"],
    ["inside an arrow body and around it", "var f=()=>{var a=1;var b=2};var g=1;", "var f=()=>{var a=1,b=2},g=1;"],
    ["the statements of a switch case", "switch(x){case 1:var a=1;var b=2;break;default:var c;var d}", "switch(x){case 1:var a=1,b=2;break;default:var c,d}"],
    ["a loop body, not its head", "var a=1;for(var i=0;i<2;i++){var b;var c}", "var a=1;for(var i=0;i<2;i++){var b,c}"],
    ["a string that looks like a join stays as it is", "var s=\";var x\";var t=1;", "var s=\";var x\",t=1;"],
  ];
  it.each(cases)("%s", (_name, input, output) => {
    expect(conv(input)).toBe(output);
  });

  const untouched: [string, string][] = [
    ["not adjacent", "var a=1;f();var b=2;"],
    ["an empty statement between", "var a=1;;var b=2;"],
    ["a function declaration between", "var a=1;function f(){}var b=2;"],
    ["across a block boundary", "var a=1;{var b=2}var c=3;"],
    ["a block's last and the next statement", "if(x){var a=1}var b=2;"],
    ["different function bodies", "function f(){var a=1}function g(){var b=2}"],
    ["let and const", "let a=1;let b=2;const c=3;const d=4;"],
    ["var next to let or const", "var a=1;let b=2;var c=3;const d=4;var e;"],
    ["for-loop heads", "var a;for(var i=0;i<1;i++);var b;for(var k in o);var c;for(var v of o);"],
    ["an if body and the next statement", "if(x)var a=1;var b=2;"],
    ["a labelled statement", "l:var a=1;var b=2;"],
    ["a comment between", "var a=1;/* keep */var b=2;"],
    ["code it cannot parse", "var a=1;var b=("],
  ];
  it.each(untouched)("leaves alone: %s", (_name, input) => {
    const r = join1(input);
    expect(r.code).toBe(input);
    expect(r.stats.joined).toBe(0);
  });

  it("counts what it joined and the bytes saved", () => {
    const r = join1("var a=1;var b=2;function f(){var c;\nvar d}");
    expect(r.code).toBe("var a=1,b=2;function f(){var c,d}");
    expect(r.stats).toEqual({ joined: 2, bytesSaved: 9 });
  });

  it("joins what the arrow pass leaves behind", () => {
    const out = joinVars(arrowFunctions("var x=1;function f(a){return a+x}function g(b){return f(b)*2}var y=g(3);print(y);").code).code;
    expect(out).toBe("var x=1,f=a=>a+x,g=b=>f(b)*2,y=g(3);print(y);");
  });
});

describe("the gate after joining", () => {
  it("still finds a var read before its declarator in a joined statement", () => {
    const src = "var a=b();var b=()=>1;";
    const joined = conv(src);
    expect(joined).toBe("var a=b(),b=()=>1;");
    for (const code of [src, joined]) {
      const r = checkBundle(code, { file: "t.js" });
      expect(r.problems.map((p: any) => p.construct + "@" + p.line + ":" + p.column), code).toEqual(["use-before-declaration@1:7"]);
    }
  });

  it("accepts a joined statement whose declarators only read earlier ones (and themselves)", () => {
    const r = checkBundle(conv("var a=1;var b=a+1;var c=c||b;"), { file: "t.js" });
    expect(r.problems).toEqual([]);
  });
});

describe("source map", () => {
  it("every identifier still maps to the same source position", async () => {
    // Several modules: esbuild joins var statements inside one module, not across modules.
    const files: Record<string, string> = {
      "z.ts": "export var zero = [0];\nexport var nil = zero.length - 1;\n",
      "a.ts": "import { zero } from './z';\nexport var one = zero.length;\nexport var two = one + 1;\nexport function twice(n: number) { return n * 2; }\n",
      "b.ts": "import { two, twice } from './a';\nexport var four = twice(two);\nexport var list = [four, two];\n",
      "c.ts": "import { list, four } from './b';\nimport { nil } from './z';\nvar total = nil;\nfor (var i = 0; i < list.length; i++) total += list[i];\nvar msg = 'total ' + total + ' ' + four;\nprint(msg);\n",
    };
    const out = await esbuild.build({
      entryPoints: ["c.ts"], bundle: true, write: false, format: "esm", outfile: "out.js", sourcemap: "external",
      minify: true, logLevel: "silent",
      plugins: [{
        name: "mem",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (a) => ({ path: a.path.replace(/^\.\//, "").replace(/(\.ts)?$/, ".ts"), namespace: "mem" }));
          b.onLoad({ filter: /.*/, namespace: "mem" }, (a) => ({ contents: files[a.path], loader: "ts" }));
        },
      }],
    });
    const js = out.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
    const map = JSON.parse(out.outputFiles.find((f) => f.path.endsWith(".map"))!.text);
    const r = join1(js, { map });
    expect(r.stats.joined).toBeGreaterThanOrEqual(2);
    const { checked, moved } = expectIdentifiersMapped(js, map, r.code, r.map);
    expect(checked).toBeGreaterThan(5);
    expect(moved).toBeGreaterThan(2);
  });
});

// --- Behaviour: programs give the same results before and after -----------------------------

const CORPUS = `
var out=[];
var a=1;var b=a+1;var c;var d=function(x){return x+b};
var e=x=>x*2;var f=(x,y)=>{var t=x;var u=y;return t-u};var g=e(3)+f(9,4);
function h(n){var s=0;for(var i=0;i<n;i++){var sq=i*i;var cu=sq*i;s+=sq+cu}return s}
var k=h(4);var l=typeof c;var m=(a,b);var n2=[a,b,c,d(1),g,k,l,m];
switch(a){case 1:var sw=10;var sw2=sw+1;break;default:var sw3=0}
if(b>1){var blk=b*3;var blk2=blk+1}
var order=[];var p1=order.push("p1");var p2=order.push("p2");var p3=(order.push("p3"),order.join(""));
var cnt=0;var inc=()=>++cnt;var r1=inc();var r2=inc();var r3=inc()+r1+r2;
out.push(n2.join(","),sw,sw2,blk,blk2,p3,r3,f(1,1));
print("OUT:"+out.join(" "));
`;

/** A small random program: runs of var statements mixed with other statements, blocks, functions and arrows. */
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
  let nextVar = 0;
  const expr = (vars: string[], depth: number): string => {
    switch (depth > 2 ? rnd(2) : rnd(7)) {
      case 0: return String(rnd(20));
      case 1: return vars.length ? vars[rnd(vars.length)] : String(rnd(5));
      case 2: return "(" + expr(vars, depth + 1) + ["+", "-", "*"][rnd(3)] + expr(vars, depth + 1) + ")";
      case 3: return "(log.push(" + expr(vars, depth + 1) + "),log.length)";
      case 4: return "(x" + depth + "=>x" + depth + "+" + expr(vars, depth + 1) + ")(" + expr(vars, depth + 1) + ")";
      case 5: return "(function(){var q=" + expr(vars, depth + 1) + ";var w=q*2;return q+w})()";
      default: return "(" + expr(vars, depth + 1) + "?" + expr(vars, depth + 1) + ":" + expr(vars, depth + 1) + ")";
    }
  };
  const stmts = (vars: string[], n: number, depth: number): string => {
    let src = "";
    for (let i = 0; i < n; i++) {
      switch (depth > 1 ? rnd(3) : rnd(6)) {
        case 0:
        case 1: {
          const v = "v" + nextVar++;
          src += "var " + v + (rnd(5) ? "=" + expr(vars, 0) : "") + ";";
          vars = vars.concat(v);
          break;
        }
        case 2: src += "log.push(" + expr(vars, 0) + ");"; break;
        case 3: src += "if(" + expr(vars, 1) + "){" + stmts(vars, 1 + rnd(3), depth + 1) + "}"; break;
        case 4: {
          const fname = "fn" + nextVar++;
          src += "function " + fname + "(p){" + stmts(vars.concat("p"), 1 + rnd(3), depth + 1) + "return p}log.push(" + fname + "(" + expr(vars, 1) + "));";
          break;
        }
        default: src += "for(var i" + depth + "=0;i" + depth + "<2;i" + depth + "++){" + stmts(vars.concat("i" + depth), 1 + rnd(3), depth + 1) + "}";
      }
    }
    return src;
  };
  const body = stmts([], 4 + rnd(8), 0);
  const all = [];
  for (let i = 0; i < nextVar; i++) all.push("typeof v" + i + "=='undefined'?'u':v" + i);
  return "var log=[];" + body + "\nprint('OUT:'+log.join(',')+'|'+[" + all.join(",") + "].join(','));\n";
}

describe("behaviour is unchanged", () => {
  it("a corpus of small programs prints the same in Node", () => {
    const after = conv(CORPUS);
    expect(join1(CORPUS).stats.joined).toBeGreaterThan(15);
    expect(runNode(after)).toBe(runNode(CORPUS));
    expect(runNode(CORPUS)).toBe("1,2,,3,11,50,undefined,2 10 11 6 7 p1p2p3 6 0");
  });

  it("random programs print the same in Node before and after (also after the arrow pass)", () => {
    let joined = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fffffff }), (seed) => {
        const src = randomProgram(seed);
        const r = join1(src);
        joined += r.stats.joined;
        const before = runNode(src);
        expect(runNode(r.code), src + "\n=>\n" + r.code).toBe(before);
        const both = joinVars(arrowFunctions(src).code).code;
        expect(runNode(both), src + "\n=>\n" + both).toBe(before);
      }),
      { numRuns: 300 },
    );
    expect(joined).toBeGreaterThan(300);
  });

  const BIN = process.env.ESPRUINO_BIN;
  it.skipIf(!BIN)("the corpus and random programs print the same on the real Espruino interpreter", () => {
    const programs = [CORPUS];
    for (let seed = 1; seed <= 20; seed++) programs.push(randomProgram(seed * 7919));
    expectSameOnEspruino(BIN!, programs, [conv, (src) => joinVars(arrowFunctions(src).code).code], 1);
  }, 60000);
});

describe("in the build", () => {
  it("device bundles get the pass unless `joinVars: false`, and stay within the gate", async () => {
    const on = await buildBoard("linux", { write: false, sandbox: false });
    const off = await buildBoard("linux", { write: false, sandbox: false, joinVars: false });
    expect(on.gate.ok).toBe(true);
    expect(off.joinVars).toBeNull();
    expect(on.joinVars.joined).toBeGreaterThan(50);
    expect(on.bytes).toBe(off.bytes - on.joinVars.bytesSaved);
    // Idempotent: nothing joinable is left.
    expect(joinVars(on.code).stats.joined).toBe(0);
    // Nothing the gate counts changes.
    expect(on.gate.stats).toEqual(off.gate.stats);
    expect(on.report.warnings).toBe(off.report.warnings);
    expect(on.gate.problems).toEqual([]);
  }, 60000);
});
