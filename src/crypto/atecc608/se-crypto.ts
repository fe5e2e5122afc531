/**
 * The asymmetric half of the device crypto provider, on an ATECC608 (Espruino subset).
 *
 * Key references are { crv: 1, slot } — a data-zone slot, or 0xFFFF for TempKey — plus a
 * generation number for ephemeral keys. No method returns private key bytes: they are made
 * by GenKey inside the chip and never leave it.
 *
 * Ephemeral keys (see docs/atecc608.md, "Where the ephemeral key lives"):
 * - by default generateKeyPair runs GenKey into TempKey (KeyID 0xFFFF): no EEPROM write, and
 *   the key vanishes when the chip sleeps. Sign and Verify load their digests into the
 *   Message Digest Buffer (Nonce target 0x40, source bit 0x20, as cryptoauthlib does for the
 *   ATECC608 in calib_sign / calib_verify_extern), so they never overwrite TempKey between
 *   GenKey and ECDH. The driver idles (TempKey kept) rather than sleeps between commands;
 *   a TTL timer (opts.ephemeralTtlMs) sleeps the chip to wipe an unused ephemeral.
 * - prepareEphemeral() runs GenKey into the ephemeral slot ahead of time (it survives
 *   sleep), so a handshake skips the 115 ms GenKey; each use costs one EEPROM write.
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import type { AsymmetricCrypto, KeyPair, PrivateKeyRef } from "../provider";
import { CRV_P256 } from "../provider";
import { KEY_TEMPKEY, OP_VERIFY, execTimeMs, seEcdh, seGenKey, seRandom, seSign } from "./driver";
import type { SeDriver } from "./driver";

/** A key held by the secure element. */
export interface SeKeyRef extends PrivateKeyRef {
  /** Data-zone slot 0..15, or 0xFFFF for TempKey. */
  readonly slot: number;
  /** Generation of an ephemeral key (TempKey or the ephemeral slot); absent for static keys. */
  readonly gen?: number;
}

export interface SeCryptoOptions {
  /** SHA-256 of the message before Sign/Verify (devices pass the native one). */
  sha256: (data: Bytes) => Bytes;
  /** y (32 bytes) or x||y (64 bytes) for a P-256 x-coordinate, or null when x is not on the curve. */
  decompress?: (x: Bytes) => Bytes | null;
  /** Slot of the device key (default 0). */
  deviceSlot?: number;
  /** Slot for ephemeral keys generated ahead of time (default 2). */
  ephemeralSlot?: number;
  /** Sleep the chip (wiping TempKey) this long after a TempKey ephemeral was made; 0 = never. Default 60000. */
  ephemeralTtlMs?: number;
  /** Issue one Random with seed update before the first Sign (cryptoauthlib's calib_sign does it before every Sign). Default true. */
  seedRng?: boolean;
}

export interface SecureElementCrypto extends AsymmetricCrypto {
  /** Reference to the device key (signing; ECDH for static-DH methods). */
  readonly deviceKey: SeKeyRef;
  /** GenKey into the ephemeral slot now; the next generateKeyPair(P-256) returns it at no SE cost. */
  prepareEphemeral(): Promise<void>;
  hasPreparedEphemeral(): boolean;
  /** Wipes TempKey and the Message Digest Buffer (puts the chip to sleep). */
  release(): Promise<void>;
}

