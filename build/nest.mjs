// Moves a top-level function of a minified device bundle into the one top-level function
// that uses it, so that it exists only while that function's call (or a closure of it)
// lives instead of for as long as the program runs:
//
//   var h=e=>e+1;var f=(e,r)=>{return h(e)*r};main(f)
//     -> var f=(e,r)=>{var h=e=>e+1;return h(e)*r};main(f)
//   var h=e=>e+1,k=1;var f=e=>h(e)*k
//     -> var k=1;var f=e=>{var h=e=>e+1;return h(e)*k}
//   function h(){return this.x}var f=function(){return h.call(o)}   (a declaration stays one)
//     -> var f=function(){function h(){return this.x}return h.call(o)}
//
// Every function that exists costs Espruino 4 variables plus 1 per parameter
// (docs/device-memory.md); a top-level one costs them all the time ("resident", the gate's
// statistics). Nested, it costs them only while its user runs (one more while it exists:
// the link to its scope; 2v29 Linux, from Storage: a two-parameter arrow is 7 variables at
// top level, 8 inside a function), at the price of being created again on every call of
// its user: the interpreter lexes over its whole text and makes a function object, about
// 450 x86 instructions per character of the moved text per call from Storage (about 300
// from RAM; callgrind), the same order as interpreting that text.
//
// Off by default in the build (buildBoard option `nest`): on the firmware as it is, no
// function passes the rules below, and the moves the looser rules made (helpers into the
// EDHOC step driver) lowered the idle variables by 44 but kept a refused pairing's
// connection alive (docs/boards.md, "Nesting").
//
// What moves (g into F): g is a top-level `function g(){}` or a declarator
// `var g=<function or arrow>` directly in the program; its binding is declared once and
// never assigned; every reference to g (other than g's own recursive ones) is inside the
// body of one other such top-level function F (a declaration or a var/let/const-bound
// function or arrow: not a class, not a method, not an IIFE), and is a call `g(...)`,
// `g.call(...)` or `g.apply(...)`. g goes to the start of F's body (an expression-bodied
// arrow F gets a block and a `return`). The pass runs to a fixed point: a helper of a
// helper moves into the helper first (a function that another move targets does not move
// in the same round), and along with it in the next round.
//
// What does not (the reason is counted in stats.skipped):
//   - uses: g used at top level, in a class, an object literal's method or an IIFE
//     (top-level-use), by two functions (multi-use), in F's parameters (param-use), or as
//     a value (value-use: each call of F would make a new g, and a kept one could be
//     compared with the next; a g stored in an object lives on anyway); never used
//     (unused); assigned (reassigned); declared twice (redeclared);
//   - capture: a name g reads from outside (a top-level name or a global, `arguments` for
//     an arrow) is declared anywhere in F's own function (parameters, var/let/const/class/
//     function declarations in any of its blocks, catch parameters, F's own name for a
//     named function expression, F's `arguments`); or g's name is (name-taken);
//   - this: g is an arrow whose text contains `this` (an arrow's `this` is the enclosing
//     one, and Espruino stores it when the text contains the word), or g uses `arguments`,
//     `super` or `new.target` through its arrows; or F is an arrow and g's text brings the
//     word `this` into F's (Espruino would then store a `this` for F);
//   - eval anywhere in g or F; classes (never moved, never targets); let/const bindings of
//     g; async functions and generators; F with a directive prologue or a comment where
//     its expression body starts;
//   - closures: g makes a function that may outlive its call (anything but a function
//     only called, directly, through a local name or by a synchronous array method such
//     as forEach): it would keep F's call alive (closure); F does (closure-target): F's
//     call, and a copy of g with it, would live as long as that function, and the move
//     makes F's scope a cycle that only the garbage collector frees (below);
//   - cost (every call of F makes g again): F is referenced from inside a loop anywhere in
//     the bundle (loop bodies, tests and updates, callbacks of forEach/map/filter/... and
//     setInterval, across function boundaries: loop-caller); F is used as a value
//     (escaping-target: a provider's method or a callback can be called from anywhere, as
//     often as anything, such as per record); or F is referenced from more than
//     `maxCallers` places (many-callers; DEFAULT_MAX_CALLERS).
//
// Espruino specifics: functions are not hoisted, so g sits at the very start of F's body,
// before anything in F can call it; creating a function has no side effects, so creating
// g later (when F runs) than where it was written is unobservable, except that g now also
// exists where the original program would have failed (F called before g's top-level
// definition ran). A removed statement whose predecessor does not end in `;` (ASI) leaves
// a `;` behind, so the statements around it cannot join.
//
// Text is edited by ranges (the moved text is copied byte for byte) and the source map is
// moved with it: each position of kept or moved text maps to the same source position.
//
//   nestFunctions(code, { map, maxCallers }) -> { code, map, stats }
import * as acorn from "acorn";
import { analyzeScopes } from "./scope.mjs";

