/**
 * Transport interfaces: a Link is one connected peer channel carrying writes of at most
 * `mtu` bytes; a Transport makes Links (central/client and peripheral/server roles). A
 * Channel ties a Link to a Framer so that protocols send and receive whole messages on
 * numbered channels (EDHOC, error, session, reconnect) with a receive deadline.
 *
 * Platforms implement Link/Transport: src/host/transport/memory.ts (in-memory with faults),
 * src/host/transport/tcp.ts (Node), firmware/transport-tcp.ts (Espruino `net`),
 * firmware/transport-ble.ts (Espruino `NRF`); apps implement one over Web Bluetooth (see
 * docs/sessions.md). Core has no timers: the platform calls channelTick periodically.
 *
 * Device code: Espruino subset.
 */
import type { Bytes } from "./bytes";
import { perr, type PairkitError } from "./errors";
import { frameIn, frameOut, newFramer, type Framer, type FramerOptions } from "./frame/frame";

export interface Link {
  /** Largest write in bytes. May grow while the link is up (after a BLE MTU exchange). */
  mtu: number;
  /**
   * Queues one write of at most mtu bytes. A write arrives whole and writes arrive in order
   * (or, on a faulty link, not at all). Throws LINK_CLOSED after the link closed and
   * LINK_TOO_LARGE for a write above mtu.
   */
  send(data: Bytes): void;
  /** Set by the user of the link: called with each received write. */
  onData: ((data: Bytes) => void) | null;
  /** Set by the user of the link: called once when the link closes, locally or remotely. */
  onClose: ((reason: string) => void) | null;
  /** Closes the link; onClose follows. Idempotent. */
  close(): void;
}

/**
 * Makes Links. connect() is the central/client role (target: a BLE address or filter, a
 * host and port, ...); listen() the peripheral/server role. advertise() tells nearby
 * centrals whether a pairing window is open (BLE); transports without advertising omit it.
 */
export interface Transport {
  connect(target?: unknown): Promise<Link>;
  listen?(onLink: (link: Link) => void): Promise<void> | void;
  advertise?(pairingOpen: boolean): void;
  /** Stops listening and advertising; links already made stay open. */
  close(): void;
}

export interface Channel {
  link: Link;
  f: Framer;
  now: () => number;
  /** Set by the user: a whole message arrived on channel ch (CH_EDHOC, CH_SESSION, ...). */
  onMessage: ((ch: number, msg: Bytes) => void) | null;
  /** Set by the user: LINK_TIMEOUT (deadline passed) or LINK_CLOSED (the link went away). */
  onError: ((e: PairkitError) => void) | null;
  /** Time (clock of now()) by which the next message must arrive; 0 = none. Cleared by each message. */
  deadline: number;
  closed: boolean;
}

/** Closes the channel and its link and drops every partial message. Idempotent. */
export function channelClose(c: Channel, why?: string): void {
  if (c.closed) return;
  c.closed = true;
  c.deadline = 0;
  c.f.p = [];
  c.link.onData = null;
  c.link.onClose = null;
  c.link.close();
  if (c.onError) c.onError(perr("LINK_CLOSED", why || "closed"));
}

/** Wraps a link: framing with the link's MTU, time from now() (milliseconds). */
export function channelOpen(link: Link, now: () => number, opts?: FramerOptions): Channel {
  var o = opts || {};
  var c: Channel = {
    link: link,
    f: newFramer({ mtu: link.mtu, maxMsg: o.maxMsg, maxPartials: o.maxPartials, timeout: o.timeout }),
    now: now, onMessage: null, onError: null, deadline: 0, closed: false
  };
  link.onData = function (d) {
    if (c.closed) return;
    var m = frameIn(c.f, d, c.now());
    if (m) {
      c.deadline = 0;
      if (c.onMessage) c.onMessage(m.ch, m.msg);
    }
  };
  link.onClose = function (r) {
    channelClose(c, r);
  };
  return c;
}

/** Sends one whole message on channel ch (fragmented to the link's current MTU). */
export function channelSend(c: Channel, ch: number, msg: Bytes): void {
  if (c.closed) throw perr("LINK_CLOSED", "closed");
  c.f.mtu = c.link.mtu;
  var w = frameOut(c.f, ch, msg);
  for (var i = 0; i < w.length; i++) c.link.send(w[i]);
}

/**
 * Call periodically (for example once a second from setInterval): expires partial
 * messages and raises LINK_TIMEOUT once when the deadline has passed.
 */
export function channelTick(c: Channel): void {
  if (c.closed) return;
  var t = c.now();
  frameIn(c.f, null, t);
  if (c.deadline && t > c.deadline) {
    c.deadline = 0;
    if (c.onError) c.onError(perr("LINK_TIMEOUT", "timeout"));
  }
}
