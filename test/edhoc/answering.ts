// Test providers for the callback form: the same asymmetric results as the @noble provider
// (the same @noble calls), answered in one of three ways, and deterministic on request, so
// that a run through callbacks can be compared byte for byte with a run through promises.
import { p256 } from "@noble/curves/nist.js";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { Done } from "../../src/core/async";
import { concat, utf8Encode, type Bytes } from "../../src/core/bytes";
import { perr } from "../../src/core/errors";
import { createNobleProvider, type NobleProvider } from "../../src/crypto/noble";
import { CRV_P256, CRV_X25519, type KeyPair, type PrivateKeyRef } from "../../src/crypto/provider";

/**
 * How the asymmetric operations answer when given a callback: "sync" calls it before
 * returning (and returns undefined), "later" calls it from a timer (as the device's secure
 * element does), "promise" ignores it and returns a promise (as the @noble provider does).
 * Without a callback every mode returns a promise.
 */
export type Answer = "sync" | "later" | "promise";

export interface AnsweringProvider extends NobleProvider {
  answer: Answer;
  /** Scalars the next generateKeyPair calls hand out first (e.g. RFC 9529's X and Y). */
  eph: Bytes[];
  /** Every asymmetric call: its name (generateKeyPair with the curve) and "/k" when it came with a callback. */
  log: string[];
  /**
   * Makes the next operation of this name fail with this error; `bare`: a promise rejected
   * without a reason (what only the promise form can express).
   */
  failNext: { op: string; error?: unknown; bare?: boolean } | null;
}

function badPoint(): Error {
  return perr("CRYPTO_BAD_POINT", "not a point");
}

/**
 * A provider whose symmetric half is @noble's and whose asymmetric half answers per
 * `answer`. With a seed, randomBytes and fresh key pairs are deterministic (a function of
 * the seed and the call count): two runs with one seed make the same handshake.
 */
