/**
 * Secure session records after EDHOC (or after a fast reconnect): AES-CCM-16-64-128 with
 * per-direction keys and IVs from the EDHOC exporter, OSCORE-style nonces, a 64-record
 * sliding replay window, a cap on records per key with automatic key update through
 * EDHOC_KeyUpdate, and a hard refusal to reuse a nonce. See docs/sessions.md.
 *
 * Record (all of it on the wire; the header is also the AEAD's associated data):
 *
 *   byte 0      tt eee nnn   tt = record type (0 data, 1 close, 2 confirm, 3 reserved)
 *                            eee = send epoch mod 8 (key generation of this direction)
 *                            nnn = length of the sequence number in bytes, 1..4
 *   bytes 1..n  sequence number, big-endian, shortest form (n = 1 for 0..255)
 *   then        AES-CCM ciphertext || 8-byte tag
 *
 * Overhead: 10 bytes for the first 256 records of an epoch, 11 up to 65535, at most 13.
 * Nonce = IV(13 bytes, per direction and epoch) XOR the sequence number left-padded to 13
 * bytes (RFC 8613 section 5.2 without the sender ID: keys and IVs are per direction).
 *
 * Device code: Espruino subset, few functions and one key buffer per session (every
 * function, property and typed array costs interpreter variables). A failed open or seal
 * changes no state. Old keys are overwritten on key update and wiped on close.
 *
 * Host only: SessionOptions (maxPlain, cap, autoUpdate). Device bundles drop the option
 * handling (nothing on a device passes options) and run with the defaults: 1024-byte
 * records, key update every 2^20 records.
 */
import { concat, wipe, EMPTY, type Bytes } from "../bytes";
import { perr } from "../errors";
import { DEVICE } from "../target";
import { edhocKdf, edhocKeyUpdate, prkExporter } from "../edhoc/kdf";
import type { SymmetricCrypto } from "../../crypto/provider";

import {
  LABEL_SESSION_I2R, LABEL_SESSION_R2I, REC_DATA, REC_CLOSE, REC_CONFIRM, REC_TAG_LEN, REC_SEQ_LIMIT, KEYS_KEY, KEYS_IV, KEYS_RX
} from "./consts";

export {
  LABEL_SESSION_I2R, LABEL_SESSION_R2I, REC_DATA, REC_CLOSE, REC_CONFIRM, REC_TAG_LEN, REC_SEQ_LIMIT, KEYS_KEY, KEYS_IV, KEYS_RX
} from "./consts";

export interface SessionOptions {
  /** Largest plaintext of one record in bytes (default 1024). */
  maxPlain?: number;
  /** Records per key (per direction and epoch) before the sender must update (default 2^20, at most 2^32). */
  cap?: number;
  /** false: refuse with SESSION_EXHAUSTED at the cap instead of updating keys (default true). */
  autoUpdate?: boolean;
}

export interface Session {
  c: SymmetricCrypto;
  /** true on the EDHOC initiator's side. */
  i: boolean;
  /**
   * Every secret of the session in one buffer (122 bytes, see KEYS_*): send PRK_out of the
   * current epoch, key, IV at 0..60; the same for the receive direction at 61..121.
   */
  k: Bytes;
  /** Send epoch and next sequence number. */
  se: number;
  sn: number;
  /** Receive epoch and highest sequence number accepted (-1: none). */
  re: number;
  rn: number;
  /**
   * Replay window of the 64 sequence numbers rn-63..rn: bit (q mod 32) of w0 (q mod 64 < 32)
   * or of w1 set = sequence q was accepted.
   */
  w0: number;
  w1: number;
  /** Host only (SessionOptions; a device uses the defaults as literals). */
  max: number;
  cap: number;
  auto: boolean;
  /** The peer has proven possession of the keys (one authenticated record received). */
  proven: boolean;
  /** Closed (locally or by an authenticated close record): keys are wiped, everything refuses. */
  closed: boolean;
}

/**
 * Starts a session from an EDHOC PRK_out (or the PRK of a fast reconnect). The session
 * keeps its own copy; the caller may wipe prkOut afterwards. Costs 3 HMACs.
 */