/**
 * A target referenced from more places than this keeps no nested helpers: each call makes
 * them again. Measured on the firmware without the closure rules: the EDHOC step driver
 * (5 call sites, one per message step, 5 calls per handshake) with its 10 helpers (2,068
 * characters) cost about 0.35 % of a handshake's interpreted instructions; every other
 * target had 1 or 2 call sites. 8 admits a function called once per step of a protocol,
 * not a utility called from all over the code (docs/boards.md, "Nesting").
 */
export var DEFAULT_MAX_CALLERS = 8;

var FN_TYPES = { FunctionDeclaration: 1, FunctionExpression: 1, ArrowFunctionExpression: 1 };
var LOOP_KEYS = {
  ForStatement: { body: 1, test: 1, update: 1 },
  ForInStatement: { body: 1 },
  ForOfStatement: { body: 1 },
  WhileStatement: { body: 1, test: 1 },
  DoWhileStatement: { body: 1, test: 1 },
};
// Methods that call their function argument before they return, and keep no reference.
var SYNC_CALLBACK = { forEach: 1, map: 1, filter: 1, some: 1, every: 1, reduce: 1, reduceRight: 1, find: 1, findIndex: 1, sort: 1 };
// Calls whose function argument runs repeatedly.
var REPEATING = { forEach: 1, map: 1, filter: 1, some: 1, every: 1, reduce: 1, reduceRight: 1, find: 1, findIndex: 1, sort: 1, setInterval: 1 };

function parse(code) {
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
    for (var k in node) {
      if (k === "type" || k === "start" || k === "end" || k === "loc" || k === "range") continue;
      var v = node[k];
      if (Array.isArray(v)) {
        for (var i = v.length - 1; i >= 0; i--) if (v[i] && typeof v[i].type === "string") stack.push([v[i], node, k]);
      } else if (v && typeof v === "object" && typeof v.type === "string") stack.push([v, node, k]);
    }
  }
}

