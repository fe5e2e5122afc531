/**
 * EDHOC (RFC 9528): initiator and responder as explicit step machines, after lakers.
 *
 * Between parsing message_2 (or message_3) and verifying it, the application receives the
 * peer's ID_CRED and EAD and supplies the credential it trusts (CRED_x plus the public
 * authentication key). Trust decisions therefore stay with the caller: pinning, trust
 * anchors, deny lists and policy live outside this file.
 *
 * Methods 0..3, cipher suites 0 (X25519/EdDSA) and 2 (P-256/ES256), suite negotiation,
 * one-byte-int connection identifiers, compact kid encoding, EAD items, optional
 * message_4, EDHOC_Exporter and EDHOC_KeyUpdate. All asymmetric work goes through the
 * crypto provider (on a device: the secure element).
 *
 * Each step takes an optional trailing callback (core/async.ts). With one, the step and
 * every provider operation in it run on callbacks and no promise is made (the device
 * path: a pending promise costs about 24 interpreter variables, and a chain of them
 * keeps every scope along it alive); without one, the step returns a promise (host
 * applications and tests). Provider callbacks may arrive before the provider call
 * returns; the state is final before the caller's callback runs, so that callback may
 * start the next step at once.
 *
 * Host only (src/core/target.ts), because a device's secure element does P-256 and the
 * pairing controller never asks for the rest: suite 0, moving on to another suite after
 * the responder's ERR_CODE 2 (a device runs suite 2 alone, so that is always
 * EDHOC_NO_COMMON_SUITE there), the options `selected`, `connId` and `methods` (a device
 * picks its first suite, a random identifier, and as responder accepts all four methods)
 * the keyUpdate method (the session layer calls edhocKeyUpdate itself) and the named step
 * methods (a device calls edhocStep). These parts
 * are written `DEVICE || ...`, `DEVICE ? ... : ...` or `if (!DEVICE) {...}`; the device
 * build makes DEVICE a literal (build/strip.mjs), so esbuild removes all three forms.
 *
 * Written in the Espruino subset. Calls in the wrong order are EDHOC_WRONG_STATE and
 * leave the state alone; any other failure ends the session (state DEAD, secrets wiped).
 *
 * Memory on a device (docs/device-memory.md): the two roles mirror each other, so each
 * step exists once and serves both (`this.i` tells the initiator apart): the responder's
 * message_2 is the initiator's message_3, parseMessage2 is parseMessage3, and so on. All
 * five steps are one function, run(), exported as edhocStep(state, n, input, k) (the
 * pairing controller calls it); the role's named methods on the classes' prototypes
 * (message1, parseMessage2, ...) are one-line wrappers of it on hosts only, so a device
 * calls edhocStep (it has no named step methods); the helpers are top-level functions
 * of the state (as closures of a step they would cost more variables while it runs than
 * they save), which lives in the instance itself, in short fields.
 */
import { bytesEqual, concat, EMPTY, wipe, type Bytes } from "../bytes";
import { encode, encodeSeq, peekMajor, readAs, readRaw, reader } from "../cbor";
import { sigStructure1 } from "../cose";
import { isPairkitError, perr } from "../errors";
import { promised, settle, type Done } from "../async";
import type { CryptoProvider, KeyPair, PrivateKeyRef } from "../../crypto/provider";
import {
  ERR_UNKNOWN_CRED, ERR_UNSPECIFIED, ERR_WRONG_SUITE, HASH_LEN, IV_LEN, KEY_LEN, MAC_LEN, ST_BUSY, ST_DEAD, ST_DONE, ST_PROC_M1,
  ST_PROC_M2, ST_PROC_M3, ST_START, ST_VERIFIED_M2, ST_WAIT_M2, ST_WAIT_M3,
} from "./consts";
import { edhocExporter, edhocKdf, edhocKeyUpdate } from "./kdf";
import {
  encodeEad, encodeIdBytes, idCredKid, parseIdCred, readEad, readIdBytes, suiteCrv,
  type EadItem, type IdCredInfo,
} from "./messages";
import { edhocTestHooks } from "./testing";
import { DEVICE } from "../target";

/** Our own authentication credential for one curve. */
export interface OwnCredential {
  /** Signature key (methods where we sign) or static DH key (where we use static DH). */
  priv: PrivateKeyRef;
  /** CRED_x exactly as EDHOC hashes and MACs it. */
  cred: Bytes;
  /** ID_CRED_x as a full CBOR map ({4: kid}, {14: CCS}, {13: CWT}, ...). */
  idCred: Bytes;
}

