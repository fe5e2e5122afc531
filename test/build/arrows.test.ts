/**
 * The arrow-function pass of the device build (build/arrows.mjs): which functions become
 * arrows and exactly how, which never do (this, arguments, new, self-reference, methods,
 * super, generators, async, redeclared or block-level declarations, built-in parameter
 * names), parentheses where precedence needs them, source maps that still lead to the
 * source, and programs that behave the same before and after (in Node; on the real
 * interpreter too when ESPRUINO_BIN is set).
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SourceMap } from "node:module";
import { expectIdentifiersMapped, expectSameOnEspruino, parsed, runNode } from "./pass-check";
import * as esbuild from "esbuild";
import fc from "fast-check";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { arrowFunctions } from "../../build/arrows.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { remapSourceMap } from "../../build/sourcemap.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { checkBundle } from "../../build/gate.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { buildBoard } from "../../build.mjs";

if (!process.env.ESPRUINO_BIN) console.log("SKIPPED: the arrow pass on the real Espruino interpreter (set ESPRUINO_BIN to an Espruino Linux binary to run it)");

type Result = { code: string; map: any; stats: { expressions: number; declarations: number; bytesSaved: number; skipped: Record<string, number> } };

function arrows(src: string, opts?: object): Result {
  return arrowFunctions(src, opts);
}
function conv(src: string, opts?: object): string {
  return parsed(arrows(src, opts).code);
}

describe("conversions (input -> exact output)", () => {
  const cases: [string, string, string][] = [
    ["two parameters, block body", "f(function(a,b){g(a,b)});", "f((a,b)=>{g(a,b)});"],
    ["one parameter: no parentheses", "f(function(a){g(a)});", "f(a=>{g(a)});"],
    ["no parameters", "f(function(){g()});", "f(()=>{g()});"],
    ["a body that is only `return EXPR`", "f(function(a){return a+1});", "f(a=>a+1);"],
    ["return with a semicolon", "f(function(a,b){return a*b;});", "f((a,b)=>a*b);"],
    ["returned object literal is wrapped", "f(function(a){return{v:a}});", "f(a=>({v:a}));"],
    ["returned sequence is wrapped", "f(function(a){return a(),2});", "f(a=>(a(),2));"],
    ["returned expression starting with an object literal is wrapped", "f(function(){return{x:1}.x});", "f(()=>({x:1}.x));"],
    ["parentheses already in the text are kept, not doubled", "f(function(a){return(a(),2)});", "f(a=>(a(),2));"],
    ["`return;` alone keeps its block", "f(function(){return});", "f(()=>{return});"],
    ["more than one statement keeps the block", "f(function(a){g(a);return a});", "f(a=>{g(a);return a});"],
    ["an unused function name is dropped", "var g=function n(a){return a};", "var g=a=>a;"],
    ["nested functions both convert", "f(function(a){return function(b){return a+b}});", "f(a=>b=>a+b);"],
    ["object property values", "var o={m:function(a){return a},n:function(){}};", "var o={m:a=>a,n:()=>{}};"],
    ["array elements and sequence elements", "var a=[function(){return 1},function(){}],s=(0,function(){return 2});", "var a=[()=>1,()=>{}],s=(0,()=>2);"],
    ["a top-level declaration", "function f(a){return a*2}f(1);", "var f=a=>a*2;f(1);"],
    ["a declaration with a block body", "function f(a,b){g(a);g(b)}f(1,2);", "var f=(a,b)=>{g(a);g(b)};f(1,2);"],
    ["a declaration last in a function body needs no semicolon", "function o(){function i(){return 1}return i()}", "var o=()=>{var i=()=>1;return i()}"],
    ["a declaration before `}`", "function o(){g();function i(){return 1}}", "var o=()=>{g();var i=()=>1}"],
    ["a declaration at the end of the program", "g();function f(){}", "g();var f=()=>{}"],
    ["a function declaration called from another function", "function a(){return b()}function b(){return 1}print(a());", "var a=()=>b();var b=()=>1;print(a());"],
  ];
  for (const [name, input, output] of cases) {
    it(name, () => {
      expect(conv(input)).toBe(output);
    });
  }

  it("counts what it did", () => {
    const r = arrows("function f(a){return a}var g=function(){return this};f(function(){});");
    expect(r.code).toBe("var f=a=>a;var g=function(){return this};f(()=>{});");
    expect(r.stats.declarations).toBe(1);
    expect(r.stats.expressions).toBe(1);
    expect(r.stats.skipped).toEqual({ this: 1 });
    expect(r.stats.bytesSaved).toBe("function f(a){return a}var g=function(){return this};f(function(){});".length - r.code.length);
  });
});

describe("precedence: parentheses where an arrow could not stand alone", () => {
  const cases: [string, string, string][] = [
    ["immediately invoked, parenthesised in the text", "var x=(function(){return 1})();", "var x=(()=>1)();"],
    ["immediately invoked inside the parentheses", "var x=(function(){return 1}());", "var x=((()=>1)());"],
    ["callee after `!`", "!function(){g()}();", "!(()=>{g()})();"],
    ["member object (.call)", "var r=function(a){return a}.call(null,1);", "var r=(a=>a).call(null,1);"],
    ["right operand of ||", "var x=a||function(){return 1};", "var x=a||(()=>1);"],
    ["left operand of +", "var x=function(){}+'';", "var x=(()=>{})+'';"],
    ["typeof", "var t=typeof function(){};", "var t=typeof (()=>{});"],
    ["conditional test", "var c=function(){}?1:2;", "var c=(()=>{})?1:2;"],
    ["conditional branches need none", "var c=k?function(){return 1}:function(){return 2};", "var c=k?()=>1:()=>2;"],
    ["call argument and return need none", "function f(){return g(function(){})}", "var f=()=>g(()=>{})"],
    ["a for initialiser keeps a block body (an `in` would end the expression)", "for(var g=function(){return a in b};;)break;", "for(var g=()=>{return a in b};;)break;"],
  ];
  for (const [name, input, output] of cases) {
    it(name, () => {
      expect(conv(input)).toBe(output);
    });
  }
});

describe("what stays a function", () => {
  const same: [string, string][] = [
    ["this", "f(function(){return this.x});"],
    ["this through a nested arrow", "f(function(){return()=>this});"],
    ["the word this anywhere in the text (Espruino would store `this` for the arrow)", "f(function(){return function(){return this}});"],
    ["this in a string (conservative)", "f(function(){return'this'});"],
    ["arguments", "f(function(){return arguments.length});"],
    ["arguments through a nested arrow", "f(function(){return()=>arguments[0]});"],
    ["new.target", "f(function(){return new.target});"],
    ["eval", "f(function(){return eval('1')});"],
    ["super in a method", "var o={__proto__:p,m(){return super.m()}};"],
    ["object methods, getters and setters", "var o={m(){return 1},get x(){return 1},set x(v){g(v)}};"],
    ["class members", "class A{constructor(a){g(a)}m(){return 1}static s(){return 2}get x(){return 3}}"],
    ["generators", "f(function*(){yield 1});function*h(){yield 2}"],
    ["async functions", "f(async function(){});async function h(){}"],
    ["constructed directly", "var o=new function(){g()};"],
    ["constructed through its variable", "var F=function(){g()};var o=new F();"],
    ["constructed through an alias", "var F=function(){g()};var K=F;var o=new K();"],
    ["constructed via a conditional", "var F=function(){g()},G=function(){h()};var o=new(c?F:G)();"],
    ["a declaration used with new", "function F(){g()}var o=new F();"],
    ["a declaration whose prototype is used", "function F(){}F.prototype.m=1;"],
    ["instanceof", "function F(){}var t=x instanceof F;"],
    ["extends", "function F(){}class A extends F{}"],
    ["a named function that mentions its name", "var f=function g(n){return n?g(n-1):0};"],
    ["a named function that reads its name with typeof", "var f=function g(){return typeof g};"],
    ["a declaration declared twice", "function f(){return 1}function f(){return 2}"],
    ["a declaration that is also a var", "var f;function f(){return 1}"],
    ["a declaration that shares a parameter's name", "function o(f){function f(){return 1}return[f,this]}"],
    ["a declaration that is reassigned", "function f(){return 1}f=2;"],
    ["a declaration that is updated", "function f(){return 1}f+=2;f++;"],
    ["a declaration also declared in a block (Annex B assigns the outer one)", "function f(){return 1}if(c){function f(){return 2}}"],
    ["a declaration inside a block", "if(c){function f(){return 1}}"],
    ["a declaration in a switch case", "switch(c){case 1:function f(){return 1}}"],
    ["default parameters", "f(function(a=1){return a});"],
    ["rest parameters", "f(function(...a){return a});"],
    ["destructured parameters", "f(function({a}){return a});"],
    ["duplicate parameter names (an arrow cannot have them)", "f(function(a,a){return a});"],
    ["a pin name as parameter (Espruino: SyntaxError)", "f(function(D1){return D1});"],
    ["a built-in function name as parameter", "f(function(print){return print});"],
  ];
  for (const [name, input] of same) {
    it(name, () => {
      expect(conv(input)).toBe(input);
    });
  }

  it("names the build reserves are never parameters", () => {
    expect(conv("f(function(zz){return zz});")).toBe("f(zz=>zz);");
    expect(conv("f(function(zz){return zz});", { reserved: ["zz"] })).toBe("f(function(zz){return zz});");
  });

  it("when some `new` target cannot be traced, only functions that never escape as values convert", () => {
    const input = "function mk(C){return new C()}function h(){g()}function k(){g()}mk(h);k();f(function(){});(function(){g()})();";
    expect(conv(input)).toBe("var mk=C=>new C();function h(){g()}var k=()=>{g()};mk(h);k();f(function(){});(()=>{g()})();");
  });

  it("leaves code it cannot parse alone", () => {
    expect(arrows("f(function(){").code).toBe("f(function(){");
  });
});

describe("source map", () => {
  async function bundle(src: string, minify = true) {
    const out = await esbuild.build({
      stdin: { contents: src, loader: "ts", sourcefile: "src.ts" }, bundle: true, write: false, format: "esm",
      outfile: "out.js", sourcemap: "external", minify: minify, logLevel: "silent",
    });
    const js = out.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
    const map = JSON.parse(out.outputFiles.find((f) => f.path.endsWith(".map"))!.text);
    return { js, map };
  }
  const SRC = [
    "export function twice(a: number) {",
    "  return a * 2;",
    "}",
    "export function sum(list: number[]) {",
    "  var t = 0;",
    "  list.forEach(function (x) {",
    "    t += twice(x);",
    "  });",
    "  return t;",
    "}",
    "var later = function (k: number) {",
    "  return Math.trunc(k) + sum([k, k]);",
    "};",
    "print(sum([1, 2, 3]), later(4));",
  ].join("\n") + "\n";

  it.each([["minified", true], ["multi-line", false]])("every identifier still maps to the same source position (%s)", async (_kind, minify) => {
    const { js, map } = await bundle(SRC, minify as boolean);
    const r = arrows(js, { map });
    expect(r.stats.expressions + r.stats.declarations).toBeGreaterThanOrEqual(3);
    const { checked } = expectIdentifiersMapped(js, map, r.code, r.map);
    expect(checked).toBeGreaterThan(5);
  });

  it("moves positions after an edit, and a position inside replaced text to the start of its replacement", () => {
    // Segments at columns 0, 5, 7, 10 of one line, mapped to the same columns of source 0.
    const map = { version: 3, sources: ["s.js"], names: [], mappings: "AAAA,KAAK,EAAE,GAAG" };
    const entries = (m: object, cols: number[]) => cols.map((c) => {
      const e = new SourceMap(m as any).findEntry(0, c) as any;
      return [e.generatedColumn, e.originalColumn];
    });
    // "aaaa bbbb cccc": replace "bbbb" (5..9) by "X".
    const replaced = remapSourceMap(map, "aaaa bbbb cccc", "aaaa X cccc", [{ start: 5, end: 9, text: "X" }]);
    expect(replaced.mappings).toBe("AAAA,KAAK,EAAK");
    expect(entries(replaced, [0, 5, 7])).toEqual([[0, 0], [5, 5], [7, 10]]);
    // Nothing at the replacement's start: the first segment inside it moves there.
    const inside = remapSourceMap({ version: 3, sources: ["s.js"], names: [], mappings: "AAAA,OAAO,GAAG" }, "aaaa bbbb cccc", "aaaa X cccc", [{ start: 5, end: 9, text: "X" }]);
    expect(entries(inside, [0, 5, 7])).toEqual([[0, 0], [5, 7], [7, 10]]);
    // ... also after an earlier edit changed the length.
    const twoEdits = remapSourceMap({ version: 3, sources: ["s.js"], names: [], mappings: "AAAA,OAAO,GAAG" }, "aaaa bbbb cccc", "aa X cccc",
      [{ start: 1, end: 3, text: "" }, { start: 5, end: 9, text: "X" }]);
    expect(entries(twoEdits, [0, 3, 5])).toEqual([[0, 0], [3, 7], [5, 10]]);
    // An empty replacement before kept text: the kept text's segment wins.
    const empty = remapSourceMap(map, "aaaa bbbb cccc", "aaaa bbbb cccc".slice(0, 5) + "bbbb cccc".slice(2), [{ start: 5, end: 7, text: "" }]);
    expect(entries(empty, [0, 5, 8])).toEqual([[0, 0], [5, 7], [8, 10]]);
    // An insertion moves what follows it, including a segment exactly at its position.
    const inserted = remapSourceMap(map, "aaaa bbbb cccc", "aaaa ((bbbb cccc", [{ start: 5, end: 5, text: "((" }]);
    expect(entries(inserted, [0, 7, 9, 12])).toEqual([[0, 0], [7, 5], [9, 7], [12, 10]]);
  });

  it("gate problems in converted code still point at their source line", async () => {
    const { js, map } = await bundle(SRC);
    const r = arrows(js, { map });
    const g1 = checkBundle(js, { sourceMap: map });
    const g2 = checkBundle(r.code, { sourceMap: r.map });
    const p1 = g1.problems.find((p: any) => p.construct === "missing-static");
    const p2 = g2.problems.find((p: any) => p.construct === "missing-static");
    expect(p1.source).toEqual({ file: "src.ts", line: 12, column: 10 });
    expect(p2.source).toEqual(p1.source);
    expect(p2.column).toBeLessThan(p1.column);
  });
});

// --- Behaviour: programs give the same results before and after -----------------------------

const CORPUS = `
var out=[];
function add(a,b){return a+b}
function obj(a){return{v:a}}
function seq(a){return a,a+1}
function memberOfObj(){return{x:7}.x}
var cond=function(c){return c?function(x){return x*2}:function(x){return x*3}};
var iife=function(){return 5}();
var iife2=(function(a){return a+1})(1);
var notI=!function(){return 0}();
var arr=[function(a){return a},function(){return 2}];
var o={m:function(a){return a+100},n:function named(){return 9},w:function(){return this===o}};
var s1=(0,function(){return 11})();
function outer(){function inner(x){return x+1}return inner(1)}
var cb=[1,2,3].map(function(e){return e*e}).filter(function(e){return e>1});
var nested=function(a){return function(b){return function(c){return a+b+c}}};
var t=typeof function(){};
var callr=function(a,b){return a-b}.call(null,9,4);
var or=0||function(){return 3};
var blk=function(a){var r=a;for(var i=0;i<3;i++)r+=i;return r};
var argc=function(){return arguments.length};
function Ctor(v){this.v=v}
var made=new Ctor(6);
var fact=function f(n){return n?n*f(n-1):1};
function last(){return 42}
out.push(add(1,2),obj(3).v,seq(4),memberOfObj(),cond(1)(5),cond(0)(5),iife,iife2,notI,arr[0](8),arr[1](),o.m(1),o.n(),o.w(),s1,outer(),cb.join(),nested(1)(2)(3),t,callr,or(),blk(1),argc(1,2,3),made.v,made instanceof Ctor,fact(5),last());
function done(){return out.join(" ")}
print("OUT:"+done());
`;

/** A small random program: declarations, function expressions, IIFEs, closures, object and sequence returns. */
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
  const fns: { name: string; arity: number }[] = [];
  const expr = (depth: number, vars: string[]): string => {
    const k = depth > 3 ? rnd(2) : rnd(11);
    switch (k) {
      case 0: return String(rnd(20));
      case 1: return vars.length ? vars[rnd(vars.length)] : String(rnd(9));
      case 2: return "(" + expr(depth + 1, vars) + ["+", "-", "*", "<", "==="][rnd(5)] + expr(depth + 1, vars) + ")";
      case 3: return "(" + expr(depth + 1, vars) + "?" + expr(depth + 1, vars) + ":" + expr(depth + 1, vars) + ")";
      case 4: {
        if (!fns.length) return String(rnd(5));
        const f = fns[rnd(fns.length)];
        const args = [];
        for (let i = 0; i < f.arity; i++) args.push(expr(depth + 1, vars));
        return f.name + "(" + args.join(",") + ")";
      }
      case 5: return "function(p" + depth + "){return " + expr(depth + 1, vars.concat("p" + depth)) + "}(" + expr(depth + 1, vars) + ")";
      case 6: return "({k:" + expr(depth + 1, vars) + "}).k";
      case 7: return "(function(q" + depth + "){" + body(depth + 1, vars.concat("q" + depth)) + "})(" + expr(depth + 1, vars) + ")";
      case 8: return "[1,2,3].map(function(e" + depth + "){return " + expr(depth + 1, vars.concat("e" + depth)) + "}).join('')";
      case 9: return "(function(){return arguments.length})(" + expr(depth + 1, vars) + ",1)";
      default: return "({v:" + expr(depth + 1, vars) + ",m:function(){return this.v}}).m()";
    }
  };
  const body = (depth: number, vars: string[]): string => {
    switch (rnd(4)) {
      case 0: return "return " + expr(depth, vars);
      case 1: return "var t" + depth + "=" + expr(depth, vars) + ";if(t" + depth + ")return t" + depth + ";return " + expr(depth, vars.concat("t" + depth));
      case 2: return "return{r:" + expr(depth, vars) + "}.r";
      default: return "return " + expr(depth, vars) + "," + expr(depth, vars);
    }
  };
  let src = "var out=[];\n";
  const n = 2 + rnd(5);
  for (let i = 0; i < n; i++) {
    const arity = rnd(3);
    const params = [];
    for (let j = 0; j < arity; j++) params.push("a" + i + "_" + j);
    const kind = rnd(3);
    const name = "f" + i;
    if (kind === 0) src += "function " + name + "(" + params.join(",") + "){" + body(0, params) + "}\n";
    else if (kind === 1) src += "var " + name + "=function(" + params.join(",") + "){" + body(0, params) + "};\n";
    else src += "var " + name + "=function " + name + "_own(" + params.join(",") + "){" + body(0, params) + "};\n";
    fns.push({ name, arity });
  }
  for (let i = 0; i < 4; i++) src += "out.push(JSON.stringify(" + expr(0, []) + "));\n";
  src += "print('OUT:'+out.join('|'));\n";
  return src;
}

