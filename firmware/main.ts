/**
 * pairkit firmware: boots a board into the pairing lifecycle.
 *
 * Boot: the secure element (I2C, or a TCP bridge to the simulator on the Linux build) →
 * random seed from E.hwRand() and the chip's RNG → native SHA-256/AES (with fallbacks
 * where the board lacks them) → identity (credential and trust anchors) read from the
 * chip → at-rest key derived from a chip-only ECDH → bindings from Storage → radio (BLE,
 * or the TCP hub on Linux) → button and LEDs.
 *
 * The global `PK` is the device's handle for the console: the lifecycle itself (a Pairing),
 * so PK.press(ms) presses the button, PK.send(peer, E.toUint8Array(text)) sends a message
 * and PK.connectTo(addr, peer) dials; PK.peak() is the highest variable count seen.
 * Lifecycle events are printed as one JSON line each (never with secrets).
 *
 * Device code: Espruino subset (docs/device-subset.md).
 */
import "./compat";
import type { Bytes } from "../src/core/bytes";
import { DEFAULT_POLICY, Pairing, type Platform } from "../src/core/pairing/controller";
import { P_HANDSHAKE } from "../src/core/pairing/sas";
import { createSeDriver, seRandom } from "../src/crypto/atecc608/driver";
import { i2cBus, tcpBus } from "../src/crypto/atecc608/bus";
import { createSecureElementCrypto } from "../src/crypto/atecc608/se-crypto";
import { decodeIdentity, readIdentity, seAtRestSecret } from "../src/crypto/atecc608/identity";
import { createDeviceSymmetric, createNativeSymmetric } from "../src/crypto/device/symmetric";
import { p256DecompressY } from "../src/crypto/device/p256";
import type { CryptoProvider } from "../src/crypto/provider";
import { hubRadio, type Radio } from "./transport-hub";
import { bleRadio } from "./radio-ble";
import { LED_ONCE, ledPattern } from "./led";

var Storage = require("Storage");
var peak = 0;

function mem(): void {
  var u = process.memory().usage;
  if (u > peak) peak = u;
}

function log(ev: string, d?: unknown): void {
  mem();
  print(JSON.stringify({ pk: ev, t: Math.round(getTime() * 1000), d: d }));
}

// The LED pins, "" for none (the rest of the board's profile is read at boot only, so it is
// not resident; pins alone are a variable each, the profile's {pin} objects about four).
var leds: string[] = [];
// The blinking pattern (./led): its pin, its steps, the next step, whether it stops at its
// end, and its timer. A string and a top-level function keep it small while a code shows
// (an array of steps plus a closure over show()'s scope held about 60 variables for a
// four-digit code, measured with E.dumpVariables() on 2v29).
var ledPin = "";
var ledSeq = "";
var ledStep = 0;
var ledOnce = false;
var ledTimer: unknown = null;

function blink(): void {
  digitalWrite(ledPin, ledSeq.charCodeAt(ledStep++ % ledSeq.length) & 1);
  if (ledOnce && ledStep >= ledSeq.length) {
    clearInterval(ledTimer);
    ledTimer = null;
  }
}

/**
 * LED feedback (the platform's ui): a pin and a blink pattern per lifecycle state; the
 * code as blink counts. A state change is also where memory is sampled.
 */
function show(ev: string, detail?: unknown): void {
  mem();
  if (ledTimer) clearInterval(ledTimer);
  ledTimer = null;
  for (var i = 0; i < leds.length; i++) if (leds[i]) digitalWrite(leds[i], 0);
  // Red for failures, green for success and an open window, blue for the rest.
  ledPin = leds[ev === "fail" || ev === "cleared" ? 0 : ev === "ok" || ev === "window" ? 1 : 2] || leds[0];
  if (!ledPin) return;
  ledSeq = ledPattern(ev, detail as number[]);
  ledOnce = ledSeq === LED_ONCE;
  ledStep = 0;
  if (ledSeq === "1") digitalWrite(ledPin, 1);
  else if (ledSeq) ledTimer = setInterval(blink, 200);
}

/** The button: press length decides (short: pairing window or confirm; 3 s: replacement; 10 s: clear all). */
function onButton(e: { time: number; lastTime: number }): void {
  P.press((e.time - e.lastTime) * 1000);
}