/** What the application supplies after resolving the peer's ID_CRED. */
export interface PeerCredential {
  cred: Bytes;
  /** Authentication public key: P-256 64 bytes x||y (32 bytes x suffices for static DH); OKP 32 bytes. */
  pub: Bytes;
}

export interface EdhocOptions {
  crypto: CryptoProvider;
  /** Our credentials; the one whose key curve the method and suite need is used. */
  creds: OwnCredential[];
  /** Initiator: the method to run (0..3). */
  method?: number;
  /** Responder: methods accepted (default all four). Host only. */
  methods?: number[];
  /** Initiator: cipher suites in preference order. Responder: suites supported. */
  suites: number[];
  /** Initiator: the suite to select in the first message_1 (default: the first in `suites` this implementation runs). Host only. */
  selected?: number;
  /** Our connection identifier (raw bytes); a random one-byte identifier by default. Host only. */
  connId?: Bytes;
  /** EAD labels the application understands (absolute values); others are ignored or, if critical, refused. */
  eadLabels?: number[];
}

export interface PeerHello {
  /** The peer's connection identifier (raw bytes). */
  connId: Bytes;
  /** The peer's ID_CRED (full map encoding) and its decoded kid / by-value parts. */
  idCred: Bytes;
  idCredInfo: IdCredInfo;
  ead: EadItem[];
}

export interface Message1Info {
  connId: Bytes;
  method: number;
  suite: number;
  ead: EadItem[];
}


/** Test-only tracing of an intermediate value; device builds remove every `trace(...)` statement (build/strip.mjs). */
function trace(name: string, v: Bytes): void {
  if (edhocTestHooks.trace) edhocTestHooks.trace(name, v);
}

/** Shared API of both roles; the handshake state lives in the instance. */
class EdhocBase {
  /** Our and the peer's connection identifiers (raw bytes). */
  declare connIdI: Bytes | null;
  declare connIdR: Bytes | null;
  /** The method and cipher suite (-1 until the responder has read message_1). */
  declare method: number;
  declare suite: number;
  // Internal state (short names: every property name costs memory on a device).
  /** true for an initiator (undefined for a responder). */
  declare i: boolean;
  declare c: CryptoProvider;
  declare o: EdhocOptions;
  declare st: number;
  /** Our ephemeral key. */
  declare ek: PrivateKeyRef | null;
  declare gx: Bytes | null;
  declare gy: Bytes | null;
  /** H(message_1), then the current transcript hash. */
  declare h1: Bytes | null;
  declare th: Bytes | null;
  /** PRK_2e, PRK_3e2m, PRK_4e3m, PRK_out. */
  declare p2: Bytes | null;
  declare p3: Bytes | null;
  declare p4: Bytes | null;
  declare po: Bytes | null;
  /** The peer's ID_CRED, PLAINTEXT, Signature_or_MAC and EAD, between parsing and verifying. */
  declare pc: Bytes | null;
  declare pt: Bytes | null;
  declare sm: Bytes | null;
  declare ead: Bytes | null;
  /** The running step's callback (null once it has ended). */
  declare k: Done<any> | null;
  /** EDHOC_KeyUpdate(context) (host only): replaces PRK_out; both peers must call it with the same context. */
  declare keyUpdate: (context: Bytes) => void;

  /**
   * initiator: the role, for code that picks it at run time (the pairing controller, as
   * `new Edhoc(o, initiator)`: on a device one class instead of three, about 26 variables
   * less for the device's lifetime; EdhocInitiator and EdhocResponder are the same class
   * with the role fixed).
   */
  constructor(o: EdhocOptions, initiator?: boolean) {
    var s = this;
    var v: any;
    if (initiator) s.i = true;
    // The connection identifier and the responder's methods are host-only options.
    if (!o || !o.crypto || !Array.isArray(o.creds) || !Array.isArray(o.suites) || !o.suites.length ||
      !(DEVICE || ((!(v = o.connId) || (v instanceof Uint8Array && v.length > 0 && v.length < 9)) && (s.i || !(o.methods || []).filter(function (m) { return [0, 1, 2, 3].indexOf(m) < 0; }).length))))
      throw perr("EDHOC_BAD_CONFIG", "crypto, creds and suites are required; a connection identifier has 1 to 8 bytes; methods are 0, 1, 2 or 3");
    s.c = o.crypto;
    s.o = o;
    s.st = ST_START;
    s.method = s.suite = -1;
    s.connIdI = s.connIdR = null;
    if (s.i) {
      // The selected suite: given (host only), or the first in our preference order that we run.
      v = DEVICE || o.selected === undefined ? o.suites.filter(function (y) { return suiteCrv(y, false) > 0; })[0] : o.selected;
      if (suiteCrv(v, false) < 0 || !(DEVICE || o.suites.indexOf(v) >= 0) || [0, 1, 2, 3].indexOf(o.method as number) < 0)
        throw perr("EDHOC_BAD_CONFIG", "no supported cipher suite selected, or a method that is not 0, 1, 2 or 3");
      s.suite = v;
      s.method = o.method as number;
    }
  }

