/**
 * The pairing lifecycle of one device (or app): button-driven pairing windows, discovery
 * and role election, EDHOC with manufacturer credentials, the confirmation code, bindings,
 * reconnects, field replacement with a fail-safe, and deny lists that travel.
 *
 * Everything platform-specific comes in through `Platform` (crypto provider, flash,
 * clock, transport, LEDs), so the same code runs on Espruino boards, in the Node
 * simulator and in apps. Trust decisions are made here, between parsing and verifying an
 * EDHOC message (the lakers pattern); nothing is stored until the rules for that kind of
 * pairing have been met, and every store update is one atomic record write.
 *
 * Shaped for a device's memory, where every function costs variables for as long as it
 * exists: few methods (one message dispatcher for session records, reconnects and the
 * EDHOC steps of both roles; one state step `up`; one `drop` for failures and closes), no
 * timers (the window, the code confirmation and the replacement fail-safe are deadlines
 * checked by tick(), like the channels' message deadlines), and a connection is its
 * channel object with the pairing state added.
 *
 * Devices lack the app role (policy.app, confirmCode()): apps run on hosts.
 *
 * Espruino subset.
 */
import { bytesEqual, concat, wipe, EMPTY, type Bytes } from "../bytes";
import { decode, encode } from "../cbor";
import { isPairkitError, perr } from "../errors";
import { Edhoc as EdhocRole, type EdhocInitiator, type EdhocResponder, edhocErrorMessage, edhocStep, type Message1Info, type PeerCredential, type PeerHello } from "../edhoc/edhoc";
import { STEP_M1, STEP_M4, STEP_PARSE, STEP_SEND, STEP_VERIFY } from "../edhoc/consts";
import { idCredKid, type EadItem } from "../edhoc/messages";
import { channelClose, channelOpen, channelSend, channelTick, type Channel, type Link } from "../link";
import { CH_EDHOC, CH_RECONNECT, CH_SESSION } from "../frame/frame";
import { sessionClose, sessionNew, sessionOpen, sessionSeal, type Session } from "../session/session";
import { pairingSecret, reconnectAccept, reconnectHello, type ReconnectState } from "../session/reconnect";
import { validateChain, type CredPolicy, type ValidatedPeer } from "../cred/chain";
import { acceptDenyList, verifyDenyList, type DenyList } from "../cred/deny";
import { parseCredential, type Credential } from "../cred/format";
import { idCredByValue, readIdCredParts } from "../cred/idcred";
import { loadRecord, saveRecord, type FlashStore } from "../store/records";
import { DEVICE } from "../target";
import type { CryptoProvider, PrivateKeyRef } from "../../crypto/provider";
import { bindingStore, type Binding, type BindingSet } from "./bindings";
import {
  EAD_SAS_COMMIT, EAD_SAS_NONCE, EAD_SAS_REVEAL, SAS_NONCE, WIN_NONE, WIN_PAIR, WIN_REPLACE, P_HANDSHAKE, P_CONFIRM, P_STAGED, P_READY, P_CLOSED,
  M_CONFIRM, M_PING, M_PONG, M_DENYVER, M_DENYREQ, M_DENY, M_APP, DENY_RECORD, LABEL_SAS, eadValue,
} from "./sas";

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
  confirmCode: true, confirmMs: 30000, replaceHoldMs: 3000, clearHoldMs: 10000, method: 3, fastReconnect: true,
  msgTimeoutMs: 10000,
} as PairingPolicy;
// Devices lack the app role and never read the flag.
if (!DEVICE) DEFAULT_POLICY.app = false;

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
  /** Milliseconds. Called as a plain function (every channel keeps it as its clock), so it must not rely on `this`. */
  now(): number;
  /** Timers: not needed (tick() checks every deadline, no closure per timer); platforms may still pass them. */
  after?(ms: number, fn: () => void): unknown;
  cancel?(h: unknown): void;
  /** Opens a link to a peer by transport address (central / client role). */
  connect(addr: string): Promise<Link>;
  /** LED or screen feedback: window, replace-window, busy, code, ok, fail, replace-pending, cleared, idle. */
  ui(ev: string, detail?: unknown): void;
  /** Structured events for logs and tests; never carries secrets. */
  report(ev: string, detail?: unknown): void;
}

