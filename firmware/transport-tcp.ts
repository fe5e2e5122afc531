/**
 * TCP transport for the Espruino Linux build (and boards with `require("net")`): each
 * write is sent as a 2-byte big-endian length (1..mtu) and the bytes, the same wire
 * format as src/host/transport/tcp.ts.
 *
 * Espruino sockets carry strings: `net` and the conversion helpers (Espruino's `E`, which
 * has native toString/toUint8Array) are passed in, so nothing here touches a global.
 *
 * Device code: Espruino subset.
 */
import type { Bytes } from "../src/core/bytes";
import { perr } from "../src/core/errors";
import type { Link, Transport } from "../src/core/link";

/** The parts of an Espruino `net.Socket` used here (documented in libs/network/jswrap_net.c). */
export interface EspSocket {
  write(data: string): unknown;
  end(): void;
  on(event: string, fn: (x?: any) => void): void;
}

export interface EspNet {
  connect(opts: { host: string; port: number }, cb: () => void): EspSocket;
  createServer(cb: (sock: EspSocket) => void): { listen(port: number): unknown; close(): void };
}

/** Espruino's `E` (or anything with the same two conversions). */
export interface EspBytes {
  toString(data: Uint8Array): string;
  toUint8Array(s: string): Uint8Array;
}

export interface EspTcpOptions {
  host?: string;
  port?: number;
  /** Largest write (default 1024). Both ends must agree. */
  mtu?: number;
}

/** Wraps a connected Espruino socket. */
export function espTcpLink(sock: EspSocket, E: EspBytes, mtu?: number): Link {
  var m = mtu || 1024;
  var buf = new Uint8Array(2 + m);
  var have = 0;
  var closed = false;
  var why = "remote";
  var l: Link = {
    mtu: m,
    onData: null,
    onClose: null,
    send: function (d: Bytes) {
      if (closed) throw perr("LINK_CLOSED", "link is closed");
      if (d.length < 1 || d.length > l.mtu) throw perr("LINK_TOO_LARGE", "write must be 1..mtu bytes");
      var w = new Uint8Array(2 + d.length);
      w[0] = d.length >> 8;
      w[1] = d.length & 255;
      w.set(d, 2);
      sock.write(E.toString(w));
    },
    close: function () {
      if (closed) return;
      why = "local";
      sock.end();
    }
  };
  sock.on("data", function (s: string) {
    var c = E.toUint8Array(s);
    var i = 0;
    while (i < c.length && !closed) {
      var need = have < 2 ? 2 : 2 + ((buf[0] << 8) | buf[1]);
      var take = need - have < c.length - i ? need - have : c.length - i;
      buf.set(c.subarray(i, i + take), have);
      have += take;
      i += take;
      if (have === 2) {
        var n = (buf[0] << 8) | buf[1];
        if (n < 1 || n > m) {
          why = "protocol";
          sock.end();
          return;
        }
      } else if (have > 2 && have === need) {
        var msg = new Uint8Array(buf.subarray(2, have)); // not .slice: a plain Array on Espruino
        have = 0;
        if (l.onData) l.onData(msg);
      }
    }
  });
  sock.on("error", function () {
    if (why === "remote") why = "error";
  });
  sock.on("close", function () {
    if (closed) return;
    closed = true;
    if (l.onClose) l.onClose(why);
  });
  return l;
}

/**
 * A Transport over Espruino's `net`: connect({host, port}) (or opts.host/opts.port) is the
 * client role, listen() serves on opts.port.
 */
export function espTcpTransport(net: EspNet, E: EspBytes, opts?: EspTcpOptions): Transport {
  var o = opts || {};
  var srv: { close(): void } | null = null;
  return {
    connect: function (target?: unknown) {
      var t = (target || o) as EspTcpOptions;
      return new Promise(function (resolve, reject) {
        var ok = false;
        var sock = net.connect({ host: t.host || "127.0.0.1", port: t.port || 0 }, function () {
          ok = true;
          resolve(espTcpLink(sock, E, o.mtu));
        });
        sock.on("error", function () {
          if (!ok) reject(perr("LINK_CONNECT", "TCP connection failed"));
        });
      });
    },
    listen: function (onLink: (link: Link) => void) {
      var sv = net.createServer(function (sock: EspSocket) {
        onLink(espTcpLink(sock, E, o.mtu));
      });
      sv.listen(o.port || 0);
      srv = sv;
    },
    close: function () {
      if (srv) srv.close();
      srv = null;
    }
  };
}
