/**
 * Bluetooth LE transport for Espruino boards (Puck.js, Pixl.js, MDBT42Q, Bangle.js),
 * written against Espruino's documented NRF API (libs/bluetooth/jswrap_bluetooth.c); the
 * `NRF` object is passed in.
 *
 * The pairkit GATT service has two characteristics:
 *   PK_RX  written by the central (write), received by the peripheral in onWrite
 *   PK_TX  notified by the peripheral (notify), received by the central through
 *          characteristicvaluechanged after startNotifications
 * Each GATT write or notification is one Link write (20 bytes before an MTU exchange).
 *
 * Advertising carries manufacturer data [0x70, 0x6b, 1, flags] ("pk", version 1,
 * flags bit 0 = a pairing window is open) under a company id (default 0xFFFF, the id the
 * Bluetooth SIG reserves for tests; a product uses its own). Nothing secret, no identity.
 *
 * Peripheral role: listen() + advertise(); one central at a time (NRF 'connect' and
 * 'disconnect' events). Central role: connect() scans with NRF.findDevices, picks a
 * pairkit device (with an open pairing window when asked, or a given address) and uses
 * BluetoothDevice.gatt.connect.
 *
 * Device code: Espruino subset.
 */
import type { Bytes } from "../src/core/bytes";
import { perr } from "../src/core/errors";
import type { Link, Transport } from "../src/core/link";

export const PK_SERVICE = "d0210001-7685-4697-8814-26eb2e42dcb1";
export const PK_RX = "d0210002-7685-4697-8814-26eb2e42dcb1";
export const PK_TX = "d0210003-7685-4697-8814-26eb2e42dcb1";
export const PK_COMPANY = 0xffff;
/** Characteristic size: the largest notification after an MTU exchange (ATT MTU 247). */
export const PK_MAXLEN = 244;

/** The documented parts of Espruino's NRF object used here. */
export interface EspNRF {
  setServices(data: any, options?: any): void;
  updateServices(data: any): void;
  setAdvertising(data: any, options?: any): void;
  findDevices(cb: (devices: any[]) => void, options?: any): void;
  on(event: string, fn: (x?: any) => void): void;
  disconnect(): void;
}

export interface BleOptions {
  /** Company id of the manufacturer data (default 0xFFFF). */
  company?: number;
  /**
   * Keep Espruino's Nordic UART service: the JavaScript console over the air, open to
   * anyone in range who connects. Default false; true only for development.
   */
  uart?: boolean;
  /** Scan time of connect() in ms (default 2000). */
  scanMs?: number;
}

export interface BleTarget {
  /** Connect to this address (as BluetoothDevice.id reports it). */
  id?: string;
  /** Only devices whose advertising says a pairing window is open. */
  pairing?: boolean;
}

/** State of one BLE role user (a Transport, or the pairing radio): NRF, options, the peripheral's link. */
export interface BleState {
  N: EspNRF;
  /** Company id of the manufacturer data; scan time of connect() in ms; keep the Nordic UART service. */
  c: number;
  s: number;
  u: boolean;
  /** Peripheral: the current central's link; listening. */
  l: BleLink | null;
  on: boolean;
}

/**
 * A BLE link: a plain object whose methods are shared functions. Writes are queued and go
 * out one at a time: on the central through the RX characteristic's writeValue (a
 * promise: the next write waits for it), on the peripheral through updateServices (which
 * throws while the stack is busy: retried 20 ms later, at most 50 times in a row).
 */
interface BleLink extends Link {
  send(d?: Bytes): void;
  t: BleState;
  /** Central: the GATT server and the RX characteristic; null on the peripheral. */
  g: any;
  w: any;
  q: Bytes[];
  /** A write in flight or a retry scheduled; failed attempts in a row; closed. */
  b: boolean;
  n: number;
  x: boolean;
  /** why: "error" (drops the connection too) or "remote" (already gone); none: closed here. */
  close(why?: string): void;
}

function bleLink(t: BleState, g: any): BleLink {
  return { mtu: 20, onData: null, onClose: null, send: bleSend, close: bleClose, t: t, g: g, w: null, q: [], b: false, n: 0, x: false };
}

/** Link.close (a method of a BleLink). */
function bleClose(this: BleLink, why?: string): void {
  if (this.x) return;
  this.x = true;
  this.q = [];
  if (why !== "remote") {
    if (this.g) this.g.disconnect();
    else this.t.N.disconnect();
  }
  if (this.onClose) this.onClose(why || "local");
}

/**
 * Link.send (a method of a BleLink): queues d, then sends queued writes while nothing is
 * in flight (without d, only the latter: how a finished or retried write continues).
 */
