// The Espruino compatibility gate: parses a final device bundle and rejects everything
// the Espruino 2v29 interpreter cannot run (or runs differently). Each rule names the
// construct and its line:column (1-based). docs/boards.md lists the rules and how each
// was confirmed on the real interpreter.
//
//   checkBundle(code, { file, board, sourceMap }) -> { ok, problems, warnings, stats }
//   runStartupInSandbox(code, board, opts)         -> Promise<{ ok, problems, warnings, output, ... }>
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import { SourceMap } from "node:module";
import { analyzeScopes, evalRootOf } from "./scope.mjs";
import { regexpProblems } from "./regexp.mjs";
import {
  MISSING_GLOBALS, MISSING_STATICS, BUILTIN_CONSTRUCTORS, PROTOTYPE_MEMBERS_OK, MISSING_METHODS,
  ESPRUINO_RESERVED, ESPRUINO_ONLY_RESERVED, BOARD_GLOBALS,
} from "./espruino-facts.mjs";

export { runStartupInSandbox } from "./sandbox.mjs";

var MISSING_GLOBAL_SET = new Set(MISSING_GLOBALS);
var BUILTIN_SET = new Set(BUILTIN_CONSTRUCTORS);
var RESERVED_SET = new Set(ESPRUINO_RESERVED);
var MISSING_METHOD_SET = new Set(MISSING_METHODS);
var HOISTED_KINDS = { function: 1, var: 1, let: 1, const: 1, class: 1 };
var FN_TYPES = { FunctionDeclaration: 1, FunctionExpression: 1, ArrowFunctionExpression: 1 };

/** Parses like the gate does: a script, or a module when the code still has import/export. */
export function parseBundle(code) {
  var opts = { ecmaVersion: "latest", sourceType: "script", locations: true };
  try {
    return { ast: acorn.parse(code, opts), module: false };
  } catch (e) {
    try {
      return { ast: acorn.parse(code, Object.assign({}, opts, { sourceType: "module" })), module: true };
    } catch (e2) {
      return { error: e };
    }
  }
}

function keyName(key) {
  if (!key) return null;
  if (key.type === "Identifier") return key.name;
  if (key.type === "Literal") return String(key.value);
  return null;
}

function propName(member) {
  if (!member.computed && member.property.type === "Identifier") return member.property.name;
  if (member.computed && member.property.type === "Literal" && typeof member.property.value === "string") return member.property.value;
  return null;
}

/** Offsets of `\u{` escapes in the raw text of a string or template (Espruino: "Invalid escape sequence"). */
function codePointEscapes(raw) {
  var out = [];
  for (var i = 0; i < raw.length; i++) {
    if (raw[i] === "\\") {
      if (raw[i + 1] === "u" && raw[i + 2] === "{") out.push(i);
      i++;
    }
  }
  return out;
}

function lineColAt(code, index) {
  var line = 1;
  var col = 0;
  for (var i = 0; i < index; i++) {
    if (code.charCodeAt(i) === 10) {
      line++;
      col = 0;
    } else col++;
  }
  return { line: line, column: col + 1 };
}

/**
 * @param {string} code the bundle
 * @param {{ file?: string, board?: object, sourceMap?: object|string }} [opts]
 *   board: a profile from boards/<name>.json (enables the board-global and require-module rules)
 *   sourceMap: esbuild's source map of `code`; problems then also carry `source` positions
 */
