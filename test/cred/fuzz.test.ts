/**
 * Property tests: parseCredential, parseDenyList, readIdCredParts and validateChain on
 * random and mutated (bit-flipped, truncated, extended, spliced) inputs only ever fail
 * with a PairkitError carrying a known code, never with anything else.
 * PAIRKIT_FUZZ_RUNS raises the run count for soak runs.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { idCredByValue, parseCredential, parseDenyList, readIdCredParts, validateChain, verifyDenyList } from "../../src/core/cred/index";
import { isPairkitError } from "../../src/core/errors";
import { createNobleProvider } from "../../src/crypto/noble";
import { memDenyList, memIssue, memRoot, type MemEntity } from "../../src/host/ca/memory";

const RUNS = Number(process.env.PAIRKIT_FUZZ_RUNS || 400);
const c = createNobleProvider();
let root: MemEntity, line: MemEntity, dev: MemEntity, deny: Uint8Array;

const CHAIN_CODES = [
  "CRED_MALFORMED", "CRED_BAD_ANCHOR", "CRED_UNKNOWN_ISSUER", "CRED_NOT_CA", "CRED_ISSUER_MISMATCH", "CRED_PATH_TOO_LONG",
  "CRED_KID_COLLISION", "CRED_KID_MISMATCH", "CRED_REVOKED", "CRED_ROLE_NOT_ALLOWED", "CRED_MODEL_NOT_ALLOWED",
  "CRED_BAD_SIGNATURE", "CRED_POLICY",
];

beforeAll(async () => {
  root = await memRoot(c, "acme-root");
  line = await memIssue(c, root, "acme-l1", "ca", 0);
  dev = await memIssue(c, line, "00000001", "device", "puck");
  deny = await memDenyList(c, root, 7, ["00000002", "00000003", "acme-l9"]);
});

/** A mutation of `seed`: bit flips, truncation, extension, a spliced run of random bytes, or a byte removed. */
function mutated(seed: () => Uint8Array) {
  return fc.oneof(
    fc.array(fc.nat(), { minLength: 1, maxLength: 4 }).map((pos) => {
      const b = seed().slice();
      for (const p of pos) b[p % b.length] ^= 1 << (p % 8);
      return b;
    }),
    fc.nat().map((n) => seed().slice(0, n % seed().length)),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((x) => new Uint8Array([...seed(), ...x])),
    fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([p, x]) => {
      const b = seed().slice();
      b.set(x.subarray(0, Math.max(0, b.length - (p % b.length))), p % b.length);
      return b;
    }),
    fc.nat().map((p) => {
      const b = Array.from(seed());
      b.splice(p % b.length, 1);
      return new Uint8Array(b);
    }),
  );
}

function onlyTyped(f: () => unknown, codes: string[]): void {
  try {
    f();
  } catch (e) {
    if (!isPairkitError(e) || !(e instanceof Error) || !codes.includes(e.code)) throw new Error("untyped failure: " + String(e) + " " + (e as { code?: string }).code);
  }
}

async function onlyTypedAsync(p: Promise<unknown>, codes: string[]): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isPairkitError(e) || !codes.includes(e.code)) throw new Error("untyped failure: " + String(e) + " " + (e as { code?: string }).code);
  }
}

describe("parsers only throw typed errors", () => {
  it("parseCredential on random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyTyped(() => parseCredential(b), ["CRED_MALFORMED"])), { numRuns: RUNS });
  });

  it("parseCredential on random bytes that start like a COSE_Sign1", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 250 }), (b) => onlyTyped(() => parseCredential(new Uint8Array([0x84, ...b])), ["CRED_MALFORMED"])), { numRuns: RUNS });
  });

  it("parseCredential on mutated credentials (root, intermediate, device)", () => {
    for (const seed of [() => dev.cred.bytes, () => line.cred.bytes, () => root.cred.bytes]) {
      fc.assert(fc.property(mutated(seed), (b) => onlyTyped(() => parseCredential(b), ["CRED_MALFORMED"])), { numRuns: RUNS });
    }
  });

  it("parseDenyList on random and mutated lists", () => {
    const codes = ["DENY_MALFORMED", "DENY_TOO_LARGE"];
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 80 }), (b, max) => onlyTyped(() => parseDenyList(b, max), codes)), { numRuns: RUNS });
    fc.assert(fc.property(mutated(() => deny), (b) => onlyTyped(() => parseDenyList(b), codes)), { numRuns: RUNS });
  });

  it("readIdCredParts on random and mutated ID_CRED maps", () => {
    const seed = () => idCredByValue(dev.cred.bytes, line.cred.bytes);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => onlyTyped(() => readIdCredParts(b), ["CRED_MALFORMED"])), { numRuns: RUNS });
    fc.assert(fc.property(mutated(seed), (b) => onlyTyped(() => readIdCredParts(b), ["CRED_MALFORMED"])), { numRuns: RUNS });
  });

  it("validateChain and verifyDenyList on mutated inputs reject with known codes", async () => {
    await fc.assert(
      fc.asyncProperty(mutated(() => dev.cred.bytes), mutated(() => line.cred.bytes), async (leaf, inter) => {
        await onlyTypedAsync(validateChain(c, leaf, { anchors: [root.cred.bytes], intermediates: [line.cred.bytes] }), CHAIN_CODES);
        await onlyTypedAsync(validateChain(c, dev.cred.bytes, { anchors: [root.cred.bytes], intermediates: [inter] }), CHAIN_CODES);
      }),
      { numRuns: Math.ceil(RUNS / 4) },
    );
    await fc.assert(
      fc.asyncProperty(mutated(() => deny), async (b) => {
        await onlyTypedAsync(verifyDenyList(c, b, [root.cred.bytes]), ["DENY_MALFORMED", "DENY_TOO_LARGE", "DENY_UNKNOWN_ISSUER", "DENY_BAD_SIGNATURE"]);
      }),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });

  it("no single-bit flip of a valid credential still validates", async () => {
    // One flip in every byte of the device credential (bit i mod 8 of byte i; all bits in
    // soak runs): nothing passes but the original.
    const b = dev.cred.bytes;
    const opts = { anchors: [root.cred.bytes], intermediates: [line.cred.bytes] };
    const all = RUNS > 400;
    let passed = 0;
    for (let i = 0; i < b.length * 8; i += all ? 1 : 9) {
      const m = b.slice();
      m[i >> 3] ^= 1 << (i & 7);
      try {
        await validateChain(c, m, opts);
        passed++;
      } catch (e) {
        expect(isPairkitError(e) && CHAIN_CODES.includes(e.code)).toBe(true);
      }
    }
    expect(passed).toBe(0);
  });
});
