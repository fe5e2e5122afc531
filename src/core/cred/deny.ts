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
 * every credential issued through it. The parsing itself is format.ts's parseSigned.
 *
 * Espruino subset.
 */
import { bytesEqual, type Bytes } from "../bytes";
import { encode } from "../cbor";
import { isPairkitError, perr } from "../errors";
import type { CryptoProvider } from "../../crypto/provider";
import { promised, type Done } from "../async";
import { DENY_MAX_ENTRIES } from "./consts";
import { checkSignature, parseCredential, parseSigned, type Credential, type Signed } from "./format";

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
  return parseSigned(b, "DENY_MALFORMED", maxEntries === undefined ? DENY_MAX_ENTRIES : maxEntries) as DenyList;
}

/**
 * Parses a deny list and checks that a trust anchor signed it. Errors: those of
 * parseDenyList, DENY_UNKNOWN_ISSUER, DENY_BAD_SIGNATURE. With k, ends with one call of
 * k and creates no promise (the device path); without, returns a promise.
 */
export function verifyDenyList(crypto: Pick<CryptoProvider, "verify">, b: Bytes, anchors: (Bytes | Credential)[], maxEntries?: number): Promise<DenyList>;
export function verifyDenyList(crypto: Pick<CryptoProvider, "verify">, b: Bytes, anchors: (Bytes | Credential)[], maxEntries: number | undefined, k: Done<DenyList>): void;
export function verifyDenyList(crypto: Pick<CryptoProvider, "verify">, b: Bytes, anchors: (Bytes | Credential)[], maxEntries?: number, k?: Done<DenyList>): any {
  var d: DenyList;
  var signer: any;
  var i, c, p;
  // The promise form: promised() runs its function at once, so k settles p from here on.
  if (!k)
    p = promised(function (f: Done<DenyList>) {
      k = f;
    });
  try {
    d = parseSigned(b, "DENY_MALFORMED", maxEntries === undefined ? DENY_MAX_ENTRIES : maxEntries) as DenyList;
    for (i = 0; i < anchors.length && !signer; i++) {
      c = anchors[i];
      c = c instanceof Uint8Array ? parseCredential(c) : c;
      if (c.role === "ca" && bytesEqual(c.kid, d.issuerKid)) signer = c;
    }
    if (!signer) throw perr("DENY_UNKNOWN_ISSUER", "signer is not a trust anchor");
  } catch (e) {
    k!(isPairkitError(e) ? e : perr("DENY_MALFORMED", "internal failure while processing input"));
    return p;
  }
  checkSignature(crypto, d, signer.pub, "DENY_BAD_SIGNATURE", function (e: any, v?: DenyList) {
    if (v) v.verified = true;
    k!(e, v);
  });
  return p;
}

/**
 * Decides whether a verified candidate replaces the current list: only a strictly higher
 * version from the same anchor. Returns the list to keep; throws DENY_UNVERIFIED,
 * DENY_WRONG_ISSUER or DENY_ROLLBACK (the current list stays).
 */
export function acceptDenyList(current: DenyList | null, candidate: DenyList): DenyList {
  // The code of the first failed check (one perr call: device builds drop the message).
  var e = !candidate || candidate.verified !== true ? "DENY_UNVERIFIED"
    : current && (!bytesEqual(current.issuerKid, candidate.issuerKid) ? "DENY_WRONG_ISSUER" : candidate.version <= current.version && "DENY_ROLLBACK");
  if (e)
    throw perr(e, e === "DENY_UNVERIFIED" ? "deny list was not verified" : e === "DENY_WRONG_ISSUER" ? "signed by another trust anchor"
      : "version " + candidate.version + " is not above " + current!.version);
  return candidate;
}

/** The deny-list payload for a CA to sign: [version, sorted unique subs]. */
export function encodeDenyPayload(version: number, revoked: string[]): Bytes {
  var l = revoked.slice().sort();
  var out: string[] = [];
  for (var i = 0; i < l.length; i++) if (i === 0 || l[i] !== l[i - 1]) out.push(l[i]);
  return encode([version, out]);
}