/** Boards without a radio (Espruino Pico): the lifecycle runs, nothing can be reached. */
function noRadio(): Radio {
  return {
    user: null,
    advertise: function () {},
    connect: function () {
      return Promise.reject(new Error("this board has no radio"));
    },
  };
}

/**
 * What outlives boot. Long-lived functions (the platform's, the timer's, the console's)
 * are top-level: a closure made inside a boot step would keep that step's whole scope
 * chain (seed material, the chip's secret) alive for the device's lifetime, and each
 * closure costs variables of its own. What only boot reads (the Storage config, the
 * identity as read, the driver and provider handles) is declared inside boot.
 */
var asym: any;
var radio: Radio;
var P: Pairing;
var lastAdv = "";
/** The symmetric provider's forget(): wipes and drops its cached HMAC pads. */
var forgetPads: () => void;

function report(ev: string, d?: unknown): void {
  // A handshake has ended: the chip's ephemeral key can go (after this event has settled).
  if (ev === "session" || ev === "dial-failed" || ev === "failed") setTimeout(releaseChip, 0);
  log(ev, d);
}

/**
 * Wipes TempKey (the chip sleeps) unless another handshake still needs its ephemeral key
 * there: a failed attempt from one peer must not cost a concurrent one its key
 * (SE_EPHEMERAL_LOST).
 */
function releaseChip(): void {
  for (var i = 0; i < P.conns.length; i++) if (P.conns[i].ph === P_HANDSHAKE) return;
  // Callback form (no promise); once the chip sleeps, or failed to (it is asleep already,
  // or gone), the HMAC pads cached for the handshake's keys go too (wiped).
  asym.release(forgetPads);
}

var plat: Platform = {
  crypto: null as unknown as CryptoProvider,
  // Storage itself has the records layer's interface (core/store/records.ts).
  flash: Storage,
  now: function () { return getTime() * 1000; },
  // The radio's connect, once there is a radio (it needs no `this`).
  connect: null as unknown as Platform["connect"],
  ui: show,
  report: report,
};

function tick(): void {
  // On the Linux build (where budgets are measured) PK.peak() also samples every 250 ms, not
  // only at events and LED changes; a board saves the garbage collection that costs.
  if (PK_BOARD_NAME === "linux") mem();
  P.tick();
  var a = P.advert();
  var s = a ? E.toString(a) : "";
  if (s !== lastAdv) radio.advertise(a);
  lastAdv = s;
}

/** PK.peak(): the highest variable count seen (sampled now as well). */
function peakVars(): number {
  mem();
  return peak;
}

/**
 * Boot runs once, so its steps are declared inside this function: once boot has ended
 * nothing refers to them and they are garbage (about 40 variables on a device), where
 * top-level functions would exist for the device's lifetime. No function that outlives
 * boot is made in here (it would keep this scope, and so every step, alive).
 */
