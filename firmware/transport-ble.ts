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
  /** Keep Espruino's Nordic UART service (the console over BLE; default true). */
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

/**
 * A Link whose writes go through put(d): a promise (central writeValue; the next write
 * waits for it) or a synchronous call that throws while the stack is busy (peripheral
 * updateServices; retried 20 ms later, at most 50 times in a row). end() drops the
 * connection. rx(d) and gone(reason) are called by the transport.
 */
function bleLink(put: (d: Bytes) => any, end: () => void): Link & { rx: (d: Bytes) => void; gone: (r: string) => void } {
  var q: Bytes[] = [];
  var busy = false;
  var tries = 0;
  var l = {
    mtu: 20,
    onData: null as ((d: Bytes) => void) | null,
    onClose: null as ((r: string) => void) | null,
    closed: false,
    send: function (d: Bytes) {
      if (l.closed) throw perr("LINK_CLOSED", "link is closed");
      if (d.length < 1 || d.length > l.mtu) throw perr("LINK_TOO_LARGE", "write must be 1..mtu bytes");
      q.push(d);
      l.pump();
    },
    pump: function () {
      while (!busy && q.length > 0 && !l.closed) {
        var r;
        try {
          r = put(q[0]);
        } catch (e) {
          if (++tries > 50) {
            end();
            l.gone("error");
            return;
          }
          busy = true;
          setTimeout(function () {
            busy = false;
            l.pump();
          }, 20);
          return;
        }
        tries = 0;
        if (r && r.then) {
          busy = true;
          r.then(function () {
            busy = false;
            q.shift();
            l.pump();
          }, function () {
            end();
            l.gone("error");
          });
          return;
        }
        q.shift();
      }
    },
    rx: function (d: Bytes) {
      if (!l.closed && l.onData) l.onData(d);
    },
    gone: function (r: string) {
      if (l.closed) return;
      l.closed = true;
      q = [];
      if (l.onClose) l.onClose(r);
    },
    close: function () {
      if (l.closed) return;
      end();
      l.gone("local");
    }
  };
  return l;
}

export function bleTransport(NRF: EspNRF, opts?: BleOptions): Transport {
  var o = opts || {};
  var company = o.company === undefined ? PK_COMPANY : o.company;
  var cur: (Link & { rx: (d: Bytes) => void; gone: (r: string) => void }) | null = null;
  var listening = false;
  // Prebuilt updateServices argument: only .value changes per notification.
  var tx: any = { notify: true, value: null };
  var up: any = {};
  up[PK_SERVICE] = {};
  up[PK_SERVICE][PK_TX] = tx;

  return {
    listen: function (onLink: (link: Link) => void) {
      var ch: any = {};
      ch[PK_RX] = {
        writable: true,
        maxLen: PK_MAXLEN,
        onWrite: function (evt: any) {
          if (cur) cur.rx(new Uint8Array(evt.data));
        }
      };
      ch[PK_TX] = { notify: true, readable: true, maxLen: PK_MAXLEN, value: [0] };
      var sv: any = {};
      sv[PK_SERVICE] = ch;
      NRF.setServices(sv, { uart: o.uart !== false });
      listening = true;
      NRF.on("connect", function () {
        if (!listening) return;
        cur = bleLink(function (d: Bytes) {
          tx.value = d;
          NRF.updateServices(up);
        }, function () {
          NRF.disconnect();
        });
        onLink(cur);
      });
      NRF.on("disconnect", function () {
        if (cur) cur.gone("remote");
        cur = null;
      });
      NRF.on("mtu", function (m: number) {
        if (cur && m > 23) cur.mtu = m - 3 < PK_MAXLEN ? m - 3 : PK_MAXLEN;
      });
    },

    advertise: function (pairingOpen: boolean) {
      NRF.setAdvertising({}, { manufacturer: company, manufacturerData: [0x70, 0x6b, 1, pairingOpen ? 1 : 0] });
    },

    connect: function (target?: unknown) {
      var t = (target || {}) as BleTarget;
      return new Promise(function (resolve, reject) {
        var md: any = {};
        md[company] = {};
        NRF.findDevices(function (devs: any[]) {
          var dev: any = null;
          for (var i = 0; i < devs.length && !dev; i++) {
            var m = devs[i].manufacturerData ? new Uint8Array(devs[i].manufacturerData) : null;
            if (t.id ? devs[i].id === t.id : (m && m.length >= 4 && m[0] === 0x70 && m[1] === 0x6b && m[2] === 1 && (!t.pairing || (m[3] & 1)))) dev = devs[i];
          }
          if (!dev) {
            reject(perr("LINK_NO_PEER", "no pairkit device found"));
            return;
          }
          var gatt: any = null;
          var rxc: any = null;
          var l: (Link & { rx: (d: Bytes) => void; gone: (r: string) => void }) | null = null;
          dev.gatt.connect().then(function (g: any) {
            gatt = g;
            dev.on("gattserverdisconnected", function () {
              if (l) l.gone("remote");
            });
            return g.getPrimaryService(PK_SERVICE);
          }).then(function (s: any) {
            return s.getCharacteristic(PK_RX).then(function (c: any) {
              rxc = c;
              return s.getCharacteristic(PK_TX);
            });
          }).then(function (c: any) {
            l = bleLink(function (d: Bytes) {
              return rxc.writeValue(d);
            }, function () {
              gatt.disconnect();
            });
            c.on("characteristicvaluechanged", function (e: any) {
              var v = e.target.value;
              if (l) l.rx(new Uint8Array(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
            });
            return c.startNotifications();
          }).then(function () {
            resolve(l as Link);
          }, function () {
            if (gatt) gatt.disconnect();
            reject(perr("LINK_CONNECT", "BLE connection failed"));
          });
        }, { timeout: o.scanMs || 2000, filters: [{ manufacturerData: md }] });
      });
    },

    close: function () {
      listening = false;
      NRF.setAdvertising({}, { manufacturer: company, manufacturerData: [0x70, 0x6b, 1, 0] });
    }
  };
}
