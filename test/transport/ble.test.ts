import { describe, expect, it } from "vitest";
import { FakeRadio } from "../helpers/fake-nrf";
import { nodeSymCrypto } from "../helpers/lossy-link";
import { bleTransport, PK_SERVICE, PK_RX, PK_TX, type EspNRF } from "../../firmware/transport-ble";
import { bleRadio } from "../../firmware/radio-ble";
import { channelOpen, channelSend, type Channel, type Link } from "../../src/core/link";
import { CH_EDHOC, CH_SESSION } from "../../src/core/frame/frame";
import { sessionNew, sessionOpen, sessionSeal } from "../../src/core/session/session";
import type { PairkitError } from "../../src/core/errors";

var c = nodeSymCrypto();

function nextMessage(ch: Channel): Promise<[number, Uint8Array]> {
  return new Promise(function (res) {
    ch.onMessage = function (k, m) { res([k, m]); };
  });
}

function big(n: number, s: number): Uint8Array {
  var b = new Uint8Array(n);
  for (var i = 0; i < n; i++) b[i] = (i * 3 + s) & 255;
  return b;
}

function setup(mtu?: number) {
  var radio = new FakeRadio();
  var puckA = radio.device("Puck.js a1");
  var puckB = radio.device("Puck.js b2");
  if (mtu) { puckA.mtu = mtu; puckB.mtu = mtu; }
  var periph = bleTransport(puckA as unknown as EspNRF);
  var central = bleTransport(puckB as unknown as EspNRF, { scanMs: 200 });
  var links: Link[] = [];
  periph.listen!(function (l) { links.push(l); });
  return { radio: radio, puckA: puckA, puckB: puckB, periph: periph, central: central, links: links };
}

