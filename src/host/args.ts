/**
 * Minimal, strict option parsing for the CLI: `--name value`, repeatable options and
 * boolean flags. Unknown options are errors, so typos never silently change behaviour.
 */
import { perr } from "../core/errors";

export interface OptionSpec {
  /** Options that take a value. */
  values?: string[];
  /** Options that take a value and may repeat. */
  repeat?: string[];
  /** Boolean flags. */
  flags?: string[];
  /** Number of positional arguments allowed. */
  positional?: number;
}

export interface Parsed {
  values: Record<string, string>;
  repeat: Record<string, string[]>;
  flags: Record<string, boolean>;
  positional: string[];
}

export function parseArgs(args: string[], spec: OptionSpec): Parsed {
  const res: Parsed = { values: {}, repeat: {}, flags: {}, positional: [] };
  for (const r of spec.repeat || []) res.repeat[r] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const inline = eq > 0 ? a.slice(eq + 1) : undefined;
      if ((spec.flags || []).includes(name)) {
        if (inline !== undefined) throw perr("CLI_USAGE", `--${name} takes no value`);
        res.flags[name] = true;
        continue;
      }
      const isValue = (spec.values || []).includes(name);
      const isRepeat = (spec.repeat || []).includes(name);
      if (!isValue && !isRepeat) throw perr("CLI_USAGE", `unknown option --${name}`);
      const v = inline !== undefined ? inline : args[++i];
      if (v === undefined) throw perr("CLI_USAGE", `--${name} needs a value`);
      if (isRepeat) res.repeat[name].push(v);
      else {
        if (name in res.values) throw perr("CLI_USAGE", `--${name} given twice`);
        res.values[name] = v;
      }
    } else res.positional.push(a);
  }
  if (res.positional.length > (spec.positional || 0)) throw perr("CLI_USAGE", `unexpected argument '${res.positional[spec.positional || 0]}'`);
  return res;
}

export function required(p: Parsed, name: string): string {
  const v = p.values[name];
  if (v === undefined) throw perr("CLI_USAGE", `--${name} is required`);
  return v;
}
