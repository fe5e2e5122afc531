/**
 * A packet-level simulator of the Microchip ATECC608 (host side, Node), on @noble/curves
 * P-256 and @noble/hashes SHA-256.
 *
 * It speaks the chip's I2C protocol: wake (SDA held low), word addresses 0x00 reset,
 * 0x01 sleep, 0x02 idle, 0x03 command; packets count | opcode | param1 | param2 LE | data |
 * CRC-16; responses count | data | CRC-16 or a 4-byte status packet; reads are NACKed
 * (null) while the chip sleeps, idles or executes. Facts from Microchip's cryptoauthlib
 * (lib/calib/calib_command.h/.c, calib_execution.c, calib_basic.c, lib/hal/atca_hal.c,
 * test/api_calib/test_calib_config.c) and the zone layout of the ATECC608 configuration
 * zone as documented there; see docs/atecc608.md for what is simulated and what is not.
 *
 * Nothing here returns private key bytes: private scalars live in ES private fields,
 * data-zone slots that hold private keys read back as an execution error, and the test
 * hooks expose only public state.
 */
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { randomBytes } from "node:crypto";
import { crc16, execTimeMs } from "../../crypto/atecc608/driver";

export interface SimulatorOptions {
  /** Scales the worst-case execution times during which the chip NACKs: 1 = real, 0 = instant (default 0). */
  timeScale?: number;
  /** Clock in ms (default performance.now). Tests pass a manual clock to drive the watchdog. */
  clock?: () => number;
  /** Watchdog period after wake, in clock ms (default 1300, the ATECC608's short watchdog; Infinity disables). */
  watchdogMs?: number;
  /** Randomness for keys, nonces and signatures (default node:crypto). */
  random?: (n: number) => Uint8Array;
  /** Initial 128-byte configuration zone (default: factoryConfig()). */
  config?: Uint8Array;
  /** 9-byte serial number written into bytes 0-3 and 8-12 of the configuration zone. */
  serial?: Uint8Array;
}

/** Fault injection for tests. Counters decrement as faults are used. */
export interface SimulatorFaults {
  /** The next N response reads return the response with a broken CRC. */
  corruptResponseCrc: number;
  /** The next N command packets are corrupted in transit (the chip answers 0xFF). */
  corruptRequest: number;
  /** The next N command responses are lost (reads NACK until the next wake/command). */
  dropResponses: number;
  /** The next command answers this status byte instead of executing (e.g. 0x0F, 0x05, 0x07). */
  forceStatus: number | null;
  /** No chip on the bus: every transfer is NACKed. */
  absent: boolean;
}

export interface SimulatorStats {
  /** Commands executed (status 0xFF and parse errors excluded). */
  commands: number;
  /** Sum of worst-case execution times (ms, unscaled) of executed commands. */
  execMs: number;
  /** Executed commands by opcode. */
  byOpcode: Record<number, number>;
  wakes: number;
  /** Times the chip lost its volatile state (sleep word, watchdog). */
  sleeps: number;
}

export var SLOT_SIZES = [36, 36, 36, 36, 36, 36, 36, 36, 416, 72, 72, 72, 72, 72, 72, 72];

/**
 * A factory-fresh ATECC608B configuration: bytes 16-127 from cryptoauthlib's
 * test_ecc608_configdata (test/api_calib/test_calib_config.c), RevNum 00 00 60 03
 * (revision byte 3 > 2 = ATECC608B, lib/pkcs11/pkcs11_token.c), LockValue and LockConfig
 * 0x55 (unlocked), SlotLocked FF FF.
 */
export function factoryConfig(serial?: Uint8Array): Uint8Array {
  var c = new Uint8Array(Buffer.from(
    "012300000000600004050607ee010100" +
    "c000a100af2fc4448720c4f48f0f0f0f" +
    "9f8f8364c444c4640f0f0f0f0f0f0f0f" +
    "0f0f0f0fffffffff00000000ffffffff" +
    "00000000ff8403bc0969760000000000" +
    "0000000000000000ffff0e4000000000" +
    "33001c0013001c003c003a101c003300" +
    "1c001c00380030003c003c0032003000",
    "hex",
  ));
  c[7] = 0x03;
  c[86] = 0x55;
  c[87] = 0x55;
  if (serial) {
    c.set(serial.subarray(0, 4), 0);
    c.set(serial.subarray(4, 9), 8);
  }
  return c;
}

