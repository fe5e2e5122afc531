// A last shrinking pass over a minified device bundle: `function` becomes an arrow
// function wherever that provably changes nothing the Espruino interpreter (or standard
// JavaScript) can observe. Source text is edited by ranges, so everything not converted
// stays byte for byte as esbuild wrote it.
//
//   function(e,r){...}          -> (e,r)=>{...}
//   function(e){return e+1}     -> e=>e+1
//   function n(){return{a:1}}   -> ()=>({a:1})       (n never used inside)
//   function f(e){...}          -> var f=e=>{...};   (a declaration directly in a program
//                                                    or function body)
//
// Why this is safe on Espruino 2v29 (src/jsparse.c, and measured with E.getSizeOf on the
// Linux build): an arrow function keeps the enclosing `this` as an extra variable only when
// its text contains the word `this` (jspeArrowFunction; the lexer flags `this` anywhere in
// the text, also inside nested functions), so a this-free arrow costs exactly the variables
// of a `function` (code, scope, one per parameter); `function(){return x}` and `()=>x` are
// both stored as the same "function return" kind. A named function expression stores its
// name as one more child, so dropping an unused name saves variables. Function
// declarations are not hoisted in Espruino: `function f(){}` creates `f` when execution
// reaches it, exactly like `var f=...` (the gate rejects calls before the declaration).
//
// What is never converted:
//   - methods, getters/setters, class members, generators, async functions;
//   - functions whose parameters or body (looking through nested arrows, whose `this`
//     and `arguments` are the enclosing function's) use `this`, `arguments`, `super`,
//     `new.target` or `eval`; and functions whose text contains the word `this` at all
//     (also inside nested functions or strings: the interpreter would then store `this`);
//   - functions that could be constructed: direct `new function(){}`; functions bound to a
//     name that is used with `new`, `instanceof`, `extends` or `.prototype` (followed
//     through `var` aliases); and, when some `new`/`.prototype`/`instanceof` target cannot
//     be traced to a built-in, a class or a known binding, every function whose value may
//     escape;
//   - named function expressions whose name is used inside them;
//   - declarations that are not a direct child of a program or function body, or whose
//     name is declared twice in its scope or assigned;
//   - parameter lists that are not plain distinct identifiers, or that use a name Espruino
//     resolves to a built-in: an arrow's parameters are looked up as variables when the
//     arrow is created, and a built-in function or pin name (`print`, `D1`) there is a
//     SyntaxError ("Got => expected EOF"; checked on 2v29).
//
//   arrowFunctions(code, { map, reserved }) -> { code, map, stats }
import * as acorn from "acorn";
import { analyzeScopes } from "./scope.mjs";
import { applyEdits } from "./sourcemap.mjs";

/**
 * Global names Espruino (or JavaScript) resolves to a built-in when looked up as a
 * variable: never an arrow parameter. On 2v29 such a parameter is either a SyntaxError
 * (built-in functions, pins, HIGH/LOW, NaN) or adds the built-in object to the root for
 * good (E, Math, AES, url, ...): checked by trying every identifier of up to 6 characters
 * in build/espruino-names.txt as an arrow parameter (test/build/arrows.test.ts does it
 * again when ESPRUINO_BIN is set). The build adds its own reserved list (ESPRUINO_NAMES in
 * build/bundle.mjs); any capital letter followed by digits (a pin name such as D1, A5,
 * H0) is refused too.
 */
