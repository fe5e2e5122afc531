/**
 * A fake of Espruino's `NRF` object for tests, following the behaviour documented in
 * libs/bluetooth/jswrap_bluetooth.c (2v29): two or more fake devices share a FakeRadio and
 * exchange advertising, GATT writes and notifications.
 *
 * Modelled facts:
 * - NRF.setServices({svc: {char: {writable, notify, readable, maxLen, value, onWrite}}}, {uart});
 *   onWrite gets {data: ArrayBuffer}. UUIDs: 16-bit numbers, "ABCD" or 128-bit strings.
 * - NRF.updateServices({svc: {char: {value, notify: true}}}) notifies the connected central
 *   if it called startNotifications; values above maxLen or above MTU-3 throw.
 * - NRF.setAdvertising({}, {manufacturer, manufacturerData}); NRF.findDevices(cb, {timeout, filters})
 *   calls cb with BluetoothDevice objects {id, rssi, name, manufacturer, manufacturerData: ArrayBuffer}
 *   after the scan time; filters: manufacturerData: {id: {}}, services, name, namePrefix, id.
 * - BluetoothDevice.gatt.connect() -> Promise<BluetoothRemoteGATTServer>; getPrimaryService,
 *   getCharacteristic, writeValue, startNotifications return promises; one GATT task at a
 *   time per connection ("BLE task already in progress" otherwise), as Espruino does.
 * - characteristicvaluechanged: {target: characteristic}, characteristic.value is a DataView.
 * - NRF.on('connect', addr) / NRF.on('disconnect', reason) on the peripheral; the central's
 *   BluetoothDevice emits 'gattserverdisconnected' (reason 19 remote, 22 local).
 * - A peripheral accepts one central at a time. Default ATT MTU 23 (20-byte writes).
 * Everything asynchronous is delivered on setTimeout(0) (Espruino's event loop).
 */

type Fn = (x?: any) => void;

function normUuid(u: unknown): string {
  if (typeof u === "number") return u.toString(16).padStart(4, "0");
  return String(u).toLowerCase();
}

function later(fn: () => void, ms?: number): void {
  setTimeout(fn, ms || 0);
}

class Emitter {
  private ls: { [ev: string]: Fn[] } = {};
  on(ev: string, fn: Fn): void {
    (this.ls[ev] = this.ls[ev] || []).push(fn);
  }
  removeListener(ev: string, fn: Fn): void {
    var a = this.ls[ev] || [];
    var i = a.indexOf(fn);
    if (i >= 0) a.splice(i, 1);
  }
  removeAllListeners(ev?: string): void {
    if (ev) delete this.ls[ev];
    else this.ls = {};
  }
  emit(ev: string, x?: unknown): void {
    var a = (this.ls[ev] || []).slice();
    for (var i = 0; i < a.length; i++) a[i](x);
  }
}

interface CharDef {
  writable?: boolean;
  readable?: boolean;
  notify?: boolean;
  maxLen?: number;
  value?: unknown;
  onWrite?: (evt: { data: ArrayBuffer }) => void;
}

function toBytes(v: unknown): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array(0);
  if (typeof v === "string") {
    var b = new Uint8Array(v.length);
    for (var i = 0; i < v.length; i++) b[i] = v.charCodeAt(i) & 255;
    return b;
  }
  if (v instanceof ArrayBuffer) return new Uint8Array(v.slice(0));
  if (ArrayBuffer.isView(v)) return new Uint8Array(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  if (Array.isArray(v)) return new Uint8Array(v);
  throw new Error("unsupported value");
}

export class FakeRadio {
  devices: FakeNRF[] = [];
  /** Log of every GATT write and notification: [from address, to address, bytes]. */
  log: [string, string, Uint8Array][] = [];
  device(name: string): FakeNRF {
    var d = new FakeNRF(this, name, "aa:bb:cc:dd:ee:" + (this.devices.length + 1).toString(16).padStart(2, "0") + " random");
    this.devices.push(d);
    return d;
  }
}

/** One fake board's `NRF`. */
export class FakeNRF extends Emitter {
  radio: FakeRadio;
  name: string;
  address: string;
  services: { [svc: string]: { [ch: string]: CharDef } } = {};
  adv: { manufacturer?: number; manufacturerData?: unknown; name?: string } = {};
  /** ATT MTU of new connections (23 by default; payload = mtu - 3). */
  mtu = 23;
  /** The central currently connected to us (peripheral role). */
  central: FakeConnection | null = null;
  uart = true;

  constructor(radio: FakeRadio, name: string, address: string) {
    super();
    this.radio = radio;
    this.name = name;
    this.address = address;
  }

  getAddress(): string {
    return this.address;
  }

  setServices(data: any, options?: any): void {
    if (data !== undefined && (typeof data !== "object" || data === null)) throw new Error("Expecting Object or undefined");
    if (this.central) throw new Error("services can only be modified when nothing is connected");
    var out: { [svc: string]: { [ch: string]: CharDef } } = {};
    for (var s in data || {}) {
      out[normUuid(isNaN(Number(s)) ? s : Number(s))] = {};
      for (var c in data[s]) out[normUuid(isNaN(Number(s)) ? s : Number(s))][normUuid(isNaN(Number(c)) ? c : Number(c))] = data[s][c];
    }
    this.services = out;
    this.uart = !(options && options.uart === false);
  }

