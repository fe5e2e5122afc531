/**
 * EDHOC (RFC 9528): initiator and responder as explicit step machines, after lakers.
 *
 * Between parsing message_2 (or message_3) and verifying it, the application receives the
 * peer's ID_CRED and EAD and supplies the credential it trusts (CRED_x plus the public
 * authentication key). Trust decisions therefore stay with the caller: pinning, trust
 * anchors, deny lists and policy live outside this file.
 *
 * Methods 0..3, cipher suites 0 (X25519/EdDSA, host only) and 2 (P-256/ES256), suite
 * negotiation, one-byte-int connection identifiers, compact kid encoding, EAD items,
 * optional message_4, EDHOC_Exporter and EDHOC_KeyUpdate. All asymmetric work goes through
 * the crypto provider's promises (on a device: the secure element).
 *
 * Written in the Espruino subset. Calls in the wrong order are EDHOC_WRONG_STATE and
 * leave the state alone; any other failure ends the session (state DEAD, secrets wiped).
 */
import { concat, EMPTY, wipe, type Bytes } from "../bytes";
import { encHead, encode, reader, readBstr, readInt, peekMajor, atEnd, type Reader } from "../cbor";
import { encStructure0, sigStructure1 } from "../cose";
import { isPairkitError, perr, type PairkitError } from "../errors";
import type { CryptoProvider, KeyPair, PrivateKeyRef } from "../../crypto/provider";
import { edhocExporter, edhocKdf, edhocKeyUpdate, HASH_LEN } from "./kdf";
import {
  compactIdCred, encodeEad, encodeIdBytes, encodeSuites, errorMessage, parseErrorMessage, parseIdCred,
  readEad, readIdBytes, readIdCred, readSuites, suiteEcdhCrv, suiteSigCrv,
  ERR_UNKNOWN_CRED, ERR_UNSPECIFIED, ERR_WRONG_SUITE, IV_LEN, KEY_LEN, MAC_LEN,
  type EadItem, type IdCredInfo,
} from "./messages";
import { edhocTestHooks } from "./testing";

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
  /** Responder: methods accepted (default all four). */
  methods?: number[];
  /** Initiator: cipher suites in preference order. Responder: suites supported. */
  suites: number[];
  /** Initiator: the suite to select in the first message_1 (default: the first in `suites` this implementation runs). */
  selected?: number;
  /** Our connection identifier (raw bytes); a random one-byte identifier by default. */
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

// States.
var START = 0, WAIT_M2 = 1, PROC_M2 = 2, VERIFIED_M2 = 3, DONE = 4, PROC_M1 = 5, WAIT_M3 = 6, PROC_M3 = 7, BUSY = 8, DEAD = 9;

var SUPPORTED_SUITES = [0, 2];

function trace(name: string, v: Bytes): void {
  if (edhocTestHooks.trace) edhocTestHooks.trace(name, v);
}

function bstr(b: Bytes): Bytes {
  return concat([encHead(2, b.length), b]);
}

