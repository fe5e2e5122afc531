/**
 * Build target. The device build turns `DEVICE` into the literal `true` in every module
 * that imports it (build/strip.mjs inlineDevice), so `if (!DEVICE) { ... }` removes a
 * host-only feature (suite 0, KeyUpdate, options only tests pass, ...) from every device
 * bundle. Import it exactly as `import { DEVICE } from "../target";` (any relative path). It only ever removes whole
 * features: host and device never run two implementations of the same thing, so the
 * tests of the shared code test what devices run. One exception: perr() builds a device's
 * error as a plain object with the same fields instead of an Error (src/core/errors.ts).
 */
declare var PK_DEVICE: boolean | undefined;

export const DEVICE: boolean = typeof PK_DEVICE !== "undefined" && !!PK_DEVICE;