export { WIN_NONE, WIN_PAIR, WIN_REPLACE };

/** What we know of a peer: its binding, or the validated credential of a new peer. */
export type PeerInfo = Pick<Binding, "sub" | "model" | "role" | "kid" | "pub" | "cred">;

type Edhoc = EdhocInitiator & EdhocResponder;

/**
 * One connection: its channel object (framing state, link, deadline) with the pairing
 * state added, so that one object and one shared event handler serve it. Fields that
 * are not set yet are left out (each set property costs a variable on a device).
 */
interface Conn extends Channel {
  pk: Pairing;
  init: boolean;
  ph: number;
  addr: string;
  /** Messages waiting while an asynchronous step (secure element) runs: channel, message, channel, ... */
  q: (number | Bytes | null)[];
  busy?: boolean;
  ed?: Edhoc | null;
  rc?: ReconnectState | null;
  s?: Session | null;
  peer?: PeerInfo | null;
  /** Existing binding of the peer (reconnect), or null (new pairing). */
  bound?: Binding | null;
  /** Binding to be replaced by this pairing. */
  repl?: Binding | null;
  /** SAS state: the initiator's nonce (a responder holds its commitment until message_3 reveals it) and ours. */
  nI?: Bytes | null;
  nR?: Bytes | null;
  /** Confirmations: 1 this side, 2 the peer. */
  cf?: number;
  /** Deadline of the code confirmation or of a staged replacement's round trip; 0 = none. */
  until?: number;
}

/** The channels' onMessage and onError (called as the channel's methods, `this` is the connection). */
function connEvent(this: Conn, x: unknown, msg?: Bytes): void {
  if (msg) {
    this.q.push(x as number, msg);
    this.pk.pump(this);
  } else this.pk.drop(this, x);
}

export class Pairing {
  declare p: Platform;
  declare id: Identity;
  declare pol: PairingPolicy;
  declare key: Bytes;
  /** Our credential's kid and sub (the credential is parsed, so checked, at boot; the rest is not kept). */
  declare me: Pick<Credential, "kid" | "sub"> | null;
  declare set: BindingSet;
  /** The bound peers (set.list). */
  declare bindings: Binding[];
  declare deny: DenyList | null;
  /** The open window's kind (WIN_NONE, WIN_PAIR, WIN_REPLACE) and its end. */
  declare window: number;
  declare winEnd: number;
  /** Our advertisement while a window is open: "pk", window kind, election nonce (4 bytes). */
  declare adv: Bytes | null;
  declare conns: Conn[];
  /** Addresses that failed recently: no automatic retry for a few seconds. */
  declare backoff: { [addr: string]: number };
  /** Trust anchors parsed once at boot. */
  declare anchors: Credential[];
  /** Apps call this when the user confirmed the code shown in the app (hosts only). */
  declare confirmCode: () => void;

  constructor(p: Platform, id: Identity, pol: PairingPolicy, atRestKey: Bytes) {
    var self = this;
    self.p = p;
    self.id = id;
    self.pol = pol;
    self.key = atRestKey;
    self.me = self.deny = self.adv = null;
    self.set = { list: [], evicted: [], next: 1 };
    self.bindings = self.set.list;
    self.window = self.winEnd = 0;
    self.conns = [];
    self.backoff = {};
    self.anchors = [];
  }

  /** Parses our credential, loads bindings and the newest deny list from flash. */
  boot(): Promise<void> {
    var self = this;
    var p = self.p;
    var c = p.crypto;
    var a = self.id.anchors;
    var me = parseCredential(self.id.cred);
    self.me = { kid: me.kid, sub: me.sub };
    self.anchors = [];
    for (var i = 0; i < a.length; i++) self.anchors.push(parseCredential(a[i]));
    try {
      self.set = bindingStore(c, p.flash, self.key) || self.set;
    } catch (e) {
      p.report("store-corrupt", { code: (e as { code: string }).code });
    }
    self.bindings = self.set.list;
    var r = loadRecord(p.flash, c.sha256, DENY_RECORD);
    return r ? verifyDenyList(c, r.data, self.anchors).then(function (d) {
      self.deny = d;
    }, function (e) {
      p.report("deny-invalid", { code: e.code });
    }) : Promise.resolve();
  }

