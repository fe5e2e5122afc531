// Drives the real PKI commands (`pairkit ca init|intermediate`, `device issue|issue-batch`,
// `revoke`, `inspect`) through bin/pairkit.mjs with PAIRKIT_CA_PASSPHRASE: files and their
// modes, chains that validate, deny-list versions, wrong and missing passphrases, the
// batch rate, and the echo-off prompt on a terminal (when `script` is available).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { p256 } from "@noble/curves/nist.js";
import { toHex } from "../../src/core/bytes";
import { parseCredential, validateChain } from "../../src/core/cred/index";
import { createNobleProvider } from "../../src/crypto/noble";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "pairkit.mjs");
const PASS = "correct horse battery staple";
const dir = mkdtempSync(join(tmpdir(), "pairkit-pki-"));
const c = createNobleProvider();

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function run(args: string[], env: Record<string, string | undefined> = { PAIRKIT_CA_PASSPHRASE: PASS }): Promise<Run> {
  const e: Record<string, string | undefined> = { ...process.env };
  delete e.PAIRKIT_CA_PASSPHRASE;
  delete e.PAIRKIT_CA_NEW_PASSPHRASE;
  Object.assign(e, env);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: e as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => resolve({ code, out, err }));
  });
}

const mode = (p: string) => statSync(p).mode & 0o777;
const R = join(dir, "root");
const L = join(dir, "l1");
const D = join(dir, "devices");
let issued: Run;

