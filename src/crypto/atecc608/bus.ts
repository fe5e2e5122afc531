/**
 * Buses for the ATECC608 driver on a device (Espruino subset).
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
 *   appends its bytes), 1 (NACK), 2 (bad request). One request at a time.
 */
import { perr } from "../../core/errors";
import type { SeBus } from "./driver";

/** The part of an Espruino I2C object the bus uses (addresses are 7-bit: the ATECC608's default 0xC0 is 0x60). */
export interface I2cLike {
  writeTo(addr: number, data: Uint8Array | number): void;
  readFrom(addr: number, n: number): Uint8Array;
}

export function i2cBus(i2c: I2cLike, addr: number, wake?: () => void): SeBus {
  return {
    wake: function () {
      try {
        if (wake) wake();
        else i2c.writeTo(0, 1);
      } catch (e) {
        // Address 0 is not acknowledged by the chip.
      }
      return Promise.resolve();
    },
    write: function (b) {
      try {
        i2c.writeTo(addr, b);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(perr("SE_NACK", "secure element did not acknowledge"));
      }
    },
    read: function (n) {
      try {
        var r = i2c.readFrom(addr, n);
        // A released bus reads as 0xFF; no response starts with a count of 0xFF.
        return Promise.resolve(r && r.length === n && r[0] !== 0xff ? r : null);
      } catch (e) {
        return Promise.resolve(null);
      }
    },
  };
}

/** The part of Espruino's (and Node's) net module the TCP bus uses. */
export interface NetLike {
  connect(opts: { host: string; port: number }, cb: () => void): SocketLike;
}
export interface SocketLike {
  write(data: string, encoding?: string): unknown;
  on(event: string, fn: (d: any) => void): unknown;
  end(): unknown;
}

export interface TcpBus extends SeBus {
  close(): void;
}

/**
 * A bus over TCP to the simulator bridge. Data arrives as strings on Espruino and as
 * Buffers on Node; both are handled. Writes are binary strings ("binary" makes Node send
 * them byte for byte; Espruino ignores the argument).
 */
export function tcpBus(net: NetLike, host: string, port: number): TcpBus {
  var sock: SocketLike | null = null;
  var rx = "";
  var waiter: ((f: string | null) => void) | null = null;
  var chain: Promise<unknown> = Promise.resolve();

  function request(frame: string): Promise<string> {
    var p = chain.then(function () {
      return new Promise<string>(function (res, rej) {
        if (!sock) {
          try {
            sock = net.connect({ host: host, port: port }, function () {});
          } catch (e) {
            sock = null;
            rej(perr("SE_BUS", "cannot reach the secure-element bridge"));
            return;
          }
          sock.on("data", function (d) {
            rx += typeof d === "string" ? d : String.fromCharCode.apply(null, d);
            while (rx.length >= 2) {
              var n = rx.charCodeAt(0) * 256 + rx.charCodeAt(1);
              if (rx.length < n + 2) break;
              var f = rx.substr(2, n);
              rx = rx.substr(n + 2);
              var w = waiter;
              waiter = null;
              if (w) w(f);
            }
          });
          var gone = function () {
            sock = null;
            rx = "";
            var w = waiter;
            waiter = null;
            if (w) w(null);
          };
          sock.on("close", gone);
          sock.on("error", gone);
        }
        waiter = function (f) {
          if (f === null || f.length < 1) rej(perr("SE_BUS", "secure-element bridge closed"));
          else res(f);
        };
        sock.write(String.fromCharCode(frame.length >> 8, frame.length & 255) + frame, "binary");
      });
    });
    chain = p.then(null, function () {});
    return p;
  }

  return {
    wake: function () {
      return request("K").then(function () {});
    },
    write: function (b) {
      return request("W" + String.fromCharCode.apply(null, b as unknown as number[])).then(function (f) {
        if (f.charCodeAt(0) !== 0) throw perr("SE_NACK", "secure element did not acknowledge");
      });
    },
    read: function (n) {
      return request("R" + String.fromCharCode(n)).then(function (f) {
        if (f.charCodeAt(0) !== 0) return null;
        var r = new Uint8Array(f.length - 1);
        for (var i = 0; i < r.length; i++) r[i] = f.charCodeAt(i + 1);
        return r;
      });
    },
    close: function () {
      if (sock) sock.end();
      sock = null;
    },
  };
}
