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
import { concat, type Bytes } from "../bytes";
import { atEnd, encHead, readBstr, readHead, readInt, readRaw, reader } from "../cbor";
import { perr } from "../errors";
import { wrapErr } from "./format";

/** pairkit COSE header parameter (private use): the issuing intermediate CA's CWT. */
export var HDR_ISSUER_CWT = -65537;

/** ID_CRED_x by value: {13: CWT}, plus {-65537: intermediate CWT} when `issuer` is given. */
export function idCredByValue(cred: Bytes, issuer: Bytes | null): Bytes {
  if (!issuer) return concat([new Uint8Array([0xa1, 0x0d]), cred]);
  return concat([new Uint8Array([0xa2, 0x0d]), cred, encHead(1, -1 - HDR_ISSUER_CWT), issuer]);
}

export interface IdCredParts {
  /** Set for a reference ({4: kid}): look the pinned peer up by this kid. */
  kid: Bytes | null;
  /** Set for a value: the peer's CWT exactly as sent (CRED_x), for validateChain. */
  cred: Bytes | null;
  /** The intermediate CA's CWT sent along, for ChainOptions.intermediates. */
  issuer: Bytes | null;
}

/**
 * Splits an encoded ID_CRED_x map into kid, or CWT (+ intermediate), as raw bytes. Unknown
 * labels, duplicates, both or neither of kid and kcwt, an intermediate without a CWT:
 * CRED_MALFORMED. The CWTs themselves are checked by validateChain.
 */
export function readIdCredParts(idCred: Bytes): IdCredParts {
  var res: IdCredParts = { kid: null, cred: null, issuer: null };
  var M = "CRED_MALFORMED";
  try {
    var r = reader(idCred, true);
    if (readHead(r) !== 5) throw perr(M, "ID_CRED_x must be a map");
    var n = r.n;
    for (var i = 0; i < n; i++) {
      var k = readInt(r);
      var raw = readRaw(r);
      if (k === 4 && !res.kid) res.kid = readBstr(reader(raw));
      else if (k === 13 && !res.cred && raw[0] >> 5 === 4) res.cred = new Uint8Array(raw);
      else if (k === HDR_ISSUER_CWT && !res.issuer && raw[0] >> 5 === 4) res.issuer = new Uint8Array(raw);
      else throw perr(M, "bad ID_CRED_x label " + k);
    }
    if (!atEnd(r)) throw perr(M, "bytes after ID_CRED_x");
  } catch (e) {
    throw wrapErr(e, M);
  }
  if (res.kid ? res.cred || res.issuer : !res.cred) throw perr(M, "ID_CRED_x is not {4: kid} or {13: CWT}");
  return res;
}