  /** EDHOC_Exporter(label, context, length). */
  exporter(label: number, context: Bytes, length: number): Bytes {
    return edhocExporter(this.c, this.prkOut, label, context, length);
  }

  /** PRK_out once the handshake is complete (a secret: do not log it). */
  get prkOut(): Bytes {
    // PRK_out is set before the state becomes DONE, and only abort (state DEAD) removes it.
    if (this.st !== ST_DONE) throw perr("EDHOC_WRONG_STATE", "the handshake has not completed");
    return this.po as Bytes;
  }

  get complete(): boolean {
    return this.st === ST_DONE;
  }

  /** Ends the session and wipes its secrets; the options and transcript state go too (every later step is EDHOC_WRONG_STATE). */
  abort(): void {
    // any: the properties are deleted, not set to null.
    var s = this as any;
    wipe(s.p2);
    wipe(s.p3);
    wipe(s.p4);
    wipe(s.po);
    // Deleted, not set to null: an aborted handshake may stay referenced for a while (a
    // ready session's), and each property left behind costs a variable on a device.
    delete s.p2;
    delete s.p3;
    delete s.p4;
    delete s.po;
    delete s.ek;
    delete s.th;
    delete s.gx;
    delete s.gy;
    delete s.h1;
    delete s.pc;
    delete s.pt;
    delete s.sm;
    delete s.ead;
    delete s.o;
    s.st = ST_DEAD;
  }
}

if (!DEVICE) {
  EdhocBase.prototype.keyUpdate = function (this: EdhocBase, context: Bytes): void {
    var old = this.prkOut;
    this.po = edhocKeyUpdate(this.c, old, context);
    wipe(old);
  };
}

/**
 * The callback that continues the running step with f(value) when a provider operation
 * answers (called at once, f runs at once). A failure (or an abort meanwhile) ends the
 * step with an error and the session with it (state DEAD, secrets wiped), except a
 * renegotiation, which leaves the initiator at START. Errors come out typed: CBOR errors
 * in peer input become EDHOC_MALFORMED, untyped ones EDHOC_INTERNAL.
 *
 * The step never completes twice: only the first answer counts, and none once the step
 * has ended (s.k, the step's callback, is no longer the one this was made for: a provider
 * that threw after taking the callback). An exception after the step has ended is the
 * caller's own (its callback threw, perhaps inside a synchronous provider's call): it is
 * rethrown, not taken for a failure of the step.
 */
function next<V>(s: EdhocBase, f: ((v: V) => void) | null): Done<V> {
  var k = s.k;
  return function (e: any, v?: V) {
    var code;
    var g = f;
    f = null;
    if (g && s.k === k)
      try {
        if (e) throw e;
        if (s.st !== ST_BUSY) throw perr("EDHOC_WRONG_STATE", "the session was aborted");
        g(v as V);
      } catch (x) {
        if (s.k !== k) throw x;
        code = isPairkitError(x) ? x.code : "";
        if (s.st === ST_BUSY) s.abort();
        s.k = null;
        k!(!code ? perr("EDHOC_INTERNAL", "internal failure during the EDHOC step")
          : code.indexOf("CBOR_") === 0 || code === "BAD_UTF8" ? perr("EDHOC_MALFORMED", "malformed EDHOC message (" + code + ")") : x);
      }
  };
}

/** Ends the running step with its value; the state is final before the caller's callback runs (it may start the next step). */
function end(s: EdhocBase, v?: unknown): void {
  var k = s.k!;
  s.k = null;
  k(null, v);
}

