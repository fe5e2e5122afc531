/**
 * The confirmation code (short authentication string) shown by both devices, and the
 * commitment that makes it binding.
 *
 * A man in the middle holding a genuine credential (or the CA key) can run EDHOC with both
 * devices. Without a commitment he could grind his ephemeral key on one side until both
 * codes match: a 4-digit code falls to about a thousand key generations. So the initiator
 * commits to a 16-byte nonce N_I in message_1 (EAD: SHA-256(N_I)[0..16]), the responder
 * sends its nonce N_R in message_2, and the initiator reveals N_I inside the encrypted
 * message_3. Every value a man in the middle chooses is fixed before he learns the nonce
 * that randomises the code, so each attempt matches with probability 1 / 1296 and needs a
 * button press on both devices. The code is
 *
 *   EDHOC_Exporter(65010, N_I || N_R, 4) -> four digits 1..6 (blink counts)
 *
 * which also binds it to this session's PRK_out.
 *
 * Espruino subset.
 */
import { concat, type Bytes } from "../bytes";
import type { EadItem } from "../edhoc/messages";

/** EAD labels (non-critical; pairkit devices require them when the code is on). */
export var EAD_SAS_COMMIT = 65010;
export var EAD_SAS_NONCE = 65011;
export var EAD_SAS_REVEAL = 65012;
/** Exporter label of the code. */
export var LABEL_SAS = 65010;
export var SAS_NONCE = 16;

/**
 * Finds the value of an EAD item with a 16-byte value; null when absent or malformed.
 * (The commitment, SHA-256(N_I)[0..16], is computed and checked by the controller.)
 */
export function eadValue(items: EadItem[], label: number): Bytes | null {
  for (var i = 0; i < items.length; i++) {
    var v = items[i].value;
    if (items[i].label === label && v && v.length === SAS_NONCE) return v;
  }
  return null;
}

/** Four digits 1..6 from the session's exporter. */
export function sasDigits(ed: { exporter(label: number, ctx: Bytes, len: number): Bytes }, nI: Bytes, nR: Bytes): number[] {
  var b = ed.exporter(LABEL_SAS, concat([nI, nR]), 4);
  var v = (((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3]) % 1296;
  var d: number[] = [];
  for (var i = 0; i < 4; i++) {
    d.unshift((v % 6) + 1);
    v = Math.floor(v / 6);
  }
  return d;
}
