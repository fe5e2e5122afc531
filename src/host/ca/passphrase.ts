/**
 * Where a CA passphrase comes from: the environment variable PAIRKIT_CA_PASSPHRASE, else
 * an interactive prompt with echo off when stdin is a terminal, else a clear error. The
 * passphrase is never printed or logged.
 */
import { perr } from "../../core/errors";

export var PASSPHRASE_ENV = "PAIRKIT_CA_PASSPHRASE";
/** Optional: a different passphrase for the key `ca intermediate` creates. */
export var NEW_PASSPHRASE_ENV = "PAIRKIT_CA_NEW_PASSPHRASE";
export var MIN_PASSPHRASE = 8;

/** Reads one line from the terminal with echo off (raw mode). Ctrl-C or Ctrl-D cancels. */
export function promptHidden(prompt: string): Promise<string> {
  var stdin = process.stdin;
  return new Promise(function (resolve, reject) {
    var buf = "";
    process.stderr.write(prompt);
    var wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    function done(err: Error | null): void {
      stdin.removeListener("data", onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(buf);
    }
    function onData(chunk: string): void {
      for (var ch of chunk) {
        if (ch === "\r" || ch === "\n") return done(null);
        if (ch === "\u0003" || ch === "\u0004") return done(perr("CA_NO_PASSPHRASE", "passphrase entry cancelled"));
        if (ch === "\u007f" || ch === "\b") buf = buf.slice(0, -1);
        else if (ch >= " ") buf += ch;
      }
    }
    stdin.on("data", onData);
  });
}

/**
 * The passphrase of an existing CA key: PAIRKIT_CA_PASSPHRASE, else a prompt on a
 * terminal, else CA_NO_PASSPHRASE.
 */
export async function existingPassphrase(what: string): Promise<string> {
  var env = process.env[PASSPHRASE_ENV];
  if (env !== undefined) {
    if (env === "") throw perr("CA_NO_PASSPHRASE", `${PASSPHRASE_ENV} is empty`);
    return env;
  }
  if (!process.stdin.isTTY) throw perr("CA_NO_PASSPHRASE", `no passphrase: set ${PASSPHRASE_ENV} or run in a terminal to be prompted`);
  var p = await promptHidden(`Passphrase for ${what}: `);
  if (p === "") throw perr("CA_NO_PASSPHRASE", "empty passphrase");
  return p;
}

/**
 * A passphrase for a new CA key: `envName` (PAIRKIT_CA_PASSPHRASE for `ca init`), else a
 * prompt asked twice on a terminal; `fallback` (the parent CA's passphrase) when given and
 * the user just presses Enter. At least MIN_PASSPHRASE characters.
 */
export async function newPassphrase(what: string, envName: string, fallback?: string): Promise<string> {
  var p = process.env[envName];
  if (p === undefined && fallback !== undefined && !process.stdin.isTTY) p = fallback;
  if (p === undefined) {
    if (!process.stdin.isTTY) throw perr("CA_NO_PASSPHRASE", `no passphrase: set ${envName} or run in a terminal to be prompted`);
    var hint = fallback !== undefined ? " (Enter to reuse the parent CA's)" : "";
    p = await promptHidden(`New passphrase for ${what}${hint}: `);
    if (p === "" && fallback !== undefined) return fallback;
    var again = await promptHidden("Repeat it: ");
    if (again !== p) throw perr("CA_NO_PASSPHRASE", "the two passphrases differ");
  }
  if (p.length < MIN_PASSPHRASE) throw perr("CA_WEAK_PASSPHRASE", `a CA passphrase needs at least ${MIN_PASSPHRASE} characters`);
  return p;
}