/**
 * The byte string the received message_2/3/4 m consists of. An error message from the
 * peer (it starts with an integer where a message starts with a byte string) is raised as
 * EDHOC_PEER_ERROR with detail {code, info}; ERR_CODE 2 to an initiator waiting for
 * message_2 (no transcript yet) as EDHOC_WRONG_SUITE, after choosing the next common suite
 * (the initiator is then ready for a new message_1), or EDHOC_NO_COMMON_SUITE (always on a
 * device: it runs one suite).
 */
function recv(s: EdhocBase, m: Bytes): Bytes {
  var r = reader(m);
  var code = peekMajor(r);
  var err = code < 2; // an integer (or -1, no bytes: readAs fails with CBOR_TRUNCATED either way)
  var v: any;
  var sr: number[];
  code = err ? readAs(r, -1) : 0;
  v = !err ? readAs(r, 2) : r.p < m.length ? readAs(r, 8) : null;
  if (r.p < m.length || (code === ERR_UNSPECIFIED && typeof v !== "string") || (code === ERR_WRONG_SUITE && typeof v !== "number" && !Array.isArray(v)))
    throw perr("EDHOC_MALFORMED", "bytes after the message, or not (ERR_CODE, ERR_INFO): ERR_CODE 1 needs a text, ERR_CODE 2 SUITES_R");
  if (!err) return v;
  if (s.i && !s.th && code === ERR_WRONG_SUITE) {
    sr = ([] as number[]).concat(v);
    // The next suite we run that the responder supports (host only: a device runs one suite).
    throw DEVICE || (v = s.o.suites.filter(function (y) {
      return sr.indexOf(y) >= 0 && suiteCrv(y, false) > 0 && y !== s.suite;
    }).concat(-1)[0]) < 0
      ? perr("EDHOC_NO_COMMON_SUITE", "no cipher suite in common with the responder", sr)
      : ((s.suite = v), (s.ek = null), (s.st = ST_START), perr("EDHOC_WRONG_SUITE", "responder refused the suite; send a new message_1", sr));
  }
  throw perr("EDHOC_PEER_ERROR", code === ERR_UNSPECIFIED ? "peer reported an error: " + v : "peer reported error code " + code, { code: code, info: v });
}

/**
 * Encryption of message m's plaintext: m = 2 XOR with KEYSTREAM_2 (label 0, from PRK_2e);
 * m = 3 and 4 AEAD under K_3/IV_3 (labels 3/4, from PRK_3e2m) or K_4/IV_4 (labels 8/9,
 * from PRK_4e3m) with AAD Enc_structure(h'', TH). Seals, or opens.
 */
function crypt(s: EdhocBase, m: number, data: Bytes, seal: boolean): Bytes {
  var c = s.c;
  var th = s.th as Bytes;
  var label = m * (m - 2); // 0, 3, 8
  var prk = (m < 3 ? s.p2 : m < 4 ? s.p3 : s.p4) as Bytes;
  var k = edhocKdf(c, prk, label, th, label ? KEY_LEN : data.length);
  if (!label) {
    trace("KEYSTREAM_2", k);
    for (var i = 0; i < data.length; i++) k[i] ^= data[i];
    return k;
  }
  var iv = edhocKdf(c, prk, label + 1, th, IV_LEN);
  trace(label < 8 ? "K_3" : "K_4", k);
  trace(label < 8 ? "IV_3" : "IV_4", iv);
  var aad = encode(["Encrypt0", EMPTY, th]); // Enc_structure
  var out = seal ? c.aeadSeal(k, iv, aad, data) : c.aeadOpen(k, iv, aad, data);
  wipe(k);
  if (!out) throw perr("EDHOC_DECRYPT_FAILED", "message did not decrypt");
  return out;
}

/**
 * The key schedule's DH stages. Stage 1: the ephemeral DH (our ephemeral key with the
 * peer's G), TH_2 = H(G_Y, H(message_1)) and PRK_2e = HKDF-Extract(TH_2, G_XY), then k().
 *
 * Stage m = 2 or 3, the authentication of message m (2: the responder's, 3: the
 * initiator's): derives PRK_3e2m (m = 2) or PRK_4e3m (m = 3), mixing in the static DH
 * secret when that side uses static DH, then MAC_m over context = << [C_R,] ID_CRED, TH,
 * CRED, ? EAD >> (hash-length for a signing side, the suite's 8 bytes for a static-DH
 * side). Ours (x our credential, ead our EAD): continues with k(our Signature_or_MAC_m). The peer's (x
 * the credential the application resolved): checks the Signature_or_MAC_m received in
 * s.sm, then continues with k.
 */
