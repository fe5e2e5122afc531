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
import { bleTransport, PK_COMPANY, type EspNRF } from "./transport-ble";
import type { Radio } from "./transport-hub";

export function bleRadio(NRF: EspNRF & { setScan(cb?: (d: any) => void, o?: any): void }): Radio {
  var t = bleTransport(NRF);
  var md: any = {};
  md[PK_COMPANY] = {};
  var r: Radio = {
    onAdvert: null,
    onIncoming: null,
    advertise: function (adv: Bytes | null) {
      // Always connectable (bound peers reconnect); the payload says whether a window is open.
      var data: number[] = [0x70, 0x6b, 0];
      if (adv) for (var i = 2; i < adv.length; i++) data[i] = adv[i];
      NRF.setAdvertising({}, { manufacturer: PK_COMPANY, manufacturerData: data });
      if (adv) {
        NRF.setScan(function (d: any) {
          if (r.onAdvert && d.manufacturerData) r.onAdvert(d.id, new Uint8Array(d.manufacturerData));
        }, { filters: [{ manufacturerData: md }] });
      } else NRF.setScan();
    },
    connect: function (to: string): Promise<Link> {
      return t.connect({ id: to });
    },
  };
  (t.listen as (f: (l: Link) => void) => void)(function (l: Link) {
    if (r.onIncoming) r.onIncoming(l, "central");
  });
  r.advertise(null);
  return r;
}