function xorInto(a: Bytes, b: Bytes): Bytes {
  var out = new Uint8Array(a.length);
  for (var i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

function ephemeral(c: CryptoProvider, crv: number): Promise<KeyPair> {
  return edhocTestHooks.eph ? edhocTestHooks.eph(crv) : c.generateKeyPair(crv);
}

function pickCred(creds: OwnCredential[], crv: number): OwnCredential {
  for (var i = 0; i < creds.length; i++) if (creds[i].priv.crv === crv) return creds[i];
  throw perr("EDHOC_NO_CREDENTIAL", "no own credential with a key for curve " + crv);
}

function randomConnId(c: CryptoProvider, avoid: Bytes | null): Bytes {
  for (;;) {
    var v = c.randomBytes(1)[0] % 48;
    var id = new Uint8Array([v < 24 ? v : 0x20 + v - 24]);
    if (!avoid || avoid.length !== 1 || avoid[0] !== id[0]) return id;
  }
}

function checkConnId(id: Bytes): Bytes {
  if (!(id instanceof Uint8Array) || id.length === 0 || id.length > 8) throw perr("EDHOC_BAD_CONFIG", "connection identifier must be 1 to 8 bytes");
  return id;
}

/** Parses a message made of exactly one byte string (message_2/3/4), refusing error messages. */
function singleBstr(m: Bytes): Bytes {
  var pe = parseErrorMessage(m);
  if (pe) throw perr("EDHOC_PEER_ERROR", pe.code === ERR_UNSPECIFIED ? "peer reported an error: " + pe.info : "peer reported error code " + pe.code, pe);
  var r = reader(m);
  var b = readBstr(r);
  if (!atEnd(r)) throw perr("EDHOC_MALFORMED", "bytes after the EDHOC message");
  return b;
}

/** The shared parts of a handshake's state. Fields ending in "_" are internal. */
interface Core {
  c: CryptoProvider;
  o: EdhocOptions;
  st_: number;
  method_: number;
  suite_: number;
  eph_: PrivateKeyRef | null;
  gx_: Bytes | null;
  gy_: Bytes | null;
  h1_: Bytes | null;
  th_: Bytes | null;
  prk2e_: Bytes | null;
  prk3_: Bytes | null;
  prk4_: Bytes | null;
  prkOut_: Bytes | null;
  cI_: Bytes | null;
  cR_: Bytes | null;
  peerIdCred_: Bytes | null;
  pt_: Bytes | null;
  sm_: Bytes | null;
  ead_: Bytes | null;
}

function newCore(o: EdhocOptions): Core {
  if (!o || !o.crypto || !Array.isArray(o.creds) || !Array.isArray(o.suites) || o.suites.length === 0) throw perr("EDHOC_BAD_CONFIG", "crypto, creds and suites are required");
  if (o.connId) checkConnId(o.connId);
  return {
    c: o.crypto, o: o, st_: START, method_: -1, suite_: -1, eph_: null, gx_: null, gy_: null, h1_: null, th_: null,
    prk2e_: null, prk3_: null, prk4_: null, prkOut_: null, cI_: null, cR_: null, peerIdCred_: null, pt_: null, sm_: null, ead_: null,
  };
}

function wipeCore(s: Core, keepOut: boolean): void {
  wipe(s.prk2e_);
  wipe(s.prk3_);
  wipe(s.prk4_);
  s.prk2e_ = s.prk3_ = s.prk4_ = null;
  s.eph_ = null;
  if (!keepOut) {
    wipe(s.prkOut_);
    s.prkOut_ = null;
  }
}

/**
 * Runs one step: checks the state, marks the machine busy, and on failure ends the
 * session with a typed error (CBOR errors in peer input become EDHOC_MALFORMED).
 */
function run<T>(s: Core, expect: number, body: () => T | Promise<T>): Promise<T> {
  return new Promise<T>(function (resolve) {
    if (s.st_ !== expect) throw perr("EDHOC_WRONG_STATE", "EDHOC step called in the wrong state", s.st_);
    s.st_ = BUSY;
    resolve(body());
  }).then(null, function (e: unknown) {
    var pe = e as PairkitError;
    if (isPairkitError(e) && pe.code === "EDHOC_WRONG_STATE" && s.st_ !== BUSY) throw e;
    if (s.st_ === BUSY) {
      s.st_ = DEAD;
      wipeCore(s, false);
    }
    if (!isPairkitError(e)) throw perr("EDHOC_INTERNAL", "internal failure during the EDHOC step");
    if (pe.code.indexOf("CBOR_") === 0 || pe.code === "BAD_UTF8") throw perr("EDHOC_MALFORMED", "malformed EDHOC message (" + pe.code + ")");
    throw e;
  });
}

/** TH_2 = H(G_Y, H(message_1)); PRK_2e = HKDF-Extract(TH_2, G_XY). */
function keys2e(s: Core, gxy: Bytes): void {
  var c = s.c;
  trace("G_XY", gxy);
  s.th_ = c.sha256(concat([bstr(s.gy_ as Bytes), bstr(s.h1_ as Bytes)]));
  trace("TH_2", s.th_);
  s.prk2e_ = c.hkdfExtract(s.th_, gxy);
  wipe(gxy);
  trace("PRK_2e", s.prk2e_);
}

/** PRK_3e2m from PRK_2e, with G_RX when the responder authenticates with static DH. */
function keys3e2m(s: Core, grx: Bytes | null): void {
  if (grx) {
    var salt = edhocKdf(s.c, s.prk2e_ as Bytes, 1, s.th_ as Bytes, HASH_LEN);
    s.prk3_ = s.c.hkdfExtract(salt, grx);
    wipe(grx);
  } else s.prk3_ = new Uint8Array(s.prk2e_ as Bytes);
  trace("PRK_3e2m", s.prk3_);
}

/** PRK_4e3m from PRK_3e2m, with G_IY when the initiator authenticates with static DH. */
function keys4e3m(s: Core, giy: Bytes | null): void {
  if (giy) {
    var salt = edhocKdf(s.c, s.prk3_ as Bytes, 5, s.th_ as Bytes, HASH_LEN);
    s.prk4_ = s.c.hkdfExtract(salt, giy);
    wipe(giy);
  } else s.prk4_ = new Uint8Array(s.prk3_ as Bytes);
  trace("PRK_4e3m", s.prk4_);
}

/**
 * MAC_2 / MAC_3 over context = << [C_R,] ID_CRED, TH, CRED, ? EAD >>. Signing parties
 * use a hash-length MAC, static-DH parties the suite's 8-byte MAC.
 */
function macFor(s: Core, prk: Bytes, label: number, connId: Bytes | null, idCred: Bytes, cred: Bytes, ead: Bytes, sig: boolean): Bytes {
  var parts = [idCred, bstr(s.th_ as Bytes), cred, ead];
  if (connId) parts.unshift(encodeIdBytes(connId));
  var mac = edhocKdf(s.c, prk, label, concat(parts), sig ? HASH_LEN : MAC_LEN);
  trace(label === 2 ? "MAC_2" : "MAC_3", mac);
  return mac;
}

/** COSE Sig_structure of EDHOC: ["Signature1", << ID_CRED >>, << TH, CRED, ? EAD >>, MAC]. */
function toBeSigned(s: Core, idCred: Bytes, cred: Bytes, ead: Bytes, mac: Bytes): Bytes {
  return sigStructure1(idCred, concat([bstr(s.th_ as Bytes), cred, ead]), mac);
}

/** Signature_or_MAC for our side. */
function authenticate(s: Core, own: OwnCredential, sig: boolean, mac: Bytes, ead: Bytes): Promise<Bytes> {
  if (!sig) return Promise.resolve(mac);
  return s.c.sign(own.priv, toBeSigned(s, own.idCred, own.cred, ead, mac));
}

/** Checks the peer's Signature_or_MAC. */
function checkPeer(s: Core, peer: PeerCredential, sig: boolean, mac: Bytes): Promise<void> {
  var received = s.sm_ as Bytes;
  var ok: Promise<boolean> = sig
    ? s.c.verify(suiteSigCrv(s.suite_), peer.pub, toBeSigned(s, s.peerIdCred_ as Bytes, peer.cred, s.ead_ as Bytes, mac), received)
    : Promise.resolve(s.c.ctEqual(mac, received));
  return ok.then(function (good) {
    if (!good) throw perr("EDHOC_AUTH_FAILED", "peer authentication failed");
  });
}

function checkPeerCred(peer: PeerCredential): void {
  if (!peer || !(peer.cred instanceof Uint8Array) || !(peer.pub instanceof Uint8Array)) throw perr("EDHOC_BAD_CONFIG", "peer credential needs cred and pub bytes");
}

/** TH_3 / TH_4 = H(TH, PLAINTEXT, CRED). */
function nextTh(s: Core, pt: Bytes, cred: Bytes, name: string): void {
  s.th_ = s.c.sha256(concat([bstr(s.th_ as Bytes), pt, cred]));
  trace(name, s.th_);
}

function aeadKeys(s: Core, prk: Bytes, kLabel: number): Bytes[] {
  var k = edhocKdf(s.c, prk, kLabel, s.th_ as Bytes, KEY_LEN);
  var iv = edhocKdf(s.c, prk, kLabel + 1, s.th_ as Bytes, IV_LEN);
  trace(kLabel === 3 ? "K_3" : "K_4", k);
  trace(kLabel === 3 ? "IV_3" : "IV_4", iv);
  return [k, iv];
}

function finish(s: Core): void {
  s.prkOut_ = edhocKdf(s.c, s.prk4_ as Bytes, 7, s.th_ as Bytes, HASH_LEN);
  trace("PRK_out", s.prkOut_);
  wipe(s.prk2e_);
  wipe(s.prk3_);
  s.prk2e_ = s.prk3_ = null;
  s.eph_ = null;
  s.pt_ = s.sm_ = null;
  s.st_ = DONE;
}

/** message_4 from either side: seal (pt given) or open (ct given) under K_4/IV_4. */
function msg4Crypt(s: Core, data: Bytes, seal: boolean): Bytes {
  var kv = aeadKeys(s, s.prk4_ as Bytes, 8);
  var aad = encStructure0(EMPTY, s.th_ as Bytes);
  var out = seal ? s.c.aeadSeal(kv[0], kv[1], aad, data) : s.c.aeadOpen(kv[0], kv[1], aad, data);
  wipe(kv[0]);
  if (!out) throw perr("EDHOC_DECRYPT_FAILED", "message_4 did not decrypt");
  return out;
}

function doneCheck(s: Core): Bytes {
  if (s.st_ !== DONE || !s.prkOut_) throw perr("EDHOC_WRONG_STATE", "the handshake has not completed");
  return s.prkOut_;
}

/** Shared API of both roles once the handshake is done. */
class EdhocBase {
  s: Core;
  constructor(o: EdhocOptions) {
    this.s = newCore(o);
  }
  /** EDHOC_Exporter(label, context, length). */
  exporter(label: number, context: Bytes, length: number): Bytes {
    return edhocExporter(this.s.c, doneCheck(this.s), label, context, length);
  }
  /** EDHOC_KeyUpdate(context): replaces PRK_out; both peers must call it with the same context. */
  keyUpdate(context: Bytes): void {
    var old = doneCheck(this.s);
    this.s.prkOut_ = edhocKeyUpdate(this.s.c, old, context);
    wipe(old);
  }
  /** PRK_out once the handshake is complete (a secret: do not log it). */
  get prkOut(): Bytes {
    return doneCheck(this.s);
  }
  get complete(): boolean {
    return this.s.st_ === DONE;
  }
  get method(): number {
    return this.s.method_;
  }
  get suite(): number {
    return this.s.suite_;
  }
  /** Our and the peer's connection identifiers (raw bytes). */
  get connIdI(): Bytes | null {
    return this.s.cI_;
  }
  get connIdR(): Bytes | null {
    return this.s.cR_;
  }
  /** Ends the session and wipes its secrets. */
  abort(): void {
    this.s.st_ = DEAD;
    wipeCore(this.s, false);
  }
}

export class EdhocInitiator extends EdhocBase {
  constructor(o: EdhocOptions) {
    super(o);
    var s = this.s;
    var m = o.method;
    if (m !== 0 && m !== 1 && m !== 2 && m !== 3) throw perr("EDHOC_BAD_CONFIG", "method must be 0, 1, 2 or 3");
    s.method_ = m;
    var sel = o.selected !== undefined ? o.selected : -1;
    if (sel < 0) for (var i = 0; i < o.suites.length && sel < 0; i++) if (SUPPORTED_SUITES.indexOf(o.suites[i]) >= 0) sel = o.suites[i];
    if (SUPPORTED_SUITES.indexOf(sel) < 0 || o.suites.indexOf(sel) < 0) throw perr("EDHOC_BAD_CONFIG", "no supported cipher suite selected");
    s.suite_ = sel;
  }

  /** Creates message_1. Callable again after the responder refused the suite (EDHOC_WRONG_SUITE). */
  message1(ead?: EadItem[]): Promise<Bytes> {
    var s = this.s;
    return run(s, START, function () {
      var prefs = s.o.suites;
      var suitesI = prefs.slice(0, prefs.indexOf(s.suite_) + 1);
      return ephemeral(s.c, suiteEcdhCrv(s.suite_)).then(function (kp) {
        s.eph_ = kp.priv;
        s.gx_ = kp.pub.subarray(0, 32);
        s.cI_ = s.o.connId || randomConnId(s.c, null);
        var m1 = concat([encode(s.method_), encodeSuites(suitesI), bstr(s.gx_), encodeIdBytes(s.cI_), encodeEad(ead)]);
        s.h1_ = s.c.sha256(m1);
        s.st_ = WAIT_M2;
        return m1;
      });
    });
  }

  /**
   * Decrypts message_2 and returns the responder's connection identifier, ID_CRED_R and
   * EAD_2 so that the application can resolve and validate the credential. An error
   * message from the responder is raised as EDHOC_PEER_ERROR, or as EDHOC_WRONG_SUITE
   * (the initiator is then ready for a new message_1 with the next common suite).
   */
  parseMessage2(m2: Bytes): Promise<PeerHello> {
    var s = this.s;
    var self = this;
    return run(s, WAIT_M2, function () {
      var pe = parseErrorMessage(m2);
      if (pe && pe.code === ERR_WRONG_SUITE) self.renegotiate(pe.info as number | number[]);
      var g = singleBstr(m2);
      if (g.length <= 32) throw perr("EDHOC_MALFORMED", "message_2 too short");
      s.gy_ = g.slice(0, 32);
      var ct = g.subarray(32);
      return s.c.ecdh(s.eph_ as PrivateKeyRef, s.gy_).then(function (gxy) {
        keys2e(s, gxy);
        var ks = edhocKdf(s.c, s.prk2e_ as Bytes, 0, s.th_ as Bytes, ct.length);
        trace("KEYSTREAM_2", ks);
        var pt = xorInto(ct, ks);
        trace("PLAINTEXT_2", pt);
        var r = reader(pt);
        s.cR_ = readIdBytes(r);
        var hello = readHello(s, r, pt, s.cR_);
        s.st_ = PROC_M2;
        return hello;
      });
    });
  }

  private renegotiate(info: number | number[]): void {
    var s = this.s;
    var suitesR = typeof info === "number" ? [info] : info;
    var next = -1;
    for (var i = 0; i < s.o.suites.length && next < 0; i++) {
      var c = s.o.suites[i];
      if (suitesR.indexOf(c) >= 0 && SUPPORTED_SUITES.indexOf(c) >= 0 && c !== s.suite_) next = c;
    }
    if (next < 0) throw perr("EDHOC_NO_COMMON_SUITE", "no cipher suite in common with the responder", suitesR);
    s.suite_ = next;
    s.eph_ = null;
    s.st_ = START;
    throw perr("EDHOC_WRONG_SUITE", "responder refused the suite; send a new message_1", suitesR);
  }

  /** Verifies message_2 against the credential the application resolved for ID_CRED_R. */
  verifyMessage2(peer: PeerCredential): Promise<void> {
    var s = this.s;
    return run(s, PROC_M2, function () {
      checkPeerCred(peer);
      var rStatic = (s.method_ & 1) === 1;
      var grx: Promise<Bytes | null> = rStatic ? s.c.ecdh(s.eph_ as PrivateKeyRef, peer.pub) : Promise.resolve(null);
      return grx.then(function (g) {
        keys3e2m(s, g);
        var mac = macFor(s, s.prk3_ as Bytes, 2, s.cR_, s.peerIdCred_ as Bytes, peer.cred, s.ead_ as Bytes, !rStatic);
        return checkPeer(s, peer, !rStatic, mac);
      }).then(function () {
        nextTh(s, s.pt_ as Bytes, peer.cred, "TH_3");
        s.st_ = VERIFIED_M2;
      });
    });
  }

  /** Creates message_3; PRK_out is available when it resolves. */
  message3(ead?: EadItem[]): Promise<Bytes> {
    var s = this.s;
    return run(s, VERIFIED_M2, function () {
      var iStatic = (s.method_ & 2) === 2;
      var own = pickCred(s.o.creds, iStatic ? suiteEcdhCrv(s.suite_) : suiteSigCrv(s.suite_));
      var eadB = encodeEad(ead);
      var giy: Promise<Bytes | null> = iStatic ? s.c.ecdh(own.priv, s.gy_ as Bytes) : Promise.resolve(null);
      return giy.then(function (g) {
        keys4e3m(s, g);
        var mac = macFor(s, s.prk4_ as Bytes, 6, null, own.idCred, own.cred, eadB, !iStatic);
        return authenticate(s, own, !iStatic, mac, eadB);
      }).then(function (sm) {
        var pt = concat([compactIdCred(own.idCred), bstr(sm), eadB]);
        trace("PLAINTEXT_3", pt);
        var kv = aeadKeys(s, s.prk3_ as Bytes, 3);
        var ct = s.c.aeadSeal(kv[0], kv[1], encStructure0(EMPTY, s.th_ as Bytes), pt);
        wipe(kv[0]);
        nextTh(s, pt, own.cred, "TH_4");
        finish(s);
        return bstr(ct);
      });
    });
  }

  /** Processes the optional message_4 and returns EAD_4. */
  processMessage4(m4: Bytes): Promise<EadItem[]> {
    var s = this.s;
    if (s.st_ === DONE && !s.prk4_) return Promise.reject(perr("EDHOC_WRONG_STATE", "message_4 was already processed"));
    return run(s, DONE, function () {
      var pt = msg4Crypt(s, singleBstr(m4), false);
      var ead = readEad(reader(pt), s.o.eadLabels);
      wipe(s.prk4_);
      s.prk4_ = null;
      s.st_ = DONE;
      return ead;
    });
  }
}

/** Reads ID_CRED, Signature_or_MAC and EAD from a decrypted plaintext into the state. */
function readHello(s: Core, r: Reader, pt: Bytes, connId: Bytes): PeerHello {
  s.peerIdCred_ = readIdCred(r);
  s.sm_ = readBstr(r);
  var eadStart = r.p;
  var ead = readEad(r, s.o.eadLabels);
  s.ead_ = pt.slice(eadStart);
  s.pt_ = pt;
  return { connId: connId, idCred: s.peerIdCred_, idCredInfo: parseIdCred(s.peerIdCred_), ead: ead };
}

export class EdhocResponder extends EdhocBase {
  constructor(o: EdhocOptions) {
    super(o);
    var ms = o.methods || [0, 1, 2, 3];
    for (var i = 0; i < ms.length; i++) if (ms[i] < 0 || ms[i] > 3) throw perr("EDHOC_BAD_CONFIG", "methods must be 0..3");
  }

  /**
   * Parses message_1. A suite the responder cannot use fails with EDHOC_WRONG_SUITE; send
   * `edhocErrorMessage(err)` (ERR_CODE 2 with SUITES_R) back to the initiator.
   */
  processMessage1(m1: Bytes): Promise<Message1Info> {
    var s = this.s;
    return run(s, START, function () {
      var r = reader(m1);
      var method = peekMajor(r) === 0 ? readInt(r) : -1;
      if (method < 0 || method > 3) throw perr("EDHOC_MALFORMED", "message_1 has an unknown method");
      if ((s.o.methods || [0, 1, 2, 3]).indexOf(method) < 0) throw perr("EDHOC_METHOD_REFUSED", "method " + method + " is not accepted");
      var suitesI = readSuites(r);
      var sel = suitesI[suitesI.length - 1];
      var mine = s.o.suites;
      var ok = mine.indexOf(sel) >= 0 && SUPPORTED_SUITES.indexOf(sel) >= 0;
      for (var i = 0; i < suitesI.length - 1 && ok; i++) if (mine.indexOf(suitesI[i]) >= 0 && SUPPORTED_SUITES.indexOf(suitesI[i]) >= 0) ok = false;
      if (!ok) throw perr("EDHOC_WRONG_SUITE", "selected cipher suite refused", mine);
      s.gx_ = readBstr(r);
      if (s.gx_.length !== 32) throw perr("EDHOC_MALFORMED", "G_X must be 32 bytes");
      s.cI_ = readIdBytes(r);
      var ead = readEad(r, s.o.eadLabels);
      s.method_ = method;
      s.suite_ = sel;
      s.h1_ = s.c.sha256(m1);
      s.st_ = PROC_M1;
      return { connId: s.cI_, method: method, suite: sel, ead: ead };
    });
  }

  /** Creates message_2. */
  message2(ead?: EadItem[]): Promise<Bytes> {
    var s = this.s;
    return run(s, PROC_M1, function () {
      var rStatic = (s.method_ & 1) === 1;
      var own = pickCred(s.o.creds, rStatic ? suiteEcdhCrv(s.suite_) : suiteSigCrv(s.suite_));
      var eadB = encodeEad(ead);
      s.cR_ = s.o.connId || randomConnId(s.c, s.cI_);
      return ephemeral(s.c, suiteEcdhCrv(s.suite_)).then(function (kp) {
        s.eph_ = kp.priv;
        s.gy_ = kp.pub.subarray(0, 32);
        return s.c.ecdh(kp.priv, s.gx_ as Bytes);
      }).then(function (gxy) {
        keys2e(s, gxy);
        return rStatic ? s.c.ecdh(own.priv, s.gx_ as Bytes) : null;
      }).then(function (grx) {
        keys3e2m(s, grx);
        var mac = macFor(s, s.prk3_ as Bytes, 2, s.cR_, own.idCred, own.cred, eadB, !rStatic);
        return authenticate(s, own, !rStatic, mac, eadB);
      }).then(function (sm) {
        var pt = concat([encodeIdBytes(s.cR_ as Bytes), compactIdCred(own.idCred), bstr(sm), eadB]);
        trace("PLAINTEXT_2", pt);
        var ks = edhocKdf(s.c, s.prk2e_ as Bytes, 0, s.th_ as Bytes, pt.length);
        trace("KEYSTREAM_2", ks);
        var m2 = bstr(concat([s.gy_ as Bytes, xorInto(pt, ks)]));
        nextTh(s, pt, own.cred, "TH_3");
        s.st_ = WAIT_M3;
        return m2;
      });
    });
  }

  /** Decrypts message_3 and returns ID_CRED_I and EAD_3 for the application to resolve. */
  parseMessage3(m3: Bytes): Promise<PeerHello> {
    var s = this.s;
    return run(s, WAIT_M3, function () {
      var ct = singleBstr(m3);
      var kv = aeadKeys(s, s.prk3_ as Bytes, 3);
      var pt = s.c.aeadOpen(kv[0], kv[1], encStructure0(EMPTY, s.th_ as Bytes), ct);
      wipe(kv[0]);
      if (!pt) throw perr("EDHOC_DECRYPT_FAILED", "message_3 did not decrypt");
      trace("PLAINTEXT_3", pt);
      var hello = readHello(s, reader(pt), pt, s.cI_ as Bytes);
      s.st_ = PROC_M3;
      return hello;
    });
  }

  /** Verifies message_3 against the credential the application resolved for ID_CRED_I; PRK_out is then available. */
  verifyMessage3(peer: PeerCredential): Promise<void> {
    var s = this.s;
    return run(s, PROC_M3, function () {
      checkPeerCred(peer);
      var iStatic = (s.method_ & 2) === 2;
      var giy: Promise<Bytes | null> = iStatic ? s.c.ecdh(s.eph_ as PrivateKeyRef, peer.pub) : Promise.resolve(null);
      return giy.then(function (g) {
        keys4e3m(s, g);
        var mac = macFor(s, s.prk4_ as Bytes, 6, null, s.peerIdCred_ as Bytes, peer.cred, s.ead_ as Bytes, !iStatic);
        return checkPeer(s, peer, !iStatic, mac);
      }).then(function () {
        nextTh(s, s.pt_ as Bytes, peer.cred, "TH_4");
        finish(s);
      });
    });
  }

  /** Creates the optional message_4. */
  message4(ead?: EadItem[]): Promise<Bytes> {
    var s = this.s;
    if (s.st_ === DONE && !s.prk4_) return Promise.reject(perr("EDHOC_WRONG_STATE", "message_4 was already sent"));
    return run(s, DONE, function () {
      var ct = msg4Crypt(s, encodeEad(ead), true);
      wipe(s.prk4_);
      s.prk4_ = null;
      s.st_ = DONE;
      return bstr(ct);
    });
  }
}

/**
 * The EDHOC error message to send for a failure: ERR_CODE 2 with SUITES_R for a refused
 * suite, ERR_CODE 3 for an unknown credential, otherwise ERR_CODE 1 with the error's
 * stable code as the text (never secrets or internal details).
 */
export function edhocErrorMessage(e: unknown): Bytes {
  var pe = e as PairkitError;
  if (isPairkitError(e) && pe.code === "EDHOC_WRONG_SUITE" && Array.isArray(pe.detail)) {
    var sr = pe.detail as number[];
    return errorMessage(ERR_WRONG_SUITE, sr.length === 1 ? sr[0] : sr);
  }
  if (isPairkitError(e) && pe.code === "EDHOC_UNKNOWN_CRED") return errorMessage(ERR_UNKNOWN_CRED, true);
  return errorMessage(ERR_UNSPECIFIED, isPairkitError(e) ? pe.code : "EDHOC_INTERNAL");
}
