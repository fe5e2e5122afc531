/**
 * The manufacturer CA on the host: root and intermediate (factory line) CAs, device and
 * app credential issuance (single and batch), and deny lists.
 *
 * A CA directory holds
 *   ca.key             the CA's P-256 scalar, encrypted (keystore.ts), mode 0600
 *   ca.cred            the CA's own credential (self-issued for a root)
 *   trust-anchor.cred  the root credential: what devices and apps install as trust anchor
 *   state.json         the next serial number for batch ids
 *   issued.jsonl       one line per credential issued (sub, kid, role, model, iat)
 *   denylist.cbor      the latest deny list (root only), plus denylist-<version>.cbor
 *
 * Device output directories get <ID>.cred (the CWT, EDHOC's CRED_x), <ID>.key (raw 32-byte
 * scalar, 0600, only with generated keys), <ID>.chain (the issuing intermediate's
 * credential, when the issuer is not the root) and trust-anchor.cred.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { p256 } from "@noble/curves/nist.js";
import { bytesEqual, fromHex, toHex, wipe, type Bytes } from "../../core/bytes";
import { perr } from "../../core/errors";
import { MAX_RECORD } from "../../core/store/records";
import {
  DENY_MAX_ENTRIES, MAX_DEVICE_CRED, MAX_MODEL, MAX_NAME, assembleSigned, checkName, encodeClaims, encodeDenyPayload,
  kidOf, parseCredential, parseDenyList, signedProtected, toBeSigned, validateChain, verifyAnchor, verifyDenyList,
  type Credential, type DenyList, type Role,
} from "../../core/cred/index";
import { createNobleProvider, type NobleProvider } from "../../crypto/noble";
import { CRV_P256, type PrivateKeyRef } from "../../crypto/provider";
import { KeyPool, type GeneratedKey } from "./keypool";
import { decryptCaKey, encryptCaKey, writeFileAtomic, writeFileAtomicAsync, type KdfParams } from "./keystore";

export var FILE_KEY = "ca.key";
export var FILE_CRED = "ca.cred";
export var FILE_ANCHOR = "trust-anchor.cred";
export var FILE_STATE = "state.json";
export var FILE_LOG = "issued.jsonl";
export var FILE_DENY = "denylist.cbor";

/** A CA directory read from disk, key still encrypted. */
export interface CaDir {
  dir: string;
  keyFile: Uint8Array;
  cred: Credential;
  anchor: Credential;
  isRoot: boolean;
}

/** A CA ready to sign. */
export interface LoadedCa extends CaDir {
  crypto: NobleProvider;
  priv: PrivateKeyRef;
}

export interface IssueRequest {
  sub: string;
  role: Role;
  model?: string;
  pathLen?: number;
  /** 64 bytes x || y. */
  pub: Bytes;
  /** Seconds since 1970; default now. */
  iat?: number;
}

var ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A device id doubles as a file name: letters, digits, '.', '_', '-', not starting with a dot; 1..64 characters. */
export function checkId(id: string): string {
  if (typeof id !== "string" || id.length > MAX_NAME || !ID_RE.test(id))
    throw perr("CA_BAD_ID", "device id must be 1 to 64 of A-Z a-z 0-9 . _ - and start with a letter or digit");
  return id;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Signs a credential. For devices the 200-byte budget is enforced here with an
 * explanation (CA_CRED_TOO_LARGE); the result always passes parseCredential.
 */
export async function signCredential(crypto: NobleProvider, priv: PrivateKeyRef, issuer: { sub: string; kid: Bytes }, req: IssueRequest): Promise<Bytes> {
  checkName(req.sub, MAX_NAME, "subject", "CA_BAD_NAME");
  if (req.role !== "ca") checkName(req.model, MAX_MODEL, "model", "CA_BAD_NAME");
  var payload = encodeClaims({
    iss: issuer.sub, sub: req.sub, iat: req.iat === undefined ? now() : req.iat, role: req.role,
    model: req.model, pathLen: req.pathLen, kid: kidOf(crypto, req.pub), pub: req.pub,
  });
  var prot = signedProtected(issuer.kid);
  var size = assembleSigned(prot, payload, new Uint8Array(64)).length;
  if (req.role === "device" && size > MAX_DEVICE_CRED) {
    var names = issuer.sub.length + req.sub.length + (req.model || "").length;
    throw perr("CA_CRED_TOO_LARGE", `device credential would be ${size} bytes (limit ${MAX_DEVICE_CRED}): issuer name, device id and model ` +
      `total ${names} characters, at most ${names - (size - MAX_DEVICE_CRED)} fit`);
  }
  var sig = await crypto.sign(priv, toBeSigned(prot, payload));
  var cwt = assembleSigned(prot, payload, sig);
  parseCredential(cwt);
  return cwt;
}

/** Reads a public key file: raw 64-byte x || y, 65-byte SEC1 uncompressed, or hex of either. */
export function readPublicKey(data: Uint8Array): Bytes {
  var b: Uint8Array = data;
  if (b.length !== 64 && b.length !== 65) {
    var text = Buffer.from(b).toString("latin1").trim();
    try {
      b = /^[0-9a-fA-F]+$/.test(text) ? fromHex(text) : new Uint8Array(0);
    } catch {
      b = new Uint8Array(0);
    }
  }
  if (b.length === 65 && b[0] === 4) b = b.subarray(1);
  if (b.length !== 64) throw perr("CA_BAD_PUBKEY", "public key must be 64 bytes x||y, 65 bytes 04||x||y, or the hex of either");
  var enc = new Uint8Array(65);
  enc[0] = 4;
  enc.set(b, 1);
  try {
    p256.Point.fromBytes(enc).assertValidity();
  } catch {
    throw perr("CA_BAD_PUBKEY", "public key is not a point on P-256");
  }
  return new Uint8Array(b);
}

function readIf(path: string): Uint8Array | null {
  return existsSync(path) ? new Uint8Array(readFileSync(path)) : null;
}

/** Reads and checks a CA directory without touching the key. */
export function readCaDir(dir: string): CaDir {
  var keyFile = readIf(join(dir, FILE_KEY));
  var credB = readIf(join(dir, FILE_CRED));
  var anchorB = readIf(join(dir, FILE_ANCHOR));
  if (!keyFile || !credB || !anchorB) throw perr("CA_NOT_FOUND", `${dir} is not a CA directory (needs ${FILE_KEY}, ${FILE_CRED} and ${FILE_ANCHOR})`);
  var cred = parseCredential(credB);
  var anchor = parseCredential(anchorB);
  if (cred.role !== "ca") throw perr("CRED_NOT_CA", `${FILE_CRED} is not a CA credential`);
  return { dir: dir, keyFile: keyFile, cred: cred, anchor: anchor, isRoot: bytesEqual(cred.bytes, anchor.bytes) };
}

/**
 * Decrypts the CA key and checks the directory's consistency: the key matches the
 * credential, the anchor's self-signature verifies, and an intermediate chains to it.
 */
export async function unlockCa(d: CaDir, passphrase: string, crypto?: NobleProvider): Promise<LoadedCa> {
  var c = crypto || createNobleProvider();
  var scalar = decryptCaKey(d.keyFile, passphrase);
  var kp;
  try {
    kp = c.importPrivateKey(CRV_P256, scalar);
  } finally {
    wipe(scalar);
  }
  if (!bytesEqual(kp.pub, d.cred.pub)) throw perr("CA_KEY_MISMATCH", `${FILE_KEY} does not belong to ${FILE_CRED}`);
  await verifyAnchor(c, d.anchor.bytes);
  if (!d.isRoot) await validateChain(c, d.cred.bytes, { anchors: [d.anchor.bytes], policy: { roles: ["ca"] } });
  return { dir: d.dir, keyFile: d.keyFile, cred: d.cred, anchor: d.anchor, isRoot: d.isRoot, crypto: c, priv: kp.priv };
}

function logIssued(dir: string, creds: Credential[]): void {
  var lines = "";
  for (var c of creds) lines += JSON.stringify({ sub: c.sub, kid: toHex(c.kid), role: c.role, model: c.model, iat: c.iat, iss: c.iss }) + "\n";
  appendFileSync(join(dir, FILE_LOG), lines, { mode: 0o644 });
}

function readState(dir: string): { serial: number } {
  var b = readIf(join(dir, FILE_STATE));
  if (!b) return { serial: 1 };
  try {
    var s = JSON.parse(Buffer.from(b).toString("utf8"));
    if (typeof s.serial === "number" && s.serial >= 1 && s.serial === Math.floor(s.serial)) return { serial: s.serial };
  } catch {
    // fall through
  }
  throw perr("CA_STATE", `${join(dir, FILE_STATE)} is damaged`);
}

function writeState(dir: string, s: { serial: number }): void {
  writeFileAtomic(join(dir, FILE_STATE), JSON.stringify(s) + "\n", 0o644);
}

/** Writes a new CA directory's files; ca.key last-created check first so nothing is overwritten. */
function writeCaDir(dir: string, scalar: Uint8Array, passphrase: string, cred: Bytes, anchor: Bytes, kdf?: Partial<KdfParams>): void {
  writeFileAtomic(join(dir, FILE_KEY), encryptCaKey(scalar, passphrase, kdf), 0o600, true);
  writeFileAtomic(join(dir, FILE_CRED), cred, 0o644);
  writeFileAtomic(join(dir, FILE_ANCHOR), anchor, 0o644);
  writeState(dir, { serial: 1 });
}

function prepareNewDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(join(dir, FILE_KEY))) throw perr("CA_EXISTS", `${dir} already holds a CA key`);
}