  /**
   * A button press of the given duration: short = pairing window, 3 s = replacement window,
   * 10 s = clear all. A short press while a code is shown confirms it.
   */
  press(ms: number): void {
    var self = this;
    var p = self.p;
    var pol = self.pol;
    if (ms >= pol.clearHoldMs) return self.clearAll();
    var rw = ms >= pol.replaceHoldMs;
    for (var i = 0; !rw && i < self.conns.length; i++) {
      var k = self.conns[i];
      if (k.ph === P_CONFIRM && !((k.cf as number) & 1)) return self.up(k);
    }
    ms = rw ? pol.replaceWindowMs : pol.pairWindowMs;
    self.window = rw ? WIN_REPLACE : WIN_PAIR;
    self.winEnd = p.now() + ms;
    self.adv = concat([new Uint8Array([0x70, 0x6b, self.window]), p.crypto.randomBytes(4)]);
    p.ui(rw ? "replace-window" : "window");
    p.report("window-open", { kind: rw ? "replace" : "pair", ms: ms });
  }

  closeWindow(why: string): void {
    var self = this;
    if (self.window === WIN_NONE) return;
    self.window = WIN_NONE;
    self.adv = null;
    self.p.ui("idle");
    self.p.report("window-closed", { why: why });
  }

  clearAll(): void {
    var self = this;
    var p = self.p;
    var s = self.set;
    var n: BindingSet = { list: [], evicted: s.evicted, next: s.next };
    try {
      bindingStore(p.crypto, p.flash, self.key, n);
    } catch (e) {
      p.report("store-failed", { code: (e as { code: string }).code });
      p.ui("fail");
      return;
    }
    for (var i = 0; i < s.list.length; i++) wipe(s.list[i].secret);
    self.set = n;
    self.bindings = n.list;
    for (i = self.conns.length; i--; ) self.drop(self.conns[i], "cleared");
    p.ui("cleared");
    p.report("cleared", {});
  }

  /** Advertisement payload while a window is open (the same bytes until the window changes; do not modify), else null. */
  advert(): Bytes | null {
    return this.adv;
  }

  /**
   * Another device's advertisement. When both windows are open the larger nonce
   * initiates, so exactly one side connects; an app initiates towards any open window.
   */
  onAdvert(addr: string, adv: Bytes): void {
    var self = this;
    var me = self.adv as Bytes;
    var l = self.conns;
    if (!adv || adv.length !== 7 || adv[0] !== 0x70 || adv[1] !== 0x6b || adv[2] === WIN_NONE) return;
    // One pairing at a time, none with a peer we already have a link to, none with a peer that just failed.
    for (var i = 0; i < l.length; i++) if (l[i].ph !== P_READY || l[i].addr === addr) return;
    if (self.p.now() < self.backoff[addr]) return; // (false when there is none)
    if (DEVICE || !self.pol.app) {
      if (!me) return;
      // Big-endian nonces compared byte by byte; a tie draws a new nonce (the window starts again).
      for (i = 3; i < 7 && adv[i] === me[i]; i++);
      if (i === 7) return self.press(self.window === WIN_REPLACE ? self.pol.replaceHoldMs : 0);
      if (adv[i] > me[i]) return;
    }
    self.connectTo(addr, null);
  }

  /**
   * Pairs with a device whose window is open (sub null; apps, or a device that won the
   * election) or reconnects to a bound peer by identity.
   */
  connectTo(addr: string, sub: string | null): void {
    var self = this;
    var p = self.p;
    var b = sub ? self.find(sub) : null;
    if (sub && !b) throw perr("PAIR_NOT_BOUND", "no binding for that peer");
    if (b && b.addr) addr = b.addr;
    p.report("dial", { addr: addr, bound: b ? b.sub : null });
    p.connect(addr).then(function (link) {
      self.accept(link, addr, true, b);
    }, function (e) {
      p.report("dial-failed", { addr: addr, code: e && e.code });
    });
  }