export function checkBundle(code, opts) {
  opts = opts || {};
  var file = opts.file || "bundle.js";
  var board = opts.board || null;
  var problems = [];
  var warnings = [];
  var stats = { functions: 0, params: 0, estVars: 0, residentFunctions: 0, residentParams: 0, estResidentVars: 0 };

  function report(list, construct, node, message, offset) {
    var loc;
    if (offset !== undefined) loc = lineColAt(code, offset);
    else loc = { line: node.loc.start.line, column: node.loc.start.column + 1 };
    list.push({ construct: construct, message: message, line: loc.line, column: loc.column, file: file, start: offset !== undefined ? offset : node.start });
  }
  function P(construct, node, message, offset) { report(problems, construct, node, message, offset); }
  function W(construct, node, message, offset) { report(warnings, construct, node, message, offset); }

  var parsed = parseBundle(code);
  if (parsed.error) {
    var e = parsed.error;
    var pos = e.loc ? { line: e.loc.line, column: e.loc.column + 1 } : { line: 1, column: 1 };
    problems.push({ construct: "parse-error", message: "not valid JavaScript: " + e.message, line: pos.line, column: pos.column, file: file, start: e.pos || 0 });
    return finish();
  }
  var ast = parsed.ast;
  var sc = analyzeScopes(ast);
  var definedProps = new Set();
  var methodCalls = [];
  var boardGlobals = board ? new Set(board.globals || []) : null;
  var boardModules = board ? new Set(board.modules || []) : null;

  function isGlobalRef(id) {
    if (!id || id.type !== "Identifier") return false;
    var r = sc.refByNode.get(id);
    return !!r && !r.decl;
  }
  function isAssignTarget(node, ancestors) {
    var parent = ancestors[ancestors.length - 2];
    return !!parent && ((parent.type === "AssignmentExpression" && parent.left === node) || (parent.type === "UpdateExpression"));
  }
  // `typeof X.y`, `!X.y`, `if (X.y)`, `X.y ? a : b`: a feature test, harmless when X.y is undefined.
  function isFeatureTest(node, ancestors) {
    var parent = ancestors[ancestors.length - 2];
    if (!parent) return false;
    if (parent.type === "UnaryExpression" && (parent.operator === "typeof" || parent.operator === "!")) return true;
    return (parent.type === "IfStatement" || parent.type === "ConditionalExpression") && parent.test === node;
  }

  walk.fullAncestor(ast, function (node, _st, ancestors) {
    var parent = ancestors[ancestors.length - 2];
    switch (node.type) {
      case "Literal":
        if (node.bigint !== undefined) P("bigint", node, "BigInt literal " + node.raw + ": Espruino has no BigInt (2v29 reads `10n` as 10 followed by an unknown variable n)");
        if (node.regex) checkRegexp(node, node.regex.pattern, node.regex.flags);
        if (typeof node.value === "string") {
          for (var off of codePointEscapes(node.raw)) P("unicode-escape", node, "\\u{...} escape in a string: Espruino 2v29 throws 'Invalid escape sequence'; use a \\uXXXX pair", node.start + off);
        }
        break;
      case "TemplateElement":
        for (var off2 of codePointEscapes(node.value.raw)) P("unicode-escape", node, "\\u{...} escape in a template literal: Espruino 2v29 throws 'Invalid escape sequence'", node.start + off2);
        break;
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        stats.functions++;
        stats.params += node.params.length;
        if (isResident(ancestors)) {
          stats.residentFunctions++;
          stats.residentParams += node.params.length;
        }
        if (node.async) P("async", node, "async function: Espruino has no async/await (2v29: ReferenceError \"async\" is not defined); use promises with .then()");
        if (node.generator) P("generator", node, "generator function*: Espruino has no generators (SyntaxError)");
        break;
      case "AwaitExpression":
        P("await", node, "await: Espruino has no async/await; use .then()");
        break;
      case "ForOfStatement":
        if (node.await) P("await", node, "for await: Espruino has no async iteration");
        break;
      case "YieldExpression":
        P("generator", node, "yield: Espruino has no generators");
        break;
      case "ChainExpression":
        P("optional-chaining", node, "optional chaining ?. : Espruino 2v29 SyntaxError; write `a && a.b` or an explicit null check");
        break;
      case "LogicalExpression":
        if (node.operator === "??") P("nullish-coalescing", node, "nullish coalescing ?? : listed as missing in the Espruino profile (2v29 does parse it, older firmware does not); write `x != null ? x : y`");
        break;
      case "BinaryExpression":
        if (node.operator === "**") P("exponent", node, "exponent operator ** : Espruino 2v29 SyntaxError; use Math.pow");
        if (node.left.type === "PrivateIdentifier") P("private-name", node, "#private in obj: Espruino has no private class members");
        break;
      case "AssignmentExpression":
        if (node.operator === "**=") P("exponent", node, "exponent assignment **= : Espruino 2v29 SyntaxError; use Math.pow");
        else if (node.operator === "||=" || node.operator === "&&=" || node.operator === "??=") P("logical-assignment", node, "logical assignment " + node.operator + " : Espruino 2v29 SyntaxError; write `if (!a) a = b`");
        if (node.left.type === "MemberExpression") {
          var an = propName(node.left);
          if (an) definedProps.add(an);
        }
        break;
      case "SpreadElement":
        P("spread", node, "spread ... : Espruino 2v29 SyntaxError; use fn.apply(null, arr), concat() or Object.assign()");
        break;
      case "RestElement":
        P("rest", node, "rest element ... : Espruino 2v29 SyntaxError; use `arguments` or pass an array");
        break;
      case "ObjectPattern":
      case "ArrayPattern":
        if (!parent || (parent.type !== "ObjectPattern" && parent.type !== "ArrayPattern" && parent.type !== "Property" && parent.type !== "AssignmentPattern" && parent.type !== "RestElement"))
          P("destructuring", node, "destructuring (" + (node.type === "ObjectPattern" ? "{...}" : "[...]") + " pattern): not supported by Espruino 2v29 (ReferenceError or SyntaxError); read the fields one by one");
        break;
      case "AssignmentPattern":
        if (parent && FN_TYPES[parent.type]) P("default-parameter", node, "default parameter value: Espruino 2v29 SyntaxError; write `if (b === undefined) b = ...` in the body");
        break;
      case "Property":
        if (parent && parent.type === "ObjectExpression") {
          if (node.computed) P("computed-key", node, "computed property key {[k]: v}: Espruino 2v29 SyntaxError; assign o[k] = v after creating the object");
          var pn = keyName(node.key);
          if (pn !== null) definedProps.add(pn);
          if ((node.kind === "get" || node.kind === "set") && !node.computed) {
            if (node.key.type !== "Identifier") P("accessor-name", node, node.kind + "ter with a quoted or numeric name: Espruino 2v29 SyntaxError; use a plain identifier");
            else if (RESERVED_SET.has(node.key.name)) P("accessor-name", node, node.kind + "ter named `" + node.key.name + "` (a keyword in Espruino): SyntaxError; rename it");
          }
        }
        break;
      case "MethodDefinition":
        var mn = keyName(node.key);
        if (mn !== null) definedProps.add(mn);
        if (node.computed) P("computed-key", node, "computed class member name [k](){}: Espruino 2v29 SyntaxError");
        else if (node.key.type === "PrivateIdentifier") P("private-name", node, "private method #" + node.key.name + ": Espruino 2v29 SyntaxError");
        else if (node.key.type !== "Identifier") P("class-member-name", node, "class member with a quoted or numeric name: Espruino 2v29 SyntaxError; use a plain identifier");
        else if (RESERVED_SET.has(node.key.name) && node.kind !== "constructor") P("class-member-name", node, "class member named `" + node.key.name + "` (a keyword in Espruino, e.g. static, of, default, delete): SyntaxError; rename it");
        break;
      case "PropertyDefinition":
        var fname = keyName(node.key);
        if (fname !== null) definedProps.add(fname);
        if (node.key.type === "PrivateIdentifier") P("private-name", node, "private field #" + node.key.name + ": Espruino 2v29 SyntaxError");
        else P("class-field", node, (node.static ? "static " : "") + "class field `" + (fname || "[computed]") + "`: Espruino 2v29 evaluates field initialisers once and shares them between instances (`this` is not the instance; a field without initialiser is a SyntaxError); assign in the constructor");
        break;
      case "MemberExpression":
        if (node.property.type === "PrivateIdentifier") P("private-name", node, "private member access #" + node.property.name + ": Espruino has no private class members");
        checkMember(node, ancestors);
        break;
      case "StaticBlock":
        P("static-block", node, "class static block: Espruino 2v29 SyntaxError");
        break;
      case "ClassDeclaration":
      case "ClassExpression":
        if (node.superClass) checkSuper(node);
        break;
      case "LabeledStatement":
        P("label", node, "label `" + node.label.name + ":`: Espruino 2v29 has no labels (ReferenceError); use a flag or a function with return");
        break;
      case "TaggedTemplateExpression":
        P("tagged-template", node, "tagged template: Espruino 2v29 SyntaxError 'Tagged template literals not supported'");
        break;
      case "MetaProperty":
        if (node.meta.name === "new") P("new-target", node, "new.target: Espruino 2v29 SyntaxError");
        else P("module-syntax", node, "import.meta: the device bundle is a plain script");
        break;
      case "DebuggerStatement":
        P("debugger", node, "debugger statement: stops Espruino in its debugger");
        break;
      case "WithStatement":
        P("with", node, "with statement: Espruino 2v29 ReferenceError \"with\" is not defined");
        break;
      case "ImportDeclaration":
      case "ImportExpression":
        P("module-syntax", node, "import left in the bundle: Espruino runs plain scripts (ReferenceError \"import\" is not defined); bundle everything with esbuild");
        break;
      case "ExportNamedDeclaration":
      case "ExportDefaultDeclaration":
      case "ExportAllDeclaration":
        P("module-syntax", node, "export left in the bundle: Espruino runs plain scripts (ReferenceError \"export\" is not defined); the firmware entry must not export");
        break;
      case "CallExpression":
      case "NewExpression":
        checkCall(node, ancestors);
        break;
    }
  });

  // A function is resident when no other function encloses it (immediately invoked
  // functions do not count): it exists for as long as the program runs. Nested
  // functions exist only while their outer function's call (or closure) lives.
  function isResident(ancestors) {
    for (var i = ancestors.length - 2; i >= 0; i--) {
      var a = ancestors[i];
      if (!FN_TYPES[a.type]) continue;
      var up = ancestors[i - 1];
      var iife = up && ((up.type === "CallExpression" && up.callee === a) ||
        (up.type === "MemberExpression" && up.object === a && ancestors[i - 2] && ancestors[i - 2].type === "CallExpression" && ancestors[i - 2].callee === up));
      if (!iife) return false;
    }
    return true;
  }

  function checkRegexp(node, pattern, flags) {
    for (var rp of regexpProblems(pattern, flags)) {
      P("regexp", node, "regular expression " + (node.regex ? node.raw : "RegExp(" + JSON.stringify(pattern) + ")") + ": " + rp.what +
        (rp.index >= 0 ? " at pattern offset " + rp.index : "") + " is not supported by Espruino's regexp engine");
    }
  }

  function checkMember(node, ancestors) {
    var obj = node.object;
    var name = propName(node);
    if (name === null) return;
    // Builtin.staticMember
    if (obj.type === "Identifier" && isGlobalRef(obj) && MISSING_STATICS[obj.name] && MISSING_STATICS[obj.name].indexOf(name) >= 0) {
      if (!isAssignTarget(node, ancestors) && !isFeatureTest(node, ancestors))
        P("missing-static", node, obj.name + "." + name + " does not exist in Espruino 2v29");
      return;
    }
    // Builtin.prototype.method used as a value
    if (obj.type === "MemberExpression" && propName(obj) === "prototype" && obj.object.type === "Identifier" &&
      isGlobalRef(obj.object) && BUILTIN_SET.has(obj.object.name) && PROTOTYPE_MEMBERS_OK.indexOf(name) < 0) {
      if (!isAssignTarget(node, ancestors))
        P("prototype-method", node, obj.object.name + ".prototype." + name + " is undefined in Espruino 2v29 (built-in methods are only reachable through an instance): call it on the instance instead");
    }
  }

  function checkSuper(node) {
    var s = node.superClass;
    if (s.type !== "Identifier") {
      W("extends", s, "superclass is an expression the gate cannot verify; Espruino can only extend classes defined with `class`");
      return;
    }
    var r = sc.refByNode.get(s);
    var d = r && r.decl;
    if (!d) {
      if (BUILTIN_SET.has(s.name) || MISSING_GLOBAL_SET.has(s.name) || s.name === "RangeError")
        P("extends-builtin", node, "class extends " + s.name + ": Espruino 2v29 fails at super() (\"Calling 'super' outside of class\"); use a plain object or perr()");
      else W("extends", s, "superclass `" + s.name + "` is not defined in the bundle; Espruino can only extend classes defined with `class`");
      return;
    }
    if (d.kind === "class") return;
    if (d.kind === "function") {
      P("extends-function", node, "class extends `" + s.name + "`, a plain function: Espruino 2v29 fails at super() (\"Function not found!\"); make it a class");
      return;
    }
    if ((d.kind === "var" || d.kind === "let" || d.kind === "const") && d.node.type === "VariableDeclaration") {
      for (var decl of d.node.declarations) {
        if (decl.id === d.id && decl.init && decl.init.type === "ClassExpression") return;
      }
    }
    W("extends", s, "superclass `" + s.name + "` may not be a class; Espruino can only extend classes defined with `class`");
  }

  function checkCall(node, ancestors) {
    var callee = node.callee;
    if (node.type === "CallExpression" && callee.type === "Identifier" && callee.name === "require" && isGlobalRef(callee)) {
      var arg = node.arguments[0];
      if (node.arguments.length !== 1 || !arg || arg.type !== "Literal" || typeof arg.value !== "string")
        W("require", node, "require() without a string literal: the gate cannot check that the module exists on the board");
      else if (boardModules && !boardModules.has(arg.value))
        P("require-module", node, "require(\"" + arg.value + "\"): board " + board.name + " has no built-in module \"" + arg.value + "\" (boards/" + board.name + ".json lists " + Array.from(boardModules).join(", ") + ")");
    }
    if (callee.type === "Identifier" && callee.name === "RegExp" && isGlobalRef(callee) && node.arguments.length > 0) {
      var a0 = node.arguments[0];
      var a1 = node.arguments[1];
      if (a0.type === "Literal" && typeof a0.value === "string") {
        var fl = a1 && a1.type === "Literal" && typeof a1.value === "string" ? a1.value : "";
        checkRegexp(node, a0.value, fl);
      }
    }
    if (node.type === "CallExpression" && callee.type === "MemberExpression") {
      var m = propName(callee);
      if (m && MISSING_METHOD_SET.has(m)) methodCalls.push({ node: callee, name: m, ancestors: ancestors });
    }
  }

  // Where a declaration site starts to declare `name`: the declarator itself in a `var`
  // statement of several (`var a=b(),b=1` reads b before it exists in Espruino, which
  // creates each variable when its declarator runs; build/joinvars.mjs makes such statements).
  function declaredAt(node, name) {
    if (node.type === "VariableDeclaration") {
      for (var dc of node.declarations) if (dc.id.type === "Identifier" && dc.id.name === name) return dc.start;
    }
    return node.start;
  }

  // Rules that need scope resolution.
  var seenLoopVar = new Set();
  for (var r of sc.refs) {
    var d = r.decl;
    if (!d) {
      if (!r.inTypeof && MISSING_GLOBAL_SET.has(r.name))
        P("missing-global", r.node, "`" + r.name + "` does not exist in Espruino 2v29");
      else if (!r.inTypeof && boardGlobals && BOARD_GLOBALS.indexOf(r.name) >= 0 && !boardGlobals.has(r.name))
        P("board-global", r.node, "`" + r.name + "` does not exist on board " + board.name + " (boards/" + board.name + ".json, \"globals\"); guard it with a PK_ constant so esbuild removes it");
      if (r.name === "of" || r.name === "static" || r.name === "let")
        P("reserved-identifier", r.node, "identifier `" + r.name + "` is a keyword in Espruino (SyntaxError)");
      continue;
    }
    if (r.name === "arguments" && r.fn.arrow)
      P("arguments-in-arrow", r.node, "`arguments` inside an arrow function: Espruino gives the arrow its own (empty) arguments; use a function expression");
    if (d.kind === "cname" && d.selfRefBroken)
      P("class-expression-name", r.node, "`" + r.name + "` refers to the name of its class expression from inside the class body: Espruino 2v29 does not bind that name (ReferenceError); use `var " + r.name + " = class " + r.name + " {...}` or a class declaration");
    if (HOISTED_KINDS[d.kind] && !r.inTypeof && !(r.isWrite && d.kind === "var") &&
      evalRootOf(r.fn) === evalRootOf(d.scope.fn)) {
      var first = Infinity;
      for (var site of d.sites) first = Math.min(first, declaredAt(site.node, d.name));
      // An assignment that runs earlier creates the variable (esbuild's ESM bundling turns
      // `{ var x = f(); use(x) }` into `{ x = f(); use(x) } var x;`, which 2v29 runs).
      if (r.node.start < first && !(d.kind === "var" && sc.refs.some(function (w) {
        return w.decl === d && w.isWrite && w.node.start < r.node.start && evalRootOf(w.fn) === evalRootOf(r.fn);
      }))) {
        var dl = lineColAt(code, first);
        P("use-before-declaration", r.node, (d.kind === "function" ? "function `" + r.name + "` is used before its declaration at " + dl.line + ":" + dl.column + "; Espruino does not hoist function declarations (ReferenceError): declare it above its first use"
          : d.kind + " `" + r.name + "` is read before its declaration at " + dl.line + ":" + dl.column + "; Espruino creates variables only when the declaration runs (ReferenceError)"));
      }
    }
    if (d.kind === "var" && !r.inTypeof && !r.isWrite && d.sites.every(function (s) { return s.cond; })) {
      var inside = d.sites.some(function (s) { return r.node.start >= s.cond.start && r.node.end <= s.cond.end; });
      if (!inside) W("conditional-var", r.node, "var `" + r.name + "` is declared only inside a conditional block or loop and read outside it: if that block did not run, Espruino 2v29 throws ReferenceError; declare it before the block");
    }
  }

  for (var loop of sc.loops) {
    for (var ld of loop.scope.decls.values()) {
      for (var lr of sc.refs) {
        if (lr.decl !== ld) continue;
        if (evalRootOf(lr.fn) === evalRootOf(loop.scope.fn)) continue;
        var key = loop.node.start + ":" + ld.name;
        if (seenLoopVar.has(key)) continue;
        seenLoopVar.add(key);
        var ll = loop.node.loc.start;
        P("for-let-closure", lr.node, "a closure captures `" + ld.name + "` of the loop at " + ll.line + ":" + (ll.column + 1) + ": in Espruino a let/const loop variable is NOT per-iteration (every closure sees the last value); copy it into a `const` inside the loop body or pass it to a function");
      }
    }
  }

  for (var s of sc.scopes) {
    for (var dd of s.decls.values()) {
      if (!dd.id) continue;
      if (ESPRUINO_ONLY_RESERVED.indexOf(dd.name) >= 0)
        P("reserved-identifier", dd.id, "`" + dd.name + "` is a keyword in Espruino and cannot name a variable, parameter or function (SyntaxError)");
      if (s === sc.program && /^__[A-Za-z]/.test(dd.name))
        P("esbuild-helper", dd.id, "`" + dd.name + "` is an esbuild helper (" + helperCause(dd.name) + "): the code it supports costs variables and may need features Espruino lacks; change the source so esbuild needs no helper");
    }
  }

  for (var mc of methodCalls) {
    if (definedProps.has(mc.name)) continue;
    P("missing-method", mc.node, "." + mc.name + "() exists on no built-in object in Espruino 2v29 (and the bundle defines no method of that name)");
  }

  return finish();

  function finish() {
    stats.estVars = stats.functions * 4 + stats.params;
    stats.estResidentVars = stats.residentFunctions * 4 + stats.residentParams;
    if (opts.sourceMap) {
      var sm;
      try {
        sm = new SourceMap(typeof opts.sourceMap === "string" ? JSON.parse(opts.sourceMap) : opts.sourceMap);
      } catch (err) {
        sm = null;
      }
      if (sm) for (var p of problems.concat(warnings)) {
        var ent = sm.findEntry(p.line - 1, p.column - 1);
        if (ent && ent.originalSource) p.source = { file: ent.originalSource, line: ent.originalLine + 1, column: ent.originalColumn + 1 };
      }
    }
    problems.sort(byPos);
    warnings.sort(byPos);
    return { ok: problems.length === 0, problems: problems, warnings: warnings, stats: stats };
  }
}

