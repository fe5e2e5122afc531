/**
 * `pairkit interop`: EDHOC over plain TCP for testing against other implementations.
 *
 * Contract (stable): one TCP connection carries one EDHOC session; every message, error
 * messages included, is a 2-byte big-endian length followed by exactly the bytes RFC 9528
 * defines; the responder always sends message_4; frames over 4096 bytes, malformed input
 * and a peer silent for 10 s end only that session, with an EDHOC error message where the
 * protocol allows one.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { appendFileSync } from "node:fs";
import { toHex, type Bytes } from "../core/bytes";
import { EdhocInitiator, EdhocResponder, edhocErrorMessage, type OwnCredential, type PeerCredential, type PeerHello } from "../core/edhoc/edhoc";
import { encodeIdBytes, errorMessage } from "../core/edhoc/messages";
import { isPairkitError, perr } from "../core/errors";
import { createNobleProvider, type NobleProvider } from "../crypto/noble";
import { ownIdCred, resolvePeer, type PeerPolicy } from "./peers";

export var MAX_FRAME = 4096;

export interface InteropConfig {
  method: number;
  suite: number;
  /** Raw private authentication key (32 bytes). */
  key: Bytes;
  /** Our CRED_x. */
  cred: Bytes;
  /** The intermediate CA credential that issued ours (sent along with a CWT). */
  chain?: Bytes | null;
  peers: PeerPolicy;
  keylog?: string;
  /** Silence limit per message, default 10 s. */
  timeoutMs?: number;
  crypto?: NobleProvider;
}

export interface SessionResult {
  ok: boolean;
  /** One line naming the failure. */
  error?: string;
  code?: string;
  prkOut?: Bytes;
  connIdI?: Bytes;
  sizes: number[];
  method: number;
  suite: number;
  peer?: string;
}

/** The curve our authentication key must be on, from suite, method and role. */
export function authCurve(suite: number, method: number, initiator: boolean): number {
  if (suite === 2) return 1;
  if (suite !== 0) throw perr("CLI_USAGE", "suite must be 0 or 2");
  var staticDh = initiator ? (method & 2) === 2 : (method & 1) === 1;
  return staticDh ? 4 : 6;
}

function ownCredential(cfg: InteropConfig, c: NobleProvider, initiator: boolean): OwnCredential {
  if (cfg.method < 0 || cfg.method > 3 || cfg.method !== Math.floor(cfg.method)) throw perr("CLI_USAGE", "method must be 0, 1, 2 or 3");
  var kp = c.importPrivateKey(authCurve(cfg.suite, cfg.method, initiator), cfg.key);
  return { priv: kp.priv, cred: cfg.cred, idCred: ownIdCred(cfg.cred, kp.pub, cfg.chain) };
}

/** Reads 2-byte length-prefixed frames from a socket, with a silence time-out. */
class FrameReader {
  private buf = Buffer.alloc(0);
  private waiters: { resolve: (b: Bytes) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private failure: Error | null = null;
  private frames: Bytes[] = [];

  constructor(sock: Socket, private timeoutMs: number) {
    sock.on("data", (d: Buffer) => this.onData(d));
    sock.on("close", () => this.fail(perr("INTEROP_CLOSED", "peer closed the connection")));
    sock.on("error", (e) => this.fail(perr("INTEROP_SOCKET", "connection error: " + e.message)));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 2) {
      const n = this.buf.readUInt16BE(0);
      if (n > MAX_FRAME) {
        this.fail(perr("INTEROP_FRAME_TOO_LARGE", `frame of ${n} bytes exceeds ${MAX_FRAME}`));
        return;
      }
      if (this.buf.length < 2 + n) break;
      this.frames.push(new Uint8Array(this.buf.subarray(2, 2 + n)));
      this.buf = this.buf.subarray(2 + n);
    }
    this.deliver();
  }

  private deliver(): void {
    while (this.waiters.length && this.frames.length) {
      const w = this.waiters.shift()!;
      clearTimeout(w.timer);
      w.resolve(this.frames.shift()!);
    }
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
  }

