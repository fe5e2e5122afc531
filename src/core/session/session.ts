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
 * Device code: Espruino subset, few functions (each function costs interpreter variables).
 * A failed open or seal changes no state. Old keys are wiped on key update and on close.
 */
import { wipe, EMPTY, type Bytes } from "../bytes";
import { perr } from "../errors";
import { edhocKdf, edhocKeyUpdate, prkExporter } from "../edhoc/kdf";
import type { SymmetricCrypto } from "../../crypto/provider";

// Constants are `const` so that esbuild inlines them into the device bundle (no variables).

/**
 * Private-range EDHOC exporter labels (RFC 9528 section 4.2.1: 65000..65535). Each yields
 * 29 bytes = AES key (16) || IV (13) for one direction, context h''.
 */
export const LABEL_SESSION_I2R = 65000;
export const LABEL_SESSION_R2I = 65001;

/** Record types (top two bits of the header byte). */
export const REC_DATA = 0;
export const REC_CLOSE = 1;
export const REC_CONFIRM = 2;

export const REC_TAG_LEN = 8;
/** Largest sequence number the header can carry; the send side never goes past it. */
export const REC_SEQ_LIMIT = 4294967296;

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
  /** Send direction: PRK_out of the current epoch (secret), key, IV, epoch, next sequence number. */
  sp: Bytes;
  sk: Bytes;
  siv: Bytes;
  se: number;
  sn: number;
  /** Receive direction: PRK_out of the current epoch, key, IV, epoch, highest sequence accepted (-1: none). */
  rp: Bytes;
  rk: Bytes;
  riv: Bytes;
  re: number;
  rn: number;
  /** Replay window bits: bit k of w0 (k < 32) or of w1 (k - 32) set = sequence rn - k was accepted. */
  w0: number;
  w1: number;
  max: number;
  cap: number;
  auto: boolean;
  /** The peer has proven possession of the keys (one authenticated record received). */
  proven: boolean;
  /** Closed (locally or by an authenticated close record): keys are wiped, everything refuses. */
  closed: boolean;
}

/** Nonce = IV XOR the sequence number, big-endian, right-aligned. */
function recNonce(iv: Bytes, seq: number): Bytes {
  var n = new Uint8Array(iv);
  n[12] ^= seq & 255;
  n[11] ^= (seq >>> 8) & 255;
  n[10] ^= (seq >>> 16) & 255;
  n[9] ^= (seq >>> 24) & 255;
  return n;
}

/**
 * Starts a session from an EDHOC PRK_out (or the PRK of a fast reconnect). The session
 * keeps its own copies; the caller may wipe prkOut afterwards. Costs 3 HMACs.
 */
export function sessionNew(c: SymmetricCrypto, prkOut: Bytes, initiator: boolean, opts?: SessionOptions): Session {
  if (!(prkOut instanceof Uint8Array) || prkOut.length !== 32) throw perr("SESSION_BAD_KEY", "bad PRK");
  var o = opts || {};
  var cap = o.cap === undefined ? 1048576 : o.cap;
  if (!(cap >= 1 && cap <= REC_SEQ_LIMIT)) throw perr("SESSION_BAD_OPTION", "bad cap");
  var pe = prkExporter(c, prkOut);
  var a = edhocKdf(c, pe, LABEL_SESSION_I2R, EMPTY, 29);
  var b = edhocKdf(c, pe, LABEL_SESSION_R2I, EMPTY, 29);
  wipe(pe);
  var s = initiator ? a : b;
  var r = initiator ? b : a;
  return {
    c: c, i: initiator,
    sp: new Uint8Array(prkOut), sk: s.subarray(0, 16), siv: s.subarray(16), se: 0, sn: 0,
    rp: new Uint8Array(prkOut), rk: r.subarray(0, 16), riv: r.subarray(16), re: 0, rn: -1, w0: 0, w1: 0,
    max: o.maxPlain === undefined ? 1024 : o.maxPlain, cap: cap, auto: o.autoUpdate !== false,
    proven: false, closed: false
  };
}

/**
 * Key update of one direction (send = true: ours; false: derive the peer's next epoch and
 * return it without committing). PRK_out' = EDHOC_KeyUpdate(PRK_out, h''), then the
 * direction's key and IV from the exporter of PRK_out'. Returns [prk', key', iv'].
 */
function nextKeys(s: Session, send: boolean): Bytes[] {
  var p = edhocKeyUpdate(s.c, send ? s.sp : s.rp, EMPTY);
  var pe = prkExporter(s.c, p);
  var m = edhocKdf(s.c, pe, send === s.i ? LABEL_SESSION_I2R : LABEL_SESSION_R2I, EMPTY, 29);
  wipe(pe);
  return [p, m.subarray(0, 16), m.subarray(16)];
}

/** Wipes every key of the session and marks it closed. Idempotent. */
export function sessionClose(s: Session): void {
  wipe(s.sp); wipe(s.sk); wipe(s.siv);
  wipe(s.rp); wipe(s.rk); wipe(s.riv);
  s.closed = true;
}