(function () {
  // Parsed from text: an object define would be a top-level variable, resident for good.
  var board: PkBoardProfile = JSON.parse(PK_BOARD_JSON);
  // console: keep the console over BLE (development only; radio-ble.ts).
  var cfg: { name: string; hub: [string, number]; se: [string, number]; console?: boolean };
  var drv: any;
  var crypto: CryptoProvider;
  var ident: { credential: Bytes; anchors: Bytes[] };

  function bootFailed(e: { code?: string; message?: string }): void {
    // A missing chip or a failed boot: say so clearly and blink red.
    log("boot-failed", { code: e && e.code, msg: e && e.message });
    show("fail");
  }

  /** Step 1: the secure element, and its RNG for the seed. */
  function start(): void {
    for (var i = 0; i < board.leds.length; i++) leds.push((board.leds[i].pin as string) || "");
    var se = board.secureElement;
    var bus;
    if (PK_TRANSPORT === "tcp") bus = tcpBus(require("net"), cfg.se[0], cfg.se[1]);
    else {
      var i2c = se.bus === "soft" ? new I2C() : (globalThis as any)[se.bus];
      i2c.setup({ sda: se.sda, scl: se.scl, bitrate: se.bitrate || 100000 });
      bus = i2cBus(i2c, se.address);
    }
    drv = createSeDriver(bus, {});
    seRandom(drv, 0).then(withSeed).then(withIdentity).then(withSecret).then(ready).then(null, bootFailed);
  }

  /** Step 2: the DRBG seeded from E.hwRand() and the chip; the crypto provider; the identity from the chip (or Storage). */
  function withSeed(r: Bytes): Promise<any> {
    var seed = new Uint8Array(64);
    seed.set(r, 32);
    for (var i = 0; i < 32; i += 4) {
      var v = E.hwRand();
      seed[i] = v & 255;
      seed[i + 1] = (v >> 8) & 255;
      seed[i + 2] = (v >> 16) & 255;
      seed[i + 3] = (v >>> 24) & 255;
    }
    var native = PK_NATIVE_SHA256 || PK_NATIVE_AES ? require("crypto") : null;
    var sym = PK_NATIVE_SHA256 && PK_NATIVE_AES ? createNativeSymmetric(native, seed) : createDeviceSymmetric(native, seed);
    seed.fill(0);
    r.fill(0);
    forgetPads = sym.forget;
    asym = createSecureElementCrypto(drv, { sha256: sym.sha256, decompress: p256DecompressY });
    // The symmetric provider becomes the whole CryptoProvider (one object, not a copy of 13
    // properties): the chip's four operations join it.
    var c = sym as unknown as CryptoProvider;
    (c as { name: string }).name = "espruino+atecc608";
    c.generateKeyPair = asym.generateKeyPair;
    c.ecdh = asym.ecdh;
    c.sign = asym.sign;
    c.verify = asym.verify;
    plat.crypto = crypto = c;
    // The identity lives in the chip; a board provisioned without a data slot keeps it in Storage.
    return readIdentity(drv).then(null, identityFromStorage);
  }

  function identityFromStorage(e: unknown): any {
    var f = Storage.readArrayBuffer("pkid");
    if (!f) throw e;
    return decodeIdentity(new Uint8Array(f));
  }

  /** Step 3: the at-rest key's secret, from an ECDH only the chip can do. */
  function withIdentity(id: { credential: Bytes; anchors: Bytes[] }): Promise<Bytes> {
    ident = id;
    return seAtRestSecret(drv);
  }

  /** Step 4: the at-rest key, the radio, the lifecycle with its bindings. */
  function withSecret(secret: Bytes): Promise<void> {
    var key = crypto.hkdfExpand(crypto.hkdfExtract(new Uint8Array(0), secret), E.toUint8Array("pairkit at-rest v1"), 16);
    secret.fill(0);
    radio = PK_TRANSPORT === "tcp" ? hubRadio(require("net"), E, cfg.hub[0], cfg.hub[1], cfg.name, 20) : PK_TRANSPORT === "ble" ? bleRadio(NRF, cfg.console) : noRadio();
    plat.connect = radio.connect;
    P = new Pairing(plat, { cred: ident.credential, priv: asym.deviceKey, issuer: null, anchors: ident.anchors }, DEFAULT_POLICY, key);
    return P.boot();
  }

  /** Step 5: radio events, the lifecycle's clock, the button, the console handle. */
  function ready(): void {
    radio.user = P;
    setInterval(tick, 250);
    var b = board.buttons[0];
    if (b && b.pin && !b.virtual) setWatch(onButton, b.pin, { repeat: true, edge: b.activeHigh ? "falling" : "rising", debounce: 30 });
    (P as any).peak = peakVars;
    (globalThis as any).PK = P;
    // Boot's keys (the at-rest key's derivation, the bindings' record) leave no cached pads behind.
    forgetPads();
    log("ready", { name: cfg.name, bindings: P.bindings.length, vars: process.memory().usage });
  }

  var cfgText = Storage.read("pkcfg");
  cfg = cfgText ? JSON.parse(cfgText) : { name: "pairkit", hub: ["127.0.0.1", 7420], se: ["127.0.0.1", 7460] };
  if (PK_TRANSPORT === "ble" && !cfg.console) {
    // Before anything else: Espruino offers its console over BLE from power-on, and someone
    // in range who connected before the radio removes that service (step 4) would keep it
    // for as long as they stay connected. So the console goes nowhere, for good, and any
    // such connection is dropped (docs/security.md).
    E.setConsole(null, { force: true });
    NRF.disconnect();
  }
  start();
})();