export function answering(answer: Answer, seed?: string): AnsweringProvider {
  const noble = createNobleProvider();
  const keys = new WeakMap<PrivateKeyRef, Bytes>();
  let n = 0;
  const next = (tag: string): Bytes => sha256(utf8Encode(seed + "/" + tag + "/" + n++));

  function pubOf(crv: number, s: Bytes): Bytes {
    return crv === CRV_P256 ? p256.getPublicKey(s, false).subarray(1) : crv === CRV_X25519 ? x25519.getPublicKey(s) : ed25519.getPublicKey(s);
  }
  function store(crv: number, s: Bytes): KeyPair {
    const priv = Object.freeze({ crv });
    keys.set(priv, s.slice());
    return { priv, pub: pubOf(crv, s) };
  }
  function secret(priv: PrivateKeyRef): Bytes {
    const s = keys.get(priv);
    if (!s) throw perr("CRYPTO_BAD_KEY", "unknown key");
    return s;
  }
  function p256Point(pub: Bytes): Bytes {
    const b = pub.length === 32 ? concat([new Uint8Array([2]), pub]) : concat([new Uint8Array([4]), pub]);
    try {
      p256.Point.fromBytes(b);
    } catch {
      throw badPoint();
    }
    return b;
  }

  const ops: Record<string, (...a: any[]) => unknown> = {
    generateKeyPair(crv: number) {
      let s = p.eph.shift();
      if (!s) {
        if (seed === undefined) s = crv === CRV_P256 ? p256.utils.randomSecretKey() : crv === CRV_X25519 ? x25519.utils.randomSecretKey() : ed25519.utils.randomSecretKey();
        else for (s = next("key"); crv === CRV_P256 && !p256.utils.isValidSecretKey(s); ) s = next("key");
      }
      return store(crv, s);
    },
    ecdh(priv: PrivateKeyRef, peer: Bytes) {
      const s = secret(priv);
      if (priv.crv === CRV_P256) return p256.getSharedSecret(s, p256Point(peer), true).slice(1);
      if (peer.length !== 32) throw badPoint();
      try {
        return x25519.getSharedSecret(s, peer);
      } catch {
        throw badPoint();
      }
    },
    sign(priv: PrivateKeyRef, m: Bytes) {
      const s = secret(priv);
      return priv.crv === CRV_P256 ? p256.sign(m, s, { prehash: true, format: "compact" }) : ed25519.sign(m, s);
    },
    verify(crv: number, pub: Bytes, m: Bytes, sig: Bytes) {
      if (crv === CRV_P256) {
        const enc = p256Point(pub);
        try {
          return sig.length === 64 && p256.verify(sig, m, enc, { prehash: true, lowS: false, format: "compact" });
        } catch {
          return false;
        }
      }
      try {
        return sig.length === 64 && ed25519.verify(sig, m, pub, { zip215: false });
      } catch {
        return false;
      }
    },
  };

  function op(name: string, nargs: number) {
    return function (...a: any[]) {
      const k: Done<unknown> | undefined = a.length > nargs ? a[nargs] : undefined;
      p.log.push(name + (name === "generateKeyPair" ? "(" + a[0] + ")" : "") + (k ? "/k" : ""));
      let v: unknown;
      let e: unknown = null;
      const f = p.failNext && p.failNext.op === name ? p.failNext : null;
      if (f && f.bare) {
        p.failNext = null;
        return Promise.reject();
      }
      try {
        if (f) {
          e = f.error;
          p.failNext = null;
        } else v = ops[name](...a.slice(0, nargs));
      } catch (x) {
        e = x;
      }
      if (!k || p.answer === "promise") return e ? Promise.reject(e) : Promise.resolve(v);
      const call = () => (e ? k(e) : k(null, v));
      if (p.answer === "sync") call();
      else setTimeout(call, 1);
      return undefined;
    };
  }

  const p: AnsweringProvider = Object.assign(Object.create(noble) as NobleProvider, {
    name: "answering-" + answer,
    answer,
    eph: [] as Bytes[],
    log: [] as string[],
    failNext: null,
    randomBytes: (len: number): Bytes => (seed === undefined ? noble.randomBytes(len) : next("rnd").slice(0, len)),
    importPrivateKey: (crv: number, raw: Bytes) => store(crv, raw),
    generateKeyPair: op("generateKeyPair", 1),
    ecdh: op("ecdh", 2),
    sign: op("sign", 2),
    verify: op("verify", 4),
  }) as AnsweringProvider;
  return p;
}

/** Calls of callbacks made by `viaK`, to check that each was called exactly once. */
export const kCalls: { what: string; n: number }[] = [];

/**
 * Runs the callback form of an operation as a promise for the test to await: `start`
 * receives the callback. The callback form must return undefined; every call of the
 * callback is counted (kCalls) so a test can show it came exactly once.
 */
export function viaK<T>(what: string, start: (k: Done<T>) => unknown): Promise<T> {
  const rec = { what, n: 0 };
  kCalls.push(rec);
  return new Promise<T>((resolve, reject) => {
    const r = start((e, v) => {
      rec.n++;
      if (e) reject(e);
      else resolve(v as T);
    });
    if (r !== undefined) reject(new Error(what + ": the callback form returned " + String(r)));
  });
}

/** After a test: waits past every timer answer, then expects every callback called exactly once. */
export async function expectEachKOnce(): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
  const bad = kCalls.filter((c) => c.n !== 1).map((c) => c.what + " x" + c.n);
  kCalls.length = 0;
  if (bad.length) throw new Error("callbacks not called exactly once: " + bad.join(", "));
}

/** Counts promises made through the global Promise while f runs (synchronously). */
export function countPromises(f: () => void): number {
  const Orig = globalThis.Promise;
  let made = 0;
  class Counting<T> extends Orig<T> {
    constructor(ex: (res: (v: T | PromiseLike<T>) => void, rej: (e?: unknown) => void) => void) {
      made++;
      super(ex);
    }
  }
  globalThis.Promise = Counting as PromiseConstructor;
  try {
    f();
  } finally {
    globalThis.Promise = Orig;
  }
  return made;
}