var PATTERN = (function () {
  var b = new Uint8Array(32);
  for (var i = 0; i < 32; i += 4) b[i] = b[i + 1] = 0xff;
  return b;
})();

type State = "sleep" | "idle" | "awake";

interface Result {
  status?: number;
  data?: Uint8Array;
  /** Executed (costs execution time) or rejected up front. */
  ran: boolean;
}

export class AteccSimulator {
  faults: SimulatorFaults = { corruptResponseCrc: 0, corruptRequest: 0, dropResponses: 0, forceStatus: null, absent: false };
  stats: SimulatorStats = { commands: 0, execMs: 0, byOpcode: {}, wakes: 0, sleeps: 0 };
  timeScale: number;

  private clock: () => number;
  private watchdogMs: number;
  private random: (n: number) => Uint8Array;
  private config: Uint8Array;
  private data: Uint8Array[];
  private otp = new Uint8Array(64);
  private st: State = "sleep";
  private busyUntil = 0;
  private wdDeadline = Infinity;
  private out: Uint8Array | null = null;
  private outIsResponse = false;
  private readPtr = 0;
  private counters = [0, 0];
  // Volatile buffers (lost on sleep, kept in idle).
  private tk: { kind: "none" | "data" | "priv"; value: Uint8Array } = { kind: "none", value: new Uint8Array(0) };
  private mdb: Uint8Array | null = null;
  private akb: Uint8Array | null = null;
  private sha: { update(b: Uint8Array): unknown; digest(): Uint8Array } | null = null;
  // Secrets: ES private fields, invisible to enumeration, JSON and every method.
  #priv: (Uint8Array | null)[] = [];
  #tempPriv: Uint8Array | null = null;

  constructor(opts?: SimulatorOptions) {
    var o = opts || {};
    this.timeScale = o.timeScale === undefined ? 0 : o.timeScale;
    this.clock = o.clock || (() => performance.now());
    this.watchdogMs = o.watchdogMs === undefined ? 1300 : o.watchdogMs;
    this.random = o.random || ((n) => new Uint8Array(randomBytes(n)));
    this.config = new Uint8Array(o.config || factoryConfig());
    if (o.serial) {
      this.config.set(o.serial.subarray(0, 4), 0);
      this.config.set(o.serial.subarray(4, 9), 8);
    } else if (!o.config) {
      var sn = this.random(6);
      this.config.set(sn.subarray(0, 2), 2);
      this.config.set(sn.subarray(2, 6), 8);
    }
    this.data = SLOT_SIZES.map((n) => new Uint8Array(n));
    for (var i = 0; i < 16; i++) this.#priv.push(null);
  }

  // ----- bus level -------------------------------------------------------------------

  /** The wake condition (SDA low > 60 us). A sleeping or idle chip wakes and queues 04 11 33 43; an awake chip ignores it. */
  wake(): void {
    this.tick();
    if (this.faults.absent || this.st === "awake") return;
    if (this.st === "sleep") this.clearVolatile();
    this.st = "awake";
    this.stats.wakes++;
    this.wdDeadline = this.clock() + this.watchdogMs;
    this.out = AteccSimulator.packet(new Uint8Array([0x11]));
    this.outIsResponse = false;
    this.readPtr = 0;
  }

  /** An I2C write (word address first). Returns false for a NACK. */
  i2cWrite(bytes: Uint8Array): boolean {
    this.tick();
    if (this.faults.absent || this.st !== "awake" || this.busy() || bytes.length < 1) return false;
    var w = bytes[0];
    if (w === 0x00) {
      this.readPtr = 0;
      return true;
    }
    if (w === 0x01) {
      this.goSleep();
      return true;
    }
    if (w === 0x02) {
      this.st = "idle";
      this.wdDeadline = Infinity;
      return true;
    }
    if (w !== 0x03) return false;
    this.command(bytes.slice(1));
    return true;
  }

