/**
 * Pretokenisation (build/pretokenise.mjs), the form flash holds: the token bytes are
 * Espruino's, each kind of token is encoded exactly as the lexer reads it back, spacing
 * never lets two tokens merge, the decoder agrees with the encoder on every board's bundle
 * and on generated expressions, a damaged encoding is caught, and programs give the same
 * output pretokenised as in text (in Node through the decoder; on the real interpreter
 * when ESPRUINO_BIN is set).
 */
import { describe, expect, it } from "vitest";
import * as esbuild from "esbuild";
import fc from "fast-check";
import { expectSameOnEspruino, runNode } from "./pass-check";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { pretokenise, detokenise, checkPretokenised, TOKEN_BASE, TOKENS, RAW_STRING8, RAW_STRING16, RAW_INT0, RAW_INT8, RAW_INT16 } from "../../build/pretokenise.mjs";
// @ts-ignore -- plain .mjs build scripts, no type declarations
import { buildBoard } from "../../build.mjs";

if (!process.env.ESPRUINO_BIN) console.log("SKIPPED: pretokenised programs on the real Espruino interpreter (set ESPRUINO_BIN to an Espruino Linux binary to run it)");

const ESPRUINO_BIN = process.env.ESPRUINO_BIN || "";
const tok = (code: string): string => pretokenise(code).text;
const byte = (t: string): string => String.fromCharCode(TOKEN_BASE + TOKENS.indexOf(t));
const bytesOf = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

describe("token bytes (Espruino's LEX_TYPES, src/jslex.h)", () => {
  it("puts operators from 138, `=>` at 162, reserved words from 163 to `of` at 198, raw values from 0xD1", () => {
    expect(TOKEN_BASE).toBe(138);
    expect(byte("==")).toBe("\x8a");
    expect(TOKEN_BASE + TOKENS.indexOf("^=")).toBe(161);
    expect(TOKEN_BASE + TOKENS.indexOf("=>")).toBe(162);
    expect(TOKEN_BASE + TOKENS.indexOf("if")).toBe(163);
    expect(TOKEN_BASE + TOKENS.indexOf("of")).toBe(198);
    expect(TOKENS.length).toBe(61);
    // Ten padding values after `of`, then LEX_NULLISH (208), then the raw values.
    expect([RAW_STRING8, RAW_STRING16, RAW_INT0, RAW_INT8, RAW_INT16]).toEqual([209, 210, 211, 212, 213]);
  });
});

describe("encoding (input -> exact bytes)", () => {
  const cases: [string, string, string][] = [
    ["reserved words and operators become one byte each", "if(a===b)return c", byte("if") + "(a" + byte("===") + "b)" + byte("return") + "c"],
    ["the space between two names goes when a token sits between them", "a in b", "a" + byte("in") + "b"],
    ["a space that keeps two operators apart stays", "a- -b", "a- -b"],
    ["so does the one that keeps two names apart", "var a=b instanceof c", byte("var") + "a=b" + byte("instanceof") + "c"],
    ["`catch` stays text (Espruino issue #1868)", "try{f()}catch(e){}", byte("try") + "{f()}catch(e){}"],
    ["an ASCII string becomes length and raw bytes", 'f("ab")', "f(" + String.fromCharCode(RAW_STRING8, 2) + "ab)"],
    ["escapes are decoded into the raw bytes", 'f("a\\nb")', "f(" + String.fromCharCode(RAW_STRING8, 3) + "a\nb)"],
    ["the empty string stays quoted (shorter)", 'f("")', 'f("")'],
    ["a one-digit integer stays text (shorter)", "f(5)", "f(5)"],
    ["zero is one byte", "f(0)", "f(" + String.fromCharCode(RAW_INT0) + ")"],
    ["up to 127: two bytes", "f(100)", "f(" + String.fromCharCode(RAW_INT8, 100) + ")"],
    ["up to 32767: three bytes, little-endian", "f(300)", "f(" + String.fromCharCode(RAW_INT16, 300 & 255, 300 >> 8) + ")"],
    ["1e4 and hex are integers too", "f(1e4,0x1ff)", "f(" + String.fromCharCode(RAW_INT16, 16, 39) + "," + String.fromCharCode(RAW_INT16, 255, 1) + ")"],
    ["no NUL byte: 128..255 and multiples of 256 stay text", "f(255,1024)", "f(255,1024)"],
    ["nor a string holding one", 'f("a\\0")', 'f("a\\0")'],
    ["32768 and fractions stay text", "f(32768,1.5)", "f(32768,1.5)"],
    ["a minus sign stays an operator", "f(-100)", "f(-" + String.fromCharCode(RAW_INT8, 100) + ")"],
    ["regular expressions stay text", "f(/a+b/g)", "f(/a+b/g)"],
    ["template literals stay text", "f(`x${a+1}y`)", "f(`x${a+1}y`)"],
    ["a newline between statements is kept", "a()\nb()", "a()\nb()"],
  ];
  it.each(cases)("%s", (_name, input, output) => {
    expect(bytesOf(tok(input))).toEqual(bytesOf(output));
    expect(checkPretokenised(input, tok(input))).toBeNull();
  });

  it("a string longer than 255 bytes takes a 16-bit length (and 512 bytes stays text: no NUL)", () => {
    expect(tok(`f("${"x".repeat(512)}")`)).toBe(`f("${"x".repeat(512)}")`);
    const s = "x".repeat(300);
    expect(bytesOf(tok(`f("${s}")`).slice(0, 5))).toEqual([..."f(".split("").map((c) => c.charCodeAt(0)), RAW_STRING16, 300 & 255, 300 >> 8]);
  });

  it("a non-ASCII string stays text (2v29 marks raw strings as not UTF-8)", () => {
    expect(() => tok('f("\u00e9")')).toThrow(/non-ASCII/);
    expect(tok('f("\\u00e9")')).toBe('f("\\u00e9")');
  });

  it("refuses firmware older than 2v26 (raw integers) and comments", () => {
    expect(() => pretokenise("f(1)", { firmware: "2v20" })).toThrow(/older than 2v26/);
    expect(pretokenise("f(1)", { firmware: "2v29" }).text).toBe("f(1)");
    expect(() => tok("a()/* x */;b()")).toThrow(/comments/);
  });
});

