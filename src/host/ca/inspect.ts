/**
 * Readable descriptions of pairkit PKI files: credentials, trust anchors, deny lists and
 * CA key files (whose secrets are never decrypted or shown), with the chain status against
 * given trust anchors.
 */
import { bytesEqual, toHex } from "../../core/bytes";
import { isPairkitError, perr } from "../../core/errors";
import {
  MAX_DEVICE_CRED, parseCredential, parseDenyList, validateChain, verifyAnchor, verifyDenyList, type Credential, type DenyList,
} from "../../core/cred/index";
import { createNobleProvider, type NobleProvider } from "../../crypto/noble";
import { KEY_FILE_LEN, keyFileInfo } from "./keystore";

export interface InspectOptions {
  anchors?: Uint8Array[];
  intermediates?: Uint8Array[];
  deny?: Uint8Array | null;
  crypto?: NobleProvider;
}

export type Status = { status: "valid" } | { status: "invalid"; code: string; message: string } | { status: "not checked"; reason: string };

export interface Inspection {
  kind: "credential" | "trust-anchor" | "deny-list" | "ca-key" | "private-key";
  size: number;
  [k: string]: unknown;
}

function failure(e: unknown): Status {
  if (isPairkitError(e)) return { status: "invalid", code: e.code, message: e.message };
  return { status: "invalid", code: "INTERNAL", message: String((e as Error).message || e) };
}

async function settle(p: Promise<unknown>): Promise<Status> {
  try {
    await p;
    return { status: "valid" };
  } catch (e) {
    return failure(e);
  }
}

function describeCred(c: Credential): Record<string, unknown> {
  const o: Record<string, unknown> = {
    role: c.role, sub: c.sub, iss: c.iss, iat: c.iat, issued: new Date(c.iat * 1000).toISOString(),
  };
  if (c.role === "ca") o.pathLen = c.pathLen;
  else o.model = c.model;
  o.key = { kty: "EC2", crv: "P-256", kid: toHex(c.kid), x: toHex(c.pub.subarray(0, 32)), y: toHex(c.pub.subarray(32)) };
  o.issuerKid = toHex(c.issuerKid);
  o.selfIssued = bytesEqual(c.kid, c.issuerKid) && c.iss === c.sub;
  return o;
}

/** Describes one file's bytes. Unknown content is INSPECT_UNKNOWN. */
export async function inspectBytes(b: Uint8Array, o: InspectOptions): Promise<Inspection> {
  const crypto = o.crypto || createNobleProvider();
  const anchors = o.anchors || [];
  if (b.length === 32) return { kind: "private-key", size: 32, note: "a raw 32-byte private key; contents not shown" };
  if (b.length === KEY_FILE_LEN && b[0] === 0x50) {
    try {
      const k = keyFileInfo(b);
      return { kind: "ca-key", size: b.length, encryption: "AES-256-GCM (header authenticated)", kdf: { alg: "scrypt", N: 2 ** k.log2N, r: k.r, p: k.p }, curve: "P-256", note: "encrypted; inspect never decrypts it" };
    } catch {
      // not a key file after all
    }
  }
  let cred: Credential | null = null;
  let credErr: unknown = null;
  try {
    cred = parseCredential(b);
  } catch (e) {
    credErr = e;
  }
  if (cred) {
    const self = cred.role === "ca" && bytesEqual(cred.kid, cred.issuerKid) && cred.iss === cred.sub;
    const r: Inspection = { kind: self ? "trust-anchor" : "credential", size: b.length, ...describeCred(cred) };
    if (cred.role === "device") r.deviceBudget = { limit: MAX_DEVICE_CRED, used: b.length };
    if (self) r.selfSignature = await settle(verifyAnchor(crypto, b));
    let deny: DenyList | null = null;
    if (o.deny) {
      try {
        deny = await verifyDenyList(crypto, o.deny, anchors, 65536);
        r.denyList = { status: "valid", version: deny.version, entries: deny.revoked.length };
      } catch (e) {
        r.denyList = failure(e);
      }
    }
    if (anchors.length === 0) r.chain = { status: "not checked", reason: "no --trust-anchor given" };
    else {
      try {
        for (const a of anchors) await verifyAnchor(crypto, a);
        const peer = await validateChain(crypto, b, { anchors, intermediates: o.intermediates || [], deny, policy: { roles: ["device", "app", "ca"] } });
        const anchor = anchors.map((a) => parseCredential(a)).find((a) => bytesEqual(a.kid, peer.anchorKid));
        const path = [peer.sub];
        if (peer.via) path.push(peer.via);
        if (anchor && !(anchor.sub === peer.sub && self)) path.push(anchor.sub);
        r.chain = { status: "valid", path, anchorKid: toHex(peer.anchorKid) };
      } catch (e) {
        r.chain = failure(e);
      }
    }
    return r;
  }
  let deny: DenyList | null = null;
  try {
    deny = parseDenyList(b, 65536);
  } catch {
    // neither
  }
  if (deny) {
    const r: Inspection = { kind: "deny-list", size: b.length, version: deny.version, signerKid: toHex(deny.issuerKid), revoked: deny.revoked };
    r.signature = anchors.length === 0 ? { status: "not checked", reason: "no --trust-anchor given" } : await settle(verifyDenyList(crypto, b, anchors, 65536));
    if (deny.revoked.length > 64) r.note = `more than 64 entries: devices with the default limit refuse it`;
    return r;
  }
  const why = isPairkitError(credErr) ? `${credErr.code}: ${credErr.message}` : "unreadable";
  throw perr("INSPECT_UNKNOWN", `not a pairkit credential, trust anchor, deny list or CA key (as a credential: ${why})`);
}

