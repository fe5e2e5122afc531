/**
 * EDHOC key derivation (RFC 9528 section 4): EDHOC_KDF, EDHOC_Exporter and
 * EDHOC_KeyUpdate, for SHA-256 suites (hash length 32).
 */
import { concat, EMPTY, wipe, type Bytes } from "../bytes";
import { encHead } from "../cbor";
import { perr } from "../errors";
import { HASH_LEN, LABEL_OSCORE_SALT, LABEL_OSCORE_SECRET } from "./consts";
import type { SymmetricCrypto } from "../../crypto/provider";

export { HASH_LEN, LABEL_OSCORE_SALT, LABEL_OSCORE_SECRET };

/**
 * EDHOC_KDF(PRK, label, context, length) = HKDF-Expand(PRK, info, length) with
 * info = (label: uint, context: bstr, length: uint) as a CBOR sequence. The context may
 * be given in parts (concatenated into info directly, without an intermediate copy).
 */
export function edhocKdf(c: SymmetricCrypto, prk: Bytes, label: number, context: Bytes | Bytes[], length: number): Bytes {
  if (label < 0 || label !== Math.floor(label)) throw perr("EDHOC_INTERNAL", "EDHOC_KDF label must be an unsigned integer");
  // A byte string is one part (concat spreads arrays, not typed arrays).
  var parts = ([] as Bytes[]).concat(context);
  var n = 0;
  for (var i = 0; i < parts.length; i++) n += parts[i].length;
  return c.hkdfExpand(prk, concat([encHead(0, label), encHead(2, n)].concat(parts, encHead(0, length))), length);
}

/** PRK_exporter = EDHOC_KDF(PRK_out, 10, h'', hash_length). */
export function prkExporter(c: SymmetricCrypto, prkOut: Bytes): Bytes {
  return edhocKdf(c, prkOut, 10, EMPTY, HASH_LEN);
}

/**
 * EDHOC_Exporter(label, context, length) = EDHOC_KDF(PRK_exporter, label, context, length).
 * Labels 0..23 belong to IANA's registry; applications use the private range 65000..65535.
 */
export function edhocExporter(c: SymmetricCrypto, prkOut: Bytes, label: number, context: Bytes, length: number): Bytes {
  var prk = prkExporter(c, prkOut);
  var out = edhocKdf(c, prk, label, context, length);
  wipe(prk);
  return out;
}

/** EDHOC_KeyUpdate(context): PRK_out' = EDHOC_KDF(PRK_out, 11, context, hash_length). */
export function edhocKeyUpdate(c: SymmetricCrypto, prkOut: Bytes, context: Bytes): Bytes {
  return edhocKdf(c, prkOut, 11, context, HASH_LEN);
}