function auth(s: EdhocBase, m: number, k: (sm?: Bytes) => void, ours?: boolean, x?: OwnCredential & PeerCredential, ead?: Bytes): void {
  var c = s.c;
  var stat = m < 2 || (s.method & (m - 1)) !== 0;
  var g = next(s, function (d?: Bytes) {
    var prev = (m === 2 ? s.p2 : s.p3) as Bytes;
    var salt, prk, th, idCred, tbs, h: Done<any>;
    var mac: Bytes;
    if (m < 2) {
      trace("G_XY", d as Bytes);
      th = s.th = c.sha256(encodeSeq([s.gy, s.h1]));
      s.h1 = null;
      trace("TH_2", th);
      s.p2 = c.hkdfExtract(th, d as Bytes);
      wipe(d);
      trace("PRK_2e", s.p2);
      return k();
    }
    // Labels: SALT_3e2m 1 / SALT_4e3m 5, MAC_2 2 / MAC_3 6.
    salt = d ? edhocKdf(c, prev, 4 * m - 7, s.th as Bytes, HASH_LEN) : null;
    prk = salt ? c.hkdfExtract(salt, d as Bytes) : new Uint8Array(prev);
    wipe(salt);
    wipe(d);
    if (m === 2) s.p3 = prk;
    else s.p4 = prk;
    trace(m === 2 ? "PRK_3e2m" : "PRK_4e3m", prk);
    th = encode(s.th as Bytes);
    idCred = (ours ? x!.idCred : s.pc) as Bytes;
    mac = edhocKdf(c, prk, 4 * m - 6, [m === 2 ? encodeIdBytes(s.connIdR as Bytes) : EMPTY, idCred, th, x!.cred, ead as Bytes], stat ? MAC_LEN : HASH_LEN);
    trace("MAC_" + m, mac);
    // Continued at once, not through next(): its closures would be alive for the rest of the step.
    if (stat) {
      if (!ours && !c.ctEqual(mac, s.sm as Bytes)) throw perr("EDHOC_AUTH_FAILED", "peer authentication failed");
      return k(mac);
    }
    // COSE Sig_structure of EDHOC: ["Signature1", << ID_CRED >>, << TH, CRED, ? EAD >>, MAC].
    tbs = sigStructure1(idCred, concat([th, x!.cred, ead as Bytes]), mac);
    h = next(s, function (v: any) {
      if (!ours && !v) throw perr("EDHOC_AUTH_FAILED", "peer authentication failed");
      k(ours ? v : mac);
    });
    settle(ours ? c.sign(x!.priv, tbs, h) : c.verify(suiteCrv(s.suite, true), x!.pub, tbs, s.sm as Bytes, h), h);
  });
  // Our ephemeral key with the peer's ephemeral key, our static key with the peer's
  // ephemeral key, or our ephemeral key with the peer's static key.
  if (stat) settle(c.ecdh(ours && m > 1 ? x!.priv : (s.ek as PrivateKeyRef), ours || m < 2 ? ((s.i ? s.gy : s.gx) as Bytes) : x!.pub, g), g);
  else g(null);
}

/**
 * TH_3 / TH_4 = H(TH, PLAINTEXT, CRED), then state st, dropping what is no longer needed:
 * at TH_3 PRK_2e and G_X (and G_Y on the responder; the initiator's static DH still needs
 * it), at TH_4 all but TH_4 and PRK_4e3m (for message_4), and PRK_out is derived.
 */
function nextTh(s: EdhocBase, pt: Bytes, cred: Bytes, st: number): void {
  var c = s.c;
  var th = (s.th = c.sha256(concat([encode(s.th as Bytes), pt, cred])));
  trace(st === ST_DONE ? "TH_4" : "TH_3", th);
  wipe(s.p2);
  s.p2 = s.gx = null;
  if (!s.i) s.gy = null;
  if (st === ST_DONE) {
    s.po = edhocKdf(c, s.p4 as Bytes, 7, th, HASH_LEN);
    trace("PRK_out", s.po);
    wipe(s.p3);
    s.p3 = s.ek = s.pt = s.sm = s.ead = s.pc = s.gy = null;
  }
  s.st = st;
}

