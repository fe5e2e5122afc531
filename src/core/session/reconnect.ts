/**
 * Fast reconnect of a bound pair without any asymmetric operation (the pattern of
 * RFC 8613 Appendix B.2): both sides contribute a fresh 16-byte nonce and derive a new
 * session from the pairing secret stored with the binding. See docs/sessions.md for the
 * security argument (no forward secrecy: use a full EDHOC run for that).
 *
 *   initiator                                responder
 *   HELLO_I = [1, id_I, N_I]          --->
 *                                    <---    HELLO_R = [2, N_R, confirm record of R]
 *                                            or REFUSE = [3, reason]
 *   confirm record of I               --->   (an ordinary session record)
 *
 *   PRK = EDHOC_KeyUpdate(secret, context), context = CBOR sequence (1, N_I, N_R, id_I, id_R)
 *   session = sessionNew(PRK, role)
 *
 * Each side's first authenticated record (the confirm records) proves possession of the
 * pairing secret for exactly these two nonces and this ordered pair of identities.
 *
 * Device code: Espruino subset. The responder's reconnectAccept and the initiator's
 * reconnectFinish are one function (each function costs interpreter variables on a
 * device, and the two share parsing and key derivation); it tells the calls apart by the
 * third argument, which is a function (find) only for reconnectAccept.
 */
import { wipe, EMPTY, bytesEqual, type Bytes } from "../bytes";
import { encode, encodeSeq, decode } from "../cbor";
import { perr } from "../errors";
import { edhocExporter, edhocKeyUpdate } from "../edhoc/kdf";
import type { SymmetricCrypto } from "../../crypto/provider";
import { sessionNew, sessionSeal, sessionOpen, sessionClose, type Session, type SessionOptions } from "./session";
import { REC_CONFIRM } from "./consts";

import { LABEL_PAIRING_SECRET, RC_HELLO_I, RC_HELLO_R, RC_REFUSE, RC_WANT_EDHOC, RC_UNKNOWN, RC_NONCE_LEN, RC_MAX_ID } from "./consts";

export { LABEL_PAIRING_SECRET, RC_HELLO_I, RC_HELLO_R, RC_REFUSE, RC_WANT_EDHOC, RC_UNKNOWN, RC_NONCE_LEN, RC_MAX_ID } from "./consts";

/** What the lifecycle stores per binding and hands to reconnect. */
export interface Binding {
  /** 32-byte pairing secret: pairingSecret(PRK_out) of the EDHOC run that created the binding. */
  secret: Bytes;
  /** Our identity as the peer knows it (for example our credential's kid). */
  self: Bytes;
  /** The peer's identity. */
  peer: Bytes;
}

export interface ReconnectOptions extends SessionOptions {
  /** Responder: refuse fast reconnect so that the initiator runs full EDHOC (forward secrecy). */
  requireEdhoc?: boolean;
}

/** Initiator state between HELLO_I and HELLO_R; single use. */
export interface ReconnectState {
  b: Binding;
  n: Bytes;
  done: boolean;
}

export interface ReconnectStep {
  /** The new session; null when the responder sent REFUSE. */
  s: Session | null;
  /** Message to send: HELLO_R or REFUSE (responder), the confirm record (initiator). */
  msg: Bytes;
}

/** The pairing secret a binding stores: EDHOC_Exporter(65002, h'', 32) of the pairing run's PRK_out. */
export function pairingSecret(c: SymmetricCrypto, prkOut: Bytes): Bytes {
  return edhocExporter(c, prkOut, LABEL_PAIRING_SECRET, EMPTY, 32);
}

/** Initiator, step 1: fresh N_I and HELLO_I. */
export function reconnectHello(c: SymmetricCrypto, b: Binding): { st: ReconnectState; msg: Bytes } {
  var n = c.randomBytes(RC_NONCE_LEN);
  return { st: { b: b, n: n, done: false }, msg: encode([RC_HELLO_I, b.self, n]) };
}

