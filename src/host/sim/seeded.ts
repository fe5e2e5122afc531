/**
 * Deterministic randomness for simulations (`pairkit simulate --seed S`) and tests: a
 * provider whose random bytes and fresh keys come from a seeded generator, so a whole
 * simulated run repeats exactly. Never use it outside simulations: its keys are as
 * predictable as its seed.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { NobleProvider } from "../../crypto/noble";
import type { KeyPair } from "../../crypto/provider";

/** SHA-256 in counter mode over the seed: a deterministic byte stream. */
export function seededBytes(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n: number) => {
    while (pool.length < n) {
      const block = sha256(new TextEncoder().encode(`${seed}/${counter++}`));
      const next = new Uint8Array(pool.length + block.length);
      next.set(pool);
      next.set(block, pool.length);
      pool = next;
    }
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}

export function seededProvider(base: NobleProvider, seed: string): NobleProvider {
  const rand = seededBytes(seed);
  return {
    ...base,
    name: base.name + "+seeded",
    randomBytes: (n: number) => rand(n),
    generateKeyPair: (crv: number): Promise<KeyPair> => {
      const raw = rand(32);
      if (crv === 1) raw[0] &= 0x7f; // below the P-256 group order
      return Promise.resolve(base.importPrivateKey(crv, raw));
    },
  };
}
