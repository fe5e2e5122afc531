/**
 * The crypto of a simulated device: a packet-level ATECC608 simulator behind the real
 * device driver and SE provider, on the world's virtual clock (every command takes its
 * worst-case execution time from Microchip's table), provisioned the way the factory
 * does it (key generated inside the chip, credential issued for its public key, stored in
 * the chip with the trust anchors). Symmetric work uses the host provider.
 */
import type { Bytes } from "../../core/bytes";
import type { NobleProvider } from "../../crypto/noble";
import type { CryptoProvider, PrivateKeyRef } from "../../crypto/provider";
import { createSeDriver } from "../../crypto/atecc608/driver";
import { createSecureElementCrypto } from "../../crypto/atecc608/se-crypto";
import { readIdentity, seAtRestSecret } from "../../crypto/atecc608/identity";
import { AteccSimulator } from "../atecc608/simulator";
import { simBus } from "../atecc608/bus";
import { provisionSecureElement } from "../atecc608/provision";
import { nobleDecompressY } from "../atecc608/fixture";
import type { World } from "./world";

export interface SimCrypto {
  provider: CryptoProvider;
  deviceKey: PrivateKeyRef;
  /** What the device read back from its secure element at boot. */
  credential: Bytes;
  anchors: Bytes[];
  atRestKey: Bytes;
  /** Modelled milliseconds the secure element has spent executing commands. */
  busyMs(): number;
  sim: AteccSimulator;
}

export async function makeSimCrypto(world: World, host: NobleProvider, issue: (pub: Bytes) => Promise<Bytes>, anchors: Bytes[]): Promise<SimCrypto> {
  const sim = new AteccSimulator({ timeScale: 1, clock: () => world.now(), random: (n) => host.randomBytes(n) });
  const driver = createSeDriver(simBus(sim), { timeScale: 1, delay: (fn, ms) => world.after(ms, fn) });
  await world.wait(provisionSecureElement(driver, { issueCredential: issue, trustAnchors: anchors }), 60000);
  const se = createSecureElementCrypto(driver, { sha256: (b) => host.sha256(b), decompress: nobleDecompressY, ephemeralTtlMs: 0 });
  const id = await world.wait(readIdentity(driver), 10000);
  const secret = await world.wait(seAtRestSecret(driver), 10000);
  const atRestKey = host.hkdfExpand(host.hkdfExtract(new Uint8Array(0), secret), new TextEncoder().encode("pairkit at-rest v1"), 16);
  secret.fill(0);
  const provider: CryptoProvider = {
    name: "host-symmetric+atecc608-sim",
    randomBytes: (n) => host.randomBytes(n),
    sha256: (d) => host.sha256(d),
    hmacSha256: (k, d) => host.hmacSha256(k, d),
    hkdfExtract: (s, i) => host.hkdfExtract(s, i),
    hkdfExpand: (p, i, l) => host.hkdfExpand(p, i, l),
    aeadSeal: (k, n, a, p) => host.aeadSeal(k, n, a, p),
    aeadOpen: (k, n, a, c) => host.aeadOpen(k, n, a, c),
    ctEqual: (a, b) => host.ctEqual(a, b),
    generateKeyPair: (crv) => se.generateKeyPair(crv),
    ecdh: (p, pub) => se.ecdh(p, pub),
    sign: (p, m) => se.sign(p, m),
    verify: (crv, pub, m, s) => se.verify(crv, pub, m, s),
  };
  sim.stats.execMs = 0;
  return { provider, deviceKey: se.deviceKey, credential: id.credential, anchors: id.anchors, atRestKey, busyMs: () => sim.stats.execMs, sim };
}