/** Human-readable text of an inspection. */
export function formatInspection(r: Inspection): string {
  const out: string[] = [];
  const st = (s: unknown): string => {
    const x = s as Status & { path?: string[]; anchorKid?: string };
    if (x.status === "valid") return x.path ? `valid: ${x.path.join(" <- ")} (trust anchor kid ${x.anchorKid})` : "valid";
    if (x.status === "invalid") return `INVALID: ${x.code}: ${x.message}`;
    return `not checked (${x.reason})`;
  };
  if (r.kind === "private-key" || r.kind === "ca-key") {
    out.push(`${r.kind === "ca-key" ? "CA private key file (encrypted)" : "raw private key"}, ${r.size} bytes`);
    if (r.kind === "ca-key") {
      const k = r.kdf as { N: number; r: number; p: number };
      out.push(`  encryption  ${r.encryption}`, `  kdf         scrypt N=${k.N} r=${k.r} p=${k.p}`, `  curve       ${r.curve}`);
    }
    out.push(`  ${r.note}`);
    return out.join("\n");
  }
  if (r.kind === "deny-list") {
    const rev = r.revoked as string[];
    out.push(`deny list, ${r.size} bytes`, `  version     ${r.version}`, `  signer kid  ${r.signerKid}`, `  signature   ${st(r.signature)}`);
    out.push(`  revoked     ${rev.length === 0 ? "(none)" : rev.join(", ")}`);
    if (r.note) out.push(`  note        ${r.note}`);
    return out.join("\n");
  }
  const key = r.key as { kid: string; x: string; y: string };
  out.push(`${r.kind === "trust-anchor" ? "trust anchor (self-issued root CA credential)" : `credential (${r.role})`}, ${r.size} bytes` +
    (r.deviceBudget ? ` of the ${MAX_DEVICE_CRED}-byte device budget` : ""));
  out.push(`  sub         ${r.sub}`, `  iss         ${r.iss}`, `  role        ${r.role}`);
  if (r.role === "ca") out.push(`  path length ${r.pathLen}`);
  else out.push(`  model       ${r.model}`);
  out.push(`  iat         ${r.iat} (${r.issued})`);
  out.push(`  key         EC2 P-256, kid ${key.kid}`, `    x         ${key.x}`, `    y         ${key.y}`);
  out.push(`  issuer kid  ${r.issuerKid}`);
  if (r.selfSignature) out.push(`  self-signature ${st(r.selfSignature)}`);
  if (r.denyList) out.push(`  deny list   ${st(r.denyList)}`);
  out.push(`  chain       ${st(r.chain)}`);
  return out.join("\n");
}
