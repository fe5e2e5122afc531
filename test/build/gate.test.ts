/**
 * The Espruino compatibility gate (build/gate.mjs) on small bundles.
 *
 * Every file in fixtures/ that is not allowed-*.js or entry-*.ts holds one construct
 * Espruino 2v29 cannot run, a header `// expect: <construct>` (or `// expect-warning:`)
 * and a marker comment right before the offending node; the gate must report that
 * construct at the marker's line:column. allowed-*.js must pass without a finding.
 * (Each fixture was also run on the real 2v29 interpreter: docs/boards.md.)
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { checkBundle, formatProblem } from "../../build/gate.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { loadBoard } from "../../build/boards.mjs";

type Finding = { construct: string; message: string; line: number; column: number; file: string };

var DIR = join(__dirname, "fixtures");
var MARK = "/*@*/";

function markerPosition(code: string) {
  var at = code.indexOf(MARK);
  if (at < 0) throw new Error("fixture without a " + MARK + " marker");
  var before = code.slice(0, at + MARK.length).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function gate(code: string, opts?: object) {
  return checkBundle(code, Object.assign({ file: "t.js" }, opts || {})) as {
    ok: boolean;
    problems: Finding[];
    warnings: Finding[];
    stats: { functions: number; params: number; estVars: number; residentFunctions: number; estResidentVars: number };
  };
}

var fixtures = readdirSync(DIR).filter(function (f) {
  return f.endsWith(".js") && !f.startsWith("allowed");
});

describe("gate rejects each construct Espruino 2v29 lacks", function () {
  it("has a fixture per rule", function () {
    expect(fixtures.length).toBeGreaterThan(100);
  });
  for (var f of fixtures) {
    (function (file: string) {
      var code = readFileSync(join(DIR, file), "utf8");
      var exp = /^\/\/ expect(-warning)?: (\S+)/m.exec(code);
      var boardName = /^\/\/ board: (\S+)/m.exec(code);
      it(file, function () {
        if (!exp) throw new Error(file + " has no // expect: header");
        var construct = exp[2];
        var asWarning = !!exp[1];
        var pos = markerPosition(code);
        var r = gate(code, { file: file, board: boardName ? loadBoard(boardName[1]) : undefined });
        var list = asWarning ? r.warnings : r.problems;
        var hit = list.find(function (p) {
          return p.construct === construct && p.line === pos.line && p.column === pos.column;
        });
        expect(hit, construct + " at " + pos.line + ":" + pos.column + " in " + JSON.stringify(list.map(formatProblem))).toBeTruthy();
        expect(r.ok).toBe(asWarning ? r.problems.length === 0 : false);
        var line = formatProblem(hit);
        expect(line).toContain(file + ":" + pos.line + ":" + pos.column);
        expect(line).toContain(construct);
        expect(hit!.message.length).toBeGreaterThan(10);
      });
    })(f);
  }
});

describe("gate passes what Espruino 2v29 runs", function () {
  for (var f of readdirSync(DIR).filter(function (x) { return x.startsWith("allowed"); })) {
    (function (file: string) {
      it(file, function () {
        var r = gate(readFileSync(join(DIR, file), "utf8"), { file: file });
        expect(r.problems.map(formatProblem)).toEqual([]);
        expect(r.warnings.map(formatProblem)).toEqual([]);
        expect(r.ok).toBe(true);
      });
    })(f);
  }

  it("classes, getters, arrows, template literals, for-of, let/const", function () {
    var r = gate([
      "class A { constructor(x) { this.x = x; } get double() { return this.x * 2; } static of2() { return new A(2); } }",
      "class B extends A { constructor() { super(3); } get double() { return 1 + super.double; } }",
      "const xs = [1, 2, 3]; let s = 0; for (const x of xs) s += x;",
      "const f = (a) => `v=${a}`; print(f(s), new B().double, A.of2().x);",
    ].join("\n"));
    expect(r.problems.map(formatProblem)).toEqual([]);
  });

  it("a local declaration shadows a missing global", function () {
    expect(gate("function f() { var Map = function () {}; return new Map(); } f();").ok).toBe(true);
    expect(gate("function f(Symbol) { return Symbol.iterator; } f({});").ok).toBe(true);
    expect(gate("print(typeof Map === 'undefined', typeof TextEncoder);").ok).toBe(true);
  });

  it("a method the bundle defines is not a missing built-in method", function () {
    expect(gate("class Ring { at(i) { return i; } } print(new Ring().at(1));").ok).toBe(true);
    expect(gate("var p = { finally: function () {} }; p.finally();").ok).toBe(true);
  });

  it("assigning a polyfill to a missing static is allowed", function () {
    expect(gate("if (!Math.trunc) Math.trunc = function (x) { return x < 0 ? Math.ceil(x) : Math.floor(x); };").ok).toBe(true);
  });

  it("a loop variable copied into a body-level const may be captured", function () {
    expect(gate("var fs = []; for (let i = 0; i < 3; i++) { const j = i; fs.push(function () { return j; }); }").ok).toBe(true);
    expect(gate("var fs = []; for (var i = 0; i < 3; i++) fs.push(function () { return i; });").ok).toBe(true);
  });

  it("var C = class C {...} may refer to C inside the class", function () {
    expect(gate("var C = class C { static make() { return new C(); } }; C.make();").ok).toBe(true);
  });
});

describe("hoisting: Espruino defines a function only when execution reaches its declaration", function () {
  it("rejects a call before the declaration in the same scope", function () {
    var r = gate("init();\nfunction init() {}\n");
    expect(r.problems.map(function (p) { return p.construct + "@" + p.line + ":" + p.column; })).toEqual(["use-before-declaration@1:1"]);
    expect(r.problems[0].message).toContain("2:1");
  });

  it("rejects a call nested in an expression and in an immediately invoked function", function () {
    expect(gate("var x = [0].concat(make());\nfunction make() { return 1; }").problems[0].construct).toBe("use-before-declaration");
    expect(gate("!function () { make(); }();\nfunction make() {}").problems[0].construct).toBe("use-before-declaration");
  });

  it("rejects a var read before its own declarator in a statement of several (Espruino creates each when its declarator runs)", function () {
    var r = gate("var a = b(), b = function () { return 1; };");
    expect(r.problems.map(function (p) { return p.construct + "@" + p.line + ":" + p.column; })).toEqual(["use-before-declaration@1:9"]);
    expect(r.problems[0].message).toContain("1:14");
    expect(gate("var a = 1, b = a + 1, c = c || b;").problems).toEqual([]);
  });

  it("rejects a call before the declaration inside a function body", function () {
    var r = gate("function outer() {\n  helper();\n  function helper() {}\n}\nouter();");
    expect(r.problems.map(function (p) { return p.construct + "@" + p.line; })).toEqual(["use-before-declaration@2"]);
  });

  it("allows a call inside a function body declared before the callee", function () {
    var r = gate("function a() { return b(); }\nfunction b() { return 1; }\na();");
    expect(r.problems).toEqual([]);
  });

  it("allows callbacks, typeof and assignments before a declaration", function () {
    expect(gate("setTimeout(function () { later(); }, 10);\nfunction later() {}").ok).toBe(true);
    expect(gate("print(typeof later);\nfunction later() {}").ok).toBe(true);
    expect(gate("v = 2;\nvar v;\nprint(v);").ok).toBe(true);
  });
});

describe("board-aware rules", function () {
  it("require('net') passes on linux and fails on puckjs", function () {
    var code = "var net = require('net'); net.connect({ host: '127.0.0.1', port: 1 });";
    expect(gate(code, { board: loadBoard("linux") }).ok).toBe(true);
    var r = gate(code, { board: loadBoard("puckjs") });
    expect(r.problems[0].construct).toBe("require-module");
    expect(r.problems[0].message).toContain("puckjs");
  });

  it("NRF passes on Bluetooth boards and fails on linux and pico", function () {
    var code = "NRF.setAdvertising({});";
    expect(gate(code, { board: loadBoard("puckjs") }).ok).toBe(true);
    expect(gate(code, { board: loadBoard("linux") }).problems[0].construct).toBe("board-global");
    expect(gate(code, { board: loadBoard("pico") }).problems[0].construct).toBe("board-global");
  });
});

describe("statistics", function () {
  it("counts functions and parameters (about 4 variables each plus 1 per parameter)", function () {
    var r = gate("function a(x, y) { return function (z) { return x + y + z; }; }\nclass K { m(q) { return q; } }\nvar f = () => 1;");
    expect(r.stats.functions).toBe(4);
    expect(r.stats.params).toBe(4);
    expect(r.stats.estVars).toBe(4 * 4 + 4);
    expect(r.stats.residentFunctions).toBe(3);
    expect(r.stats.estResidentVars).toBe(3 * 4 + 3);
  });
});

describe("esbuild's ESM var hoisting", function () {
  it("allows a read after an assignment that precedes the moved var statement", function () {
    // esbuild turns `if (c) { var net = require("net"); use(net) }` into this shape.
    expect(gate('if (true) {\n  net = require("net");\n  print(typeof net.connect);\n}\nvar net;').ok).toBe(true);
  });
});
