/**
 * Host CA tooling as a library: the encrypted key file, atomic 0600 writes, public key
 * file formats, root/intermediate/device issuance and deny-list versions on disk.
 */
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { p256 } from "@noble/curves/nist.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../src/core/bytes";
import { parseCredential, validateChain, verifyDenyList } from "../../src/core/cred/index";
import { createNobleProvider } from "../../src/crypto/noble";
import {
  createIntermediate, currentDenyList, initRootCa, issueBatch, issueDevice, readCaDir, readPublicKey, revoke, unlockCa, type LoadedCa,
} from "../../src/host/ca/ca";
import { KEY_FILE_LEN, decryptCaKey, encryptCaKey, keyFileInfo, writeFileAtomic } from "../../src/host/ca/keystore";
import { rmSync } from "node:fs";

const c = createNobleProvider();
const PASS = "correct horse battery staple";
const KDF = { log2N: 14 };
let tmp: string;

async function code(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "OK";
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "pairkit-ca-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("CA key file", () => {
  const scalar = p256.utils.randomSecretKey();

  it("round-trips with the passphrase; 88 bytes; parameters readable without it", () => {
    const f = encryptCaKey(scalar, PASS, KDF);
    expect(f.length).toBe(KEY_FILE_LEN);
    expect(Buffer.from(f.subarray(0, 7)).toString()).toBe("PKCAKEY");
    expect(keyFileInfo(f)).toEqual({ log2N: 14, r: 8, p: 1, curve: 1 });
    expect(toHex(decryptCaKey(f, PASS))).toBe(toHex(scalar));
    // Fresh salt and nonce every time.
    expect(toHex(encryptCaKey(scalar, PASS, KDF))).not.toBe(toHex(f));
  });

  it("a wrong passphrase is CA_BAD_PASSPHRASE", async () => {
    const f = encryptCaKey(scalar, PASS, KDF);
    expect(await code(() => decryptCaKey(f, PASS + "!"))).toBe("CA_BAD_PASSPHRASE");
  });

  it("any change to header or ciphertext is refused (header is the GCM AAD)", async () => {
    const f = encryptCaKey(scalar, PASS, KDF);
    for (const i of [11 - 1, 12, 27, 28, 39, 40, 71, 72, 87]) {
      const t = f.slice();
      t[i] ^= 1;
      expect(await code(() => decryptCaKey(t, PASS))).toMatch(/^CA_(BAD_PASSPHRASE|KEY_MALFORMED)$/);
    }
    const weak = f.slice();
    weak[8] = 10; // log2 N below the minimum: refused before running scrypt
    expect(await code(() => decryptCaKey(weak, PASS))).toBe("CA_KEY_MALFORMED");
    const huge = f.slice();
    huge[8] = 30; // a DoS-sized cost: refused too
    expect(await code(() => decryptCaKey(huge, PASS))).toBe("CA_KEY_MALFORMED");
    expect(await code(() => decryptCaKey(f.subarray(0, 80), PASS))).toBe("CA_KEY_MALFORMED");
  });

  it("writeFileAtomic: mode 0600, no temp files left, exclusive refuses to overwrite", async () => {
    const p = join(tmp, "k.bin");
    writeFileAtomic(p, new Uint8Array([1, 2, 3]), 0o600, true);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(await code(() => writeFileAtomic(p, new Uint8Array([4]), 0o600, true))).toBe("CA_EXISTS");
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    writeFileAtomic(p, new Uint8Array([5]), 0o600);
    expect([...readFileSync(p)]).toEqual([5]);
    expect(readdirSync(tmp).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});

describe("public key files", () => {
  const kp = c.importPrivateKey(1, p256.utils.randomSecretKey());
  const raw = kp.pub;
  const sec1 = new Uint8Array([4, ...raw]);
  it("accepts raw 64, SEC1 65 and hex of either", () => {
    for (const f of [raw, sec1, Buffer.from(toHex(raw) + "\n"), Buffer.from(toHex(sec1).toUpperCase())]) expect(toHex(readPublicKey(new Uint8Array(f)))).toBe(toHex(raw));
  });
  it("refuses other sizes, compressed keys and points off the curve", async () => {
    const off = raw.slice();
    off[63] ^= 1;
    for (const f of [raw.subarray(0, 63), new Uint8Array([2, ...raw.subarray(0, 32)]), off, Buffer.from("zz"), new Uint8Array([5, ...raw])])
      expect(await code(() => readPublicKey(new Uint8Array(f)))).toBe("CA_BAD_PUBKEY");
  });
});

describe("CA directories", () => {
  let root: LoadedCa, line: LoadedCa;

  beforeAll(async () => {
    await initRootCa({ dir: join(tmp, "root"), name: "acme-root", passphrase: PASS, kdf: KDF, crypto: c });
    root = await unlockCa(readCaDir(join(tmp, "root")), PASS, c);
    await createIntermediate(root, { name: "acme-l1", out: join(tmp, "l1"), passphrase: PASS, kdf: KDF });
    line = await unlockCa(readCaDir(join(tmp, "l1")), PASS, c);
  });

  it("root: self-issued CA, key file 0600, refuses a second init", async () => {
    expect(root.isRoot).toBe(true);
    expect(root.cred).toMatchObject({ role: "ca", pathLen: 1, sub: "acme-root", iss: "acme-root" });
    expect(statSync(join(tmp, "root", "ca.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(tmp, "root", "trust-anchor.cred")).equals(readFileSync(join(tmp, "root", "ca.cred")))).toBe(true);
    expect(await code(() => initRootCa({ dir: join(tmp, "root"), name: "again", passphrase: PASS, kdf: KDF }))).toBe("CA_EXISTS");
    expect(await code(() => unlockCa(readCaDir(join(tmp, "root")), "wrong passphrase"))).toBe("CA_BAD_PASSPHRASE");
  });

  it("intermediate: path length 0, chains to the root, cannot issue another CA", async () => {
    expect(line.isRoot).toBe(false);
    expect(line.cred).toMatchObject({ pathLen: 0, iss: "acme-root" });
    expect(await code(() => createIntermediate(line, { name: "acme-l2", out: join(tmp, "l2"), passphrase: PASS, kdf: KDF }))).toBe("CA_PATH_LEN");
  });

  it("issues a device from a public key and with --generate; validates; refuses to overwrite", async () => {
    const kp = c.importPrivateKey(1, p256.utils.randomSecretKey());
    const out = join(tmp, "devs");
    const a = await issueDevice(line, { id: "dev-a", model: "puck", pub: kp.pub, out });
    expect(a.files.map((f) => f.slice(out.length + 1))).toEqual(["dev-a.cred", "dev-a.chain"]);
    const b = await issueDevice(line, { id: "dev-b", model: "puck", generate: true, out });
    expect(statSync(join(out, "dev-b.key")).mode & 0o777).toBe(0o600);
    const key = readFileSync(join(out, "dev-b.key"));
    expect(key.length).toBe(32);
    expect(toHex(c.importPrivateKey(1, key).pub)).toBe(toHex(b.cred.pub));
    const anchor = readFileSync(join(out, "trust-anchor.cred"));
    for (const id of ["dev-a", "dev-b"]) {
      const p = await validateChain(c, readFileSync(join(out, id + ".cred")), { anchors: [anchor], intermediates: [readFileSync(join(out, id + ".chain"))] });
      expect(p.sub).toBe(id);
    }
    expect(await code(() => issueDevice(line, { id: "dev-a", model: "puck", pub: kp.pub, out }))).toBe("CA_EXISTS");
    expect(await code(() => issueDevice(line, { id: "../evil", model: "puck", pub: kp.pub, out }))).toBe("CA_BAD_ID");
    expect(await code(() => issueDevice(line, { id: ".hidden", model: "puck", pub: kp.pub, out }))).toBe("CA_BAD_ID");
    // A device directory belongs to one trust anchor.
    const other = join(tmp, "other-out");
    await issueDevice(root, { id: "r1", model: "puck", generate: true, out: other });
    writeFileSync(join(other, "trust-anchor.cred"), line.cred.bytes);
    expect(await code(() => issueDevice(root, { id: "r2", model: "puck", generate: true, out: other }))).toBe("CA_EXISTS");
  });

  it("batch: serial ids never repeat across batches", async () => {
    const out = join(tmp, "batch");
    const r1 = await issueBatch(root, { count: 3, model: "pk", out, prefix: "r" });
    const r2 = await issueBatch(root, { count: 2, model: "pk", out, prefix: "r" });
    expect(r1.ids).toEqual(["r00000001", "r00000002", "r00000003"]);
    expect(r2.ids).toEqual(["r00000004", "r00000005"]);
    expect(r1.rate).toBeGreaterThan(0);
    expect(parseCredential(readFileSync(join(out, "r00000005.cred"))).iss).toBe("acme-root");
    for (const id of [...r1.ids, ...r2.ids])
      expect(toHex(c.importPrivateKey(1, readFileSync(join(out, id + ".key"))).pub)).toBe(toHex(parseCredential(readFileSync(join(out, id + ".cred"))).pub));
  });

  it("revoke: versions 1, 2, ...; root only; typed errors", async () => {
    const a = await revoke(root, ["dev-a"]);
    expect(a.list.version).toBe(1);
    const b = await revoke(root, ["dev-b", "dev-a"]);
    expect(b.list.version).toBe(2);
    expect(b.list.revoked).toEqual(["dev-a", "dev-b"]);
    expect(b.added).toEqual(["dev-b"]);
    const cur = await currentDenyList(root, c);
    expect(cur!.version).toBe(2);
    const v1 = await verifyDenyList(c, readFileSync(join(tmp, "root", "denylist-1.cbor")), [root.cred.bytes]);
    expect(v1.revoked).toEqual(["dev-a"]);
    expect(await code(() => revoke(root, ["dev-a"]))).toBe("CA_ALREADY_REVOKED");
    expect(await code(() => revoke(line, ["x"]))).toBe("CA_NOT_ROOT");
    expect(await code(() => revoke(root, ["x", "y"], 3))).toBe("DENY_TOO_LARGE");
  });

  it("revoke refuses a deny list too large for a device's flash record, and publishes nothing", async () => {
    // 64 entries (within the entry bound) of 64-character subjects: 4,309 bytes signed.
    const before = readFileSync(join(tmp, "root", "denylist.cbor"));
    const ids = Array.from({ length: 62 }, (_, i) => ("big-" + i + "-").padEnd(64, "x"));
    const e = await revoke(root, ids).then(() => null, (x) => x);
    expect(e?.code).toBe("DENY_TOO_LARGE");
    expect(e?.message).toMatch(/bytes; a device stores at most 4096/);
    expect(readFileSync(join(tmp, "root", "denylist.cbor"))).toEqual(before);
    // Shorter subjects fit: the same count is accepted.
    const ok = await revoke(root, ids.map((s) => s.slice(0, 40)));
    expect(ok.list.revoked.length).toBe(64);
  });
});
