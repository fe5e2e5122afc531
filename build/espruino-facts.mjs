// What Espruino 2v29 lacks, as data for the compatibility gate (build/gate.mjs) and the
// start-up sandbox (build/sandbox.mjs).
//
// Every entry was checked on the real Espruino 2v29 Linux interpreter with a small
// script (typeof probes for globals and members; a one-line program per construct), or
// is listed as missing in ../shared/espruino-profile.md. docs/boards.md lists the
// probes. Where 2v29 behaves differently from the profile, the comment says so.

/** Globals that do not exist (typeof is "undefined" in 2v29). `globalThis` and `global` DO exist. */
export var MISSING_GLOBALS = [
  "BigInt", "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Symbol",
  "Proxy", "Reflect", "TextEncoder", "TextDecoder", "setImmediate", "clearImmediate",
  "queueMicrotask", "structuredClone", "Intl", "AggregateError", "SharedArrayBuffer",
  "Atomics", "BigInt64Array", "BigUint64Array",
  // Error classes and URI helpers that 2v29 does not have (Error, TypeError, SyntaxError,
  // ReferenceError and InternalError exist).
  "RangeError", "EvalError", "URIError", "encodeURI", "decodeURI", "escape", "unescape",
  // Web/Node APIs that sometimes leak into shared code.
  "URL", "URLSearchParams", "fetch", "AbortController", "performance", "Buffer", "window",
  "self", "module", "exports", "WebAssembly",
];

/** Static members that are undefined in 2v29, by constructor. */
var TYPED = ["Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "Uint8ClampedArray"];
export var MISSING_STATICS = {
  Array: ["from", "of"],
  Number: ["isInteger", "isSafeInteger", "isFinite", "isNaN", "parseFloat", "parseInt", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER", "EPSILON"],
  ArrayBuffer: ["isView"],
  Object: ["freeze", "isFrozen", "seal", "isSealed", "preventExtensions", "isExtensible", "getOwnPropertySymbols", "is", "hasOwn", "groupBy"],
  Math: ["imul", "clz32", "fround", "trunc", "log2", "log10", "log1p", "expm1", "hypot", "cbrt", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh"],
  Promise: ["allSettled", "any", "race", "withResolvers"],
  String: ["fromCodePoint", "raw"],
  Date: ["UTC"],
  Error: ["captureStackTrace"],
};
for (var t of TYPED) MISSING_STATICS[t] = ["from", "of", "BYTES_PER_ELEMENT"];

/**
 * Built-in constructors. `X.prototype.m` read as a value is undefined in 2v29 for these
 * (methods live in the interpreter's symbol tables, reachable only through an instance),
 * and `class A extends X` fails at `super(...)` ("Calling 'super' outside of class").
 */
export var BUILTIN_CONSTRUCTORS = [
  "Object", "Function", "Array", "String", "Number", "Boolean", "Date", "RegExp", "Promise",
  "Error", "TypeError", "SyntaxError", "ReferenceError", "InternalError", "ArrayBuffer",
  "DataView", "Pin", "I2C", "SPI", "Serial", "Graphics",
].concat(TYPED);

/** `X.prototype.<name>` reads that do work in 2v29 (inherited from Object.prototype). */
export var PROTOTYPE_MEMBERS_OK = ["hasOwnProperty", "toString", "valueOf"];

/**
 * Method names that no built-in object of 2v29 has (checked on arrays, strings, typed
 * arrays, promises, numbers, DataView). A call `x.name(...)` is rejected unless the bundle
 * itself defines a property or method of that name. Ambiguous names (keys, values,
 * entries, lastIndexOf: present on some types) are not listed.
 */
export var MISSING_METHODS = [
  "flat", "flatMap", "at", "findLast", "findLastIndex", "copyWithin", "reduceRight",
  "codePointAt", "matchAll", "trimStart", "trimEnd", "trimLeft", "trimRight", "normalize",
  "localeCompare", "search", "toSorted", "toReversed", "toSpliced", "finally",
  "toPrecision", "toExponential", "getBigInt64", "getBigUint64", "setBigInt64", "setBigUint64",
];

/**
 * Espruino's lexer reserves these words (src/jslex.h, LEX_R_*). `of` and `static` are not
 * reserved in standard JavaScript, so esbuild's minifier may choose `of` as a short name;
 * 2v29 then fails with "Got of expected ID". They are also invalid as class member names
 * and as getter/setter names.
 */
export var ESPRUINO_RESERVED = [
  "if", "else", "do", "while", "for", "break", "continue", "function", "return", "var",
  "let", "const", "this", "throw", "try", "catch", "finally", "true", "false", "null",
  "undefined", "new", "in", "instanceof", "switch", "case", "default", "delete", "typeof",
  "void", "debugger", "class", "extends", "super", "static", "of",
];
/** Words that are identifiers in JavaScript (script or module) but reserved in Espruino. */
export var ESPRUINO_ONLY_RESERVED = ["of", "static", "let", "undefined"];

/**
 * Board-specific globals: a reference to one of these is rejected on a board whose
 * profile (boards/<name>.json, field "globals") does not list it.
 */
export var BOARD_GLOBALS = [
  "NRF", "Bluetooth", "Puck", "Pixl", "Bangle", "LED1", "LED2", "LED3", "BTN", "BTN1",
  "BTN2", "BTN3", "BTN4", "I2C1", "I2C2", "I2C3", "Serial1", "Serial2", "USB", "g",
];

/** Prototype methods that 2v29 lacks; the sandbox deletes them so start-up code that calls them fails. */
export var MISSING_PROTOTYPE_METHODS = {
  Array: ["flat", "flatMap", "at", "findLast", "findLastIndex", "copyWithin", "reduceRight", "lastIndexOf", "toSorted", "toReversed", "toSpliced", "with"],
  String: ["codePointAt", "matchAll", "trimStart", "trimEnd", "trimLeft", "trimRight", "normalize", "localeCompare", "search", "at", "isWellFormed", "toWellFormed"],
  TypedArray: ["lastIndexOf", "copyWithin", "at", "findLast", "findLastIndex", "toSorted", "toReversed", "with"],
  Promise: ["finally"],
  Number: ["toPrecision", "toExponential"],
  ArrayBuffer: ["slice", "resize", "transfer"],
  DataView: ["getBigInt64", "getBigUint64", "setBigInt64", "setBigUint64"],
};

/** Espruino regular expressions: only these flags do anything; s and d are syntax errors, m/y/u are silently ignored. */
export var REGEXP_FLAGS_OK = "gi";