export function sessionNew(c: SymmetricCrypto, prkOut: Bytes, initiator: boolean, opts?: SessionOptions): Session {
  if (!(prkOut instanceof Uint8Array) || prkOut.length !== 32) throw perr("SESSION_BAD_KEY", "bad PRK");
  var s = {
    c: c, i: initiator, se: 0, sn: 0, re: 0, rn: -1, w0: 0, w1: 0, proven: false, closed: false
  } as Session;
  // Options exist on hosts only: a device uses the defaults as literals (1024, 2^20, auto).
  if (!DEVICE) {
    s.max = opts && opts.maxPlain !== undefined ? opts.maxPlain : 1024;
    s.cap = opts && opts.cap !== undefined ? opts.cap : 1048576;
    s.auto = !opts || opts.autoUpdate !== false;
    if (!(s.cap >= 1 && s.cap <= REC_SEQ_LIMIT)) throw perr("SESSION_BAD_OPTION", "bad cap");
  }
  var pe = prkExporter(c, prkOut);
  var a = edhocKdf(c, pe, initiator ? LABEL_SESSION_I2R : LABEL_SESSION_R2I, EMPTY, 29);
  var b = edhocKdf(c, pe, initiator ? LABEL_SESSION_R2I : LABEL_SESSION_I2R, EMPTY, 29);
  // PRK, key and IV of each direction: 32 + 29 bytes (KEYS_KEY, KEYS_IV, KEYS_RX).
  s.k = concat([prkOut, a, prkOut, b]);
  wipe(pe); wipe(a); wipe(b);
  return s;
}

/** Wipes every key of the session and marks it closed. Idempotent. */
export function sessionClose(s: Session): void {
  wipe(s.k);
  s.closed = true;
}

/**
 * Key update. sessionUpdate(s) updates the send keys now (new epoch, sequence restarts at
 * 0; the old keys are overwritten); the peer follows when it authenticates the first
 * record of the new epoch. sessionUpdate(s, true) (used by sessionOpen) derives the peer's
 * next epoch on trial and returns a copy of Session.k with it in the receive half, without
 * changing the session (the caller wipes the copy).
 *
 * PRK_out' = EDHOC_KeyUpdate(PRK_out, h''), then the direction's key and IV from the
 * exporter of PRK_out': PRK' || key' || IV' replace one half of Session.k.
 */
export function sessionUpdate(s: Session, peer?: boolean): Bytes | undefined {
  if (s.closed) throw perr("SESSION_CLOSED", "closed");
  var c = s.c;
  var o = peer ? KEYS_RX : 0;
  var p = edhocKeyUpdate(c, s.k.subarray(o, o + 32), EMPTY);
  var pe = prkExporter(c, p);
  var m = edhocKdf(c, pe, !peer === s.i ? LABEL_SESSION_I2R : LABEL_SESSION_R2I, EMPTY, 29);
  var t = peer ? new Uint8Array(s.k) : s.k;
  t.set(p, o);
  t.set(m, o + KEYS_KEY);
  wipe(p); wipe(pe); wipe(m);
  if (peer) return t;
  s.se++;
  s.sn = 0;
  return undefined;
}

/**
 * Seals one record. t (the type): REC_DATA (default), REC_CLOSE (the session closes after sealing)
 * or REC_CONFIRM. At the cap the send keys are updated first (or SESSION_EXHAUSTED when
 * autoUpdate is off); a sequence number is never used twice under one key.
 */
export function sessionSeal(s: Session, data: Bytes, t?: number): Bytes {
  if (s.closed) throw perr("SESSION_CLOSED", "closed");
  t = t || 0;
  // REC_DATA, REC_CLOSE or REC_CONFIRM (0..2).
  if (t !== (t & 3) || t > REC_CONFIRM) throw perr("SESSION_BAD_TYPE", "bad type");
  if (!(data instanceof Uint8Array)) throw perr("SESSION_FORMAT", "not bytes");
  if (data.length > (DEVICE ? 1024 : s.max)) throw perr("SESSION_TOO_LARGE", "too large");
  if (s.sn >= (DEVICE ? 1048576 : s.cap)) {
    // (cap <= REC_SEQ_LIMIT: the sequence number always fits the header)
    if (!DEVICE && !s.auto) throw perr("SESSION_EXHAUSTED", "key exhausted");
    sessionUpdate(s);
  }
  var q = s.sn;
  var n = q < 256 ? 1 : q < 65536 ? 2 : q < 16777216 ? 3 : 4;
  // Header h (the sequence number big-endian) and nonce x (the IV XOR the sequence number,
  // right-aligned) in one loop. The record is put together after sealing, so that it does
  // not exist while the AEAD's own buffers do (the peak).
  var h = new Uint8Array(1 + n);
  var x = new Uint8Array(s.k.subarray(KEYS_IV, KEYS_IV + 13));
  h[0] = (t << 6) | ((s.se & 7) << 3) | n;
  for (var i = 0; i < n; i++) {
    h[n - i] = q & 255;
    x[12 - i] ^= q & 255;
    q = q >>> 8;
  }
  var ct = s.c.aeadSeal(s.k.subarray(KEYS_KEY, KEYS_IV), x, h, data);
  s.sn++;
  if (t === REC_CLOSE) sessionClose(s);
  return concat([h, ct]);
}

