import { readBinaryOrHex, readKeyFile } from "../files";
import { parseArgs, required } from "../args";
import { runInitiator, startResponder, type InteropConfig, type SessionResult } from "../interop";
import { perr } from "../../core/errors";
import type { Command } from "./types";
import { verifyDenyList } from "../../core/cred/deny";
import { createNobleProvider } from "../../crypto/noble";

const USAGE = `pairkit interop responder --listen HOST:PORT [--once] --method M --suite S --key FILE --cred FILE [--peer-cred FILE ...] [--trust-anchor FILE ...] [--keylog FILE]
pairkit interop initiator --connect HOST:PORT --method M --suite S --key FILE --cred FILE [--peer-cred FILE ...] [--trust-anchor FILE ...] [--keylog FILE]

Runs EDHOC (RFC 9528) over TCP against any other implementation. One TCP connection
carries one EDHOC session; every message (error messages included) is framed as a 2-byte
big-endian length followed by exactly the RFC 9528 bytes, no CoAP. The responder always
sends message_4.

  --method M        EDHOC method 0..3 (the responder accepts only this method)
  --suite S         cipher suite 2 (P-256, ES256) or 0 (X25519, EdDSA)
  --key FILE        our raw 32-byte private authentication key, binary or hex text
  --cred FILE       our CRED_x exactly (a CWT Claims Set); ID_CRED_x is {4: kid} when its
                    COSE_Key has a kid, otherwise the credential goes by value ({14: CCS})
                    (a CWT manufacturer credential goes by value: {13: CWT})
  --peer-cred FILE  a credential the peer may present (repeatable)
  --trust-anchor FILE  a root CA credential (trust-anchor.cred of \`pairkit ca init\`): the
                    peer may then present a CWT by value that chains to it (repeatable)
  --chain FILE      the intermediate CA credential that issued --cred (<ID>.chain)
  --deny-list FILE  a deny list signed by a trust anchor: revoked peers are refused
  --keylog FILE     append "EDHOC_PRK_OUT <C_I as CBOR, hex> <PRK_out, hex>" per completed
                    session. WARNING: this writes session secrets to disk; use it only to
                    debug test sessions, like TLS key logs.
  --once            responder: serve one session, then exit with its result

Exit status 0 when the session completed; otherwise one line naming the failure and a
non-zero status. Without --once the responder serves sessions until killed, each one
independent of the others.`;

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw perr("CLI_USAGE", `expected HOST:PORT, got '${s}'`);
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ""), port };
}

function intArg(v: string, name: string, allowed: number[]): number {
  const n = Number(v);
  if (!allowed.includes(n)) throw perr("CLI_USAGE", `--${name} must be one of ${allowed.join(", ")}`);
  return n;
}

function report(r: SessionResult, role: string): number {
  if (r.ok) {
    console.log(`${role}: EDHOC session complete (method ${r.method}, suite ${r.suite}, peer ${r.peer || "?"}, message sizes ${r.sizes.join("/")} bytes)`);
    return 0;
  }
  console.error(`${role}: failed: ${r.error}`);
  return 1;
}

export const interopCommand: Command = {
  name: "interop",
  summary: "EDHOC initiator/responder over TCP for interoperability tests",
  usage: USAGE,
  async run(args) {
    const role = args[0];
    if (role !== "initiator" && role !== "responder") throw perr("CLI_USAGE", "interop needs 'initiator' or 'responder'\n\n" + USAGE);
    const p = parseArgs(args.slice(1), {
      values: ["listen", "connect", "method", "suite", "key", "cred", "keylog", "chain", "deny-list"],
      repeat: ["peer-cred", "trust-anchor"],
      flags: ["once"],
    });
    const cfg: InteropConfig = {
      method: intArg(required(p, "method"), "method", [0, 1, 2, 3]),
      suite: intArg(required(p, "suite"), "suite", [0, 2]),
      key: readKeyFile(required(p, "key")),
      cred: readBinaryOrHex(required(p, "cred"), "credential"),
      peers: {
        creds: p.repeat["peer-cred"].map((f) => readBinaryOrHex(f, "peer credential")),
        anchors: p.repeat["trust-anchor"].map((f) => readBinaryOrHex(f, "trust anchor")),
      },
      chain: p.values.chain ? readBinaryOrHex(p.values.chain, "chain") : null,
      keylog: p.values.keylog,
    };
    if (p.values["deny-list"]) {
      if (!cfg.peers.anchors!.length) throw perr("CLI_USAGE", "--deny-list needs --trust-anchor");
      cfg.peers.deny = await verifyDenyList(createNobleProvider(), readBinaryOrHex(p.values["deny-list"], "deny list"), cfg.peers.anchors!);
    }
    if (role === "initiator") {
      if (p.flags.once || p.values.listen) throw perr("CLI_USAGE", "initiator takes --connect, not --listen/--once");
      const { host, port } = hostPort(required(p, "connect"));
      return report(await runInitiator(cfg, host, port), "initiator");
    }
    if (p.values.connect) throw perr("CLI_USAGE", "responder takes --listen, not --connect");
    const { host, port } = hostPort(required(p, "listen"));
    const once = !!p.flags.once;
    const h = await startResponder(cfg, host, port, once, (r) => {
      if (!once) {
        if (r.ok) console.log(`responder: session complete (method ${r.method}, suite ${r.suite}, peer ${r.peer || "?"})`);
        else console.error(`responder: session failed: ${r.error}`);
      }
    });
    console.error(`responder: listening on ${host}:${h.port}`);
    if (!once) return new Promise<number>(() => {});
    const r = await h.done;
    return r ? report(r, "responder") : 1;
  },
};
