/**
 * Device key generation on a worker thread, for batch issuance: the main thread signs
 * credentials while a worker draws P-256 key pairs (one scalar multiplication each), so a
 * two-core machine issues about twice as fast. Falls back to the main thread when a
 * worker cannot start (for example when @noble cannot be resolved from a bundle).
 *
 * The generated scalars are simulated devices' keys, written to <ID>.key anyway; the CA
 * key never leaves the main thread.
 */
import { Worker } from "node:worker_threads";
import { p256 } from "@noble/curves/nist.js";

export interface GeneratedKey {
  scalar: Uint8Array;
  /** 64 bytes x || y. */
  pub: Uint8Array;
}

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
import(workerData.url).then(function (m) {
  parentPort.on("message", function (n) {
    const out = [];
    for (let i = 0; i < n; i++) {
      const s = m.p256.utils.randomSecretKey();
      out.push(s, m.p256.getPublicKey(s, false).subarray(1));
    }
    parentPort.postMessage(out);
  });
  parentPort.postMessage("ready");
}, function (e) { parentPort.postMessage("fail:" + e.message); });
`;

function localKey(): GeneratedKey {
  const s = p256.utils.randomSecretKey();
  return { scalar: s, pub: p256.getPublicKey(s, false).subarray(1) };
}

/** Hands out key pairs, keeping one request of `chunk` keys in flight per worker. */
export class KeyPool {
  private keys: GeneratedKey[] = [];
  private workers: Worker[] = [];
  private pending = 0;

  private constructor(private chunk: number) {}

  /** Starts `threads` workers (0: generate on the main thread). */
  static async create(threads: number, chunk = 64): Promise<KeyPool> {
    const pool = new KeyPool(chunk);
    let url: string | null = null;
    try {
      url = import.meta.resolve("@noble/curves/nist.js");
    } catch {
      url = null;
    }
    for (let i = 0; i < threads && url; i++) {
      try {
        const w = new Worker(WORKER, { eval: true, workerData: { url } });
        const ok = await new Promise<boolean>((resolve) => {
          w.once("message", (m) => resolve(m === "ready"));
          w.once("error", () => resolve(false));
        });
        if (!ok) {
          await w.terminate();
          break;
        }
        w.on("message", (m: Uint8Array[]) => pool.receive(m));
        // A worker that dies later only means keys are made on the main thread.
        w.on("error", () => {});
        w.unref();
        pool.workers.push(w);
        pool.request(w);
      } catch {
        break;
      }
    }
    return pool;
  }

  get threads(): number {
    return this.workers.length;
  }

  private request(w: Worker): void {
    this.pending++;
    w.postMessage(this.chunk);
  }

  private receive(m: Uint8Array[]): void {
    this.pending--;
    for (let i = 0; i < m.length; i += 2) this.keys.push({ scalar: m[i], pub: m[i + 1] });
  }

  /** The next key pair: from a worker when one is ready, otherwise made here (never idle). */
  next(): GeneratedKey {
    if (this.workers.length === 0) return localKey();
    if (this.keys.length < this.chunk && this.pending < this.workers.length) this.request(this.workers[this.pending]);
    // Never wait idle: when the workers are behind, make one here.
    return this.keys.shift() || localKey();
  }

  async close(): Promise<void> {
    for (const k of this.keys) k.scalar.fill(0);
    this.keys = [];
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