/**
 * Runs step n of either role: 0 message_1, 1 parse message_2/3, 2 verify message_2/3,
 * 3 send message_3/2, 4 message_4. With k, the step ends with one call of k and creates
 * no promise; without k, it returns a promise. A call in the wrong state fails with
 * EDHOC_WRONG_STATE and changes nothing; otherwise the machine is busy (s.k the step's
 * callback) until the step ends. Message_4 (state DONE) can be sent or processed once.
 */
function run(s: EdhocBase, n: number, x: any, k?: Done<any>): any {
  var i = s.i;
  var p;
  // The promise form: promised() runs this at once, so k is its callback from here on
  // (one scope: calling run again from there would keep two alive while the step runs).
  if (!k)
    p = promised(function (d: Done<any>) {
      k = d;
    });
  // The initiator's steps run in states 0..4 in order; the responder's parse, verify and
  // send in WAIT_M3 (6), PROC_M3 (7) and PROC_M1 (5).
  if (s.st !== (i || !n || n > 3 ? n : (n % 3) + 5) || (n > 3 && !s.p4)) k!(perr("EDHOC_WRONG_STATE", "EDHOC step called in the wrong state", s.st));
  else {
    s.st = ST_BUSY;
    s.k = k!;
    next(s, function () {
      var c = s.c;
      var o = s.o;
      var r, j, v: any, a: any, b: any, ead: any, g: Done<any>, m: number, eadB: Bytes; // ead: the responder's EAD_1
      var read, send: any;
      if (!n) {
        // Initiator: creates message_1 (below, once it has its ephemeral key). Responder: parses it.
        if (!i) {
          r = reader(x);
          a = readAs(r, 0);
          // Only a host restricts the methods it accepts (an unknown method is malformed, below).
          if (!(DEVICE || a > 3 || (o.methods || [a]).indexOf(a) >= 0)) throw perr("EDHOC_METHOD_REFUSED", "method " + a + " is not accepted");
          // SUITES_I: an int, or an array of 2 to 16 ints; the last one is the selected suite. It
          // is refused unless we run it, and when we run a suite the initiator listed before it.
          v = peekMajor(r) === 4;
          b = v ? readAs(r, 4) : 1;
          if (a > 3 || b > 16 || (v && b < 2)) throw perr("EDHOC_MALFORMED", "unknown method, or SUITES not an int or an array of 2 to 16 ints");
          for (j = b; j--; ) {
            v = readAs(r, -1);
            if ((o.suites.indexOf(v) >= 0 && suiteCrv(v, false) > 0) !== !j) b = 0;
          }
          if (!b) throw perr("EDHOC_WRONG_SUITE", "selected cipher suite refused", o.suites);
          b = new Uint8Array(readAs(r, 2));
          if (b.length !== 32) throw perr("EDHOC_MALFORMED", "G_X must be 32 bytes");
          s.connIdI = readIdBytes(r);
          ead = readEad(r, o.eadLabels);
          s.gx = b;
          s.method = a;
          s.suite = v;
        }
        // Our connection identifier: configured (host only), or a random one-byte one (never equal to C_I).
        for (a = DEVICE ? null : o.connId; !a; ) {
          v = c.randomBytes(1)[0] % 48;
          a = new Uint8Array([v < 24 ? v : v + 8]);
          if (!i && bytesEqual(s.connIdI as Bytes, a)) a = null;
        }
        if (!i) {
          s.connIdR = a;
          s.h1 = c.sha256(x);
          s.st = ST_PROC_M1;
          return end(s, { connId: s.connIdI, method: s.method, suite: s.suite, ead: ead });
        }
        s.connIdI = a;
        b = o.suites.slice(0, o.suites.indexOf(s.suite) + 1);
      } else if (n < 2) {
        // Initiator: decrypts message_2, responder message_3; returns the peer's connection
        // identifier, ID_CRED and EAD for the application to resolve the credential.
        var ct = recv(s, x);
        read = function () {
          var pt = crypt(s, i ? 2 : 3, ct, false);
          trace(i ? "PLAINTEXT_2" : "PLAINTEXT_3", pt);
          var r = reader(pt);
          if (i) s.connIdR = readIdBytes(r);
          // ID_CRED: a map, or a compact kid (int or byte string) standing for {4: kid}.
          var idc = peekMajor(r) === 5 ? readRaw(r) : idCredKid(readIdBytes(r));
          s.pc = idc;
          s.sm = readAs(r, 2);
          s.ead = pt.subarray(r.p);
          var ead = readEad(r, o.eadLabels);
          s.pt = pt;
          s.st = i ? ST_PROC_M2 : ST_PROC_M3;
          end(s, { connId: i ? s.connIdR : s.connIdI, idCred: idc, idCredInfo: parseIdCred(idc), ead: ead });
        };
        if (!i) return read();
        if (ct.length <= 32) throw perr("EDHOC_MALFORMED", "message_2 too short");
        s.gy = new Uint8Array(ct.subarray(0, 32));
        ct = ct.subarray(32);
        return auth(s, 1, read);
      } else if (n < 3) {
        // Verifies message_2/3 against the credential the application resolved for the peer's ID_CRED.
        if (!x || !(x.cred instanceof Uint8Array) || !(x.pub instanceof Uint8Array)) throw perr("EDHOC_BAD_CONFIG", "peer credential needs cred and pub bytes");
        return auth(s, i ? 2 : 3, function () {
          nextTh(s, s.pt as Bytes, x.cred, i ? ST_VERIFIED_M2 : ST_DONE);
          end(s);
        }, false, x, s.ead as Bytes);
      } else if (n > 3) {
        // Responder: creates message_4. Initiator: processes it and returns EAD_4.
        v = i ? readEad(reader(crypt(s, 4, recv(s, x), false)), o.eadLabels) : encode(crypt(s, 4, encodeEad(x), true));
        wipe(s.p4);
        s.p4 = null;
        s.st = ST_DONE;
        return end(s, v);
      } else {
        // Responder: creates message_2 (after its ephemeral key and G_XY, below), initiator message_3.
        m = i ? 3 : 2;
        a = suiteCrv(s.suite, (s.method & (m - 1)) === 0);
        b = o.creds.filter(function (y) { return y.priv.crv === a; })[0];
        if (!b) throw perr("EDHOC_NO_CREDENTIAL", "no own credential with a key for curve " + a);
        eadB = encodeEad(x);
        send = function () {
          auth(s, m, function (sm?: Bytes) {
            // ID_CRED travels as just the kid when it is exactly {4: kid}.
            var kid = parseIdCred(b.idCred).kid;
            var pt = concat([i ? EMPTY : encodeIdBytes(s.connIdR as Bytes), kid && bytesEqual(b.idCred, idCredKid(kid)) ? encodeIdBytes(kid) : b.idCred, encode(sm as Bytes), eadB]);
            trace(i ? "PLAINTEXT_3" : "PLAINTEXT_2", pt);
            // message_3 = bstr(CIPHERTEXT_3), message_2 = bstr(G_Y || CIPHERTEXT_2)
            var gy = i ? EMPTY : (s.gy as Bytes);
            var ct = crypt(s, m, pt, true);
            // After TH: the message is not alive while TH is hashed.
            nextTh(s, pt, b.cred, i ? ST_DONE : ST_WAIT_M3);
            end(s, encode(concat([gy, ct])));
          }, true, b, eadB);
        };
        if (i) return send();
      }
      // The initiator's message_1 and the responder's message_2 start with an ephemeral key.
      g = next(s, function (kp: KeyPair) {
        s.ek = kp.priv;
        if (n) {
          s.gy = kp.pub.subarray(0, 32);
          return auth(s, 1, send);
        }
        // G_X: the initiator needs it no more once message_1 is hashed.
        var m1 = concat([encodeSeq([s.method, b.length === 1 ? b[0] : b, kp.pub.subarray(0, 32)]), encodeIdBytes(a), encodeEad(x)]);
        s.h1 = c.sha256(m1);
        s.st = ST_WAIT_M2;
        end(s, m1);
      });
      settle(c.generateKeyPair(suiteCrv(s.suite, false), g), g);
    })(null);
  }
  return p;
}

