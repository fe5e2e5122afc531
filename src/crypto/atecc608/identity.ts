/**
 * pairkit's slot map on the ATECC608 and what a device reads from it at boot (Espruino
 * subset). The map, the configuration words that enforce it and the reasons are in
 * docs/atecc608.md; src/host/atecc608/provision.ts writes and locks it.
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import { ZONE_DATA, seAddr, seCounter, seEcdh, seRead } from "./driver";
import type { SeDriver } from "./driver";
import { SLOT_AT_REST, SLOT_IDENTITY, COUNTER_BINDINGS, AT_REST_POINT_HEX, IDENTITY_MAX } from "./constants";

export {
  SLOT_DEVICE_KEY, SLOT_EPHEMERAL, SLOT_AT_REST, SLOT_IDENTITY, COUNTER_BINDINGS, AT_REST_POINT_HEX, IDENTITY_MAX,
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

/** Length of the record whose first block is b, or -1 when it is not an identity record. */
function recordLength(b: Bytes): number {
  if (b.length < 8 || b[0] !== 0x50 || b[1] !== 0x4b || b[2] !== 1) return -1;
  var n = (b[4] << 8) | b[5];
  return n < 8 || n > IDENTITY_MAX ? -1 : n;
}

export function decodeIdentity(b: Bytes): SeIdentity {
  var n = recordLength(b);
  if (n < 0 || n > b.length) throw perr("SE_IDENTITY_CORRUPT", "slot 8 holds no identity record");
  var c = (b[6] << 8) | b[7];
  var o = 8 + c;
  if (c === 0 || o > n) throw perr("SE_IDENTITY_CORRUPT", "identity record: bad credential length");
  var anchors: Bytes[] = [];
  for (var i = 0; i < b[3]; i++) {
    if (o + 2 > n) throw perr("SE_IDENTITY_CORRUPT", "identity record: truncated anchor");
    var l = (b[o] << 8) | b[o + 1];
    if (o + 2 + l > n) throw perr("SE_IDENTITY_CORRUPT", "identity record: truncated anchor");
    anchors.push(b.slice(o + 2, o + 2 + l));
    o += 2 + l;
  }
  if (o !== n) throw perr("SE_IDENTITY_CORRUPT", "identity record: trailing bytes");
  return { credential: b.slice(8, 8 + c), anchors: anchors };
}

/**
 * Reads the identity record from slot 8: the first 32-byte block, then as many more as its
 * length needs. Iterates with callbacks rather than returning nested promises, so memory
 * stays flat however many blocks there are (a nested promise chain holds every level).
 */
export function readIdentity(d: SeDriver): Promise<SeIdentity> {
  return new Promise(function (resolve, reject) {
    var buf = new Uint8Array(IDENTITY_MAX);
    var k = 0;
    var blocks = 1;
    function next() {
      if (k >= blocks) {
        try {
          resolve(decodeIdentity(buf.subarray(0, blocks * 32)));
        } catch (e) {
          reject(e);
        }
        return;
      }
      seRead(d, ZONE_DATA, seAddr(ZONE_DATA, SLOT_IDENTITY, k, 0), true).then(function (r) {
        buf.set(r, k * 32);
        if (k === 0) {
          var n = recordLength(r);
          if (n < 0) return reject(perr("SE_IDENTITY_CORRUPT", "slot 8 holds no identity record"));
          blocks = Math.ceil(n / 32);
        }
        k++;
        next();
      }, reject);
    }
    next();
  });
}

function fromHex(h: string): Bytes {
  var b = new Uint8Array(h.length >> 1);
  for (var i = 0; i < b.length; i++) b[i] = parseInt(h.substr(2 * i, 2), 16);
  return b;
}

/**
 * The device-unique at-rest secret: ECDH between the slot-3 private key (made by GenKey
 * inside this chip, never readable, ECDH its only use) and the fixed point above. Only
 * this chip can reproduce it; firmware derives its storage keys from it with HKDF (for
 * example info "pairkit at-rest v1") once per boot. Costs one ECDH (75 ms).
 */
export function seAtRestSecret(d: SeDriver): Promise<Bytes> {
  return seEcdh(d, 0x0c, SLOT_AT_REST, fromHex(AT_REST_POINT_HEX));
}

/** Reads (increment false) or increments the binding-store version counter. */
export function seBindingsCounter(d: SeDriver, increment: boolean): Promise<number> {
  return seCounter(d, increment ? 1 : 0, COUNTER_BINDINGS);
}
