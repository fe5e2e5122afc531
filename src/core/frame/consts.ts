/**
 * Numbers of the framing format (re-exported by frame.ts). A module without imports on
 * purpose: esbuild inlines `const` numbers into the bundle only from such modules.
 */

/** Channels (the high nibble of byte 0). 5..15 are free for applications. */
export const CH_EDHOC = 1;
export const CH_ERROR = 2;
export const CH_SESSION = 3;
export const CH_RECONNECT = 4;

export const FRAME_HDR = 2;
export const FRAME_MAX_FRAGS = 128;
