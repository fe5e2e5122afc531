/**
 * EDHOC constants. A module without imports: esbuild inlines the constants of such a
 * module into a device bundle instead of keeping each one as a variable.
 */

/** Hash length of the SHA-256 suites. */
export const HASH_LEN = 32;
/** MAC length of a static-DH side, AES-CCM key and nonce lengths (suites 0 and 2). */
export const MAC_LEN = 8;
export const KEY_LEN = 16;
export const IV_LEN = 13;

/** Error codes of RFC 9528 section 6. */
export const ERR_UNSPECIFIED = 1;
export const ERR_WRONG_SUITE = 2;
export const ERR_UNKNOWN_CRED = 3;

/** Exporter labels of RFC 9528 section 4.2.1 and Appendix A (OSCORE). */
export const LABEL_OSCORE_SECRET = 0;
export const LABEL_OSCORE_SALT = 1;

/** Handshake states. */
export const ST_START = 0;
export const ST_WAIT_M2 = 1;
export const ST_PROC_M2 = 2;
export const ST_VERIFIED_M2 = 3;
export const ST_DONE = 4;
export const ST_PROC_M1 = 5;
export const ST_WAIT_M3 = 6;
export const ST_PROC_M3 = 7;
export const ST_BUSY = 8;
export const ST_DEAD = 9;

/**
 * The steps of edhocStep, one per role's method: 0 message_1 (initiator: create;
 * responder: process), 1 parse message_2/3, 2 verify message_2/3, 3 send message_3/2,
 * 4 message_4 (initiator: process; responder: create).
 */
export const STEP_M1 = 0;
export const STEP_PARSE = 1;
export const STEP_VERIFY = 2;
export const STEP_SEND = 3;
export const STEP_M4 = 4;