  /** An I2C read of n bytes, or null (NACK) while asleep, idle, executing or when the response was lost. */
  i2cRead(n: number): Uint8Array | null {
    this.tick();
    if (this.faults.absent || this.st !== "awake" || this.busy() || !this.out) return null;
    var r = new Uint8Array(n).fill(0xff);
    var src = this.out.subarray(this.readPtr, this.readPtr + n);
    r.set(src);
    if (this.readPtr === 0 && this.outIsResponse && this.faults.corruptResponseCrc > 0 && this.out.length <= n) {
      this.faults.corruptResponseCrc--;
      r[this.out.length - 1] ^= 0x5a;
    }
    this.readPtr += n;
    return r;
  }

  // ----- test hooks (public state only) ------------------------------------------------

  /** The chip's power state. */
  get state(): State {
    this.tick();
    return this.st;
  }

  /** Emulates the watchdog firing (or a brown-out): the chip sleeps and loses TempKey. */
  forceSleep(): void {
    this.goSleep();
  }

  /** A copy of the configuration zone. */
  configZone(): Uint8Array {
    return new Uint8Array(this.config);
  }

  /** Which volatile buffers are valid (flags only; never their contents). */
  volatileState(): { tempKey: "none" | "data" | "priv"; msgDigBuf: boolean; altKeyBuf: boolean; shaContext: boolean } {
    this.tick();
    return { tempKey: this.tk.kind, msgDigBuf: !!this.mdb, altKeyBuf: !!this.akb, shaContext: !!this.sha };
  }

  counterValue(id: number): number {
    return this.counters[id];
  }

  resetStats(): void {
    this.stats = { commands: 0, execMs: 0, byOpcode: {}, wakes: 0, sleeps: 0 };
  }

  // ----- internals -----------------------------------------------------------------------

  private busy(): boolean {
    return this.clock() < this.busyUntil;
  }

  private tick(): void {
    if (this.st === "awake" && this.clock() >= this.wdDeadline) this.goSleep();
  }

  private goSleep(): void {
    if (this.st !== "sleep") this.stats.sleeps++;
    this.st = "sleep";
    this.wdDeadline = Infinity;
    this.busyUntil = 0;
    this.out = null;
    this.clearVolatile();
  }

