/**
 * The asymmetric half of the device crypto provider, on an ATECC608 (Espruino subset).
 *
 * Key references are { crv: 1, slot } — a data-zone slot, or 0xFFFF for TempKey — plus a
 * generation number for ephemeral keys, and the provider that holds the key. No method
 * returns private key bytes: they are made by GenKey inside the chip and never leave it.
 *
 * Ephemeral keys (see docs/atecc608.md, "Where the ephemeral key lives"):
 * - by default generateKeyPair runs GenKey into TempKey (KeyID 0xFFFF): no EEPROM write, and
 *   the key vanishes when the chip sleeps. Sign and Verify load their digests into the
 *   Message Digest Buffer (Nonce target 0x40, source bit 0x20, as cryptoauthlib does for the
 *   ATECC608 in calib_sign / calib_verify_extern), so they never overwrite TempKey between
 *   GenKey and ECDH. The driver idles (TempKey kept) rather than sleeps between commands;
 *   a TTL timer (opts.ephemeralTtlMs) sleeps the chip to wipe an unused ephemeral.
 * - prepareEphemeral() (host only: no device calls it, so device bundles lack it and
 *   hasPreparedEphemeral) runs GenKey into the ephemeral slot ahead of time (it survives
 *   sleep), so a handshake skips the 115 ms GenKey; each use costs one EEPROM write.
 *
 * Memory (docs/device-memory.md): the provider is one object holding its state, and one
 * function (seOp) does every operation, bound to the provider and the operation's number
 * (on Espruino a bound function costs about what a closure does: 5 variables + 1 per
 * parameter). None of the four depends on how it is called: firmware copies them into its
 * CryptoProvider. `release` must be called as a method (`se.release()`).
 *
 * Each operation is one driver job. Given a trailing completion callback (core/async.ts,
 * the device path), an operation creates no promise at all (not for argument errors, the
 * decompression deferral, the seed update before the first Sign, nor ECDH's second round),
 * calls the callback exactly once and returns undefined; the callback may run before the
 * operation returns (argument errors, a verify of a signature of the wrong size, a
 * simulated chip without delays), so callers must tolerate that. Without a callback the
 * operation runs the same way under one promise, which it returns.
 */
import type { Bytes } from "../../core/bytes";
import { ctEqual } from "../../core/bytes";
import { perr } from "../../core/errors";
import { DEVICE } from "../../core/target";
import { promised } from "../../core/async";
import type { Done } from "../../core/async";
import type { AsymmetricCrypto, KeyPair, PrivateKeyRef } from "../provider";
import {
  OP_ECDH, OP_GENKEY, OP_RANDOM, OP_SIGN, OP_VERIFY, KEY_TEMPKEY, T_ECDH, T_GENKEY, T_RANDOM, T_SIGN, T_VERIFY,
  CRV_P256 as P256, SLOT_DEVICE_KEY, SLOT_EPHEMERAL,
} from "./constants";
import { encodeCommand, seRun } from "./driver";
import type { SeDriver } from "./driver";

/** A key held by the secure element. */
export interface SeKeyRef extends PrivateKeyRef {
  /** Data-zone slot 0..15, or 0xFFFF for TempKey. */
  readonly slot: number;
  /** Generation of an ephemeral key (TempKey or the ephemeral slot); absent for static keys. */
  readonly gen?: number;
  /** The provider holding the key (opaque). */
  readonly s?: unknown;
}

export interface SeCryptoOptions {
  /** SHA-256 of the message before Sign/Verify (devices pass the native one). */
  sha256: (data: Bytes) => Bytes;
  /** y (32 bytes) or x||y (64 bytes) for a P-256 x-coordinate, or null when x is not on the curve. */
  decompress?: (x: Bytes) => Bytes | null;
  /** Sleep the chip (wiping TempKey) this long after a TempKey ephemeral was made; 0 = never. Default 60000. */
  ephemeralTtlMs?: number;
}

export interface SecureElementCrypto extends AsymmetricCrypto {
  /** Reference to the device key (signing; ECDH for static-DH methods). */
  readonly deviceKey: SeKeyRef;
  /** GenKey into the ephemeral slot now; the next generateKeyPair(P-256) returns it at no SE cost. Call as a method. */
  prepareEphemeral(): Promise<void>;
  /** Call as a method. */
  hasPreparedEphemeral(): boolean;
  /** Wipes TempKey and the Message Digest Buffer (puts the chip to sleep). Call as a method; with k, no promise. */
  release(): Promise<void>;
  release(k: Done<void>): void;
}

/** The provider's state (short names: every property is an interpreter variable). */
interface Se extends SecureElementCrypto {
  /** driver, sha256, decompress, TTL ms */
  d: SeDriver;
  h: (data: Bytes) => Bytes;
  x: ((x: Bytes) => Bytes | null) | undefined;
  t: number;
  /**
   * generation of TempKey; then, set when first needed (every property is a variable):
   * driver epoch of the TempKey key, TTL timer, the last x decompressed and its y (EDHOC
   * uses the peer's ephemeral x twice, method 3)
   */
  g: number;
  k?: number;
  m?: any;
  lx?: Bytes;
  ly?: Bytes | null;
  /** host only: the prepared key pair, generation of the ephemeral slot */
  p: KeyPair | null;
  G: number;
}

