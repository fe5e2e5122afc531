/**
 * Test-only seam of the EDHOC implementation. The public API (src/index.ts) and the device
 * firmware never export this module, and device builds remove every call to it
 * (build/strip.mjs). Tests import it directly to observe intermediate values; they inject
 * the RFC 9529 traces' ephemeral keys through the crypto provider they pass in.
 */
import type { Bytes } from "../bytes";

export interface EdhocTestHooks {
  /** When set, receives intermediate values by their RFC 9529 names (TH_2, PRK_2e, ...). */
  trace: ((name: string, value: Bytes) => void) | null;
}

export var edhocTestHooks: EdhocTestHooks = { trace: null };
