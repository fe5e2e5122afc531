// The pairing lifecycle through the public API, with simulated time, storage and
// transport: pair, reconnect, replace, clear-all, capacity, window time-outs and a
// confirmation that never comes.
import { describe, expect, it } from "vitest";
import { crypto, deadPeer, pairByButton, setup, stageReplacement } from "./helpers";
import { saveRecord } from "../../src/core/store/records";
import { concat } from "../../src/core/bytes";
import type { MemoryLink } from "../../src/host/transport/memory";

describe("pairing by button", () => {
  it("two devices pair: same code on both, one binding each with the peer's identity and pinned key", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    expect(await pairByButton(m.world, a, b)).toBe(true);
    expect(a.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-b"]);
    expect(b.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-a"]);
    expect(a.pairing.window).toBe(0);
    // Both derived the same pairing secret and pinned each other's key.
    expect(Buffer.from(a.pairing.bindings[0].secret).equals(Buffer.from(b.pairing.bindings[0].secret))).toBe(true);
    expect(a.ui.map((u) => u.ev)).toContain("code");
    expect(a.ui.map((u) => u.ev)).toContain("ok");
  });

  it("bound peers reconnect without a button (fast reconnect) and exchange messages", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    await pairByButton(m.world, a, b);
    for (const d of [a, b]) for (const c of [...d.pairing.conns]) d.pairing.drop(c, "test");
    await m.world.run(100);
    const ev = a.events.length;
    a.pairing.connectTo("lamp-b", "lamp-b");
    expect(await m.world.until(() => a.seen("session", ev).length > 0 && b.seen("session").length > 1, 5000)).toBe(true);
    expect((a.seen("session", ev)[0].detail as { fast: boolean }).fast).toBe(true);
    const eb = b.events.length;
    a.pairing.send("lamp-b", new Uint8Array([1, 2, 3]));
    expect(await m.world.until(() => b.seen("message", eb).length > 0, 2000)).toBe(true);
    expect((b.seen("message", eb)[0].detail as { data: Uint8Array }).data).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("reconnects with full EDHOC by kid when fast reconnect is off", async () => {
    const m = await setup();
    const a = await m.device("lamp-a", { policy: { fastReconnect: false } });
    const b = await m.device("lamp-b", { policy: { fastReconnect: false } });
    await pairByButton(m.world, a, b);
    for (const d of [a, b]) for (const c of [...d.pairing.conns]) d.pairing.drop(c, "test");
    const ev = a.events.length;
    a.pairing.connectTo("lamp-b", "lamp-b");
    expect(await m.world.until(() => a.seen("session", ev).length > 0, 5000)).toBe(true);
    expect((a.seen("session", ev)[0].detail as { fast: boolean }).fast).toBe(false);
  });

  it("a peer that refuses fast reconnect gets full EDHOC from the same connection", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b", { policy: { fastReconnect: false } });
    await pairByButton(m.world, a, b);
    for (const d of [a, b]) for (const c of [...d.pairing.conns]) d.pairing.drop(c, "test");
    const ev = a.events.length;
    const dials = a.seen("dial").length;
    a.pairing.connectTo("lamp-b", "lamp-b");
    expect(await m.world.until(() => a.seen("session", ev).length > 0, 5000)).toBe(true);
    expect((a.seen("session", ev)[0].detail as { fast: boolean }).fast).toBe(false);
    expect(a.seen("dial").length).toBe(dials + 1);
    expect(a.seen("failed", ev)).toEqual([]);
  });

  it("no confirmation within the time limit leaves no binding", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    expect(await pairByButton(m.world, a, b, { confirm: false })).toBe(false);
    await m.world.run(31000);
    expect(a.pairing.bindings).toEqual([]);
    expect(b.pairing.bindings).toEqual([]);
    expect([...a.seen("failed"), ...b.seen("failed")].map((e) => (e.detail as { code: string }).code)).toContain("PAIR_NOT_CONFIRMED");
  });

  it("a confirmation on one side only leaves no binding on either", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    await pairByButton(m.world, a, b, { confirm: false });
    a.press(200);
    await m.world.run(31000);
    expect(a.pairing.bindings).toEqual([]);
    expect(b.pairing.bindings).toEqual([]);
  });

  it("the pairing window closes after 60 s", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    a.press(200);
    expect(a.pairing.window).toBe(1);
    await m.world.run(59000);
    expect(a.pairing.window).toBe(1);
    await m.world.run(2000);
    expect(a.pairing.window).toBe(0);
    const b = await m.device("lamp-b");
    b.press(200);
    await m.world.run(5000);
    expect(b.seen("code")).toEqual([]);
  });

  it("a full device refuses new pairings outside a replacement window", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    const c = await m.device("lamp-c");
    await pairByButton(m.world, a, b);
    b.powerOff();
    expect(await pairByButton(m.world, a, c)).toBe(false);
    expect(a.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-b"]);
    expect([...a.seen("failed"), ...c.seen("failed")].map((e) => (e.detail as { code: string }).code)).toContain("PAIR_FULL");
  });

  it("an app holds N bindings and pairs with only the device's button", async () => {
    const m = await setup();
    const app = await m.device("phone-app", { role: "app", model: "app" });
    const devs = [await m.device("lamp-1"), await m.device("lamp-2"), await m.device("lamp-3")];
    for (const d of devs) {
      const ev = d.events.length;
      d.press(200);
      expect(await m.world.until(() => d.seen("code", ev).length > 0, 10000)).toBe(true);
      app.pairing.confirmCode();
      d.press(200);
      expect(await m.world.until(() => d.seen("paired", ev).length > 0, 5000)).toBe(true);
    }
    expect(app.pairing.bindings.map((b) => b.sub).sort()).toEqual(["lamp-1", "lamp-2", "lamp-3"]);
  });

  it("holding 10 s clears all bindings; the identity stays", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    await pairByButton(m.world, a, b);
    a.press(10500);
    expect(a.pairing.bindings).toEqual([]);
    a.powerOff();
    await a.powerOn();
    expect(a.pairing.bindings).toEqual([]);
    // It can pair again.
    b.pairing.clearAll();
    expect(await pairByButton(m.world, a, b)).toBe(true);
  });

  it("a bindings record this device cannot authenticate is reported and the device starts empty", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    await pairByButton(m.world, a, b);
    // A well-formed record (valid checksum) whose payload was not sealed with a's key:
    // another device's record, or one in an older layout.
    const key = crypto.randomBytes(16);
    saveRecord(a.flash, crypto.sha256, "pkb", concat([crypto.randomBytes(13), crypto.aeadSeal(key, crypto.randomBytes(13), new Uint8Array([0x70, 0x6b, 0x62, 0x32]), new Uint8Array(40))]));
    a.powerOff();
    await a.powerOn();
    expect(a.pairing.bindings).toEqual([]);
    expect(a.last("store-corrupt")?.detail).toMatchObject({ code: "STORE_CORRUPT" });
    // It pairs again from the empty state.
    b.pairing.clearAll();
    expect(await pairByButton(m.world, a, b)).toBe(true);
    expect(a.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-b"]);
  });

  it("a commit whose record cannot be written leaves no binding and ends the pairing", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    a.flash.failWrites = true;
    expect(await pairByButton(m.world, a, b)).toBe(false);
    expect(a.pairing.bindings).toEqual([]);
    expect(a.pairing.conns).toEqual([]);
    a.flash.failWrites = false;
    a.powerOff();
    await a.powerOn();
    expect(a.pairing.bindings).toEqual([]);
  });

  it("bindings survive a reboot and nothing secret is stored in clear", async () => {
    const m = await setup();
    const a = await m.device("lamp-a");
    const b = await m.device("lamp-b");
    await pairByButton(m.world, a, b);
    const secret = Buffer.from(a.pairing.bindings[0].secret);
    a.powerOff();
    await a.powerOn();
    expect(a.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-b"]);
    for (const f of a.flash.files.values()) {
      expect(Buffer.from(f).indexOf(secret)).toBe(-1);
      expect(Buffer.from(f).indexOf(Buffer.from("lamp-b"))).toBe(-1);
    }
  });
});

