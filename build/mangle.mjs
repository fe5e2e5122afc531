// Property-name mangling for device bundles.
//
// Why: in Espruino a property name longer than a variable's inline space costs one more
// variable in every object that has it and in every method name, and every byte of a name
// ships to the board. Renaming pairkit's own property names to one or two letters saves
// about 4 KB of a Puck.js bundle and a variable per long-named property at run time.
//
// Mangling is only safe for names that nothing outside the bundle knows. Reserved (never
// renamed) are:
//   - every name Espruino's interpreter knows on any board: build/espruino-names.txt lists the
//     identifier-like strings of Espruino 2v29's sources (methods, properties and the option
//     keys its natives read, as in setWatch(..., {repeat, edge}) or I2C.setup({sda, scl}));
//   - every property of ECMAScript's standard built-ins (a fixed list of constructors, read
//     by reflection: not all of globalThis, so the bundle does not depend on what the
//     building process has loaded), and every word of firmware/espruino.d.ts;
//   - string literals used as property keys (`o["x"]`, `"x" in o`, `{"x": 1}`) and globals
//     the bundle sets or reads as `globalThis.X` (the console handle PK);
//   - keys of object literals handed to the outside world: the detail of `report(ev, {...})`
//     and `log(ev, {...})` events and anything passed to JSON.stringify (printed on the
//     console and read by tests and tools), and the console handle's members (EXTERNAL).
// checkEventDetails() makes the build fail when an event's detail is not an object literal,
// because then its keys could not be seen and kept.
//
// Stored data never depends on property names: records, bindings and identities are CBOR or
// fixed byte layouts, so a rebuilt firmware reads what an older one wrote.
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./boards.mjs";

/** Names the console and tests use on the device's `PK` handle and in its Storage config (pkcfg). */
export var EXTERNAL = ["press", "send", "peak", "p", "connectTo", "bindings", "name", "hub", "se", "console"];

/** Calls whose object-literal arguments leave the bundle (printed as JSON). */
var EVENT_CALLS = ["report", "log"];

var IDENT = /^[A-Za-z_$][\w$]*$/;

/** ECMAScript's standard built-ins (and console): their properties are reserved. */
var STANDARD_GLOBALS = ["Object", "Function", "Array", "Number", "String", "Boolean", "Symbol", "BigInt", "Math", "JSON",
  "Date", "RegExp", "Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError", "Promise",
  "ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
  "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "Map", "Set", "WeakMap",
  "WeakSet", "Reflect", "Proxy", "Atomics", "globalThis", "console"];

function builtinNames() {
  var out = new Set();
  var seen = new Set();
  function add(o) {
    if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) return;
    seen.add(o);
    for (var k of Object.getOwnPropertyNames(o)) out.add(k);
  }
  // A fixed list, not everything on globalThis: a test runner or another Node version adds
  // globals of its own, and the bundle must not depend on where it was built.
  for (var g of STANDARD_GLOBALS) {
    var v = globalThis[g];
    out.add(g);
    add(v);
    if (typeof v === "function" && v.prototype) {
      add(v.prototype);
      add(Object.getPrototypeOf(v.prototype));
    }
  }
  add(Object.getPrototypeOf(Uint8Array)); // %TypedArray%
  add(Object.getPrototypeOf(Uint8Array.prototype));
  add(Promise.resolve());
  add(new Error("x"));
  return out;
}

function parse(code) {
  return acorn.parse(code, { ecmaVersion: "latest", sourceType: "module", allowHashBang: true });
}

function fileWords(path, into) {
  for (var line of readFileSync(path, "utf8").split("\n")) {
    if (line.startsWith("#")) continue;
    for (var w of line.match(/[A-Za-z_$][\w$]*/g) || []) into.add(w);
  }
}

function calleeName(c) {
  if (c.type === "Identifier") return c.name;
  if (c.type === "MemberExpression" && !c.computed && c.property.type === "Identifier") return c.property.name;
  return "";
}

function literalKeys(node, into) {
  if (!node || node.type !== "ObjectExpression") return;
  for (var p of node.properties) {
    if (p.type !== "Property") continue;
    if (!p.computed && p.key.type === "Identifier") into.add(p.key.name);
    else if (p.key.type === "Literal" && typeof p.key.value === "string") into.add(p.key.value);
    literalKeys(p.value, into);
  }
}

/**
 * Event details must be object literals (or absent) so their keys can be reserved.
 * @returns {{ line: number, column: number, call: string }[]} offending call sites in `code`
 */
export function checkEventDetails(code) {
  var bad = [];
  walk.full(parse(code), function (n) {
    if (n.type !== "CallExpression") return;
    var name = calleeName(n.callee);
    if (EVENT_CALLS.indexOf(name) < 0 || n.arguments.length < 2) return;
    var d = n.arguments[1];
    var ok = d.type === "ObjectExpression" || (d.type === "Identifier" && d.name === "undefined") ||
      (d.type === "Identifier" && n.callee.type === "Identifier"); // the firmware's own log(ev, d) forwarding report's detail
    if (!ok) {
      var loc = acorn.getLineInfo(code, d.start);
      bad.push({ line: loc.line, column: loc.column, call: name });
    }
  });
  return bad;
}

/**
 * The esbuild options that mangle a device bundle's own property names.
 * @param {string} plainBundle the same bundle, not minified (names intact)
 */
export function mangleOptions(plainBundle) {
  var keep = builtinNames();
  fileWords(join(ROOT, "build", "espruino-names.txt"), keep);
  fileWords(join(ROOT, "firmware", "espruino.d.ts"), keep);
  for (var x of EXTERNAL) keep.add(x);
  var ast = parse(plainBundle);
  walk.full(ast, function (n) {
    if (n.type === "MemberExpression" && n.computed && n.property.type === "Literal") keep.add(String(n.property.value));
    else if (n.type === "MemberExpression" && !n.computed && n.object.type === "Identifier" && (n.object.name === "globalThis" || n.object.name === "global")) keep.add(n.property.name);
    else if (n.type === "BinaryExpression" && n.operator === "in" && n.left.type === "Literal") keep.add(String(n.left.value));
    else if (n.type === "Property" && n.key.type === "Literal") keep.add(String(n.key.value));
    else if (n.type === "CallExpression") {
      var name = calleeName(n.callee);
      if (EVENT_CALLS.indexOf(name) >= 0 || name === "stringify") for (var a of n.arguments) literalKeys(a, keep);
    }
  });
  var names = Array.from(keep).filter(function (k) { return IDENT.test(k); }).sort();
  var escaped = names.map(function (k) { return k.replace(/\$/g, "\\$"); });
  return {
    // Names of one letter gain nothing; everything longer that is not reserved is renamed.
    mangleProps: /^[A-Za-z_$][\w$]+$/,
    reserveProps: new RegExp("^(?:" + escaped.join("|") + ")$"),
  };
}