export function createSecureElementCrypto(d: SeDriver, opts: SeCryptoOptions): SecureElementCrypto {
  var c = {
    d: d,
    h: opts.sha256,
    x: opts.decompress,
    t: opts.ephemeralTtlMs === undefined ? 60000 : opts.ephemeralTtlMs,
    g: 0,
    release: seRelease,
  } as unknown as Se;
  // Bound: firmware copies generateKeyPair and verify into its CryptoProvider, and they take
  // no key that leads to the provider; sign and ecdh find it through their key. (A bound
  // function costs about what a shared function of its own with a property does on
  // Espruino, measured: 8 variables either way; it costs fewer bytes.)
  c.generateKeyPair = (seOp as any).bind(c, 0);
  c.verify = (seOp as any).bind(c, 1);
  c.sign = (seOp as any).bind(c, 2);
  c.ecdh = (seOp as any).bind(c, 3);
  (c as { deviceKey: SeKeyRef }).deviceKey = { crv: P256, slot: SLOT_DEVICE_KEY, s: c };
  if (!DEVICE) {
    // Host only (written inside this block, so that device bundles drop them with it).
    c.p = null;
    c.G = 0;
    c.prepareEphemeral = function (): Promise<void> {
      return seRun(d, encodeCommand(OP_GENKEY, 0x04, SLOT_EPHEMERAL), T_GENKEY, 64, null, function (e, pub) {
        if (e) throw e;
        c.p = { priv: { crv: P256, slot: SLOT_EPHEMERAL, gen: ++c.G, s: c } as SeKeyRef, pub: pub as Bytes };
      });
    };
    c.hasPreparedEphemeral = function (): boolean {
      return !!c.p;
    };
  }
  return c;
}

/**
 * The provider's operations in one function, bound to the provider and the operation:
 *  0 generateKeyPair(crv, k?): GenKey into TempKey; a TTL timer may sleep the chip later.
 *  1 verify(crv, pub, message, sig, k?): SHA-256 on the board, then one driver job: Nonce
 *    (digest -> Message Digest Buffer) then Verify external mode 0x22, key type P-256.
 *  2 sign(priv, message, k?): the same Nonce then Sign mode 0xA0. Unless the driver already
 *    had a Random with seed update (the firmware's boot seRandom(d, 0)), one is queued
 *    ahead of the first Sign; best effort (a failed seed update does not stop the Sign).
 *  3 ecdh(priv, peer, k?): peer 64 bytes x||y, or 32 bytes x completed by decompress (its
 *    y or x||y, or null, comes back in m after the deferral below, the callback in k) and
 *    written straight into the packet. ECDH mode 0x0C: result in the output buffer, in the
 *    clear; 0x01: private key from TempKey.
 * The callback comes in the argument after the operation's own: b for generateKeyPair, m
 * for sign and ecdh, k for verify. Only a function counts in b or m, so the bytes or null
 * of ECDH's second round never do. Without a callback, the operation runs again with the
 * one that settles its promise.
 * A key operation uses the provider the reference leads to (only this module makes such
 * references, so their slots are right by construction); a TempKey reference is stale once
 * a newer ephemeral replaced it or the driver's epoch moved (the chip lost it).
 */