describe("field replacement", () => {
  it("the survivor replaces a dead unit: new binding committed after a round trip, old identity denied", async () => {
    const { m, a, b, c } = await deadPeer();
    expect(await pairByButton(m.world, a, c, { replace: a })).toBe(true);
    expect(a.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-c"]);
    expect(a.pairing.set.evicted).toEqual(["lamp-b"]);
    expect(a.seen("replace-staged")).toHaveLength(1);
    expect(a.last("replaced")?.detail).toMatchObject({ peer: "lamp-c", old: "lamp-b" });
    // The dead unit comes back and is refused, by kid and by value.
    await b.powerOn();
    const ev = a.events.length;
    b.pairing.connectTo("lamp-a", "lamp-a");
    await m.world.run(3000);
    expect(b.seen("session", ev)).toEqual([]);
    const eb = b.events.length;
    b.pairing.clearAll();
    a.press(200);
    b.press(200);
    await m.world.run(5000);
    expect(b.seen("code", eb)).toEqual([]);
    expect(a.seen("failed", ev).map((e) => (e.detail as { code: string }).code)).toContain("PAIR_EVICTED");
  });

  it("replacement without the survivor's replacement window is refused", async () => {
    const { m, a, c } = await deadPeer();
    expect(await pairByButton(m.world, a, c)).toBe(false);
    expect(a.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-b"]);
  });

  it("the fail-safe keeps the old binding when the round trip never completes", async () => {
    const { m, a, c } = await deadPeer();
    const ea = await stageReplacement(m, a, c);
    // From now on nothing c sends arrives: a stages the replacement and never gets its round trip.
    for (const l of c.links) (l as MemoryLink).faults = { drop: 1 };
    a.press(200);
    expect(await m.world.until(() => a.seen("replace-staged", ea).length > 0, 5000)).toBe(true);
    await m.world.run(29000);
    expect(a.seen("failed", ea).map((e) => (e.detail as { code: string }).code)).toEqual(["LINK_CLOSED"]);
    await m.world.run(2000);
    expect(a.last("failed")?.detail).toMatchObject({ code: "PAIR_FAILSAFE" });
    expect(a.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-b"]);
    expect(a.pairing.set.evicted).toEqual([]);
    a.powerOff();
    await a.powerOn();
    expect(a.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-b"]);
  });

  it("the new unit dying while the replacement is staged keeps the old binding", async () => {
    const { m, a, c } = await deadPeer();
    const ea = await stageReplacement(m, a, c);
    c.powerOff();
    a.press(200);
    await m.world.run(2000);
    expect(a.pairing.bindings.map((x) => x.sub)).toEqual(["lamp-b"]);
    expect(a.seen("replaced", ea)).toEqual([]);
  });
});
