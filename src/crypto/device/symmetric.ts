/**
 * The device's synchronous crypto (SymmetricCrypto) over Espruino's native `crypto`
 * module, with interpreted fallbacks for boards that lack part of it.
 *
 * What the native module really does (Espruino 2v29, libs/crypto/jswrap_crypto.c, and
 * checked on the Linux interpreter; test/helpers/fake-espruino-crypto.ts mirrors it):
 * - SHA256(data) returns a 32-byte ArrayBuffer; typed-array views (subarray) are hashed
 *   with their offset honoured.
 * - AES.encrypt/decrypt(data, key, {mode, iv}) return an ArrayBuffer the size of data.
 *   Errors (key not 16/24/32 bytes, CBC data not a multiple of 16, OFB) are printed to
 *   the console and return undefined; they are not exceptions. Only an unknown mode
 *   name throws. So every result is checked here (CRYPTO_NATIVE).
 * - ECB encrypts whole blocks and leaves a trailing partial block as zeros.
 * - CBC uses options.iv (shorter IVs are zero-padded, no IV means zeros): the last block
 *   of CBC over a zero IV is exactly the CBC-MAC ccm.ts wants.
 * - CTR ignores options.iv and always starts from the all-zero counter block, and its
 *   decrypt direction uses the decryption key schedule (output unrelated to encrypt), so
 *   it cannot serve ccm.ts's ctr contract. "CFB" is CFB-8; "OFB" is not implemented.
 * Therefore: encryptBlock = native ECB; cbcMac = native CBC; ctr = one native ECB call
 * over all counter blocks and a 32-bit-word XOR in the interpreter. (XOR through CBC
 * decryption of interleaved blocks was measured too: more native calls, not cheaper.)
 *
 * Two factories:
 * - createDeviceSymmetric: any board; the interpreted SHA-256 and AES (./sha256, ./aes)
 *   stand in for whatever the native module lacks.
 * - createNativeSymmetric: boards with native SHA256 and AES (Puck.js); it does not
 *   reference the fallbacks, so a bundle that uses only it leaves about 5.5 KB of
 *   fallback code out.
 * Random bytes come from HMAC_DRBG (./drbg) seeded with caller-supplied entropy: on a
 * device, E.hwRand() words concatenated with the secure element's Random output. Pass a
 * function to let the provider reseed itself when the DRBG asks for it; pass bytes and
 * call reseed() yourself. (E.hwRand() on the Linux build is the C library's unseeded
 * rand(): the same sequence in every process, so never the only source.)
 *
 * Written in the Espruino subset. Assumes a little-endian host.
 */
import { ctEqual as bytesCtEqual, utf8Encode } from "../../core/bytes";
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import { ccm } from "../ccm";
import type { BlockCipher } from "../ccm";
import type { SymmetricCrypto } from "../provider";
import { aesEncryptBlock, aesForget } from "./aes";
import { createDrbg } from "./drbg";
import { createHmacKdf } from "./hmac";
import type { Sha256Midstate } from "./hmac";
import { sha256 as jsSha256, sha256Mid, sha256Resume } from "./sha256";

type AesOptions = { mode?: string; iv?: Bytes };

/** The parts of Espruino's `require("crypto")` this provider uses. */
export interface EspruinoCrypto {
  SHA256?: (data: Bytes) => ArrayBuffer | undefined;
  AES?: {
    encrypt: (data: Bytes, key: Bytes, options?: AesOptions) => ArrayBuffer | undefined;
    decrypt: (data: Bytes, key: Bytes, options?: AesOptions) => ArrayBuffer | undefined;
  };
}

export interface DeviceSymmetric extends SymmetricCrypto {
  readonly name: string;
  /** Which primitives run natively; the rest are interpreted fallbacks. */
  readonly native: { sha256: boolean; aes: boolean };
  /** Mixes fresh entropy (at least 32 bytes) into the random generator. */
  reseed(entropy: Bytes): void;
  /** Wipes cached HMAC pads and the cached AES key schedule (for example when a session ends). */
  forget(): void;
}

