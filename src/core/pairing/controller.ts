/**
 * The pairing lifecycle of one device (or app): button-driven pairing windows, discovery
 * and role election, EDHOC with manufacturer credentials, the confirmation code, bindings,
 * reconnects, field replacement with a fail-safe, and deny lists that travel.
 *
 * Everything platform-specific comes in through `Platform` (crypto provider, flash,
 * clock and timers, transport, LEDs), so the same code runs on Espruino boards, in the
 * Node simulator and in apps. Trust decisions are made here, between parsing and
 * verifying an EDHOC message (the lakers pattern); nothing is stored until the rules for
 * that kind of pairing have been met, and every store update is one atomic record write.
 *
 * Espruino subset.
 */
import { bytesEqual, concat, wipe, type Bytes } from "../bytes";
import { decode, encode } from "../cbor";
import { isPairkitError, perr, type PairkitError } from "../errors";
import { EdhocInitiator, EdhocResponder, edhocErrorMessage, type PeerCredential, type PeerHello } from "../edhoc/edhoc";
import { idCredKid, type EadItem } from "../edhoc/messages";
import { channelClose, channelOpen, channelSend, channelTick, type Channel, type Link } from "../link";
import { CH_EDHOC, CH_RECONNECT, CH_SESSION } from "../frame/frame";
import { sessionClose, sessionNew, sessionOpen, sessionSeal, REC_DATA, type Session } from "../session/session";
import { pairingSecret, reconnectAccept, reconnectFinish, reconnectHello, type ReconnectState } from "../session/reconnect";
import { validateChain } from "../cred/chain";
import { acceptDenyList, verifyDenyList, type DenyList } from "../cred/deny";
import { parseCredential, type Credential } from "../cred/format";
import { idCredByValue, readIdCredParts } from "../cred/idcred";
import { loadRecord, saveRecord, type FlashStore } from "../store/records";
import type { CryptoProvider, PrivateKeyRef } from "../../crypto/provider";
import { emptySet, findByKid, findBySub, loadBindings, saveBindings, type Binding, type BindingSet } from "./bindings";
import { EAD_SAS_COMMIT, EAD_SAS_NONCE, EAD_SAS_REVEAL, SAS_NONCE, eadValue, sasCheck, sasCommit, sasDigits } from "./sas";

export interface PairingPolicy {
  /** Peers this device may be bound to at once (1 for device-to-device products). */
  capacity: number;
  /** Roles and models a peer may have (models null: any). */
  roles: string[];
  models: string[] | null;
  pairWindowMs: number;
  replaceWindowMs: number;
  /** A staged replacement must complete an authenticated round trip within this time. */
  failSafeMs: number;
  /** Show and confirm a code (on by default for device-to-device pairing). */
  confirmCode: boolean;
  confirmMs: number;
  /** Button hold thresholds. */
  replaceHoldMs: number;
  clearHoldMs: number;
  /** EDHOC method for handshakes this side initiates. */
  method: number;
  /** Bound peers reconnect with fresh nonces and no asymmetric work; false forces full EDHOC (forward secrecy). */
  fastReconnect: boolean;
  /** An app: no button and no windows; it always initiates, the device's button is the consent. */
  app: boolean;
  /** Silence limit for each expected message. */
  msgTimeoutMs: number;
}

export var DEFAULT_POLICY: PairingPolicy = {
  capacity: 1, roles: ["device", "app"], models: null, pairWindowMs: 60000, replaceWindowMs: 60000, failSafeMs: 30000,
  confirmCode: true, confirmMs: 30000, replaceHoldMs: 3000, clearHoldMs: 10000, method: 3, fastReconnect: true, app: false,
  msgTimeoutMs: 10000,
};

export interface Identity {
  /** Our credential (CWT) and the secure element's reference to its private key. */
  cred: Bytes;
  priv: PrivateKeyRef;
  /** The credential of the intermediate CA that issued ours, if any. */
  issuer: Bytes | null;
  /** Trust anchors (root CA credentials). */
  anchors: Bytes[];
}

