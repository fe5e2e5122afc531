/**
 * The pairing radio on Bluetooth LE boards: the lifecycle's advertisement (window kind and
 * election nonce, nothing secret) as manufacturer data, scanning for other devices'
 * advertisements while our own window is open, and links through the pairkit GATT
 * service of transport-ble.ts (central when we dial, peripheral when a peer dials us).
 *
 * Device code: Espruino subset.
 */
import type { Bytes } from "../src/core/bytes";
import type { Link } from "../src/core/link";
import { bleConnect, bleListen, type BleState, type EspNRF } from "./transport-ble";
import type { Radio } from "./transport-hub";

/**
 * keepConsole: keep Espruino's console over BLE (the Nordic UART service). Off unless the
 * device's configuration asks for it: anyone in radio range who connects to it runs
 * JavaScript on the device, and so could open windows without a press, use the chip's key
 * as the device and read pairing secrets from memory (docs/security.md).
 */
export function bleRadio(NRF: EspNRF & { setScan(cb?: (d: any) => void, o?: any): void }, keepConsole?: boolean): Radio {
  // The radio is also the BLE state (transport-ble.ts) of both roles.
  var r: Radio & BleState = {
    // 0xffff = PK_COMPANY (literal numbers: transport-ble's constants are not inlined by esbuild).
    N: NRF, c: 0xffff, s: 2000, u: keepConsole === true, l: null, on: false,
    user: null,
    advertise: function (adv: Bytes | null) {
      // Always connectable (bound peers reconnect); the payload says whether a window is open.
      var data: number[] = [0x70, 0x6b, 0];
      if (adv) for (var i = 2; i < adv.length; i++) data[i] = adv[i];
      NRF.setAdvertising({}, { manufacturer: 0xffff, manufacturerData: data });
      if (adv) {
        var md: any = {};
        md[0xffff] = {};
        NRF.setScan(function (d: any) {
          if (r.user && d.manufacturerData) r.user.onAdvert(d.id, new Uint8Array(d.manufacturerData));
        }, { filters: [{ manufacturerData: md }] });
      } else NRF.setScan();
    },
    connect: function (to: string): Promise<Link> {
      return bleConnect(r, { id: to });
    },
  };
  bleListen(r, function (l: Link) {
    if (r.user) r.user.accept(l, "central");
  });
  r.advertise(null);
  return r;
}