describe("checking", () => {
  it("catches a damaged encoding: a changed token byte, a cut string, a changed integer", () => {
    const code = 'if(a===b)return f("abc",300)';
    const t = tok(code);
    expect(checkPretokenised(code, t)).toBeNull();
    const at = t.indexOf(byte("==="));
    expect(checkPretokenised(code, t.slice(0, at) + byte("==") + t.slice(at + 1))).toMatch(/token/);
    const s = t.indexOf(String.fromCharCode(RAW_STRING8));
    expect(checkPretokenised(code, t.slice(0, s + 1) + "\x02" + t.slice(s + 2))).not.toBeNull();
    expect(checkPretokenised(code, t.replace(String.fromCharCode(RAW_INT16, 44, 1), String.fromCharCode(RAW_INT16, 45, 1)))).toMatch(/300/);
    expect(checkPretokenised(code, t + "\xff")).toMatch(/no token/);
  });

  it("every board's bundle decodes to its own tokens (the build checks this too)", async () => {
    for (const board of ["puckjs", "linux"]) {
      const r = await buildBoard(board, { write: false, sandbox: false });
      expect(r.stored).toBeTruthy();
      expect(checkPretokenised(r.code, r.stored)).toBeNull();
      expect(r.storedBytes).toBe(r.stored.length);
      expect(r.storedBytes).toBeLessThan(r.bytes * 0.9);
    }
  }, 60000);
});

/** Minified expressions over a, b, c with every operator that can merge with a neighbour. */
const expr: fc.Arbitrary<string> = fc.letrec<{ leaf: string; node: string }>((tie) => ({
  leaf: fc.oneof(
    fc.constantFrom("a", "b", "c", "0", "5", "127", "128", "300", "32767", "32768", "1.5", "1e4", '"s"', '"in"', '""', "void 0", "null", "!0"),
    fc.integer({ min: 0, max: 70000 }).map(String),
  ),
  node: fc.oneof(
    { depthSize: "small" },
    tie("leaf"),
    fc.tuple(fc.constantFrom("-", "+", "!", "~", "typeof ", "void "), tie("node")).map(([o, x]) => `${o}(${x})`),
    fc.tuple(tie("node"), fc.constantFrom("+", "-", "*", "%", "==", "===", "!=", "!==", "<", "<=", ">", ">=", "<<", ">>", ">>>", "&", "|", "^", "&&", "||", ","), tie("node")).map(([x, o, y]) => `(${x})${o}(${y})`),
    fc.tuple(tie("node"), tie("node"), tie("node")).map(([x, y, z]) => `(${x})?(${y}):(${z})`),
  ),
})).node;

function program(e: string): string {
  const src = `var a=3,b=-7,c="x",d=[1,2];d[0]+=2;d[1]--;print("OUT:"+String(${e})+","+d.join("|"));`;
  return esbuild.transformSync(src, { minify: true, target: "es2015" }).code.trim();
}

describe("behaviour", () => {
  it("generated minified expressions keep their tokens and their value (Node, through the decoder)", () => {
    fc.assert(
      fc.property(expr, (e) => {
        const code = program(e);
        const t = tok(code);
        expect(checkPretokenised(code, t)).toBeNull();
        expect(runNode(detokenise(t))).toBe(runNode(code));
      }),
      { numRuns: 300 },
    );
  });

  it.skipIf(!ESPRUINO_BIN)("the real interpreter prints the same for text and pretokenised programs", () => {
    const fixed = [
      'var a=5,b=-3,s="hello world, a long string kept in flash",o={default:1,"in":2};function f(x){try{throw new Error("E"+x)}catch(e){return e.message}}print("OUT:"+[a- -b,a-1,typeof s,s.length,o.default,o.in,f(300),/a+b/g.test("aab"),1e4,0x7fff,32768,-129,`t${a}`,a in o,void 0===undefined,a>>>1,a<<=2,a].join(","))',
      'var n=0;for(var i=0;i<300;i++)n+=i%7;switch(n%3){case 0:n="zero";break;default:n="other"}print("OUT:"+n+(typeof n=="string"?"s":"?"))',
    ];
    const programs = fixed.concat(fc.sample(expr, { numRuns: 40, seed: 4 }).map(program));
    expectSameOnEspruino(ESPRUINO_BIN, programs, [(code) => Buffer.from(tok(code), "latin1")]);
  }, 60000);
});