export function createSecureElementCrypto(d: SeDriver, opts: SeCryptoOptions): SecureElementCrypto {
  var ephSlot = opts.ephemeralSlot === undefined ? 2 : opts.ephemeralSlot;
  var ttl = opts.ephemeralTtlMs === undefined ? 60000 : opts.ephemeralTtlMs;
  var seeded = opts.seedRng === false;
  var prepared: KeyPair | null = null;
  // Generation counters: [TempKey, ephemeral slot]; TempKey also remembers the driver epoch.
  var gens = [0, 0];
  var tkEpoch = -1;
  var timer: unknown = null;

  // Validates a reference: its slot, -1 when it is not a key of this chip, -2 when a newer
  // ephemeral replaced it or the chip lost it.
  function slotOf(priv: PrivateKeyRef): number {
    var r = priv as SeKeyRef;
    var s = r && r.crv === CRV_P256 ? r.slot : -1;
    if (typeof s !== "number" || !((s >= 0 && s < 16) || s === KEY_TEMPKEY)) return -1;
    if (s === KEY_TEMPKEY && (r.gen !== gens[0] || tkEpoch !== d.epoch())) return -2;
    if (s === ephSlot && r.gen !== undefined && r.gen !== gens[1]) return -2;
    return s;
  }

  return {
    deviceKey: { crv: CRV_P256, slot: opts.deviceSlot === undefined ? 0 : opts.deviceSlot },

    generateKeyPair: function (crv) {
      if (crv !== CRV_P256) return Promise.reject(perr("CRYPTO_UNSUPPORTED", "the secure element makes P-256 keys only"));
      if (prepared) {
        var kp = prepared;
        prepared = null;
        return Promise.resolve(kp);
      }
      return seGenKey(d, 0x04, KEY_TEMPKEY).then(function (pub) {
        tkEpoch = d.epoch();
        var g = ++gens[0];
        if (ttl > 0) {
          if (timer) clearTimeout(timer);
          timer = setTimeout(function () {
            timer = null;
            if (g === gens[0] && tkEpoch === d.epoch()) {
              gens[0]++;
              d.sleep().then(null, function () {});
            }
          }, ttl);
        }
        return { priv: { crv: CRV_P256, slot: KEY_TEMPKEY, gen: g } as SeKeyRef, pub: pub };
      });
    },

    ecdh: function (priv, peer) {
      var s = slotOf(priv);
      if (s === -2) return Promise.reject(perr("SE_EPHEMERAL_LOST", "the ephemeral key is gone (replaced, or the chip slept)"));
      if (s < 0) return Promise.reject(perr("CRYPTO_BAD_KEY", "not a secure-element P-256 key reference"));
      var q = peer;
      if (peer.length === 32) {
        if (!opts.decompress) return Promise.reject(perr("CRYPTO_UNSUPPORTED", "no P-256 decompression configured"));
        var y = opts.decompress(peer);
        if (!y || (y.length !== 32 && y.length !== 64)) return Promise.reject(perr("CRYPTO_BAD_POINT", "x is not a P-256 coordinate"));
        if (y.length === 64) q = y;
        else {
          q = new Uint8Array(64);
          q.set(peer, 0);
          q.set(y, 32);
        }
      } else if (peer.length !== 64) return Promise.reject(perr("CRYPTO_BAD_POINT", "P-256 public key must be 32 or 64 bytes"));
      // 0x0C: result in the output buffer, in the clear; 0x01: private key from TempKey.
      // An execution error means a point off the curve (cryptoauthlib issue #11) — unless
      // decompression already proved the point valid: then TempKey lost its key (the chip
      // was reset behind the driver's back) or the slot does not permit ECDH.
      return seEcdh(d, s === KEY_TEMPKEY ? 0x0d : 0x0c, s === KEY_TEMPKEY ? 0 : s, q).then(null, function (e) {
        if (e && e.code === "SE_EXECUTION_ERROR" && q !== peer && s === KEY_TEMPKEY) throw perr("SE_EPHEMERAL_LOST", "the ephemeral key is gone (the chip was reset)");
        if (e && e.code === "SE_EXECUTION_ERROR" && q === peer) throw perr("CRYPTO_BAD_POINT", "the secure element rejected the public key", e.code);
        throw e;
      });
    },

    sign: function (priv, message) {
      var s = slotOf(priv);
      if (s < 0 || s === KEY_TEMPKEY) return Promise.reject(perr("CRYPTO_BAD_KEY", "not a secure-element signing key"));
      if (!seeded) {
        // Queued ahead of the Sign; best effort (a failed seed update does not stop the Sign).
        seeded = true;
        seRandom(d, 0).then(null, function () {});
      }
      // One driver job: Nonce (digest -> Message Digest Buffer) then Sign mode 0xA0.
      return seSign(d, 0x20, s, opts.sha256(message));
    },

    verify: function (crv, pub, message, sig) {
      if (crv !== CRV_P256) return Promise.reject(perr("CRYPTO_UNSUPPORTED", "the secure element verifies ES256 only"));
      if (pub.length !== 64) return Promise.reject(perr("CRYPTO_BAD_KEY", "P-256 public key must be 64 bytes"));
      if (sig.length !== 64) return Promise.resolve(false);
      var data = new Uint8Array(128);
      data.set(sig, 0);
      data.set(pub, 64);
      // One driver job: Nonce then Verify external mode 0x22 (Message Digest Buffer), key type P-256.
      return d.command(OP_VERIFY, 0x22, 0x0004, data, execTimeMs(OP_VERIFY), 0, opts.sha256(message)).then(
        function () { return true; },
        function (e) {
          if (e && e.code === "SE_CHECKMAC_OR_VERIFY_FAIL") return false;
          if (e && e.code === "SE_EXECUTION_ERROR") throw perr("CRYPTO_BAD_POINT", "the secure element rejected the public key", e.code);
          throw e;
        },
      );
    },

    prepareEphemeral: function () {
      return seGenKey(d, 0x04, ephSlot).then(function (pub) {
        prepared = { priv: { crv: CRV_P256, slot: ephSlot, gen: ++gens[1] } as SeKeyRef, pub: pub };
      });
    },

    hasPreparedEphemeral: function () {
      return !!prepared;
    },

    release: function () {
      if (timer) clearTimeout(timer);
      timer = null;
      gens[0]++;
      return d.sleep();
    },
  };
}
