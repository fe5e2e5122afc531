/**
 * Microchip ATECC608 secure-element driver (device side, Espruino subset).
 *
 * The driver is a plain state object; `seRun` queues a command and one callback state
 * machine (`step`) does the whole packet exchange. The exported helpers below it are thin
 * and tree-shakeable (firmware bundles only those it calls). Facts come from Microchip's
 * cryptoauthlib (github.com/MicrochipTech/cryptoauthlib), read, not copied:
 *  - packet layout count | opcode | param1 | param2 (LE) | data | CRC-16 LE, and every
 *    opcode, mode bit and response length: lib/calib/calib_command.h, calib_command.c
 *    (atCRC: polynomial 0x8005, register starts at 0, data bits taken LSB first, result
 *    stored low byte first);
 *  - status bytes 0x00/0x01/0x03/0x05/0x07/0x08/0x0F/0x11/0xFF: calib_command.c
 *    (isATCAError), lib/atca_status.h; 0xEE "watchdog about to expire" is the chip's
 *    documented status for a command that would outlive the watchdog;
 *  - I2C word addresses 0x00 reset / 0x01 sleep / 0x02 idle / 0x03 command:
 *    calib_basic.c (calib_idle, calib_sleep), calib_execution.c (packet->reserved = 0x03);
 *  - wake: SDA low for more than 60 us (address 0x00 at <= 100 kHz), wait tWHI 1500 us
 *    (lib/atca_cfgs.c wake_delay), then read 4 bytes 04 11 33 43 (lib/hal/atca_hal.c
 *    hal_check_wake; 04 07 C4 40 means a failed power-on self test);
 *  - worst-case execution times of the ATECC608 (clock divider M0):
 *    calib_execution.c, table device_execution_time_608_m0 (constants.ts, execTimeMs).
 *
 * The chip is left idle (not asleep) after every command sequence, as cryptoauthlib does
 * (calib_execute_command ends with calib_idle): idle keeps TempKey and the Message Digest
 * Buffer and stops the watchdog; sleep (`seSleep`) wipes them.
 *
 * Memory (docs/device-memory.md): no closures per driver except one bound callback, none
 * per bus transfer on the device buses (bus.ts, callback form), and no promise per request
 * when the caller passes a completion callback to seRun (the device path: a pending
 * promise costs about 24 variables, and its `.then` keeps the caller's scope); without one
 * seRun wraps the same job in a promise (host code, tests, boot-time helpers). A job's
 * retry, wake and poll counters live on the job, so an idle driver holds only its bus,
 * queue, phase, power state and epoch. Promise-form buses (host tests and tools) go
 * through a callback adapter that device bundles lack, as they lack SeDriverOptions.
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import { DEVICE } from "../../core/target";
import { promised } from "../../core/async";
import type { Done } from "../../core/async";
import {
  OP_READ, OP_WRITE, OP_NONCE, OP_LOCK, OP_RANDOM, OP_COUNTER, OP_INFO, OP_GENKEY, OP_SIGN, OP_ECDH, OP_VERIFY, OP_SHA,
  T_READ, T_WRITE, T_NONCE, T_LOCK, T_RANDOM, T_COUNTER, T_INFO, T_GENKEY, T_SIGN, T_ECDH, T_VERIFY, T_SHA,
  ZONE_DATA, ST_ASLEEP, ST_IDLE, ST_AWAKE,
  P_TICK, P_IDLED, P_SLEPT, P_FIN, P_RETRY, P_BEGIN, P_WAKE, P_WOKE, P_WREAD, P_WOKEN, P_SEND, P_SENT, P_POLL, P_READ, WAKE_TRIES, POLLS,
} from "./constants";

// Constants live in ./constants (a module without imports, so esbuild inlines them and
// they cost no variables on the device); re-exported here for callers.
export {
  OP_READ, OP_WRITE, OP_NONCE, OP_LOCK, OP_RANDOM, OP_COUNTER, OP_INFO, OP_GENKEY, OP_SIGN, OP_ECDH, OP_VERIFY, OP_SHA,
  TARGET_TEMPKEY, TARGET_MSGDIGBUF, TARGET_ALTKEYBUF, KEY_TEMPKEY, ZONE_CONFIG, ZONE_OTP, ZONE_DATA,
} from "./constants";

/**
 * An I2C-like link to the chip, promise form (host buses: src/host/atecc608/bus.ts).
 * `write` sends bytes starting with the word address and rejects with code SE_NACK when
 * the chip does not acknowledge (asleep, idle or busy); `read(n)` resolves with n bytes,
 * or null when the chip does not acknowledge.
 */
