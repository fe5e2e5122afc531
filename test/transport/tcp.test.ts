import { describe, expect, it } from "vitest";
import * as net from "node:net";
import { nodeSymCrypto } from "../helpers/lossy-link";
import { tcpListen, tcpConnect, tcpTransport } from "../../src/host/transport/tcp";
import { espTcpTransport, type EspNet, type EspSocket, type EspBytes } from "../../firmware/transport-tcp";
import { channelOpen, channelSend, type Channel, type Link } from "../../src/core/link";
import { CH_EDHOC, CH_SESSION } from "../../src/core/frame/frame";
import { sessionNew, sessionOpen, sessionSeal } from "../../src/core/session/session";

var c = nodeSymCrypto();
var PRK = new Uint8Array(32).fill(9);

function nextMessage(ch: Channel): Promise<[number, Uint8Array]> {
  return new Promise(function (res) {
    ch.onMessage = function (k, m) { res([k, m]); };
  });
}

function big(n: number, s: number): Uint8Array {
  var b = new Uint8Array(n);
  for (var i = 0; i < n; i++) b[i] = (i * 5 + s) & 255;
  return b;
}

/** Espruino's `net` and `E` on top of node:net: strings carry bytes (latin1), as on the device. */
var shimE: EspBytes = {
  toString: function (u: Uint8Array) { return Buffer.from(u).toString("latin1"); },
  toUint8Array: function (s: string) { return new Uint8Array(Buffer.from(s, "latin1")); }
};
function shimSocket(sock: net.Socket): EspSocket {
  sock.setNoDelay(true);
  return {
    write: function (s: string) { return sock.write(Buffer.from(s, "latin1")); },
    end: function () { sock.end(); },
    on: function (ev: string, fn: (x?: any) => void) {
      if (ev === "data") sock.on("data", function (b: Buffer) { fn(b.toString("latin1")); });
      else sock.on(ev, fn);
    }
  };
}
var shimNet: EspNet = {
  connect: function (o, cb) {
    return shimSocket(net.connect({ host: o.host, port: o.port }, cb));
  },
  createServer: function (cb) {
    var s = net.createServer(function (sock) { cb(shimSocket(sock)); });
    return { listen: function (p: number) { return s.listen(p, "127.0.0.1"); }, close: function () { s.close(); } };
  }
};

async function exchange(client: Link, server: Link): Promise<void> {
  var cc = channelOpen(client, Date.now);
  var sc = channelOpen(server, Date.now);
  var sa = sessionNew(c, PRK, true);
  var sb = sessionNew(c, PRK, false);
  // An EDHOC-sized message, then session records both ways.
  var p1 = nextMessage(sc);
  channelSend(cc, CH_EDHOC, big(600, 1));
  var m1 = await p1;
  expect(m1[0]).toBe(CH_EDHOC);
  expect(m1[1]).toEqual(big(600, 1));
  for (var i = 0; i < 20; i++) {
    var p2 = nextMessage(sc);
    channelSend(cc, CH_SESSION, sessionSeal(sa, big(10 + i * 40, i)));
    var m2 = await p2;
    var pt = sessionOpen(sb, m2[1])!;
    expect(pt).toEqual(big(10 + i * 40, i));
    var p3 = nextMessage(cc);
    channelSend(sc, CH_SESSION, sessionSeal(sb, pt));
    expect(sessionOpen(sa, (await p3)[1])).toEqual(pt);
  }
  var closed = new Promise<string>(function (res) { sc.onError = function (e) { res(e.code); }; });
  client.close();
  expect(await closed).toBe("LINK_CLOSED");
}

describe("TCP transports", function () {
  it("Node: length-prefixed link over 127.0.0.1 carries framed messages and session records", async function () {
    var links: Link[] = [];
    var srv = await tcpListen(0, function (l) { links.push(l); }, { mtu: 128 });
    var cl = await tcpConnect({ port: srv.port }, { mtu: 128 });
    while (links.length === 0) await new Promise(function (r) { setTimeout(r, 2); });
    await exchange(cl, links[0]);
    await srv.close();
  });

  it("Node: a bad length prefix closes the connection as a protocol error; writes above the MTU are refused", async function () {
    var links: Link[] = [];
    var srv = await tcpListen(0, function (l) { links.push(l); }, { mtu: 64 });
    var raw = net.connect({ port: srv.port, host: "127.0.0.1" });
    await new Promise(function (r) { raw.once("connect", r); });
    while (links.length === 0) await new Promise(function (r) { setTimeout(r, 2); });
    var why = new Promise<string>(function (res) { links[0].onClose = res; });
    var got: Uint8Array[] = [];
    links[0].onData = function (d) { got.push(d); };
    raw.write(Buffer.from([0, 3, 1, 2]));
    raw.write(Buffer.from([3, 0, 0x41])); // then a length of 65 > mtu 64
    expect(await why).toBe("protocol");
    expect(got).toEqual([new Uint8Array([1, 2, 3])]);
    expect(function () { links[0].send(new Uint8Array(3)); }).toThrow(/closed/);
    var cl = await tcpConnect({ port: srv.port }, { mtu: 64 });
    expect(function () { cl.send(new Uint8Array(65)); }).toThrow();
    cl.close();
    raw.destroy();
    await srv.close();
    await expect(tcpConnect({ port: srv.port })).rejects.toMatchObject({ code: "LINK_CONNECT" });
  });

  it("firmware/transport-tcp.ts (Espruino net API, here on a node:net shim) interoperates with the Node transport", async function () {
    // Device as client, host as server.
    var hostLinks: Link[] = [];
    var host = tcpTransport({ port: 0, mtu: 200 });
    await host.listen!(function (l) { hostLinks.push(l); });
    var dev = espTcpTransport(shimNet, shimE, { mtu: 200 });
    var dl = await dev.connect({ host: "127.0.0.1", port: host.server!.port });
    while (hostLinks.length === 0) await new Promise(function (r) { setTimeout(r, 2); });
    await exchange(dl, hostLinks[0]);
    host.close();
    // Device as server, host as client.
    var devLinks: Link[] = [];
    var port = 20000 + Math.floor(Math.random() * 20000);
    var dev2 = espTcpTransport(shimNet, shimE, { port: port, mtu: 200 });
    dev2.listen!(function (l) { devLinks.push(l); });
    await new Promise(function (r) { setTimeout(r, 20); });
    var hl = await tcpConnect({ port: port }, { mtu: 200 });
    while (devLinks.length === 0) await new Promise(function (r) { setTimeout(r, 2); });
    await exchange(hl, devLinks[0]);
    dev2.close();
  });
});