function bleSend(this: BleLink, d?: Bytes): void {
  var l = this;
  if (d) {
    if (l.x) throw perr("LINK_CLOSED", "closed");
    if (d.length < 1 || d.length > l.mtu) throw perr("LINK_TOO_LARGE", "bad size");
    l.q.push(d);
  }
  while (!l.b && l.q.length > 0 && !l.x) {
    var r;
    try {
      if (l.g) r = l.w.writeValue(l.q[0]);
      else {
        // The updateServices argument is built per notification: a few transient variables
        // instead of a resident copy (with its two 36-character keys) for the link's life.
        var u: any = {};
        u[PK_SERVICE] = {};
        u[PK_SERVICE][PK_TX] = { notify: true, value: l.q[0] };
        l.t.N.updateServices(u);
      }
    } catch (e) {
      // The stack is busy: again in 20 ms, at most 50 times in a row.
      if (++l.n > 50) l.close("error");
      else {
        l.b = true;
        setTimeout(function () {
          l.b = false;
          l.send();
        }, 20);
      }
      return;
    }
    l.n = 0;
    if (r && r.then) {
      l.b = true;
      r.then(function () {
        l.b = false;
        l.q.shift();
        l.send();
      }, function () {
        l.close("error");
      });
      return;
    }
    l.q.shift();
  }
}

/** Peripheral role: defines the pairkit service; onLink gets a Link per connecting central. */
export function bleListen(t: BleState, onLink: (link: Link) => void): void {
  var N = t.N;
  var ch: any = {};
  var sv: any = {};
  // 244 = PK_MAXLEN (literal numbers: this module's constants are not inlined by esbuild).
  ch[PK_RX] = {
    writable: true,
    maxLen: 244,
    onWrite: function (evt: any) {
      var l = t.l;
      if (l && !l.x && l.onData) l.onData(new Uint8Array(evt.data));
    }
  };
  ch[PK_TX] = { notify: true, readable: true, maxLen: 244, value: [0] };
  sv[PK_SERVICE] = ch;
  N.setServices(sv, { uart: t.u });
  t.on = true;
  N.on("connect", function () {
    if (t.on) onLink(t.l = bleLink(t, null));
  });
  N.on("disconnect", function () {
    if (t.l) t.l.close("remote");
    t.l = null;
  });
  N.on("mtu", function (m: number) {
    if (t.l && m > 23) t.l.mtu = m < 247 ? m - 3 : 244;
  });
}

/**
 * Central role: scans for a pairkit device (target.id, or one with an open window when
 * target.pairing), connects, finds the two characteristics and starts notifications.
 */
export function bleConnect(t: BleState, target?: unknown): Promise<Link> {
  var x = (target || {}) as BleTarget;
  return new Promise(function (resolve, reject) {
    var md: any = {};
    md[t.c] = {};
    t.N.findDevices(function (devs: any[]) {
      var dev: any = null, l: any = null, svc: any = null;
      for (var i = 0; i < devs.length && !dev; i++) {
        var m = devs[i].manufacturerData ? new Uint8Array(devs[i].manufacturerData) : null;
        if (x.id ? devs[i].id === x.id : m && m.length > 3 && m[0] === 0x70 && m[1] === 0x6b && m[2] === 1 && (!x.pairing || (m[3] & 1))) dev = devs[i];
      }
      devs = []; // not kept alive by the closures below
      if (!dev) return reject(perr("LINK_NO_PEER", "no device"));
      dev.gatt.connect().then(function (g: any) {
        l = bleLink(t, g);
        dev.on("gattserverdisconnected", function () {
          l.close("remote");
        });
        return g.getPrimaryService(PK_SERVICE);
      }).then(function (s: any) {
        svc = s;
        return s.getCharacteristic(PK_RX);
      }).then(function (c: any) {
        l.w = c;
        return svc.getCharacteristic(PK_TX);
      }).then(function (c: any) {
        c.on("characteristicvaluechanged", function (e: any) {
          var v = e.target.value;
          if (!l.x && l.onData) l.onData(new Uint8Array(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
        });
        return c.startNotifications();
      }).then(function () {
        resolve(l);
      }, function () {
        if (l) l.g.disconnect();
        reject(perr("LINK_CONNECT", "BLE connect failed"));
      });
    }, { timeout: t.s, filters: [{ manufacturerData: md }] });
  });
}

export function bleTransport(NRF: EspNRF, opts?: BleOptions): Transport {
  var o = opts || {};
  var t: BleState = { N: NRF, c: o.company === undefined ? PK_COMPANY : o.company, s: o.scanMs || 2000, u: o.uart === true, l: null, on: false };
  var adv = function (open: boolean) {
    NRF.setAdvertising({}, { manufacturer: t.c, manufacturerData: [0x70, 0x6b, 1, open ? 1 : 0] });
  };
  return {
    listen: function (onLink: (link: Link) => void) {
      bleListen(t, onLink);
    },
    advertise: adv,
    connect: function (target?: unknown) {
      return bleConnect(t, target);
    },
    close: function () {
      t.on = false;
      adv(false);
    }
  };
}
