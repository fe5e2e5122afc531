// What the lifecycle refuses, and that a refusal changes no state: pairing outside a
// window, another manufacturer's genuine credential, a revoked credential, replayed and
// relayed messages, a man in the middle with a genuine credential, a different key for a
// bound identity, and a flood of hostile attempts during an open window.
import { describe, expect, it } from "vitest";
import { pairByButton, setup, crypto } from "./helpers";
import { memRoot } from "../../src/host/ca/memory";
import type { Link } from "../../src/core/link";
import type { Bytes } from "../../src/core/bytes";
import type { SimDevice } from "../../src/host/sim/device";

function codes(d: SimDevice, from = 0): string[] {
  return d.seen("failed", from).map((e) => (e.detail as { code: string }).code);
}

/** Snapshot of what a device has persisted. */
function persisted(d: SimDevice): string {
  return JSON.stringify([...d.flash.files.entries()].map(([k, v]) => [k, Buffer.from(v).toString("hex")]).sort());
}

/** Records every write a device makes on links it opens or accepts. */
function tap(d: SimDevice): Bytes[][] {
  const log: Bytes[][] = [];
  const acc = d.accept.bind(d);
  const wrap = (l: Link) => {
    const w: Bytes[] = [];
    log.push(w);
    const send = l.send.bind(l);
    l.send = (b: Bytes) => {
      w.push(new Uint8Array(b));
      send(b);
    };
  };
  d.accept = (l: Link, from: string) => {
    wrap(l);
    acc(l, from);
  };
  const con = d.world.connect.bind(d.world);
  d.world.connect = async (from: string, to: string) => {
    const l = await con(from, to);
    if (from === d.name) wrap(l);
    return l;
  };
  return log;
}

