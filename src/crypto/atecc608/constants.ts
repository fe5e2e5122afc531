/**
 * Constants of the ATECC608 driver and pairkit's slot map. This module imports nothing and
 * runs no code, so esbuild inlines every constant at its use: they cost no variables on
 * the device. driver.ts and identity.ts re-export them.
 */

// Opcodes, cryptoauthlib lib/calib/calib_command.h.
export const OP_READ = 0x02;
export const OP_WRITE = 0x12;
export const OP_NONCE = 0x16;
export const OP_LOCK = 0x17;
export const OP_RANDOM = 0x1b;
export const OP_COUNTER = 0x24;
export const OP_INFO = 0x30;
export const OP_GENKEY = 0x40;
export const OP_SIGN = 0x41;
export const OP_ECDH = 0x43;
export const OP_VERIFY = 0x45;
export const OP_SHA = 0x47;

/** Nonce targets for pass-through loads (calib_command.h NONCE_MODE_TARGET_*). */
export const TARGET_TEMPKEY = 0x00;
export const TARGET_MSGDIGBUF = 0x40;
export const TARGET_ALTKEYBUF = 0x80;

/** KeyID of TempKey for GenKey and ECDH (calib_command.h GENKEY_PRIVATE_TO_TEMPKEY). */
export const KEY_TEMPKEY = 0xffff;

/** Zones (calib_command.h ATCA_ZONE_*). */
export const ZONE_CONFIG = 0;
export const ZONE_OTP = 1;
export const ZONE_DATA = 2;

/**
 * Worst-case execution times in ms of the commands the driver helpers send, ATECC608 with
 * clock divider M0 (cryptoauthlib calib_execution.c, device_execution_time_608_m0).
 */
export const T_READ = 5;
export const T_WRITE = 45;
export const T_NONCE = 20;
export const T_LOCK = 35;
export const T_RANDOM = 23;
export const T_COUNTER = 25;
export const T_INFO = 5;
export const T_GENKEY = 115;
export const T_SIGN = 115;
export const T_ECDH = 75;
export const T_VERIFY = 105;
export const T_SHA = 36;

/** Driver power states (driver.ts; it tests awake as st > ST_IDLE: AWAKE stays the highest). */
export const ST_ASLEEP = 0;
export const ST_IDLE = 1;
export const ST_AWAKE = 2;

/**
 * Phases of the driver's state machine: what it waits for (driver.ts, step). 0: nothing,
 * pick the next job. A bus failure ends the job in every phase above P_SEND (the phases
 * entered with a transfer's outcome that matters); below it, outcomes are ignored.
 */
export const P_TICK = 1; // queue drained, chip awake: one tick before idling
export const P_IDLED = 2; // idle word written (nonzero: a transfer is in flight)
export const P_SLEPT = 3; // sleep word written
export const P_FIN = 4; // (jump) finish the job with e / r
export const P_RETRY = 5; // (jump) retry after error e; x: 0 at once, 1 idle first, 2 the chip lost its state
export const P_BEGIN = 6; // (re)start the job (after an idle word): wake the chip unless it is awake
export const P_WAKE = 7; // (after an idle word) send the wake pulse
export const P_WREAD = 8; // tWHI elapsed: read the wake response
export const P_SEND = 9; // send the packet (the Nonce first when there is one)
export const P_WOKE = 10; // wake pulse sent
export const P_WOKEN = 11; // wake response read
export const P_SENT = 12; // packet written (a NACK retries instead)
export const P_POLL = 13; // execution time (or a poll interval) elapsed, or output pointer reset: read the response
export const P_READ = 14; // response read
/** Wake attempts before SE_NO_DEVICE / SE_WAKE_FAILED; polls (2 ms apart) after the worst-case execution time before a response counts as lost. */
export const WAKE_TRIES = 3;
export const POLLS = 25;

/** COSE curve P-256 (CRV_P256 in src/crypto/provider.ts), inlined. */
export const CRV_P256 = 1;

// pairkit's slot map (identity.ts, docs/atecc608.md).
/** Device key: P-256, external signatures and ECDH (EDHOC methods 0-3), never readable. */
export const SLOT_DEVICE_KEY = 0;
/** Ephemeral keys generated ahead of time: P-256, ECDH only, GenKey allowed for ever. */
export const SLOT_EPHEMERAL = 2;
/** Device-unique at-rest secret: P-256, ECDH only, generated inside the chip, frozen at data lock. */
export const SLOT_AT_REST = 3;
/** Identity record: device credential and trust anchors, readable, written once before data lock. */
export const SLOT_IDENTITY = 8;
/** Monotonic counter 0 versions the encrypted binding store (anti-rollback). */
export const COUNTER_BINDINGS = 0;

/**
 * The fixed point for the at-rest secret, x||y: x = SHA-256("pairkit/atecc608/at-rest-point/v1"
 * || 0x00) with the even y (the first counter value that gave a curve point; nobody knows
 * its discrete logarithm). test/atecc608 re-derives it with @noble/curves.
 */
export const AT_REST_POINT_HEX =
  "c1f86aa2920d89398aa65abb5afd3a2d16d106de1982193a58d034247ce60598" +
  "07320bd33893fa73df5756942ee08e5e894b0288eb5259b5664efa30e0760d38";
/** The same point in base64, as the device decodes it (atob); a test checks both agree. */
export const AT_REST_POINT_B64 = "wfhqopINiTmKplq7Wv06LRbRBt4Zghk6WNA0JHzmBZgHMgvTOJP6c99XVpQu4I5eiUsCiOtSWbVmTvow4HYNOA==";

/** Size of slot 8 (cryptoauthlib: slots 0-7 36 bytes, 8 416 bytes, 9-15 72 bytes). */
export const IDENTITY_MAX = 416;