  /** An incoming link (peripheral / server role); connectTo passes its own links with init and the peer's binding. */
  accept(link: Link, addr: string, init?: boolean, bound?: Binding | null): void {
    var self = this;
    var p = self.p;
    var k = channelOpen(link, p.now) as Conn;
    k.pk = self;
    k.init = !!init;
    k.ph = P_HANDSHAKE;
    k.addr = addr;
    k.q = [];
    if (bound) k.bound = bound;
    k.onMessage = k.onError = connEvent;
    self.conns.push(k);
    k.deadline = p.now() + self.pol.msgTimeoutMs;
    if (!init) return;
    p.ui("busy");
    if (bound && self.pol.fastReconnect) {
      var h = reconnectHello(p.crypto, { secret: bound.secret, self: (self.me as Credential).kid, peer: bound.kid });
      k.rc = h.st;
      self.out(k, CH_RECONNECT, h.msg);
    } else {
      // EDHOC starts as if a message without bytes had arrived.
      k.q.push(CH_EDHOC, null);
      self.pump(k);
    }
  }

  /** Sends application data to a bound peer over its ready session. */
  send(sub: string, data: Bytes): void {
    var l = this.conns;
    for (var i = 0; i < l.length; i++) {
      var k = l[i];
      if (k.ph === P_READY && k.peer && k.peer.sub === sub) return this.out(k, CH_SESSION, data, M_APP);
    }
    throw perr("PAIR_NO_SESSION", "no ready session with that peer");
  }

  /**
   * Call about once a second (a device calls it more often): the window's end, the code
   * confirmation and replacement deadlines, message deadlines, partial-message expiry and
   * expired back-offs.
   */
  tick(): void {
    var self = this;
    var now = self.p.now();
    var b = self.backoff;
    var a = Object.keys(b);
    // Expired back-offs go: each costs memory, and failed peers' addresses can be many.
    for (var i = 0; i < a.length; i++) if (now >= b[a[i]]) delete b[a[i]];
    if (self.window !== WIN_NONE && now >= self.winEnd) self.closeWindow("timeout");
    for (i = self.conns.length; i--; ) {
      var k = self.conns[i];
      if (k) {
        if (k.until && now >= k.until) {
          // (One perr call: device builds drop the message argument.)
          self.drop(k, perr(k.ph === P_CONFIRM ? "PAIR_NOT_CONFIRMED" : "PAIR_FAILSAFE", k.ph === P_CONFIRM
            ? "the code was not confirmed in time" : "replacement did not complete a round trip in time; the old binding stays"));
        } else channelTick(k);
      }
    }
  }

  /** Installs a deny list handed over by the manufacturer's tools or a peer (verified, no rollback). */
  installDenyList(bytes: Bytes): Promise<number> {
    var self = this;
    var p = self.p;
    return verifyDenyList(p.crypto, bytes, self.anchors).then(function (d) {
      var next = acceptDenyList(self.deny, d);
      saveRecord(p.flash, p.crypto.sha256, DENY_RECORD, bytes);
      self.deny = next;
      return next.version;
    });
  }

  // -------------------------------------------------------------------------------------

  /**
   * The binding with that sub or kid. With live, null also when it may no longer connect
   * (revoked by the deny list, or evicted).
   */
  find(x: string | Bytes, live?: boolean): Binding | null {
    var self = this;
    var l = self.bindings;
    for (var i = 0; i < l.length; i++) {
      var b = l[i];
      if (typeof x === "string" ? b.sub === x : bytesEqual(b.kid, x)) {
        return live && ((self.deny && self.deny.revoked.indexOf(b.sub) >= 0) || self.set.evicted.indexOf(b.sub) >= 0) ? null : b;
      }
    }
    return null;
  }

  /** Sends a message on a channel, or with t a control message of type t inside a session record; a failure ends the connection. */
  out(k: Conn, chn: number, msg: Bytes | null, t?: number): void {
    try {
      if (t) {
        if (!k.s) return;
        msg = sessionSeal(k.s, concat([new Uint8Array([t]), msg as Bytes]));
      }
      channelSend(k, chn, msg as Bytes);
    } catch (e) {
      this.drop(k, e);
    }
  }

