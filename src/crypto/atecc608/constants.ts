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

/** Driver power states (driver.ts). */
export const ST_ASLEEP = 0;
export const ST_IDLE = 1;
export const ST_AWAKE = 2;

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

/** Size of slot 8 (cryptoauthlib: slots 0-7 36 bytes, 8 416 bytes, 9-15 72 bytes). */
export const IDENTITY_MAX = 416;
