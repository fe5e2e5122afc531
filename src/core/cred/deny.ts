/**
 * Revocation for offline devices: a deny list is a COSE_Sign1 (the credential envelope:
 * protected {1: -7, 4: kid}, empty unprotected header) signed by a trust anchor over
 *
 *   [version, [sub, ...]]     version: uint >= 1; subs: printable ASCII, strictly
 *                             ascending (JavaScript string order), so unique
 *
 * A device accepts a new list only when its signature verifies against a trust anchor and
 * its version is strictly higher than the one it holds (no rollback), and only up to a
 * bounded number of entries (64 by default). Revoking an intermediate CA's sub refuses
 * every credential issued through it.
 *
 * Espruino subset.
 */
import { bytesEqual, type Bytes } from "../bytes";
import { encode, readAs, reader } from "../cbor";
import { isPairkitError, perr } from "../errors";
import type { CryptoProvider } from "../../crypto/provider";
import { DENY_MAX_ENTRIES, MAX_NAME } from "./consts";
import { checkName, checkSignature, parseCredential, parseSigned, wrapErr, type Credential, type Signed } from "./format";

export { DENY_MAX_ENTRIES };

export interface DenyList extends Signed {
  version: number;
  /** Revoked subject ids, ascending. */
  revoked: string[];
  /** True only on lists returned by verifyDenyList (acceptDenyList refuses others). */
  verified: boolean;
}

/**
 * Parses a deny list strictly (signature not checked). Errors: DENY_TOO_LARGE (more than
 * maxEntries entries, or more bytes than such a list can take), DENY_MALFORMED.
 */
export function parseDenyList(b: Bytes, maxEntries?: number): DenyList {
  var max = maxEntries === undefined ? DENY_MAX_ENTRIES : maxEntries;
  var bound = 96 + max * (MAX_NAME + 2);
  if (b instanceof Uint8Array && b.length > bound) throw perr("DENY_TOO_LARGE", "deny list over " + bound + " bytes");
  var M = "DENY_MALFORMED";
  var s = parseSigned(b, bound, M);
  var list: string[] = [];
  var n = 0;
  var v = 0;
  try {
    var r = reader(s.payload, true);
    v = readAs(r, 4) === 2 ? readAs(r, -1) : 0;
    if (v < 1) throw perr(M, "payload is not [version, [sub, ...]]");
    n = readAs(r, 4);
    for (var i = 0; i < n && n <= max; i++) {
      list.push(checkName(readAs(r, 3), MAX_NAME, "revoked subject", M));
      if (i > 0 && !(list[i - 1] < list[i])) throw perr(M, "subjects not ascending and unique");
    }
    if (n <= max && r.p < s.payload.length) throw perr(M, "bytes after the deny list");
  } catch (e) {
    throw wrapErr(e, M);
  }
  if (n > max) throw perr("DENY_TOO_LARGE", "deny list over " + max + " entries");
  return { bytes: s.bytes, prot: s.prot, payload: s.payload, sig: s.sig, issuerKid: s.issuerKid, version: v, revoked: list, verified: false };
}

/**
 * Parses a deny list and checks that a trust anchor signed it. Errors: those of
 * parseDenyList, DENY_UNKNOWN_ISSUER, DENY_BAD_SIGNATURE.
 */
export function verifyDenyList(crypto: Pick<CryptoProvider, "verify">, b: Bytes, anchors: (Bytes | Credential)[], maxEntries?: number): Promise<DenyList> {
  var d: DenyList;
  var signer: Credential | null = null;
  try {
    d = parseDenyList(b, maxEntries);
    for (var i = 0; i < anchors.length && !signer; i++) {
      var a = anchors[i];
      var c = a instanceof Uint8Array ? parseCredential(a) : a;
      if (c.role === "ca" && bytesEqual(c.kid, d.issuerKid)) signer = c;
    }
    if (!signer) throw perr("DENY_UNKNOWN_ISSUER", "signer is not a trust anchor");
  } catch (e) {
    return Promise.reject(isPairkitError(e) ? e : perr("DENY_MALFORMED", "internal failure while processing input"));
  }
  return checkSignature(crypto, d, signer.pub, "DENY_BAD_SIGNATURE").then(function () {
    d.verified = true;
    return d;
  });
}

/**
 * Decides whether a verified candidate replaces the current list: only a strictly higher
 * version from the same anchor. Returns the list to keep; throws DENY_UNVERIFIED,
 * DENY_WRONG_ISSUER or DENY_ROLLBACK (the current list stays).
 */
export function acceptDenyList(current: DenyList | null, candidate: DenyList): DenyList {
  if (!candidate || candidate.verified !== true) throw perr("DENY_UNVERIFIED", "deny list was not verified");
  if (current) {
    if (!bytesEqual(current.issuerKid, candidate.issuerKid)) throw perr("DENY_WRONG_ISSUER", "signed by another trust anchor");
    if (candidate.version <= current.version)
      throw perr("DENY_ROLLBACK", "version " + candidate.version + " is not above " + current.version);
  }
  return candidate;
}

/** The deny-list payload for a CA to sign: [version, sorted unique subs]. */
export function encodeDenyPayload(version: number, revoked: string[]): Bytes {
  var l = revoked.slice().sort();
  var out: string[] = [];
  for (var i = 0; i < l.length; i++) if (i === 0 || l[i] !== l[i - 1]) out.push(l[i]);
  return encode([version, out]);
}