export interface Platform {
  crypto: CryptoProvider;
  flash: FlashStore;
  now(): number;
  after(ms: number, fn: () => void): unknown;
  cancel(h: unknown): void;
  /** Opens a link to a peer by transport address (central / client role). */
  connect(addr: string): Promise<Link>;
  /** LED or screen feedback: window, replace-window, busy, code, ok, fail, replace-pending, cleared, idle. */
  ui(ev: string, detail?: unknown): void;
  /** Structured events for logs and tests; never carries secrets. */
  report(ev: string, detail?: unknown): void;
}

/** Window kinds. */
export var WIN_NONE = 0, WIN_PAIR = 1, WIN_REPLACE = 2;

/** Connection phases. */
var P_HANDSHAKE = 0, P_CONFIRM = 1, P_STAGED = 2, P_READY = 3, P_CLOSED = 4;

/** Control messages inside session data records: first byte. */
var M_CONFIRM = 1, M_PING = 2, M_PONG = 3, M_DENYVER = 4, M_DENYREQ = 5, M_DENY = 6, M_APP = 7;

var DENY_RECORD = "pkd";

/** What we know of a peer: the public part of a binding. */
export type PeerInfo = Pick<Binding, "sub" | "model" | "role" | "kid" | "pub" | "cred">;

interface Conn {
  ch: Channel;
  init: boolean;
  ph: number;
  ed: EdhocInitiator | EdhocResponder | null;
  rc: ReconnectState | null;
  s: Session | null;
  peer: PeerInfo | null;
  /** Existing binding of the peer (reconnect), or null (new pairing). */
  bound: Binding | null;
  /** Binding to be replaced by this pairing. */
  repl: Binding | null;
  addr: string;
  /** SAS state: our/their nonces and the initiator's commitment. */
  nI: Bytes | null;
  nR: Bytes | null;
  cm: Bytes | null;
  code: number[] | null;
  local: boolean;
  remote: boolean;
  secret: Bytes | null;
  timer: unknown;
  /** Messages waiting while an asynchronous step (secure element) runs. */
  q: { c: number; m: Bytes }[];
  busy: boolean;
}

export class Pairing {
  p: Platform;
  id: Identity;
  pol: PairingPolicy;
  key: Bytes;
  me: Credential | null;
  set: BindingSet;
  deny: DenyList | null;
  win: number;
  winEnd: number;
  winTimer: unknown;
  nonce: number;
  conns: Conn[];
  /** Addresses that failed recently: no automatic retry for a few seconds. */
  backoff: { [addr: string]: number };
  /** Trust anchors parsed once at boot. */
  anchors: Credential[];
  /** One clock function shared by every channel. */
  clock: () => number;

  constructor(p: Platform, id: Identity, pol: PairingPolicy, atRestKey: Bytes) {
    this.p = p;
    this.id = id;
    this.pol = pol;
    this.key = atRestKey;
    this.me = null;
    this.set = emptySet();
    this.deny = null;
    this.win = WIN_NONE;
    this.winEnd = 0;
    this.winTimer = null;
    this.nonce = 0;
    this.conns = [];
    this.backoff = {};
    this.anchors = [];
    this.clock = function () {
      return p.now();
    };
  }

  /** Parses our credential, loads bindings and the newest deny list from flash. */
  boot(): Promise<void> {
    var self = this;
    var c = this.p.crypto;
    this.me = parseCredential(this.id.cred);
    this.anchors = [];
    for (var i = 0; i < this.id.anchors.length; i++) this.anchors.push(parseCredential(this.id.anchors[i]));
    try {
      this.set = loadBindings(c, this.p.flash, this.key);
    } catch (e) {
      this.p.report("store-corrupt", { code: (e as PairkitError).code });
      this.set = emptySet();
    }
    var r = loadRecord(this.p.flash, c.sha256, DENY_RECORD);
    if (!r) return Promise.resolve();
    return verifyDenyList(c, r.data, this.anchors).then(function (d) {
      self.deny = d;
    }, function (e) {
      self.p.report("deny-invalid", { code: e.code });
    });
  }

  get bindings(): Binding[] {
    return this.set.list;
  }

  get window(): number {
    return this.win;
  }

  /** A button press of the given duration: short = pairing window, 3 s = replacement window, 10 s = clear all. A short press while a code is shown confirms it. */
  press(ms: number): void {
    var pol = this.pol;
    if (ms >= pol.clearHoldMs) return this.clearAll();
    if (ms >= pol.replaceHoldMs) return this.open(WIN_REPLACE);
    for (var i = 0; i < this.conns.length; i++) {
      var k = this.conns[i];
      if (k.ph === P_CONFIRM && k.code && !k.local) {
        this.confirm(k);
        return;
      }
    }
    this.open(WIN_PAIR);
  }

