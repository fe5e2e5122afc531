/**
 * Completion callbacks: the device-side alternative to promises.
 *
 * On Espruino a pending promise costs about 24 interpreter variables, and every `.then`
 * in a chain adds its own promise and keeps its callback's scope alive until the secure
 * element answers (docs/device-memory.md). The layers a handshake crosses (secure-element
 * driver, asymmetric provider, EDHOC steps, credential-chain validation, the pairing
 * controller) therefore take an optional trailing `Done` callback. With one, they call it
 * exactly once and create no promise; without one, they return a promise as before, which
 * is the form host applications and tests use.
 *
 * A provider may ignore the callback and return a promise anyway (the @noble provider
 * does); `settle` turns either answer into one call of the callback.
 */
import { perr } from "./errors";

/** Node-style completion: k(error) on failure, k(null, value) on success; called once. */
export type Done<T> = (e: any, v?: T) => void;

/**
 * Forwards what an operation called with callback k returned: a promise (thenable) is
 * settled into k; anything else means the operation calls k itself. A rejection without
 * a reason still reaches k as an error.
 */
export function settle<T>(r: PromiseLike<T> | void | undefined, k: Done<T>): void {
  if (r && typeof (r as PromiseLike<T>).then === "function")
    (r as PromiseLike<T>).then(function (v: T) {
      k(null, v);
    }, function (e: any) {
      k(e || perr("CRYPTO_INTERNAL", "operation failed without a reason"));
    });
}

/**
 * The promise form of a callback operation: run(k) starts it with a callback that
 * settles the returned promise. Host code and tests use the promise form.
 */
export function promised<T>(run: (k: Done<T>) => void): Promise<T> {
  return new Promise(function (resolve, reject) {
    run(function (e: any, v?: T) {
      if (e) reject(e);
      else resolve(v as T);
    });
  });
}