export var ARROW_RESERVED_PARAMS = [
  "Object", "Function", "Array", "String", "Number", "Boolean", "Date", "RegExp", "Error", "TypeError",
  "SyntaxError", "ReferenceError", "InternalError", "Promise", "ArrayBuffer", "DataView", "Uint8Array",
  "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array",
  "Uint8ClampedArray", "Math", "JSON", "NaN", "Infinity", "undefined", "eval", "arguments", "parseInt",
  "parseFloat", "isNaN", "isFinite", "encodeURIComponent", "decodeURIComponent", "setTimeout",
  "setInterval", "clearTimeout", "clearInterval", "console", "globalThis", "global", "require", "print",
  "E", "Pin", "I2C", "SPI", "Serial", "NRF", "Bluetooth", "Puck", "Pixl", "Bangle", "Graphics", "Modules",
  "process", "LED", "BTN", "HIGH", "LOW", "USB", "g", "crypto", "Storage", "Flash", "Wifi", "Waveform",
  "OneWire", "Ethernet", "Telnet", "Terminal", "LoopbackA", "LoopbackB", "btoa", "atob", "peek8", "poke8",
  "peek16", "poke16", "peek32", "poke32", "getTime", "setTime", "setWatch", "clearWatch", "load", "save",
  "reset", "dump", "edit", "trace", "digitalWrite", "digitalRead", "digitalPulse", "pinMode", "getPinMode",
  "analogRead", "analogWrite", "shiftOut", "changeInterval", "getSerial", "AES", "File", "Server", "Socket",
  "url", "echo", "I2C1", "I2C2", "I2C3", "SPI1", "SPI2", "SPI3",
];
var PIN_NAME = /^[A-Z][0-9]+$/;

var FN_TYPES = { FunctionDeclaration: 1, FunctionExpression: 1, ArrowFunctionExpression: 1 };

// Places where an arrow function may stand without parentheses: [parent type, key] pairs
// whose grammar slot is an AssignmentExpression (or a full Expression).
var SAFE_SLOTS = {
  VariableDeclarator: { init: 1 },
  AssignmentExpression: { right: 1 },
  AssignmentPattern: { right: 1 },
  Property: { value: 1 },
  PropertyDefinition: { value: 1 },
  ArrayExpression: { elements: 1 },
  CallExpression: { arguments: 1 },
  NewExpression: { arguments: 1 },
  ReturnStatement: { argument: 1 },
  ThrowStatement: { argument: 1 },
  ExpressionStatement: { expression: 1 },
  SequenceExpression: { expressions: 1 },
  ConditionalExpression: { consequent: 1, alternate: 1 },
  IfStatement: { test: 1 },
  WhileStatement: { test: 1 },
  DoWhileStatement: { test: 1 },
  SwitchStatement: { discriminant: 1 },
  SwitchCase: { test: 1 },
  ForStatement: { test: 1, update: 1 },
  ForInStatement: { right: 1 },
  ForOfStatement: { right: 1 },
  TemplateLiteral: { expressions: 1 },
  SpreadElement: { argument: 1 },
  ArrowFunctionExpression: { body: 1 },
  YieldExpression: { argument: 1 },
};

/** The bundle's syntax tree (as a script, else as a module), or null when it does not parse. */
export function parse(code) {
  var o = { ecmaVersion: "latest", sourceType: "script" };
  try {
    return acorn.parse(code, o);
  } catch (e) {
    try {
      return acorn.parse(code, Object.assign({}, o, { sourceType: "module" }));
    } catch (e2) {
      return null;
    }
  }
}

