/**
 * Radio for the Espruino Linux build: one TCP connection to the pairkit hub
 * (src/host/sim/hub.ts), which repeats advertisements and carries links between devices.
 * The frame format is documented there.
 *
 * Device code: Espruino subset. `net` and `E` are passed in.
 */
import { perr } from "../src/core/errors";
import type { Bytes } from "../src/core/bytes";
import type { Link } from "../src/core/link";
import type { EspBytes, EspNet, EspSocket } from "./transport-tcp";

export interface Radio {
  advertise(adv: Bytes | null): void;
  connect(to: string): Promise<Link>;
  /** Set by the user: another device's advertisement. */
  onAdvert: ((from: string, adv: Bytes) => void) | null;
  /** Set by the user: a link another device opened to us. */
  onIncoming: ((link: Link, from: string) => void) | null;
}

interface HubState {
  s: EspSocket;
  E: EspBytes;
  mtu: number;
  buf: Bytes;
  links: { [id: string]: Link };
  reqs: { [req: string]: (id: number) => void };
  req: number;
  r: Radio;
}

function hubSend(h: HubState, type: number, body: Bytes): void {
  var f = new Uint8Array(3 + body.length);
  f[0] = (body.length + 1) >> 8;
  f[1] = (body.length + 1) & 255;
  f[2] = type;
  f.set(body, 3);
  h.s.write(h.E.toString(f));
}

function ascii(s: string): Bytes {
  var b = new Uint8Array(s.length);
  for (var i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 255;
  return b;
}

function str(b: Bytes): string {
  var s = "";
  for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** A link multiplexed on the hub connection. */
function hubLink(h: HubState, id: number): Link {
  var key = "" + id;
  var l: Link = {
    mtu: h.mtu,
    onData: null,
    onClose: null,
    send: function (d: Bytes) {
      if (!h.links[key]) throw perr("LINK_CLOSED", "link is closed");
      if (d.length < 1 || d.length > l.mtu) throw perr("LINK_TOO_LARGE", "write must be 1..mtu bytes");
      var b = new Uint8Array(2 + d.length);
      b[0] = id >> 8;
      b[1] = id & 255;
      b.set(d, 2);
      hubSend(h, 7, b);
    },
    close: function () {
      if (!h.links[key]) return;
      delete h.links[key];
      hubSend(h, 8, new Uint8Array([id >> 8, id & 255]));
      if (l.onClose) l.onClose("local");
    },
  };
  h.links[key] = l;
  return l;
}

function onFrame(h: HubState, t: number, b: Bytes): void {
  var id = (b[0] << 8) | b[1];
  var l = h.links["" + id];
  if (t === 2 && b.length > 1 && b.length > 1 + b[0]) {
    if (h.r.onAdvert) h.r.onAdvert(str(b.subarray(1, 1 + b[0])), new Uint8Array(b.subarray(1 + b[0])));
  } else if (t === 4 || t === 5) {
    var cb = h.reqs["" + b[0]];
    delete h.reqs["" + b[0]];
    if (cb) cb(t === 4 && b.length >= 3 ? (b[1] << 8) | b[2] : -1);
  } else if (t === 6 && b.length > 2) {
    var nl = hubLink(h, id);
    if (h.r.onIncoming) h.r.onIncoming(nl, str(b.subarray(2)));
    else nl.close();
  } else if (t === 7 && l) {
    if (l.onData) l.onData(new Uint8Array(b.subarray(2)));
  } else if (t === 8 && l) {
    delete h.links["" + id];
    if (l.onClose) l.onClose("remote");
  }
}

/** Connects to the hub as `name`. Writes on links are at most `mtu` bytes (20 mirrors BLE). */
export function hubRadio(net: EspNet, E: EspBytes, host: string, port: number, name: string, mtu: number): Radio {
  var h: HubState = { s: null as unknown as EspSocket, E: E, mtu: mtu, buf: new Uint8Array(0), links: {}, reqs: {}, req: 0, r: null as unknown as Radio };
  h.r = {
    onAdvert: null,
    onIncoming: null,
    advertise: function (adv: Bytes | null) {
      hubSend(h, 2, adv || new Uint8Array(0));
    },
    connect: function (to: string): Promise<Link> {
      return new Promise(function (resolve, reject) {
        var req = (h.req = (h.req + 1) & 255);
        h.reqs["" + req] = function (id: number) {
          if (id < 0) reject(perr("LINK_NO_PEER", "peer not reachable"));
          else resolve(hubLink(h, id));
        };
        var to8 = ascii(to);
        var body = new Uint8Array(1 + to8.length);
        body[0] = req;
        body.set(to8, 1);
        hubSend(h, 3, body);
      });
    },
  };
  h.s = net.connect({ host: host, port: port }, function () {
    hubSend(h, 1, ascii(name));
  });
  h.s.on("data", function (d: string) {
    var inb = E.toUint8Array(d);
    var nb = new Uint8Array(h.buf.length + inb.length);
    nb.set(h.buf, 0);
    nb.set(inb, h.buf.length);
    h.buf = nb;
    while (h.buf.length >= 2) {
      var n = (h.buf[0] << 8) | h.buf[1];
      if (h.buf.length < 2 + n) break;
      var t = h.buf[2];
      var body = new Uint8Array(h.buf.subarray(3, 2 + n));
      h.buf = new Uint8Array(h.buf.subarray(2 + n));
      onFrame(h, t, body);
    }
  });
  h.s.on("close", function () {
    for (var k in h.links) {
      var l = h.links[k];
      delete h.links[k];
      if (l.onClose) l.onClose("hub");
    }
  });
  return h.r;
}
