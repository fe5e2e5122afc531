/**
 * `pairkit` command dispatcher. Each command lives in its own module under
 * src/host/commands and exports `run(args): Promise<number>` (the exit code) and a
 * one-line summary plus usage text for the help screen.
 */
import { commands } from "./commands/index";

function usage(): string {
  var lines = ["pairkit - secure button-press pairing (EDHOC, RFC 9528)", "", "Usage: pairkit <command> [options]", "", "Commands:"];
  for (var c of commands) lines.push("  " + c.name.padEnd(20) + c.summary);
  lines.push("", "Run `pairkit <command> --help` for a command's options.");
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  var name = argv[0];
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  // Two-word commands ("ca init", "device issue") are matched first.
  var cmd = commands.find((c) => c.name === argv.slice(0, 2).join(" ")) || commands.find((c) => c.name === name);
  if (!cmd) {
    console.error("pairkit: unknown command '" + name + "'\n\n" + usage());
    return 2;
  }
  var rest = argv.slice(cmd.name.split(" ").length);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    var err = e as { code?: string; message?: string };
    console.error("pairkit " + cmd.name + ": " + (err.code ? err.code + ": " : "") + (err.message || String(e)));
    return 1;
  }
}
