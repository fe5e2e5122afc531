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
 * Espruino subset.
 */
import { bytesEqual, concat, wipe, type Bytes } from "../bytes";
import { cmap, decode, encode, isMap, mapGet, type CborValue } from "../cbor";
import { perr } from "../errors";
import { loadRecord, saveRecord, type FlashStore } from "../store/records";
import type { SymmetricCrypto } from "../../crypto/provider";

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

export var BINDINGS_RECORD = "pkb";
var AAD = [0x70, 0x6b, 0x62, 0x31]; // "pkb1"
var NONCE = 13;

export function emptySet(): BindingSet {
  return { list: [], evicted: [], next: 1 };
}

function toCbor(s: BindingSet): Bytes {
  var l: CborValue[] = [];
  for (var i = 0; i < s.list.length; i++) {
    var b = s.list[i];
    l.push([b.sub, b.model, b.role, b.kid, b.pub, b.cred, b.secret, b.n, b.addr]);
  }
  return encode(cmap([1, 2, 3], [l, s.evicted, s.next]));
}

function str(v: unknown): string {
  if (typeof v !== "string") throw perr("STORE_CORRUPT", "bindings record has a bad field");
  return v;
}

function bin(v: unknown, len: number): Bytes {
  if (!(v instanceof Uint8Array) || (len > 0 && v.length !== len)) throw perr("STORE_CORRUPT", "bindings record has a bad field");
  return v;
}

function fromCbor(b: Bytes): BindingSet {
  var m = decode(b, true);
  if (!isMap(m)) throw perr("STORE_CORRUPT", "bindings record is not a map");
  var l = mapGet(m, 1), ev = mapGet(m, 2), next = mapGet(m, 3);
  if (!Array.isArray(l) || !Array.isArray(ev) || typeof next !== "number") throw perr("STORE_CORRUPT", "bindings record lacks fields");
  var out: BindingSet = { list: [], evicted: [], next: next };
  for (var i = 0; i < l.length; i++) {
    var e = l[i];
    if (!Array.isArray(e) || e.length !== 9 || typeof e[7] !== "number") throw perr("STORE_CORRUPT", "bad binding entry");
    out.list.push({ sub: str(e[0]), model: str(e[1]), role: str(e[2]), kid: bin(e[3], 0), pub: bin(e[4], 64), cred: bin(e[5], 0), secret: bin(e[6], 32), n: e[7] as number, addr: str(e[8]) });
  }
  for (i = 0; i < ev.length; i++) out.evicted.push(str(ev[i]));
  return out;
}

/**
 * Loads the bindings (decrypting with the at-rest key). No record yet gives an empty set;
 * a record that fails authentication is STORE_CORRUPT (it was not written by this device
 * or was damaged) and the caller decides (the firmware reports it and starts empty).
 */
export function loadBindings(c: SymmetricCrypto, fs: FlashStore, key: Bytes): BindingSet {
  var r = loadRecord(fs, c.sha256, BINDINGS_RECORD);
  if (!r) return emptySet();
  if (r.data.length < NONCE + 8) throw perr("STORE_CORRUPT", "bindings record too short");
  var pt = c.aeadOpen(key, r.data.subarray(0, NONCE), new Uint8Array(AAD), r.data.subarray(NONCE));
  if (!pt) throw perr("STORE_CORRUPT", "bindings record failed authentication");
  var s = fromCbor(pt);
  wipe(pt);
  return s;
}

/** Encrypts and saves the whole set as one power-loss-safe record. */
export function saveBindings(c: SymmetricCrypto, fs: FlashStore, key: Bytes, s: BindingSet): void {
  var pt = toCbor(s);
  var nonce = c.randomBytes(NONCE);
  var ct = c.aeadSeal(key, nonce, new Uint8Array(AAD), pt);
  wipe(pt);
  saveRecord(fs, c.sha256, BINDINGS_RECORD, concat([nonce, ct]));
}

export function findBySub(s: BindingSet, sub: string): Binding | null {
  for (var i = 0; i < s.list.length; i++) if (s.list[i].sub === sub) return s.list[i];
  return null;
}

export function findByKid(s: BindingSet, kid: Bytes): Binding | null {
  for (var i = 0; i < s.list.length; i++) if (bytesEqual(s.list[i].kid, kid)) return s.list[i];
  return null;
}