describe("BLE transport on a fake NRF", function () {
  it("defines the pairkit GATT service and advertises an open pairing window, nothing else", function () {
    var t = setup();
    var svc = t.puckA.services[PK_SERVICE.toLowerCase()];
    expect(svc[PK_RX].writable).toBe(true);
    expect(svc[PK_TX].notify).toBe(true);
    t.periph.advertise!(true);
    expect(t.puckA.adv.manufacturer).toBe(0xffff);
    expect(Array.from(t.puckA.adv.manufacturerData as number[])).toEqual([0x70, 0x6b, 1, 1]);
    t.periph.advertise!(false);
    expect(Array.from(t.puckA.adv.manufacturerData as number[])).toEqual([0x70, 0x6b, 1, 0]);
  });

  it("two devices connect and exchange framed messages (20-byte writes) and session records both ways", async function () {
    var t = setup();
    t.periph.advertise!(true);
    var cl = await t.central.connect({ pairing: true });
    expect(t.links.length).toBe(1);
    expect(cl.mtu).toBe(20);
    var cc = channelOpen(cl, Date.now);
    var pc = channelOpen(t.links[0], Date.now);
    var p1 = nextMessage(pc);
    channelSend(cc, CH_EDHOC, big(600, 1));
    expect((await p1)[1]).toEqual(big(600, 1));
    var p2 = nextMessage(cc);
    channelSend(pc, CH_EDHOC, big(450, 2));
    expect((await p2)[1]).toEqual(big(450, 2));
    // Every radio packet respected the 20-byte MTU.
    for (var e of t.radio.log) expect(e[2].length).toBeLessThanOrEqual(20);
    expect(t.radio.log.length).toBe(Math.ceil(600 / 18) + Math.ceil(450 / 18));
    var prk = new Uint8Array(32).fill(4);
    var si = sessionNew(c, prk, true);
    var sr = sessionNew(c, prk, false);
    for (var i = 0; i < 5; i++) {
      var p3 = nextMessage(pc);
      channelSend(cc, CH_SESSION, sessionSeal(si, big(30 * i + 1, i)));
      expect(sessionOpen(sr, (await p3)[1])).toEqual(big(30 * i + 1, i));
      var p4 = nextMessage(cc);
      channelSend(pc, CH_SESSION, sessionSeal(sr, big(7, i)));
      expect(sessionOpen(si, (await p4)[1])).toEqual(big(7, i));
    }
    // Disconnect from the central: both channels see LINK_CLOSED.
    var e1 = new Promise<string>(function (r) { pc.onError = function (e: PairkitError) { r(e.code); }; });
    var e2 = new Promise<string>(function (r) { cc.onError = function (e: PairkitError) { r(e.code); }; });
    cl.close();
    expect(await e1).toBe("LINK_CLOSED");
    expect(await e2).toBe("LINK_CLOSED");
  });

  it("uses a larger MTU after an MTU exchange and the peripheral can drop the connection", async function () {
    var t = setup(247);
    t.periph.advertise!(true);
    var cl = await t.central.connect({ id: t.puckA.address });
    await new Promise(function (r) { setTimeout(r, 5); });
    expect(t.links[0].mtu).toBe(244);
    var pc = channelOpen(t.links[0], Date.now);
    var cc = channelOpen(cl, Date.now);
    var p = nextMessage(cc);
    channelSend(pc, CH_EDHOC, big(600, 3));
    expect((await p)[1]).toEqual(big(600, 3));
    expect(t.radio.log.length).toBe(3);
    var closed = new Promise<string>(function (r) { cl.onClose = r; });
    t.links[0].close();
    expect(await closed).toBe("remote");
  });

  it("a central looking for a pairing window ignores devices whose window is closed", async function () {
    var t = setup();
    t.periph.advertise!(false);
    await expect(t.central.connect({ pairing: true })).rejects.toMatchObject({ code: "LINK_NO_PEER" });
    var l = await t.central.connect({});
    expect(l.mtu).toBe(20);
    l.close();
  });

  it("serialises central writes (Espruino runs one GATT task at a time) and retries busy notifications", async function () {
    var t = setup();
    t.periph.advertise!(true);
    var cl = await t.central.connect({ pairing: true });
    var got: number[] = [];
    t.links[0].onData = function (d) { got.push(d[0]); };
    for (var i = 0; i < 30; i++) cl.send(new Uint8Array([i, 1, 2]));
    // Make the peripheral's stack busy for its first two notifications.
    var real = t.puckA.updateServices.bind(t.puckA);
    var fails = 2;
    t.puckA.updateServices = function (d: unknown) {
      if (fails-- > 0) throw new Error("BLE_ERROR_NO_TX_PACKETS");
      real(d);
    };
    var back: number[] = [];
    cl.onData = function (d) { back.push(d[0]); };
    t.links[0].send(new Uint8Array([42]));
    t.links[0].send(new Uint8Array([43]));
    await new Promise(function (r) { setTimeout(r, 150); });
    expect(got).toEqual(Array.from({ length: 30 }, function (_, k) { return k; }));
    expect(back).toEqual([42, 43]);
    expect(function () { cl.send(new Uint8Array(21)); }).toThrow();
  });
});

describe("the console over BLE (Espruino's Nordic UART service)", function () {
  // A console over the air lets anyone in range run JavaScript on the device: off unless asked for.
  function nrf(name: string) {
    var d = new FakeRadio().device(name);
    (d as any).setScan = function () {};
    return d;
  }

  it("the pairing radio removes it by default and keeps it only when the configuration says console: true", function () {
    var off = nrf("Puck.js c3");
    bleRadio(off as any);
    expect(off.uart).toBe(false);
    expect(off.services[PK_SERVICE.toLowerCase()]).toBeDefined();
    var kept = nrf("Puck.js d4");
    bleRadio(kept as any, true);
    expect(kept.uart).toBe(true);
  });

  it("the transport removes it by default too", function () {
    var off = nrf("Puck.js e5");
    bleTransport(off as unknown as EspNRF).listen!(function () {});
    expect(off.uart).toBe(false);
    var kept = nrf("Puck.js f6");
    bleTransport(kept as unknown as EspNRF, { uart: true }).listen!(function () {});
    expect(kept.uart).toBe(true);
  });
});
