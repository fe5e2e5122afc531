// Runs a device bundle's start-up in a Node `vm` context shaped like Espruino 2v29: the
// JavaScript intrinsics Espruino lacks (Map, Set, Symbol, BigInt, Proxy, Reflect,
// TextEncoder, Array.from, Math.imul, Promise.prototype.finally, ...) are deleted, and
// the Espruino globals a board has (E, process.memory(), require("Storage"/"crypto"/"net"),
// setWatch, timers, LEDs, buttons, I2C, NRF on Bluetooth boards) are small fakes.
//
// It catches what a static check cannot see: a missing global or API reached at run time
// (ReferenceError, "X.from is not a function"). Other exceptions are reported as
// warnings, because the fakes are not the real hardware.
//
// Start-up = the top-level code, E.on("init") handlers, then timers and promise jobs on a
// virtual clock (opts.timeMs, default 3000 ms); with opts.pressButtons (default true)
// every setWatch handler is then fired once and the clock runs again.
import vm from "node:vm";
import { createHash, createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { MISSING_GLOBALS, MISSING_STATICS, MISSING_PROTOTYPE_METHODS } from "./espruino-facts.mjs";

// Intrinsics of newer V8 versions that Espruino does not have either.
var EXTRA_MISSING = ["Iterator", "SuppressedError", "DisposableStack", "AsyncDisposableStack", "Float16Array", "Temporal"];

var PROMISE_SRC = `(function (enqueue, unhandled) {
  function resolvers(p) {
    var called = false;
    return [function (v) { if (called) return; called = true; resolveWith(p, v); },
            function (e) { if (called) return; called = true; settle(p, 2, e); }];
  }
  function Promise(executor) {
    if (!(this instanceof Promise)) throw new TypeError("Promise needs new");
    this._s = 0; this._v = undefined; this._h = []; this._handled = false;
    var r = resolvers(this);
    try { executor(r[0], r[1]); } catch (e) { r[1](e); }
  }
  function resolveWith(p, v) {
    if (v === p) { settle(p, 2, new TypeError("Promise resolved with itself")); return; }
    if (v !== null && (typeof v === "object" || typeof v === "function")) {
      var then;
      try { then = v.then; } catch (e) { settle(p, 2, e); return; }
      if (typeof then === "function") {
        var r = resolvers(p);
        enqueue(function () { try { then.call(v, r[0], r[1]); } catch (e) { r[1](e); } });
        return;
      }
    }
    settle(p, 1, v);
  }
  function settle(p, s, v) {
    if (p._s) return;
    p._s = s; p._v = v;
    var h = p._h; p._h = null;
    for (var i = 0; i < h.length; i++) schedule(p, h[i]);
    if (s === 2) enqueue(function () { if (!p._handled) unhandled(v); });
  }
  function schedule(p, h) {
    enqueue(function () {
      var cb = p._s === 1 ? h.f : h.r;
      if (typeof cb !== "function") { if (p._s === 1) h.res(p._v); else h.rej(p._v); return; }
      var x;
      try { x = cb(p._v); } catch (e) { h.rej(e); return; }
      h.res(x);
    });
  }
  Promise.prototype.then = function (f, r) {
    var out = new Promise(function () {});
    var rs = resolvers(out);
    var h = { f: f, r: r, res: rs[0], rej: rs[1] };
    this._handled = true;
    if (this._s) schedule(this, h); else this._h.push(h);
    return out;
  };
  Promise.prototype.catch = function (r) { return this.then(undefined, r); };
  Promise.resolve = function (v) { if (v instanceof Promise) return v; return new Promise(function (res) { res(v); }); };
  Promise.reject = function (e) { return new Promise(function (res, rej) { rej(e); }); };
  Promise.all = function (arr) {
    return new Promise(function (res, rej) {
      var n = arr.length, out = new Array(n);
      if (!n) { res(out); return; }
      arr.forEach(function (x, i) { Promise.resolve(x).then(function (v) { out[i] = v; if (--n === 0) res(out); }, rej); });
    });
  };
  return Promise;
})`;

function pinNames(board) {
  var names = [];
  var i;
  if (board.name === "linux") {
    for (i = 0; i < 32; i++) names.push("D" + i);
    return names;
  }
  for (i = 0; i < 48; i++) names.push("D" + i);
  for (var port of ["A", "B", "C"]) for (i = 0; i < 16; i++) names.push(port + i);
  for (i = 0; i < 10; i++) names.push("H" + i);
  return names;
}

/**
 * @param {string} code the bundle (the linux bundle is the natural choice: it is what the real-interpreter tests run)
 * @param {object} board a profile from boards/<name>.json
 * @param {{ file?: string, timeMs?: number, pressButtons?: boolean, maxCallbacks?: number, storage?: Record<string, string> }} [opts]
 */
export async function runStartupInSandbox(code, board, opts) {
  opts = Object.assign({ file: "firmware.js", timeMs: 3000, pressButtons: true, maxCallbacks: 5000 }, opts || {});
  var file = opts.file;
  var problems = [];
  var warnings = [];
  var output = [];
  var unfaked = new Set();
  var modules = new Set(board.modules || []);
  var boardGlobals = new Set(board.globals || []);
  var crypto = board.crypto || {};

  var ctx = vm.createContext({}, { name: "espruino-" + board.name });
  var R = vm.runInContext("({ Uint8Array: Uint8Array, ArrayBuffer: ArrayBuffer, Error: Error, TypeError: TypeError, ReferenceError: ReferenceError, Object: Object, Array: Array })", ctx);

  // --- virtual clock: timers and promise jobs share one queue, ordered by (time, sequence);
  // Espruino runs a promise job after timers that are already due (checked on 2v29).
  var now = 0;
  var seq = 0;
  var queue = [];
  var nextId = 1;
  var callbacks = 0;
  var stopped = false;
  function push(at, fn, args, interval, id) {
    queue.push({ at: at, seq: seq++, fn: fn, args: args || [], interval: interval, id: id || nextId++ });
    return queue[queue.length - 1].id;
  }
  function enqueue(fn) { push(now, fn, [], 0, 0); }

  function where(e) {
    var m = e && typeof e.stack === "string" ? new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + ":(\\d+):(\\d+)").exec(e.stack) : null;
    return m ? { line: +m[1], column: +m[2] } : { line: 0, column: 0 };
  }
  var missingMembers = new Set();
  for (var k of Object.keys(MISSING_STATICS)) for (var m of MISSING_STATICS[k]) missingMembers.add(m);
  for (var k2 of Object.keys(MISSING_PROTOTYPE_METHODS)) for (var m2 of MISSING_PROTOTYPE_METHODS[k2]) missingMembers.add(m2);

  function classify(e, phase) {
    var name = e && e.constructor && e.constructor.name;
    var msg = e && e.message !== undefined ? String(e.message) : String(e);
    var pos = where(e);
    if (name === "ReferenceError") {
      problems.push({ construct: "runtime-missing-global", message: "ReferenceError during " + phase + ": " + msg + " (not in Espruino 2v29)", line: pos.line, column: pos.column, file: file });
      return;
    }
    var fm = name === "TypeError" ? /([\w$.]+) is not a (function|constructor)/.exec(msg) : null;
    if (fm) {
      var member = fm[1].split(".").pop();
      if (missingMembers.has(member)) {
        problems.push({ construct: "runtime-missing-api", message: "TypeError during " + phase + ": " + msg + " (`" + member + "` does not exist in Espruino 2v29)", line: pos.line, column: pos.column, file: file });
        return;
      }
    }
    if (e && e.__pkNotFound) {
      problems.push({ construct: "runtime-require", message: msg + " during " + phase, line: pos.line, column: pos.column, file: file });
      return;
    }
    warnings.push({ construct: "runtime-exception", message: (name || "Error") + " during " + phase + ": " + msg + " (the sandbox fakes may be the cause)", line: pos.line, column: pos.column, file: file });
  }

  function call(fn, args, phase) {
    if (typeof fn !== "function") return;
    callbacks++;
    try {
      fn.apply(undefined, args || []);
    } catch (e) {
      classify(e, phase);
    }
  }

  function run(limitMs, phase) {
    var end = now + limitMs;
    while (!stopped && queue.length && callbacks < opts.maxCallbacks) {
      var best = 0;
      for (var i = 1; i < queue.length; i++) {
        var q = queue[i];
        if (q.at < queue[best].at || (q.at === queue[best].at && q.seq < queue[best].seq)) best = i;
      }
      var t = queue[best];
      if (t.at > end) break;
      queue.splice(best, 1);
      now = t.at;
      if (t.interval > 0) push(now + t.interval, t.fn, t.args, t.interval, t.id);
      call(t.fn, t.args, phase);
    }
    if (now < end) now = end;
  }

  // --- Espruino globals
  function toBytes(x) {
    if (typeof x === "string") return Buffer.from(x, "latin1");
    if (x instanceof R.ArrayBuffer || x instanceof ArrayBuffer) return Buffer.from(new Uint8Array(x));
    if (x && typeof x.length === "number") return Buffer.from(Array.prototype.slice.call(x));
    return Buffer.alloc(0);
  }
  function toAB(buf) {
    var u = new R.Uint8Array(buf.length);
    for (var i = 0; i < buf.length; i++) u[i] = buf[i];
    return u.buffer;
  }
  function u8(buf) { return new R.Uint8Array(toAB(buf)); }
  function notFound(name) {
    var e = new R.Error("Module \"" + name + "\" not found");
    e.__pkNotFound = true;
    return e;
  }
  function printable(a) {
    return Array.prototype.map.call(a, function (x) { return typeof x === "string" ? x : (function () { try { return JSON.stringify(x); } catch (e) { return String(x); } })(); }).join(" ");
  }
  function noop() {}
  function stub(name, methods) {
    var o = {};
    for (var mm of methods) o[mm] = noop;
    o.toString = function () { return name; };
    return o;
  }

  var storage = new Map(Object.entries(opts.storage || {}));
  var Storage = {
    read: function (n, off, len) { var v = storage.get(n); if (v === undefined) return undefined; return v.substr(off || 0, len === undefined ? v.length : len); },
    readJSON: function (n, noExceptions) { var v = storage.get(n); if (v === undefined) return undefined; try { return vm.runInContext("JSON.parse", ctx)(v); } catch (e) { if (noExceptions) return undefined; throw e; } },
    readArrayBuffer: function (n) { var v = storage.get(n); return v === undefined ? undefined : toAB(Buffer.from(v, "latin1")); },
    write: function (n, data, offset, size) {
      var s = typeof data === "string" ? data : toBytes(data).toString("latin1");
      if (offset === undefined || offset === 0 && size === undefined) { storage.set(n, s); return true; }
      var cur = storage.get(n) || "\xff".repeat(size || 0);
      storage.set(n, cur.substr(0, offset) + s + cur.substr(offset + s.length));
      return true;
    },
    writeJSON: function (n, v) { storage.set(n, vm.runInContext("JSON.stringify", ctx)(v)); return true; },
    erase: function (n) { storage.delete(n); },
    list: function (re) { var out = new R.Array(); for (var key of storage.keys()) if (!re || re.test(key)) out.push(key); return out; },
    getFree: function () { return Math.max(0, (board.storageBytes || 40960) - Array.from(storage.values()).reduce(function (a, v) { return a + v.length + 32; }, 0)); },
    getStats: function () { return { totalBytes: board.storageBytes || 40960, freeBytes: Storage.getFree(), fileBytes: 0, fileCount: storage.size, trashBytes: 0, trashCount: 0 }; },
    compact: noop,
    eraseAll: function () { storage.clear(); },
    hash: function () { return 0; },
    open: function (n, mode) {
      if (mode === "w") storage.set(n + "\x01", "");
      return { read: function () { return undefined; }, readLine: function () { return undefined; }, write: function (s) { storage.set(n + "\x01", (storage.get(n + "\x01") || "") + s); }, erase: function () { storage.delete(n + "\x01"); }, getLength: function () { return (storage.get(n + "\x01") || "").length; } };
    },
  };

  function aes(encrypt) {
    return function (data, key, options) {
      var mode = (options && options.mode) || "CBC";
      var modes = crypto.aesModes || [];
      if (modes.indexOf(mode) < 0) throw new R.Error("Unsupported AES mode " + mode + " on " + board.name);
      var alg = "aes-128-" + mode.toLowerCase();
      var iv = mode === "ECB" ? null : toBytes(options && options.iv !== undefined ? options.iv : new Uint8Array(16));
      if (iv && iv.length < 16) iv = Buffer.concat([iv, Buffer.alloc(16 - iv.length)]);
      var c = encrypt ? createCipheriv(alg, toBytes(key), iv) : createDecipheriv(alg, toBytes(key), iv);
      c.setAutoPadding(false);
      var d = toBytes(data);
      if ((mode === "ECB" || mode === "CBC") && d.length % 16) d = Buffer.concat([d, Buffer.alloc(16 - (d.length % 16))]);
      return toAB(Buffer.concat([c.update(d), c.final()]));
    };
  }
  var cryptoModule = {};
  if (crypto.sha256) cryptoModule.SHA256 = function (d) { return toAB(createHash("sha256").update(toBytes(d)).digest()); };
  cryptoModule.SHA1 = function (d) { return toAB(createHash("sha1").update(toBytes(d)).digest()); };
  if (crypto.aes || crypto.aesCcm) {
    cryptoModule.AES = {};
    if (crypto.aes) {
      cryptoModule.AES.encrypt = aes(true);
      cryptoModule.AES.decrypt = aes(false);
    }
    if (crypto.aesCcm) {
      cryptoModule.AES.ccmEncrypt = function (msg, key, iv, tagLen) {
        var c = createCipheriv("aes-128-ccm", toBytes(key), toBytes(iv), { authTagLength: tagLen });
        var data = Buffer.concat([c.update(toBytes(msg)), c.final()]);
        return { data: toAB(data), tag: toAB(c.getAuthTag()) };
      };
      cryptoModule.AES.ccmDecrypt = function (msg, key, iv, tag) {
        try {
          var t = toBytes(tag);
          var dc = createDecipheriv("aes-128-ccm", toBytes(key), toBytes(iv), { authTagLength: t.length });
          dc.setAuthTag(t);
          return toAB(Buffer.concat([dc.update(toBytes(msg)), dc.final()]));
        } catch (e) {
          return null;
        }
      };
    }
  }
  if (crypto.pbkdf2) cryptoModule.PBKDF2 = function (pass, salt, o) {
    var ks = (o && o.keySize) || 4;
    var it = (o && o.iterations) || 1;
    var h = ((o && o.hasher) || "SHA1").toLowerCase();
    return toAB(pbkdf2Sync(toBytes(pass), toBytes(salt), it, ks * 4, h));
  };

  function socket() {
    var s = { on: function (ev, fn) { (s._ev[ev] = s._ev[ev] || []).push(fn); return s; }, write: noop, end: noop, destroy: noop, _ev: {} };
    return s;
  }
  var netModule = {
    connect: function (o, cb) { output.push("[net.connect " + JSON.stringify(o) + "]"); return socket(); },
    createServer: function (cb) { return { listen: function (p) { output.push("[net.listen " + p + "]"); return this; }, close: noop, on: noop }; },
  };
  var wifiModule = { connect: function (ssid, o, cb) { if (typeof cb === "function") push(now + 10, cb, []); }, disconnect: noop, getIP: function (cb) { if (cb) push(now, cb, [null, { ip: "192.168.0.2" }]); }, on: noop, scan: noop, startAP: noop, stopAP: noop };

  var modulesObj = {
    Storage: Storage, crypto: cryptoModule, net: netModule, Wifi: wifiModule,
    Flash: stub("Flash", ["read", "write", "erasePage", "getPage", "getFree"]),
    heatshrink: { compress: function (x) { return x; }, decompress: function (x) { return x; } },
  };
  function req(name) {
    if (typeof name !== "string" || !modules.has(name)) throw notFound(name);
    if (!(name in modulesObj)) unfaked.add("require(\"" + name + "\")");
    return modulesObj[name] || {};
  }

  var events = new Map();
  // Where the firmware put the REPL (E.setConsole), and the Bluetooth disconnects it asked for.
  var consoleAt = null;
  var bleDisconnects = 0;
  var E = {
    hwRand: function () { return randomBytes(4).readInt32LE(0); },
    on: function (ev, fn) { (events.get(ev) || events.set(ev, []).get(ev)).push(fn); },
    removeListener: function (ev, fn) { var l = events.get(ev) || []; var i = l.indexOf(fn); if (i >= 0) l.splice(i, 1); },
    removeAllListeners: function (ev) { events.delete(ev); },
    emit: function (ev) { var a = Array.prototype.slice.call(arguments, 1); for (var fn of events.get(ev) || []) call(fn, a, "E.emit(" + ev + ")"); },
    getTemperature: function () { return 25; },
    kickWatchdog: noop, enableWatchdog: noop, setFlags: noop, getFlags: function () { return {}; },
    setTimeZone: noop, reboot: function () { stopped = true; },
    setConsole: function (d, o) { consoleAt = { device: d === null ? null : String(d), force: !!(o && o.force) }; },
    toUint8Array: function () {
      var parts = [];
      for (var a of arguments) parts.push(typeof a === "number" ? Buffer.from([a & 255]) : toBytes(a));
      return u8(Buffer.concat(parts));
    },
    toString: function () { var parts = []; for (var a of arguments) parts.push(typeof a === "number" ? Buffer.from([a & 255]) : toBytes(a)); return Buffer.concat(parts).toString("latin1"); },
    toArrayBuffer: function (s) { return toAB(Buffer.from(String(s), "latin1")); },
    toJS: function (x) { return JSON.stringify(x); },
    getSizeOf: function () { return 1; },
    errorFlag: noop, getErrorFlags: function () { return new R.Array(); },
    defrag: noop, dumpLockedVars: noop, getAddressOf: function () { return 0; },
  };

  var total = board.jsVars || 4096;
  var proc = {
    memory: function () { return { free: total - 500, usage: 500, total: total, history: 0, gc: 0, gctime: 0, blocksize: 14 }; },
    env: { VERSION: "2v29", BOARD: board.espruinoBoard || board.name, MODULES: Array.from(modules).join(","), SERIAL: "00000000-00000000" },
    version: "2v29",
    on: noop,
  };

  var watches = [];
  var g = ctx;
  g.print = function () { output.push(printable(arguments)); };
  g.console = { log: g.print, info: g.print, warn: g.print, error: g.print, debug: g.print, trace: g.print };
  g.E = E;
  g.process = proc;
  g.require = req;
  g.setTimeout = function (fn, ms) { return push(now + Math.max(0, +ms || 0), fn, Array.prototype.slice.call(arguments, 2), 0); };
  g.setInterval = function (fn, ms) { var iv = Math.max(1, +ms || 0); return push(now + iv, fn, Array.prototype.slice.call(arguments, 2), iv); };
  g.clearTimeout = g.clearInterval = function (id) {
    if (id === undefined) { queue = queue.filter(function (q) { return q.id === 0; }); return; }
    queue = queue.filter(function (q) { return q.id !== id; });
  };
  g.changeInterval = function (id, ms) { for (var q of queue) if (q.id === id) { q.interval = ms; q.at = now + ms; } };
  g.setWatch = function (fn, pin, o) { var id = nextId++; watches.push({ id: id, fn: fn, pin: String(pin), opts: o || {} }); return id; };
  g.clearWatch = function (id) { watches = id === undefined ? [] : watches.filter(function (w) { return w.id !== id; }); };
  var pinState = new Map();
  g.digitalWrite = function (pin, v) { pinState.set(String(pin), v ? 1 : 0); };
  g.digitalRead = function (pin) { return pinState.get(String(pin)) || 0; };
  g.digitalPulse = noop; g.pinMode = noop; g.getPinMode = function () { return "input"; };
  g.analogRead = function () { return 0; }; g.analogWrite = noop;
  g.getTime = function () { return 1700000000 + now / 1000; };
  g.setTime = noop; g.setDeepSleep = noop; g.setSleepIndicator = noop; g.setBusyIndicator = noop;
  g.peek8 = g.peek16 = g.peek32 = function () { return 0; }; g.poke8 = g.poke16 = g.poke32 = noop;
  g.load = function () { stopped = true; }; g.save = noop; g.reset = noop; g.dump = noop; g.edit = noop; g.trace = noop;
  g.btoa = function (s) { return Buffer.from(String(s), "latin1").toString("base64"); };
  g.atob = function (s) { return Buffer.from(String(s), "base64").toString("latin1"); };
  g.Modules = { addCached: noop, removeCached: noop, removeAllCached: noop, getCached: function () { return new R.Array(); } };
  function makeI2C() {
    return {
      setup: noop,
      writeTo: function (addr, data) { output.push("[i2c write 0x" + (addr & 255).toString(16) + "]"); },
      readFrom: function (addr, n) { return new R.Uint8Array(n); },
    };
  }
  g.I2C = function I2C() { return makeI2C(); };
  g.Pin = function Pin(p) { return String(p); };
  function pinObj(name) {
    return { write: function (v) { pinState.set(name, v ? 1 : 0); }, set: function () { pinState.set(name, 1); }, reset: function () { pinState.set(name, 0); }, read: function () { return pinState.get(name) || 0; }, toggle: function () { pinState.set(name, pinState.get(name) ? 0 : 1); }, mode: noop, getInfo: function () { return {}; }, toString: function () { return name; } };
  }
  for (var pn of pinNames(board)) g[pn] = pinObj(pn);
  for (var led of board.leds || []) if (led.name && boardGlobals.has(led.name)) g[led.name] = pinObj(led.pin || led.name);
  for (var btn of board.buttons || []) {
    if (btn.name && boardGlobals.has(btn.name)) g[btn.name] = pinObj(btn.pin || btn.name);
    if (boardGlobals.has("BTN") && !g.BTN) g.BTN = pinObj(btn.pin || btn.name);
  }
  for (var bus of ["I2C1", "I2C2", "I2C3"]) if (boardGlobals.has(bus)) g[bus] = makeI2C();
  for (var ser of ["Serial1", "Serial2", "USB", "Bluetooth"]) if (boardGlobals.has(ser) || (ser === "Bluetooth" && boardGlobals.has("NRF")))
    g[ser] = stub(ser, ["setup", "on", "write", "print", "println", "setConsole", "available", "read", "pipe", "removeListener", "removeAllListeners"]);
  if (boardGlobals.has("NRF")) {
    var NRF = stub("NRF", ["setServices", "updateServices", "setAdvertising", "setScan", "findDevices", "disconnect", "on", "removeListener", "removeAllListeners",
      "setSecurity", "setTxPower", "setConnectionInterval", "setLowPowerConnection", "sleep", "wake", "restart", "setAddress", "setScanResponse", "nfcURL", "nfcRaw", "nfcStop", "ancsIsActive"]);
    NRF.getAddress = function () { return "aa:bb:cc:dd:ee:ff public"; };
    NRF.getSecurityStatus = function () { return { connected: false }; };
    NRF.disconnect = function () { bleDisconnects++; };
    NRF.requestDevice = NRF.connect = function () { return ctx.Promise.reject(new R.Error("no Bluetooth in the sandbox")); };
    g.NRF = NRF;
  }

  var prune = MISSING_GLOBALS.concat(EXTRA_MISSING).map(function (n) { return "delete globalThis." + n + ";"; }).join("");
  for (var sk of Object.keys(MISSING_STATICS)) {
    for (var sm of MISSING_STATICS[sk]) prune += "try{delete " + sk + "." + sm + "}catch(e){}";
  }
  for (var pk of Object.keys(MISSING_PROTOTYPE_METHODS)) {
    var target = pk === "TypedArray" ? "Object.getPrototypeOf(Uint8Array.prototype)" : pk + ".prototype";
    for (var pm of MISSING_PROTOTYPE_METHODS[pk]) prune += "delete " + target + "." + pm + ";";
  }
  prune += "globalThis.global = globalThis; globalThis.InternalError = function InternalError(m) { var e = new Error(m); return e; };";
  vm.runInContext(prune, ctx);
  g.Promise = vm.runInContext(PROMISE_SRC, ctx)(enqueue, function (reason) {
    classify(reason, "a promise job (unhandled rejection)");
  });

  // --- start-up
  var started = Date.now();
  try {
    new vm.Script(code, { filename: file }).runInContext(ctx, { timeout: 10000 });
  } catch (e) {
    if (e && e.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") warnings.push({ construct: "runtime-timeout", message: "top-level code ran for more than 10 s", line: 0, column: 0, file: file });
    else classify(e, "top-level code");
  }
  for (var fn of events.get("init") || []) call(fn, [], "E.on('init')");
  run(opts.timeMs, "start-up timers");
  var pressed = 0;
  if (opts.pressButtons && !stopped) {
    for (var w of watches.slice()) {
      var edge = w.opts.edge || "both";
      if (edge === "rising" || edge === "both") call(w.fn, [{ state: true, time: 1700000000 + now / 1000, lastTime: 1700000000, pin: w.pin }], "a button press (setWatch " + w.pin + ")");
      if (edge === "falling" || edge === "both") call(w.fn, [{ state: false, time: 1700000000 + now / 1000 + 0.1, lastTime: 1700000000, pin: w.pin }], "a button release (setWatch " + w.pin + ")");
      pressed++;
      run(opts.timeMs, "timers after a button press");
    }
  }
  return {
    ok: problems.length === 0,
    problems: problems,
    warnings: warnings,
    output: output,
    watches: watches.length,
    pressed: pressed,
    callbacks: callbacks,
    virtualMs: now,
    realMs: Date.now() - started,
    unfaked: Array.from(unfaked),
    storage: Object.fromEntries(storage),
    console: consoleAt,
    bleDisconnects: bleDisconnects,
  };
}
