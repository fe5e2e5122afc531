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
import type { PairkitError } from "./errors";
import type { Framer } from "./frame/frame";

export interface Link {
  /** Largest write in bytes. May grow while the link is up (after a BLE MTU exchange). */
  mtu: number;
  /**
   * Queues one write of at most mtu bytes. A write arrives whole and writes arrive in order
   * (or, on a faulty link, not at all). Throws LINK_CLOSED after the link closed and
   * LINK_TOO_LARGE for a write above mtu. The link may keep `data` until it is written.
   */
  send(data: Bytes): void;
  /**
   * Set by the user of the link: called with each received write. The link calls it (and
   * onClose) as a method, `link.onData(d)`: a channel's handler finds its channel through
   * `this` (one shared function instead of closures per channel).
   */
  onData: ((data: Bytes) => void) | null;
  /** Set by the user of the link: called once when the link closes, locally or remotely. */
  onClose: ((reason: string) => void) | null;
  /** Closes the link; onClose follows. Idempotent. */
  close(): void;
  /** Reserved: the channel bound to this link (set by channelOpen). */
  pkch?: Channel | null;
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

/** A framer bound to a link: one object holds the framing state and the channel's. */
export interface Channel extends Framer {
  link: Link;
  now: () => number;
  /** Set by the user: a whole message arrived on channel ch (CH_EDHOC, CH_SESSION, ...). */
  onMessage: ((ch: number, msg: Bytes) => void) | null;
  /** Set by the user: LINK_TIMEOUT (deadline passed) or LINK_CLOSED (the link went away). */
  onError: ((e: PairkitError) => void) | null;
  /** Time (clock of now()) by which the next message must arrive; 0 = none. Cleared by each message. */
  deadline: number;
  closed: boolean;
}

/**
 * The channel functions live with the framing (a channel is a framer bound to a link):
 * channelOpen(link, now, opts), channelClose(c, why), channelTick(c, d?), which is frameIn:
 * on a channel it takes its time from now() and delivers to onMessage, and
 * channelSend(c, ch, msg), which is frameOut: on a channel it sends each write at once
 * (LINK_CLOSED after the channel closed).
 */
export { channelOpen, channelClose, channelTick, frameOut as channelSend } from "./frame/frame";