  next(): Promise<Bytes> {
    if (this.frames.length) return Promise.resolve(this.frames.shift()!);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(perr("INTEROP_TIMEOUT", `peer silent for ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.waiters.push({ resolve, reject, timer });
    });
  }

  get failed(): Error | null {
    return this.failure;
  }
}

function sendFrame(sock: Socket, b: Bytes): void {
  if (b.length > MAX_FRAME) throw perr("INTEROP_FRAME_TOO_LARGE", "outgoing frame too large");
  const h = Buffer.alloc(2);
  h.writeUInt16BE(b.length, 0);
  sock.write(Buffer.concat([h, Buffer.from(b)]));
}

/** Sends the EDHOC error message for a failure, where the protocol allows one. */
function sendError(sock: Socket, e: unknown): void {
  if (sock.destroyed || !sock.writable) return;
  const pe = e as { code?: string };
  // No error message answers an error message or a dead connection.
  if (pe.code === "EDHOC_PEER_ERROR" || pe.code === "INTEROP_CLOSED" || pe.code === "INTEROP_SOCKET") return;
  try {
    sendFrame(sock, pe.code && pe.code.indexOf("INTEROP_") === 0 ? errorMessage(1, pe.code) : edhocErrorMessage(e));
  } catch {
    // best effort
  }
}

function describe(e: unknown): { code: string; error: string } {
  if (isPairkitError(e)) {
    let msg = e.message;
    const d = e.detail as { code?: number; info?: unknown } | undefined;
    if (e.code === "EDHOC_PEER_ERROR" && d && d.code !== undefined) msg = `peer sent EDHOC error ${d.code}${typeof d.info === "string" ? ` (${d.info})` : ""}`;
    return { code: e.code, error: `${e.code}: ${msg}` };
  }
  return { code: "INTERNAL", error: "INTERNAL: " + String((e as Error)?.message || e) };
}

function keylog(cfg: InteropConfig, connIdI: Bytes, prkOut: Bytes): void {
  if (cfg.keylog) appendFileSync(cfg.keylog, `EDHOC_PRK_OUT ${toHex(encodeIdBytes(connIdI))} ${toHex(prkOut)}\n`, { mode: 0o600 });
}

function resolver(cfg: InteropConfig, c: NobleProvider): (h: PeerHello) => Promise<PeerCredential & { name: string }> {
  return (h) => resolvePeer(c, cfg.peers, h.idCred);
}

/** Runs one initiator session over an established socket. */
async function initiatorSession(cfg: InteropConfig, c: NobleProvider, sock: Socket, ini: EdhocInitiator, sizes: number[]): Promise<SessionResult> {
  const rd = new FrameReader(sock, cfg.timeoutMs ?? 10000);
  const resolve = resolver(cfg, c);
  let peerName: string | undefined;
  try {
    const m1 = await ini.message1();
    sizes.push(m1.length);
    sendFrame(sock, m1);
    const m2 = await rd.next();
    sizes.push(m2.length);
    const hello = await ini.parseMessage2(m2);
    const peer = await resolve(hello);
    peerName = peer.name;
    await ini.verifyMessage2(peer);
    const m3 = await ini.message3();
    sizes.push(m3.length);
    sendFrame(sock, m3);
    const m4 = await rd.next();
    sizes.push(m4.length);
    await ini.processMessage4(m4);
    keylog(cfg, ini.connIdI!, ini.prkOut);
    return { ok: true, prkOut: ini.prkOut, connIdI: ini.connIdI!, sizes, method: cfg.method, suite: ini.suite, peer: peerName };
  } catch (e) {
    if (!(isPairkitError(e) && e.code === "EDHOC_WRONG_SUITE")) sendError(sock, e);
    throw e;
  } finally {
    sock.end();
  }
}

function connectTo(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      reject(perr("INTEROP_TIMEOUT", "connection attempt timed out"));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once("error", (e) => {
      clearTimeout(t);
      reject(perr("INTEROP_CONNECT", `cannot connect to ${host}:${port}: ${e.message}`));
    });
  });
}

/**
 * Initiator: connects, runs one session and, when the responder refuses the cipher suite
 * (ERR_CODE 2), reconnects with a new message_1 as RFC 9528 section 6.3 describes.
 */
export async function runInitiator(cfg: InteropConfig, host: string, port: number): Promise<SessionResult> {
  const c = cfg.crypto || createNobleProvider();
  const sizes: number[] = [];
  try {
    const own = ownCredential(cfg, c, true);
    const suites = cfg.suite === 2 ? [2] : [0];
    const ini = new EdhocInitiator({ crypto: c, method: cfg.method, suites, creds: [own] });
    for (let attempt = 0; attempt < 2; attempt++) {
      const sock = await connectTo(host, port, cfg.timeoutMs ?? 10000);
      try {
        return await initiatorSession(cfg, c, sock, ini, sizes);
      } catch (e) {
        if (isPairkitError(e) && e.code === "EDHOC_WRONG_SUITE" && attempt === 0) continue;
        throw e;
      }
    }
    throw perr("EDHOC_NO_COMMON_SUITE", "responder refused the suite twice");
  } catch (e) {
    return { ok: false, ...describe(e), sizes, method: cfg.method, suite: cfg.suite };
  }
}

/** Serves one responder session on an accepted socket. */
export async function responderSession(cfg: InteropConfig, c: NobleProvider, sock: Socket): Promise<SessionResult> {
  const rd = new FrameReader(sock, cfg.timeoutMs ?? 10000);
  const sizes: number[] = [];
  const resolve = resolver(cfg, c);
  let peerName: string | undefined;
  try {
    const own = ownCredential(cfg, c, false);
    const res = new EdhocResponder({ crypto: c, methods: [cfg.method], suites: [cfg.suite], creds: [own] });
    const m1 = await rd.next();
    sizes.push(m1.length);
    await res.processMessage1(m1);
    const m2 = await res.message2();
    sizes.push(m2.length);
    sendFrame(sock, m2);
    const m3 = await rd.next();
    sizes.push(m3.length);
    const hello = await res.parseMessage3(m3);
    const peer = await resolve(hello);
    peerName = peer.name;
    await res.verifyMessage3(peer);
    const m4 = await res.message4();
    sizes.push(m4.length);
    sendFrame(sock, m4);
    keylog(cfg, res.connIdI!, res.prkOut);
    return { ok: true, prkOut: res.prkOut, connIdI: res.connIdI!, sizes, method: cfg.method, suite: cfg.suite, peer: peerName };
  } catch (e) {
    sendError(sock, e);
    return { ok: false, ...describe(e), sizes, method: cfg.method, suite: cfg.suite, peer: peerName };
  } finally {
    sock.end();
    setTimeout(() => sock.destroy(), 1000).unref();
  }
}

export interface ResponderHandle {
  server: Server;
  port: number;
  /** Resolves after the first session when `once` is set. */
  done: Promise<SessionResult | null>;
  close(): Promise<void>;
}

/**
 * Listens for initiators. Without `once` it serves sessions until closed; each session is
 * independent, so a failed, hostile or stalled client never stops or blocks the others.
 */
export function startResponder(cfg: InteropConfig, host: string, port: number, once: boolean, onResult?: (r: SessionResult) => void): Promise<ResponderHandle> {
  const c = cfg.crypto || createNobleProvider();
  ownCredential(cfg, c, false);
  let finish: (r: SessionResult | null) => void = () => {};
  const done = new Promise<SessionResult | null>((r) => (finish = r));
  const server = createServer((sock) => {
    if (once) server.close();
    responderSession(cfg, c, sock).then((r) => {
      if (onResult) onResult(r);
      if (once) finish(r);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(perr("INTEROP_LISTEN", `cannot listen on ${host}:${port}: ${e.message}`)));
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        server,
        port: typeof addr === "object" && addr ? addr.port : port,
        done,
        close: () => new Promise((r) => server.close(() => { finish(null); r(); })),
      });
    });
  });
}