export interface InitOptions {
  dir: string;
  name: string;
  passphrase: string;
  /** How many intermediate CAs may follow the root: 0 or 1 (default 1). */
  pathLen?: number;
  kdf?: Partial<KdfParams>;
  crypto?: NobleProvider;
}

/** Creates a root CA: key, self-issued credential (role ca), trust-anchor file. */
export async function initRootCa(o: InitOptions): Promise<Credential> {
  checkName(o.name, MAX_NAME, "CA name", "CA_BAD_NAME");
  var pathLen = o.pathLen === undefined ? 1 : o.pathLen;
  if (pathLen !== 0 && pathLen !== 1) throw perr("CA_PATH_LEN", "root path length must be 0 or 1");
  prepareNewDir(o.dir);
  var c = o.crypto || createNobleProvider();
  var scalar = p256.utils.randomSecretKey();
  try {
    var kp = c.importPrivateKey(CRV_P256, scalar);
    var kid = kidOf(c, kp.pub);
    var cwt = await signCredential(c, kp.priv, { sub: o.name, kid: kid }, { sub: o.name, role: "ca", pathLen: pathLen, pub: kp.pub });
    writeCaDir(o.dir, scalar, o.passphrase, cwt, cwt, o.kdf);
  } finally {
    wipe(scalar);
  }
  var cred = parseCredential(cwt);
  logIssued(o.dir, [cred]);
  return cred;
}

/** Creates an intermediate (factory line) CA in `out`, certified by a root CA. */
export async function createIntermediate(root: LoadedCa, o: { name: string; out: string; passphrase: string; kdf?: Partial<KdfParams> }): Promise<Credential> {
  checkName(o.name, MAX_NAME, "CA name", "CA_BAD_NAME");
  if (!root.isRoot) throw perr("CA_PATH_LEN", "an intermediate CA cannot issue another CA (at most one intermediate)");
  if (root.cred.pathLen < 1) throw perr("CA_PATH_LEN", "this root was created with path length 0: it cannot have intermediates");
  if (o.name === root.cred.sub) throw perr("CA_BAD_NAME", "an intermediate needs a name different from its root's");
  prepareNewDir(o.out);
  var c = root.crypto;
  var scalar = p256.utils.randomSecretKey();
  try {
    var kp = c.importPrivateKey(CRV_P256, scalar);
    var kid = kidOf(c, kp.pub);
    if (bytesEqual(kid, root.cred.kid)) throw perr("CRED_KID_COLLISION", "new key's kid equals the root's; run again");
    var cwt = await signCredential(c, root.priv, root.cred, { sub: o.name, role: "ca", pathLen: 0, pub: kp.pub });
    writeCaDir(o.out, scalar, o.passphrase, cwt, root.anchor.bytes, o.kdf);
  } finally {
    wipe(scalar);
  }
  var cred = parseCredential(cwt);
  logIssued(root.dir, [cred]);
  logIssued(o.out, [cred]);
  return cred;
}

export interface DeviceOptions {
  id: string;
  model: string;
  role?: "device" | "app";
  /** The device's public key (from its secure element); or generate one. */
  pub?: Bytes;
  generate?: boolean;
  /** With generate: a pre-generated key pair (batch key pool). */
  key?: GeneratedKey;
  out: string;
  iat?: number;
}

export interface IssuedDevice {
  id: string;
  cred: Credential;
  /** Files written, in order. */
  files: string[];
}

/** Makes sure an output directory holds this CA's trust anchor (writes it when absent). */
function prepareOut(ca: LoadedCa, out: string): void {
  mkdirSync(out, { recursive: true });
  var p = join(out, FILE_ANCHOR);
  var have = readIf(p);
  if (!have) writeFileAtomic(p, ca.anchor.bytes, 0o644);
  else if (!bytesEqual(have, ca.anchor.bytes)) throw perr("CA_EXISTS", `${p} holds a different trust anchor; use another --out directory`);
}

