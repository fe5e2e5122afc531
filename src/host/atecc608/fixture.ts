/**
 * A provisioned, simulated ATECC608 with its driver and SE-backed AsymmetricCrypto, for
 * tests and the host simulator (e.g. running the device crypto path of EDHOC in Node).
 */
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { createSeDriver } from "../../crypto/atecc608/driver";
import type { SeDriver, SeDriverOptions } from "../../crypto/atecc608/driver";
import { createSecureElementCrypto } from "../../crypto/atecc608/se-crypto";
import type { SeCryptoOptions, SecureElementCrypto } from "../../crypto/atecc608/se-crypto";
import { simBus } from "./bus";
import type { SimBusOptions } from "./bus";
import { provisionSecureElement } from "./provision";
import type { ProvisionResult } from "./provision";
import { AteccSimulator } from "./simulator";
import type { SimulatorOptions } from "./simulator";

/** y for a P-256 x-coordinate (even y), or null: the host stand-in for the device's p256DecompressY. */
export function nobleDecompressY(x: Uint8Array): Uint8Array | null {
  if (x.length !== 32) return null;
  var c = new Uint8Array(33);
  c[0] = 2;
  c.set(x, 1);
  try {
    return p256.Point.fromBytes(c).toBytes(false).slice(33);
  } catch (e) {
    return null;
  }
}

export interface SimulatedSe {
  sim: AteccSimulator;
  driver: SeDriver;
  crypto: SecureElementCrypto;
  /** Present when provisioned. */
  provisioned: ProvisionResult | null;
}

export interface SimulatedSeOptions {
  /** Run provisionSecureElement (default true). */
  provision?: boolean;
  /** Credential issuer (default: a placeholder credential carrying the public key). */
  issueCredential?: (pub: Uint8Array) => Promise<Uint8Array>;
  trustAnchors?: Uint8Array[];
  simulator?: SimulatorOptions;
  driver?: SeDriverOptions;
  bus?: SimBusOptions;
  crypto?: Partial<SeCryptoOptions>;
}

export async function createSimulatedSecureElement(opts?: SimulatedSeOptions): Promise<SimulatedSe> {
  var o = opts || {};
  var sim = new AteccSimulator(o.simulator);
  var driver = createSeDriver(simBus(sim, o.bus), Object.assign({ timeScale: sim.timeScale }, o.driver));
  var provisioned: ProvisionResult | null = null;
  if (o.provision !== false) {
    provisioned = await provisionSecureElement(driver, {
      issueCredential: o.issueCredential || (async (pub) => {
        var c = new Uint8Array(80);
        c.set([0xd8, 0x3d], 0);
        c.set(pub, 16);
        return c;
      }),
      trustAnchors: o.trustAnchors || [p256.getPublicKey(p256.utils.randomSecretKey(), false).slice(1)],
    });
  }
  var crypto = createSecureElementCrypto(driver, Object.assign({ sha256: (b: Uint8Array) => sha256(b), decompress: nobleDecompressY, ephemeralTtlMs: 0 }, o.crypto));
  return { sim, driver, crypto, provisioned };
}
