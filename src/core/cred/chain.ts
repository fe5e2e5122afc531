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
 * Espruino subset.
 */
import { bytesEqual, type Bytes } from "../bytes";
import { asPairkitError, perr } from "../errors";
import type { CryptoProvider } from "../../crypto/provider";
import { checkSignature, kidOf, parseCredential, wrapErr, type Credential, type Role } from "./format";
import type { DenyList } from "./deny";

export type Verifier = Pick<CryptoProvider, "verify" | "sha256">;

export interface CredPolicy {
  /** Roles a peer may have; default ["device", "app"] (a CA credential is never a peer by default). */
  roles?: Role[];
  /** Models a device or app peer may have; default any. */
  models?: string[];
  /** Last word, after the signatures verified: return false to refuse (CRED_POLICY). */
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

export interface ValidatedPeer {
  sub: string;
  model: string;
  role: Role;
  kid: Bytes;
  /** 64 bytes x || y. */
  pub: Bytes;
  issuerKid: Bytes;
  iss: string;
  iat: number;
  /** The credential bytes (EDHOC's CRED_x). */
  cred: Bytes;
  /** sub of the intermediate CA the chain went through, or null. */
  via: string | null;
  /** kid of the trust anchor the chain ends at. */
  anchorKid: Bytes;
}

interface Entry {
  c: Credential;
  /** true for a trust anchor. */
  a: boolean;
}

/**
 * Parses the trust store (anchors first, then intermediates), drops byte-identical
 * duplicates and refuses two entries with the same kid but different keys.
 */
function buildStore(opts: ChainOptions): Entry[] {
  var store: Entry[] = [];
  var lists = [opts.anchors || [], opts.intermediates || []];
  for (var l = 0; l < 2; l++) {
    for (var i = 0; i < lists[l].length; i++) {
      var x = lists[l][i];
      var c: Credential;
      try {
        c = x instanceof Uint8Array ? parseCredential(x) : x;
      } catch (e) {
        throw wrapErr(e, l === 0 ? "CRED_BAD_ANCHOR" : "CRED_MALFORMED");
      }
      if (l === 0 && (c.role !== "ca" || !bytesEqual(c.issuerKid, c.kid) || c.iss !== c.sub))
        throw perr("CRED_BAD_ANCHOR", "anchor '" + c.sub + "' is not a self-issued CA");
      var dup = false;
      for (var j = 0; j < store.length; j++) {
        var o = store[j].c;
        if (bytesEqual(o.bytes, c.bytes)) dup = true;
        else if (bytesEqual(o.kid, c.kid) && !bytesEqual(o.pub, c.pub))
          throw perr("CRED_KID_COLLISION", "CAs '" + o.sub + "' and '" + c.sub + "' share a kid");
      }
      if (!dup) store.push({ c: c, a: l === 0 });
    }
  }
  return store;
}

function verifyLinks(crypto: Verifier, chain: Credential[], i: number): Promise<void> {
  if (i >= chain.length - 1) return Promise.resolve();
  return checkSignature(crypto, chain[i], chain[i + 1].pub, "CRED_BAD_SIGNATURE").then(function () {
    return verifyLinks(crypto, chain, i + 1);
  });
}

/**
 * Validates a peer's credential against trust anchors. Resolves with the peer's identity
 * and key; rejects with a PairkitError whose code names the failure class:
 * CRED_MALFORMED, CRED_BAD_ANCHOR, CRED_UNKNOWN_ISSUER, CRED_NOT_CA, CRED_ISSUER_MISMATCH,
 * CRED_PATH_TOO_LONG, CRED_KID_COLLISION, CRED_KID_MISMATCH, CRED_REVOKED,
 * CRED_ROLE_NOT_ALLOWED, CRED_MODEL_NOT_ALLOWED, CRED_BAD_SIGNATURE, CRED_POLICY (or a
 * provider failure such as a secure element that does not answer, unchanged).
 */
export function validateChain(crypto: Verifier, credBytes: Bytes, opts: ChainOptions): Promise<ValidatedPeer> {
  var chain: Credential[];
  var peer: ValidatedPeer;
  var pol: CredPolicy = {};
  try {
    var leaf = parseCredential(credBytes);
    var store = buildStore(opts);
    var i, e: Entry | null;
    var top = false;
    for (i = 0; i < store.length; i++) {
      var s = store[i];
      if (bytesEqual(s.c.bytes, leaf.bytes)) top = s.a;
      else if (bytesEqual(s.c.kid, leaf.kid))
        throw perr("CRED_KID_COLLISION", "kid equals that of CA '" + s.c.sub + "'");
    }
    chain = [leaf];
    var cur = leaf;
    // Walk up by the protected-header kid until an anchor (at most one intermediate).
    while (!top) {
      e = null;
      for (i = 0; i < store.length && !e; i++) if (bytesEqual(store[i].c.kid, cur.issuerKid)) e = store[i];
      if (!e || e.c === cur || bytesEqual(e.c.bytes, cur.bytes))
        throw perr("CRED_UNKNOWN_ISSUER", "unknown issuer of '" + cur.sub + "'");
      if (e.c.role !== "ca") throw perr("CRED_NOT_CA", "issuer '" + e.c.sub + "' is not a CA");
      if (e.c.sub !== cur.iss) throw perr("CRED_ISSUER_MISMATCH", "iss of '" + cur.sub + "' is not its issuer");
      if (!e.a && chain.length >= 2) throw perr("CRED_PATH_TOO_LONG", "more than one intermediate CA");
      chain.push(e.c);
      top = e.a;
      cur = e.c;
    }
    var d = opts.deny;
    for (i = 0; i < chain.length; i++) {
      var c = chain[i];
      // A CA at position i has i - 1 intermediate CAs below it (the leaf does not count).
      if (i >= 1 && i - 1 > c.pathLen) throw perr("CRED_PATH_TOO_LONG", "path length of '" + c.sub + "' exceeded");
      if (!bytesEqual(c.kid, kidOf(crypto, c.pub))) throw perr("CRED_KID_MISMATCH", "kid of '" + c.sub + "' does not match its key");
      if (d && i < chain.length - 1 && d.revoked.indexOf(c.sub) >= 0) throw perr("CRED_REVOKED", "'" + c.sub + "' is on the deny list");
    }
    pol = opts.policy || {};
    if ((pol.roles || ["device", "app"]).indexOf(leaf.role) < 0) throw perr("CRED_ROLE_NOT_ALLOWED", "role " + leaf.role + " not allowed");
    if (pol.models && leaf.role !== "ca" && pol.models.indexOf(leaf.model) < 0) throw perr("CRED_MODEL_NOT_ALLOWED", "model '" + leaf.model + "' not allowed");
    peer = {
      sub: leaf.sub, model: leaf.model, role: leaf.role, kid: leaf.kid, pub: leaf.pub, issuerKid: leaf.issuerKid,
      iss: leaf.iss, iat: leaf.iat, cred: leaf.bytes, via: chain.length === 3 ? chain[1].sub : null,
      anchorKid: chain[chain.length - 1].kid,
    };
  } catch (err) {
    return Promise.reject(asPairkitError(err, "CRED_MALFORMED"));
  }
  return verifyLinks(crypto, chain, 0).then(function () {
    if (pol.accept && pol.accept(peer) === false) throw perr("CRED_POLICY", "refused by policy");
    return peer;
  });
}

/**
 * Checks a trust anchor before it is installed: a self-issued CA credential whose kid
 * derives from its key and whose self-signature verifies. Resolves with the parsed anchor.
 */
export function verifyAnchor(crypto: Verifier, b: Bytes): Promise<Credential> {
  var c: Credential;
  try {
    c = parseCredential(b);
    if (c.role !== "ca" || !bytesEqual(c.issuerKid, c.kid) || c.iss !== c.sub)
      throw perr("CRED_BAD_ANCHOR", "not a self-issued CA");
    if (!bytesEqual(c.kid, kidOf(crypto, c.pub))) throw perr("CRED_KID_MISMATCH", "kid does not match the key");
  } catch (err) {
    return Promise.reject(asPairkitError(err, "CRED_MALFORMED"));
  }
  return checkSignature(crypto, c, c.pub, "CRED_BAD_SIGNATURE").then(function () {
    return c;
  });
}
