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

interface EspTcpLink extends Link {
  s: EspSocket;
  E: EspBytes;
  /** Unparsed input; closed; the reason onClose will get. */
  b: string;
  x: boolean;
  why: string;
}

/** Link.send (a method of an EspTcpLink). */
function espTcpSend(this: EspTcpLink, d: Bytes): void {
  if (this.x) throw perr("LINK_CLOSED", "closed");
  if (d.length < 1 || d.length > this.mtu) throw perr("LINK_TOO_LARGE", "bad size");
  this.s.write(String.fromCharCode(d.length >> 8, d.length & 255) + this.E.toString(d));
}

/** Link.close (a method of an EspTcpLink). */
function espTcpClose(this: EspTcpLink): void {
  if (this.x) return;
  this.why = "local";
  this.s.end();
}

/**
 * Wraps a connected Espruino socket. Input is buffered as a string (the socket delivers
 * strings) and each complete write converted to bytes once.
 */
export function espTcpLink(sock: EspSocket, E: EspBytes, mtu?: number): Link {
  var m = mtu || 1024;
  var l: EspTcpLink = { mtu: m, onData: null, onClose: null, send: espTcpSend, close: espTcpClose, s: sock, E: E, b: "", x: false, why: "remote" };
  sock.on("data", function (s: string) {
    if (l.why === "protocol") return;
    var b = l.b + s;
    while (b.length >= 2 && !l.x) {
      var n = (b.charCodeAt(0) << 8) | b.charCodeAt(1);
      if (n < 1 || n > m) {
        l.why = "protocol";
        l.b = "";
        sock.end();
        return;
      }
      if (b.length < 2 + n) break;
      var d = b.substr(2, n);
      l.b = b = b.substr(2 + n);
      if (l.onData) l.onData(E.toUint8Array(d));
    }
    l.b = b;
  });
  sock.on("error", function () {
    if (l.why === "remote") l.why = "error";
  });
  sock.on("close", function () {
    if (l.x) return;
    l.x = true;
    if (l.onClose) l.onClose(l.why);
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
