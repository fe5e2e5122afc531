/**
 * Radio for the Espruino Linux build: one TCP connection to the pairkit hub
 * (src/host/sim/hub.ts), which repeats advertisements and carries links between devices.
 * The frame format is documented there: length (2 bytes) | type (1) | body.
 *
 * Device code: Espruino subset. `net` and `E` are passed in. The socket carries strings:
 * frames are built and parsed as strings (a 20-character string is one interpreter
 * variable, a 20-byte Uint8Array three), and received link data is converted to bytes
 * once. Links are plain objects whose methods are shared functions (no closures per link).
 */
import { perr } from "../src/core/errors";
import type { Bytes } from "../src/core/bytes";
import type { Link } from "../src/core/link";
import type { EspBytes, EspNet, EspSocket } from "./transport-tcp";

export interface Radio {
  advertise(adv: Bytes | null): void;
  connect(to: string): Promise<Link>;
  /**
   * Set by the user (the pairing lifecycle itself: no wrapper functions resident on the
   * device): receives other devices' advertisements and the links they open to us.
   */
  user: RadioUser | null;
}

/** What a radio delivers, called as methods of the user. */
export interface RadioUser {
  onAdvert(from: string, adv: Bytes): void;
  accept(link: Link, from: string): void;
}

/** The radio is its own state: socket, E, link MTU, unparsed input, links and pending dials, request counter. */
interface HubRadio extends Radio {
  s: EspSocket;
  E: EspBytes;
  mtu: number;
  b: string;
  /** Links by id (0..65535) and pending connect() callbacks by 65536 + request number. */
  l: { [id: number]: any };
  n: number;
}

interface HubLink extends Link {
  h: HubRadio;
  /** The link id (0..65535) and the same as 2 characters (big-endian), as frames carry it. */
  i: number;
  w: string;
  /** why: "remote" (the peer closed) or "hub" (the hub went away); none: closed here. */
  close(why?: string): void;
}

/** Writes one frame; body is a string of bytes (char codes 0..255). */
function hubSend(h: HubRadio, type: number, body: string): void {
  var n = body.length + 1;
  h.s.write(String.fromCharCode(n >> 8, n & 255, type) + body);
}

/** Link.send (a method of a HubLink). */
function hubWrite(this: HubLink, d: Bytes): void {
  var h = this.h;
  if (h.l[this.i] !== this) throw perr("LINK_CLOSED", "closed");
  if (d.length < 1 || d.length > this.mtu) throw perr("LINK_TOO_LARGE", "bad size");
  hubSend(h, 7, this.w + h.E.toString(d));
}

/** Link.close (a method of a HubLink). */
function hubClose(this: HubLink, why?: string): void {
  var h = this.h;
  if (h.l[this.i] !== this) return;
  delete h.l[this.i];
  if (!why) hubSend(h, 8, this.w);
  if (this.onClose) this.onClose(why || "local");
}

/** A link by its id as carried in a frame (2 characters). */
function hubLink(h: HubRadio, w: string): HubLink {
  var id = (w.charCodeAt(0) << 8) | w.charCodeAt(1);
  return (h.l[id] = { mtu: h.mtu, onData: null, onClose: null, send: hubWrite, close: hubClose, h: h, i: id, w: w });
}

/** Connects to the hub as `name`. Writes on links are at most `mtu` bytes (20 mirrors BLE). */
export function hubRadio(net: EspNet, E: EspBytes, host: string, port: number, name: string, mtu: number): Radio {
  var h: HubRadio = {
    user: null,
    advertise: function (adv: Bytes | null) {
      hubSend(h, 2, adv ? E.toString(adv) : "");
    },
    connect: function (to: string): Promise<Link> {
      return new Promise(function (resolve, reject) {
        var req = (h.n = (h.n + 1) & 255);
        h.l[65536 + req] = function (l: Link | null) {
          if (l) resolve(l);
          else reject(perr("LINK_NO_PEER", "no peer"));
        };
        hubSend(h, 3, String.fromCharCode(req) + to);
      });
    },
    s: net.connect({ host: host, port: port }, function () {
      hubSend(h, 1, name);
    }),
    E: E, mtu: mtu, b: "", l: {}, n: 0
  };
  h.s.on("data", function (d: string) {
    var b = h.b + d;
    while (b.length > 1) {
      var n = (b.charCodeAt(0) << 8) | b.charCodeAt(1);
      if (b.length < 2 + n) break;
      var t = b.charCodeAt(2);
      var m = b.substring(3, 2 + n);
      // Consumed before any callback runs (a callback that throws does not replay it).
      h.b = b = b.substring(2 + n);
      var k = m.charCodeAt(0);
      var l = h.l[(k << 8) | m.charCodeAt(1)];
      if (t === 2) {
        // ADV: name length, name, payload.
        if (h.user && m.length > 1 + k) h.user.onAdvert(m.substr(1, k), E.toUint8Array(m.substr(1 + k)));
      } else if (t === 4 || t === 5) {
        // OPEN_OK: request, link id; OPEN_FAIL: request.
        var cb = h.l[65536 + k];
        delete h.l[65536 + k];
        if (cb) cb(t === 4 && m.length > 2 ? hubLink(h, m.substr(1, 2)) : null);
      } else if (t === 6 && m.length > 2) {
        // INCOMING: link id, the dialling device's name.
        l = hubLink(h, m.substr(0, 2));
        if (h.user) h.user.accept(l, m.substr(2));
        else l.close();
      } else if (l) {
        // DATA: link id, bytes; CLOSE: link id.
        if (t === 7) {
          if (l.onData) l.onData(E.toUint8Array(m.substr(2)));
        } else if (t === 8) l.close("remote");
      }
    }
    h.b = b;
  });
  h.s.on("close", function () {
    // Every link closes; pending dials fail.
    var ks = Object.keys(h.l);
    for (var j = 0; j < ks.length; j++) {
      var x = h.l[ks[j] as unknown as number];
      if (x.h) x.close("hub");
      else x(null);
    }
  });
  return h;
}
