// Board profiles (boards/<name>.json): loading, validation and the esbuild `define`s
// that bake one board into a device bundle.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export var ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export var BOARDS_DIR = join(ROOT, "boards");
export var TRANSPORTS = ["ble", "tcp", "usb-serial", "none"];

/**
 * Storage a firmware must leave for the device's own files: its configuration and its
 * bindings and deny-list records, each record in two copies while it is updated
 * (src/core/store/records.ts), at the sizes a product reaches in use (about 500 and 1,200
 * bytes; docs/device-memory.md). `pairkit flash` warns below the same figure.
 */
export var RECORDS_RESERVE = 4096;

/**
 * What files of these sizes take in an Espruino Storage of storageBytes, and what is left:
 * each file has a 32-byte header and is padded to 4 bytes (src/jsflash.c, 2v29; checked
 * against getStats() on the interpreter by test/store/espruino.test.ts).
 */
export function storageFit(storageBytes, sizes) {
  var need = 0;
  for (var n of sizes) need += 32 + Math.ceil(n / 4) * 4;
  return { need: need, left: storageBytes - need };
}

/** Board names in a stable order: the smallest first, linux last. */
export var BOARD_ORDER = ["puckjs", "pixljs", "mdbt42q", "banglejs2", "pico", "wifi", "linux"];

export function listBoards() {
  var found = readdirSync(BOARDS_DIR).filter(function (f) { return f.endsWith(".json"); }).map(function (f) { return f.slice(0, -5); });
  return found.sort(function (a, b) {
    var ia = BOARD_ORDER.indexOf(a), ib = BOARD_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : a > b ? 1 : 0);
  });
}

/** Problems with a profile (missing or mistyped fields); an empty array when it is usable. */
export function validateBoard(b) {
  var errs = [];
  function need(k, type) {
    if (typeof b[k] !== type) errs.push(k + " must be a " + type);
  }
  need("name", "string");
  need("chip", "string");
  need("jsVars", "number");
  need("storageBytes", "number");
  need("budgetBytes", "number");
  need("budgetVars", "number");
  need("transport", "string");
  if (TRANSPORTS.indexOf(b.transport) < 0) errs.push("transport must be one of " + TRANSPORTS.join(", "));
  if (!Array.isArray(b.buttons) || b.buttons.length === 0) errs.push("buttons must list at least one button");
  if (!Array.isArray(b.leds)) errs.push("leds must be an array");
  if (!b.secureElement || typeof b.secureElement.bus !== "string") errs.push("secureElement.bus is required");
  if (!b.crypto || typeof b.crypto.sha256 !== "boolean" || typeof b.crypto.aes !== "boolean") errs.push("crypto.sha256 and crypto.aes are required booleans");
  if (!Array.isArray(b.modules) || b.modules.indexOf("Storage") < 0) errs.push("modules must list at least Storage");
  if (!Array.isArray(b.globals)) errs.push("globals must be an array");
  if (b.budgetBytes > b.storageBytes) errs.push("budgetBytes exceeds storageBytes");
  if (b.budgetVars > b.jsVars) errs.push("budgetVars exceeds jsVars");
  return errs;
}

export function loadBoard(name) {
  var text;
  try {
    text = readFileSync(join(BOARDS_DIR, name + ".json"), "utf8");
  } catch (e) {
    throw new Error("unknown board \"" + name + "\" (boards/ has " + listBoards().join(", ") + ")");
  }
  var b = JSON.parse(text);
  var errs = validateBoard(b);
  if (errs.length) throw new Error("boards/" + name + ".json: " + errs.join("; "));
  return b;
}

// Fields that only the build and the docs use; every byte of PK_BOARD ships to the device.
var BUILD_ONLY = ["notes", "title", "native", "modules", "globals", "espruinoBoard", "firmware", "cpuMHz", "ramKB"];

/** What the firmware sees as PK_BOARD: the profile without build-only and documentation fields. */
export function runtimeProfile(b) {
  // Only what the firmware reads at run time: every byte of this literal ships.
  var se = b.secureElement || {};
  var out = {
    name: b.name,
    transport: b.transport,
    buttons: (b.buttons || []).map(function (x) { return { pin: x.pin, activeHigh: x.activeHigh, virtual: !!x.virtual }; }),
    leds: (b.leds || []).map(function (x) { return { pin: x.pin }; }),
    secureElement: { bus: se.bus, sda: se.sda, scl: se.scl, address: se.address, bitrate: se.bitrate },
  };
  return out;
}

/**
 * esbuild `define`s for one board. Code under `if (PK_NATIVE_AES) {...}` or
 * `if (PK_TRANSPORT === "ble") {...}` disappears from bundles of boards without it.
 */
export function boardDefines(b, opts) {
  opts = opts || {};
  return {
    PK_BOARD: JSON.stringify(runtimeProfile(b)),
    // The same as a string to parse: esbuild hoists an object define into a top-level
    // variable, which would keep the whole profile alive (25 variables on 2v29).
    PK_BOARD_JSON: JSON.stringify(JSON.stringify(runtimeProfile(b))),
    PK_BOARD_NAME: JSON.stringify(b.name),
    PK_NATIVE_SHA256: String(!!b.crypto.sha256),
    PK_NATIVE_AES: String(!!b.crypto.aes),
    PK_TRANSPORT: JSON.stringify(b.transport),
    PK_DEBUG: String(!!opts.debug),
    PK_DEVICE: "true",
  };
}