function chainKid(ca: LoadedCa, pub: Bytes): boolean {
  var k = kidOf(ca.crypto, pub);
  return bytesEqual(k, ca.cred.kid) || bytesEqual(k, ca.anchor.kid);
}

/** Signs one device credential (and makes its key with `generate`); no files yet. */
async function makeDevice(ca: LoadedCa, o: DeviceOptions): Promise<{ id: string; cwt: Bytes; scalar: Uint8Array | null }> {
  var id = checkId(o.id);
  var scalar: Uint8Array | null = null;
  var pub = o.pub;
  try {
    // A device whose kid equals a kid of its own chain could never validate
    // (CRED_KID_COLLISION): a generated key is simply drawn again (odds 2^-31).
    if (o.generate && o.key) {
      scalar = o.key.scalar;
      pub = o.key.pub;
    }
    for (var tries = 0; o.generate && tries < 8 && (!pub || chainKid(ca, pub)); tries++) {
      wipe(scalar);
      scalar = p256.utils.randomSecretKey();
      pub = ca.crypto.importPrivateKey(CRV_P256, scalar).pub;
    }
    if (!pub) throw perr("CLI_USAGE", "a public key or --generate is needed");
    if (chainKid(ca, pub)) throw perr("CRED_KID_COLLISION", "the device key's kid equals the kid of a CA in its chain; the device needs a new key");
    var cwt = await signCredential(ca.crypto, ca.priv, ca.cred, { sub: id, role: o.role || "device", model: o.model, pub: pub, iat: o.iat });
    return { id: id, cwt: cwt, scalar: scalar };
  } catch (e) {
    wipe(scalar);
    throw e;
  }
}

/** The files of one device: [path, bytes, mode, exclusive]: key (if any) first, then credential, then chain. */
function deviceFiles(ca: LoadedCa, out: string, d: { id: string; cwt: Bytes; scalar: Uint8Array | null }): [string, Uint8Array, number, boolean][] {
  var f: [string, Uint8Array, number, boolean][] = [];
  if (d.scalar) f.push([join(out, d.id + ".key"), d.scalar, 0o600, true]);
  f.push([join(out, d.id + ".cred"), d.cwt, 0o644, true]);
  if (!ca.isRoot) f.push([join(out, d.id + ".chain"), ca.cred.bytes, 0o644, false]);
  return f;
}

/** Issues one device (or app) credential into `out`. */
export async function issueDevice(ca: LoadedCa, o: DeviceOptions): Promise<IssuedDevice> {
  prepareOut(ca, o.out);
  var d = await makeDevice(ca, o);
  var files: string[] = [];
  try {
    if (existsSync(join(o.out, d.id + ".cred"))) throw perr("CA_EXISTS", `${join(o.out, d.id + ".cred")} already exists; refusing to overwrite`);
    for (var f of deviceFiles(ca, o.out, d)) {
      writeFileAtomic(f[0], f[1], f[2], f[3]);
      files.push(f[0]);
    }
  } finally {
    wipe(d.scalar);
  }
  var cred = parseCredential(d.cwt);
  logIssued(ca.dir, [cred]);
  return { id: d.id, cred: cred, files: files };
}

export interface BatchOptions {
  count: number;
  model: string;
  out: string;
  /** Prepended to the 8-digit serial number that makes each id. */
  prefix?: string;
  onProgress?: (done: number, total: number) => void;
  /** Key-generation worker threads (default: cores - 1, at most 2; 0: none). */
  threads?: number;
}

export interface BatchResult {
  ids: string[];
  seconds: number;
  /** Credentials issued per second (signing and writing included). */
  rate: number;
  /** Key-generation worker threads used. */
  threads: number;
}

async function writeDeviceAsync(ca: LoadedCa, out: string, d: { id: string; cwt: Bytes; scalar: Uint8Array | null }): Promise<Credential> {
  try {
    for (var f of deviceFiles(ca, out, d)) await writeFileAtomicAsync(f[0], f[1], f[2], f[3]);
  } finally {
    wipe(d.scalar);
  }
  return parseCredential(d.cwt);
}

/**
 * Issues `count` simulated devices (generated keys) with ids prefix + serial. Serials are
 * reserved in state.json before any file is written, so two batches never reuse an id.
 */
