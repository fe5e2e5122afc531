import { describe, expect, it } from "vitest";
import * as net from "node:net";
import { nodeSymCrypto } from "../helpers/lossy-link";
import { startHub } from "../../src/host/sim/hub";
import { hubRadio, type Radio } from "../../firmware/transport-hub";
import type { EspNet, EspSocket, EspBytes } from "../../firmware/transport-tcp";
import { channelOpen, channelSend, type Channel, type Link } from "../../src/core/link";
import { CH_EDHOC, CH_SESSION } from "../../src/core/frame/frame";
import { sessionNew, sessionOpen, sessionSeal } from "../../src/core/session/session";

var c = nodeSymCrypto();

/** Espruino's `net` and `E` on top of node:net: strings carry bytes (latin1), as on the device. */
var shimE: EspBytes = {
  toString: function (u: Uint8Array) { return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("latin1"); },
  toUint8Array: function (s: string) { return new Uint8Array(Buffer.from(s, "latin1")); }
};
var writes: string[] = [];
var shimNet: EspNet = {
  connect: function (o, cb) {
    var sock = net.connect({ host: o.host, port: o.port }, cb);
    sock.setNoDelay(true);
    var s: EspSocket = {
      write: function (x: string) { writes.push(x); return sock.write(Buffer.from(x, "latin1")); },
      end: function () { sock.end(); },
      on: function (ev: string, fn: (x?: any) => void) {
        if (ev === "data") sock.on("data", function (b: Buffer) { fn(b.toString("latin1")); });
        else sock.on(ev, fn);
      }
    };
    return s;
  },
  createServer: function () { throw new Error("not used"); }
};

function until(f: () => boolean, ms?: number): Promise<void> {
  var end = Date.now() + (ms || 3000);
  return new Promise(function (res, rej) {
    (function poll() {
      if (f()) res();
      else if (Date.now() > end) rej(new Error("timed out"));
      else setTimeout(poll, 5);
    })();
  });
}

function nextMessage(ch: Channel): Promise<[number, Uint8Array]> {
  return new Promise(function (res) {
    ch.onMessage = function (k, m) { res([k, m]); };
  });
}

function big(n: number, s: number): Uint8Array {
  var b = new Uint8Array(n);
  for (var i = 0; i < n; i++) b[i] = (i * 7 + s) & 255;
  return b;
}

describe("hub radio (firmware/transport-hub.ts) against the simulator hub", function () {
  it("advertises, dials by name, carries framed messages and session records in 20-byte writes, closes both ends", async function () {
    var hub = await startHub({ advertMs: 20 });
    try {
      var a: Radio = hubRadio(shimNet, shimE, "127.0.0.1", hub.port, "lamp-a", 20);
      var b: Radio = hubRadio(shimNet, shimE, "127.0.0.1", hub.port, "lamp-b", 20);
      var incoming: [Link, string][] = [];
      var adverts: [string, Uint8Array][] = [];
      b.user = {
        accept: function (l: Link, from: string) { incoming.push([l, from]); },
        onAdvert: function (from: string, adv: Uint8Array) { adverts.push([from, adv]); },
      };
      await until(function () { return hub.members().indexOf("lamp-a") >= 0 && hub.members().indexOf("lamp-b") >= 0; });
      a.advertise(new Uint8Array([0x70, 0x6b, 1, 1, 0xfe, 0]));
      await until(function () { return adverts.length > 0; });
      expect(adverts[0][0]).toBe("lamp-a");
      expect(Array.from(adverts[0][1])).toEqual([0x70, 0x6b, 1, 1, 0xfe, 0]);
      a.advertise(null);

      await expect(a.connect("nobody")).rejects.toMatchObject({ code: "LINK_NO_PEER" });
      var la = await a.connect("lamp-b");
      await until(function () { return incoming.length === 1; });
      expect(incoming[0][1]).toBe("lamp-a");
      var lb = incoming[0][0];
      expect(la.mtu).toBe(20);
      expect(function () { la.send(new Uint8Array(21)); }).toThrow();

      var ca = channelOpen(la, Date.now);
      var cb = channelOpen(lb, Date.now);
      writes = [];
      var p1 = nextMessage(cb);
      channelSend(ca, CH_EDHOC, big(600, 1));
      var m1 = await p1;
      expect(m1[0]).toBe(CH_EDHOC);
      expect(m1[1]).toEqual(big(600, 1));
      // Each DATA frame: 2 length bytes, type, 2 link id bytes, at most 20 bytes of the write.
      expect(writes.length).toBe(Math.ceil(600 / 18));
      for (var w of writes) expect(w.length).toBeLessThanOrEqual(5 + 20);
      var prk = new Uint8Array(32).fill(5);
      var si = sessionNew(c, prk, true);
      var sr = sessionNew(c, prk, false);
      for (var i = 0; i < 5; i++) {
        var p2 = nextMessage(cb);
        channelSend(ca, CH_SESSION, sessionSeal(si, big(40 * i + 1, i)));
        expect(sessionOpen(sr, (await p2)[1])).toEqual(big(40 * i + 1, i));
        var p3 = nextMessage(ca);
        channelSend(cb, CH_SESSION, sessionSeal(sr, big(3, i)));
        expect(sessionOpen(si, (await p3)[1])).toEqual(big(3, i));
      }

      // A close on one end reaches the other as LINK_CLOSED; sends afterwards throw.
      var e1 = new Promise<string>(function (r) { cb.onError = function (e) { r(e.code); }; });
      la.close();
      expect(await e1).toBe("LINK_CLOSED");
      expect(function () { la.send(new Uint8Array(1)); }).toThrow();

      // A second link; then the hub goes away: every link closes with "hub".
      var l2 = await a.connect("lamp-b");
      var why = new Promise<string>(function (r) { l2.onClose = r; });
      await hub.close();
      expect(await why).toBe("hub");
    } finally {
      await hub.close();
    }
  });
});
