// Device-build source transform (esbuild plugin), applied to the shipped bundle only:
//  - the human message of every perr(code, message, ...) is dropped (0 where a detail
//    follows): a device has no one to read it, the stable code stays, and the messages were
//    a quarter of the bundle;
//  - `DEVICE` (src/core/target.ts) becomes the literal `true` in every module that imports it;
//  - calls to test-only tracing (`trace(...)` statements in the EDHOC core) are removed;
//  - every error code becomes its short form from build/error-codes.json ("EDHOC_MALFORMED"
//    -> "E6": a family letter and a number), and a family prefix used in a check such as
//    `code.indexOf("CBOR_") === 0` becomes the family letter, so those checks still hold.
//    Codes were 3 KB of the bundle. The table is the stable mapping: tools and tests turn a
//    device's short code back into the long one (longCode). A code missing from the
//    table fails the build rather than shipping unmapped.
// The check pass of the gate still sees the untouched source. Newlines inside a removed
// expression are kept so that line numbers (and source maps) stay right.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

var TABLE = JSON.parse(readFileSync(join(fileURLToPath(new URL(".", import.meta.url)), "error-codes.json"), "utf8"));
var FAMILY_RE = new RegExp("([\"'])((?:" + Object.keys(TABLE.families).join("|") + ")_[A-Z0-9_]*)\\1", "g");

/** The long code for a device's short one ("E6" -> "EDHOC_MALFORMED"); anything else unchanged. */
export function longCode(c) {
  for (var k in TABLE.codes) if (TABLE.codes[k] === c) return k;
  return c;
}

/** Replaces error codes and family prefixes by their short forms; throws on a code the table lacks. */
export function shortenCodes(src, file) {
  return src.replace(FAMILY_RE, function (all, q, code) {
    var fam = code.slice(0, code.indexOf("_"));
    if (code === fam + "_") return q + TABLE.families[fam] + q;
    var short = TABLE.codes[code];
    if (!short) throw new Error((file || "source") + ": error code " + code + " is not in build/error-codes.json: add it there (next number of its family)");
    return q + short + q;
  });
}

/** Index just past the expression starting at i (stops at a top-level ',' or ')'). */
function skipExpr(s, i) {
  var depth = 0;
  while (i < s.length) {
    var ch = s[i];
    if (ch === '"' || ch === "'" || ch === "`") {
      var q = ch;
      i++;
      while (i < s.length && s[i] !== q) {
        if (s[i] === "\\") i++;
        i++;
      }
      i++;
      continue;
    }
    if (ch === "/" && s[i + 1] === "/") {
      while (i < s.length && s[i] !== "\n") i++;
      continue;
    }
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") {
      if (depth === 0) return i;
      depth--;
    } else if (ch === "," && depth === 0) return i;
    i++;
  }
  return i;
}

function keepNewlines(text) {
  return text.replace(/[^\n]/g, "");
}

/** Drops the second argument of every `perr(` call (0 in its place when a third follows). */
export function stripMessages(src) {
  var out = "";
  var at = 0;
  var re = /\bperr\(/g;
  var m;
  while ((m = re.exec(src))) {
    if (/function\s+$/.test(src.slice(Math.max(0, m.index - 12), m.index))) continue;
    var a1 = m.index + m[0].length;
    var e1 = skipExpr(src, a1);
    if (src[e1] !== ",") continue;
    var a2 = e1 + 1;
    var e2 = skipExpr(src, a2);
    // The last argument goes with its comma; before a detail a 0 holds its place.
    if (src[e2] === ")") out += src.slice(at, e1) + keepNewlines(src.slice(e1, e2));
    else out += src.slice(at, a2) + "0" + keepNewlines(src.slice(a2, e2));
    at = e2;
    re.lastIndex = e2;
  }
  return out + src.slice(at);
}

/** Removes statements `name(...);` for test-only hooks. */
export function stripCalls(src, name) {
  var re = new RegExp("(^|[;{}\\n])(\\s*)" + name + "\\(", "g");
  var out = "";
  var at = 0;
  var m;
  while ((m = re.exec(src))) {
    var start = m.index + m[1].length + m[2].length;
    // Skip every argument up to the call's closing parenthesis.
    var end = skipExpr(src, start + name.length + 1);
    while (src[end] === ",") end = skipExpr(src, end + 1);
    if (src[end] !== ")") continue;
    end++;
    if (src[end] === ";") end++;
    out += src.slice(at, start) + keepNewlines(src.slice(start, end));
    at = end;
    re.lastIndex = end;
  }
  return out + src.slice(at);
}

/**
 * `DEVICE` becomes the literal `true` in a module that imports it from src/core/target.ts:
 * esbuild inlines an imported constant only when it prints, after dead-code removal, so
 * `if (!DEVICE) {...}` would stay in the bundle as `if (!!0) {...}`. The import line
 * becomes blank (same line count).
 */
export function inlineDevice(src, path) {
  if (/\/src\/core\/target\.ts$/.test(path || "")) return src;
  var re = /^import \{ DEVICE \} from "(\.\.?\/)+(core\/)?target";$/m;
  if (!re.test(src)) return src;
  return src.replace(re, "").replace(/(^|[^.\w$"'])DEVICE\b/g, "$1true");
}

export function deviceSourcePlugin() {
  return {
    name: "pairkit-device-source",
    setup(build) {
      build.onLoad({ filter: /\/(src|firmware)\/.*\.ts$/ }, function (args) {
        var src = readFileSync(args.path, "utf8");
        src = inlineDevice(src, args.path);
        src = stripMessages(src);
        if (/edhoc\/edhoc\.ts$/.test(args.path)) src = stripCalls(src, "trace");
        src = shortenCodes(src, args.path);
        return { contents: src, loader: "ts" };
      });
    },
  };
}
