/**
 * Buses for the ATECC608 driver on a device (Espruino subset), in the driver's callback
 * form (SeIoBus: one call per transfer, no promise).
 *
 * - i2cBus: an Espruino I2C object. The wake condition is SDA held low for more than
 *   60 us: like cryptoauthlib's calib_wakeup_i2c (lib/calib/calib_basic.c), which drops
 *   the bus to 100 kHz and writes to device address 0 with the byte 0x01 (a general call
 *   whose second byte no device takes for a command), an Espruino board calls
 *   writeTo(0, 1): the eight zero bits of the address byte hold SDA low for 80 us at
 *   100 kHz, Espruino's default I2C bitrate. The ATECC608 does not acknowledge, so
 *   Espruino throws; that is expected and ignored. Boards that run I2C faster pass `wake`
 *   (for example a digitalPulse on the SDA pin followed by I2C.setup again).
 * - tcpBus: the Espruino Linux build's require("net") socket to the simulator's TCP bridge
 *   (src/host/atecc608/bridge.ts). Frames, both directions: 2-byte big-endian length of the
 *   rest, then the rest. Requests: "K" wake; "W" + bytes (an I2C write, word address
 *   first); "R" + n (an I2C read of n bytes, 1..255). Replies: status byte 0 (ACK; a read
 *   appends its bytes), 1 (NACK), 2 (bad request). One request at a time (the driver never
 *   has two in flight).
 *
 * Each bus is a state object whose `io` is a shared top-level function using `this` (the
 * driver calls it as a method). The TCP bus's close() is host only (a device keeps its
 * socket for ever).
 */
import { perr } from "../../core/errors";
import { DEVICE } from "../../core/target";
import type { SeIoBus } from "./driver";

/** The part of an Espruino I2C object the bus uses (addresses are 7-bit: the ATECC608's default 0xC0 is 0x60). */
export interface I2cLike {
  writeTo(addr: number, data: Uint8Array | number): void;
  readFrom(addr: number, n: number): Uint8Array;
}

interface I2cBus extends SeIoBus {
  i: I2cLike;
  a: number;
  w: (() => void) | undefined;
}

export function i2cBus(i2c: I2cLike, addr: number, wake?: () => void): SeIoBus {
  return { io: i2cIo, i: i2c, a: addr, w: wake } as I2cBus;
}

function i2cIo(this: I2cBus, k: number, a: any, cb: (e: any, r?: Uint8Array | null) => void): void {
  var t = this;
  var e = null;
  var r: Uint8Array | null = null;
  try {
    if (k === 2) {
      r = t.i.readFrom(t.a, a);
      // A released bus reads as 0xFF; no response starts with a count of 0xFF.
      if (!r || r.length !== a || r[0] === 0xff) r = null;
    } else if (k === 1) t.i.writeTo(t.a, a);
    else if (t.w) t.w();
    else t.i.writeTo(0, 1);
  } catch (x) {
    // Not acknowledged: a write fails; a read gives null; the wake (address 0) always throws.
    if (k === 1) e = perr("SE_NACK", "secure element did not acknowledge");
  }
  cb(e, r);
}

/** The part of Espruino's (and Node's) net module the TCP bus uses. */
export interface NetLike {
  connect(opts: { host: string; port: number }, cb?: () => void): SocketLike;
}
export interface SocketLike {
  write(data: string, encoding?: string): unknown;
  on(event: string, fn: (d: any) => void): unknown;
  end(): unknown;
}

export interface TcpBus extends SeIoBus {
  /** Host only (devices keep their socket for ever). */
  close(): void;
}

interface TcpState extends TcpBus {
  /** net, host, port, socket, received bytes, waiting callback and its request kind */
  n: NetLike;
  h: string;
  p: number;
  s?: SocketLike | null;
  x: string;
  c?: ((e: any, r?: Uint8Array | null) => void) | null;
  k?: number;
}

/**
 * A bus over TCP to the simulator bridge. Data arrives as strings on Espruino and as
 * Buffers on Node; both are handled. Writes are binary strings ("binary" makes Node send
 * them byte for byte; Espruino ignores the argument; a Uint8Array would be written as
 * "1,2,3"). `net.connect` to a closed port throws synchronously on Espruino: SE_BUS.
 */
export function tcpBus(net: NetLike, host: string, port: number): TcpBus {
  // s, c and k are set when first needed (every property is a variable).
  var b = { io: tcpIo, n: net, h: host, p: port, x: "" } as unknown as TcpState;
  if (!DEVICE) {
    b.close = function () {
      if (b.s) b.s.end();
      b.s = null;
    };
  }
  return b;
}

/**
 * io(k, a, cb) for k 0..2; the socket's events come back here too, bound to the bus: k 3
 * data a arrived, k 4 the socket closed or failed.
 */
function tcpIo(this: TcpState, k: number, a: any, cb?: (e: any, r?: Uint8Array | null) => void): void {
  var t = this;
  var s = t.s;
  var f: any;
  var r: Uint8Array | null = null;
  if (k < 3) {
    if (!s) {
      try {
        s = t.s = t.n.connect({ host: t.h, port: t.p });
      } catch (x) {
        return (cb as any)(perr("SE_BUS", "cannot reach the secure-element bridge"));
      }
      s.on("data", tcpIo.bind(t, 3));
      s.on("close", (f = tcpIo.bind(t, 4)));
      s.on("error", f);
    }
    f = k ? (k < 2 ? "W" + String.fromCharCode.apply(null, a.length ? a : [a]) : "R" + String.fromCharCode(a)) : "K";
    t.c = cb as any;
    t.k = k;
    s.write(String.fromCharCode(f.length >> 8, f.length & 255) + f, "binary");
    return;
  }
  // The reply to the one request in flight, once whole (n is NaN while its length is missing).
  if (k > 3) t.s = null;
  else {
    t.x += typeof a === "string" ? a : String.fromCharCode.apply(null, a);
    f = t.x.charCodeAt(0) * 256 + t.x.charCodeAt(1);
    if (!(t.x.length >= f + 2)) return;
    f = t.x.substr(2, f);
  }
  t.x = "";
  a = t.c;
  t.c = null;
  if (!a) return;
  if (!f) return a(perr("SE_BUS", "secure-element bridge closed"));
  // Status 0 ACK (a read's bytes follow; the driver ignores them for a wake or a write),
  // 1 NACK (a write fails, a read gives null), 2 bad request.
  if (!f.charCodeAt(0)) for (r = new Uint8Array(f.length - 1), k = 0; k < r.length; k++) r[k] = f.charCodeAt(k + 1);
  a(r || (t.k as number) - 1 ? null : perr("SE_NACK", "secure element did not acknowledge"), r);
}