describe("refused, with no state change", () => {
  it("pairing outside a window", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    const before = persisted(a);
    b.press(200);
    await m.world.run(3000);
    // b's window is open, a's is not: a never initiates; b dialling a directly is refused.
    b.pairing.connectTo("lamp-a", null);
    await m.world.run(3000);
    expect(a.pairing.bindings).toEqual([]);
    // a answers by kid (only pinned peers can follow that), so b cannot even identify a.
    expect(codes(b)).toContain("EDHOC_UNKNOWN_CRED");
    expect(persisted(a)).toBe(before);
  });

  it("a genuine credential from another manufacturer's CA", async () => {
    const m = await setup();
    const other = await memRoot(crypto, "Evil");
    const a = await m.device("lamp-a");
    const x = await m.device("lamp-x", { root: other });
    expect(await pairByButton(m.world, a, x)).toBe(false);
    expect([...codes(a), ...codes(x)]).toContain("CRED_UNKNOWN_ISSUER");
    expect(a.pairing.bindings).toEqual([]);
  });

  it("a revoked credential (deny list installed on the device)", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    await a.pairing.installDenyList(await m.denyList(1, ["lamp-b"]));
    expect(await pairByButton(m.world, a, b)).toBe(false);
    expect([...codes(a), ...codes(b)]).toContain("CRED_REVOKED");
    expect(a.pairing.bindings).toEqual([]);
  });

  it("a bound identity presenting a different key is refused and reported", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    await pairByButton(m.world, a, b);
    b.powerOff();
    // Same identity, new key: a cloned or re-issued "lamp-b".
    const fake = await m.device("lamp-b");
    fake.name = "lamp-b2";
    const before = persisted(a);
    a.press(3500);
    fake.press(200);
    await m.world.run(5000);
    const reported = a.seen("key-mismatch").map((e) => (e.detail as { sub: string }).sub);
    expect(reported.length).toBeGreaterThan(0);
    expect(new Set(reported)).toEqual(new Set(["lamp-b"]));
    expect(codes(a)).toContain("PAIR_KEY_MISMATCH");
    expect(persisted(a)).toBe(before);
  });

  for (const fast of [false, true]) {
    it(fast ? "a fast reconnect and its records replayed to a new connection" : "EDHOC and session messages replayed from an earlier session", async () => {
      const m = await setup();
      const a = await m.device("lamp-a", { policy: { fastReconnect: fast } });
      const b = await m.device("lamp-b", { policy: { fastReconnect: fast } });
      await pairByButton(m.world, a, b);
      for (const d of [a, b]) for (const c of [...d.pairing.conns]) d.pairing.drop(c, "test");
      const log = tap(a);
      a.pairing.connectTo("lamp-b", "lamp-b");
      await m.world.until(() => a.seen("session").length >= 2, 5000);
      expect((a.last("session")!.detail as { fast: boolean }).fast).toBe(fast);
      a.pairing.send("lamp-b", new Uint8Array([7]));
      await m.world.run(500);
      const recorded = log[log.length - 1];
      expect(recorded.length).toBeGreaterThan(3);
      const before = persisted(b);
      const sessions = b.seen("session").length;
      const messages = b.seen("message").length;
      // The attacker replays every write of that connection on a fresh link to b.
      const link = await m.world.connect("attacker", "lamp-b");
      for (const w of recorded) link.send(w);
      await m.world.run(3000);
      expect(b.seen("session").length).toBe(sessions);
      expect(b.seen("message").length).toBe(messages);
      expect(persisted(b)).toBe(before);
    });
  }

  it("a man in the middle with genuine credentials is caught by the code", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    // The attacker owns two genuine devices and sits between a and b, who are out of each
    // other's range: a can only reach m1, b only m2.
    const m1 = await m.device("mitm-1");
    const m2 = await m.device("mitm-2");
    const near: Record<string, string> = { "lamp-a": "mitm-1", "mitm-1": "lamp-a", "lamp-b": "mitm-2", "mitm-2": "lamp-b" };
    m.world.inRange = (x, y) => near[x] === y;
    for (const d of [a, b, m1, m2]) d.press(200);
    expect(await m.world.until(() => a.seen("code").length > 0 && b.seen("code").length > 0, 10000)).toBe(true);
    const ca = (a.last("code")!.detail as { code: string }).code;
    const cb = (b.last("code")!.detail as { code: string }).code;
    // The attacker confirms on his devices; the people see different codes and do not press.
    m1.press(200);
    m2.press(200);
    await m.world.run(31000);
    expect(a.pairing.bindings).toEqual([]);
    expect(b.pairing.bindings).toEqual([]);
    // EDHOC itself accepted the attacker (his credential is genuine): only the code shows it.
    expect((a.last("code")!.detail as { peer: string }).peer).toBe("mitm-1");
    expect((b.last("code")!.detail as { peer: string }).peer).toBe("mitm-2");
    expect(ca).toMatch(/^[1-6]{4}$/);
    expect(cb).toMatch(/^[1-6]{4}$/);
    expect(a.seen("paired")).toEqual([]);
  });

  it("100 hostile attempts during a window do not prevent a legitimate pairing in the same window", async () => {
    const m = await setup();
    const other = await memRoot(crypto, "Evil");
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    const x = await m.device("lamp-x", { root: other });
    // b is out of range while the attacks run.
    m.world.inRange = (p, q) => p !== "lamp-b" && q !== "lamp-b";
    a.press(200);
    x.press(200);
    for (let i = 0; i < 100; i++) {
      if (i % 2 === 0) {
        // Garbage bytes on a fresh link.
        const l = await m.world.connect("junk", "lamp-a");
        l.send(crypto.randomBytes(1 + (i % 19)));
      } else {
        // A genuine device of another manufacturer, window open.
        x.pairing.connectTo("lamp-a", null);
      }
      await m.world.run(100);
    }
    x.powerOff();
    m.world.inRange = () => true;
    await m.world.run(1000);
    expect(a.pairing.window).toBe(1);
    expect(codes(a)).toContain("CRED_UNKNOWN_ISSUER");
    const eb = b.events.length;
    b.press(200);
    expect(await m.world.until(() => a.seen("code").length > 0 && b.seen("code", eb).length > 0, 10000)).toBe(true);
    a.press(200);
    b.press(200);
    expect(await m.world.until(() => a.seen("paired").length > 0 && b.seen("paired").length > 0, 10000)).toBe(true);
    expect(a.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-b"]);
    // The failed attempts' back-offs expire and are forgotten (no memory held per attacker;
    // the last junk link fails by its 10 s message deadline, then 5 s of back-off).
    await m.world.run(20000);
    expect(Object.keys(a.pairing.backoff)).toEqual([]);
  });
});

describe("deny lists travel", () => {
  it("a newer manufacturer-signed deny list spreads to a peer during a session; rollback is refused", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    await a.pairing.installDenyList(await m.denyList(2, ["lamp-z"]));
    await pairByButton(m.world, a, b);
    expect(await m.world.until(() => b.seen("deny-updated").length > 0, 3000)).toBe(true);
    expect(b.pairing.deny?.version).toBe(2);
    await expect(b.pairing.installDenyList(await m.denyList(1, []))).rejects.toMatchObject({ code: "DENY_ROLLBACK" });
    // It survives a reboot.
    b.powerOff();
    await b.powerOn();
    expect(b.pairing.deny?.version).toBe(2);
  });
});
