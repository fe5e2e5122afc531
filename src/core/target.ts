/**
 * Build target. Device bundles define PK_DEVICE (build/boards.mjs); esbuild inlines this
 * constant across modules, so `if (!DEVICE) { ... }` removes a host-only feature (suite 0,
 * message_4, KeyUpdate, ...) from every device bundle. It only ever removes whole
 * features: host and device never run two implementations of the same thing, so the
 * tests of the shared code test what devices run.
 */
declare var PK_DEVICE: boolean | undefined;

export const DEVICE: boolean = typeof PK_DEVICE !== "undefined" && !!PK_DEVICE;
