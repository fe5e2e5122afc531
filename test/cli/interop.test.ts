// Drives the real `pairkit interop` CLI: a responder and an initiator on 127.0.0.1 complete
// a session for each method in suite 2 (and suite 0) and write matching keylog lines; a
// long-running responder survives hostile and stalled clients.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "../../src/core/bytes";
import { makeCcs } from "../../src/core/edhoc/ccs";
import { createNobleProvider } from "../../src/crypto/noble";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "pairkit.mjs");
const dir = mkdtempSync(join(tmpdir(), "pairkit-interop-"));
const c = createNobleProvider();

function party(name: string, crv: number, kid: boolean) {
  const raw = c.randomBytes(32);
  raw[0] &= 0x7f;
  const kp = c.importPrivateKey(crv, raw);
  const cred = makeCcs(name, crv, kp.pub, kid ? new Uint8Array([name.charCodeAt(0), crv]) : null);
  const base = join(dir, `${name}-${crv}`);
  writeFileSync(`${base}.key`, toHex(raw)); // hex text form
  writeFileSync(`${base}.cred`, cred); // binary form
  return { key: `${base}.key`, cred: `${base}.cred` };
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function start(args: string[]): { p: ChildProcess; done: Promise<Run>; port: Promise<number> } {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, PAIRKIT_CA_PASSPHRASE: "interop test passphrase" } });
  let out = "";
  let err = "";
  let gotPort: (n: number) => void = () => {};
  const port = new Promise<number>((r) => (gotPort = r));
  p.stdout!.on("data", (d) => (out += d));
  p.stderr!.on("data", (d) => {
    err += d;
    const m = /listening on [^:]+:(\d+)/.exec(err);
    if (m) gotPort(Number(m[1]));
  });
  const done = new Promise<Run>((r) => p.on("close", (code) => r({ code, out, err })));
  return { p, done, port };
}

const sid = (n: string) => ({ i: party(`${n}-i`, 1, true), r: party(`${n}-r`, 1, false) });

beforeAll(() => {
  // Warm the CLI bundle once so parallel spawns do not all rebuild it.
  return start(["--help"]).done;
});

describe("pairkit interop", () => {
  for (const method of [0, 1, 2, 3]) {
    it(`method ${method}, suite 2: responder and initiator complete and log the same PRK_out`, async () => {
      const { i, r } = sid(`m${method}`);
      const kl = { i: join(dir, `kl-i-${method}`), r: join(dir, `kl-r-${method}`) };
      const common = ["--method", String(method), "--suite", "2"];
      const resp = start(["interop", "responder", "--listen", "127.0.0.1:0", "--once", ...common, "--key", r.key, "--cred", r.cred, "--peer-cred", i.cred, "--keylog", kl.r]);
      const port = await resp.port;
      const ini = await start(["interop", "initiator", "--connect", `127.0.0.1:${port}`, ...common, "--key", i.key, "--cred", i.cred, "--peer-cred", r.cred, "--keylog", kl.i]).done;
      const rr = await resp.done;
      expect(ini.code, ini.err).toBe(0);
      expect(rr.code, rr.err).toBe(0);
      const li = readFileSync(kl.i, "utf8");
      expect(li).toMatch(/^EDHOC_PRK_OUT [0-9a-f]+ [0-9a-f]{64}\n$/);
      expect(readFileSync(kl.r, "utf8")).toBe(li);
    });
  }

  it("suite 0, method 3 (X25519 static keys) completes", async () => {
    const i = party("s0-i", 4, true);
    const r = party("s0-r", 4, true);
    const common = ["--method", "3", "--suite", "0"];
    const resp = start(["interop", "responder", "--listen", "127.0.0.1:0", "--once", ...common, "--key", r.key, "--cred", r.cred, "--peer-cred", i.cred]);
    const ini = await start(["interop", "initiator", "--connect", `127.0.0.1:${await resp.port}`, ...common, "--key", i.key, "--cred", i.cred, "--peer-cred", r.cred]).done;
    expect(ini.code, ini.err).toBe(0);
    expect((await resp.done).code).toBe(0);
  });

  it("an unknown peer fails on both sides with one line naming the failure", async () => {
    const { i, r } = sid("unk");
    const stranger = party("stranger", 1, true);
    const common = ["--method", "3", "--suite", "2"];
    const resp = start(["interop", "responder", "--listen", "127.0.0.1:0", "--once", ...common, "--key", r.key, "--cred", r.cred, "--peer-cred", stranger.cred]);
    const ini = await start(["interop", "initiator", "--connect", `127.0.0.1:${await resp.port}`, ...common, "--key", i.key, "--cred", i.cred, "--peer-cred", r.cred]).done;
    const rr = await resp.done;
    expect(rr.code).not.toBe(0);
    expect(rr.err).toMatch(/EDHOC_UNKNOWN_CRED/);
    expect(ini.code).not.toBe(0);
    expect(ini.err.trim().split("\n")).toHaveLength(1);
    expect(ini.err).toMatch(/EDHOC error 3/);
  });

  it("bad usage exits non-zero with a clear message", async () => {
    const r = await start(["interop", "initiator", "--connect", "127.0.0.1:1", "--method", "7", "--suite", "2", "--key", "x", "--cred", "y"]).done;
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--method must be one of/);
  });
});