  private clearVolatile(): void {
    if (this.#tempPriv) this.#tempPriv.fill(0);
    this.#tempPriv = null;
    this.tk = { kind: "none", value: new Uint8Array(0) };
    this.mdb = null;
    this.akb = null;
    this.sha = null;
  }

  static packet(data: Uint8Array): Uint8Array {
    var p = new Uint8Array(data.length + 3);
    p[0] = p.length;
    p.set(data, 1);
    var c = crc16(p, 0, p.length - 2);
    p[p.length - 2] = c & 255;
    p[p.length - 1] = c >> 8;
    return p;
  }

  private command(pkt: Uint8Array): void {
    if (this.faults.corruptRequest > 0 && pkt.length > 2) {
      this.faults.corruptRequest--;
      pkt[pkt.length >> 1] ^= 0x10;
    }
    var res: Result;
    var n = pkt[0];
    var op = pkt[1];
    var c = pkt.length >= 7 && n === pkt.length ? crc16(pkt, 0, n - 2) : -1;
    if (c < 0 || pkt[n - 2] !== (c & 255) || pkt[n - 1] !== c >> 8) {
      res = { status: 0xff, ran: false };
    } else if (this.faults.forceStatus !== null) {
      res = { status: this.faults.forceStatus, ran: true };
      this.faults.forceStatus = null;
    } else {
      var t = execTimeMs(op);
      var now = this.clock();
      if (t && now + t * this.timeScale > this.wdDeadline) res = { status: 0xee, ran: false };
      else res = this.execute(op, pkt[2], pkt[3] | (pkt[4] << 8), pkt.slice(5, n - 2));
    }
    if (res.ran) {
      var ms = execTimeMs(op);
      this.stats.commands++;
      this.stats.execMs += ms;
      this.stats.byOpcode[op] = (this.stats.byOpcode[op] || 0) + 1;
      this.busyUntil = this.clock() + ms * this.timeScale;
    }
    this.out = AteccSimulator.packet(res.data || new Uint8Array([res.status || 0]));
    this.outIsResponse = true;
    this.readPtr = 0;
    if (this.faults.dropResponses > 0) {
      this.faults.dropResponses--;
      this.out = null;
    }
  }

  // Configuration-zone fields (cryptoauthlib calib_command.h; 608 layout).
  private get configLocked(): boolean {
    return this.config[87] !== 0x55;
  }
  private get dataLocked(): boolean {
    return this.config[86] !== 0x55;
  }
  private slotConfig(s: number): number {
    return this.config[20 + 2 * s] | (this.config[21 + 2 * s] << 8);
  }
  private keyConfig(s: number): number {
    return this.config[96 + 2 * s] | (this.config[97 + 2 * s] << 8);
  }
  private slotLocked(s: number): boolean {
    return (((this.config[88] | (this.config[89] << 8)) >> s) & 1) === 0;
  }
  private isEccPrivate(s: number): boolean {
    var k = this.keyConfig(s);
    return (k & 1) === 1 && ((k >> 2) & 7) === 4;
  }

  private newPrivateKey(): Uint8Array {
    for (;;) {
      var k = this.random(32);
      if (p256.utils.isValidSecretKey(k)) return new Uint8Array(k);
    }
  }

  private static pub(sk: Uint8Array): Uint8Array {
    return p256.getPublicKey(sk, false).slice(1);
  }

  private static point(pub: Uint8Array): Uint8Array | null {
    var b = new Uint8Array(65);
    b[0] = 4;
    b.set(pub, 1);
    try {
      p256.Point.fromBytes(b);
      return b;
    } catch (e) {
      return null;
    }
  }

  /** The 32-byte message in TempKey (source 0x00) or the Message Digest Buffer (0x20), or null. */
  private message(src: number): Uint8Array | null {
    if (src) return this.mdb ? this.mdb.subarray(0, 32) : null;
    return this.tk.kind === "data" && this.tk.value.length >= 32 ? this.tk.value.subarray(0, 32) : null;
  }

  private execute(op: number, p1: number, p2: number, d: Uint8Array): Result {
    var PARSE: Result = { status: 0x03, ran: false };
    var EXEC: Result = { status: 0x0f, ran: true };
    var OK: Result = { status: 0x00, ran: true };
    var s: number, sk: Uint8Array | null, msg: Uint8Array | null;
    switch (op) {
      case 0x30: // Info
        if (d.length) return PARSE;
        if (p1 === 0) return { data: new Uint8Array([0x00, 0x00, 0x60, 0x03]), ran: true };
        if (p1 === 1 && p2 < 16) return { data: new Uint8Array([this.#priv[p2] ? 1 : 0, 0, 0, 0]), ran: true };
        return PARSE;

      case 0x1b: // Random
        if (d.length || p1 > 1 || p2 !== 0) return PARSE;
        return { data: this.configLocked ? this.random(32) : new Uint8Array(PATTERN), ran: true };

      case 0x16: { // Nonce
        var calc = p1 & 3;
        if (p1 & ~0xe3 || calc === 2) return PARSE;
        if (calc !== 3) {
          if (d.length !== 20) return PARSE;
          var rnd = this.configLocked ? this.random(32) : new Uint8Array(PATTERN);
          var m = new Uint8Array(55);
          m.set(rnd, 0);
          m.set(d, 32);
          m[52] = 0x16;
          m[53] = p1;
          m[54] = p2 & 255;
          this.tk = { kind: "data", value: sha256(m) };
          return { data: rnd, ran: true };
        }
        var len = p1 & 0x20 ? 64 : 32;
        var target = p1 & 0xc0;
        if (d.length !== len || p2 !== 0 || target === 0xc0 || (target === 0x80 && len !== 32)) return PARSE;
        if (target === 0x00) {
          if (this.#tempPriv) this.#tempPriv.fill(0);
          this.#tempPriv = null;
          this.tk = { kind: "data", value: new Uint8Array(d) };
        } else if (target === 0x40) this.mdb = new Uint8Array(d);
        else this.akb = new Uint8Array(d);
        return OK;
      }

      case 0x40: // GenKey
        if (d.length || (p1 !== 0x04 && p1 !== 0x00)) return PARSE;
        if (!this.configLocked) return EXEC;
        if (p1 === 0x04 && p2 === 0xffff) {
          if (this.#tempPriv) this.#tempPriv.fill(0);
          this.#tempPriv = this.newPrivateKey();
          this.tk = { kind: "priv", value: new Uint8Array(0) };
          return { data: AteccSimulator.pub(this.#tempPriv), ran: true };
        }
        if (p2 > 15) return PARSE;
        if (!this.isEccPrivate(p2)) return EXEC;
        if (p1 === 0x00) {
          sk = this.#priv[p2];
          if (!sk || !((this.keyConfig(p2) >> 1) & 1)) return EXEC;
          return { data: AteccSimulator.pub(sk), ran: true };
        }
        if (this.dataLocked && (this.slotLocked(p2) || !((this.slotConfig(p2) >> 12) & 2))) return EXEC;
        if (this.#priv[p2]) this.#priv[p2]!.fill(0);
        this.#priv[p2] = this.newPrivateKey();
        return { data: AteccSimulator.pub(this.#priv[p2]!), ran: true };

      case 0x41: // Sign, external mode only
        if (d.length || p1 & ~0xe1 || !(p1 & 0x80) || p1 & 0x41 || p2 > 15) return PARSE;
        if (!this.dataLocked || !this.isEccPrivate(p2) || !(this.slotConfig(p2) & 1)) return EXEC;
        sk = this.#priv[p2];
        msg = this.message(p1 & 0x20);
        if (!sk || !msg) return EXEC;
        return { data: p256.sign(msg, sk, { prehash: false, lowS: false, extraEntropy: this.random(32) }), ran: true };

      case 0x45: { // Verify, external mode only
        if ((p1 & 7) !== 2 || p1 & ~0x27 || p2 !== 0x0004 || d.length !== 128) return PARSE;
        if (!this.configLocked) return EXEC;
        msg = this.message(p1 & 0x20);
        var q = AteccSimulator.point(d.subarray(64, 128));
        if (!msg || !q) return EXEC;
        var ok = false;
        try {
          ok = p256.verify(d.subarray(0, 64), msg, q, { prehash: false, lowS: false });
        } catch (e) {
          ok = false;
        }
        return ok ? OK : { status: 0x01, ran: true };
      }

      case 0x43: { // ECDH
        var copy = (p1 >> 2) & 3;
        if (p1 & 0xf0 || d.length !== 64 || p1 & 2 || copy === 1) return PARSE;
        var fromTemp = (p1 & 1) === 1;
        if (fromTemp && copy === 0) return PARSE;
        if (!this.configLocked) return EXEC;
        var readKey = 0;
        if (fromTemp) sk = this.#tempPriv;
        else {
          if (p2 > 15) return PARSE;
          if (!this.dataLocked || !this.isEccPrivate(p2)) return EXEC;
          readKey = this.slotConfig(p2) & 15;
          if (!(readKey & 4)) return EXEC;
          sk = this.#priv[p2];
        }
        var peer = AteccSimulator.point(d);
        if (!sk || !peer) return EXEC;
        var x = p256.getSharedSecret(sk, peer, true).slice(1);
        if (copy === 2) {
          if (this.#tempPriv) this.#tempPriv.fill(0);
          this.#tempPriv = null;
          this.tk = { kind: "data", value: x };
          return OK;
        }
        if (copy === 0 && readKey & 8) {
          // Compatibility mode with ReadKey bit 3: the secret goes to slot N|1, not out.
          if (p2 & 1) return EXEC;
          this.data[p2 | 1].set(x, 0);
          return OK;
        }
        return { data: x, ran: true };
      }

      case 0x47: { // SHA
        var mode = p1 & 7;
        var tgt = p1 & 0xc0;
        if (p1 & 0x38) return PARSE;
        if (mode === 0) {
          if (d.length || p2) return PARSE;
          this.sha = sha256.create();
          return OK;
        }
        if (mode === 4) {
          if (d.length || p2 > 15) return PARSE;
          if (!this.dataLocked || this.keyConfig(p2) & 1) return EXEC;
          this.sha = hmac.create(sha256, this.data[p2].subarray(0, 32));
          return OK;
        }
        if (mode === 1) {
          if (p2 !== 64 || d.length !== 64) return PARSE;
          if (!this.sha) return EXEC;
          this.sha.update(d);
          return OK;
        }
        if (mode === 2) {
          if (p2 !== d.length || d.length > 63 || tgt === 0x80) return PARSE;
          if (!this.sha) return EXEC;
          this.sha.update(d);
          var dig = this.sha.digest();
          this.sha = null;
          if (tgt === 0x00) {
            if (this.#tempPriv) this.#tempPriv.fill(0);
            this.#tempPriv = null;
            this.tk = { kind: "data", value: new Uint8Array(dig) };
          } else if (tgt === 0x40) this.mdb = new Uint8Array(dig);
          return { data: dig, ran: true };
        }
        return PARSE;
      }

      case 0x02: // Read
      case 0x12: { // Write
        var zone = p1 & 3;
        var n = p1 & 0x80 ? 32 : 4;
        var isWrite = op === 0x12;
        if (p1 & (isWrite ? ~0xc3 : ~0x83) || zone === 3) return PARSE;
        if (isWrite && p1 & 0x40) return PARSE; // encrypted writes are not simulated
        if (isWrite ? d.length !== n : d.length !== 0) return PARSE;
        var word = n === 32 ? 0 : p2 & 7;
        if (zone === 0) {
          if (p2 & ~0x1f) return PARSE;
          var off = ((p2 >> 3) & 3) * 32 + word * 4;
          if (!isWrite) return { data: this.config.slice(off, off + n), ran: true };
          if (this.configLocked || off < 16 || (off < 88 && off + n > 84)) return EXEC;
          this.config.set(d, off);
          return OK;
        }
        if (zone === 1) {
          if (p2 & ~0x0f) return PARSE;
          var o1 = ((p2 >> 3) & 1) * 32 + word * 4;
          if (!isWrite) return this.dataLocked ? { data: this.otp.slice(o1, o1 + n), ran: true } : EXEC;
          if (this.dataLocked || n !== 32) return EXEC;
          this.otp.set(d, o1);
          return OK;
        }
        s = (p2 >> 3) & 15;
        var o2 = (p2 >> 8) * 32 + word * 4;
        if (p2 & ~0x0fff || o2 + n > SLOT_SIZES[s]) return PARSE;
        if (!isWrite) {
          // Private keys are never readable; other secret slots only through encrypted reads (not simulated).
          if (!this.dataLocked || this.keyConfig(s) & 1 || (this.slotConfig(s) >> 7) & 1) return EXEC;
          return { data: this.data[s].slice(o2, o2 + n), ran: true };
        }
        if (!this.dataLocked) {
          if (n !== 32) return EXEC;
          this.data[s].set(d, o2);
          if (this.#priv[s]) {
            this.#priv[s]!.fill(0);
            this.#priv[s] = null;
          }
          return OK;
        }
        var wc = (this.slotConfig(s) >> 12) & 15;
        if (this.slotLocked(s) || this.keyConfig(s) & 1 || wc & 4 || wc > 1) return EXEC;
        this.data[s].set(d, o2);
        return OK;
      }

      case 0x17: { // Lock
        if (d.length || p1 & 0x40) return PARSE;
        var lz = p1 & 3;
        var noCrc = (p1 & 0x80) !== 0;
        if (lz === 0) {
          if (this.configLocked) return EXEC;
          if (!noCrc && crc16(this.config, 0, 128) !== p2) return EXEC;
          this.config[87] = 0x00;
          return OK;
        }
        if (lz === 1) {
          if (!this.configLocked || this.dataLocked) return EXEC;
          if (!noCrc) {
            var all = new Uint8Array(SLOT_SIZES.reduce((a, b) => a + b, 0) + 64);
            var at = 0;
            for (var i = 0; i < 16; i++) {
              all.set(this.data[i], at);
              at += this.data[i].length;
            }
            all.set(this.otp, at);
            if (crc16(all, 0, all.length) !== p2) return EXEC;
          }
          this.config[86] = 0x00;
          return OK;
        }
        if (lz === 2) {
          s = (p1 >> 2) & 15;
          if (!this.dataLocked || !((this.keyConfig(s) >> 5) & 1) || this.slotLocked(s)) return EXEC;
          var bits = (this.config[88] | (this.config[89] << 8)) & ~(1 << s);
          this.config[88] = bits & 255;
          this.config[89] = bits >> 8;
          return OK;
        }
        return PARSE;
      }

      case 0x24: { // Counter
        if (d.length || p1 > 1 || p2 > 1) return PARSE;
        if (!this.configLocked) return EXEC;
        if (p1 === 1) {
          if (this.counters[p2] >= 2097151) return EXEC;
          this.counters[p2]++;
        }
        var v = this.counters[p2];
        return { data: new Uint8Array([v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255]), ran: true };
      }

      default:
        return PARSE;
    }
  }
}