  open(kind: number): void {
    var self = this;
    if (this.winTimer) this.p.cancel(this.winTimer);
    var ms = kind === WIN_REPLACE ? this.pol.replaceWindowMs : this.pol.pairWindowMs;
    this.win = kind;
    this.winEnd = this.p.now() + ms;
    var r = this.p.crypto.randomBytes(4);
    this.nonce = ((r[0] << 24) >>> 0) + (r[1] << 16) + (r[2] << 8) + r[3];
    this.winTimer = this.p.after(ms, function () {
      self.closeWindow("timeout");
    });
    this.p.ui(kind === WIN_REPLACE ? "replace-window" : "window");
    this.p.report("window-open", { kind: kind === WIN_REPLACE ? "replace" : "pair", ms: ms });
  }

  closeWindow(why: string): void {
    if (this.win === WIN_NONE) return;
    if (this.winTimer) this.p.cancel(this.winTimer);
    this.winTimer = null;
    this.win = WIN_NONE;
    this.p.ui("idle");
    this.p.report("window-closed", { why: why });
  }

  clearAll(): void {
    var s = this.set;
    var n: BindingSet = { list: [], evicted: s.evicted, next: s.next };
    try {
      saveBindings(this.p.crypto, this.p.flash, this.key, n);
    } catch (e) {
      this.p.report("store-failed", { code: (e as PairkitError).code });
      this.p.ui("fail");
      return;
    }
    for (var i = 0; i < s.list.length; i++) wipe(s.list[i].secret);
    this.set = n;
    for (i = this.conns.length - 1; i >= 0; i--) this.drop(this.conns[i], "cleared");
    this.p.ui("cleared");
    this.p.report("cleared", {});
  }

