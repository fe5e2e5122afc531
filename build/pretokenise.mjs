// Pretokenisation: the form in which a device bundle is stored in a board's flash.
//
// Espruino's lexer reads bytes from 138 up as whole tokens: the multi-character operators
// and reserved words (one byte each), strings stored as a length and their raw bytes, and
// small integers stored as one or two bytes. The Web IDE and the Bangle.js app loader use
// this to make code smaller in Storage and quicker to lex; the interpreter also does it to
// functions it keeps in RAM (E.setFlags({pretokenise: 1})). A pretokenised bundle yields
// the same token stream as the minified JavaScript it came from, so nothing about what the
// code does changes; the JavaScript stays the artifact the gate checks and the budget
// measures, and this is only how flash holds it.
//
// What is and is not encoded, and why:
//   - Token bytes follow the LEX_TYPES enum of Espruino's src/jslex.h (an ABI the IDE
//     relies on): 24 operators from 138, `=>`, then 36 reserved words, then raw strings
//     (0xD1 length8, 0xD2 length16 little-endian) and raw integers (0xD3 zero, 0xD4 int8,
//     0xD5 int16 little-endian), all signed.
//   - `catch` stays text: the IDE keeps it as text too (Espruino issue #1868).
//   - Strings become raw only when every character is ASCII: 2v29 marks raw strings as not
//     UTF-8, so a non-ASCII string would change its value. A raw string longer than a
//     variable's inline space is referenced in flash instead of copied into RAM.
//   - Integers from 0 to 32767 become raw when that is no longer than their text. A minus
//     sign stays an operator (no folding: `a-1` must stay a subtraction).
//   - Regular expressions and template literals stay text.
//   - Whitespace goes, except where two text tokens would merge (`a in b` keeps none, as
//     `in` is one byte, `a- -b` keeps its space) and newlines, which are kept in case a
//     statement ends on one.
// Raw integers need 2v25.396 or later and raw strings 2v20.48 or later: boards state their
// firmware, and pretokenise() refuses older ones.
//
// The build checks every result by decoding it again (detokenise) and comparing the token
// streams, so an encoding fault fails the build instead of reaching a device.
import * as acorn from "acorn";

export var TOKEN_BASE = 138;
export var TOKENS = [
  "==", "===", "!=", "!==", "<=", "<<", "<<=", ">=", ">>", ">>>", ">>=", ">>>=", "+=", "-=",
  "++", "--", "*=", "/=", "%=", "&=", "&&", "|=", "||", "^=", "=>",
  "if", "else", "do", "while", "for", "break", "continue", "function", "return", "var", "let",
  "const", "this", "throw", "try", "catch", "finally", "true", "false", "null", "undefined",
  "new", "in", "instanceof", "switch", "case", "default", "delete", "typeof", "void",
  "debugger", "class", "extends", "super", "static", "of",
];
export var RAW_STRING8 = 0xd1;
export var RAW_STRING16 = 0xd2;
export var RAW_INT0 = 0xd3;
export var RAW_INT8 = 0xd4;
export var RAW_INT16 = 0xd5;
var KEEP_TEXT = { catch: true };
var ECMA = 2020;

/** The oldest firmware whose lexer reads every token this module writes (raw integers: 2v25.396). */
export var MIN_FIRMWARE = [2, 26];

function firmwareOk(v) {
  var m = /^(\d+)v(\d+)/.exec(String(v || ""));
  return !!m && (Number(m[1]) > MIN_FIRMWARE[0] || (Number(m[1]) === MIN_FIRMWARE[0] && Number(m[2]) >= MIN_FIRMWARE[1]));
}