/*
 * Every step takes an optional callback as its second argument: with one, it calls it
 * once, k(error) or k(null, value), and creates no promise (the device path: a pending
 * promise costs about 24 variables there); without one, it returns a promise. The
 * callback may run before the step returns (wrong state, no provider operation, or a
 * provider that answers at once); it may start the next step.
 */
export interface EdhocInitiator {
  /** Creates message_1. Callable again after the responder refused the suite (EDHOC_WRONG_SUITE). */
  message1(ead?: EadItem[]): Promise<Bytes>;
  message1(ead: EadItem[] | undefined, k: Done<Bytes>): void;
  /**
   * Decrypts message_2 and returns the responder's connection identifier, ID_CRED_R and
   * EAD_2 so that the application can resolve and validate the credential. An error
   * message from the responder is raised as EDHOC_PEER_ERROR, or as EDHOC_WRONG_SUITE
   * (the initiator is then ready for a new message_1 with the next common suite; host
   * only) or EDHOC_NO_COMMON_SUITE.
   */
  parseMessage2(m2: Bytes): Promise<PeerHello>;
  parseMessage2(m2: Bytes, k: Done<PeerHello>): void;
  /** Verifies message_2 against the credential the application resolved for ID_CRED_R. */
  verifyMessage2(peer: PeerCredential): Promise<void>;
  verifyMessage2(peer: PeerCredential, k: Done<void>): void;
  /** Creates message_3; PRK_out is available when it resolves. */
  message3(ead?: EadItem[]): Promise<Bytes>;
  message3(ead: EadItem[] | undefined, k: Done<Bytes>): void;
  /** Processes the optional message_4 and returns EAD_4. */
  processMessage4(m4: Bytes): Promise<EadItem[]>;
  processMessage4(m4: Bytes, k: Done<EadItem[]>): void;
}