/**
 * Updates the send keys now (new epoch, sequence restarts at 0); the old ones are wiped.
 * The peer follows when it authenticates the first record of the new epoch.
 */
export function sessionUpdate(s: Session): void {
  if (s.closed) throw perr("SESSION_CLOSED", "closed");
  var k = nextKeys(s, true);
  wipe(s.sp); wipe(s.sk); wipe(s.siv);
  s.sp = k[0]; s.sk = k[1]; s.siv = k[2];
  s.se++;
  s.sn = 0;
}

/**
 * Seals one record. type: REC_DATA (default), REC_CLOSE (the session closes after sealing)
 * or REC_CONFIRM. At the cap the send keys are updated first (or SESSION_EXHAUSTED when
 * autoUpdate is off); a sequence number is never used twice under one key.
 */
export function sessionSeal(s: Session, data: Bytes, type?: number): Bytes {
  if (s.closed) throw perr("SESSION_CLOSED", "closed");
  var t = type ? type : 0;
  if (t !== REC_DATA && t !== REC_CLOSE && t !== REC_CONFIRM) throw perr("SESSION_BAD_TYPE", "bad type");
  if (!(data instanceof Uint8Array)) throw perr("SESSION_FORMAT", "not bytes");
  if (data.length > s.max) throw perr("SESSION_TOO_LARGE", "too large");
  if (s.sn >= s.cap || s.sn >= REC_SEQ_LIMIT) {
    if (!s.auto) throw perr("SESSION_EXHAUSTED", "key exhausted");
    sessionUpdate(s);
  }
  var q = s.sn;
  var n = q < 256 ? 1 : q < 65536 ? 2 : q < 16777216 ? 3 : 4;
  var h = new Uint8Array(1 + n);
  h[0] = (t << 6) | ((s.se & 7) << 3) | n;
  for (var i = n; i >= 1; i--) {
    h[i] = q & 255;
    q = q >>> 8;
  }
  var ct = s.c.aeadSeal(s.sk, recNonce(s.siv, s.sn), h, data);
  var out = new Uint8Array(h.length + ct.length);
  out.set(h, 0);
  out.set(ct, h.length);
  s.sn++;
  if (t === REC_CLOSE) sessionClose(s);
  return out;
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
  if (!(rec instanceof Uint8Array) || rec.length < 2 + REC_TAG_LEN) throw perr("SESSION_FORMAT", "too short");
  var h = rec[0];
  var t = h >> 6;
  var e = (h >> 3) & 7;
  var n = h & 7;
  if (t === 3 || n < 1 || n > 4 || rec.length < 1 + n + REC_TAG_LEN || (n > 1 && rec[1] === 0)) throw perr("SESSION_FORMAT", "bad header");
  if (rec.length > 1 + n + s.max + REC_TAG_LEN) throw perr("SESSION_TOO_LARGE", "too large");
  var q = 0;
  var i;
  for (i = 1; i <= n; i++) q = q * 256 + rec[i];
  var nx = e === ((s.re + 1) & 7);
  if (!nx && e !== (s.re & 7)) throw perr("SESSION_EPOCH", "bad epoch");
  var d = s.rn - q;
  if (!nx && d >= 0 && (d >= 64 || (d < 32 ? (s.w0 >>> d) & 1 : (s.w1 >>> (d - 32)) & 1))) throw perr("SESSION_REPLAY", "replay");
  var k = nx ? nextKeys(s, false) : null;
  var pt = s.c.aeadOpen(k ? k[1] : s.rk, recNonce(k ? k[2] : s.riv, q), rec.subarray(0, 1 + n), rec.subarray(1 + n));
  if (pt === null) {
    if (k) { wipe(k[0]); wipe(k[1]); wipe(k[2]); }
    throw perr("SESSION_AUTH", "auth failed");
  }
  if (k) {
    wipe(s.rp); wipe(s.rk); wipe(s.riv);
    s.rp = k[0]; s.rk = k[1]; s.riv = k[2];
    s.re++;
    s.rn = -1;
    s.w0 = 0;
    s.w1 = 0;
    d = -1 - q;
  }
  if (d < 0) {
    // New highest sequence number: slide the window by -d.
    var sh = -d;
    if (sh >= 64) { s.w0 = 0; s.w1 = 0; }
    else if (sh >= 32) { s.w1 = s.w0 << (sh - 32); s.w0 = 0; }
    else { s.w1 = (s.w1 << sh) | (s.w0 >>> (32 - sh)); s.w0 = s.w0 << sh; }
    s.w0 |= 1;
    s.rn = q;
  } else if (d < 32) s.w0 |= 1 << d;
  else s.w1 |= 1 << (d - 32);
  s.proven = true;
  if (t === REC_CLOSE) {
    sessionClose(s);
    return null;
  }
  return t === REC_DATA ? pt : null;
}