describe("a long-running responder", () => {
  let resp: ReturnType<typeof start>;
  let port = 0;
  const p = sid("srv");
  beforeAll(async () => {
    resp = start(["interop", "responder", "--listen", "127.0.0.1:0", "--method", "3", "--suite", "2", "--key", p.r.key, "--cred", p.r.cred, "--peer-cred", p.i.cred]);
    port = await resp.port;
  });
  afterAll(() => {
    resp.p.kill("SIGKILL");
  });

  function rawSession(bytes: Buffer, keepOpen = false): Promise<Buffer> {
    return new Promise((resolve) => {
      const s = connect({ host: "127.0.0.1", port }, () => s.write(bytes));
      let got = Buffer.alloc(0);
      s.on("data", (d) => (got = Buffer.concat([got, d])));
      s.on("close", () => resolve(got));
      if (!keepOpen) setTimeout(() => s.end(), 300);
    });
  }

  it("answers hostile input with an EDHOC error message and keeps serving; a stalled client blocks nobody", async () => {
    const stalled = connect({ host: "127.0.0.1", port }); // never sends anything
    const garbage = await rawSession(Buffer.from([0, 3, 0xff, 0xff, 0xff]));
    expect(garbage.length).toBeGreaterThan(2);
    expect(garbage[2]).toBe(0x01); // ERR_CODE 1
    const oversize = await rawSession(Buffer.from([0x20, 0x00, 1, 2, 3]));
    expect(oversize.subarray(2).toString("latin1")).toMatch(/FRAME_TOO_LARGE/);
    const badPoint = await rawSession(Buffer.concat([Buffer.from([0, 37, 0x03, 0x02, 0x58, 0x20]), Buffer.alloc(32, 0xff), Buffer.from([0x0e])]));
    expect(badPoint[2]).toBe(0x01);
    const ini = await start(["interop", "initiator", "--connect", `127.0.0.1:${port}`, "--method", "3", "--suite", "2", "--key", p.i.key, "--cred", p.i.cred, "--peer-cred", p.r.cred]).done;
    expect(ini.code, ini.err).toBe(0);
    stalled.destroy();
    expect(existsSync(BIN)).toBe(true);
  });
});

describe("pairkit interop with manufacturer credentials (--trust-anchor)", () => {
  const ca = join(dir, "ca");
  const evil = join(dir, "evil");
  const devs = join(dir, "devs");
  beforeAll(async () => {
    for (const [d, n] of [[ca, "acme"], [evil, "evil"]]) {
      const r = await start(["ca", "init", "--dir", d, "--name", n, "--kdf-log2n", "14"]).done;
      expect(r.code, r.err).toBe(0);
    }
    for (const [c, id] of [[ca, "dev-a"], [ca, "dev-b"], [evil, "dev-x"], [ca, "dev-r"]]) {
      const r = await start(["device", "issue", "--ca", c, "--id", id, "--model", "lamp", "--generate", "--out", c === evil ? devs + "-evil" : devs]).done;
      expect(r.code, r.err).toBe(0);
    }
    const r = await start(["revoke", "--ca", ca, "--id", "dev-r"]).done;
    expect(r.code, r.err).toBe(0);
  }, 60000);

  const dev = (id: string) => {
    const d = id === "dev-x" ? devs + "-evil" : devs;
    return ["--key", join(d, `${id}.key`), "--cred", join(d, `${id}.cred`)];
  };
  const anchor = () => ["--trust-anchor", join(ca, "trust-anchor.cred")];

  async function session(method: number, ini: string, extraR: string[] = []) {
    const common = ["--method", String(method), "--suite", "2"];
    const resp = start(["interop", "responder", "--listen", "127.0.0.1:0", "--once", ...common, ...dev("dev-b"), ...anchor(), ...extraR]);
    const i = await start(["interop", "initiator", "--connect", `127.0.0.1:${await resp.port}`, ...common, ...dev(ini), ...anchor()]).done;
    return { i, r: await resp.done };
  }

  for (const method of [0, 3]) {
    it(`method ${method}: two issued devices authenticate by kcwt`, async () => {
      const { i, r } = await session(method, "dev-a");
      expect(i.code, i.err).toBe(0);
      expect(r.code, r.err).toBe(0);
      expect(i.out).toMatch(/peer dev-b/);
      expect(r.out).toMatch(/peer dev-a/);
    });
  }

  it("a device of another CA fails on both sides", async () => {
    const { i, r } = await session(3, "dev-x");
    expect(r.code).not.toBe(0);
    expect(i.code).not.toBe(0);
    expect(`${i.err}${r.err}`).toMatch(/CRED_UNKNOWN_ISSUER/);
  });

  it("a revoked device is refused when the responder has the deny list", async () => {
    const { i, r } = await session(3, "dev-r", ["--deny-list", join(ca, "denylist.cbor")]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/CRED_REVOKED/);
    expect(i.code).not.toBe(0);
  });
});
