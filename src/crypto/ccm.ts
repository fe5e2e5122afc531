/**
 * AES-CCM (RFC 3610, NIST SP 800-38C) with associated data, composed from an AES block
 * function. Shared by every provider: @noble/ciphers has no CCM, and Espruino's native
 * `ccmEncrypt` takes no associated data and is missing on most boards.
 *
 * A block cipher may offer two native fast paths, used when present:
 *   cbcMac(key, data)   last block of AES-CBC with a zero IV over data (a multiple of 16 bytes)
 *   ctr(key, iv, data)  data XOR the AES-CTR key stream starting at counter block iv
 *                       (128-bit big-endian increment)
 * On Espruino both are single native calls, which keeps per-byte loops out of the
 * interpreter; the generic path below needs only encryptBlock.
 *
 * Written in the Espruino subset.
 */
import type { Bytes } from "../core/bytes";
import { perr } from "../core/errors";

export interface BlockCipher {
  /** AES-128 encryption of one 16-byte block. */
  encryptBlock(key: Bytes, block: Bytes): Bytes;
  cbcMac?: (key: Bytes, data: Bytes) => Bytes;
  ctr?: (key: Bytes, iv: Bytes, data: Bytes) => Bytes;
}

/**
 * Seals (open = false: data is the plaintext, returns ciphertext || tag) or opens
 * (open = true: data is ciphertext || tag, returns the plaintext or null when the tag is
 * wrong). The nonce length n gives L = 15 - n; tagLen is M.
 */
export function ccm(bc: BlockCipher, key: Bytes, nonce: Bytes, aad: Bytes, data: Bytes, tagLen: number, open: boolean): Bytes | null {
  var n = nonce.length;
  var L = 15 - n;
  if (key.length !== 16) throw perr("CRYPTO_BAD_KEY", "AES-128 key must be 16 bytes");
  if (n < 7 || n > 13) throw perr("CRYPTO_BAD_NONCE", "CCM nonce must be 7 to 13 bytes");
  if (tagLen < 4 || tagLen > 16 || (tagLen & 1)) throw perr("CRYPTO_BAD_TAG", "CCM tag length must be even, 4 to 16");
  var mlen = data.length - (open ? tagLen : 0);
  if (mlen < 0) return null;
  if (L < 4 && mlen >= 1 << (8 * L)) throw perr("CRYPTO_TOO_LONG", "CCM message too long for the nonce size");
  var i, j;

  // Counter block A_0; A_1 follows by incrementing the last L bytes.
  var ctr = new Uint8Array(16);
  ctr[0] = L - 1;
  ctr.set(nonce, 1);

  var out = new Uint8Array(mlen);
  var pt: Bytes;
  // Encrypt or decrypt the payload with counters starting at 1.
  ctr[15] = 1;
  if (mlen > 0) {
    var src = data.subarray(0, mlen);
    if (bc.ctr) out.set(bc.ctr(key, ctr, src));
    else {
      var cb = new Uint8Array(ctr);
      for (i = 0; i < mlen; i += 16) {
        var ks = bc.encryptBlock(key, cb);
        var e = i + 16 < mlen ? i + 16 : mlen;
        for (j = i; j < e; j++) out[j] = src[j] ^ ks[j - i];
        for (j = 15; j > 15 - L; j--) {
          cb[j] = (cb[j] + 1) & 255;
          if (cb[j] !== 0) break;
        }
      }
    }
  }
  pt = open ? out : data;
  ctr[15] = 0;

  // CBC-MAC input: B_0 || encoded AAD (padded) || payload (padded).
  var alen = aad.length;
  var ahdr = alen === 0 ? 0 : alen < 0xff00 ? 2 : 6;
  var apad = alen + ahdr === 0 ? 0 : ((alen + ahdr + 15) >> 4) << 4;
  var mpad = ((mlen + 15) >> 4) << 4;
  var mac = new Uint8Array(16 + apad + mpad);
  mac[0] = (alen > 0 ? 64 : 0) | (((tagLen - 2) >> 1) << 3) | (L - 1);
  mac.set(nonce, 1);
  var ml = mlen;
  for (i = 15; i > 15 - L; i--) {
    mac[i] = ml & 255;
    ml = Math.floor(ml / 256);
  }
  if (alen > 0) {
    if (ahdr === 2) {
      mac[16] = alen >> 8;
      mac[17] = alen & 255;
    } else {
      mac[16] = 0xff;
      mac[17] = 0xfe;
      mac[18] = (alen >>> 24) & 255;
      mac[19] = (alen >> 16) & 255;
      mac[20] = (alen >> 8) & 255;
      mac[21] = alen & 255;
    }
    mac.set(aad, 16 + ahdr);
  }
  mac.set(pt, 16 + apad);
  var t: Bytes;
  if (bc.cbcMac) t = bc.cbcMac(key, mac);
  else {
    t = new Uint8Array(16);
    for (i = 0; i < mac.length; i += 16) {
      for (j = 0; j < 16; j++) t[j] ^= mac[i + j];
      t = bc.encryptBlock(key, t);
    }
  }
  var s0 = bc.encryptBlock(key, ctr);
  var tag = new Uint8Array(tagLen);
  for (i = 0; i < tagLen; i++) tag[i] = t[i] ^ s0[i];

  if (open) {
    var d = 0;
    for (i = 0; i < tagLen; i++) d |= tag[i] ^ data[mlen + i];
    if (d !== 0) {
      out.fill(0);
      return null;
    }
    return out;
  }
  var res = new Uint8Array(mlen + tagLen);
  res.set(out, 0);
  res.set(tag, mlen);
  return res;
}
