// Power loss at every storage write and erase of a pairing commit, a replacement commit
// and a deny-list update, enumerated: after reboot the device holds exactly the old or
// exactly the new state.
import { describe, expect, it } from "vitest";
import { pairByButton, setup } from "./helpers";
import type { SimDevice } from "../../src/host/sim/device";

const subs = (d: SimDevice) => d.pairing.bindings.map((b) => b.sub).join(",");

async function reboot(d: SimDevice) {
  d.powerOff();
  await d.powerOn();
}

describe("power loss at every write", () => {
  it("during a pairing commit", async () => {
    let cuts = 0;
    for (let cut = 0; ; cut++) {
      const m = await setup();
      const a = await m.device("lamp-a");
      const b = await m.device("lamp-b");
      const start = a.flash.ops;
      a.flash.cutAt = start + cut;
      await pairByButton(m.world, a, b);
      await m.world.run(500);
      const cutHappened = !a.flash.powered;
      await reboot(a);
      expect(["", "lamp-b"]).toContain(subs(a));
      if (!cutHappened) {
        expect(subs(a)).toBe("lamp-b");
        break;
      }
      cuts++;
    }
    expect(cuts).toBeGreaterThan(0);
  });

  it("during a replacement commit", async () => {
    let cuts = 0;
    for (let cut = 0; ; cut++) {
      const m = await setup();
      const a = await m.device("lamp-a");
      const b = await m.device("lamp-b");
      await pairByButton(m.world, a, b);
      b.powerOff();
      const c = await m.device("lamp-c");
      a.flash.cutAt = a.flash.ops + cut;
      await pairByButton(m.world, a, c, { replace: a });
      await m.world.run(500);
      const cutHappened = !a.flash.powered;
      await reboot(a);
      const state = subs(a) + "|" + a.pairing.set.evicted.join(",");
      expect(["lamp-b|", "lamp-c|lamp-b"]).toContain(state);
      if (!cutHappened) {
        expect(state).toBe("lamp-c|lamp-b");
        break;
      }
      cuts++;
    }
    expect(cuts).toBeGreaterThanOrEqual(2); // the write and the erase of the old copy
  });

  it("during a deny-list update", async () => {
    let cuts = 0;
    for (let cut = 0; ; cut++) {
      const m = await setup();
      const a = await m.device("lamp-a");
      await a.pairing.installDenyList(await m.denyList(1, ["x"]));
      a.flash.cutAt = a.flash.ops + cut;
      let threw = false;
      await a.pairing.installDenyList(await m.denyList(2, ["x", "y"])).catch(() => (threw = true));
      await reboot(a);
      expect([1, 2]).toContain(a.pairing.deny?.version);
      if (!threw) {
        expect(a.pairing.deny?.version).toBe(2);
        break;
      }
      cuts++;
    }
    expect(cuts).toBeGreaterThanOrEqual(2);
  });
});
