// Small helpers shared by the tests.
import { randomBytes } from "node:crypto";
import { isPairkitError, type PairkitError } from "../../src/core/errors";

/** n random bytes. */
export function rnd(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

/** The PairkitError code f throws, or undefined when it returns. */
export function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as PairkitError).code;
  }
  return undefined;
}

/** The PairkitError code the promise rejects with, or "resolved"; any other rejection is rethrown. */
export async function settledCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!isPairkitError(e)) throw e;
    return e.code;
  }
  return "resolved";
}
