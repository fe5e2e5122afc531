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
// The source map moves along (applyEdits of build/sourcemap.mjs, as for the other
// rewrites).
import * as acorn from "acorn";
import { analyzeScopes, resolve } from "./scope.mjs";
import { applyEdits } from "./sourcemap.mjs";

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
  var r = applyEdits(code, edits, map, "rewrite");
  return { code: r.code, map: r.map, renamed: renamed };
}
