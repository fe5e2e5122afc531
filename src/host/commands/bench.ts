import { parseArgs } from "../args";
import { benchEdhoc } from "../bench/edhoc";
import { benchPki, benchSecureElement } from "../bench/pki";
import { benchSession } from "../bench/session";
import { benchEspruino } from "../bench/espruino";
import type { Command } from "./types";

const USAGE = `pairkit bench [--seconds N]

Prints one JSON object with measured numbers (not a test): host EDHOC handshakes per
second for methods 0 and 3 with the @noble provider, and the bytes of message_1..4 per
method with credentials by kid and by value. --seconds sets the time per rate
measurement (default 2).`;

export const benchCommand: Command = {
  name: "bench",
  summary: "measure handshakes, message sizes and costs; prints JSON",
  usage: USAGE,
  async run(args) {
    const p = parseArgs(args, { values: ["seconds"] });
    const seconds = p.values.seconds ? Number(p.values.seconds) : 2;
    const out: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
    out.edhoc = await benchEdhoc(seconds);
    out.credentials = await benchPki();
    out.secureElement = await benchSecureElement();
    out.session = benchSession(Math.min(seconds, 1));
    const bin = process.env.ESPRUINO_BIN;
    out.espruino = bin ? await benchEspruino(bin) : { skipped: "set ESPRUINO_BIN to an Espruino Linux binary to measure the interpreter's cost per handshake and per record" };
    console.log(JSON.stringify(out, null, 2));
    return 0;
  },
};
