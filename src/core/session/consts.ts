/**
 * Numbers of the session record and fast reconnect formats (re-exported by session.ts and
 * reconnect.ts). They live in a module without imports on purpose: esbuild inlines
 * `const` numbers into the bundle only from such modules; a module with a runtime import
 * keeps each of its constants as a top-level variable, which costs Espruino variables.
 */

/**
 * Private-range EDHOC exporter labels (RFC 9528 section 4.2.1: 65000..65535). Each yields
 * 29 bytes = AES key (16) || IV (13) for one direction, context h''.
 */
export const LABEL_SESSION_I2R = 65000;
export const LABEL_SESSION_R2I = 65001;

/** Record types (top two bits of the header byte). */
export const REC_DATA = 0;
export const REC_CLOSE = 1;
export const REC_CONFIRM = 2;

export const REC_TAG_LEN = 8;
/** Largest sequence number the header can carry; the send side never goes past it. */
export const REC_SEQ_LIMIT = 4294967296;

/**
 * Layout of Session.k: per direction PRK (32) || key (16) || IV (13) = 61 bytes, the send
 * direction at 0 and the receive direction at KEYS_RX.
 */
export const KEYS_KEY = 32;
export const KEYS_IV = 48;
export const KEYS_RX = 61;

/** Exporter label of the 32-byte pairing secret a binding stores (private range). */
export const LABEL_PAIRING_SECRET = 65002;

/** Reconnect message types. */
export const RC_HELLO_I = 1;
export const RC_HELLO_R = 2;
export const RC_REFUSE = 3;
/** REFUSE reasons: the responder's policy wants a full EDHOC run; the initiator is not bound here. */
export const RC_WANT_EDHOC = 1;
export const RC_UNKNOWN = 2;

export const RC_NONCE_LEN = 16;
/** Longest identity accepted in a hello. */
export const RC_MAX_ID = 64;