function seOp(this: Se, op: number, a: any, b: any, m?: any, sig?: any, k?: Done<any>): Promise<any> | void {
  var c: Se = op > 1 ? a && a.crv === P256 && a.s : this;
  var e: any = op ? m : b; // verify's m is its message, never a function
  if (typeof e === "function") {
    k = e;
    m = undefined;
  }
  if (!k) {
    e = promised(function (k: Done<any>) {
      (seOp as any).call(c, op, a, b, m, sig, k);
    });
    // The promise's callback keeps this call's scope while the chip works: not the
    // message (a Sig_structure) and the caller's views.
    a = b = m = sig = undefined;
    return e;
  }
  var s = c && a && a.slot;
  var tk = s === KEY_TEMPKEY;
  var n = b && b.length;
  var lost = c && tk && (a.gen !== c.g || c.k !== c.d.ep);
  if (!DEVICE) {
    // A prepared ephemeral (host only) is stale once re-preparing overwrote the slot.
    if (c && s === SLOT_EPHEMERAL && a.gen !== undefined && a.gen !== c.G) lost = true;
  }
  // The code of a failed argument check (one perr call: device builds drop the message).
  e =
    op < 2
      ? a !== P256 ? "CRYPTO_UNSUPPORTED" : op && n !== 64 && "CRYPTO_BAD_KEY"
      : !c || (op < 3 && (tk || lost)) ? "CRYPTO_BAD_KEY" : lost && "SE_EPHEMERAL_LOST";
  if (!DEVICE) {
    // The prepared key pair (host only).
    if (!e && !op && c.p) {
      e = c.p;
      c.p = null;
      k(null, e);
      return;
    }
  }
  // One chain of branches, no early returns: the minifier makes it one expression.
  if (e)
    k(perr(e, e === "CRYPTO_UNSUPPORTED" ? "the secure element makes and verifies P-256 (ES256) only"
      : e === "SE_EPHEMERAL_LOST" ? "the ephemeral key is gone (replaced, or the chip slept)"
      : op < 2 ? "P-256 public key must be 64 bytes" : "not a secure-element P-256 key reference (or not a signing key)"));
  else if (!op)
    seRun(c.d, encodeCommand(OP_GENKEY, 0x04, KEY_TEMPKEY), T_GENKEY, 64, null, function (e, pub) {
      if (e) throw e;
      c.k = c.d.ep;
      if (c.m) clearTimeout(c.m);
      c.m = c.t > 0 ? setTimeout(seRelease, c.t, c) : 0;
      return { priv: { crv: P256, slot: KEY_TEMPKEY, gen: ++c.g, s: c }, pub: pub };
    }, k);
  else if (op < 2) {
    if (sig.length !== 64) k(null, false);
    else
      seRun(c.d, encodeCommand(OP_VERIFY, 0x22, 0x0004, sig, b), T_VERIFY, 0, c.h(m), function (e) {
        if (e && e.code !== "SE_CHECKMAC_OR_VERIFY_FAIL") throw e.code === "SE_EXECUTION_ERROR" ? perr("CRYPTO_BAD_POINT", "the secure element rejected the public key", e.code) : e;
        return !e;
      }, k);
    // The job's packets hold key, signature and digest now: the closure above keeps this
    // call's scope, not the message (a Sig_structure) and the caller's views.
    a = b = m = sig = undefined;
  } else if (op < 3) {
    if (!c.d.sd) {
      c.d.sd = true;
      seRun(c.d, encodeCommand(OP_RANDOM, 0, 0), T_RANDOM, 32, null, null, function () {});
    }
    seRun(c.d, encodeCommand(OP_SIGN, 0xa0, s), T_SIGN, 64, c.h(b), null, k);
  } else if (m === undefined && n === 32 && c.x)
    // Decompression is long interpreted work (seconds on a board), so it runs one tick
    // later, after the driver has idled the chip (the driver idles on the next tick once
    // its queue drains): an awake chip's watchdog would otherwise put it to sleep meanwhile
    // and wipe the ephemeral key in TempKey. The last result is kept: static-DH EDHOC needs
    // the same x twice (with the ephemeral and with the device key).
    // The driver's own delay when it has one (host only: a simulation's virtual clock;
    // bound, so it is called as c.d.y(fn, 0) would call it), else the timer.
    (DEVICE || !c.d.y ? setTimeout : c.d.y.bind(c.d))(function () {
      if (!c.lx || !ctEqual(c.lx, b)) {
        // A throw here (the interpreter out of memory) would otherwise never reach k.
        try {
          c.ly = (c.x as (x: Bytes) => Bytes | null)(b);
        } catch (z) {
          return k!(z);
        }
        c.lx = new Uint8Array(b);
      }
      (seOp as any)(3, a, b, c.ly || null, 0, k);
    }, 0);
  else if (n !== 64 && !(m && (m.length === 32 || m.length === 64)))
    k(perr(n === 32 && !c.x ? "CRYPTO_UNSUPPORTED" : "CRYPTO_BAD_POINT", n === 32 && !c.x ? "no P-256 decompression configured" : "not a P-256 public key (64 bytes x||y, or an x on the curve)"));
  else
    seRun(c.d, encodeCommand(OP_ECDH, tk ? 0x0d : 0x0c, tk ? 0 : s, m && m.length > 32 ? m : b, m && m.length < 64 ? m : null), T_ECDH, 32, null, function (e, r) {
      // An execution error means a point off the curve (cryptoauthlib issue #11), unless
      // decompression already proved the point valid: then TempKey lost its key (the chip
      // was reset behind the driver's back) or the slot does not permit ECDH.
      if (e)
        throw e.code !== "SE_EXECUTION_ERROR" ? e : !m ? perr("CRYPTO_BAD_POINT", "the secure element rejected the public key", e.code)
          : tk ? perr("SE_EPHEMERAL_LOST", "the ephemeral key is gone (the chip was reset)") : e;
      return r;
    }, k);
}

/**
 * release(k?): makes every TempKey reference stale and puts the chip to sleep. Called as a
 * method, with an optional completion callback (then no promise); the TTL timer calls it
 * with the provider as argument, and then nobody waits for the result (a failure is
 * dropped, and no promise is made either).
 */
function seRelease(this: Se, x?: any): Promise<void> | void {
  var c: Se = x && x.d ? x : this;
  if (c.m) clearTimeout(c.m);
  c.m = 0;
  c.g++;
  return seRun(c.d, null, 0, 0, null, null, x && (x === c ? function () {} : x));
}
