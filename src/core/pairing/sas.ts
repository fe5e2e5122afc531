/**
 * The confirmation code (short authentication string) shown by both devices, and the
 * commitment that makes it binding.
 *
 * A man in the middle holding a genuine credential (or the CA key) can run EDHOC with both
 * devices. Without a commitment he could grind his ephemeral key on one side until both
 * codes match: a 4-digit code falls to about a thousand key generations. So the initiator
 * commits to a 16-byte nonce N_I in message_1 (EAD: SHA-256(N_I)[0..16]), the responder
 * sends its nonce N_R in message_2, and the initiator reveals N_I inside the encrypted
 * message_3 (the controller checks it against the commitment). Every value a man in the
 * middle chooses is fixed before he learns the nonce that randomises the code, so each
 * attempt matches with probability 1 / 1296 and needs a button press on both devices.
 * The code is
 *
 *   EDHOC_Exporter(65010, N_I || N_R, 4) -> four digits 1..6 (blink counts)
 *
 * which also binds it to this session's PRK_out. The controller derives it where it shows
 * it (one function fewer on a device).
 *
 * This module also holds the constants of the pairing controller and of the bindings
 * record. It has no imports (types only), so esbuild inlines its constants into device
 * bundles instead of keeping each as a variable.
 *
 * Espruino subset.
 */
import type { EadItem } from "../edhoc/messages";

/** EAD labels (non-critical; pairkit devices require them when the code is on). */
export const EAD_SAS_COMMIT = 65010;
export const EAD_SAS_NONCE = 65011;
export const EAD_SAS_REVEAL = 65012;
/** Exporter label of the code. */
export const LABEL_SAS = 65010;
export const SAS_NONCE = 16;

/** Window kinds (the third byte of an advertisement). */
export const WIN_NONE = 0, WIN_PAIR = 1, WIN_REPLACE = 2;

/** Connection phases. */
export const P_HANDSHAKE = 0, P_CONFIRM = 1, P_STAGED = 2, P_READY = 3, P_CLOSED = 4;

/** Control messages inside session data records: first byte. */
export const M_CONFIRM = 1, M_PING = 2, M_PONG = 3, M_DENYVER = 4, M_DENYREQ = 5, M_DENY = 6, M_APP = 7;

/** Flash record of the newest deny list. */
export const DENY_RECORD = "pkd";

/** Flash record of the bindings (bindings.ts) and the length of its AES-CCM nonce. */
export const BINDINGS_RECORD = "pkb";
export const BINDINGS_NONCE = 13;

/** Finds the value of an EAD item with a 16-byte value; null when absent or malformed. */
export function eadValue(items: EadItem[], label: number): Uint8Array | null {
  for (var i = 0; i < items.length; i++) {
    var v = items[i].value;
    if (items[i].label === label && v && v.length === SAS_NONCE) return v;
  }
  return null;
}