export async function issueBatch(ca: LoadedCa, o: BatchOptions): Promise<BatchResult> {
  if (!(o.count >= 1 && o.count <= 1000000 && o.count === Math.floor(o.count))) throw perr("CLI_USAGE", "count must be 1 to 1000000");
  var prefix = o.prefix || "";
  checkId(prefix + "00000000");
  checkName(o.model, MAX_MODEL, "model", "CA_BAD_NAME");
  prepareOut(ca, o.out);
  var st = readState(ca.dir);
  var first = st.serial;
  writeState(ca.dir, { serial: first + o.count });
  var t0 = process.hrtime.bigint();
  var ids: string[] = [];
  var creds: Credential[] = [];
  var inflight: Promise<void>[] = [];
  var failed: unknown = null;
  var done = 0;
  // Key pairs come from a worker thread on a multi-core machine; signing stays here.
  var pool = await KeyPool.create(o.threads === undefined ? Math.min(availableParallelism() - 1, 2) : o.threads);
  var threads = pool.threads;
  try {
    for (var i = 0; i < o.count && !failed; i++) {
      var d = await makeDevice(ca, { id: prefix + String(first + i).padStart(8, "0"), model: o.model, generate: true, key: pool.next(), out: o.out });
      // Signing continues on this thread while the thread pool writes earlier devices.
      inflight.push(writeDeviceAsync(ca, o.out, d).then(function (cred) {
        creds.push(cred);
        ids.push(cred.sub);
        done++;
        if (o.onProgress) o.onProgress(done, o.count);
      }, function (e) {
        if (!failed) failed = e;
      }));
      if (inflight.length >= 32) await inflight.shift();
    }
    await Promise.all(inflight);
    if (failed) throw failed;
  } finally {
    await pool.close();
    if (creds.length) logIssued(ca.dir, creds);
  }
  ids.sort();
  var seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ids: ids, seconds: seconds, rate: o.count / seconds, threads: threads };
}

/** The CA's current deny list (verified against its own credential), or null. */
export async function currentDenyList(ca: LoadedCa | CaDir, crypto: NobleProvider, maxEntries?: number): Promise<DenyList | null> {
  var b = readIf(join(ca.dir, FILE_DENY));
  if (!b) return null;
  return verifyDenyList(crypto, b, [ca.cred], maxEntries);
}

/**
 * Adds subjects to the deny list: signs version current + 1 with the root key and writes
 * denylist-<version>.cbor (never overwritten) and denylist.cbor (replaced atomically).
 */
export async function revoke(ca: LoadedCa, ids: string[], maxEntries?: number): Promise<{ list: DenyList; path: string; added: string[] }> {
  if (!ca.isRoot) throw perr("CA_NOT_ROOT", "deny lists are signed by the root CA (trust anchor); use the root's directory");
  var max = maxEntries === undefined ? DENY_MAX_ENTRIES : maxEntries;
  for (var id of ids) checkName(id, MAX_NAME, "subject id", "CA_BAD_ID");
  var cur = await currentDenyList(ca, ca.crypto, Math.max(max, 1 << 16));
  var list = cur ? cur.revoked.slice() : [];
  var added: string[] = [];
  for (var s of ids) if (list.indexOf(s) < 0 && added.indexOf(s) < 0) added.push(s);
  if (added.length === 0) throw perr("CA_ALREADY_REVOKED", "every given id is already on the deny list (version " + (cur ? cur.version : 0) + ")");
  list = list.concat(added);
  if (list.length > max) throw perr("DENY_TOO_LARGE", `the deny list would hold ${list.length} entries; devices accept at most ${max}`);
  var version = cur ? cur.version + 1 : 1;
  var payload = encodeDenyPayload(version, list);
  var prot = signedProtected(ca.cred.kid);
  var sig = await ca.crypto.sign(ca.priv, toBeSigned(prot, payload));
  var bytes = assembleSigned(prot, payload, sig);
  // Devices keep the list as one flash record: a list they cannot store would leave the
  // revocation unapplied on every device, so it is not published.
  if (bytes.length > MAX_RECORD) throw perr("DENY_TOO_LARGE", `the signed deny list would be ${bytes.length} bytes; a device stores at most ${MAX_RECORD}`);
  var parsed = parseDenyList(bytes, max);
  var path = join(ca.dir, `denylist-${version}.cbor`);
  writeFileAtomic(path, bytes, 0o644, true);
  writeFileAtomic(join(ca.dir, FILE_DENY), bytes, 0o644);
  return { list: parsed, path: path, added: added };
}
