/**
 * Test-only seams of the EDHOC implementation. The public API (src/index.ts and the
 * device firmware) never exports this module; tests import it directly to inject the
 * RFC 9529 traces' ephemeral keys and to observe intermediate values.
 */
import type { Bytes } from "../bytes";
import type { KeyPair } from "../../crypto/provider";

export interface EdhocTestHooks {
  /** When set, replaces ephemeral key generation. */
  eph: ((crv: number) => Promise<KeyPair>) | null;
  /** When set, receives intermediate values by their RFC 9529 names (TH_2, PRK_2e, ...). */
  trace: ((name: string, value: Bytes) => void) | null;
}

export var edhocTestHooks: EdhocTestHooks = { eph: null, trace: null };