  updateServices(data: any): void {
    for (var s in data) {
      var svc = this.services[normUuid(s)];
      if (!svc) throw new Error("service not found");
      for (var c in data[s]) {
        var def = svc[normUuid(c)];
        if (!def) throw new Error("characteristic not found");
        var upd = data[s][c];
        var v = toBytes(upd.value);
        var maxLen = def.maxLen !== undefined ? def.maxLen : toBytes(def.value).length;
        if (v.length > maxLen) throw new Error("BLE error: DATA_SIZE (value longer than maxLen)");
        def.value = v;
        if (upd.notify && def.notify && this.central && v.length > 0) {
          if (v.length > this.central.mtu - 3) throw new Error("BLE error: DATA_SIZE (notification above MTU)");
          this.central.notify(normUuid(s), normUuid(c), v);
        }
      }
    }
  }

  setAdvertising(data: any, options?: any): void {
    if (data && typeof data === "object" && Object.keys(data).length > 0) throw new Error("fake: only manufacturer data is modelled");
    var o = options || {};
    if (o.manufacturerData !== undefined) {
      var md = toBytes(o.manufacturerData);
      // 31-byte advertising packet: flags (3) + manufacturer data (4 + n) + name.
      if (3 + 4 + md.length > 31) throw new Error("BLE error: DATA_SIZE");
    }
    this.adv = { manufacturer: o.manufacturer === undefined ? 0x0590 : o.manufacturer, manufacturerData: o.manufacturerData, name: o.name || this.name };
  }

  private matches(d: FakeNRF, filters: any[] | undefined): boolean {
    if (!filters || filters.length === 0) return true;
    for (var i = 0; i < filters.length; i++) {
      var f = filters[i];
      var ok = true;
      if (f.manufacturerData) {
        for (var k in f.manufacturerData) if (Number(k) !== d.adv.manufacturer || d.adv.manufacturerData === undefined) ok = false;
      }
      if (f.name !== undefined && f.name !== d.adv.name) ok = false;
      if (f.namePrefix !== undefined && String(d.adv.name).indexOf(f.namePrefix) !== 0) ok = false;
      if (f.id !== undefined && f.id !== d.address) ok = false;
      if (f.services) ok = false; // this fake advertises no service UUIDs
      if (ok) return true;
    }
    return false;
  }

  private scan(filters: any[] | undefined): FakeBluetoothDevice[] {
    var out: FakeBluetoothDevice[] = [];
    for (var i = 0; i < this.radio.devices.length; i++) {
      var d = this.radio.devices[i];
      if (d === this || !this.matches(d, filters)) continue;
      out.push(new FakeBluetoothDevice(this, d));
    }
    return out;
  }

  findDevices(cb: (devs: FakeBluetoothDevice[]) => void, options?: any): void {
    var timeout = typeof options === "number" ? options : (options && options.timeout) || 2000;
    var filters = options && typeof options === "object" ? options.filters : undefined;
    var self = this;
    // Scaled down: the fake "scans" for timeout/100 ms so tests stay fast.
    later(function () {
      cb(self.scan(filters));
    }, Math.ceil(timeout / 100));
  }

  requestDevice(options?: any): Promise<FakeBluetoothDevice> {
    var self = this;
    return new Promise(function (resolve, reject) {
      later(function () {
        var r = self.scan(options && options.filters);
        if (r.length) resolve(r[0]);
        else reject(new Error("No device found matching filters"));
      });
    });
  }

  disconnect(): void {
    if (this.central) this.central.drop(22, 19);
  }
}

/** A central's view of a peripheral it scanned (BluetoothDevice). */
export class FakeBluetoothDevice extends Emitter {
  id: string;
  rssi = -50;
  name: string;
  manufacturer?: number;
  manufacturerData?: ArrayBuffer;
  gatt: FakeGattServer;
  constructor(public local: FakeNRF, public remote: FakeNRF) {
    super();
    this.id = remote.address;
    this.name = remote.adv.name || remote.name;
    if (remote.adv.manufacturerData !== undefined) {
      this.manufacturer = remote.adv.manufacturer;
      this.manufacturerData = toBytes(remote.adv.manufacturerData).buffer as ArrayBuffer;
    }
    this.gatt = new FakeGattServer(this);
  }
}