/**
 * Responder: reconnectAccept(c, HELLO_I, find, opts) answers a HELLO_I. find(id_I) returns
 * the binding of that peer or null. Returns the responder's session (not yet proven: it
 * becomes proven when the initiator's confirm record opens) and HELLO_R, or s = null and a
 * REFUSE message.
 *
 * Initiator, step 2: reconnectFinish(c, st, HELLO_R, opts) processes HELLO_R (or REFUSE:
 * RECONNECT_REFUSED with detail = reason, run full EDHOC then). Opens the responder's
 * confirm record (the responder has proven possession) and returns the session with our
 * confirm record to send. A forged or corrupted HELLO_R (RECONNECT_AUTH) changes nothing:
 * st can still complete with the real one; a used st is RECONNECT_STATE.
 *
 * Messages are deterministic CBOR: HELLO_I [1, id (1..64 bytes), N_I (16)], HELLO_R
 * [2, N_R (16), confirm record], REFUSE [3, reason]; anything malformed is RECONNECT_FORMAT.
 * Both sides derive the session for (N_I, N_R, id_I, id_R): the context orders the
 * identities by role, so a hello reflected back to its sender or replayed to anyone
 * derives keys nobody else holds.
 */
export function reconnectAccept(c: SymmetricCrypto, msg: Bytes, find: (peerId: Bytes) => Binding | null, opts?: ReconnectOptions): ReconnectStep;
export function reconnectAccept(c: SymmetricCrypto, st: ReconnectState, msg: Bytes, opts?: SessionOptions): ReconnectStep;
export function reconnectAccept(c: SymmetricCrypto, x: Bytes | ReconnectState, y: Bytes | ((peerId: Bytes) => Binding | null), opts?: ReconnectOptions): ReconnectStep {
  // Few locals, each reused (every live local is an interpreter variable at the peak, inside the KDF).
  var acc = typeof y === "function";
  var m;
  if (!acc && (x as ReconnectState).done) throw perr("RECONNECT_STATE", "state used");
  try {
    m = decode((acc ? x : y) as Bytes, true);
  } catch (e) {
    // not CBOR: m stays undefined
  }
  if (!Array.isArray(m)) throw perr("RECONNECT_FORMAT", "bad CBOR");
  // Unauthenticated: a REFUSE can only make the initiator fall back to full EDHOC (st stays usable).
  if (!acc && m.length === 2 && m[0] === RC_REFUSE && typeof m[1] === "number") throw perr("RECONNECT_REFUSED", "refused", m[1]);
  var a = m[1], b = m[2];
  if (m.length !== 3 || m[0] !== (acc ? RC_HELLO_I : RC_HELLO_R) || !(a instanceof Uint8Array) || !(b instanceof Uint8Array) ||
      (acc ? a.length < 1 || a.length > RC_MAX_ID || b.length !== RC_NONCE_LEN : a.length !== RC_NONCE_LEN)) throw perr("RECONNECT_FORMAT", "bad hello");
  var bd!: Binding;
  if (acc) {
    // The refusal's reason or 0 (find is not asked when EDHOC is required). The binding must
    // name this peer, and never ourselves (a hello reflected back to its sender).
    m = opts && opts.requireEdhoc ? RC_WANT_EDHOC :
      (bd = (y as (peerId: Bytes) => Binding)(a)) && bytesEqual(bd.peer, a) && !bytesEqual(bd.self, a) ? 0 : RC_UNKNOWN;
    if (m) return { s: null, msg: encode([RC_REFUSE, m]) };
    // The context (1, N_I, N_R, id_I, id_R); b is N_I here and not needed afterwards.
    m = [1, b, c.randomBytes(RC_NONCE_LEN), bd.peer, bd.self];
  } else {
    // (x is st only here: never read properties of a typed array on Espruino.) b is confirm_R.
    bd = (x as ReconnectState).b;
    m = [1, (x as ReconnectState).n, a, bd.self, bd.peer];
  }
  if (!(bd.secret instanceof Uint8Array) || bd.secret.length !== 32) throw perr("RECONNECT_BAD_BINDING", "bad secret");
  a = m[2]; // N_R
  m = edhocKeyUpdate(c, bd.secret, encodeSeq(m)); // the PRK
  var s = sessionNew(c, m, !acc, opts);
  wipe(m);
  m = null;
  if (!acc) {
    try {
      sessionOpen(s, b);
    } catch (e) {
      sessionClose(s);
      throw perr("RECONNECT_AUTH", "auth failed");
    }
    (x as ReconnectState).done = true;
    wipe((x as ReconnectState).n);
  }
  b = sessionSeal(s, EMPTY, REC_CONFIRM);
  return { s: s, msg: acc ? encode([RC_HELLO_R, a, b]) : b };
}

/** See reconnectAccept: the same function. */
export { reconnectAccept as reconnectFinish };
