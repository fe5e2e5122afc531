/**
 * Chain validation for pairkit credentials: end entity <- optional intermediate (factory
 * line) CA <- trust anchor (self-issued root CA credential).
 *
 * What is checked, cheapest first so a device spends no secure-element time on a peer it
 * would refuse anyway: structure (parseCredential), the issuer store (kid collisions,
 * anchors are self-issued CAs), the path (issuer found by the protected-header kid, issuer
 * is a CA, iss equals the issuer's sub, at most one intermediate, path-length limits),
 * kid = SHA-256(x || y)[0..4] for every link, the deny list, allowed roles and models;
 * then the ES256 signatures, leaf first; then the policy hook. No validity period is
 * checked: devices are offline and may have no clock (docs/credentials.md).
 *
 * The anchor's own self-signature is not re-checked here: it is checked once, when the
 * anchor is installed (verifyAnchor).
 *
 * Host-only (not in device bundles, src/core/target.ts): the policy's `accept` hook and the
 * ValidatedPeer fields `via` and `anchorKid` (for inspection tools); a device's controller
 * passes roles and models only.
 *
 * Each check takes an optional trailing callback (core/async.ts): with one, no promise is
 * made (the device path: a pending promise costs about 24 variables there) and the
 * callback may run before the check returns (a failure found before any signature, or a
 * provider that answers at once); without one, the check returns a promise.
 *
 * Espruino subset.
 */
import { bytesEqual, type Bytes } from "../bytes";
import { isPairkitError, perr } from "../errors";
import { DEVICE } from "../target";
import type { CryptoProvider } from "../../crypto/provider";
import { promised, type Done } from "../async";
import { KID_LEN } from "./consts";
import { checkSignature, kidOf, parseCredential, type Credential, type Role } from "./format";
import type { DenyList } from "./deny";

export type Verifier = Pick<CryptoProvider, "verify" | "sha256">;

export interface CredPolicy {
  /** Roles a peer may have; default ["device", "app"] (a CA credential is never a peer by default). */
  roles?: Role[];
  /** Models a device or app peer may have; default any. */
  models?: string[];
  /** Last word, after the signatures verified: return false to refuse (CRED_POLICY). Host only. */
  accept?: (peer: ValidatedPeer) => boolean;
}

export interface ChainOptions {
  /** Root CA credentials (self-issued, role ca), as bytes or parsed. */
  anchors: (Bytes | Credential)[];
  /** Intermediate CA credentials: from the local store and/or received with the peer's credential. */
  intermediates?: (Bytes | Credential)[];
  policy?: CredPolicy;
  /** A deny list obtained from verifyDenyList; subjects on it are refused (leaf and intermediate). */
  deny?: DenyList | null;
}

/** The peer's credential as parsed, plus what the chain showed. */
export interface ValidatedPeer extends Credential {
  /** The credential bytes (EDHOC's CRED_x): `bytes` itself. */
  cred: Bytes;
  /** sub of the intermediate CA the chain went through, or null. Host only. */
  via: string | null;
  /** kid of the trust anchor the chain ends at. Host only. */
  anchorKid: Bytes;
}

/**
 * Validates a peer's credential against trust anchors. Resolves with the peer's identity
 * and key; rejects with a PairkitError whose code names the failure class:
 * CRED_MALFORMED, CRED_BAD_ANCHOR, CRED_UNKNOWN_ISSUER, CRED_NOT_CA, CRED_ISSUER_MISMATCH,
 * CRED_PATH_TOO_LONG, CRED_KID_COLLISION, CRED_KID_MISMATCH, CRED_REVOKED,
 * CRED_ROLE_NOT_ALLOWED, CRED_MODEL_NOT_ALLOWED, CRED_BAD_SIGNATURE, CRED_POLICY (or a
 * provider failure such as a secure element that does not answer, unchanged). With k,
 * ends with one call of k and creates no promise (the device path); without, returns a
 * promise.
 */