  /** Advertisement payload: "pk", window kind, election nonce (4 bytes); null when no window is open. */
  advert(): Bytes | null {
    if (this.win === WIN_NONE) return null;
    var n = this.nonce;
    return new Uint8Array([0x70, 0x6b, this.win, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
  }

  /**
   * Another device's advertisement. When both windows are open the larger nonce
   * initiates, so exactly one side connects; an app initiates towards any open window.
   */
  onAdvert(addr: string, adv: Bytes): void {
    if (!adv || adv.length !== 7 || adv[0] !== 0x70 || adv[1] !== 0x6b || adv[2] === WIN_NONE) return;
    // One pairing at a time, none with a peer we already have a link to, none with a peer that just failed.
    for (var i = 0; i < this.conns.length; i++) if (this.conns[i].ph !== P_READY || this.conns[i].addr === addr) return;
    if (this.backoff[addr] && this.p.now() < this.backoff[addr]) return;
    if (!this.pol.app) {
      if (this.win === WIN_NONE) return;
      var theirs = ((adv[3] << 24) >>> 0) + (adv[4] << 16) + (adv[5] << 8) + adv[6];
      if (theirs === this.nonce) {
        this.open(this.win);
        return;
      }
      if (theirs > this.nonce) return;
    }
    this.dial(addr, null);
  }

  /** Pairs with a device whose window is open (apps) or reconnects to a bound peer by identity. */
  connectTo(addr: string, sub: string | null): void {
    var b = sub ? findBySub(this.set, sub) : null;
    if (sub && !b) throw perr("PAIR_NOT_BOUND", "no binding for that peer");
    this.dial(b ? b.addr || addr : addr, b);
  }

  dial(addr: string, bound: Binding | null): void {
    var self = this;
    this.p.report("dial", { addr: addr, bound: bound ? bound.sub : null });
    this.p.connect(addr).then(function (link) {
      self.start(link, true, addr, bound);
    }, function (e) {
      self.p.report("dial-failed", { addr: addr, code: e && e.code });
    });
  }

  /** An incoming link (peripheral / server role). */
  accept(link: Link, addr: string): void {
    this.start(link, false, addr, null);
  }

  /** Sends application data to a bound peer over its ready session. */
  send(sub: string, data: Bytes): void {
    for (var i = 0; i < this.conns.length; i++) {
      var k = this.conns[i];
      if (k.ph === P_READY && k.peer && k.peer.sub === sub) {
        this.ctl(k, M_APP, data);
        return;
      }
    }
    throw perr("PAIR_NO_SESSION", "no ready session with that peer");
  }

  /** Call about once a second: message deadlines and partial-message expiry. */
  tick(): void {
    for (var i = this.conns.length - 1; i >= 0; i--) channelTick(this.conns[i].ch);
  }

  // -------------------------------------------------------------------------------------

  start(link: Link, init: boolean, addr: string, bound: Binding | null): void {
    var self = this;
    var k: Conn = {
      ch: channelOpen(link, this.clock), init: init, ph: P_HANDSHAKE, ed: null, rc: null, s: null, peer: null,
      bound: bound, repl: null, addr: addr, nI: null, nR: null, cm: null, code: null, local: false, remote: false, secret: null, timer: null,
      q: [], busy: false,
    };
    this.conns.push(k);
    k.ch.onMessage = function (chn, msg) {
      k.q.push({ c: chn, m: msg });
      self.pump(k);
    };
    k.ch.onError = function (e) {
      self.fail(k, e, false);
    };
    this.expect(k);
    if (!init) return;
    this.p.ui("busy");
    if (bound && this.pol.fastReconnect) {
      var h = reconnectHello(this.p.crypto, { secret: bound.secret, self: (this.me as Credential).kid, peer: bound.kid });
      k.rc = h.st;
      this.out(k, CH_RECONNECT, h.msg);
      return;
    }
    this.edhocStart(k);
  }

  /** Deadline for the next handshake message (later phases have their own timers). */
  expect(k: Conn): void {
    k.ch.deadline = k.ph === P_HANDSHAKE ? this.p.now() + this.pol.msgTimeoutMs : 0;
  }

  out(k: Conn, chn: number, msg: Bytes): void {
    try {
      channelSend(k.ch, chn, msg);
    } catch (e) {
      this.fail(k, e, false);
    }
  }

  edhocStart(k: Conn): void {
    var self = this;
    var ed = new EdhocInitiator({ crypto: this.p.crypto, method: this.pol.method, suites: [2], creds: [this.own(!!k.bound)], eadLabels: [EAD_SAS_NONCE] });
    k.ed = ed;
    var ead: EadItem[] = [];
    if (!k.bound && this.pol.confirmCode) {
      k.nI = this.p.crypto.randomBytes(SAS_NONCE);
      ead.push({ label: EAD_SAS_COMMIT, value: sasCommit(this.p.crypto.sha256, k.nI) });
    }
    k.busy = true;
    ed.message1(ead).then(function (m1) {
      self.out(k, CH_EDHOC, m1);
      k.busy = false;
      self.pump(k);
    }).then(null, function (e) {
      self.fail(k, e, true);
    });
  }

  /** Our credential for EDHOC: by reference to a pinned peer, by value (kcwt) otherwise. */
  own(byKid: boolean): { priv: PrivateKeyRef; cred: Bytes; idCred: Bytes } {
    var me = this.me as Credential;
    return { priv: this.id.priv, cred: this.id.cred, idCred: byKid ? idCredKid(me.kid) : idCredByValue(this.id.cred, this.id.issuer) };
  }

  /**
   * Handles queued messages one at a time: a message that arrives while the secure element
   * works on the previous one (message_4 and the first session record back to back, say)
   * waits its turn.
   */
  pump(k: Conn): void {
    var self = this;
    while (!k.busy && k.q.length && k.ph !== P_CLOSED) {
      var e = k.q.shift() as { c: number; m: Bytes };
      var step = this.onMsg(k, e.c, e.m);
      if (step) {
        k.busy = true;
        step.then(function () {
          k.busy = false;
          self.pump(k);
        }, function (x) {
          self.fail(k, x, true);
        });
      }
    }
  }

  onMsg(k: Conn, chn: number, msg: Bytes): Promise<unknown> | null {
    var self = this;
    this.expect(k);
    var c = this.p.crypto;
    try {
      if (chn === CH_SESSION) {
        if (!k.s) throw perr("PAIR_PROTOCOL", "session record before the session");
        var pt = sessionOpen(k.s, msg);
        if (k.ph === P_HANDSHAKE && k.rc === null && k.bound) {
          // Responder of a fast reconnect: the initiator's confirm record proved it.
          this.ready(k);
        }
        if (pt) this.onCtl(k, pt);
        return null;
      }
      if (chn === CH_RECONNECT) {
        if (k.init) {
          if (!k.rc) throw perr("PAIR_PROTOCOL", "unexpected reconnect message");
          var st = k.rc;
          k.rc = null;
          try {
            var fin = reconnectFinish(c, st, msg);
            k.s = fin.s;
            this.out(k, CH_SESSION, fin.msg);
            this.ready(k);
          } catch (e) {
            if (isPairkitError(e) && e.code === "RECONNECT_REFUSED") this.edhocStart(k);
            else throw e;
          }
          return null;
        }
        if (k.ed || k.s) throw perr("PAIR_PROTOCOL", "unexpected reconnect message");
        var acc = reconnectAccept(c, msg, function (id) {
          var b = findByKid(self.set, id);
          if (!b || !self.allowedBound(b)) return null;
          k.bound = b;
          return { secret: b.secret, self: (self.me as Credential).kid, peer: b.kid };
        }, { requireEdhoc: !this.pol.fastReconnect });
        this.out(k, CH_RECONNECT, acc.msg);
        if (!acc.s) {
          k.bound = null;
          return null;
        }
        k.s = acc.s;
        return null;
      }
      if (chn !== CH_EDHOC) throw perr("PAIR_PROTOCOL", "unknown channel");
      return k.init ? this.iEdhoc(k, msg) : this.rEdhoc(k, msg);
    } catch (e) {
      this.fail(k, e, chn === CH_EDHOC);
      return null;
    }
  }

  /** Initiator: message_2 (resolve, verify, answer with message_3) or message_4 (done). */
  iEdhoc(k: Conn, msg: Bytes): Promise<unknown> {
    var self = this;
    var ed = k.ed as EdhocInitiator;
    if (ed.complete) {
      return ed.processMessage4(msg).then(function () {
        self.established(k, ed.prkOut);
      });
    }
    var ead3: EadItem[] = [];
    return ed.parseMessage2(msg).then(function (h) {
      return self.resolve(k, h).then(function (pc) {
        if (k.nI && !k.bound) {
          k.nR = eadValue(h.ead, EAD_SAS_NONCE);
          if (!k.nR) throw perr("PAIR_NO_CODE", "peer did not take part in the confirmation code");
          ead3.push({ label: EAD_SAS_REVEAL, value: k.nI });
        }
        return ed.verifyMessage2(pc);
      });
    }).then(function () {
      return ed.message3(ead3);
    }).then(function (m3) {
      self.out(k, CH_EDHOC, m3);
    });
  }

  /** Responder: message_1 (answer with message_2) or message_3 (resolve, verify, message_4). */
  rEdhoc(k: Conn, msg: Bytes): Promise<unknown> {
    var self = this;
    var c = this.p.crypto;
    if (!k.ed) {
      if (k.s) throw perr("PAIR_PROTOCOL", "EDHOC after a reconnect");
      // Outside a window only pinned peers can succeed: refer to our credential by kid.
      var byKid = this.win === WIN_NONE && !this.pol.app;
      var ed = new EdhocResponder({ crypto: c, suites: [2], creds: [this.own(byKid)], eadLabels: [EAD_SAS_COMMIT, EAD_SAS_REVEAL] });
      k.ed = ed;
      this.p.ui("busy");
      return ed.processMessage1(msg).then(function (info) {
        var ead2: EadItem[] = [];
        k.cm = eadValue(info.ead, EAD_SAS_COMMIT);
        if (k.cm) {
          k.nR = c.randomBytes(SAS_NONCE);
          ead2.push({ label: EAD_SAS_NONCE, value: k.nR });
        }
        return ed.message2(ead2);
      }).then(function (m2) {
        self.out(k, CH_EDHOC, m2);
      });
    }
    var r = k.ed as EdhocResponder;
    return r.parseMessage3(msg).then(function (h) {
      return self.resolve(k, h).then(function (pc) {
        if (!k.bound && self.pol.confirmCode) {
          var nI = eadValue(h.ead, EAD_SAS_REVEAL);
          if (!k.cm || !nI) throw perr("PAIR_NO_CODE", "peer did not take part in the confirmation code");
          sasCheck(c.sha256, k.cm, nI);
          k.nI = nI;
        }
        return r.verifyMessage3(pc);
      });
    }).then(function () {
      return r.message4();
    }).then(function (m4) {
      self.out(k, CH_EDHOC, m4);
      self.established(k, r.prkOut);
    });
  }

  /**
   * The trust decision, between parsing and verifying the peer's message: a pinned peer by
   * kid, or a credential by value that chains to our anchors, is not denied or evicted,
   * fits the policy, and is either already bound with the same key or may be bound now
   * (open window, capacity, or a replacement window).
   */
  resolve(k: Conn, h: PeerHello): Promise<PeerCredential> {
    var self = this;
    var parts = readIdCredParts(h.idCred);
    if (parts.kid) {
      var b = findByKid(this.set, parts.kid);
      if (!b || !this.allowedBound(b)) return Promise.reject(perr("EDHOC_UNKNOWN_CRED", "no pinned peer with that kid"));
      k.bound = b;
      k.peer = { sub: b.sub, model: b.model, role: b.role, kid: b.kid, pub: b.pub, cred: b.cred };
      return Promise.resolve({ cred: b.cred, pub: b.pub });
    }
    return validateChain(this.p.crypto, parts.cred as Bytes, {
      anchors: this.anchors, intermediates: parts.issuer ? [parts.issuer] : [], deny: this.deny,
      policy: { roles: this.pol.roles as ("device" | "app" | "ca")[], models: this.pol.models || undefined },
    }).then(function (v) {
      var peer: PeerInfo = { sub: v.sub, model: v.model, role: v.role, kid: v.kid, pub: v.pub, cred: v.cred };
      var b = findBySub(self.set, v.sub);
      if (b) {
        if (!bytesEqual(b.pub, v.pub)) {
          self.p.report("key-mismatch", { sub: v.sub });
          throw perr("PAIR_KEY_MISMATCH", "a bound identity presented a different key");
        }
        if (!self.allowedBound(b)) throw perr("CRED_REVOKED", "bound peer is revoked");
        if (k.bound && k.bound !== b) throw perr("PAIR_WRONG_PEER", "not the peer we dialled");
        k.bound = b;
        k.peer = peer;
        return { cred: v.cred, pub: v.pub };
      }
      if (k.bound) throw perr("PAIR_WRONG_PEER", "not the peer we dialled");
      if (self.set.evicted.indexOf(v.sub) >= 0) throw perr("PAIR_EVICTED", "this unit was replaced and is refused");
      if (v.sub === (self.me as Credential).sub) throw perr("PAIR_SELF", "a device cannot pair with itself");
      if (self.win === WIN_NONE && !self.pol.app) throw perr("PAIR_NO_WINDOW", "no pairing window is open");
      if (self.set.list.length >= self.pol.capacity) {
        if (self.win !== WIN_REPLACE) throw perr("PAIR_FULL", "all binding slots are taken");
        k.repl = self.replaceTarget(v.model);
        if (!k.repl) throw perr("PAIR_FULL", "no binding of that model to replace");
      }
      for (var i = 0; i < self.conns.length; i++) {
        var o = self.conns[i];
        if (o !== k && o.ph !== P_CLOSED && o.ph !== P_READY && o.peer) throw perr("PAIR_BUSY", "another pairing is in progress");
      }
      k.peer = peer;
      return { cred: v.cred, pub: v.pub };
    });
  }

  /** A bound peer may connect unless it has since been revoked or evicted. */
  allowedBound(b: Binding): boolean {
    return !(this.deny && this.deny.revoked.indexOf(b.sub) >= 0) && this.set.evicted.indexOf(b.sub) < 0;
  }

  /** The binding a replacement takes over: with capacity 1 the only one, else the oldest of the same model. */
  replaceTarget(model: string): Binding | null {
    var best: Binding | null = null;
    for (var i = 0; i < this.set.list.length; i++) {
      var b = this.set.list[i];
      if ((this.pol.capacity === 1 || b.model === model) && (!best || b.n < best.n)) best = b;
    }
    return best;
  }

  /** EDHOC finished: a session for a known peer, or the start of a new binding. */
  established(k: Conn, prkOut: Bytes): void {
    var self = this;
    var c = this.p.crypto;
    k.s = sessionNew(c, prkOut, k.init);
    if (k.bound) {
      this.ready(k);
      return;
    }
    k.secret = pairingSecret(c, prkOut);
    var ed = k.ed as EdhocInitiator;
    if (this.pol.confirmCode) {
      k.code = sasDigits(function (l, x, n) { return ed.exporter(l, x, n); }, k.nI as Bytes, k.nR as Bytes);
      k.ph = P_CONFIRM;
      k.ch.deadline = 0;
      k.timer = this.p.after(this.pol.confirmMs, function () {
        self.fail(k, perr("PAIR_NOT_CONFIRMED", "the code was not confirmed in time"), false);
      });
      this.p.ui("code", k.code);
      this.p.report("code", { peer: (k.peer as PeerInfo).sub, code: k.code.join("") });
      if (this.pol.app) this.p.report("confirm-needed", {});
      return;
    }
    this.confirmed(k);
  }

  /** The person confirmed the code on this device. */
  confirm(k: Conn): void {
    k.local = true;
    this.ctl(k, M_CONFIRM, null);
    if (k.remote) this.confirmed(k);
  }

  /** Apps call this when the user confirmed the code shown in the app. */
  confirmCode(): void {
    for (var i = 0; i < this.conns.length; i++) if (this.conns[i].ph === P_CONFIRM && !this.conns[i].local) this.confirm(this.conns[i]);
  }

  /** Both people confirmed (or no code is used): commit, or stage a replacement. */
  confirmed(k: Conn): void {
    var self = this;
    if (k.timer) this.p.cancel(k.timer);
    k.timer = null;
    if (!k.repl) {
      this.commit(k);
      return;
    }
    k.ph = P_STAGED;
    k.ch.deadline = 0;
    this.p.ui("replace-pending");
    this.p.report("replace-staged", { old: k.repl.sub, peer: (k.peer as PeerInfo).sub });
    k.timer = this.p.after(this.pol.failSafeMs, function () {
      self.fail(k, perr("PAIR_FAILSAFE", "replacement did not complete a round trip in time; the old binding stays"), false);
    });
    this.ctl(k, M_PING, null);
  }

  /** Writes the new binding set in one atomic record; only then does memory change. */
  commit(k: Conn): void {
    var peer = k.peer as PeerInfo;
    var s = this.set;
    var list: Binding[] = [];
    var evicted = s.evicted.slice();
    for (var i = 0; i < s.list.length; i++) {
      if (s.list[i] === k.repl) evicted.push(s.list[i].sub);
      else list.push(s.list[i]);
    }
    var b: Binding = { sub: peer.sub, model: peer.model, role: peer.role, kid: peer.kid, pub: peer.pub, cred: peer.cred, secret: k.secret as Bytes, n: s.next, addr: k.addr };
    list.push(b);
    var n: BindingSet = { list: list, evicted: evicted, next: s.next + 1 };
    try {
      saveBindings(this.p.crypto, this.p.flash, this.key, n);
    } catch (e) {
      this.fail(k, e, false);
      return;
    }
    var old = k.repl;
    this.set = n;
    if (old) wipe(old.secret);
    k.bound = b;
    k.secret = null;
    k.repl = null;
    if (k.timer) this.p.cancel(k.timer);
    k.timer = null;
    this.closeWindow("paired");
    this.p.ui("ok");
    this.p.report(old ? "replaced" : "paired", { peer: peer.sub, old: old ? old.sub : null, n: b.n });
    if (old) {
      // Any live session of the evicted unit ends now.
      for (i = this.conns.length - 1; i >= 0; i--) if (this.conns[i].peer && this.conns[i].peer!.sub === old.sub) this.drop(this.conns[i], "evicted");
    }
    this.ready(k);
  }

  /** A session with a bound peer is up: exchange deny-list versions. */
  ready(k: Conn): void {
    if (k.ph === P_READY) return;
    k.ph = P_READY;
    k.ch.deadline = 0;
    this.p.ui("ok");
    this.p.report("session", { peer: k.peer ? k.peer.sub : k.bound ? k.bound.sub : "?", fast: !k.ed });
    if (!k.peer && k.bound) {
      var b = k.bound;
      k.peer = { sub: b.sub, model: b.model, role: b.role, kid: b.kid, pub: b.pub, cred: b.cred };
    }
    this.ctl(k, M_DENYVER, encode(this.deny ? this.deny.version : 0));
  }

  /** Sends a control message inside a session record. */
  ctl(k: Conn, type: number, body: Bytes | null): void {
    if (!k.s) return;
    var rec: Bytes;
    try {
      rec = sessionSeal(k.s, concat([new Uint8Array([type]), body || new Uint8Array(0)]), REC_DATA);
    } catch (e) {
      this.fail(k, e, false);
      return;
    }
    this.out(k, CH_SESSION, rec);
  }

  onCtl(k: Conn, pt: Bytes): void {
    var self = this;
    if (pt.length === 0) return;
    var t = pt[0];
    var body = pt.subarray(1);
    if (t === M_CONFIRM && k.ph === P_CONFIRM) {
      k.remote = true;
      if (k.local) this.confirmed(k);
    } else if (t === M_PING) this.ctl(k, M_PONG, null);
    else if (t === M_PONG && k.ph === P_STAGED) this.commit(k);
    else if (t === M_DENYVER) {
      var v = decode(body);
      if (typeof v === "number" && v > (this.deny ? this.deny.version : 0)) this.ctl(k, M_DENYREQ, null);
    } else if (t === M_DENYREQ) {
      if (this.deny) this.ctl(k, M_DENY, this.deny.bytes);
    } else if (t === M_DENY) {
      var bytes = new Uint8Array(body);
      verifyDenyList(this.p.crypto, bytes, this.anchors).then(function (d) {
        var next = acceptDenyList(self.deny, d);
        saveRecord(self.p.flash, self.p.crypto.sha256, DENY_RECORD, bytes);
        self.deny = next;
        self.p.report("deny-updated", { version: next.version });
      }).then(null, function (e) {
        self.p.report("deny-refused", { code: e && e.code });
      });
    } else if (t === M_APP && k.ph === P_READY) this.p.report("message", { peer: (k.peer as PeerInfo).sub, data: new Uint8Array(body) });
  }

  /** Installs a deny list handed over by the manufacturer's tools (verified, no rollback). */
  installDenyList(bytes: Bytes): Promise<number> {
    var self = this;
    return verifyDenyList(this.p.crypto, bytes, this.anchors).then(function (d) {
      var next = acceptDenyList(self.deny, d);
      saveRecord(self.p.flash, self.p.crypto.sha256, DENY_RECORD, bytes);
      self.deny = next;
      return next.version;
    });
  }

  /** Ends a connection after a failure: EDHOC error message where allowed, state discarded, nothing stored. */
  fail(k: Conn, e: unknown, edhoc: boolean): void {
    if (k.ph === P_CLOSED) return;
    var pe = e as PairkitError;
    var code = isPairkitError(e) ? pe.code : "INTERNAL";
    if (edhoc && code !== "EDHOC_PEER_ERROR" && code.indexOf("LINK_") !== 0) {
      try {
        channelSend(k.ch, CH_EDHOC, edhocErrorMessage(e));
      } catch (x) {
        // the link is already gone
      }
    }
    var pairing = k.ph === P_CONFIRM || k.ph === P_STAGED || (k.ph === P_HANDSHAKE && !k.bound);
    this.backoff[k.addr] = this.p.now() + 5000;
    this.p.report("failed", { peer: k.peer ? k.peer.sub : null, code: code, phase: k.ph });
    if (pairing && k.ph !== P_READY) this.p.ui("fail");
    this.drop(k, code);
  }

  drop(k: Conn, why: string): void {
    if (k.ph === P_CLOSED) return;
    k.ph = P_CLOSED;
    if (k.timer) this.p.cancel(k.timer);
    k.timer = null;
    if (k.s) sessionClose(k.s);
    if (k.ed) k.ed.abort();
    wipe(k.secret);
    k.secret = null;
    k.s = null;
    k.ed = null;
    k.rc = null;
    channelClose(k.ch, why);
    var i = this.conns.indexOf(k);
    if (i >= 0) this.conns.splice(i, 1);
  }
}
