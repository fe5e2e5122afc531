/**
 * AES-CCM (RFC 3610, NIST SP 800-38C) with associated data, composed from an AES block
 * function. Shared by every provider: @noble/ciphers has no CCM, and Espruino's native
 * `ccmEncrypt` takes no associated data and is missing on most boards.
 *
 * A block cipher provides, besides one-block encryption:
 *   cbcMac(key, data)   last block of AES-CBC with a zero IV over data (a multiple of 16
 *                       bytes, 4-byte aligned)
 *   ctr(key, iv, data)  data (a multiple of 16 bytes, 4-byte aligned) XOR the AES-CTR key
 *                       stream starting at counter block iv (128-bit big-endian increment;
 *                       iv is not modified). It may work in place on data (ccm passes
 *                       its own scratch); inPlace says it does.
 * On Espruino both are a few native calls, which keeps per-byte loops out of the
 * interpreter; src/crypto/device/aes.ts builds them from any one-block encryption
 * (blockModes) for boards without native AES, so this file has no per-block loops.
 *
 * One buffer holds everything: [B_0 | encoded AAD, zero-padded | payload, zero-padded |
 * 16 spare]. The 16 bytes just before the payload are the last block of the CBC-MAC
 * header; once the MAC is done (seal) or before the header is written (open) they hold the
 * tag, so that ONE CTR pass from A_0 over [tag | payload] applies S_0 to the tag and
 * S_1.. to the payload. Seal: MAC, CTR, then the tag is copied behind the ciphertext and
 * the result is a view of the buffer. Open: CTR, the tag is saved into the spare block,
 * the header is written, MAC, and the tags are compared as 32-bit words.
 *
 * Written in the Espruino subset.
 */
import type { Bytes } from "../core/bytes";
import { perr } from "../core/errors";
import { I, U } from "./device/common";

export interface BlockCipher {
  /** AES-128 encryption of one 16-byte block. */
  encryptBlock(key: Bytes, block: Bytes): Bytes;
  cbcMac(key: Bytes, data: Bytes): Bytes;
  ctr(key: Bytes, iv: Bytes, data: Bytes): Bytes;
  /**
   * True when ctr XORs data in place (and returns it): ccm then copies nothing back. (In
   * Espruino 2v29 an identity test of typed arrays compares contents, and copying a view
   * onto itself is slow: 0.7 million instructions for 272 bytes.)
   */
  inPlace?: boolean;
}

/**
 * Seals (open = false: data is the plaintext, returns ciphertext || tag) or opens
 * (open = true: data is ciphertext || tag, returns the plaintext or null when the tag is
 * wrong). The nonce length n gives L = 15 - n; tagLen is M. Results are views of a
 * scratch buffer that also holds public header bytes.
 */
export function ccm(bc: BlockCipher, key: Bytes, nonce: Bytes, aad: Bytes, data: Bytes, tagLen: number, open: boolean): Bytes | null {
  // Few locals: each costs a variable while the native calls below run (the peak).
  var L = 15 - nonce.length, i, t;
  if (key.length !== 16) throw perr("CRYPTO_BAD_KEY", "AES-128 key must be 16 bytes");
  if (L < 2 || L > 8) throw perr("CRYPTO_BAD_NONCE", "CCM nonce must be 7 to 13 bytes");
  if (tagLen < 4 || tagLen > 16 || tagLen & 1) throw perr("CRYPTO_BAD_TAG", "CCM tag length must be even, 4 to 16");
  var mlen = data.length - (open ? tagLen : 0);
  if (mlen < 0) return null;
  // Lengths are below 2^32 (typed arrays on every target).
  if (L < 4 && mlen >= 1 << (8 * L)) throw perr("CRYPTO_TOO_LONG", "CCM message too long for the nonce size");
  // t is the AAD's length until the length encoding below consumes it.
  var ahdr = (t = aad.length) ? (t < 0xff00 ? 2 : 6) : 0;
  // p: payload offset (B_0 and the padded AAD); e: end of the MAC input, start of the spare block.
  var p = (t + ahdr + 31) & ~15, e = p + ((mlen + 15) & ~15);
  var b = new U(e + 16);
  var s = b.subarray(p - 16, e);
  // Counter block A_0; the CTR pass counts up from it.
  var a0 = new U(16);
  a0[0] = L - 1;
  a0.set(nonce, 1);

  b.set(data, p);
  if (open) {
    // The received tag goes into the slot.
    b.set(b.subarray(p + mlen, p + mlen + tagLen), p - 16);
    // s ^= the key stream from A_0.
    i = bc.ctr(key, a0, s);
    if (!bc.inPlace) s.set(i);
    // Keep the received tag (XOR S_0) in the spare block, then clear what the header does
    // not overwrite: the AAD's padding and the payload's. (In Espruino 2v29 fill() costs
    // about 1.2 thousand instructions per element of the whole array, whatever the range:
    // fill views of the ranges.)
    b.set(b.subarray(p - 16, p), e);
    b.subarray(16 + ahdr + t, p).fill(0);
    b.subarray(p + mlen, e).fill(0);
  }

  // B_0: flags, nonce, message length (all L bytes); then the AAD length encoding and the
  // AAD. Both lengths are big-endian and adjacent: one loop from the AAD length's last byte
  // down, switching to the message length at byte 15.
  b[0] = (ahdr && 64) | ((tagLen - 2) << 2) | (L - 1);
  b.set(nonce, 1);
  for (i = 15 + ahdr; i > 15 - L; i--, t >>>= 8) b[i] = (i === 15 ? (t = mlen) : t) & 255;
  if (ahdr === 6) {
    b[16] = 0xff;
    b[17] = 0xfe;
  }
  b.set(aad, 16 + ahdr);

  // T, the CBC-MAC, is copied into b at once (not kept in a variable, which would also keep
  // the native result it may be a view of): opening, to b[0, 16) (free now); sealing, to
  // the tag slot before the payload.
  b.set(bc.cbcMac(key, b.subarray(0, e)), open ? 0 : p - 16);
  if (open) {
    // Compare T with the saved tag on tagLen bytes: T's bytes past tagLen are made equal
    // to the saved ones, then four word XORs.
    b.set(b.subarray(e + tagLen), tagLen);
    t = new I(b.buffer);
    i = e >> 2;
    if ((t[0] ^ t[i]) | (t[1] ^ t[i + 1]) | (t[2] ^ t[i + 2]) | (t[3] ^ t[i + 3])) {
      b.fill(0);
      return null;
    }
    return b.subarray(p, p + mlen);
  }
  t = bc.ctr(key, a0, s);
  if (!bc.inPlace) s.set(t);
  b.set(b.subarray(p - 16, p - 16 + tagLen), p + mlen);
  return b.subarray(p, p + mlen + tagLen);
}
