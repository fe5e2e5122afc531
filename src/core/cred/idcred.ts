/**
 * How pairkit credentials travel in EDHOC (RFC 9528 section 3.5.3). CRED_x is exactly the
 * CWT bytes. ID_CRED_x (encoded map bytes, as the EDHOC code handles them) is
 *
 *   first contact, issued by a root:            {13: CWT}
 *   first contact, issued by an intermediate:   {13: CWT, -65537: intermediate CWT}
 *   once the peer is pinned:                    {4: kid}
 *
 * 13 is `kcwt` (the CWT itself, embedded, not wrapped in a byte string). -65537 is a
 * pairkit header parameter from COSE's private-use range carrying the credential of the
 * CA that issued the CWT, the way x5chain carries certificates next to an X.509 CRED_x:
 * it is not part of CRED_x, so what a device stores, hashes into the transcript and pins
 * stays the CWT of at most 200 bytes. The intermediate needs no protection of its own:
 * validateChain checks its signature against the trust anchors.
 *
 * Espruino subset.
 */
import { concat, EMPTY, type Bytes } from "../bytes";
import { encHead } from "../cbor";
import { parseIdCred } from "../edhoc/messages";
import { isPairkitError, perr } from "../errors";
import { HDR_ISSUER_CWT } from "./consts";

export { HDR_ISSUER_CWT };

/** ID_CRED_x by value: {13: CWT}, plus {-65537: intermediate CWT} when `issuer` is given. */
export function idCredByValue(cred: Bytes, issuer: Bytes | null): Bytes {
  return concat([new Uint8Array([issuer ? 0xa2 : 0xa1, 0x0d]), cred, issuer ? encHead(1, -1 - HDR_ISSUER_CWT) : EMPTY, issuer || EMPTY]);
}

export interface IdCredParts {
  /** Set for a reference ({4: kid}): look the pinned peer up by this kid. */
  kid: Bytes | null;
  /** Set for a value: the peer's CWT exactly as sent (CRED_x), for validateChain. */
  cred: Bytes | null;
  /** The intermediate CA's CWT sent along, for ChainOptions.intermediates (a view into idCred). */
  issuer: Bytes | null;
}

/**
 * Splits an encoded ID_CRED_x map into kid, or CWT (+ intermediate), as raw bytes. Unknown
 * labels, duplicates, kccs, both or neither of kid and kcwt, an intermediate without a
 * CWT, CWTs that are not arrays: CRED_MALFORMED. The CWTs themselves are checked by
 * validateChain; here they are only checked to be well-formed deterministic CBOR, without
 * decoding them into values. The issuer is a view into idCred.
 */
export function readIdCredParts(idCred: Bytes): IdCredParts {
  var p;
  try {
    p = parseIdCred(idCred, true);
  } catch (e) {
    // parseIdCred's EDHOC_MALFORMED or CBOR_* code stays as detail.
    throw perr("CRED_MALFORMED", "ID_CRED_x is not a deterministic CBOR map", isPairkitError(e) ? e.code : undefined);
  }
  var v = p.value;
  var i = p.issuer;
  // 0x8_: a CBOR array (of four: parseCredential checks).
  if (p.other || p.label === 14 || (v && v[0] >> 5 !== 4) || (i && i[0] >> 5 !== 4) || (p.kid ? v || i : !v))
    throw perr("CRED_MALFORMED", "ID_CRED_x is not {4: kid} or {13: CWT[, -65537: CWT]}");
  return { kid: p.kid, cred: v && new Uint8Array(v), issuer: i };
}