export interface SeBus {
  wake(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  read(n: number): Promise<Uint8Array | null>;
}

/**
 * The same link in callback form (the device buses in bus.ts): no promise per transfer.
 * `io(k, a, cb)`: k 0 wake; 1 write a: the bytes (word address first), or a lone word
 * address as a number (idle, sleep, reset; Espruino's I2C.writeTo takes either); 2 read a bytes.
 * cb(null, bytes) for a read (bytes null when the chip does not acknowledge), cb(null)
 * for a wake or an acknowledged write (a second argument is ignored), cb(error SE_NACK) for a write it does not
 * acknowledge, cb(other error) when the link itself fails. cb may run synchronously.
 */
export interface SeIoBus {
  io(k: number, a: any, cb: (e: any, r?: Uint8Array | null) => void): void;
}

/** Host only (tests, simulations, tools): a device driver runs with the defaults. */
export interface SeDriverOptions {
  /** Multiplies every wait (execution times, wake delay, polling). 1 for hardware; 0 for an instant simulator. */
  timeScale?: number;
  /**
   * Extra attempts after a communication failure (CRC, NACK, lost response, 0x11, 0xEE,
   * 0xFF). Default 3. (Each wake tries 3 times; a response counts as lost after 25 polls,
   * 2 ms apart, past the worst-case execution time.)
   */
  retries?: number;
  /** Replaces setTimeout for the waits (a simulation's virtual clock). */
  delay?: (fn: () => void, ms: number) => void;
}

/**
 * Called when a queued command is done: (error) or (null, response data). Whatever it
 * returns is seRun's result; whatever it throws, its error.
 */
export type SeDone = (e: any, r: any) => any;

/**
 * A queued request: p packet (null: sleep), e execution ms, n response data length,
 * q Nonce packet to send first (or null / undefined), d whether the command itself is
 * next (no Nonce, or the Nonce went in during this wake), m `done` of seRun, k the
 * completion (the caller's, or the one settling seRun's promise). While it runs:
 * a attempts, w wakes, o polls and c CRC re-reads left, s whether anything answered a
 * wake (on the job, not the driver: freed with it).
 */
interface SeJob {
  p: Uint8Array | null;
  e: number;
  n: number;
  q: Uint8Array | null | undefined;
  d: boolean;
  m: SeDone | null | undefined;
  k: Done<any>;
  a?: number;
  w?: number;
  o?: number;
  c?: number;
  s?: boolean;
}

/**
 * The driver: a state object passed to seRun and the helpers. `ep` (epoch) changes
 * whenever the chip may have lost its volatile state (sleep, NACK where it should have
 * been awake, lost response, 0xEE, failed wake), so callers can tell whether a key in
 * TempKey is still there. Every other field belongs to the driver.
 */
export interface SeDriver {
  readonly ep: number;
  /**
   * Whether a Random with seed update (mode 0) was queued on this driver: cryptoauthlib
   * updates the RNG seed before every Sign, pairkit once per driver (boot). seRandom(d, 0)
   * sets it; otherwise the provider queues one ahead of the first Sign.
   */
  sd?: boolean;
  /** The injected delay (SeDriverOptions.delay; host only), if any: callers that must wait a tick use it too. */
  readonly y?: ((fn: () => void, ms: number) => void) | undefined;
}

/** The driver's fields (short names: every property is an interpreter variable). */
interface Drv extends SeDriver {
  ep: number;
  /** bus (callback form) */
  b: SeIoBus;
  /** time scale, retries, delay */
  s: number;
  r: number;
  y: ((fn: () => void, ms: number) => void) | undefined;
  /** power state ST_* (undefined at first: asleep; undefined > ST_IDLE is false), queue, current job, phase P_* */
  st?: any;
  q: SeJob[];
  j: SeJob | null | undefined;
  ph: number;
  /** step bound to this driver: the one callback of every bus transfer and timer */
  cb: (e?: any, r?: any) => void;
  /** while in bus.io: 1, or [e, r] when it answered at once */
  i?: any;
}

/**
 * Worst-case execution time of an opcode on the ATECC608 (ms); 0 for an unknown opcode.
 * Pairs opcode, ms: cryptoauthlib calib_execution.c, device_execution_time_608_m0. (The
 * helpers below pass their times as constants; this table is for the simulator.)
 */
export function execTimeMs(opcode: number): number {
  var t = [
    0x51, 27, 0x28, 40, 0x24, 25, 0x1c, 50, 0x43, 75, 0x15, 25, 0x40, 115, 0x30, 5, 0x56, 165, 0x17, 35, 0x08, 55,
    0x16, 20, 0x46, 50, 0x1b, 23, 0x02, 5, 0x80, 80, 0x77, 250, 0x47, 36, 0x41, 115, 0x20, 10, 0x45, 105, 0x12, 45,
  ];
  for (var i = 0; i < t.length; i += 2) if (t[i] === opcode) return t[i + 1];
  return 0;
}

var CRC_NIB: Uint16Array | null = null;

/**
 * cryptoauthlib's CRC-16 (atCRC) over data[start, start+len): returned as a number whose
 * low byte goes first on the wire. Computed as the bit-reflected form of CRC-16/ARC with a
 * 16-entry nibble table (two lookups a byte: a bit loop would cost four times the
 * interpreted steps), then reflected once at the end.
 */
export function crc16(data: Bytes, start: number, len: number): number {
  var t = CRC_NIB;
  var i, k, c, r = 0;
  if (!t) {
    t = CRC_NIB = new Uint16Array(16);
    for (i = 0; i < 16; i++) {
      for (c = i, k = 4; k--; ) c = (c >>> 1) ^ ((c & 1) * 0xa001);
      t[i] = c;
    }
  }
  for (i = start; i < start + len; i++) {
    c = data[i];
    r = (r >>> 4) ^ t[(r ^ c) & 15];
    r = (r >>> 4) ^ t[(r ^ (c >> 4)) & 15];
  }
  // Reflected: bit 0 of r becomes bit 15.
  for (c = 0, k = 16; k--; r >>= 1) c = (c << 1) | (r & 1);
  return c;
}

/**
 * Builds the bytes put on the bus for a command: word address 0x03, then the packet with
 * its CRC. The data is `data` followed by `more` (either may be null), written straight
 * into the packet so callers need no buffer of their own (Verify: signature, public key).
 */
export function encodeCommand(opcode: number, p1: number, p2: number, data?: Bytes | null, more?: Bytes | null): Uint8Array {
  var n = data ? data.length : 0;
  var count = 7 + n + (more ? more.length : 0);
  var b = new Uint8Array(count + 1);
  b.set([0x03, count, opcode, p1, p2, p2 >> 8]); // typed-array stores keep the low 8 bits
  if (data) b.set(data, 6);
  if (more) b.set(more, 6 + n);
  var crc = crc16(b, 1, count - 2);
  // (Not b[count] = (b[count - 1] = crc) >> 8: on Espruino a typed-array assignment's value is the stored byte.)
  b[count - 1] = crc;
  b[count] = crc >> 8;
  return b;
}

/**
 * A driver over a bus (callback form: SeIoBus; host code may pass the promise form).
 * Retries (bounded by opts.retries) re-read a response whose CRC is wrong (word address
 * 0x00 resets the chip's output pointer, so the same response comes again without
 * executing twice), and re-wake then re-send a command the chip did not take (NACK,
 * status 0x11, 0xEE, 0xFF, response never arrived). Devices take no options (hardware
 * time, 3 retries) and no promise-form bus: both are host only.
 */
export function createSeDriver(bus: SeBus | SeIoBus, opts?: SeDriverOptions): SeDriver {
  var d = { b: bus, s: 1, r: 3, ep: 0, q: [], ph: 0 } as unknown as Drv;
  if (!DEVICE) {
    if (opts && opts.timeScale !== undefined) d.s = opts.timeScale;
    if (opts && opts.retries !== undefined) d.r = opts.retries;
    d.y = opts && opts.delay;
    // A promise-form bus, in the callback form the driver speaks: answers always come
    // later, as the promises settle. (Written inside this block, so that device bundles
    // drop the function with it.)
    if (!(bus as SeIoBus).io)
      d.b = {
        io: function (k: number, a: any, cb: (e: any, r?: Uint8Array | null) => void): void {
          var w = bus as SeBus;
          (k ? (k < 2 ? w.write(a.length ? a : new Uint8Array([a])) : w.read(a)) : w.wake()).then(
            function (v: any) {
              cb(null, v);
            },
            function (v: any) {
              cb(v || perr("SE_BUS", "secure-element bus failed"));
            },
          );
        },
      };
  }
  d.cb = step.bind(null, d);
  return d;
}

/**
 * The driver's state machine (phases P_* in constants.ts): called with the outcome of the
 * last bus transfer (e, r) or by a timer; runs until it has to wait for the bus or a timer
 * again, whose callback steps on. Jumps between phases with `continue` (Espruino has no
 * labels). d.ph keeps the phase being waited for; it is 0 only when nothing is in flight.
 */
function step(d: Drv, e?: any, r?: any): void {
  if (d.i) {
    // An answer from inside bus.io below (a synchronous bus): that loop goes on with it.
    d.i = [e, r];
    return;
  }
  var j = d.j as SeJob;
  var p = d.ph;
  var k; // bus transfer to start: 0 wake, 1 write a (bytes, or one word address), 2 read a bytes
  var a: any;
  var t; // or a wait of t ms
  var x = 0;
  for (;;) {
    if (e && p > P_SEND) {
      // The link failed; or the chip NACKed a command: we thought it was awake, but the
      // watchdog or a reset put it to sleep.
      x = 2;
      p = p === P_SENT && e.code === "SE_NACK" ? P_RETRY : P_FIN;
    }
    k = t = -1;
    switch (p) {
      case P_TICK:
        p = 0;
        if (d.q.length) continue;
        // Idle: keeps TempKey and the Message Digest Buffer, stops the watchdog.
        d.st = ST_IDLE;
        p = P_IDLED;
        k = 1;
        a = 0x02;
        break;
      case P_SLEPT:
        e = r = undefined;
        p = P_FIN;
        continue;
      case P_FIN:
        // d.ph is not 0 here: a command queued from `done` waits for this loop.
        d.j = null;
        if (j.m) {
          try {
            r = j.m(e, r);
            e = null;
          } catch (z) {
            e = z;
          }
        }
        try {
          if (e) j.k(e);
          else j.k(null, r);
        } catch (z) {
          // A caller's callback threw: report it as uncaught, as a timer would, but leave
          // the driver running (the next job would otherwise wait for a step that never comes).
          setTimeout(function () {
            throw z;
          }, 0);
        }
        p = 0;
        continue;
      case P_IDLED:
      case 0:
        j = d.j = d.q.shift() as SeJob;
        if (!j) {
          // Queue drained: idle the chip on the next tick, so that a command chained in a
          // .then callback (which runs first) keeps the sequence in one wake.
          if (d.st > ST_IDLE) {
            p = P_TICK;
            t = 0;
            break;
          }
          d.ph = 0;
          return;
        }
        j.a = d.r;
        p = P_BEGIN;
        continue;
      case P_BEGIN:
        p = P_SEND;
        if (d.st > ST_IDLE) continue;
        j.d = !j.q;
        j.w = WAKE_TRIES;
        j.s = false;
        p = P_WAKE;
        continue;
      case P_WAKE:
        p = P_WOKE;
        k = 0;
        break;
      case P_WOKE:
        p = P_WREAD;
        t = 2 * d.s; // tWHI (1.5 ms), rounded up
        break;
      case P_WREAD:
        p = P_WOKEN;
        k = 2;
        a = 4;
        break;
      case P_WOKEN:
        p = P_FIN;
        if (r + "" === "4,17,51,67") {
          d.st = ST_AWAKE;
          p = P_SEND;
        } else if (r && r[0] === 4 && r[1] === 0x07) {
          // hal_check_wake compares with 04 07 C4 40; those last two bytes are not the CRC
          // of 04 07 (that is 40 C2), so only count and status are checked here.
          e = perr("SE_SELFTEST_ERROR", "secure element failed its power-on self test");
        } else {
          // Nothing answered, or the chip was already awake and returned stale bytes: ask
          // it to idle and wake it again (cryptoauthlib retries the wake the same way).
          d.ep++;
          d.st = ST_ASLEEP;
          j.s = j.s || !!r;
          if (--(j.w as number) > 0) {
            p = P_WAKE;
            k = 1;
            a = 0x02;
            break;
          }
          e = perr(j.s ? "SE_WAKE_FAILED" : "SE_NO_DEVICE", j.s ? "secure element gave no valid wake response" : "no secure element answers on the bus");
        }
        continue;
      case P_SEND:
        k = 1;
        if (!j.p) {
          // Sleep: wipes TempKey, the Message Digest Buffer and the SHA context.
          d.st = ST_ASLEEP;
          d.ep++;
          p = P_SLEPT;
          a = 0x01;
          break;
        }
        p = P_SENT;
        a = j.d ? j.p : j.q;
        break;
      case P_SENT:
        j.o = POLLS;
        j.c = d.r;
        p = P_POLL;
        t = (j.d ? j.e : T_NONCE) * d.s;
        break;
      case P_POLL:
        p = P_READ;
        k = 2;
        a = j.d && j.n ? j.n + 3 : 4;
        break;
      case P_READ:
        p = P_FIN;
        if (!r) {
          // Busy (NACK): poll every 2 ms (cryptoauthlib's ATCA_POLLING_FREQUENCY_TIME_MSEC).
          if ((j.o as number)-- > 0) {
            p = P_POLL;
            t = 2 * d.s;
            break;
          }
          e = perr("SE_TIMEOUT", "secure element response did not arrive");
          x = 1;
          p = P_RETRY;
          continue;
        }
        x = r[0];
        if (x < 4 || x > r.length || r[x - 2] + r[x - 1] * 256 !== crc16(r, 0, x - 2)) {
          j.o = 0;
          if ((j.c as number)-- > 0) {
            // Word address 0x00 resets the output pointer: the same response again.
            p = P_POLL;
            k = 1;
            a = 0x00;
            break;
          }
          e = perr("SE_COMM_CRC", "secure element response failed its CRC");
          continue;
        }
        if (x === 4 && r[1]) {
          // A status (isATCAError in calib_command.c).
          x = r[1];
          e = perr(
            ({ 1: "SE_CHECKMAC_OR_VERIFY_FAIL", 3: "SE_PARSE_ERROR", 5: "SE_ECC_FAULT", 7: "SE_SELFTEST_ERROR", 8: "SE_HEALTH_TEST_ERROR",
              15: "SE_EXECUTION_ERROR", 17: "SE_AFTER_WAKE", 238: "SE_WATCHDOG", 255: "SE_COMM_CRC" } as any)[x] || "SE_UNKNOWN_STATUS",
            "secure element status 0x" + (x < 16 ? "0" : "") + x.toString(16),
            x,
          );
          // 0x11 command not taken after wake, 0xFF the chip saw a bad CRC: send it again;
          // 0xEE the watchdog is about to put the chip to sleep: idle resets it, then again.
          if (x === 0x11 || x === 0xff || x === 0xee) {
            p = P_RETRY;
            x = x === 0xee ? 1 : 0;
          }
          continue;
        }
        if (!j.d) {
          // The Nonce went in; now the command itself.
          j.d = true;
          p = P_SEND;
          continue;
        }
        r = r.slice(1, x - 2);
        continue;
      case P_RETRY:
        if (x) {
          // The chip may have lost its volatile state; make sure the next wake is real.
          d.ep++;
          d.st = ST_ASLEEP;
        }
        p = P_FIN;
        if ((j.a as number)-- > 0) {
          p = P_BEGIN;
          if (x === 1) {
            k = 1;
            a = 0x02;
            break;
          }
        }
        continue;
    }
    e = r = undefined;
    // A wait of 0 ms (timeScale 0) goes on at once; the idle tick always waits for a tick.
    if (!t && p !== P_TICK) continue;
    d.ph = p;
    if (t >= 0) {
      if (!DEVICE) {
        if (d.y) return d.y(d.cb, t);
      }
      setTimeout(d.cb, t);
      return;
    }
    // An answer given at once (a synchronous bus) is taken here rather than by a nested call.
    d.i = 1;
    d.b.io(k, a, d.cb);
    a = d.i;
    d.i = 0;
    if (a === 1) return;
    e = a[0];
    r = a[1];
  }
}

/**
 * Queues one command: `packet` from encodeCommand (null puts the chip to sleep: it wakes it
 * first, since an idle or sleeping chip ignores the bus, then sends the sleep word), its
 * execution time and response data length. With `digest` (32 bytes), a Nonce pass-through
 * (mode 0x43, calib_nonce.c) first loads it into the Message Digest Buffer in the same
 * wake, as one queued job: nothing can run in between, and it is loaded again if the chip
 * had to be woken again (Sign and Verify read it from there). Resolves with the response
 * data (without count and CRC; empty for a status-only success), or with what `done(error,
 * data)` returns; rejects with the typed error (SE_* codes), or with what `done` throws.
 *
 * With `k`, no promise: k(error) or k(null, result) once, with the same result and error,
 * and seRun returns nothing. k may run before seRun returns (a bus that answers at once
 * with a time scale of 0: simulations, never hardware); a k that throws does not stop the
 * driver (the error is thrown again from a timer).
 */
export function seRun(d: SeDriver, packet: Uint8Array | null, execMs: number, respLen: number, digest?: Bytes | null, done?: SeDone | null): Promise<any>;
export function seRun(d: SeDriver, packet: Uint8Array | null, execMs: number, respLen: number, digest: Bytes | null | undefined, done: SeDone | null | undefined, k: Done<any>): void;
export function seRun(d: SeDriver, packet: Uint8Array | null, execMs: number, respLen: number, digest?: Bytes | null, done?: SeDone | null, k?: Done<any>): Promise<any> | void;
export function seRun(d: SeDriver, packet: Uint8Array | null, execMs: number, respLen: number, digest?: Bytes | null, done?: SeDone | null, k?: Done<any>): Promise<any> | void {
  if (!k)
    // A closure, not seRun.bind(null, d, ...): Espruino 2v29's bind lets call arguments
    // take the places of bound arguments that are undefined (digest, done), so k would
    // arrive as the digest.
    return promised(function (k: Done<any>) {
      seRun(d, packet, execMs, respLen, digest, done, k);
    });
  var q = digest && encodeCommand(OP_NONCE, 0x43, 0, digest); // null or undefined without a digest
  (d as Drv).q.push({ p: packet, e: execMs, n: respLen, q: q, d: !q, m: done, k: k });
  if (!(d as Drv).ph) step(d as Drv);
}

/**
 * Sends one command and returns the response data (the generic form of the helpers below;
 * see seRun). Commands are serialised.
 */
export function seCommand(d: SeDriver, opcode: number, p1: number, p2: number, data: Bytes | null, execMs: number, respLen: number, digest?: Bytes | null): Promise<Bytes> {
  return seRun(d, encodeCommand(opcode, p1, p2, data), execMs, respLen, digest);
}

/** Puts the chip to sleep: wipes TempKey, the Message Digest Buffer and the SHA context. */
export function seSleep(d: SeDriver): Promise<void> {
  return seRun(d, null, 0, 0);
}

// ---------------------------------------------------------------------------------------
// Thin command helpers. Modes and lengths: cryptoauthlib calib_command.h and the calib_*.c
// file named in each comment.

/** Info (calib_info.c): mode 0 revision (4 bytes), 1 key valid (param2 = slot). */
export function seInfo(d: SeDriver, mode: number, p2: number): Promise<Bytes> {
  return seRun(d, encodeCommand(OP_INFO, mode, p2), T_INFO, 4);
}

/** Random (calib_random.c): 32 bytes; mode 0 updates the seed. Before the configuration zone is locked the chip returns FF FF 00 00 repeated. */
export function seRandom(d: SeDriver, mode: number): Promise<Bytes> {
  if (!mode) d.sd = true;
  return seRun(d, encodeCommand(OP_RANDOM, mode, 0), T_RANDOM, 32);
}

/** Nonce in pass-through mode (calib_nonce.c, calib_nonce_load): 32 or 64 bytes into TempKey, the Message Digest Buffer or the Alternate Key Buffer. */
export function seNonceLoad(d: SeDriver, target: number, data: Bytes): Promise<Bytes> {
  if (data.length !== 32 && data.length !== 64) throw perr("SE_BAD_PARAM", "nonce input must be 32 or 64 bytes");
  return seRun(d, encodeCommand(OP_NONCE, 0x03 | target | (data.length === 64 ? 0x20 : 0), 0, data), T_NONCE, 0);
}

/**
 * GenKey (calib_genkey.c): mode 0x04 creates a private key in a slot, or in TempKey for
 * keyId 0xFFFF, and returns its public key (64 bytes x||y); mode 0x00 recomputes the
 * public key of a slot's private key.
 */
export function seGenKey(d: SeDriver, mode: number, keyId: number): Promise<Bytes> {
  return seRun(d, encodeCommand(OP_GENKEY, mode, keyId), T_GENKEY, 64);
}

/**
 * Sign (calib_sign.c): external message (mode bit 0x80) from TempKey (0x00) or the Message
 * Digest Buffer (0x20); returns r||s. With `digest`, the driver loads it into the Message
 * Digest Buffer first in the same job (source must then be 0x20).
 */
export function seSign(d: SeDriver, source: number, slot: number, digest?: Bytes): Promise<Bytes> {
  return seRun(d, encodeCommand(OP_SIGN, 0x80 | source, slot), T_SIGN, 64, digest);
}

/**
 * Verify in external mode (calib_verify.c, calib_verify_extern): mode 0x02 | source
 * (0x00 TempKey, 0x20 Message Digest Buffer), param2 0x0004 = P-256, data signature then
 * public key. Resolves true, or false on the chip's miscompare (status 0x01).
 */
export function seVerifyExtern(d: SeDriver, source: number, sig: Bytes, pub: Bytes, digest?: Bytes): Promise<boolean> {
  return seRun(d, encodeCommand(OP_VERIFY, 0x02 | source, 0x0004, sig, pub), T_VERIFY, 0, digest, function (e) {
    if (e && e.code !== "SE_CHECKMAC_OR_VERIFY_FAIL") throw e;
    return !e;
  });
}

/**
 * ECDH (calib_ecdh.c): mode bit 0x01 takes the private key from TempKey instead of the
 * slot, 0x0C returns the shared x-coordinate in the clear in the output buffer.
 */
export function seEcdh(d: SeDriver, mode: number, keyId: number, pub: Bytes): Promise<Bytes> {
  return seRun(d, encodeCommand(OP_ECDH, mode, keyId, pub), T_ECDH, 32);
}

/**
 * SHA (calib_sha.c): mode 0 start, 4 HMAC start (param2 = key slot), 1 update (exactly 64
 * bytes), 2 end (0..63 bytes; digest target in bits 6-7: 0x00 TempKey, 0x40 Message
 * Digest Buffer, 0xC0 output only). Returns the digest on end, otherwise nothing.
 */
export function seSha(d: SeDriver, mode: number, p2: number, data: Bytes | null): Promise<Bytes> {
  return seRun(d, encodeCommand(OP_SHA, mode, p2, data), T_SHA, (mode & 7) === 2 ? 32 : 0);
}

/**
 * Word address of a zone location (calib_basic.c, calib_get_addr): configuration and OTP
 * block << 3 | word; data zone slot << 3 | word | block << 8.
 */
export function seAddr(zone: number, slot: number, block: number, word: number): number {
  return zone === ZONE_DATA ? (slot << 3) | (word & 7) | (block << 8) : (block << 3) | (word & 7);
}

/** Read (calib_read.c): 4 bytes, or 32 with zone bit 0x80. */
export function seRead(d: SeDriver, zone: number, addr: number, len32: boolean): Promise<Bytes> {
  return seRun(d, encodeCommand(OP_READ, zone | (len32 ? 0x80 : 0), addr), T_READ, len32 ? 32 : 4);
}

/** Write in the clear (calib_write.c): 4 or 32 bytes. */
export function seWrite(d: SeDriver, zone: number, addr: number, data: Bytes): Promise<Bytes> {
  if (data.length !== 4 && data.length !== 32) throw perr("SE_BAD_PARAM", "write data must be 4 or 32 bytes");
  return seRun(d, encodeCommand(OP_WRITE, zone | (data.length === 32 ? 0x80 : 0), addr, data), T_WRITE, 0);
}

/**
 * Lock (calib_lock.c): mode 0x00 configuration zone with the CRC summary of the 128
 * bytes in param2; 0x01 data and OTP zones; 0x02 | slot << 2 a single slot; 0x80 skips the
 * summary check.
 */
export function seLock(d: SeDriver, mode: number, summary: number): Promise<Bytes> {
  return seRun(d, encodeCommand(OP_LOCK, mode, summary), T_LOCK, 0);
}

/** Counter (calib_counter.c): mode 0 read, 1 increment; counter 0 or 1; returns the value. */
export function seCounter(d: SeDriver, mode: number, id: number): Promise<number> {
  return seRun(d, encodeCommand(OP_COUNTER, mode, id), T_COUNTER, 4, null, function (e, r) {
    if (e) throw e;
    return r[0] + r[1] * 256 + r[2] * 65536 + r[3] * 16777216;
  });
}
