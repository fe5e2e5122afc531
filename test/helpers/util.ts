// Small helpers shared by the tests.
import { randomBytes } from "node:crypto";
import type { PairkitError } from "../../src/core/errors";

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