/** The interpreted stand-ins, passed in so that createNativeSymmetric does not pull them into a bundle. */
interface Fallbacks {
  sha256: (d: Bytes) => Bytes;
  midstate: Sha256Midstate;
  aesEncryptBlock: (key: Bytes, block: Bytes) => Bytes;
  aesForget: () => void;
}

/** AES-CCM-16-64-128 (COSE algorithm 10). */
var CCM_TAG = 8;
var CCM_NONCE = 13;
var ECB = { mode: "ECB" };
var CBC = { mode: "CBC" };

function nativeFailed(): Error {
  return perr("CRYPTO_NATIVE", "native crypto call failed");
}

/** AES for ccm() over the native module (see the file comment for why CTR is built from ECB). Exported for tests. */
export function espruinoBlockCipher(aes: NonNullable<EspruinoCrypto["AES"]>): BlockCipher {
  return {
    encryptBlock: function (key, block) {
      var r = aes.encrypt(block, key, ECB);
      if (!(r instanceof ArrayBuffer) || r.byteLength !== 16) throw nativeFailed();
      return new Uint8Array(r);
    },
    cbcMac: function (key, data) {
      var r = aes.encrypt(data, key, CBC);
      if (!(r instanceof ArrayBuffer) || r.byteLength !== data.length) throw nativeFailed();
      return new Uint8Array(r, r.byteLength - 16, 16);
    },
    ctr: function (key, iv, data) {
      var n = data.length;
      var m = (n + 15) >> 4;
      var b, j;
      // buf = [counter blocks (16m) | data, zero-padded (16m)]; the keystream XORs into the second half.
      var buf = new Uint8Array(m * 32);
      for (b = 0; b < m; b++) buf.set(iv, b * 16);
      if (iv[15] + m <= 256) {
        // Usual case (CCM counts from 1 in the last byte): no carry out of the last byte.
        for (b = 1; b < m; b++) buf[b * 16 + 15] += b;
      } else {
        // Full 128-bit big-endian increment, block by block.
        for (b = 1; b < m; b++) {
          buf.set(buf.subarray(b * 16 - 16, b * 16), b * 16);
          for (j = b * 16 + 15; j >= b * 16; j--) {
            buf[j] = (buf[j] + 1) & 255;
            if (buf[j]) break;
          }
        }
      }
      var ks = aes.encrypt(buf.subarray(0, m * 16), key, ECB);
      if (!(ks instanceof ArrayBuffer) || ks.byteLength !== m * 16) throw nativeFailed();
      buf.set(data, m * 16);
      var kw = new Int32Array(ks);
      var dw = new Int32Array(buf.buffer, m * 16, m * 4);
      for (b = 0; b < m * 4; b += 4) {
        dw[b] ^= kw[b];
        dw[b + 1] ^= kw[b + 1];
        dw[b + 2] ^= kw[b + 2];
        dw[b + 3] ^= kw[b + 3];
      }
      return buf.subarray(m * 16, m * 16 + n);
    },
  };
}

