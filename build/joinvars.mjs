// Joins adjacent `var` statements of a minified device bundle:
//
//   var a=1;var b=e=>e+1;var c   ->   var a=1,b=e=>e+1,c
//
// esbuild joins them inside one module, but not across modules, and build/arrows.mjs
// leaves new runs where it turns `function f(e){...}` into `var f=e=>...;`. Each join
// saves 4 bytes (`;var ` becomes `,`).
//
// Only two VariableDeclaration statements of kind `var` that follow each other directly in
// one statement list (a program, a block or function body, a static block, the statements
// of a switch case) are joined, and only when nothing but `;`, white space and the `var`
// keyword stands between the last declarator of the first and the first declarator of the
// second (a comment there keeps them apart). let/const, for-loop heads, statements that are
// the body of an if/while/label, and declarations in different blocks or functions are left
// alone. The text is edited by ranges, so everything else stays byte for byte, and the
// source map is moved along (applyEdits of build/sourcemap.mjs).
//
// Why this changes nothing: `var a=X;var b=Y` and `var a=X,b=Y` declare the same names in
// the same scope and evaluate X, then create b and evaluate Y, in the same order. Espruino
// 2v29 runs a var statement declarator by declarator (jspeStatementVar), so a variable
// still comes into being exactly when its declarator runs; an arrow function's expression
// body ends at the `,` (an AssignmentExpression, in Espruino too: checked on 2v29 with
// `var f=e=>e+1,g=2`). The gate's declaration-before-use check looks at the declarator,
// not the statement, so joining hides nothing from it.
//
//   joinVars(code, { map }) -> { code, map, stats: { joined, bytesSaved } }
import { parse } from "./arrows.mjs";
import { applyEdits } from "./sourcemap.mjs";

// Nothing but `;`, white space and the keyword between two declarations.
var GAP = /^[ \t\r\n]*;?[ \t\r\n]*var(?![\w$])[ \t\r\n]*$/;

function isVar(node) {
  return !!node && node.type === "VariableDeclaration" && node.kind === "var" && node.declarations.length > 0;
}

/**
 * @param {string} code a (minified) bundle
 * @param {{ map?: object }} [opts] map: the bundle's source map (JSON object)
 * @returns {{ code: string, map: object|undefined, stats: { joined: number, bytesSaved: number } }}
 */
export function joinVars(code, opts) {
  opts = opts || {};
  var stats = { joined: 0, bytesSaved: 0 };
  var ast = parse(code);
  if (!ast) return { code: code, map: opts.map, stats: stats };

  var edits = [];
  function list(stmts) {
    for (var i = 1; i < stmts.length; i++) {
      var a = stmts[i - 1];
      var b = stmts[i];
      if (!isVar(a) || !isVar(b)) continue;
      var from = a.declarations[a.declarations.length - 1].end;
      var to = b.declarations[0].start;
      if (!GAP.test(code.slice(from, to))) continue;
      edits.push({ start: from, end: to, text: "," });
      stats.joined++;
      stats.bytesSaved += to - from - 1;
    }
  }
  var stack = [ast];
  while (stack.length) {
    var node = stack.pop();
    if (node.type === "Program" || node.type === "BlockStatement" || node.type === "StaticBlock") list(node.body);
    else if (node.type === "SwitchCase") list(node.consequent);
    for (var k in node) {
      if (k === "type" || k === "start" || k === "end" || k === "loc" || k === "range") continue;
      var v = node[k];
      if (Array.isArray(v)) {
        for (var x of v) if (x && typeof x.type === "string") stack.push(x);
      } else if (v && typeof v === "object" && typeof v.type === "string") stack.push(v);
    }
  }

  var r = applyEdits(code, edits, opts.map, "joinvars");
  return { code: r.code, map: r.map, stats: stats };
}
