/**
 * Crypto for a simulated device. Interim: host crypto with the device key held by the
 * provider; replaced by the ATECC608 simulator + device driver once wired.
 */
import type { Bytes } from "../../core/bytes";
import type { NobleProvider } from "../../crypto/noble";
import type { CryptoProvider, PrivateKeyRef } from "../../crypto/provider";
import type { World } from "./world";

export interface SimCrypto {
  provider: CryptoProvider;
  deviceKey: PrivateKeyRef;
  publicKey: Bytes;
  atRestKey: Bytes;
  /** Modelled milliseconds the secure element has been busy. */
  busyMs(): number;
}

export async function makeSimCrypto(_world: World, host: NobleProvider, _name: string): Promise<SimCrypto> {
  const raw = host.randomBytes(32);
  raw[0] &= 0x7f;
  const kp = host.importPrivateKey(1, raw);
  return { provider: host, deviceKey: kp.priv, publicKey: kp.pub, atRestKey: host.randomBytes(16), busyMs: () => 0 };
}
