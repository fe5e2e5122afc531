/**
 * Credential constants. A module without imports: esbuild inlines the constants of such a
 * module into a device bundle instead of keeping each one as a variable.
 */

/** CWT claim keys (RFC 8392, RFC 8747). */
export const CLAIM_ISS = 1;
export const CLAIM_SUB = 2;
export const CLAIM_IAT = 6;
export const CLAIM_CNF = 8;
/**
 * pairkit's own claims. One-byte keys, unregistered in IANA's CWT registry: the private-use
 * range (below -65536) costs five bytes a key, 12 bytes of a 200-byte budget
 * (docs/credentials.md). Only pairkit verifiers interpret these credentials.
 */
export const CLAIM_ROLE = -1;
export const CLAIM_MODEL = -2;
export const CLAIM_PATH_LEN = -3;

export const ROLE_DEVICE = 1;
export const ROLE_APP = 2;
export const ROLE_CA = 3;

/** Bytes of a kid: truncated SHA-256 of x || y (docs/credentials.md weighs the length). */
export const KID_LEN = 4;
/** A device credential must fit the budget of a device's storage and of one EDHOC message. */
export const MAX_DEVICE_CRED = 200;
/** Any credential (CA credentials carry longer names). */
export const MAX_CRED = 400;
/** Printable ASCII names: iss and sub at most 64 characters, model at most 32. */
export const MAX_NAME = 64;
export const MAX_MODEL = 32;
/** A chain is at most root -> one intermediate -> end entity, so path lengths are 0 or 1. */
export const MAX_PATH_LEN = 1;

/**
 * Default bound on deny-list entries. The signed list must also fit a device's flash
 * record (MAX_RECORD, 4096 bytes), which the CA checks when it signs: 64 subjects of up
 * to about 60 characters (64 of 64 characters come to 4,309 bytes).
 */
export const DENY_MAX_ENTRIES = 64;

/** pairkit COSE header parameter (private use): the issuing intermediate CA's CWT. */
export const HDR_ISSUER_CWT = -65537;
