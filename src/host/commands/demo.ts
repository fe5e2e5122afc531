import { parseArgs } from "../args";
import { runDemo } from "../demo";
import type { Command } from "./types";

const USAGE = `pairkit demo

The main job (npm start): runs the whole scenario on embedded defaults and prints a
readable timeline. No arguments, no network, exit status 0 on success.`;

export const demoCommand: Command = {
  name: "demo",
  summary: "the full simulated scenario on embedded defaults (npm start)",
  usage: USAGE,
  async run(args) {
    parseArgs(args, {});
    return runDemo();
  },
};
