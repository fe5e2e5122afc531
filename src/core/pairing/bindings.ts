/**
 * The bindings a device keeps: who it is paired with (identity, pinned key and kid, the
 * peer's credential for EDHOC by reference), the pairing secret for fast reconnect, a
 * creation counter, and the identities of units it replaced (a local deny list).
 *
 * At rest the whole set is one record (records.ts: A/B copies, power-loss safe) whose
 * payload is AES-CCM under a key only the device's secure element can reproduce, so
 * nothing secret sits in flash in clear and a record cannot be swapped for another
 * device's or edited. An update is a single record write: a replacement's "remove the old
 * binding, add the new one, deny the old identity" commits all at once or not at all.
 *
 * Plaintext layout (read and written directly, no generic CBOR tree at boot): a run of
 * fields, each a 2-byte big-endian length and its bytes; strings are UTF-8, numbers
 * decimal strings. Fields: next counter, number of bindings, then per binding sub, model,
 * role, kid, pub (64), cred, secret (32), n, addr; then every evicted identity. The AAD
 * names the layout ("pkb2"), so a record in another layout fails authentication
 * (STORE_CORRUPT) instead of being misread.
 *
 * Espruino subset.
 */
import { concat, utf8Decode, utf8Encode, wipe, type Bytes } from "../bytes";
import { perr } from "../errors";
import { loadRecord, saveRecord, type FlashStore } from "../store/records";
import type { SymmetricCrypto } from "../../crypto/provider";
import { BINDINGS_NONCE, BINDINGS_RECORD } from "./sas";

export interface Binding {
  /** Peer identity (credential sub). */
  sub: string;
  model: string;
  role: string;
  /** Peer's kid and pinned public key (64 bytes x||y). */
  kid: Bytes;
  pub: Bytes;
  /** Peer's credential (CRED_x) for EDHOC by reference. */
  cred: Bytes;
  /** 32-byte pairing secret (EDHOC exporter) for fast reconnect. Secret. */
  secret: Bytes;
  /** Creation counter: increases with every binding this device ever made. */
  n: number;
  /** Transport address hint (BLE address, hub name), not secret. */
  addr: string;
}

export interface BindingSet {
  list: Binding[];
  /** Identities of replaced units, refused from now on. */
  evicted: string[];
  /** Next creation counter. */
  next: number;
}

export { BINDINGS_RECORD };
var AAD = new Uint8Array([0x70, 0x6b, 0x62, 0x32]); // "pkb2" (read only)

/**
 * With s: encrypts and saves the whole set as one power-loss-safe record (returns s).
 * Without: loads it (null when there is no record yet). A record that fails
 * authentication is STORE_CORRUPT (not written by this device, or damaged) and the caller
 * decides (the controller reports it and starts empty). One function for both directions:
 * on a device every function costs memory for as long as it exists.
 */
export function bindingStore(c: SymmetricCrypto, fs: FlashStore, key: Bytes, s?: BindingSet): BindingSet | null {
  var i: number, pt: Bytes;
  if (s) {
    var v: (string | Bytes)[] = ["" + s.next, "" + s.list.length];
    for (i = 0; i < s.list.length; i++) {
      var b = s.list[i];
      v.push(b.sub, b.model, b.role, b.kid, b.pub, b.cred, b.secret, "" + b.n, b.addr);
    }
    v = v.concat(s.evicted);
    var parts: Bytes[] = [];
    for (i = 0; i < v.length; i++) {
      var d = v[i];
      if (typeof d === "string") d = utf8Encode(d);
      parts.push(new Uint8Array([d.length >> 8, d.length]), d);
    }
    pt = concat(parts);
    var nonce = c.randomBytes(BINDINGS_NONCE);
    var ct = c.aeadSeal(key, nonce, AAD, pt);
    wipe(pt);
    saveRecord(fs, c.sha256, BINDINGS_RECORD, concat([nonce, ct]));
    return s;
  }
  var r = loadRecord(fs, c.sha256, BINDINGS_RECORD);
  if (!r) return null;
  var d: Bytes | string = r.data;
  // Too short for a nonce and a tag, or failed authentication.
  if (d.length < BINDINGS_NONCE + 8 || !(pt = c.aeadOpen(key, d.subarray(0, BINDINGS_NONCE), AAD, d.subarray(BINDINGS_NONCE)) as Bytes)) {
    throw perr("STORE_CORRUPT", "bindings record too short or failed authentication");
  }
  var at = 0;
  // The next field, copied out of the plaintext (which is wiped below): t < 0 a string,
  // 1 a number, otherwise bytes (exactly t bytes; 0: any length).
  var f = function (t: number): any {
    var l = at + 2 <= pt.length ? (pt[at] << 8) | pt[at + 1] : 0;
    at += 2 + l;
    if (at > pt.length || (t > 1 && l !== t)) throw perr("STORE_CORRUPT", "bindings record has a bad field");
    var y = new Uint8Array(pt.subarray(at - l, at));
    return t < 0 ? utf8Decode(y) : t === 1 ? +utf8Decode(y) : y;
  };
  var out: BindingSet;
  // (No return inside: Espruino skips a finally block after a return.)
  try {
    out = { list: [], evicted: [], next: f(1) };
    for (i = f(1); i > 0; i--) out.list.push({ sub: f(-1), model: f(-1), role: f(-1), kid: f(0), pub: f(64), cred: f(0), secret: f(32), n: f(1), addr: f(-1) });
    while (at < pt.length) out.evicted.push(f(-1));
  } finally {
    wipe(pt);
  }
  return out;
}