beforeAll(async () => {
  await run(["--help"]); // warm the CLI bundle
  const r = await run(["ca", "init", "--dir", R, "--name", "acme-root", "--kdf-log2n", "14"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  const i = await run(["ca", "intermediate", "--ca", R, "--name", "acme-l1", "--out", L, "--kdf-log2n", "14"]);
  expect(i.err).toBe("");
  expect(i.code).toBe(0);
  // One device the tests below share.
  issued = await run(["device", "issue", "--ca", L, "--id", "00000042", "--model", "puck", "--generate", "--out", D]);
}, 30000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pairkit ca", () => {
  it("init writes the encrypted key (0600), the credential and the trust anchor", () => {
    expect(mode(join(R, "ca.key"))).toBe(0o600);
    expect(readFileSync(join(R, "ca.key")).length).toBe(88);
    const cred = parseCredential(readFileSync(join(R, "ca.cred")));
    expect(cred).toMatchObject({ role: "ca", sub: "acme-root", pathLen: 1 });
    expect(readFileSync(join(R, "trust-anchor.cred")).equals(readFileSync(join(R, "ca.cred")))).toBe(true);
    // The key file never holds the scalar in clear: it does not decrypt without the passphrase
    // and it is not a bare 32-byte key.
    expect(readFileSync(join(R, "ca.key")).subarray(0, 7).toString()).toBe("PKCAKEY");
  });

  it("init refuses an existing CA directory, a bad name and a short passphrase", async () => {
    const [exists, badName, weak] = await Promise.all([
      run(["ca", "init", "--dir", R, "--name", "again", "--kdf-log2n", "14"]),
      run(["ca", "init", "--dir", join(dir, "x"), "--name", "bad\tname", "--kdf-log2n", "14"]),
      run(["ca", "init", "--dir", join(dir, "y"), "--name", "y", "--kdf-log2n", "14"], { PAIRKIT_CA_PASSPHRASE: "short" }),
    ]);
    expect(exists.err).toMatch(/CA_EXISTS/);
    expect(badName.err).toMatch(/CA_BAD_NAME/);
    expect(weak.code).toBe(1);
    expect(weak.err).toMatch(/CA_WEAK_PASSPHRASE/);
  });

  it("intermediate: key 0600, chains to the root with path length 0", async () => {
    expect(mode(join(L, "ca.key"))).toBe(0o600);
    const cred = parseCredential(readFileSync(join(L, "ca.cred")));
    expect(cred).toMatchObject({ role: "ca", sub: "acme-l1", iss: "acme-root", pathLen: 0 });
    const p = await validateChain(c, cred.bytes, { anchors: [readFileSync(join(R, "trust-anchor.cred"))], policy: { roles: ["ca"] } });
    expect(p.sub).toBe("acme-l1");
    // An intermediate cannot make another intermediate.
    const r = await run(["ca", "intermediate", "--ca", L, "--name", "acme-l2", "--out", join(dir, "l2"), "--kdf-log2n", "14"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/CA_PATH_LEN/);
  });

  it("a wrong passphrase is CA_BAD_PASSPHRASE; none at all (no terminal) is CA_NO_PASSPHRASE", async () => {
    const args = ["device", "issue", "--ca", L, "--id", "x1", "--model", "puck", "--generate", "--out", D];
    const [bad, none] = await Promise.all([run(args, { PAIRKIT_CA_PASSPHRASE: "not the passphrase" }), run(args, {})]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/CA_BAD_PASSPHRASE: wrong passphrase/);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/CA_NO_PASSPHRASE: .*PAIRKIT_CA_PASSPHRASE/);
    expect(existsSync(join(D, "x1.cred"))).toBe(false);
  });
});

describe("pairkit device", () => {
  it("issue --generate: <ID>.cred, <ID>.key (0600), <ID>.chain, trust anchor; the chain validates", async () => {
    const r = issued;
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/credential\s+198 bytes/);
    expect(mode(join(D, "00000042.key"))).toBe(0o600);
    const key = readFileSync(join(D, "00000042.key"));
    const cred = readFileSync(join(D, "00000042.cred"));
    expect(key.length).toBe(32);
    expect(cred.length).toBeLessThanOrEqual(200);
    const parsed = parseCredential(cred);
    expect(toHex(c.importPrivateKey(1, key).pub)).toBe(toHex(parsed.pub));
    const p = await validateChain(c, cred, { anchors: [readFileSync(join(D, "trust-anchor.cred"))], intermediates: [readFileSync(join(D, "00000042.chain"))] });
    expect(p).toMatchObject({ sub: "00000042", model: "puck", role: "device", via: "acme-l1" });
    // Never overwrites.
    const again = await run(["device", "issue", "--ca", L, "--id", "00000042", "--model", "puck", "--generate", "--out", D]);
    expect(again.err).toMatch(/CA_EXISTS/);
  });

  it("issue --pubkey (hex SEC1 file) from the root, as an app", async () => {
    const kp = c.importPrivateKey(1, p256.utils.randomSecretKey());
    const f = join(dir, "phone.pub");
    writeFileSync(f, toHex(new Uint8Array([4, ...kp.pub])) + "\n");
    const out = join(dir, "apps");
    const r = await run(["device", "issue", "--ca", R, "--id", "phone-1", "--model", "ios", "--role", "app", "--pubkey", f, "--out", out]);
    expect(r.err).toBe("");
    const cred = readFileSync(join(out, "phone-1.cred"));
    expect(parseCredential(cred)).toMatchObject({ role: "app", iss: "acme-root" });
    expect(toHex(parseCredential(cred).pub)).toBe(toHex(kp.pub));
    expect(existsSync(join(out, "phone-1.key"))).toBe(false);
    expect(existsSync(join(out, "phone-1.chain"))).toBe(false);
    const bad = join(dir, "bad.pub");
    writeFileSync(bad, new Uint8Array(64));
    expect((await run(["device", "issue", "--ca", R, "--id", "p2", "--model", "ios", "--pubkey", bad, "--out", out])).err).toMatch(/CA_BAD_PUBKEY/);
  });

  it("issue: usage errors and the 200-byte budget", async () => {
    const [both, unknown, long, help] = await Promise.all([
      run(["device", "issue", "--ca", L, "--id", "a", "--model", "m", "--generate", "--pubkey", "f", "--out", D]),
      run(["device", "issue", "--ca", L, "--idd", "a"]),
      run(["device", "issue", "--ca", L, "--id", "a-rather-long-device-id", "--model", "puck", "--generate", "--out", D]),
      run(["device", "issue", "--help"]),
    ]);
    expect(both.err).toMatch(/CLI_USAGE: give exactly one of --pubkey FILE and --generate/);
    expect(unknown.err).toMatch(/CLI_USAGE: unknown option --idd/);
    expect(long.err).toMatch(/CA_CRED_TOO_LARGE: device credential would be 213 bytes \(limit 200\)/);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--pubkey FILE/);
  });

  it("issue-batch: progress bar on stderr, rate on stdout, files and modes", async () => {
    const out = join(dir, "batch");
    const r = await run(["device", "issue-batch", "--ca", L, "--count", "300", "--model", "puck", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/\[#{30}\] 300\/300 \d+\/s/);
    const m = /rate: (\d+) credentials\/s/.exec(r.out);
    expect(m).not.toBeNull();
    console.log(`issue-batch (300 devices, intermediate CA): ${r.out.trim().split("\n").pop()}`);
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(r.out).toMatch(/00000001 \.\. 00000300/);
    expect(mode(join(out, "00000300.key"))).toBe(0o600);
    const cred = parseCredential(readFileSync(join(out, "00000300.cred")));
    expect(cred.sub).toBe("00000300");
    // Keys drawn by the worker thread match their credentials.
    for (const id of ["00000001", "00000150", "00000300"])
      expect(toHex(c.importPrivateKey(1, readFileSync(join(out, id + ".key"))).pub)).toBe(toHex(parseCredential(readFileSync(join(out, id + ".cred"))).pub));
    const next = await run(["device", "issue-batch", "--ca", L, "--count", "2", "--model", "puck", "--out", out]);
    expect(next.out).toMatch(/00000301 \.\. 00000302/);
  });
});

describe("pairkit revoke and inspect", () => {
  it("revoke writes deny-list versions 1 and 2; inspect verifies them", async () => {
    const r1 = await run(["revoke", "--ca", R, "--id", "00000042"]);
    expect(r1.err).toBe("");
    expect(r1.out).toMatch(/deny list version 1/);
    const r2 = await run(["revoke", "--ca", R, "--id", "acme-l9", "--id", "00000007"]);
    expect(r2.out).toMatch(/deny list version 2 .*: 3 entries/);
    expect(existsSync(join(R, "denylist-1.cbor")) && existsSync(join(R, "denylist-2.cbor"))).toBe(true);
    expect(readFileSync(join(R, "denylist.cbor")).equals(readFileSync(join(R, "denylist-2.cbor")))).toBe(true);
    const again = await run(["revoke", "--ca", R, "--id", "00000042"]);
    expect(again.err).toMatch(/CA_ALREADY_REVOKED/);
    const notRoot = await run(["revoke", "--ca", L, "--id", "x"]);
    expect(notRoot.err).toMatch(/CA_NOT_ROOT/);
    const [i, revoked] = await Promise.all([
      run(["inspect", join(R, "denylist.cbor"), "--trust-anchor", join(R, "trust-anchor.cred"), "--json"]),
      run(["inspect", join(D, "00000042.cred"), "--trust-anchor", join(R, "trust-anchor.cred"), "--deny-list", join(R, "denylist.cbor")]),
    ]);
    expect(i.code).toBe(0);
    expect(JSON.parse(i.out)).toMatchObject({ kind: "deny-list", version: 2, revoked: ["00000007", "00000042", "acme-l9"], signature: { status: "valid" } });
    // The revoked device, checked with the deny list: exit 1 with the code.
    expect(revoked.code).toBe(1);
    expect(revoked.out).toMatch(/INVALID: CRED_REVOKED/);
  });

  it("inspect: a device credential with its chain, readable and as JSON", async () => {
    const f = join(D, "00000042.cred");
    const [text, json, other] = await Promise.all([
      run(["inspect", f, "--trust-anchor", join(R, "trust-anchor.cred")]),
      run(["inspect", f, "--trust-anchor", join(R, "trust-anchor.cred"), "--json"]),
      // Against a wrong anchor: exit 1 with the code.
      run(["inspect", f, "--trust-anchor", join(D, "00000042.chain")]),
    ]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/credential \(device\), 198 bytes of the 200-byte device budget/);
    expect(text.out).toMatch(/chain\s+valid: 00000042 <- acme-l1 <- acme-root/);
    const j = JSON.parse(json.out);
    expect(j).toMatchObject({ kind: "credential", role: "device", sub: "00000042", iss: "acme-l1", model: "puck", size: 198, chain: { status: "valid" } });
    expect(j.key.x).toMatch(/^[0-9a-f]{64}$/);
    expect(other.code).toBe(1);
    expect(other.out).toMatch(/CRED_BAD_ANCHOR/);
  });

  it("inspect: trust anchors, CA key files and private keys (never shown)", async () => {
    const junk = join(dir, "junk.bin");
    writeFileSync(junk, new Uint8Array([0x84, 1, 2, 3]));
    const [a, k, pk, j] = await Promise.all([
      run(["inspect", join(R, "trust-anchor.cred")]),
      run(["inspect", join(R, "ca.key"), "--json"]),
      run(["inspect", join(D, "00000042.key")]),
      run(["inspect", junk]),
    ]);
    expect(a.out).toMatch(/trust anchor \(self-issued root CA credential\)/);
    expect(a.out).toMatch(/self-signature valid/);
    expect(JSON.parse(k.out)).toMatchObject({ kind: "ca-key", kdf: { alg: "scrypt", N: 16384, r: 8, p: 1 } });
    const key = readFileSync(join(D, "00000042.key"));
    expect(pk.out).toMatch(/raw private key/);
    expect(pk.out).not.toContain(toHex(key));
    expect(j.code).toBe(1);
    expect(j.err).toMatch(/INSPECT_UNKNOWN/);
  });
});

// The interactive path: a passphrase typed on a terminal, not echoed. Needs util-linux
// `script` (with --echo, 2.35+) to give the CLI a pseudo-terminal; `-E never` stops script
// itself from echoing what we feed it, so any echo seen would come from pairkit.
const hasScript = /--echo/.test(spawnSync("script", ["--help"], { encoding: "utf8" }).stdout || "");
describe.skipIf(!hasScript)("passphrase prompt on a terminal", () => {
  it("asks twice with echo off, then the key opens with that passphrase", async () => {
    const secret = "typed on a terminal 42";
    const T = join(dir, "tty-root");
    const cmd = `${process.execPath} ${BIN} ca init --dir ${T} --name tty-root --kdf-log2n 14`;
    const e: Record<string, string | undefined> = { ...process.env };
    delete e.PAIRKIT_CA_PASSPHRASE;
    const p = spawn("script", ["-qef", "-E", "never", "-c", cmd, "/dev/null"], { cwd: ROOT, env: e as NodeJS.ProcessEnv });
    let out = "";
    let answered = 0;
    p.stdout.on("data", (d) => {
      out += d;
      // Answer each prompt once it is shown (typing earlier would be echoed by the terminal before raw mode).
      const prompts = (out.match(/passphrase for root CA 'tty-root': |Repeat it: /g) || []).length;
      while (answered < prompts) {
        answered++;
        p.stdin.write(secret + "\r");
      }
    });
    const code = await new Promise<number | null>((r) => p.on("close", r));
    expect(code).toBe(0);
    expect(out).toMatch(/New passphrase for root CA 'tty-root': /);
    expect(out).not.toContain(secret);
    expect(mode(join(T, "ca.key"))).toBe(0o600);
    const use = await run(["device", "issue", "--ca", T, "--id", "t1", "--model", "m", "--generate", "--out", join(dir, "tty-dev")], { PAIRKIT_CA_PASSPHRASE: secret });
    expect(use.err).toBe("");
    expect(use.code).toBe(0);
  });
});