/**
 * Opens one record. Returns the plaintext of a data record, or null for a control record
 * (confirm; close, after which the session is closed). Throws SESSION_FORMAT,
 * SESSION_TOO_LARGE, SESSION_EPOCH, SESSION_REPLAY, SESSION_AUTH or SESSION_CLOSED, and
 * then nothing in the session has changed. A record of the peer's next epoch is opened
 * with keys derived on trial; they replace the old ones only if it authenticates.
 */
export function sessionOpen(s: Session, rec: Bytes): Bytes | null {
  if (s.closed) throw perr("SESSION_CLOSED", "closed");
  // Not bytes, or empty: n = 0 below.
  var h = rec instanceof Uint8Array && rec.length ? rec[0] : 0;
  var t = h >> 6;
  var e = (h >> 3) & 7;
  var n = h & 7;
  if (t === 3 || !n || n > 4 || rec.length - n < 1 + REC_TAG_LEN || (n > 1 && !rec[1])) throw perr("SESSION_FORMAT", "bad header");
  if (rec.length - n > 1 + REC_TAG_LEN + (DEVICE ? 1024 : s.max)) throw perr("SESSION_TOO_LARGE", "too large");
  var q = 0;
  for (var i = 1; i <= n; i++) q = q * 256 + rec[i];
  var nx = e === ((s.re + 1) & 7);
  if (!nx && e !== (s.re & 7)) throw perr("SESSION_EPOCH", "bad epoch");
  var d = s.rn - q;
  if (!nx && d >= 0 && (d >= 64 || ((q & 32 ? s.w1 : s.w0) >>> q) & 1)) throw perr("SESSION_REPLAY", "replay");
  // Keys: the peer's next epoch on trial (a copy of the key buffer), or the current ones.
  var kb = nx ? (sessionUpdate(s, true) as Bytes) : s.k;
  // Nonce: the IV XOR the sequence number bytes rec[1..n], right-aligned.
  var x = new Uint8Array(kb.subarray(KEYS_RX + KEYS_IV, KEYS_RX + KEYS_IV + 13));
  for (i = 1; i <= n; i++) x[12 - n + i] ^= rec[i];
  var pt = s.c.aeadOpen(kb.subarray(KEYS_RX + KEYS_KEY, KEYS_RX + KEYS_IV), x, rec.subarray(0, 1 + n), rec.subarray(1 + n));
  if (nx) {
    if (pt) {
      s.k.set(kb);
      s.re++;
      s.rn = -1;
      s.w0 = s.w1 = 0;
      d = -1 - q;
    }
    wipe(kb);
  }
  if (!pt) throw perr("SESSION_AUTH", "auth failed");
  // A new highest sequence number: the window positions of rn+1..q-1 (of 64 at most) now
  // stand for sequence numbers that were not accepted. (Shifts count mod 32, so 1 << z is
  // bit z mod 32 of whichever word.)
  for (var z = 1; z < -d && z <= 64; z++) {
    if ((s.rn + z) & 32) s.w1 &= ~(1 << (s.rn + z));
    else s.w0 &= ~(1 << (s.rn + z));
  }
  if (d < 0) s.rn = q;
  if (q & 32) s.w1 |= 1 << q;
  else s.w0 |= 1 << q;
  s.proven = true;
  if (t === REC_CLOSE) {
    sessionClose(s);
    return null;
  }
  return t === REC_DATA ? pt : null;
}
