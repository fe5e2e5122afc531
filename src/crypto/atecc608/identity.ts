/**
 * pairkit's slot map on the ATECC608 and what a device reads from it at boot (Espruino
 * subset). The map, the configuration words that enforce it and the reasons are in
 * docs/atecc608.md; src/host/atecc608/provision.ts writes and locks it.
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import { encodeCommand, seCounter, seRun } from "./driver";
import type { SeDriver } from "./driver";
import { OP_ECDH, OP_READ, T_ECDH, T_READ, ZONE_DATA, SLOT_AT_REST, SLOT_IDENTITY, COUNTER_BINDINGS, AT_REST_POINT_B64, IDENTITY_MAX } from "./constants";

export {
  SLOT_DEVICE_KEY, SLOT_EPHEMERAL, SLOT_AT_REST, SLOT_IDENTITY, COUNTER_BINDINGS, AT_REST_POINT_HEX, AT_REST_POINT_B64, IDENTITY_MAX,
} from "./constants";

export interface SeIdentity {
  /** The device's CWT (CRED_x), at most 200 bytes by pairkit's budget. */
  credential: Bytes;
  /** Trust anchors (manufacturer CA public keys, as the trust layer encodes them). */
  anchors: Bytes[];
}


/**
 * Identity record, version 1: "PK" 0x01 N | total length L (2 bytes BE) | credential
 * length C (2 bytes BE) | credential | N x (length (2 bytes BE) | anchor); zero padding
 * after L up to whole 32-byte blocks.
 */
export function encodeIdentity(id: SeIdentity): Bytes {
  var n = 8 + id.credential.length;
  var i;
  for (i = 0; i < id.anchors.length; i++) n += 2 + id.anchors[i].length;
  if (n > IDENTITY_MAX || id.anchors.length > 255 || id.credential.length === 0) throw perr("SE_IDENTITY_TOO_LARGE", "credential and trust anchors do not fit slot 8");
  var out = new Uint8Array(Math.ceil(n / 32) * 32);
  out[0] = 0x50;
  out[1] = 0x4b;
  out[2] = 1;
  out[3] = id.anchors.length;
  out[4] = n >> 8;
  out[5] = n & 255;
  out[6] = id.credential.length >> 8;
  out[7] = id.credential.length & 255;
  out.set(id.credential, 8);
  var o = 8 + id.credential.length;
  for (i = 0; i < id.anchors.length; i++) {
    var a = id.anchors[i];
    out[o] = a.length >> 8;
    out[o + 1] = a.length & 255;
    out.set(a, o + 2);
    o += 2 + a.length;
  }
  return out;
}

/** Parses an identity record (followed by any padding); a malformed one is SE_IDENTITY_CORRUPT. */
export function decodeIdentity(b: Bytes): SeIdentity {
  var n = (b[4] << 8) | b[5];
  var c = (b[6] << 8) | b[7];
  var o = 8 + c;
  var anchors: Bytes[] = [];
  var l;
  var ok = b.length >= 8 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 1 && n <= IDENTITY_MAX && n <= b.length && c > 0;
  // Anchors until the count is reached or the total length L is; o moves forward every time.
  while (ok && o <= n && anchors.length < b[3]) {
    l = (b[o] << 8) | b[o + 1];
    anchors.push(b.slice(o + 2, o + 2 + l));
    o += 2 + l;
  }
  // Everything must end exactly at L (credential and anchors inside it, no trailing bytes).
  if (!ok || o !== n || anchors.length < b[3]) throw perr("SE_IDENTITY_CORRUPT", "slot 8 holds no valid identity record");
  return { credential: b.slice(8, 8 + c), anchors: anchors };
}

/**
 * Reads the identity record from slot 8: the first 32-byte block, then as many more as its
 * length needs, into a buffer of exactly that size. Each Read is queued from the previous
 * one's completion callback (no idle in between, and no promise per Read) and settles one
 * outer promise: a chain of promises would keep every Read's promise alive until the last.
 */
export function readIdentity(d: SeDriver): Promise<SeIdentity> {
  return new Promise(function (resolve, reject) {
    var buf: Uint8Array;
    var k = 0;
    var n; // the record's block count, from its first block
    var next = function (e?: any, r?: Bytes): void {
      if (e) return reject(e);
      if (r) {
        // The total length (bytes 4-5) says how many blocks; if it makes no sense, the
        // first block alone is decoded, and fails.
        if (!k) {
          n = (((r[4] << 8) | r[5]) + 31) >> 5;
          buf = new Uint8Array((n > 0 && n <= IDENTITY_MAX >> 5 ? n : 1) * 32);
        }
        buf.set(r, k++ * 32);
        if (k * 32 === buf.length) {
          try {
            resolve(decodeIdentity(buf));
          } catch (x) {
            reject(x);
          }
          return;
        }
      }
      seRun(d, encodeCommand(OP_READ, ZONE_DATA | 0x80, (SLOT_IDENTITY << 3) | (k << 8)), T_READ, 32, null, null, next); // seAddr(ZONE_DATA, 8, k, 0)
    };
    next();
  });
}

/**
 * The device-unique at-rest secret: ECDH between the slot-3 private key (made by GenKey
 * inside this chip, never readable, ECDH its only use) and the fixed point above. Only
 * this chip can reproduce it; firmware derives its storage keys from it with HKDF (for
 * example info "pairkit at-rest v1") once per boot. Costs one ECDH (75 ms).
 */
export function seAtRestSecret(d: SeDriver): Promise<Bytes> {
  var s = atob(AT_REST_POINT_B64);
  var p = new Uint8Array(64);
  for (var i = 0; i < 64; i++) p[i] = s.charCodeAt(i);
  return seRun(d, encodeCommand(OP_ECDH, 0x0c, SLOT_AT_REST, p), T_ECDH, 32);
}

/** Reads (increment false) or increments the binding-store version counter. */
export function seBindingsCounter(d: SeDriver, increment: boolean): Promise<number> {
  return seCounter(d, increment ? 1 : 0, COUNTER_BINDINGS);
}
