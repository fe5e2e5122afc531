import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { lossyExchange } from "../helpers/lossy-link";
import { createMemoryNet, memoryTransport } from "../../src/host/transport/memory";
import { channelOpen, channelSend, channelTick, channelClose } from "../../src/core/link";
import { CH_EDHOC } from "../../src/core/frame/frame";
import type { Link } from "../../src/core/link";
import type { PairkitError } from "../../src/core/errors";

function noLeaks(r: ReturnType<typeof lossyExchange>): void {
  expect(r.untyped).toBe(0);
  expect(r.a.p.length).toBe(0);
  expect(r.b.p.length).toBe(0);
  expect(r.completed + r.timeouts).toBe(40);
  // Sessions keep no buffers: only their one key buffer, counters and the window.
  expect(Object.keys(r.sa).sort()).toEqual(["auto", "c", "cap", "closed", "i", "k", "max", "proven", "re", "rn", "se", "sn", "w0", "w1"]);
  expect(r.sa.k.length).toBe(122);
}

describe("memory links with faults", function () {
  it("a clean link completes every exchange", function () {
    var r = lossyExchange({ seed: 1, faults: { latency: 3 }, count: 40 });
    noLeaks(r);
    expect(r.completed).toBe(40);
    expect(r.a.delivered).toBe(40);
  });

  var kinds: [string, object][] = [
    ["drop", { drop: 0.03, latency: 2 }],
    ["duplicate", { duplicate: 0.3, latency: 2 }],
    ["reorder", { reorder: 0.3, latency: 2, jitter: 3 }],
    ["truncate", { truncate: 0.03, latency: 2 }],
    ["stall", { stall: 0.02, stallMs: 800, latency: 1 }],
    ["everything", { drop: 0.02, duplicate: 0.1, reorder: 0.1, truncate: 0.02, stall: 0.01, stallMs: 700, latency: 2, jitter: 4 }]
  ];
  kinds.forEach(function (k) {
    it("exchanges complete or time out with a typed error, nothing pending afterwards: " + k[0], function () {
      var r = lossyExchange({ seed: 7, faults: k[1], count: 40 });
      noLeaks(r);
      expect(r.completed).toBeGreaterThan(0);
      if (k[0] === "duplicate" || k[0] === "reorder") expect(r.completed).toBe(40);
      if (r.timeouts > 0) expect(r.codes.LINK_TIMEOUT).toBe(r.timeouts);
    });
  });

  it("a hung link times out every exchange with LINK_TIMEOUT and leaks nothing", function () {
    var r = lossyExchange({ seed: 3, faults: { stall: 1, stallMs: Infinity }, count: 40, deadlineMs: 100 });
    noLeaks(r);
    expect(r.completed).toBe(0);
    expect(r.timeouts).toBe(40);
  });

  it("property: any fault mix, any seed, any MTU", function () {
    fc.assert(fc.property(fc.integer(), fc.integer({ min: 20, max: 247 }), fc.record({
      drop: fc.double({ min: 0, max: 0.2, noNaN: true }), duplicate: fc.double({ min: 0, max: 0.3, noNaN: true }),
      reorder: fc.double({ min: 0, max: 0.3, noNaN: true }), truncate: fc.double({ min: 0, max: 0.1, noNaN: true }),
      stall: fc.double({ min: 0, max: 0.05, noNaN: true }), latency: fc.integer({ min: 0, max: 5 }), jitter: fc.integer({ min: 0, max: 5 })
    }), function (seed, mtu, faults) {
      var r = lossyExchange({ seed: seed, faults: Object.assign({ stallMs: 400 }, faults), count: 40, mtu: mtu, maxSize: 400 });
      noLeaks(r);
      return true;
    }), {
      numRuns: 25,
      // Found by this property: a duplicate of the last echo re-armed the exchange's time-out (a 41st count).
      examples: [[0, 75, { drop: 0, duplicate: 0.20191691606305542, reorder: 5e-324, truncate: 5e-324, stall: 5e-324, latency: 0, jitter: 0 }]],
    });
  });

  it("closing one end closes the other: LINK_CLOSED on both channels, partials dropped", function () {
    var net = createMemoryNet({ seed: 5 });
    var ends = net.pair({ mtu: 20, faults: { latency: 1 } });
    var a = channelOpen(ends[0], net.now);
    var b = channelOpen(ends[1], net.now);
    var errs: string[] = [];
    a.onError = function (e: PairkitError) { errs.push("a:" + e.code); };
    b.onError = function (e: PairkitError) { errs.push("b:" + e.code); };
    // Half a message to b, then a closes.
    ends[0].send(new Uint8Array([0x11, 0x00, 1, 2, 3]));
    net.advance(5);
    expect(b.p.length).toBe(1);
    channelClose(a);
    net.advance(5);
    expect(errs.sort()).toEqual(["a:LINK_CLOSED", "b:LINK_CLOSED"]);
    expect(b.p.length).toBe(0);
    expect(function () { channelSend(a, CH_EDHOC, new Uint8Array(3)); }).toThrow();
    expect(function () { ends[1].send(new Uint8Array(1)); }).toThrow(/closed/);
    channelTick(a);
  });

  it("a memory Transport connects a client to a listener; links enforce the MTU", async function () {
    var net = createMemoryNet({ realtime: true });
    var reg = {};
    var server = memoryTransport(net, reg, "dev1", { mtu: 40 });
    var got: Link[] = [];
    server.listen!(function (l) { got.push(l); });
    var client = memoryTransport(net, reg, "app", { mtu: 40 });
    var l = await client.connect("dev1");
    expect(got.length).toBe(1);
    var rx = new Promise<Uint8Array>(function (res) { got[0].onData = res; });
    l.send(new Uint8Array([1, 2, 3]));
    expect(await rx).toEqual(new Uint8Array([1, 2, 3]));
    expect(function () { l.send(new Uint8Array(41)); }).toThrow(/MTU/);
    await expect(client.connect("nobody")).rejects.toMatchObject({ code: "LINK_NO_PEER" });
    server.close();
  });
});
