// The device-build source transform: perr messages become "", test tracing disappears,
// line numbers stay.
import { expect, it } from "vitest";
// @ts-ignore JavaScript module
import { inlineDevice, longCode, shortenCodes, stripCalls, stripMessages } from "../../build/strip.mjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";

it("replaces perr messages, keeps codes, details, declarations and line count", () => {
  const src = 'function perr(code, message) {}\nthrow perr("X_BAD", "too " + f(a, b) +\n  "long", { d: 1 });\nperr("Y", `t,${x}`);';
  const out = stripMessages(src);
  expect(out).toBe('function perr(code, message) {}\nthrow perr("X_BAD",0\n, { d: 1 });\nperr("Y");');
  expect(out.split("\n").length).toBe(src.split("\n").length);
});

it("removes trace statements with any number of arguments, not the declaration", () => {
  const src = 'function trace(n, v) { hook(n, v); }\na();\n  trace("TH_2", f(1,\n 2));\ntrace(x);\nb.trace(y);';
  const out = stripCalls(src, "trace");
  expect(out).toBe('function trace(n, v) { hook(n, v); }\na();\n  \n\n\nb.trace(y);');
  expect(out.split("\n").length).toBe(src.split("\n").length);
});

it("shortens error codes and family prefixes consistently, and maps them back", () => {
  const out = shortenCodes(`throw perr("EDHOC_MALFORMED", "m"); if (c.indexOf("CBOR_") === 0 || c === 'SE_COMM_CRC') x("TH_2", "MAC_" + m);`);
  const e = /perr\("(\w+)"/.exec(out)![1];
  expect(e).toMatch(/^E\d+$/);
  expect(longCode(e)).toBe("EDHOC_MALFORMED");
  expect(out).toContain('c.indexOf("B") === 0');
  expect(longCode(/c === '(\w+)'/.exec(out)![1])).toBe("SE_COMM_CRC");
  expect(out).toContain('x("TH_2", "MAC_" + m)'); // not error codes
  expect(longCode("NOT_SHORT")).toBe("NOT_SHORT");
});

it("refuses a code the table lacks, and the table is one-to-one with one letter per family", () => {
  expect(() => shortenCodes('perr("PAIR_SOMETHING_NEW", "")', "x.ts")).toThrow(/PAIR_SOMETHING_NEW is not in build\/error-codes.json/);
  const t = JSON.parse(readFileSync(join(__dirname, "../../build/error-codes.json"), "utf8"));
  const shorts = Object.values(t.codes) as string[];
  expect(new Set(shorts).size).toBe(shorts.length);
  const letters = Object.values(t.families) as string[];
  expect(new Set(letters).size).toBe(letters.length);
  for (const [code, short] of Object.entries(t.codes) as [string, string][]) {
    expect(short[0]).toBe(t.families[code.slice(0, code.indexOf("_"))]);
  }
});

it("makes DEVICE a literal where it is imported, so the minifier can drop host-only blocks", () => {
  const src = 'import { DEVICE } from "../target";\nif (!DEVICE) hostOnly();\nvar x = o.DEVICE || DEVICE ? 1 : 2;';
  expect(inlineDevice(src, "/r/src/core/edhoc/edhoc.ts")).toBe('\nif (!true) hostOnly();\nvar x = o.DEVICE || true ? 1 : 2;');
  expect(inlineDevice("var DEVICE = 1; f(DEVICE);", "/r/src/x.ts")).toBe("var DEVICE = 1; f(DEVICE);"); // not the imported one
});
