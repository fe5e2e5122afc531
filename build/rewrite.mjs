// A post-bundling rewrite for an esbuild habit Espruino cannot run.
//
// When bundling, esbuild turns every top-level `class Foo {...}` into
// `var Foo = class _Foo {...}` and, if the class mentions itself inside its body
// (`static make() { return new Foo(); }`, `Foo.count`), keeps the inner name `_Foo` for
// those mentions. Espruino 2v29 does not bind the name of a class expression inside its
// body ("_Foo is not defined"), but it runs `var Foo = class Foo {...}` (checked on the
// real interpreter). So each such class gets its outer name back inside its body, when
// that is provably the same class: the outer variable is never reassigned and no inner
// declaration shadows it where the class mentions itself.
//
// The source map is updated: columns after each edit on the same generated line shift
// by the change in length.
import * as acorn from "acorn";
import { analyzeScopes, resolve } from "./scope.mjs";

var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
var B64I = {};
for (var i = 0; i < B64.length; i++) B64I[B64[i]] = i;

function decodeSegment(seg) {
  var out = [];
  var value = 0;
  var shift = 0;
  for (var c of seg) {
    var digit = B64I[c];
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

function encodeValue(v) {
  var x = v < 0 ? (-v << 1) | 1 : v << 1;
  var s = "";
  do {
    var digit = x & 31;
    x >>>= 5;
    if (x > 0) digit |= 32;
    s += B64[digit];
  } while (x > 0);
  return s;
}

/** Shifts generated columns: edits = [{ line (0-based), column (0-based, end of the replaced text), delta }]. */
export function shiftSourceMap(map, edits) {
  if (!map || !edits.length) return map;
  var byLine = new Map();
  for (var e of edits) {
    if (!byLine.has(e.line)) byLine.set(e.line, []);
    byLine.get(e.line).push(e);
  }
  var lines = map.mappings.split(";");
  for (var entry of byLine) {
    var ln = entry[0];
    var lineEdits = entry[1];
    if (ln >= lines.length || !lines[ln]) continue;
    var segs = lines[ln].split(",").map(decodeSegment);
    var col = 0;
    var abs = segs.map(function (s) { col += s[0]; return col; });
    var shifted = abs.map(function (c) {
      var d = 0;
      for (var le of lineEdits) if (c >= le.column) d += le.delta;
      return c + d;
    });
    var prev = 0;
    lines[ln] = segs.map(function (s, k) {
      var rel = shifted[k] - prev;
      prev = shifted[k];
      return [encodeValue(rel)].concat(s.slice(1).map(encodeValue)).join("");
    }).join(",");
  }
  return Object.assign({}, map, { mappings: lines.join(";") });
}

function lineColOf(code, offset) {
  var line = 0;
  var last = -1;
  for (var k = code.indexOf("\n"); k >= 0 && k < offset; k = code.indexOf("\n", k + 1)) {
    line++;
    last = k;
  }
  return { line: line, column: offset - last - 1 };
}

/** Parses a bundle as a script, else as a module; null when neither parses. */
export function parseLoose(code) {
  try {
    return acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  } catch (e) {
    try {
      return acorn.parse(code, { ecmaVersion: "latest", sourceType: "module" });
    } catch (e2) {
      return null;
    }
  }
}

/**
 * @param {string} code a bundle
 * @param {object} [map] its source map (JSON object)
 * @returns {{ code: string, map: object|undefined, renamed: string[] }}
 */
export function fixClassSelfNames(code, map) {
  var ast = parseLoose(code);
  if (!ast) return { code: code, map: map, renamed: [] };
  var sc = analyzeScopes(ast);
  var edits = [];
  var renamed = [];
  for (var s of sc.scopes) {
    if (s.kind !== "class") continue;
    for (var d of s.decls.values()) {
      if (d.kind !== "cname" || !d.selfRefBroken) continue;
      var cls = d.node;
      var outerId = sc.classInits.get(cls);
      if (!outerId) continue;
      var outer = resolve(s.parent, outerId.name);
      if (!outer || outer.id !== outerId) continue;
      var inner = sc.refs.filter(function (r) { return r.decl === d; });
      if (inner.some(function (r) { return r.isWrite; })) continue;
      var reassigned = sc.refs.some(function (r) { return r.decl === outer && r.isWrite; });
      if (reassigned || outer.sites.length > 1) continue;
      var shadowed = inner.some(function (r) {
        var x = resolve(r.scope, outerId.name);
        return x !== outer && !(x && x.kind === "cname" && x.node === cls);
      });
      if (shadowed) continue;
      edits.push({ start: cls.id.start, end: cls.id.end, text: outerId.name });
      for (var r of inner) edits.push({ start: r.node.start, end: r.node.end, text: outerId.name });
      renamed.push(d.name + "->" + outerId.name);
    }
  }
  if (!edits.length) return { code: code, map: map, renamed: renamed };
  edits.sort(function (a, b) { return a.start - b.start; });
  var mapEdits = [];
  var out = "";
  var pos = 0;
  for (var ed of edits) {
    out += code.slice(pos, ed.start) + ed.text;
    pos = ed.end;
    var lc = lineColOf(code, ed.end);
    mapEdits.push({ line: lc.line, column: lc.column, delta: ed.text.length - (ed.end - ed.start) });
  }
  out += code.slice(pos);
  return { code: out, map: map ? shiftSourceMap(map, mapEdits) : map, renamed: renamed };
}