/** The link between one central and one peripheral. */
export class FakeConnection {
  mtu: number;
  up = true;
  busy = false;
  subs: { [key: string]: FakeCharacteristic } = {};
  constructor(public server: FakeGattServer, public peripheral: FakeNRF) {
    this.mtu = Math.min(server.device.local.mtu, peripheral.mtu);
  }
  notify(svc: string, ch: string, v: Uint8Array): void {
    var c = this.subs[svc + "/" + ch];
    var self = this;
    this.peripheral.radio.log.push([this.peripheral.address, this.server.device.local.address, v]);
    if (!c) return;
    later(function () {
      if (!self.up) return;
      c.value = new DataView(v.buffer, v.byteOffset, v.byteLength);
      c.emit("characteristicvaluechanged", { target: c });
    });
  }
  /** Ends the connection: the peripheral sees 'disconnect' (reasonP), the central 'gattserverdisconnected' (reasonC). */
  drop(reasonP: number, reasonC: number): void {
    if (!this.up) return;
    this.up = false;
    var self = this;
    this.peripheral.central = null;
    this.server.connected = false;
    later(function () {
      self.peripheral.emit("disconnect", reasonP);
      self.server.device.emit("gattserverdisconnected", reasonC);
    });
  }
  /** Runs one GATT task; Espruino refuses a second task while one is in progress. */
  task<T>(fn: () => T): Promise<T> {
    var self = this;
    if (!this.up) return Promise.reject(new Error("Not connected"));
    if (this.busy) return Promise.reject(new Error("BLE task already in progress"));
    this.busy = true;
    return new Promise(function (resolve, reject) {
      later(function () {
        self.busy = false;
        if (!self.up) return reject(new Error("Disconnected"));
        try {
          resolve(fn());
        } catch (e) {
          reject(e);
        }
      });
    });
  }
}

export class FakeGattServer {
  connected = false;
  conn: FakeConnection | null = null;
  constructor(public device: FakeBluetoothDevice) {}
  connect(_options?: any): Promise<FakeGattServer> {
    var self = this;
    var p = this.device.remote;
    return new Promise(function (resolve, reject) {
      later(function () {
        if (p.central) return reject(new Error("peripheral busy (one central at a time)"));
        if (p.adv.manufacturerData === undefined && Object.keys(p.services).length === 0) return reject(new Error("Connection Timeout"));
        self.conn = new FakeConnection(self, p);
        p.central = self.conn;
        self.connected = true;
        p.emit("connect", self.device.local.address);
        if (self.conn.mtu > 23) p.emit("mtu", self.conn.mtu);
        resolve(self);
      }, 2);
    });
  }
  disconnect(): Promise<void> {
    if (this.conn) this.conn.drop(19, 22);
    return Promise.resolve();
  }
  getPrimaryService(uuid: string | number): Promise<FakeService> {
    var self = this;
    if (!this.conn) return Promise.reject(new Error("Not connected"));
    return this.conn.task(function () {
      var u = normUuid(uuid);
      if (!self.device.remote.services[u]) throw new Error("Service " + u + " not found");
      return new FakeService(self, u);
    });
  }
}

export class FakeService {
  constructor(public server: FakeGattServer, public uuid: string) {}
  getCharacteristic(uuid: string | number): Promise<FakeCharacteristic> {
    var self = this;
    var conn = this.server.conn as FakeConnection;
    return conn.task(function () {
      var u = normUuid(uuid);
      if (!self.server.device.remote.services[self.uuid][u]) throw new Error("Characteristic " + u + " not found");
      return new FakeCharacteristic(self, u);
    });
  }
}

export class FakeCharacteristic extends Emitter {
  value: DataView | undefined;
  constructor(public service: FakeService, public uuid: string) {
    super();
  }
  private def(): CharDef {
    return this.service.server.device.remote.services[this.service.uuid][this.uuid];
  }
  writeValue(data: unknown): Promise<void> {
    var self = this;
    var conn = this.service.server.conn as FakeConnection;
    var v = toBytes(data);
    return conn.task(function () {
      var d = self.def();
      if (!d.writable) throw new Error("Characteristic is not writable");
      if (v.length > conn.mtu - 3) throw new Error("BLE error: DATA_SIZE (write above MTU)");
      if (v.length > (d.maxLen !== undefined ? d.maxLen : toBytes(d.value).length)) throw new Error("BLE error: DATA_SIZE (above maxLen)");
      d.value = v;
      conn.peripheral.radio.log.push([self.service.server.device.local.address, conn.peripheral.address, v]);
      var ab = v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer;
      later(function () {
        if (conn.up && d.onWrite) d.onWrite({ data: ab });
      });
    });
  }
  readValue(): Promise<DataView> {
    var self = this;
    var conn = this.service.server.conn as FakeConnection;
    return conn.task(function () {
      var v = toBytes(self.def().value);
      self.value = new DataView(v.buffer);
      return self.value;
    });
  }
  startNotifications(): Promise<void> {
    var self = this;
    var conn = this.service.server.conn as FakeConnection;
    return conn.task(function () {
      if (!self.def().notify) throw new Error("Characteristic does not notify");
      conn.subs[self.service.uuid + "/" + self.uuid] = self;
    });
  }
  stopNotifications(): Promise<void> {
    var self = this;
    var conn = this.service.server.conn as FakeConnection;
    return conn.task(function () {
      delete conn.subs[self.service.uuid + "/" + self.uuid];
    });
  }
}
