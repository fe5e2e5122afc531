// The device-build source transform: perr messages become "", test tracing disappears,
// line numbers stay.
import { expect, it } from "vitest";
// @ts-ignore JavaScript module
import { stripCalls, stripMessages } from "../../build/strip.mjs";

it("replaces perr messages, keeps codes, details, declarations and line count", () => {
  const src = 'function perr(code, message) {}\nthrow perr("X_BAD", "too " + f(a, b) +\n  "long", { d: 1 });\nperr("Y", `t,${x}`);';
  const out = stripMessages(src);
  expect(out).toBe('function perr(code, message) {}\nthrow perr("X_BAD", ""\n, { d: 1 });\nperr("Y", "");');
  expect(out.split("\n").length).toBe(src.split("\n").length);
});

it("removes trace statements with any number of arguments, not the declaration", () => {
  const src = 'function trace(n, v) { hook(n, v); }\na();\n  trace("TH_2", f(1,\n 2));\ntrace(x);\nb.trace(y);';
  const out = stripCalls(src, "trace");
  expect(out).toBe('function trace(n, v) { hook(n, v); }\na();\n  \n\n\nb.trace(y);');
  expect(out.split("\n").length).toBe(src.split("\n").length);
});