function isAscii(s) {
  for (var i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

/**
 * Encodes minified JavaScript as Espruino pretokenised code.
 * @param {string} code
 * @param {{ firmware?: string }} [opts] the board's Espruino version (default 2v29)
 * @returns {{ text: string, bytes: number, stats: { tokens: number, strings: number, ints: number } }}
 *   text holds one character per byte (write it as latin1)
 */
export function pretokenise(code, opts) {
  var firmware = (opts && opts.firmware) || "2v29";
  if (!firmwareOk(firmware)) throw new Error("pretokenise: firmware " + firmware + " is older than " + MIN_FIRMWARE.join("v") + " (raw integer tokens)");
  if (!isAscii(code)) throw new Error("pretokenise: the bundle has non-ASCII characters; only ASCII bundles are supported");
  var out = [];
  var stats = { tokens: 0, strings: 0, ints: 0 };
  // lastText: the previous piece ended in a character that could join the next one (not a token byte).
  var lastEnd = 0, lastText = false;
  var tz = acorn.tokenizer(code, { ecmaVersion: ECMA });
  for (;;) {
    var t = tz.getToken();
    if (t.type === acorn.tokTypes.eof) break;
    var gap = code.slice(lastEnd, t.start);
    if (/[^\s]/.test(gap)) throw new Error("pretokenise: comments are not supported (at " + lastEnd + ")");
    var end = t.end;
    var src = code.slice(t.start, t.end);
    var piece = null; // an encoded token (never joins with its neighbours)
    var kind = "tokens";
    if (t.type === acorn.tokTypes.backQuote) {
      // Template literal: copy its whole text, including any nested ${...}.
      var depth = 0, u;
      do {
        u = tz.getToken();
        if (u.type === acorn.tokTypes.eof) throw new Error("pretokenise: unterminated template at " + t.start);
        if (u.type === acorn.tokTypes.dollarBraceL || u.type === acorn.tokTypes.braceL) depth++;
        if (u.type === acorn.tokTypes.braceR) depth--;
      } while (depth > 0 || u.type !== acorn.tokTypes.backQuote);
      end = u.end;
      src = code.slice(t.start, end);
    } else if (t.type === acorn.tokTypes.string && isAscii(t.value) && t.value.length > 0 && t.value.length < 65536) {
      var n = t.value.length;
      piece = (n < 256 ? String.fromCharCode(RAW_STRING8, n) : String.fromCharCode(RAW_STRING16, n & 255, n >> 8)) + t.value;
      kind = "strings";
    } else if (t.type === acorn.tokTypes.num && Number.isInteger(t.value) && t.value >= 0 && t.value < 32768) {
      var v = t.value;
      var enc = v === 0 ? String.fromCharCode(RAW_INT0) : v < 128 ? String.fromCharCode(RAW_INT8, v) : String.fromCharCode(RAW_INT16, v & 255, v >> 8);
      if (enc.length <= src.length) piece = enc;
      kind = "ints";
    } else if (t.type !== acorn.tokTypes.regexp && t.type !== acorn.tokTypes.string && TOKENS.indexOf(src) >= 0 && !KEEP_TEXT[src]) {
      piece = String.fromCharCode(TOKEN_BASE + TOKENS.indexOf(src));
    }
    // No NUL byte ever: a reader that takes code as a C string (the Linux build loading a
    // script file) would end the program there. 128..255 and multiples of 256 stay text.
    if (piece !== null && piece.indexOf("\0") >= 0) piece = null;
    if (piece !== null) stats[kind]++;
    if (out.length && gap.length) {
      if (gap.indexOf("\n") >= 0) out.push("\n");
      else if (lastText && piece === null) out.push(" ");
    }
    if (piece !== null) {
      out.push(piece);
      lastText = false;
    } else {
      out.push(src);
      lastText = true;
    }
    lastEnd = end;
  }
  var text = out.join("");
  return { text: text, bytes: text.length, stats: stats };
}

/**
 * Decodes pretokenised code back to JavaScript text (a checking tool: spaces go around
 * every decoded token, so the text differs from the original but lexes the same).
 * @param {string} text one character per byte
 * @returns {string}
 */
export function detokenise(text) {
  var out = [];
  for (var i = 0; i < text.length; ) {
    var c = text.charCodeAt(i);
    if (c < TOKEN_BASE) {
      var j = i;
      while (j < text.length && text.charCodeAt(j) < TOKEN_BASE) j++;
      out.push(text.slice(i, j));
      i = j;
    } else if (c < TOKEN_BASE + TOKENS.length) {
      out.push(" " + TOKENS[c - TOKEN_BASE] + " ");
      i++;
    } else if (c === RAW_STRING8 || c === RAW_STRING16) {
      var n = text.charCodeAt(i + 1) | (c === RAW_STRING16 ? text.charCodeAt(i + 2) << 8 : 0);
      var at = i + (c === RAW_STRING16 ? 3 : 2);
      if (at + n > text.length) throw new Error("detokenise: raw string runs past the end at " + i);
      out.push(JSON.stringify(text.slice(at, at + n)));
      i = at + n;
    } else if (c === RAW_INT0) {
      out.push(" 0 ");
      i++;
    } else if (c === RAW_INT8) {
      out.push(" " + ((text.charCodeAt(i + 1) << 24) >> 24) + " ");
      i += 2;
    } else if (c === RAW_INT16) {
      out.push(" " + (((text.charCodeAt(i + 1) | (text.charCodeAt(i + 2) << 8)) << 16) >> 16) + " ");
      i += 3;
    } else {
      throw new Error("detokenise: byte " + c + " at " + i + " is no token");
    }
  }
  return out.join("");
}

function tokenStream(code) {
  var list = [];
  for (var t of acorn.tokenizer(code, { ecmaVersion: ECMA })) {
    var v = t.type === acorn.tokTypes.num || t.type === acorn.tokTypes.string ? t.value : t.type === acorn.tokTypes.regexp ? String(t.value && t.value.pattern) + "/" + (t.value && t.value.flags) : code.slice(t.start, t.end);
    list.push(t.type.label + ":" + v);
  }
  return list;
}

/**
 * Checks that pretokenised code decodes to the same tokens as the JavaScript it came from.
 * @returns {null | string} null when they match, else where they first differ
 */
export function checkPretokenised(code, text) {
  var a = tokenStream(code), b;
  try {
    b = tokenStream(detokenise(text));
  } catch (e) {
    return String(e && e.message);
  }
  var n = Math.max(a.length, b.length);
  for (var i = 0; i < n; i++) if (a[i] !== b[i]) return "token " + i + ": " + a[i] + " became " + b[i];
  return null;
}
