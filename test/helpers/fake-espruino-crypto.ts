/**
 * A fake of Espruino 2v29's `require("crypto")` (SHA256 and AES) on node:crypto, for
 * testing device code in Node.
 *
 * Faithful to what the firmware does, as read in libs/crypto/jswrap_crypto.c of
 * espruino/Espruino at RELEASE_2V29 and confirmed on the 2v29 Linux interpreter:
 * - results are ArrayBuffers (never typed arrays);
 * - inputs may be Uint8Array (views honour byteOffset), ArrayBuffer, plain arrays (each
 *   element & 255) or strings (char codes & 255);
 * - AES options: undefined means CBC with a zero IV; a non-object prints an error and
 *   returns undefined; mode defaults to "CBC"; an unknown mode name THROWS; iv is copied
 *   into 16 zero bytes (shorter is zero-padded, longer is truncated);
 * - errors are printed and return undefined instead of throwing: key not 16/24/32 bytes
 *   ("Unknown error: -0x20"), CBC length not a multiple of 16 ("Invalid input length"),
 *   mode "OFB" ("Feature unavailable");
 * - ECB processes whole blocks and leaves a trailing partial block as zero bytes;
 * - CTR ignores iv: the counter block always starts at zero (128-bit big-endian
 *   increment); "CFB" is CFB-8;
 * - CTR and CFB decryption set up the decryption key schedule but run the forward cipher,
 *   so their output is unrelated to encryption. That garbage is not emulated: the fake
 *   throws, so no test can come to depend on it.
 * Printed errors go to `errors` (not the console) so tests can assert on them; `calls`
 * counts every call by name and mode.
 */
import { createCipheriv, createDecipheriv, createHash } from "node:crypto";

export interface FakeEspruinoCryptoOptions {
  /** Include SHA256 (default true); Pixl.js builds have none. */
  sha256?: boolean;
  /** Include AES (default true); MDBT42Q and Pixl.js builds have none. */
  aes?: boolean;
}

type AesOptions = { mode?: string; iv?: unknown } | undefined;

export interface FakeEspruinoCrypto {
  SHA256?: (data: unknown) => ArrayBuffer | undefined;
  AES?: {
    encrypt: (data: unknown, key: unknown, options?: AesOptions) => ArrayBuffer | undefined;
    decrypt: (data: unknown, key: unknown, options?: AesOptions) => ArrayBuffer | undefined;
  };
  /** Messages the firmware would have printed (jsError), in order. */
  errors: string[];
  /** Calls by name, e.g. "SHA256", "AES.encrypt.ECB". */
  calls: Record<string, number>;
}

/** JSV_GET_AS_CHAR_ARRAY for the input types device code passes. */
function bytesOf(x: unknown): Buffer {
  if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  if (x instanceof ArrayBuffer) return Buffer.from(x);
  if (Array.isArray(x)) return Buffer.from(x.map((v) => Number(v) & 255));
  if (typeof x === "string") return Buffer.from(Array.from(x, (c) => c.charCodeAt(0) & 255));
  throw new Error("fake-espruino-crypto: input type not emulated (" + Object.prototype.toString.call(x) + ")");
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  var ab = new ArrayBuffer(b.length);
  new Uint8Array(ab).set(b);
  return ab;
}

export function createFakeEspruinoCrypto(opts?: FakeEspruinoCryptoOptions): FakeEspruinoCrypto {
  var fake: FakeEspruinoCrypto = { errors: [], calls: {} };
  function count(name: string): void {
    fake.calls[name] = (fake.calls[name] || 0) + 1;
  }

  function crypt(encrypt: boolean, data: unknown, key: unknown, options: AesOptions): ArrayBuffer | undefined {
    var mode = "CBC";
    var iv = Buffer.alloc(16);
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      count("AES." + (encrypt ? "encrypt" : "decrypt") + ".badOptions");
      fake.errors.push("'options' must be undefined, or an Object");
      return undefined;
    }
    if (options) {
      if (options.iv !== undefined) bytesOf(options.iv).copy(iv, 0, 0, 16);
      if (options.mode !== undefined) {
        mode = String(options.mode);
        if (["CBC", "CFB", "CTR", "OFB", "ECB"].indexOf(mode) < 0) throw new Error('Unknown Crypto mode "' + mode + '"');
      }
    }
    count("AES." + (encrypt ? "encrypt" : "decrypt") + "." + mode);
    var msg = bytesOf(data);
    var k = bytesOf(key);
    if (k.length !== 16 && k.length !== 24 && k.length !== 32) {
      fake.errors.push("Unknown error: -0x20");
      return undefined;
    }
    var bits = k.length * 8;
    var out = Buffer.alloc(msg.length);
    var c;
    if (mode === "CBC") {
      if (msg.length % 16 !== 0) {
        fake.errors.push("Invalid input length");
        return undefined;
      }
      c = encrypt ? createCipheriv("aes-" + bits + "-cbc", k, iv) : createDecipheriv("aes-" + bits + "-cbc", k, iv);
      c.setAutoPadding(false);
      Buffer.concat([c.update(msg), c.final()]).copy(out);
    } else if (mode === "ECB") {
      var whole = msg.length - (msg.length % 16);
      c = encrypt ? createCipheriv("aes-" + bits + "-ecb", k, null) : createDecipheriv("aes-" + bits + "-ecb", k, null);
      c.setAutoPadding(false);
      Buffer.concat([c.update(msg.subarray(0, whole)), c.final()]).copy(out);
    } else if (mode === "CTR" || mode === "CFB") {
      if (!encrypt) throw new Error("fake-espruino-crypto: " + mode + " decrypt returns garbage in Espruino 2v29 (decryption key schedule); not emulated");
      c = mode === "CTR" ? createCipheriv("aes-" + bits + "-ctr", k, Buffer.alloc(16)) : createCipheriv("aes-" + bits + "-cfb8", k, iv);
      Buffer.concat([c.update(msg), c.final()]).copy(out);
    } else {
      fake.errors.push("Feature unavailable");
      return undefined;
    }
    return toArrayBuffer(out);
  }

  if (!opts || opts.sha256 !== false) {
    fake.SHA256 = function (data) {
      count("SHA256");
      return toArrayBuffer(createHash("sha256").update(bytesOf(data)).digest());
    };
  }
  if (!opts || opts.aes !== false) {
    fake.AES = {
      encrypt: function (data, key, options) {
        return crypt(true, data, key, options);
      },
      decrypt: function (data, key, options) {
        return crypt(false, data, key, options);
      },
    };
  }
  return fake;
}