export class EdhocInitiator extends EdhocBase {
  constructor(o: EdhocOptions) {
    super(o, true);
  }
}

export interface EdhocResponder {
  /**
   * Parses message_1. A suite the responder cannot use fails with EDHOC_WRONG_SUITE; send
   * `edhocErrorMessage(err)` (ERR_CODE 2 with SUITES_R) back to the initiator.
   */
  processMessage1(m1: Bytes): Promise<Message1Info>;
  processMessage1(m1: Bytes, k: Done<Message1Info>): void;
  /** Creates message_2. */
  message2(ead?: EadItem[]): Promise<Bytes>;
  message2(ead: EadItem[] | undefined, k: Done<Bytes>): void;
  /** Decrypts message_3 and returns ID_CRED_I and EAD_3 for the application to resolve. */
  parseMessage3(m3: Bytes): Promise<PeerHello>;
  parseMessage3(m3: Bytes, k: Done<PeerHello>): void;
  /** Verifies message_3 against the credential the application resolved for ID_CRED_I; PRK_out is then available. */
  verifyMessage3(peer: PeerCredential): Promise<void>;
  verifyMessage3(peer: PeerCredential, k: Done<void>): void;
  /** Creates the optional message_4. */
  message4(ead?: EadItem[]): Promise<Bytes>;
  message4(ead: EadItem[] | undefined, k: Done<Bytes>): void;
}

export class EdhocResponder extends EdhocBase {}

/** Either role, chosen by the constructor's second argument; its steps run through edhocStep. */
export { EdhocBase as Edhoc };

/**
 * The steps in callback form by number (consts.ts STEP_*): edhocStep(state, n, input, k).
 * The pairing controller uses this one function; the role's named methods (message1,
 * parseMessage2, ...), with their promise form, exist on hosts only, so that a device
 * keeps no five resident wrappers (each function costs variables as long as it exists).
 */
export { run as edhocStep };

if (!DEVICE) {
  // Each step under the role's method name (an object literal only while loading).
  var named = function (n: number) {
    return function (this: EdhocBase, x?: unknown, k?: Done<any>): any {
      return run(this, n, x, k);
    };
  };
  Object.assign(EdhocInitiator.prototype, { message1: named(0), parseMessage2: named(1), verifyMessage2: named(2), message3: named(3), processMessage4: named(4) });
  Object.assign(EdhocResponder.prototype, { processMessage1: named(0), parseMessage3: named(1), verifyMessage3: named(2), message2: named(3), message4: named(4) });
}

/**
 * The EDHOC error message to send for a failure: ERR_CODE 2 with SUITES_R for a refused
 * suite, ERR_CODE 3 for an unknown credential, otherwise ERR_CODE 1 with the error's
 * stable code as the text (never secrets or internal details).
 */
export function edhocErrorMessage(e: unknown): Bytes {
  var code = isPairkitError(e) ? e.code : "EDHOC_INTERNAL";
  var d: any;
  // Only a PairkitError has that code (and a detail).
  return encodeSeq(code === "EDHOC_WRONG_SUITE" && Array.isArray((d = (e as any).detail)) ? [ERR_WRONG_SUITE, d.length === 1 ? d[0] : d]
    : code === "EDHOC_UNKNOWN_CRED" ? [ERR_UNKNOWN_CRED, true] : [ERR_UNSPECIFIED, code]);
}
