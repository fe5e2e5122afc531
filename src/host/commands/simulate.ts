import { parseArgs } from "../args";
import { runScenario, type ScenarioResult } from "../sim/scenarios";
import { perr } from "../../core/errors";
import type { Command } from "./types";

const USAGE = `pairkit simulate --devices N --scenario pair|replace|fleet [--seed S] [--json]

Runs virtual devices (simulated ATECC608 secure elements, flash, links, buttons and a
virtual clock) through a scenario:
  pair     two devices pair by button and exchange messages both ways
  replace  two devices pair, one dies, a new unit replaces it, the dead one is refused
  fleet    an app pairs with N-1 devices (each device's button only) and talks to each
--seed S makes a run repeat exactly. --json prints {"ok", "steps": [{"name", "ok", ...}]}.
Exit status 0 when every step succeeded.`;

export function formatTimeline(r: ScenarioResult): string {
  const lines = [`scenario ${r.scenario}: ${r.devices} simulated devices, seed "${r.seed}"`, ""];
  lines.push("  step              ok   virtual ms   air bytes   SE ms   what happened");
  let t = 0;
  for (const s of r.steps) {
    t += s.ms;
    lines.push(`  ${s.name.padEnd(17)} ${s.ok ? "yes" : "NO "}  ${String(s.ms).padStart(10)}  ${String(s.bytes).padStart(10)}  ${String(Math.round(s.seMs)).padStart(6)}   ${s.detail || ""}`);
  }
  lines.push("", `${r.ok ? "all steps succeeded" : "FAILED"}: ${t} ms of virtual time, ${r.realMs} ms of real time`);
  return lines.join("\n");
}

export const simulateCommand: Command = {
  name: "simulate",
  summary: "run virtual devices through pair, replace or fleet scenarios",
  usage: USAGE,
  async run(args) {
    const p = parseArgs(args, { values: ["devices", "scenario", "seed"], flags: ["json"] });
    const scenario = p.values.scenario || "replace";
    const devices = p.values.devices ? Number(p.values.devices) : scenario === "replace" ? 3 : scenario === "pair" ? 2 : 4;
    if (!Number.isInteger(devices) || devices < 2 || devices > 64) throw perr("CLI_USAGE", "--devices must be 2..64");
    if (scenario === "pair" && devices !== 2) throw perr("CLI_USAGE", "the pair scenario uses 2 devices");
    if (scenario === "replace" && devices !== 3) throw perr("CLI_USAGE", "the replace scenario uses 3 devices");
    const r = await runScenario(scenario, { devices, seed: p.values.seed });
    if (p.flags.json) console.log(JSON.stringify({ ok: r.ok, scenario: r.scenario, seed: r.seed, devices: r.devices, realMs: r.realMs, steps: r.steps }));
    else console.log(formatTimeline(r));
    return r.ok ? 0 : 1;
  },
};