  /**
   * The connection's message dispatcher. Handles queued messages one at a time: a message
   * that arrives while the secure element works on the previous one (message_4 and the
   * first session record back to back, say) waits its turn.
   */
  pump(k: Conn): void {
    var self = this;
    var p = self.p;
    var c = p.crypto;
    var pol = self.pol;
    var me = self.me as Credential;
    var id = self.id;
    var deny = self.deny;
    // The connection's role (set once, in accept).
    var ini = k.init;
    while (!k.busy && k.q.length && k.ph !== P_CLOSED) {
      var chn = k.q.shift() as number;
      var msg = k.q.shift() as Bytes;
      // Set by an EDHOC step: the handshake is complete after it (message_4 processed, or sent).
      var fin = false;
      k.deadline = k.ph === P_HANDSHAKE ? p.now() + pol.msgTimeoutMs : 0;
      try {
        if (chn === CH_SESSION) {
          if (!k.s) throw perr("PAIR_PROTOCOL", "session record before the session");
          var pt = sessionOpen(k.s, msg);
          // Responder of a fast reconnect: the initiator's confirm record proved it.
          if (k.ph === P_HANDSHAKE && !k.rc && k.bound) self.up(k);
          var t = pt && pt.length ? pt[0] : 0;
          var body = t ? (pt as Bytes).subarray(1) : EMPTY;
          // The peer's confirmation of the code, or the staged replacement's round trip.
          if ((t === M_CONFIRM && k.ph === P_CONFIRM) || (t === M_PONG && k.ph === P_STAGED)) self.up(k, true);
          else if (t === M_PING) self.out(k, CH_SESSION, EMPTY, M_PONG);
          else if (t === M_DENYVER) {
            var v = decode(body);
            if (typeof v === "number" && v > (deny ? deny.version : 0)) self.out(k, CH_SESSION, EMPTY, M_DENYREQ);
          } else if (t === M_DENYREQ) {
            if (deny) self.out(k, CH_SESSION, deny.bytes, M_DENY);
          } else if (t === M_DENY) {
            self.installDenyList(new Uint8Array(body)).then(function (ver) {
              p.report("deny-updated", { version: ver });
            }, function (e) {
              p.report("deny-refused", { code: e && e.code });
            });
          } else if (t === M_APP && k.ph === P_READY) p.report("message", { peer: (k.peer as PeerInfo).sub, data: new Uint8Array(body) });
        } else if (chn === CH_RECONNECT) {
          // Initiator: the answer to our hello. Responder: a hello (answered, or refused).
          if (ini ? !k.rc : k.ed || k.s) throw perr("PAIR_PROTOCOL", "unexpected reconnect message");
          var st = k.rc as ReconnectState;
          var r = null;
          k.rc = null;
          try {
            r = ini ? reconnectAccept(c, st, msg) : reconnectAccept(c, msg, function (id) {
              var b = self.find(id, true);
              if (!b) return null;
              k.bound = b;
              return { secret: b.secret, self: me.kid, peer: b.kid };
            }, { requireEdhoc: !pol.fastReconnect });
          } catch (e) {
            // The peer wants full EDHOC (or lost our binding): run it next.
            if (!isPairkitError(e) || e.code !== "RECONNECT_REFUSED") throw e;
            k.q.unshift(CH_EDHOC, null);
          }
          if (r) {
            self.out(k, ini ? CH_SESSION : CH_RECONNECT, r.msg);
            if (!r.s) k.bound = null;
            else {
              k.s = r.s;
              if (ini) self.up(k);
            }
          }
        } else if (chn === CH_EDHOC) {
          // One EDHOC step of either role: start (initiator, no message), message_1 ->
          // message_2, message_2 -> message_3, message_3 -> message_4, message_4. The trust
          // decision is made between parsing and verifying the peer's message: a pinned peer
          // by kid, or a credential by value that chains to our anchors, is not denied or
          // evicted, fits the policy, and is either already bound with the same key or may be
          // bound now (open window, capacity, or a replacement window). The parts run as
          // completion callbacks, not promises (core/async.ts): on a device nothing but the
          // secure element's job and these few closures is pending while the chip works.
          var ed = k.ed as Edhoc;
          var ead: EadItem[] = [];
          fin = !!ed && (!ini || ed.complete);
          // The step is running from here on: a completion, even a synchronous one, finds the
          // connection busy and moves its queue on.
          k.busy = true;
          // Every step ends with our next message (none after processing message_4), in the
          // same callback that moves the queue on. On a device it runs from a timer, on a
          // fresh stack: called from inside the secure element's answer it would stack this
          // work (sending, the session's keys) on the EDHOC step's frames and their buffers,
          // about 400 variables more at that moment (measured on 2v29).
          var later = false;
          var done = function (e: unknown, m?: unknown) {
            if (DEVICE && !later) {
              later = true;
              return setTimeout(done, 0, e, m);
            }
            if (e) return self.drop(k, e, true);
            try {
              if (!fin || !ini) self.out(k, CH_EDHOC, m as Bytes);
              if (fin) self.up(k);
            } catch (x) {
              return self.drop(k, x, true);
            }
            k.busy = false;
            self.pump(k);
          };
          // After the peer's proof: our message_3 (initiator), or message_4 (responder).
          var last = function (e: unknown) {
            if (e) done(e);
            else edhocStep(ed, ini ? STEP_SEND : STEP_M4, ini ? ead : undefined, done);
          };
          if (!ed) {
            if (k.s || (ini && msg)) throw perr("PAIR_PROTOCOL", "unexpected EDHOC message");
            // A responder outside a window refers to its credential by kid: only pinned peers can follow.
            var byKid = ini ? k.bound : (DEVICE || !pol.app) && self.window === WIN_NONE;
            var o = {
              crypto: c, method: pol.method, suites: [2], eadLabels: ini ? [EAD_SAS_NONCE] : [EAD_SAS_COMMIT, EAD_SAS_REVEAL],
              creds: [{ priv: id.priv, cred: id.cred, idCred: byKid ? idCredKid(me.kid) : idCredByValue(id.cred, id.issuer) }],
            };
            k.ed = ed = new EdhocRole(o, ini) as Edhoc;
            if (ini) {
              if (!k.bound && pol.confirmCode) {
                k.nI = c.randomBytes(SAS_NONCE);
                ead.push({ label: EAD_SAS_COMMIT, value: c.sha256(k.nI).subarray(0, 16) });
              }
              edhocStep(ed, STEP_M1, ead, done);
            } else {
              p.ui("busy");
              edhocStep(ed, STEP_M1, msg, function (e: unknown, info?: Message1Info) {
                if (e) return done(e);
                k.nI = eadValue(info!.ead, EAD_SAS_COMMIT);
                if (k.nI) {
                  k.nR = c.randomBytes(SAS_NONCE);
                  ead.push({ label: EAD_SAS_NONCE, value: k.nR });
                }
                edhocStep(ed, STEP_SEND, ead, done);
              });
            }
          } else if (ini && fin) edhocStep(ed, STEP_M4, msg, done);
          else edhocStep(ed, STEP_PARSE, msg, function (e: unknown, h?: PeerHello | null) {
            if (e) return done(e);
            // The peer's nonce of the code, if any, and its ID_CRED's parts: the hello itself
            // is not kept alive while the credential chain is verified.
            var n = eadValue((h as PeerHello).ead, ini ? EAD_SAS_NONCE : EAD_SAS_REVEAL);
            var parts = readIdCredParts((h as PeerHello).idCred);
            h = null;
            // After the trust decision: the confirmation code's nonces, then the peer's proof.
            var verify = function (pc: PeerCredential) {
              // A new peer with the code on: the initiator needs N_R (and reveals N_I), the
              // responder the N_I that matches the commitment of message_1.
              if (!k.bound && (ini ? k.nI : pol.confirmCode)) {
                if (!n || !k.nI) throw perr("PAIR_NO_CODE", "peer did not take part in the confirmation code");
                if (ini) {
                  k.nR = n;
                  ead.push({ label: EAD_SAS_REVEAL, value: k.nI });
                } else {
                  if (!bytesEqual(c.sha256(n).subarray(0, 16), k.nI)) throw perr("PAIR_SAS_COMMIT", "revealed nonce does not match its commitment");
                  k.nI = n;
                }
              }
              edhocStep(ed, STEP_VERIFY, pc, last);
            };
            try {
              if (parts.kid) {
                var b = self.find(parts.kid, true);
                if (!b) throw perr("EDHOC_UNKNOWN_CRED", "no pinned peer with that kid");
                k.bound = k.peer = b;
                return verify(b);
              }
              validateChain(c, parts.cred as Bytes, {
                // The policy itself: validateChain reads its roles and models (null: any).
                anchors: self.anchors, intermediates: parts.issuer ? [parts.issuer] : [], deny: self.deny, policy: pol as unknown as CredPolicy,
              }, function (e: unknown, v?: ValidatedPeer) {
                if (e) return done(e);
                try {
                  v = v as ValidatedPeer;
                  var l = self.bindings;
                  var b = self.find(v.sub);
                  var i;
                  if (b) {
                    if (!bytesEqual(b.pub, v.pub)) {
                      p.report("key-mismatch", { sub: v.sub });
                      throw perr("PAIR_KEY_MISMATCH", "a bound identity presented a different key");
                    }
                    if (!self.find(v.sub, true)) throw perr("CRED_REVOKED", "bound peer is revoked");
                  }
                  // (After those checks for a bound identity, first for a new one.)
                  if (k.bound && k.bound !== b) throw perr("PAIR_WRONG_PEER", "not the peer we dialled");
                  if (b) k.bound = b;
                  else {
                    if (self.set.evicted.indexOf(v.sub) >= 0) throw perr("PAIR_EVICTED", "this unit was replaced and is refused");
                    if (v.sub === me.sub) throw perr("PAIR_SELF", "a device cannot pair with itself");
                    if ((DEVICE || !pol.app) && self.window === WIN_NONE) throw perr("PAIR_NO_WINDOW", "no pairing window is open");
                    if (l.length >= pol.capacity) {
                      // Full: only a replacement window helps. It takes over, with capacity 1, the only
                      // binding, else the oldest of the same model.
                      for (i = 0; self.window === WIN_REPLACE && i < l.length; i++) {
                        if ((pol.capacity === 1 || l[i].model === v.model) && (!b || l[i].n < b.n)) b = l[i];
                      }
                      if (!(k.repl = b)) throw perr("PAIR_FULL", "all binding slots are taken");
                    }
                    for (i = 0; i < self.conns.length; i++) {
                      var y = self.conns[i];
                      if (y !== k && y.ph < P_READY && y.peer) throw perr("PAIR_BUSY", "another pairing is in progress");
                    }
                  }
                  k.peer = v;
                  verify(v);
                } catch (x) {
                  done(x);
                }
              });
            } catch (x) {
              done(x);
            }
          });
          // The message is not kept alive while the step runs.
          msg = null as unknown as Bytes;
        } else throw perr("PAIR_PROTOCOL", "unknown channel");
      } catch (e) {
        self.drop(k, e, chn === CH_EDHOC);
      }
    }
  }

