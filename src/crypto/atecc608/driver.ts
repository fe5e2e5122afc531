/**
 * Microchip ATECC608 secure-element driver (device side, Espruino subset).
 *
 * One `command()` does the whole packet exchange; the exported helpers below it are thin
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
 *    calib_execution.c, table device_execution_time_608_m0.
 *
 * The chip is left idle (not asleep) after every command sequence, as cryptoauthlib does
 * (calib_execute_command ends with calib_idle): idle keeps TempKey and the Message Digest
 * Buffer and stops the watchdog; sleep (`sleep()`) wipes them.
 */
import type { Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import {
  OP_READ, OP_WRITE, OP_NONCE, OP_LOCK, OP_RANDOM, OP_COUNTER, OP_INFO, OP_GENKEY, OP_SIGN, OP_ECDH, OP_VERIFY, OP_SHA,
  ZONE_DATA, ST_ASLEEP as ASLEEP, ST_IDLE as IDLE, ST_AWAKE as AWAKE,
} from "./constants";

// Constants live in ./constants (a module without imports, so esbuild inlines them and
// they cost no variables on the device); re-exported here for callers.
export {
  OP_READ, OP_WRITE, OP_NONCE, OP_LOCK, OP_RANDOM, OP_COUNTER, OP_INFO, OP_GENKEY, OP_SIGN, OP_ECDH, OP_VERIFY, OP_SHA,
  TARGET_TEMPKEY, TARGET_MSGDIGBUF, TARGET_ALTKEYBUF, KEY_TEMPKEY, ZONE_CONFIG, ZONE_OTP, ZONE_DATA,
} from "./constants";

/**
 * An I2C-like link to the chip. `write` sends bytes starting with the word address and
 * rejects with code SE_NACK when the chip does not acknowledge (asleep, idle or busy);
 * `read(n)` resolves with n bytes, or null when the chip does not acknowledge.
 */
export interface SeBus {
  wake(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  read(n: number): Promise<Uint8Array | null>;
}

export interface SeDriverOptions {
  /** Multiplies every wait (execution times, wake delay, polling). 1 for hardware; 0 for an instant simulator. */
  timeScale?: number;
  /** Extra attempts after a communication failure (CRC, NACK, lost response, 0x11, 0xEE, 0xFF). Default 3. */
  retries?: number;
  /** Wake attempts before giving up with SE_NO_DEVICE / SE_WAKE_FAILED. Default 3. */
  wakeRetries?: number;
  /** Polls (every 2 ms, scaled) after the worst-case execution time before a response counts as lost. Default 25. */
  polls?: number;
  /** Replaces setTimeout for the waits (a simulation's virtual clock). */
  delay?: (fn: () => void, ms: number) => void;
}

export interface SeDriver {
  /**
   * Sends one command and returns the response data (without count and CRC; empty for a
   * status-only success). Errors are typed: SE_* codes below. Commands are serialised.
   * With `digest` (32 bytes), a Nonce pass-through first loads it into the Message Digest
   * Buffer in the same wake, as one queued job: nothing can run in between, and it is
   * loaded again if the chip had to be woken again (Sign and Verify read it from there).
   */
  command(opcode: number, p1: number, p2: number, data: Bytes | null, execMs: number, respLen: number, digest?: Bytes | null): Promise<Bytes>;
  /** Puts the chip to sleep: wipes TempKey, the Message Digest Buffer and the SHA context. */
  sleep(): Promise<void>;
  /**
   * A number that changes whenever the chip may have lost its volatile state (sleep,
   * watchdog, reset), so callers can tell whether a key in TempKey is still there.
   */
  epoch(): number;
}

/**
 * ATECC608 worst-case execution times in ms (clock divider M0), as pairs opcode, ms:
 * cryptoauthlib calib_execution.c, device_execution_time_608_m0.
 */
var EXEC = new Uint8Array([
  0x51, 27, 0x28, 40, 0x24, 25, 0x1c, 50, 0x43, 75, 0x15, 25, 0x40, 115, 0x30, 5, 0x56, 165, 0x17, 35, 0x08, 55,
  0x16, 20, 0x46, 50, 0x1b, 23, 0x02, 5, 0x80, 80, 0x77, 250, 0x47, 36, 0x41, 115, 0x20, 10, 0x45, 105, 0x12, 45,
]);

/** Worst-case execution time of an opcode on the ATECC608 (ms); 0 for an unknown opcode. */
export function execTimeMs(opcode: number): number {
  for (var i = 0; i < EXEC.length; i += 2) if (EXEC[i] === opcode) return EXEC[i + 1];
  return 0;
}

var CRC_NIB: Uint16Array | null = null;

/**
 * cryptoauthlib's CRC-16 (atCRC) over data[start, start+len): returned as a number whose
 * low byte goes first on the wire. Computed as the bit-reflected form of CRC-16/ARC with a
 * 16-entry nibble table (two lookups a byte), then reflected once at the end.
 */
export function crc16(data: Bytes, start: number, len: number): number {
  var t = CRC_NIB;
  var i, k, c;
  if (!t) {
    t = CRC_NIB = new Uint16Array(16);
    for (i = 0; i < 16; i++) {
      c = i;
      for (k = 0; k < 4; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
      t[i] = c;
    }
  }
  var r = 0;
  for (i = start; i < start + len; i++) {
    c = data[i];
    r = (r >>> 4) ^ t[(r ^ c) & 15];
    r = (r >>> 4) ^ t[(r ^ (c >> 4)) & 15];
  }
  c = 0;
  for (k = 0; k < 16; k++) c |= ((r >> k) & 1) << (15 - k);
  return c;
}

/** Builds the bytes put on the bus for a command: word address 0x03, then the packet with its CRC. */
export function encodeCommand(opcode: number, p1: number, p2: number, data: Bytes | null): Uint8Array {
  var n = data ? data.length : 0;
  var count = 7 + n;
  var b = new Uint8Array(count + 1);
  b[0] = 0x03;
  b[1] = count;
  b[2] = opcode;
  b[3] = p1;
  b[4] = p2 & 255;
  b[5] = (p2 >> 8) & 255;
  if (data) b.set(data, 6);
  var crc = crc16(b, 1, count - 2);
  b[count - 1] = crc & 255;
  b[count] = crc >> 8;
  return b;
}

/** Typed error for a status byte from the chip (isATCAError in calib_command.c). */
export function statusError(s: number) {
  var c =
    s === 0x01 ? "SE_CHECKMAC_OR_VERIFY_FAIL" :
    s === 0x03 ? "SE_PARSE_ERROR" :
    s === 0x05 ? "SE_ECC_FAULT" :
    s === 0x07 ? "SE_SELFTEST_ERROR" :
    s === 0x08 ? "SE_HEALTH_TEST_ERROR" :
    s === 0x0f ? "SE_EXECUTION_ERROR" :
    s === 0x11 ? "SE_AFTER_WAKE" :
    s === 0xee ? "SE_WATCHDOG" :
    s === 0xff ? "SE_COMM_CRC" : "SE_UNKNOWN_STATUS";
  return perr(c, "secure element status 0x" + (s < 16 ? "0" : "") + s.toString(16), s);
}

/**
 * A queued request: k 0 command, 1 sleep, 2 idle; p packet; e execution ms; n response data
 * length; q Nonce packet to send first (or null) and d whether it went in this wake.
 */
interface Job {
  k: number;
  p: Uint8Array | null;
  e: number;
  n: number;
  q: Uint8Array | null;
  d: boolean;
  y: (r: Bytes) => void;
  f: (e: unknown) => void;
}

/**
 * A driver over a bus. Retries (bounded by opts.retries) re-read a response whose CRC is
 * wrong (word address 0x00 resets the chip's output pointer, so the same response comes
 * again without executing twice), and re-wake then re-send a command the chip did not
 * take (NACK, status 0x11, 0xEE, 0xFF, response never arrived).
 *
 * Written as a callback state machine over one queue with a single promise per request:
 * chained promises cost Espruino variables for as long as a command is in flight.
 */
export function createSeDriver(bus: SeBus, opts?: SeDriverOptions): SeDriver {
  var o = opts || {};
  var scale = o.timeScale === undefined ? 1 : o.timeScale;
  var retries = o.retries === undefined ? 3 : o.retries;
  var wakeRetries = o.wakeRetries === undefined ? 3 : o.wakeRetries;
  var polls = o.polls === undefined ? 25 : o.polls;
  var st = ASLEEP;
  var ep = 0;
  var jobs: Job[] = [];
  var job: Job | null = null;
  // Attempts, polls, re-reads and wakes left for the current job; whether anything answered a wake.
  var left = 0;
  var pollsLeft = 0;
  var rereads = 0;
  var wakesLeft = 0;
  var seen = false;
  var idleTimer: unknown = null;

  function later(ms: number, fn: () => void) {
    ms = ms * scale;
    if (ms <= 0) fn();
    else if (o.delay) o.delay(fn, ms);
    else setTimeout(fn, ms);
  }

  function word(w: number): Promise<void> {
    return bus.write(new Uint8Array([w]));
  }

  // Success is finish(null, data); anything else (also a bus rejecting with no reason) fails.
  function finish(err: unknown, data?: Bytes) {
    var j = job as Job;
    job = null;
    if (err !== null) j.f(err || perr("SE_BUS", "secure-element bus failed"));
    else j.y(data as Bytes);
    next();
  }

  function next() {
    if (job) return;
    job = jobs.shift() || null;
    if (!job) {
      // Queue drained: idle the chip on the next tick, so that a command chained in a
      // .then callback (which runs first) keeps the sequence in one wake.
      if (st === AWAKE && !idleTimer) {
        var token = {};
        idleTimer = token;
        var fire = function () {
          if (idleTimer !== token) return;
          idleTimer = null;
          if (!job && st === AWAKE) enqueue(2, null, 0, 0, null);
        };
        if (o.delay) o.delay(fire, 0);
        else setTimeout(fire, 0);
      }
      return;
    }
    idleTimer = null;
    left = retries;
    if (job.k === 2) {
      // Idle: keeps TempKey and the Message Digest Buffer, stops the watchdog.
      if (st !== AWAKE) return finish(null);
      st = IDLE;
      word(0x02).then(function () { finish(null); }, function () { finish(null); });
      return;
    }
    start();
  }

  function start() {
    if (st === AWAKE) return send();
    (job as Job).d = false;
    wakesLeft = wakeRetries;
    seen = false;
    wake();
  }

  function wake() {
    bus.wake().then(function () {
      later(2, function () {
        bus.read(4).then(woke, finish);
      });
    }, finish);
  }

  function woke(r: Uint8Array | null) {
    if (r && r[0] === 4 && r[1] === 0x11 && r[2] === 0x33 && r[3] === 0x43) {
      st = AWAKE;
      return send();
    }
    // hal_check_wake compares with 04 07 C4 40; those last two bytes are not the CRC of
    // 04 07 (that is 40 C2), so only count and status are checked here.
    if (r && r[0] === 4 && r[1] === 0x07) return finish(perr("SE_SELFTEST_ERROR", "secure element failed its power-on self test"));
    // Nothing answered, or the chip was already awake and returned stale bytes: ask it to
    // idle and wake it again (cryptoauthlib retries the wake the same way).
    ep++;
    st = ASLEEP;
    seen = seen || !!r;
    if (--wakesLeft <= 0) return finish(seen ? perr("SE_WAKE_FAILED", "secure element gave no valid wake response") : perr("SE_NO_DEVICE", "no secure element answers on the bus"));
    word(0x02).then(wake, wake);
  }

  function send() {
    var j = job as Job;
    if (j.k === 1) {
      st = ASLEEP;
      ep++;
      word(0x01).then(function () { finish(null); }, function () { finish(null); });
      return;
    }
    var pre = j.q && !j.d;
    bus.write((pre ? j.q : j.p) as Uint8Array).then(
      function () {
        // 20 ms: the Nonce execution time (calib_execution.c, ATECC608 M0).
        later(pre ? 20 : j.e, function () {
          pollsLeft = polls;
          rereads = retries;
          poll();
        });
      },
      function (e) {
        if (e && e.code === "SE_NACK") {
          // We thought it was awake: the watchdog or a reset put it to sleep.
          st = ASLEEP;
          ep++;
        }
        retry(e);
      },
    );
  }

  function poll() {
    var j = job as Job;
    var n = j.q && !j.d ? 0 : j.n;
    bus.read(n < 1 ? 4 : n + 3).then(got, finish);
  }

  function got(r: Uint8Array | null) {
    if (!r) {
      if (pollsLeft-- > 0) return later(2, poll);
      st = ASLEEP;
      ep++;
      return retry(perr("SE_TIMEOUT", "secure element response did not arrive"));
    }
    var n = r[0];
    var bad = n < 4 || n > r.length;
    if (!bad) {
      var crc = crc16(r, 0, n - 2);
      bad = r[n - 2] !== (crc & 255) || r[n - 1] !== crc >> 8;
    }
    if (bad) {
      pollsLeft = 0;
      if (rereads-- > 0) return void word(0x00).then(poll, finish);
      return finish(perr("SE_COMM_CRC", "secure element response failed its CRC"));
    }
    if (n === 4 && r[1] !== 0) {
      var s = r[1];
      return s === 0x11 || s === 0xee || s === 0xff ? retry(statusError(s)) : finish(statusError(s));
    }
    var j = job as Job;
    if (j.q && !j.d) {
      // The Nonce went in; now the command itself.
      j.d = true;
      return send();
    }
    finish(null, r.slice(1, n - 2));
  }

  function retry(e: any) {
    var c = e && e.code;
    if (left-- <= 0 || !(c === "SE_NACK" || c === "SE_TIMEOUT" || c === "SE_AFTER_WAKE" || c === "SE_WATCHDOG" || c === "SE_COMM_CRC")) return finish(e);
    if (c === "SE_WATCHDOG" || c === "SE_TIMEOUT") {
      // 0xEE: idle resets the watchdog; a lost response: make sure the next wake is real.
      if (c === "SE_WATCHDOG") ep++;
      st = ASLEEP;
      return void word(0x02).then(start, start);
    }
    start();
  }

  function enqueue(k: number, p: Uint8Array | null, e: number, n: number, q: Uint8Array | null): Promise<Bytes> {
    return new Promise(function (y, f) {
      jobs.push({ k: k, p: p, e: e, n: n, q: q, d: false, y: y, f: f });
      next();
    });
  }

  return {
    command: function (opcode, p1, p2, data, execMs, respLen, digest) {
      // Nonce mode 0x43: pass-through, 32 bytes, target Message Digest Buffer (calib_nonce.c).
      return enqueue(0, encodeCommand(opcode, p1, p2, data), execMs, respLen, digest ? encodeCommand(OP_NONCE, 0x43, 0, digest) : null);
    },
    // Wakes first (an idle or sleeping chip ignores the bus), then the sleep word address.
    sleep: function () {
      return enqueue(1, null, 0, 0, null) as unknown as Promise<void>;
    },
    epoch: function () {
      return ep;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Thin command helpers. Modes and lengths: cryptoauthlib calib_command.h and the calib_*.c
// file named in each comment.

/** Info (calib_info.c): mode 0 revision (4 bytes), 1 key valid (param2 = slot). */
export function seInfo(d: SeDriver, mode: number, p2: number): Promise<Bytes> {
  return d.command(OP_INFO, mode, p2, null, execTimeMs(OP_INFO), 4);
}

/** Random (calib_random.c): 32 bytes; mode 0 updates the seed. Before the configuration zone is locked the chip returns FF FF 00 00 repeated. */
export function seRandom(d: SeDriver, mode: number): Promise<Bytes> {
  return d.command(OP_RANDOM, mode, 0, null, execTimeMs(OP_RANDOM), 32);
}

/** Nonce in pass-through mode (calib_nonce.c, calib_nonce_load): 32 or 64 bytes into TempKey, the Message Digest Buffer or the Alternate Key Buffer. */
export function seNonceLoad(d: SeDriver, target: number, data: Bytes): Promise<Bytes> {
  if (data.length !== 32 && data.length !== 64) throw perr("SE_BAD_PARAM", "nonce input must be 32 or 64 bytes");
  return d.command(OP_NONCE, 0x03 | target | (data.length === 64 ? 0x20 : 0), 0, data, execTimeMs(OP_NONCE), 0);
}

/**
 * GenKey (calib_genkey.c): mode 0x04 creates a private key in a slot, or in TempKey for
 * keyId 0xFFFF, and returns its public key (64 bytes x||y); mode 0x00 recomputes the
 * public key of a slot's private key.
 */
export function seGenKey(d: SeDriver, mode: number, keyId: number): Promise<Bytes> {
  return d.command(OP_GENKEY, mode, keyId, null, execTimeMs(OP_GENKEY), 64);
}

/**
 * Sign (calib_sign.c): external message (mode bit 0x80) from TempKey (0x00) or the Message
 * Digest Buffer (0x20); returns r||s. With `digest`, the driver loads it into the Message
 * Digest Buffer first in the same job (source must then be 0x20).
 */
export function seSign(d: SeDriver, source: number, slot: number, digest?: Bytes): Promise<Bytes> {
  return d.command(OP_SIGN, 0x80 | source, slot, null, execTimeMs(OP_SIGN), 64, digest);
}

/**
 * Verify in external mode (calib_verify.c, calib_verify_extern): mode 0x02 | source
 * (0x00 TempKey, 0x20 Message Digest Buffer), param2 0x0004 = P-256, data signature then
 * public key. Resolves true, or false on the chip's miscompare (status 0x01).
 */
export function seVerifyExtern(d: SeDriver, source: number, sig: Bytes, pub: Bytes, digest?: Bytes): Promise<boolean> {
  var data = new Uint8Array(128);
  data.set(sig, 0);
  data.set(pub, 64);
  return d.command(OP_VERIFY, 0x02 | source, 0x0004, data, execTimeMs(OP_VERIFY), 0, digest).then(
    function () { return true; },
    function (e) {
      if (e && e.code === "SE_CHECKMAC_OR_VERIFY_FAIL") return false;
      throw e;
    },
  );
}

/**
 * ECDH (calib_ecdh.c): mode bit 0x01 takes the private key from TempKey instead of the
 * slot, 0x0C returns the shared x-coordinate in the clear in the output buffer.
 */
export function seEcdh(d: SeDriver, mode: number, keyId: number, pub: Bytes): Promise<Bytes> {
  return d.command(OP_ECDH, mode, keyId, pub, execTimeMs(OP_ECDH), 32);
}

/**
 * SHA (calib_sha.c): mode 0 start, 4 HMAC start (param2 = key slot), 1 update (exactly 64
 * bytes), 2 end (0..63 bytes; digest target in bits 6-7: 0x00 TempKey, 0x40 Message
 * Digest Buffer, 0xC0 output only). Returns the digest on end, otherwise nothing.
 */
export function seSha(d: SeDriver, mode: number, p2: number, data: Bytes | null): Promise<Bytes> {
  return d.command(OP_SHA, mode, p2, data, execTimeMs(OP_SHA), (mode & 7) === 2 ? 32 : 0);
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
  return d.command(OP_READ, zone | (len32 ? 0x80 : 0), addr, null, execTimeMs(OP_READ), len32 ? 32 : 4);
}

/** Write in the clear (calib_write.c): 4 or 32 bytes. */
export function seWrite(d: SeDriver, zone: number, addr: number, data: Bytes): Promise<Bytes> {
  if (data.length !== 4 && data.length !== 32) throw perr("SE_BAD_PARAM", "write data must be 4 or 32 bytes");
  return d.command(OP_WRITE, zone | (data.length === 32 ? 0x80 : 0), addr, data, execTimeMs(OP_WRITE), 0);
}

/**
 * Lock (calib_lock.c): mode 0x00 configuration zone with the CRC summary of the 128
 * bytes in param2; 0x01 data and OTP zones; 0x02 | slot << 2 a single slot; 0x80 skips the
 * summary check.
 */
export function seLock(d: SeDriver, mode: number, summary: number): Promise<Bytes> {
  return d.command(OP_LOCK, mode, summary, null, execTimeMs(OP_LOCK), 0);
}

/** Counter (calib_counter.c): mode 0 read, 1 increment; counter 0 or 1; returns the value. */
export function seCounter(d: SeDriver, mode: number, id: number): Promise<number> {
  return d.command(OP_COUNTER, mode, id, null, execTimeMs(OP_COUNTER), 4).then(function (r) {
    return r[0] + r[1] * 256 + r[2] * 65536 + r[3] * 16777216;
  });
}