var HELPER_CAUSES = [
  [/^__(export|defProp|getOwnPropNames|getOwnPropDesc|hasOwnProp|copyProps|reExport)$/, "a namespace import (`import * as ns`) used as a value, or an export * re-export"],
  [/^__(commonJS|toESM|toCommonJS|require|esm|create|getProtoOf|init)$/, "a CommonJS module or a lazily initialised module"],
  [/^__(publicField|defNormalProp)$/, "class fields with define semantics"],
  [/^__(spreadValues|spreadProps|objRest|rest|getOwnPropSymbols|propIsEnum)$/, "object spread or rest"],
  [/^__(async|await|asyncGenerator|yieldStar|forAwait|asyncIterator)$/, "async functions or generators"],
  [/^__(decorateClass|decorateParam|decoratorStart|decorateElement|runInitializers|decoratorMetadata)$/, "decorators"],
  [/^__(private\w*|accessCheck)$/, "private class members"],
  [/^__name$/, "keepNames"],
  [/^__(using|callDispose)$/, "using declarations"],
  [/^__(template|pow|super\w*|knownSymbol)$/, "a lowered template, exponent or super access"],
];
function helperCause(name) {
  for (var hc of HELPER_CAUSES) if (hc[0].test(name)) return hc[1];
  return "a construct esbuild had to lower";
}

function byPos(a, b) {
  return a.start - b.start;
}

/** One line per problem: `file:line:col: construct: message (source file:line:col)`. */
export function formatProblem(p) {
  var s = p.file + ":" + p.line + ":" + p.column + ": " + p.construct + ": " + p.message;
  if (p.source) s += " [" + p.source.file + ":" + p.source.line + ":" + p.source.column + "]";
  return s;
}