  /**
   * Moves a connection on. After EDHOC (no session yet): a known peer's session is ready,
   * a new peer's code is shown. In the code phase: a confirmation from this side (remote
   * false: the button, or an app's user) or from the peer; once both have confirmed (or
   * no code is used) the new binding is committed, or a replacement staged first and
   * committed when its authenticated round trip completes. Then the session is ready and
   * deny-list versions are exchanged.
   */
  up(k: Conn, remote?: boolean): void {
    var self = this;
    var p = self.p;
    var c = p.crypto;
    var pol = self.pol;
    var l = self.conns;
    var ed = k.ed as Edhoc;
    var peer = k.peer as PeerInfo;
    var i;
    if (k.ph === P_CLOSED) return;
    if (!k.s) {
      k.s = sessionNew(c, ed.prkOut, k.init);
      if (!k.bound) {
        k.ph = P_CONFIRM;
        k.deadline = 0;
        k.cf = pol.confirmCode ? 0 : 3;
        if (pol.confirmCode) {
          // The code (sas.ts): EDHOC_Exporter(LABEL_SAS, N_I || N_R, 4) as four digits 1..6.
          var x = ed.exporter(LABEL_SAS, concat([k.nI as Bytes, k.nR as Bytes]), 4);
          // (The big-endian 32-bit value mod 1296, one byte at a time; then its base-6 digits,
          // most significant first.)
          var v = 0;
          var code: number[] = [];
          for (i = 0; i < 4; ) v = (v * 256 + x[i++]) % 1296;
          for (i = 216; i >= 1; i /= 6) code.push(((v / i) | 0) % 6 + 1);
          k.until = p.now() + pol.confirmMs;
          p.ui("code", code);
          p.report("code", { peer: peer.sub, code: code.join("") });
          if (!DEVICE) {
            if (pol.app) p.report("confirm-needed", {});
          }
          return;
        }
      }
    }
    if (k.ph === P_CONFIRM) {
      if (remote) k.cf! |= 2;
      else if (!(k.cf! & 1)) {
        k.cf! |= 1;
        self.out(k, CH_SESSION, EMPTY, M_CONFIRM);
      }
      if (k.cf !== 3) return;
      if (k.repl) {
        k.ph = P_STAGED;
        k.until = p.now() + pol.failSafeMs;
        p.ui("replace-pending");
        p.report("replace-staged", { old: k.repl.sub, peer: peer.sub });
        self.out(k, CH_SESSION, EMPTY, M_PING);
        return;
      }
    }
    if (!k.bound) {
      // The new binding set goes to flash in one atomic record; only then does memory change.
      var s = self.set;
      var old = k.repl;
      var list: Binding[] = [];
      var n: BindingSet = { list: list, evicted: s.evicted.slice(), next: s.next + 1 };
      for (i = 0; i < s.list.length; i++) {
        if (s.list[i] === old) n.evicted.push(s.list[i].sub);
        else list.push(s.list[i]);
      }
      var b: Binding = { sub: peer.sub, model: peer.model, role: peer.role, kid: peer.kid, pub: peer.pub, cred: peer.cred, secret: pairingSecret(c, ed.prkOut), n: s.next, addr: k.addr };
      list.push(b);
      try {
        bindingStore(c, p.flash, self.key, n);
      } catch (e) {
        wipe(b.secret);
        self.drop(k, e);
        return;
      }
      self.set = n;
      self.bindings = list;
      if (old) wipe(old.secret);
      k.bound = b;
      k.repl = null;
      self.closeWindow("paired");
      p.ui("ok");
      p.report(old ? "replaced" : "paired", { peer: peer.sub, old: old ? old.sub : null, n: b.n });
      // Any live session of the evicted unit ends now.
      for (i = l.length; old && i--; ) if (l[i].peer && (l[i].peer as PeerInfo).sub === old.sub) self.drop(l[i], "evicted");
    }
    // The binding stands for the peer from now on (the validated credential it was made
    // from can go); the code's nonces are not needed any more.
    k.peer = k.bound || k.peer;
    delete k.nI;
    delete k.nR;
    k.ph = P_READY;
    k.deadline = k.until = 0;
    p.ui("ok");
    p.report("session", { peer: (k.peer as PeerInfo).sub, fast: !ed });
    // The handshake's state is not needed once the session runs: PRK_out is wiped and the
    // object goes (about 18 variables per session; an EDHOC message now is PAIR_PROTOCOL).
    if (ed) ed.abort();
    k.ed = null;
    self.out(k, CH_SESSION, encode(self.deny ? self.deny.version : 0), M_DENYVER);
  }

