/**
 * Power-loss-safe records over a flat key-value flash store (Espruino's Storage on
 * devices, a directory or memory on hosts).
 *
 * Each logical record lives in two physical files, `<name>.0` and `<name>.1`. An update
 * writes the new version into the file that does not hold the newest valid copy, reads it
 * back and verifies it, and only then erases the older copy. At boot the newest copy with
 * a valid checksum wins. A write torn by power loss therefore leaves either the old or the
 * new state, never a mixture, and never nothing.
 *
 * Layout: "PK" | format 1 | version (u32 BE) | length (u16 BE) | payload | SHA-256(all
 * before)[0..8]. The checksum detects torn or corrupted writes; it is not an
 * authenticator (secrets inside payloads are encrypted and authenticated by the caller).
 *
 * Espruino subset.
 */
import { bytesEqual, concat, type Bytes } from "../bytes";
import { perr } from "../errors";

/** The flash store a platform provides. */
export interface FlashStore {
  read(name: string): Bytes | null;
  /** Writes the whole file; may throw (flash full, power loss in tests). */
  write(name: string, data: Bytes): void;
  erase(name: string): void;
}

export interface StoredRecord {
  version: number;
  data: Bytes;
}

var HDR = 9;
var SUM = 8;
/** Largest payload a record may hold: Puck.js Storage is 40 KB in total. */
export var MAX_RECORD = 4096;

function checksum(sha256: (b: Bytes) => Bytes, b: Bytes): Bytes {
  return sha256(b).subarray(0, SUM);
}

function encodeRecord(sha256: (b: Bytes) => Bytes, version: number, data: Bytes): Bytes {
  var h = new Uint8Array(HDR);
  h[0] = 0x50;
  h[1] = 0x4b;
  h[2] = 1;
  h[3] = (version >>> 24) & 255;
  h[4] = (version >> 16) & 255;
  h[5] = (version >> 8) & 255;
  h[6] = version & 255;
  h[7] = data.length >> 8;
  h[8] = data.length & 255;
  var body = concat([h, data]);
  return concat([body, checksum(sha256, body)]);
}

/** Parses one physical copy; null when missing, torn or corrupted. */
function decodeRecord(sha256: (b: Bytes) => Bytes, b: Bytes | null): StoredRecord | null {
  if (!b || b.length < HDR + SUM || b[0] !== 0x50 || b[1] !== 0x4b || b[2] !== 1) return null;
  var len = (b[7] << 8) | b[8];
  if (b.length !== HDR + len + SUM) return null;
  var body = b.subarray(0, HDR + len);
  if (!bytesEqual(checksum(sha256, body), b.subarray(HDR + len))) return null;
  var v = ((b[3] << 24) >>> 0) + (b[4] << 16) + (b[5] << 8) + b[6];
  return { version: v, data: new Uint8Array(b.subarray(HDR, HDR + len)) };
}

/** Returns [index of newest valid copy or -1, its record]. */
function newest(fs: FlashStore, sha256: (b: Bytes) => Bytes, name: string): { i: number; r: StoredRecord | null } {
  var a = decodeRecord(sha256, fs.read(name + ".0"));
  var b = decodeRecord(sha256, fs.read(name + ".1"));
  if (a && (!b || a.version > b.version)) return { i: 0, r: a };
  if (b) return { i: 1, r: b };
  return { i: -1, r: null };
}

/** Loads the newest valid copy of a record, or null when there is none. */
export function loadRecord(fs: FlashStore, sha256: (b: Bytes) => Bytes, name: string): StoredRecord | null {
  return newest(fs, sha256, name).r;
}

/**
 * Saves a new version of a record and returns its version number. Throws a typed error
 * when the write cannot be verified; the previous version then remains the current one.
 */
export function saveRecord(fs: FlashStore, sha256: (b: Bytes) => Bytes, name: string, data: Bytes): number {
  if (data.length > MAX_RECORD) throw perr("STORE_TOO_LARGE", "record larger than " + MAX_RECORD + " bytes");
  var cur = newest(fs, sha256, name);
  var version = cur.r ? cur.r.version + 1 : 1;
  var target = name + (cur.i === 0 ? ".1" : ".0");
  var bytes = encodeRecord(sha256, version, data);
  fs.write(target, bytes);
  var back = decodeRecord(sha256, fs.read(target));
  if (!back || back.version !== version || !bytesEqual(back.data, data)) throw perr("STORE_VERIFY", "record did not read back correctly");
  if (cur.i >= 0) fs.erase(name + (cur.i === 0 ? ".0" : ".1"));
  return version;
}

/** Removes both copies (used by clear-all; the caller writes an empty record first when it must survive power loss). */
export function eraseRecord(fs: FlashStore, name: string): void {
  fs.erase(name + ".0");
  fs.erase(name + ".1");
}