function make(native: EspruinoCrypto | null, seedEntropy: Bytes | (() => Bytes), fb: Fallbacks | null, reseedInterval?: number): DeviceSymmetric {
  var nsha = native && typeof native.SHA256 === "function" ? native.SHA256 : null;
  var naes = native && native.AES && typeof native.AES.encrypt === "function" ? native.AES : null;
  if (!fb && (!nsha || !naes)) throw perr("CRYPTO_UNSUPPORTED", "this firmware lacks native SHA256 or AES; use createDeviceSymmetric");
  var sha: (d: Bytes) => Bytes;
  var ms: Sha256Midstate | undefined;
  if (nsha) {
    var h = nsha;
    sha = function (d) {
      var r = h(d);
      if (!r || r.byteLength !== 32) throw nativeFailed();
      return new Uint8Array(r);
    };
  } else {
    sha = (fb as Fallbacks).sha256;
    ms = (fb as Fallbacks).midstate;
  }
  var kdf = createHmacKdf(sha, 0, ms);
  var bc: BlockCipher = naes ? espruinoBlockCipher(naes) : { encryptBlock: (fb as Fallbacks).aesEncryptBlock };
  var source = typeof seedEntropy === "function" ? seedEntropy : null;
  var drbg = createDrbg(createHmacKdf(sha, 1, ms).hmac, source ? source() : (seedEntropy as Bytes), new Uint8Array(0), utf8Encode("pairkit device DRBG"), reseedInterval);

  function aead(key: Bytes, nonce: Bytes, aad: Bytes, data: Bytes, open: boolean): Bytes | null {
    if (!(key instanceof Uint8Array) || !(nonce instanceof Uint8Array) || !(aad instanceof Uint8Array) || !(data instanceof Uint8Array)) {
      throw perr("CRYPTO_BAD_INPUT", "AES-CCM key, nonce, aad and data must be Uint8Arrays");
    }
    if (key.length !== 16) throw perr("CRYPTO_BAD_KEY", "AES-CCM-16-64-128 key must be 16 bytes");
    if (nonce.length !== CCM_NONCE) throw perr("CRYPTO_BAD_NONCE", "AES-CCM-16-64-128 nonce must be 13 bytes");
    return ccm(bc, key, nonce, aad, data, CCM_TAG, open);
  }

  return {
    name: "espruino" + (nsha ? "" : "+js-sha256") + (naes ? "" : "+js-aes"),
    native: { sha256: !!nsha, aes: !!naes },
    randomBytes: function (n) {
      try {
        return drbg.generate(n);
      } catch (e) {
        if (!source || (e as { code?: string }).code !== "CRYPTO_DRBG_RESEED") throw e;
        drbg.reseed(source());
        return drbg.generate(n);
      }
    },
    sha256: function (data) {
      if (!(data instanceof Uint8Array)) throw perr("CRYPTO_BAD_INPUT", "data must be a Uint8Array");
      return sha(data);
    },
    hmacSha256: kdf.hmac,
    hkdfExtract: kdf.hkdfExtract,
    hkdfExpand: kdf.hkdfExpand,
    aeadSeal: function (key, nonce, aad, plaintext) {
      return aead(key, nonce, aad, plaintext, false) as Bytes;
    },
    aeadOpen: function (key, nonce, aad, ciphertext) {
      return aead(key, nonce, aad, ciphertext, true);
    },
    ctEqual: function (a, b) {
      if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) throw perr("CRYPTO_BAD_INPUT", "ctEqual arguments must be Uint8Arrays");
      return bytesCtEqual(a, b);
    },
    reseed: function (entropy) {
      drbg.reseed(entropy);
    },
    forget: function () {
      kdf.forget();
      if (fb) fb.aesForget();
    },
  };
}

/**
 * For any board. native: `require("crypto")`, or null (everything interpreted).
 * seedEntropy: at least 32 bytes of entropy, or a function returning them (called at
 * start-up and whenever the DRBG needs reseeding).
 * reseedInterval: generate calls between reseeds (default DRBG_RESEED_INTERVAL; tests).
 */
export function createDeviceSymmetric(native: EspruinoCrypto | null, seedEntropy: Bytes | (() => Bytes), reseedInterval?: number): DeviceSymmetric {
  return make(native, seedEntropy, { sha256: jsSha256, midstate: { mid: sha256Mid, resume: sha256Resume }, aesEncryptBlock: aesEncryptBlock, aesForget: aesForget }, reseedInterval);
}

/** For boards whose firmware has native SHA256 and AES: the same provider without the interpreted fallbacks (CRYPTO_UNSUPPORTED otherwise). */
export function createNativeSymmetric(native: EspruinoCrypto, seedEntropy: Bytes | (() => Bytes), reseedInterval?: number): DeviceSymmetric {
  return make(native, seedEntropy, null, reseedInterval);
}