  /**
   * Ends a connection: why is a reason (a deliberate close) or an error (a failure: EDHOC
   * error message where allowed, report, back-off, failure feedback during a pairing).
   * State is discarded and nothing is stored.
   */
  drop(k: Conn, why: unknown, edhoc?: boolean): void {
    var self = this;
    var p = self.p;
    if (k.ph === P_CLOSED) return;
    if (typeof why !== "string") {
      var code = isPairkitError(why) ? why.code : "INTERNAL";
      if (edhoc && code !== "EDHOC_PEER_ERROR" && code.indexOf("LINK_") !== 0) {
        try {
          channelSend(k, CH_EDHOC, edhocErrorMessage(why));
        } catch (x) {
          // the link is already gone
        }
      }
      self.backoff[k.addr] = p.now() + 5000;
      p.report("failed", { peer: k.peer ? k.peer.sub : null, code: code, phase: k.ph });
      // (A closed connection has left already: the phase is one of the first four.)
      if (k.ph < P_READY && (k.ph || !k.bound)) p.ui("fail");
      why = code;
    }
    k.ph = P_CLOSED;
    if (k.s) sessionClose(k.s);
    if (k.ed) k.ed.abort();
    k.s = k.ed = k.rc = null;
    channelClose(k, why as string);
    var i = self.conns.indexOf(k);
    if (i >= 0) self.conns.splice(i, 1);
  }
}

if (!DEVICE) {
  Pairing.prototype.confirmCode = function (this: Pairing) {
    var l = this.conns;
    for (var i = 0; i < l.length; i++) if (l[i].ph === P_CONFIRM && !((l[i].cf as number) & 1)) this.up(l[i]);
  };
}
