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
 * Espruino subset; two functions on a device (each one costs interpreter variables;
 * eraseRecord is for hosts and tests, so device bundles leave it out): the copy parser
 * lives in loadRecord's loop, and saveRecord verifies by comparing the whole file read
 * back with what it wrote.
 */
import { bytesEqual, type Bytes } from "../bytes";
import { perr } from "../errors";

/**
 * The flash store a platform provides: the shape of Espruino's `require("Storage")`, so
 * that a device passes its Storage module itself (no wrapper functions resident in its
 * memory) and hosts pass a small adapter (src/host/sim/flash.ts).
 */
export interface FlashStore {
  /** The file's bytes, or undefined when there is no such file. */
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  /**
   * Writes the whole file; false or a plain Error (Espruino: Storage full) when it could
   * not. A typed error (power loss in tests) is passed on.
   */
  write(name: string, data: Bytes): boolean;
  erase(name: string): void;
}

export interface StoredRecord {
  version: number;
  data: Bytes;
}

/** Largest payload a record may hold: Puck.js Storage is 40 KB in total. (saveRecord has it as a literal: no variable on a device.) */
export var MAX_RECORD = 4096;

/**
 * Loads the newest valid copy of a record (a torn, corrupted or missing copy is skipped),
 * or null when there is none. at (saveRecord's) receives which file holds it: 0, 1, or -1.
 */
export function loadRecord(fs: FlashStore, sha256: (b: Bytes) => Bytes, name: string, at?: number[]): StoredRecord | null {
  var r: StoredRecord | null = null;
  var w = -1;
  for (var i = 0; i < 2; i++) {
    var b: any = fs.readArrayBuffer(name + "." + i);
    if (b) b = new Uint8Array(b);
    // 9-byte header, 8-byte checksum.
    var n = b ? b.length - 17 : -1;
    if (b && n >= 0 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 1 && ((b[7] << 8) | b[8]) === n &&
        bytesEqual(sha256(b.subarray(0, 9 + n)).subarray(0, 8), b.subarray(9 + n))) {
      var v = ((b[3] << 24) >>> 0) + (b[4] << 16) + (b[5] << 8) + b[6];
      // Equal versions (never written by saveRecord): the second copy wins.
      if (!r || v >= r.version) {
        r = { version: v, data: new Uint8Array(b.subarray(9, 9 + n)) };
        w = i;
      }
    }
  }
  if (at) at[0] = w;
  return r;
}

/**
 * Saves a new version of a record and returns its version number. Throws a typed error
 * when the write cannot be verified; the previous version then remains the current one.
 */
export function saveRecord(fs: FlashStore, sha256: (b: Bytes) => Bytes, name: string, data: Bytes): number {
  var n = data.length;
  if (n > 4096) throw perr("STORE_TOO_LARGE", "record larger than 4096 bytes");
  var at = [0];
  var cur = loadRecord(fs, sha256, name, at);
  var v = cur ? cur.version + 1 : 1;
  var f = name + (at[0] ? ".0" : ".1");
  var b = new Uint8Array(17 + n);
  // (Typed array stores keep the low 8 bits.)
  b.set([0x50, 0x4b, 1, v >>> 24, v >> 16, v >> 8, v, n >> 8, n]);
  b.set(data, 9);
  b.set(sha256(b.subarray(0, 9 + n)).subarray(0, 8), 9 + n);
  var back;
  try {
    back = fs.write(f, b) && fs.readArrayBuffer(f);
  } catch (e) {
    // Espruino's Storage throws a plain Error when it is full; that is a write that did not
    // happen. A typed error (the simulator's power cut) goes on as it is.
    if (e && (e as any).code) throw e;
  }
  if (!back || !bytesEqual(new Uint8Array(back), b)) throw perr("STORE_VERIFY", "record was not written (or Storage is full), or did not read back correctly");
  if (at[0] >= 0) fs.erase(name + (at[0] ? ".1" : ".0"));
  return v;
}

/** Removes both copies (used by clear-all; the caller writes an empty record first when it must survive power loss). */
export function eraseRecord(fs: FlashStore, name: string): void {
  fs.erase(name + ".0");
  fs.erase(name + ".1");
}
