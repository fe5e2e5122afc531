/**
 * TCP for Node: a stream becomes a Link by length-prefixing each write
 * (2 bytes big-endian length 1..mtu, then the bytes). The same wire format as
 * firmware/transport-tcp.ts, so a Node host and the Espruino Linux build talk directly.
 *
 * A length of 0 or above the MTU is a protocol error: the connection is closed (the
 * stream cannot be resynchronised), onClose gets "protocol". Receive buffering is bounded
 * by 2 + mtu bytes.
 */
import * as net from "node:net";
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import type { Link, Transport } from "../../core/link";

export var TCP_DEFAULT_MTU = 1024;
export var TCP_MAX_MTU = 65535;

export interface TcpOptions {
  /** Largest write in bytes (default 1024, at most 65535). Both ends must agree. */
  mtu?: number;
}

export interface TcpTarget {
  host?: string;
  port: number;
}

export interface TcpServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/** Wraps a connected socket. */
export function tcpLink(sock: net.Socket, opts?: TcpOptions): Link {
  var mtu = (opts && opts.mtu) || TCP_DEFAULT_MTU;
  if (!(mtu >= 1 && mtu <= TCP_MAX_MTU)) throw perr("LINK_BAD_OPTION", "TCP MTU must be 1..65535");
  var closed = false;
  var why = "remote";
  var buf = new Uint8Array(2 + mtu);
  var have = 0;
  sock.setNoDelay(true);
  var link: Link = {
    mtu: mtu,
    onData: null,
    onClose: null,
    send: function (data: Bytes): void {
      if (closed) throw perr("LINK_CLOSED", "link is closed");
      if (data.length > link.mtu || data.length < 1) throw perr("LINK_TOO_LARGE", "write must be 1..mtu bytes");
      var w = Buffer.allocUnsafe(2 + data.length);
      w[0] = data.length >> 8;
      w[1] = data.length & 255;
      w.set(data, 2);
      sock.write(w);
    },
    close: function (): void {
      if (closed) return;
      why = "local";
      sock.end();
    }
  };
  sock.on("data", function (chunk: Buffer) {
    var i = 0;
    while (i < chunk.length && !closed) {
      var need = have < 2 ? 2 : 2 + ((buf[0] << 8) | buf[1]);
      var take = Math.min(need - have, chunk.length - i);
      buf.set(chunk.subarray(i, i + take), have);
      have += take;
      i += take;
      if (have === 2) {
        var len = (buf[0] << 8) | buf[1];
        if (len < 1 || len > mtu) {
          why = "protocol";
          sock.destroy();
          return;
        }
      } else if (have > 2 && have === need) {
        var msg = buf.slice(2, have);
        have = 0;
        if (link.onData) link.onData(msg);
      }
    }
  });
  sock.on("error", function () {
    if (why === "remote") why = "error";
  });
  sock.on("close", function () {
    if (closed) return;
    closed = true;
    if (link.onClose) link.onClose(why);
  });
  return link;
}

export function tcpConnect(target: TcpTarget, opts?: TcpOptions): Promise<Link> {
  return new Promise(function (resolve, reject) {
    var sock = net.connect({ host: target.host || "127.0.0.1", port: target.port });
    var fail = function (): void {
      reject(perr("LINK_CONNECT", "TCP connection failed"));
    };
    sock.once("error", fail);
    sock.once("connect", function () {
      sock.removeListener("error", fail);
      resolve(tcpLink(sock, opts));
    });
  });
}

export function tcpListen(port: number, onLink: (link: Link) => void, opts?: TcpOptions & { host?: string }): Promise<TcpServer> {
  return new Promise(function (resolve, reject) {
    var srv = net.createServer(function (sock) {
      onLink(tcpLink(sock, opts));
    });
    srv.once("error", function () {
      reject(perr("LINK_LISTEN", "TCP listen failed"));
    });
    srv.listen(port, (opts && opts.host) || "127.0.0.1", function () {
      var a = srv.address() as net.AddressInfo;
      resolve({
        port: a.port,
        close: function (): Promise<void> {
          return new Promise(function (r) {
            srv.close(function () { r(); });
          });
        }
      });
    });
  });
}

/** A Transport: connect({host, port}) is the client role; listen() serves on opts.port. */
export function tcpTransport(opts?: TcpOptions & { host?: string; port?: number }): Transport & { server: TcpServer | null } {
  var o = opts || {};
  var t = {
    server: null as TcpServer | null,
    connect: function (target?: unknown): Promise<Link> {
      var tt = (target || { host: o.host, port: o.port }) as TcpTarget;
      return tcpConnect(tt, o);
    },
    listen: function (onLink: (link: Link) => void): Promise<void> {
      return tcpListen(o.port || 0, onLink, o).then(function (s) {
        t.server = s;
      });
    },
    close: function (): void {
      if (t.server) t.server.close();
      t.server = null;
    }
  };
  return t;
}