/** Does an arrow's own code (through nested arrows, not other functions) use this/arguments/super/new.target? */
function arrowContext(fn) {
  var found = null;
  function scan(node) {
    if (found || !node || typeof node.type !== "string") return;
    switch (node.type) {
      case "ThisExpression": found = "this"; return;
      case "Super": found = "super"; return;
      case "MetaProperty": found = "new.target"; return;
      case "Identifier":
        if (node.name === "arguments") found = "arguments";
        return;
      case "FunctionExpression":
      case "FunctionDeclaration":
        return;
      case "ClassDeclaration":
      case "ClassExpression":
        scan(node.superClass);
        for (var el of node.body.body) if (el.computed) scan(el.key);
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

/**
 * @param {string} code a (minified) bundle
 * @param {{ map?: object, maxCallers?: number, explain?: boolean }} [opts]
 *   map: the bundle's source map (JSON object); the result's map points the new text at
 *        the same original positions
 *   maxCallers: targets referenced from more places keep no nested helpers (default
 *        DEFAULT_MAX_CALLERS)
 * @returns {{ code: string, map: object|undefined, stats: { moved: number, rounds: number,
 *   bytesDelta: number, moves: string[], skipped: Object<string, number> } }}
 *   moves: "g>F" per move (minified names, in order); skipped: why the top-level functions
 *   that stayed did not move (counted once, on the final state)
 */
export function nestFunctions(code, opts) {
  opts = opts || {};
  var maxCallers = typeof opts.maxCallers === "number" ? opts.maxCallers : DEFAULT_MAX_CALLERS;
  var stats = { moved: 0, rounds: 0, bytesDelta: 0, moves: [], skipped: {} };
  var map = opts.map;
  var start = code.length;
  for (var round = 0; ; round++) {
    var ast = parse(code);
    if (!ast) {
      if (round === 0) return { code: code, map: map, stats: stats };
      throw new Error("nest: round " + round + " produced code that does not parse");
    }
    var plan = planMoves(code, ast, maxCallers, opts.explain ? {} : null);
    if (!plan.moves.length) {
      stats.skipped = plan.skipped;
      if (opts.explain) stats.why = plan.explain;
      break;
    }
    var res = applyMoves(code, ast, plan.moves);
    if (map) map = remapPieces(map, code, res.code, res.slices);
    code = res.code;
    stats.rounds++;
    stats.moved += plan.moves.length;
    for (var mv of plan.moves) stats.moves.push(mv.g.name + ">" + mv.F.name);
  }
  stats.bytesDelta = code.length - start;
  return { code: code, map: map, stats: stats };
}

// --- Which functions move where ------------------------------------------------------------

function planMoves(code, ast, maxCallers, explain) {
  var sc = analyzeScopes(ast);
  var skipped = {};
  function skip(why) {
    skipped[why] = (skipped[why] || 0) + 1;
  }
  var parents = new Map();
  eachNode(ast, function (node, parent, key) {
    parents.set(node, { parent: parent, key: key });
  });

  // Top-level functions, in program order.
  var units = [];
  for (var st of ast.body) {
    if (st.type === "FunctionDeclaration" && st.id) units.push({ name: st.id.name, kind: "decl", stmt: st, fn: st });
    else if (st.type === "VariableDeclaration") {
      for (var dc of st.declarations) {
        if (dc.id.type === "Identifier" && dc.init && FN_TYPES[dc.init.type]) units.push({ name: dc.id.name, kind: st.kind, stmt: st, dtor: dc, fn: dc.init });
        else if (dc.id.type === "Identifier" && dc.init && dc.init.type === "ClassExpression") skip("class");
      }
    } else if (st.type === "ClassDeclaration") skip("class");
  }
  var byStart = units.slice().sort(function (a, b) { return a.fn.start - b.fn.start; });
  function unitAt(pos) {
    var lo = 0;
    var hi = byStart.length - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      var u = byStart[mid];
      if (pos < u.fn.start) hi = mid - 1;
      else if (pos >= u.fn.end) lo = mid + 1;
      else return u;
    }
    return null;
  }
  var refsOf = new Map();
  for (var r of sc.refs) {
    if (!r.decl) continue;
    if (!refsOf.has(r.decl)) refsOf.set(r.decl, []);
    refsOf.get(r.decl).push(r);
  }
  var declById = new Map();
  for (var s1 of sc.scopes) for (var d1 of s1.decls.values()) if (d1.id) declById.set(d1.id, d1);
  // Names declared anywhere in a function's own scope (its blocks included, not nested functions).
  var ownNames = new Map();
  for (var s2 of sc.scopes) {
    var fnNode = s2.fn.node;
    if (!FN_TYPES[fnNode.type]) continue;
    if (!ownNames.has(fnNode)) ownNames.set(fnNode, new Set());
    for (var nm of s2.decls.keys()) ownNames.get(fnNode).add(nm);
  }
  for (var u0 of units) {
    u0.decl = sc.program.decls.get(u0.name) || null;
    u0.refs = u0.decl ? refsOf.get(u0.decl) || [] : [];
  }

  // `g(...)`, `g.call(...)`, `g.apply(...)`: uses that cannot keep or compare g itself.
  function isCall(ref) {
    var up = parents.get(ref.node);
    if (!up) return false;
    if (up.parent.type === "CallExpression" && up.key === "callee") return true;
    var m = up.parent;
    if (m.type !== "MemberExpression" || up.key !== "object" || m.computed || (m.property.name !== "call" && m.property.name !== "apply")) return false;
    var up2 = parents.get(m);
    return !!up2 && up2.parent.type === "CallExpression" && up2.key === "callee";
  }
  function isWrite(ref) {
    if (ref.isWrite) return true;
    var up = parents.get(ref.node);
    return !!up && ((up.parent.type === "AssignmentExpression" && up.key === "left") || up.parent.type === "UpdateExpression");
  }
  // Is this node run repeatedly: inside a loop, or a (part of a) callback of a repeating call?
  function inLoop(node) {
    for (var n = node, up = parents.get(n); up && up.parent; n = up.parent, up = parents.get(n)) {
      var p = up.parent;
      if (LOOP_KEYS[p.type] && LOOP_KEYS[p.type][up.key]) return true;
      if (p.type === "CallExpression" && up.key === "arguments") {
        var c = p.callee;
        var name = c.type === "Identifier" ? c.name : c.type === "MemberExpression" && !c.computed ? c.property.name : null;
        if (name && REPEATING[name]) return true;
      }
    }
    return false;
  }
  // Does fn create a function that may outlive its call? Not one that is only called
  // (immediately, through a local name that is only called, or by a synchronous array
  // method); any other (passed to another call, returned, stored) may.
  function makesClosure(fn) {
    var found = false;
    eachNode(fn.body, function (node) {
      if (found || node === fn || !FN_TYPES[node.type]) return;
      var up = parents.get(node);
      if (up.parent.type === "CallExpression" || up.parent.type === "NewExpression") {
        if (up.key === "callee") return;
        var c = up.parent.callee;
        var name = c.type === "MemberExpression" && !c.computed ? c.property.name : null;
        if (up.key === "arguments" && name && SYNC_CALLBACK[name] && up.parent.type === "CallExpression") return;
      }
      // Bound to a local name: what matters is how that name is used.
      var d = null;
      if (node.type === "FunctionDeclaration") d = declById.get(node.id);
      else if (up.parent.type === "VariableDeclarator" && up.key === "init" && up.parent.id.type === "Identifier") d = declById.get(up.parent.id);
      else if (up.parent.type === "AssignmentExpression" && up.key === "right" && up.parent.operator === "=" && up.parent.left.type === "Identifier") {
        var lr = sc.refByNode.get(up.parent.left);
        d = lr && lr.decl;
      }
      if (d && d.scope !== sc.program && inside(d.scope.node, fn) && (refsOf.get(d) || []).every(function (r) {
        return isWrite(r) || isCall(r);
      })) return;
      found = true;
    });
    return found;
  }
  function inside(node, outer) {
    return node.start >= outer.start && node.end <= outer.end;
  }

  var moves = [];
  for (var g of units) {
    var why = whyNot(g);
    if (why) {
      skip(why);
      if (explain) explain[g.name] = why;
    }
  }
  function whyNot(g) {
    if (g.fn.async || g.fn.generator) return "async-generator";
    if (g.kind !== "var" && g.kind !== "decl") return "let-const";
    var d = g.decl;
    if (!d || d.sites.length !== 1 || (g.kind === "decl" && d.kind !== "function") || (g.kind === "var" && d.kind !== "var")) return "redeclared";
    if (sc.scopes.some(function (bs) { return bs !== sc.program && bs.fn === sc.program && bs.decls.has(g.name); })) return "redeclared";
    if (!g.refs.length) return "unused";
    var F = null;
    for (var ref of g.refs) {
      if (isWrite(ref)) return "reassigned";
      if (inside(ref.node, g.fn)) {
        if (!isCall(ref)) return "value-use";
        continue; // recursion: moves along
      }
      var u = unitAt(ref.node.start);
      if (!u) return "top-level-use";
      if (!inside(ref.node, u.fn.body)) return "param-use";
      if (F && u !== F) return "multi-use";
      F = u;
      if (!isCall(ref)) return "value-use";
    }
    if (!F) return "unused";
    if (F.fn.async || F.fn.generator) return "async-generator";
    if (F.kind === "decl" ? false : !F.decl) return "redeclared";
    var gText = code.slice(g.fn.start, g.fn.end);
    var fText = code.slice(F.fn.start, F.fn.end);
    if (/\beval\b/.test(gText) || /\beval\b/.test(fText)) return "eval";
    if (g.fn.type === "ArrowFunctionExpression") {
      if (/\bthis\b/.test(gText)) return "arrow-this";
      var ctx = arrowContext(g.fn);
      if (ctx) return "arrow-" + ctx;
    }
    if (F.fn.type === "ArrowFunctionExpression" && /\bthis\b/.test(gText) && !/\bthis\b/.test(fText)) return "this-into-arrow";
    // A function made inside g keeps g's scope chain: after the move that includes F's
    // call (its parameters and locals) for as long as the closure lives, where before it
    // ended at the top level.
    if (makesClosure(g.fn)) return "closure";
    // F's call stays alive as long as a closure it made (a callback until its operation
    // ends, a returned or stored function for good, once per call of F), and with it a
    // copy of g. And g makes F's call a cycle (F's scope -> g -> g's scope -> F's scope),
    // which only the garbage collector frees, not the reference counts: measured on the
    // firmware, helpers moved into the EDHOC step driver (which hands callbacks to the
    // secure element) left a refused pairing's connection (link, EDHOC state, promises,
    // about 270-600 variables) unreachable but never freed.
    if (makesClosure(F.fn)) return "closure-target";
    // Capture: g's outside names must mean the same at the start of F's body.
    var taken = ownNames.get(F.fn) || new Set();
    if (taken.has(g.name)) return "name-taken";
    for (var r2 of sc.refs) {
      if (r2.node.start < g.fn.start || r2.node.end > g.fn.end) continue;
      if (r2.decl && inside(r2.decl.scope.node, g.fn) && r2.decl.scope !== sc.program) continue;
      if (taken.has(r2.name)) return "capture";
    }
    // Where g goes.
    if (F.fn.body.type === "BlockStatement") {
      var first = F.fn.body.body[0];
      if (first && first.type === "ExpressionStatement" && first.directive !== undefined) return "directive";
    } else {
      var arrowAt = code.lastIndexOf("=>", F.fn.body.start - 2);
      var at = arrowAt + 2;
      while (at < F.fn.body.start && isWs(code[at])) at++;
      if (arrowAt < F.fn.start || code[at] === "/") return "comment";
    }
    // Cost: every call of F creates g again.
    var callers = F.decl ? (refsOf.get(F.decl) || []).filter(function (fr) { return !inside(fr.node, F.fn); }) : [];
    if (callers.some(function (fr) { return inLoop(fr.node); })) return "loop-caller";
    // A target kept as a value (a method of a provider, a callback) can be called from
    // anywhere, as often as anything: per record, per packet.
    if (callers.some(function (fr) { return !fr.inTypeof && !isCall(fr); })) return "escaping-target";
    if (callers.length > maxCallers) return "many-callers";
    moves.push({ g: g, F: F });
    return null;
  }

  // Deepest first: a function that another move targets waits for the next round.
  var targets = new Set(moves.map(function (m) { return m.F; }));
  return {
    moves: moves.filter(function (m) { return !targets.has(m.g); }),
    skipped: skipped,
    explain: explain,
  };
}

// --- Editing -------------------------------------------------------------------------------

function applyMoves(code, ast, moves) {
  var ops = []; // { start, end, pieces: [{ text } | { from, to }] }
  var movedDtors = new Set();
  var movedStmts = new Set();
  for (var m of moves) {
    if (m.g.kind === "decl") movedStmts.add(m.g.stmt);
    else movedDtors.add(m.g.dtor);
  }
  // Removals.
  // Whether the kept text so far ends a statement for good (else a removed statement
  // leaves a `;`: `a=b\nvar g=...;\n(c)` must not become `a=b\n\n(c)`, a call).
  var ended = true;
  for (var st of ast.body) {
    var whole = movedStmts.has(st) || (st.type === "VariableDeclaration" && st.declarations.every(function (dc) { return movedDtors.has(dc); }));
    if (whole) {
      ops.push({ start: st.start, end: st.end, pieces: ended ? [] : [{ text: ";" }] });
      ended = true;
      continue;
    }
    ended = code[st.end - 1] === ";" || st.type === "FunctionDeclaration" || st.type === "ClassDeclaration";
    if (st.type !== "VariableDeclaration") continue;
    var ds = st.declarations;
    for (var a = 0; a < ds.length; a++) {
      if (!movedDtors.has(ds[a])) continue;
      var b = a;
      while (b + 1 < ds.length && movedDtors.has(ds[b + 1])) b++;
      if (b + 1 < ds.length) ops.push({ start: ds[a].start, end: ds[b + 1].start, pieces: [] });
      else ops.push({ start: ds[a - 1].end, end: ds[b].end, pieces: [] });
      a = b;
    }
  }
  // Insertions, per target, in program order.
  var byTarget = new Map();
  for (var m2 of moves) {
    if (!byTarget.has(m2.F)) byTarget.set(m2.F, []);
    byTarget.get(m2.F).push(m2.g);
  }
  for (var entry of byTarget) {
    var F = entry[0];
    var pieces = [];
    for (var g of entry[1].sort(function (x, y) { return x.fn.start - y.fn.start; })) {
      if (g.kind === "decl") pieces.push({ from: g.stmt.start, to: g.stmt.end });
      else pieces.push({ text: "var " }, { from: g.dtor.start, to: g.dtor.end }, { text: ";" });
    }
    if (F.fn.body.type === "BlockStatement") {
      ops.push({ start: F.fn.body.start + 1, end: F.fn.body.start + 1, pieces: pieces });
    } else {
      var at = code.lastIndexOf("=>", F.fn.body.start - 2) + 2;
      while (at < F.fn.body.start && isWs(code[at])) at++;
      var ret = /[(["'`!~+\-]/.test(code[at]) ? "return" : "return ";
      ops.push({ start: at, end: at, pieces: [{ text: "{" }].concat(pieces, [{ text: ret }]) });
      ops.push({ start: F.fn.end, end: F.fn.end, pieces: [{ text: "}" }] });
    }
  }
  ops.sort(function (x, y) { return x.start - y.start || x.end - y.end; });
  var out = "";
  var slices = []; // { from, to, at }: old text [from, to) now at `at`
  function emit(from, to) {
    if (to <= from) return;
    slices.push({ from: from, to: to, at: out.length });
    out += code.slice(from, to);
  }
  var pos = 0;
  for (var op of ops) {
    if (op.start < pos) throw new Error("nest: overlapping edits at " + op.start);
    emit(pos, op.start);
    for (var pc of op.pieces) {
      if (pc.text !== undefined) out += pc.text;
      else emit(pc.from, pc.to);
    }
    pos = op.end;
  }
  emit(pos, code.length);
  return { code: out, slices: slices };
}

// --- Source maps ---------------------------------------------------------------------------

var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
var B64I = {};
for (var bi = 0; bi < B64.length; bi++) B64I[B64[bi]] = bi;

function decodeVlq(seg) {
  var out = [];
  var value = 0;
  var shift = 0;
  for (var c of seg) {
    var digit = B64I[c];
    value += (digit & 31) * Math.pow(2, shift);
    if (digit & 32) shift += 5;
    else {
      out.push(value % 2 ? -Math.floor(value / 2) : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

function encodeVlq(v) {
  var x = v < 0 ? -v * 2 + 1 : v * 2;
  var s = "";
  do {
    var digit = x % 32;
    x = Math.floor(x / 32);
    if (x > 0) digit |= 32;
    s += B64[digit];
  } while (x > 0);
  return s;
}

function lineStarts(text) {
  var starts = [0];
  for (var i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts, off) {
  var lo = 0;
  var hi = starts.length - 1;
  while (lo < hi) {
    var mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= off) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Moves every generated position of `map` from `oldCode` to where the same text sits in
 * `newCode`. slices: [{ from, to, at }], disjoint ranges of oldCode found at `at` in
 * newCode (kept or moved text). Positions in text that was dropped lose their segment.
 */
export function remapPieces(map, oldCode, newCode, slices) {
  var oldStarts = lineStarts(oldCode);
  var newStarts = lineStarts(newCode);
  var sorted = slices.slice().sort(function (a, b) { return a.from - b.from; });
  function moved(off) {
    var lo = 0;
    var hi = sorted.length - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      var s = sorted[mid];
      if (off < s.from) hi = mid - 1;
      else if (off >= s.to) lo = mid + 1;
      else return s.at + off - s.from;
    }
    return off === oldCode.length ? newCode.length : -1;
  }
  var byLine = [];
  var src = 0;
  var oline = 0;
  var ocol = 0;
  var name = 0;
  var lines = map.mappings.split(";");
  for (var ln = 0; ln < lines.length; ln++) {
    if (!lines[ln]) continue;
    var col = 0;
    for (var raw of lines[ln].split(",")) {
      if (!raw) continue;
      var v = decodeVlq(raw);
      col += v[0];
      var seg = {};
      if (v.length >= 4) {
        src += v[1];
        oline += v[2];
        ocol += v[3];
        seg.src = src;
        seg.oline = oline;
        seg.ocol = ocol;
        if (v.length >= 5) {
          name += v[4];
          seg.name = name;
        }
      }
      var off = (oldStarts[ln] !== undefined ? oldStarts[ln] : oldCode.length) + col;
      var no = moved(off);
      if (no < 0) continue;
      var nl = lineOf(newStarts, no);
      seg.col = no - newStarts[nl];
      (byLine[nl] = byLine[nl] || []).push(seg);
    }
  }
  var outLines = [];
  var p = { src: 0, oline: 0, ocol: 0, name: 0 };
  var nLines = Math.max(newStarts.length, byLine.length);
  for (var l = 0; l < nLines; l++) {
    var list = (byLine[l] || []).sort(function (a, b) { return a.col - b.col; });
    list = list.filter(function (sg, k) { return k === 0 || list[k - 1].col !== sg.col; });
    var prevCol = 0;
    outLines.push(list.map(function (s) {
      var t = encodeVlq(s.col - prevCol);
      prevCol = s.col;
      if (s.src !== undefined) {
        t += encodeVlq(s.src - p.src) + encodeVlq(s.oline - p.oline) + encodeVlq(s.ocol - p.ocol);
        p.src = s.src;
        p.oline = s.oline;
        p.ocol = s.ocol;
        if (s.name !== undefined) {
          t += encodeVlq(s.name - p.name);
          p.name = s.name;
        }
      }
      return t;
    }).join(","));
  }
  while (outLines.length > 1 && outLines[outLines.length - 1] === "") outLines.pop();
  return Object.assign({}, map, { mappings: outLines.join(";") });
}