describe("behaviour is unchanged", () => {
  it("a corpus of small programs prints the same in Node", () => {
    const after = conv(CORPUS);
    expect(after).not.toBe(CORPUS);
    expect(runNode(after)).toBe(runNode(CORPUS));
    expect(runNode(CORPUS)).toBe("3 3 5 7 10 15 5 2 true 8 2 101 9 true 11 2 4,9 6 function 5 3 4 3 6 true 120 42");
  });

  it("random programs print the same in Node before and after", () => {
    let converted = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fffffff }), (seed) => {
        const src = randomProgram(seed);
        const r = arrows(src);
        converted += r.stats.expressions + r.stats.declarations;
        expect(runNode(r.code), src + "\n=>\n" + r.code).toBe(runNode(src));
      }),
      { numRuns: 300 },
    );
    expect(converted).toBeGreaterThan(300);
  });

  const BIN = process.env.ESPRUINO_BIN;
  it.skipIf(!BIN)("the corpus and random programs print the same on the real Espruino interpreter", () => {
    const programs = [CORPUS];
    for (let seed = 1; seed <= 20; seed++) programs.push(randomProgram(seed * 7919));
    expectSameOnEspruino(BIN!, programs, [conv], 1);
  }, 60000);
});

describe.skipIf(!process.env.ESPRUINO_BIN)("parameter names on the real Espruino interpreter", () => {
  it("every short name Espruino knows that breaks an arrow parameter (or adds a built-in to the root) is refused", () => {
    const names = readFileSync(join(__dirname, "../../build/espruino-names.txt"), "utf8").split("\n")
      .filter((n) => /^[A-Za-z_$][\w$]{0,5}$/.test(n) && !/^(do|if|in|of|for|new|try|var|let|case|else|this|true|void|with|null|enum|break|catch|class|const|false|super|throw|while|yield|delete|export|import|return|switch|typeof|static|undefined)$/.test(n));
    const dir = mkdtempSync(join(tmpdir(), "pk-arrows-"));
    try {
      // In batches: the whole list held at once does not fit a build with a Puck.js's memory.
      // Each name is compared with a plain name of its length: on a 32-bit build a longer
      // name costs a variable more for its length alone.
      const bad: string[] = [];
      for (let i = 0; i < names.length; i += 150) {
        const probe = `var bad=[];var names=${JSON.stringify(names.slice(i, i + 150))};
function probe(n){var u0=process.memory().usage;try{var f=eval("(function(){return ("+n+",zz)=>1})")();if(typeof f!=="function")return -1}catch(e){return -1}return process.memory().usage-u0}
var base=[];names.forEach(function(n){var l=n.length;if(base[l]===undefined)base[l]=probe("Qzzzzz".substr(0,l));if(probe(n)!==base[l])bad.push(n)});print("OUT:"+bad.join(" "));`;
        writeFileSync(join(dir, "probe.js"), probe);
        const p = spawnSync(process.env.ESPRUINO_BIN!, ["probe.js"], { cwd: dir, input: "", encoding: "utf8", timeout: 30000 });
        const m = /OUT:(.*)/.exec(p.stdout || "");
        expect(m, p.stdout).toBeTruthy();
        bad.push(...m![1].trim().split(" ").filter(Boolean));
      }
      expect(bad).toContain("print");
      expect(bad).toContain("D1");
      for (const n of bad) expect(conv("f(function(" + n + "){return 1});"), n).toBe("f(function(" + n + "){return 1});");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});

describe("in the build", () => {
  it("device bundles get the pass unless `arrows: false`, and stay within the gate", async () => {
    // Without var joining (build/joinvars.mjs), which runs after this pass.
    const on = await buildBoard("linux", { write: false, sandbox: false, joinVars: false });
    const off = await buildBoard("linux", { write: false, sandbox: false, arrows: false, joinVars: false });
    expect(on.gate.ok).toBe(true);
    expect(off.arrows).toBeNull();
    expect(on.arrows.expressions + on.arrows.declarations).toBeGreaterThan(50);
    expect(on.bytes).toBe(off.bytes - on.arrows.bytesSaved);
    expect(on.code).toContain("=>");
    // Same functions and parameters for the gate's variable estimate.
    expect(on.gate.stats.functions).toBe(off.gate.stats.functions);
    expect(on.gate.stats.params).toBe(off.gate.stats.params);
    expect(on.report.warnings).toBe(off.report.warnings);
  }, 60000);
});
