// Which parts of a regular expression Espruino 2v29 does not implement.
//
// Espruino's matcher (src/jswrap_regexp.c) is a small backtracking matcher: literal
// characters, `.`, character sets with ranges and `^`, the escapes \d \D \w \W \s \S
// \f \n \r \t \v \0 \xHH and escaped punctuation, greedy `*` and `+` on a single
// character or set, `^` and `$` (string start/end only), top-level `|`, and up to nine
// capture groups that are not nested. Everything else is either a syntax error or,
// worse, silently matches something else. Checked on the 2v29 Linux build: `/ab?c/`
// does not match "abc" (`?` is a literal), `/a{2}/` matches the text "a{2}", `(?:..)`,
// lookarounds and named groups never match, `\b` is a backspace, `\u0041` matches the
// text "u0041", `/(ab)+/` never matches "abab", `/(a|b)/` captures "", flags s and d are
// syntax errors, m, y and u are accepted and ignored.
import { REGEXP_FLAGS_OK } from "./espruino-facts.mjs";

/**
 * @param {string} pattern the source between the slashes (or a RegExp constructor string)
 * @param {string} flags
 * @returns {{ what: string, index: number }[]} unsupported features with their offset in the pattern
 */
export function regexpProblems(pattern, flags) {
  var out = [];
  for (var f of flags || "") {
    if (REGEXP_FLAGS_OK.indexOf(f) < 0) {
      var why = f === "s" || f === "d" ? "a syntax error" : f === "m" || f === "y" || f === "u" ? "accepted but ignored" : "not supported";
      out.push({ what: "flag '" + f + "' (" + why + "; only g and i work)", index: -1 });
    }
  }
  var depth = 0;
  var groups = 0;
  var last = null; // "char" | "group" | null
  var i = 0;
  var n = pattern.length;
  while (i < n) {
    var ch = pattern[i];
    if (ch === "\\") {
      var e = pattern[i + 1];
      if (e === "b" || e === "B") out.push({ what: "word-boundary assertion \\" + e + " (\\b is a backspace in Espruino)", index: i });
      else if (e >= "1" && e <= "9") out.push({ what: "backreference \\" + e, index: i });
      else if (e === "u") out.push({ what: "\\u escape (matched as the letter u)", index: i });
      else if (e === "p" || e === "P") out.push({ what: "Unicode property escape \\" + e, index: i });
      else if (e === "c") out.push({ what: "control escape \\c", index: i });
      else if (e === "k") out.push({ what: "named backreference \\k", index: i });
      i += e === "x" ? 4 : 2;
      last = "char";
      continue;
    }
    if (ch === "[") {
      var j = i + 1;
      if (pattern[j] === "^") j++;
      while (j < n && pattern[j] !== "]") {
        if (pattern[j] === "\\") {
          var ce = pattern[j + 1];
          if (ce === "u") out.push({ what: "\\u escape in a character set", index: j });
          else if (ce === "p" || ce === "P") out.push({ what: "Unicode property escape in a character set", index: j });
          else if (ce === "c") out.push({ what: "control escape \\c in a character set", index: j });
          j += ce === "x" ? 4 : 2;
        } else j++;
      }
      i = j + 1;
      last = "char";
      continue;
    }
    if (ch === "(") {
      if (pattern[i + 1] === "?") {
        var kind = pattern.substr(i, 4);
        var what = kind.startsWith("(?:") ? "non-capturing group (?:" :
          kind.startsWith("(?=") ? "lookahead (?=" :
          kind.startsWith("(?!") ? "negative lookahead (?!" :
          kind.startsWith("(?<=") ? "lookbehind (?<=" :
          kind.startsWith("(?<!") ? "negative lookbehind (?<!" :
          kind.startsWith("(?<") ? "named group (?<name>" : "group modifier (?";
        out.push({ what: what, index: i });
        i += 2;
      } else i++;
      depth++;
      groups++;
      if (depth > 1) out.push({ what: "nested group (captures come out wrong)", index: i - 1 });
      if (groups === 10) out.push({ what: "more than 9 capture groups", index: i - 1 });
      last = null;
      continue;
    }
    if (ch === ")") {
      if (depth > 0) depth--;
      i++;
      last = "group";
      continue;
    }
    if (ch === "|") {
      if (depth > 0) out.push({ what: "alternation | inside a group (only top-level | works)", index: i });
      i++;
      last = null;
      continue;
    }
    if (ch === "*" || ch === "+") {
      if (last === "group") out.push({ what: "quantifier " + ch + " on a group", index: i });
      i++;
      last = "quant";
      continue;
    }
    if (ch === "?") {
      out.push({ what: last === "quant" ? "lazy quantifier " + pattern[i - 1] + "?" : "? quantifier (a literal '?' in Espruino)", index: i });
      i++;
      last = "quant";
      continue;
    }
    if (ch === "{") {
      var m = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i));
      if (m) {
        out.push({ what: "counted quantifier " + m[0] + " (matched as literal text)", index: i });
        i += m[0].length;
        last = "quant";
        continue;
      }
    }
    i++;
    last = "char";
  }
  return out;
}