export function validateChain(crypto: Verifier, credBytes: Bytes, opts: ChainOptions): Promise<ValidatedPeer>;
export function validateChain(crypto: Verifier, credBytes: Bytes, opts: ChainOptions, k: Done<ValidatedPeer>): void;
export function validateChain(crypto: Verifier, credBytes: Bytes, opts: ChainOptions, k?: Done<ValidatedPeer>): any {
  var chain: Credential[];
  var peer: any;
  var pol: CredPolicy;
  var i = 0;
  var c: any;
  var e: any; // the code of a failed check
  var p;
  // The promise form: promised() runs its function at once, so k settles p from here on
  // (calling validateChain again from there would keep two scopes alive while it runs).
  if (!k)
    p = promised(function (d: Done<ValidatedPeer>) {
      k = d;
    });
  try {
    peer = parseCredential(credBytes);
    // The store: anchors (the first na entries), then intermediates. Byte-identical
    // duplicates are merged; two CAs with one kid and different keys are refused. The leaf
    // comes last and is only compared: it may be a store entry itself (an anchor ends the
    // walk at once), and any other entry with its kid is a collision.
    var store: Credential[] = [];
    var all: (Bytes | Credential)[] = opts.anchors || [];
    var nA = all.length;
    all = all.concat(opts.intermediates || [], [peer]);
    var last = all.length - 1;
    var na = 0;
    var top = false;
    var o;
    for (i = 0; i <= last; i++) {
      c = all[i];
      if (c instanceof Uint8Array) c = parseCredential(c, i < nA ? "CRED_BAD_ANCHOR" : "");
      if (i < nA && (c.role !== "ca" || !bytesEqual(c.issuerKid, c.kid) || c.iss !== c.sub))
        throw perr("CRED_BAD_ANCHOR", "anchor '" + c.sub + "' is not a self-issued CA");
      for (var j = 0, add = i < last; j < store.length; j++) {
        o = store[j];
        if (bytesEqual(o.bytes, c.bytes)) {
          add = false;
          if (i === last) top = j < na;
        } else if (bytesEqual(o.kid, c.kid) && (i === last || !bytesEqual(o.pub, c.pub)))
          throw perr("CRED_KID_COLLISION", "'" + o.sub + "' and '" + c.sub + "' share a kid");
      }
      if (add) store.push(c);
      if (i < nA) na = store.length;
    }
    chain = [peer];
    // Walk up by the protected-header kid until an anchor (at most one intermediate).
    for (o = peer; !top; o = c) {
      for (i = 0; i < store.length && !bytesEqual(store[i].kid, o.issuerKid); i++); // the first entry with the issuer kid
      c = store[i];
      top = i < na;
      // One throw for the four checks, taken in this order (device builds drop the message).
      if (e = !c || bytesEqual(c.bytes, o.bytes) ? "CRED_UNKNOWN_ISSUER" : c.role !== "ca" ? "CRED_NOT_CA" : c.sub !== o.iss ? "CRED_ISSUER_MISMATCH"
        : !top && chain.length >= 2 && "CRED_PATH_TOO_LONG")
        throw perr(e, e === "CRED_UNKNOWN_ISSUER" ? "unknown issuer of '" + o.sub + "'" : e === "CRED_NOT_CA" ? "issuer '" + c.sub + "' is not a CA"
          : e === "CRED_ISSUER_MISMATCH" ? "iss of '" + o.sub + "' is not its issuer" : "more than one intermediate CA");
      chain.push(c);
    }
    for (i = 0; i < chain.length; i++) {
      c = chain[i];
      // A CA at position i has i - 1 intermediate CAs below it (the leaf does not count, and
      // its pathLen is at least -1).
      // Then kid = SHA-256(x || y)[0..4] (kidOf), then the deny list (one throw, in this order).
      if (e = i - 1 > c.pathLen ? "CRED_PATH_TOO_LONG" : !bytesEqual(c.kid, crypto.sha256(c.pub).subarray(0, KID_LEN)) ? "CRED_KID_MISMATCH"
        : opts.deny && i < chain.length - 1 && opts.deny.revoked.indexOf(c.sub) >= 0 && "CRED_REVOKED")
        throw perr(e, e === "CRED_PATH_TOO_LONG" ? "path length of '" + c.sub + "' exceeded" : e === "CRED_KID_MISMATCH"
          ? "kid of '" + c.sub + "' does not match its key" : "'" + c.sub + "' is on the deny list");
    }
    pol = opts.policy || {};
    if (e = (pol.roles || ["device", "app"]).indexOf(peer.role) < 0 ? "CRED_ROLE_NOT_ALLOWED"
      : pol.models && peer.role !== "ca" && pol.models.indexOf(peer.model) < 0 && "CRED_MODEL_NOT_ALLOWED")
      throw perr(e, e === "CRED_ROLE_NOT_ALLOWED" ? "role " + peer.role + " not allowed" : "model '" + peer.model + "' not allowed");
    peer.cred = peer.bytes;
    if (!DEVICE) {
      peer.via = chain.length === 3 ? chain[1].sub : null;
      peer.anchorKid = chain[chain.length - 1].kid;
    }
  } catch (err) {
    k!(isPairkitError(err) ? err : perr("CRED_MALFORMED", "internal failure while processing input"));
    return p;
  }
  // ES256 signatures, leaf first, one after the other (each answer starts the next
  // check); then the policy's last word. The first check starts at once: started a tick
  // later, the real-interpreter pairing test (test/espruino) loses the secure element's
  // ephemeral key (SE_EPHEMERAL_LOST). The store is not kept alive meanwhile.
  all = store = c = o = opts = credBytes = null as any;
  i = 0;
  var next = function (e?: any) {
    if (!e && ++i < chain.length) return checkSignature(crypto, chain[i - 1], chain[i].pub, "CRED_BAD_SIGNATURE", next);
    // The policy's hook may throw: that error is the result, as it was from a promise's then.
    if (!DEVICE && !e && pol.accept)
      try {
        if (pol.accept(peer) === false) e = perr("CRED_POLICY", "refused by policy");
      } catch (x) {
        e = x;
      }
    e ? k!(e) : k!(null, peer);
  };
  next();
  return p;
}

/**
 * Checks a trust anchor before it is installed: a self-issued CA credential whose kid
 * derives from its key and whose self-signature verifies. Resolves with (or k receives)
 * the parsed anchor.
 */
export function verifyAnchor(crypto: Verifier, b: Bytes): Promise<Credential>;
export function verifyAnchor(crypto: Verifier, b: Bytes, k: Done<Credential>): void;
export function verifyAnchor(crypto: Verifier, b: Bytes, k?: Done<Credential>): any {
  var c: Credential;
  var p;
  if (!k)
    p = promised(function (d: Done<Credential>) {
      k = d;
    });
  try {
    c = parseCredential(b);
    if (c.role !== "ca" || !bytesEqual(c.issuerKid, c.kid) || c.iss !== c.sub)
      throw perr("CRED_BAD_ANCHOR", "not a self-issued CA");
    if (!bytesEqual(c.kid, kidOf(crypto, c.pub))) throw perr("CRED_KID_MISMATCH", "kid does not match the key");
  } catch (err) {
    k!(isPairkitError(err) ? err : perr("CRED_MALFORMED", "internal failure while processing input"));
    return p;
  }
  checkSignature(crypto, c, c.pub, "CRED_BAD_SIGNATURE", k!);
  return p;
}