/** Calls fn(node, parent, key) for every node, parents first. */
function eachNode(root, fn) {
  var stack = [[root, null, null]];
  while (stack.length) {
    var top = stack.pop();
    var node = top[0];
    fn(node, top[1], top[2]);
    var kids = [];
    for (var k in node) {
      if (k === "type" || k === "start" || k === "end" || k === "loc" || k === "range") continue;
      var v = node[k];
      if (Array.isArray(v)) {
        for (var x of v) if (x && typeof x.type === "string") kids.push([x, node, k]);
      } else if (v && typeof v === "object" && typeof v.type === "string") kids.push([v, node, k]);
    }
    for (var i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
}

/** Does fn's own code (params and body, through nested arrows, not other functions) use this/arguments/super/new.target/eval? */
function usesOwnContext(fn) {
  var found = null;
  function scan(node) {
    if (found || !node || typeof node.type !== "string") return;
    switch (node.type) {
      case "ThisExpression": found = "this"; return;
      case "Super": found = "super"; return;
      case "MetaProperty": found = "new.target"; return;
      case "Identifier":
        if (node.name === "arguments") found = "arguments";
        else if (node.name === "eval") found = "eval";
        return;
      case "FunctionExpression":
      case "FunctionDeclaration":
      case "ClassDeclaration":
      case "ClassExpression":
        // Their own context. (Class bodies and functions still count for the text check.)
        if (node.type === "ClassDeclaration" || node.type === "ClassExpression") {
          scan(node.superClass);
          for (var el of node.body.body) if (el.computed) scan(el.key);
        }
        return;
    }
    for (var k in node) {
      if (k === "type" || k === "start" || k === "end") continue;
      var v = node[k];
      if (Array.isArray(v)) for (var x of v) scan(x);
      else if (v && typeof v === "object") scan(v);
    }
  }
  for (var p of fn.params) scan(p);
  scan(fn.body);
  return found;
}

function isWs(c) {
  return c === " " || c === "\t" || c === "\n" || c === "\r";
}
function prevNonWs(code, i) {
  for (var k = i - 1; k >= 0; k--) if (!isWs(code[k])) return code[k];
  return "";
}
function nextNonWsAt(code, i) {
  var k = i;
  while (k < code.length && isWs(code[k])) k++;
  return k;
}

/**
 * @param {string} code a (minified) bundle
 * @param {{ map?: object, reserved?: string[] }} [opts]
 *   map: the bundle's source map (JSON object); the result's map points the new text at
 *        the same original positions
 *   reserved: more names that must not become arrow parameters
 * @returns {{ code: string, map: object|undefined, stats: { expressions: number, declarations: number, bytesSaved: number, skipped: Object<string, number> } }}
 */
export function arrowFunctions(code, opts) {
  opts = opts || {};
  var stats = { expressions: 0, declarations: 0, bytesSaved: 0, skipped: {} };
  var ast = parse(code);
  if (!ast) return { code: code, map: opts.map, stats: stats };
  var reserved = new Set(ARROW_RESERVED_PARAMS.concat(opts.reserved || []));
  var sc = analyzeScopes(ast);

  var parents = new Map(); // node -> { parent, key }
  var fns = [];
  eachNode(ast, function (node, parent, key) {
    parents.set(node, { parent: parent, key: key });
    if (node.type === "FunctionExpression" || node.type === "FunctionDeclaration") fns.push(node);
  });

  var declById = new Map();
  for (var s of sc.scopes) for (var d of s.decls.values()) if (d.id) declById.set(d.id, d);
  var refsOf = new Map();
  for (var r of sc.refs) {
    if (!r.decl) continue;
    if (!refsOf.has(r.decl)) refsOf.set(r.decl, []);
    refsOf.get(r.decl).push(r);
  }

  // --- What can be constructed (new, instanceof, extends, .prototype) ---------------------
  var unknownCtor = false;
  var ctorDecls = new Set();
  var ctorFns = new Set();
  function markCtor(expr) {
    if (!expr) return;
    switch (expr.type) {
      case "Identifier":
        var ref = sc.refByNode.get(expr);
        if (ref && ref.decl) markDecl(ref.decl);
        return; // a global: a built-in, not one of the bundle's functions
      case "ConditionalExpression":
        markCtor(expr.consequent);
        markCtor(expr.alternate);
        return;
      case "LogicalExpression":
        markCtor(expr.left);
        markCtor(expr.right);
        return;
      case "SequenceExpression":
        markCtor(expr.expressions[expr.expressions.length - 1]);
        return;
      case "AssignmentExpression":
        if (expr.operator === "=") {
          markCtor(expr.right);
          if (expr.left.type === "Identifier") markCtor(expr.left);
          else unknownCtor = true;
        }
        return;
      case "ClassExpression":
      case "ArrowFunctionExpression":
        return;
      case "FunctionExpression":
        ctorFns.add(expr);
        return;
      default:
        unknownCtor = true;
    }
  }
  function markDecl(decl) {
    if (ctorDecls.has(decl)) return;
    ctorDecls.add(decl);
    switch (decl.kind) {
      case "class":
      case "cname":
      case "function":
        return;
      case "fname":
        ctorFns.add(decl.node);
        return;
      case "var":
      case "let":
      case "const":
        for (var site of decl.sites) {
          if (site.node.type !== "VariableDeclaration") {
            unknownCtor = true;
            continue;
          }
          for (var dc of site.node.declarations) {
            if (dc.id.type !== "Identifier") unknownCtor = true;
            else if (dc.id.name === decl.name && dc.init) markCtor(dc.init);
          }
        }
        for (var wr of refsOf.get(decl) || []) {
          if (!wr.isWrite) continue;
          var pw = parents.get(wr.node);
          if (pw && pw.parent.type === "AssignmentExpression" && pw.key === "left") markCtor(pw.parent.right);
          else unknownCtor = true;
        }
        return;
      default: // parameters, catch bindings: any function could arrive there
        unknownCtor = true;
    }
  }
  eachNode(ast, function (node) {
    if (node.type === "NewExpression") markCtor(node.callee);
    else if (node.type === "BinaryExpression" && node.operator === "instanceof") markCtor(node.right);
    else if ((node.type === "ClassDeclaration" || node.type === "ClassExpression") && node.superClass) markCtor(node.superClass);
    else if (node.type === "MemberExpression" && (node.computed ? node.property.type === "Literal" && node.property.value === "prototype" : node.property.name === "prototype")) markCtor(node.object);
    else if (node.type === "MemberExpression" && node.computed && !(node.property.type === "Literal")) {
      // o[k] may be o["prototype"]; only matters when o could be a function of the bundle.
      if (FN_TYPES[node.object.type]) markCtor(node.object);
    }
  });

  // --- Per function ----------------------------------------------------------------------
  var edits = [];
  function skip(why) {
    stats.skipped[why] = (stats.skipped[why] || 0) + 1;
  }
  function inForInit(node) {
    for (var n = node, up = parents.get(n); up && up.parent; n = up.parent, up = parents.get(n)) {
      var p = up.parent;
      if ((p.type === "ForStatement" && up.key === "init") || ((p.type === "ForInStatement" || p.type === "ForOfStatement") && up.key === "left")) return true;
    }
    return false;
  }
  function escapesOnlyAsCallee(decl) {
    for (var rf of refsOf.get(decl) || []) {
      if (rf.inTypeof) continue;
      var pr = parents.get(rf.node);
      if (!(pr && pr.parent.type === "CallExpression" && pr.key === "callee")) return false;
    }
    return true;
  }
  function isWriteRef(rf) {
    if (rf.isWrite) return true;
    var pr = parents.get(rf.node);
    return !!pr && ((pr.parent.type === "AssignmentExpression" && pr.key === "left") || pr.parent.type === "UpdateExpression");
  }
  // `{ function f(){} }` in the same function also assigns the function-level f (Annex B;
  // Espruino replaces the existing function's contents in place).
  function declaredInBlocks(decl) {
    return sc.scopes.some(function (bs) { return bs !== decl.scope && bs.fn === decl.scope && bs.decls.has(decl.name); });
  }
  function isIife(fn) {
    var up = parents.get(fn);
    if (up.parent.type === "CallExpression" && up.key === "callee") return true;
    if (up.parent.type === "MemberExpression" && up.key === "object" && !up.parent.computed &&
      (up.parent.property.name === "call" || up.parent.property.name === "apply")) {
      var up2 = parents.get(up.parent);
      return up2.parent.type === "CallExpression" && up2.key === "callee";
    }
    return false;
  }

  for (var fn of fns) {
    var up = parents.get(fn);
    var isDecl = fn.type === "FunctionDeclaration";
    if (fn.async) { skip("async"); continue; }
    if (fn.generator) { skip("generator"); continue; }
    if (!isDecl && ((up.parent.type === "Property" && (up.parent.method || up.parent.kind !== "init")) || up.parent.type === "MethodDefinition")) { skip("method"); continue; }
    var names = [];
    var simple = true;
    for (var p of fn.params) {
      if (p.type !== "Identifier" || names.indexOf(p.name) >= 0) simple = false;
      else names.push(p.name);
    }
    if (!simple) { skip("params"); continue; }
    if (names.some(function (n) { return reserved.has(n) || PIN_NAME.test(n); })) { skip("reserved-param"); continue; }
    var ctx = usesOwnContext(fn);
    if (ctx) { skip(ctx); continue; }
    if (/\bthis\b/.test(code.slice(fn.start, fn.end))) { skip("this"); continue; }

    var decl = null;
    if (isDecl) {
      var bodyOf = up.parent.type === "Program" || (up.parent.type === "BlockStatement" && (function () {
        var u2 = parents.get(up.parent);
        return u2 && u2.parent && FN_TYPES[u2.parent.type] && u2.key === "body";
      })());
      if (!bodyOf) { skip("block-declaration"); continue; }
      decl = declById.get(fn.id);
      if (!decl || decl.kind !== "function" || decl.sites.length !== 1 || declaredInBlocks(decl)) { skip("redeclared"); continue; }
      if ((refsOf.get(decl) || []).some(isWriteRef)) { skip("reassigned"); continue; }
      if (ctorDecls.has(decl)) { skip("constructor"); continue; }
      if (unknownCtor && !escapesOnlyAsCallee(decl)) { skip("constructor"); continue; }
    } else {
      if (ctorFns.has(fn) || (up.parent.type === "NewExpression" && up.key === "callee")) { skip("constructor"); continue; }
      if (unknownCtor && !isIife(fn)) { skip("constructor"); continue; }
      if (fn.id) {
        var own = declById.get(fn.id);
        if (!own || (refsOf.get(own) || []).length) { skip("self-reference"); continue; }
      }
    }

    var parens = !isDecl && !(SAFE_SLOTS[up.parent.type] && SAFE_SLOTS[up.parent.type][up.key]) &&
      !(prevNonWs(code, fn.start) === "(" && code[nextNonWsAt(code, fn.end)] === ")");
    var closeTail = isDecl ? (nextNonWsAt(code, fn.end) >= code.length || code[nextNonWsAt(code, fn.end)] === "}" ? "" : ";") : parens ? ")" : "";
    var body = fn.body.body;
    var ret = body.length === 1 && body[0].type === "ReturnStatement" && body[0].argument ? body[0] : null;
    if (ret && inForInit(fn)) ret = null;
    var headEnd = fn.body.start; // where the arrow's body text starts
    var tailStart = fn.end; // where the text after the body's end starts
    var wrap = false;
    if (ret) {
      var arg = ret.argument;
      headEnd = nextNonWsAt(code, ret.start + "return".length);
      tailStart = ret.end;
      if (code[tailStart - 1] === ";") tailStart--;
      while (tailStart > headEnd && isWs(code[tailStart - 1])) tailStart--;
      // `return(a,b)`: the parentheses are in the text already.
      wrap = !(headEnd < arg.start) && (arg.type === "SequenceExpression" || code[arg.start] === "{");
    }
    // Edits only between the tokens that stay: the declared name and each parameter keep
    // their text, and so their exact source-map positions.
    var before = edits.length;
    var multi = names.length !== 1;
    var first = fn.params.length ? fn.params[0] : null;
    var arrowText = "=>" + (wrap ? "(" : "");
    var open = parens ? "(" : "";
    if (isDecl) {
      edits.push({ start: fn.start, end: fn.id.start, text: "var " });
      edits.push({ start: fn.id.end, end: first ? first.start : headEnd, text: "=" + (first ? (multi ? "(" : "") : "()" + arrowText) });
    } else {
      edits.push({ start: fn.start, end: first ? first.start : headEnd, text: open + (first ? (multi ? "(" : "") : "()" + arrowText) });
    }
    if (first) edits.push({ start: fn.params[fn.params.length - 1].end, end: headEnd, text: (multi ? ")" : "") + arrowText });
    var tail = (wrap ? ")" : "") + closeTail;
    if (tailStart < fn.end || tail) edits.push({ start: tailStart, end: fn.end, text: tail });
    for (var ei = before; ei < edits.length; ei++) stats.bytesSaved += edits[ei].end - edits[ei].start - edits[ei].text.length;
    if (isDecl) stats.declarations++;
    else stats.expressions++;
  }

  var r = applyEdits(code, edits, opts.map, "arrows");
  return { code: r.code, map: r.map, stats: stats };
}
