#!/usr/bin/env node
// Entry point of the `pairkit` command. The CLI is TypeScript; Node 20 cannot run it
// directly, so this bundles src/host/cli.ts with esbuild into .cache/ whenever a source
// file is newer than the bundle, then runs it. Dependencies stay external imports.
import { build } from "esbuild";
import { mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, ".cache", "cli.mjs");

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

let stale = true;
try {
  const built = statSync(out).mtimeMs;
  stale = Math.max(newest(join(root, "src")), newest(join(root, "firmware")), statSync(join(root, "package.json")).mtimeMs) > built;
} catch {
  stale = true;
}
if (stale) {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await build({
    entryPoints: [join(root, "src", "host", "cli.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: tmp,
    logLevel: "error",
    sourcemap: "inline",
  });
  renameSync(tmp, out);
}
const cli = await import(pathToFileURL(out).href);
const code = await cli.main(process.argv.slice(2));
process.exitCode = code;
// A finished command exits even when a library left a socket or timer behind (servers
// never get here: their commands do not return).
setTimeout(() => process.exit(code), 200).unref();
