/**
 * Factory provisioning of an ATECC608 for pairkit (host side; talks through any SeDriver:
 * the in-process simulator bus, the TCP bridge, or a board forwarding I2C).
 *
 * Order (every step safe to re-run after a power failure until the data zone is locked):
 *  1. read the configuration zone; if unlocked, write pairkit's slot map (docs/atecc608.md),
 *     read it back and lock it with its CRC-16 summary (Lock mode 0x00, cryptoauthlib
 *     calib_lock_config_zone_crc); if locked, check it carries pairkit's slot map;
 *  2. while the data zone is unlocked: GenKey the device key (slot 0), the at-rest key
 *     (slot 3) and a first ephemeral (slot 2) inside the chip; have the CA issue the device
 *     credential for the device public key; write the identity record (credential + trust
 *     anchors) into slot 8 in 32-byte blocks (the only writes an unlocked data zone takes,
 *     cryptoauthlib calib_write.c); lock the data and OTP zones (mode 0x81: no summary);
 *  3. self test: read the identity back, sign a fresh challenge with the device key and
 *     verify it with @noble/curves, compute the at-rest secret.
 * After step 2 slots 0, 3 and 8 can never change (their WriteConfig forbids GenKey and
 * Write once the data zone is locked); slot 2 keeps GenKey for ephemerals.
 */
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "node:crypto";
import { perr } from "../../core/errors";
import {
  ZONE_CONFIG,
  ZONE_DATA,
  crc16,
  seAddr,
  seGenKey,
  seLock,
  seNonceLoad,
  seRead,
  seSign,
  seWrite,
  TARGET_MSGDIGBUF,
} from "../../crypto/atecc608/driver";
import type { SeDriver } from "../../crypto/atecc608/driver";
import {
  SLOT_AT_REST,
  SLOT_DEVICE_KEY,
  SLOT_EPHEMERAL,
  SLOT_IDENTITY,
  encodeIdentity,
  readIdentity,
  seAtRestSecret,
} from "../../crypto/atecc608/identity";
import type { SeIdentity } from "../../crypto/atecc608/identity";

export { readIdentity };
export type { SeIdentity };

/**
 * pairkit's SlotConfig and KeyConfig per slot (little-endian 16-bit words in the
 * configuration zone at 20 + 2n and 96 + 2n). SlotConfig: bits 0-3 ReadKey (for ECC private
 * keys: 1 external signatures, 2 internal signatures, 4 ECDH, 8 ECDH result to slot n+1),
 * bit 6 EncryptRead, bit 7 IsSecret, bits 8-11 WriteKey, bits 12-15 WriteConfig (for key
 * slots bit 13 = GenKey allowed after data lock; for data slots 0 Always, 2 Never).
 * KeyConfig: bit 0 Private, bit 1 PubInfo, bits 2-4 KeyType (4 P-256, 7 data), bit 5
 * Lockable. Reference layout: cryptoauthlib test/api_calib/test_calib_config.c.
 */
export var PAIRKIT_SLOTS: { slotConfig: number; keyConfig: number; use: string }[] = [
  { slotConfig: 0x0085, keyConfig: 0x0033, use: "device key: P-256, external sign + ECDH, secret, frozen at data lock" },
  { slotConfig: 0x2085, keyConfig: 0x0033, use: "spare P-256 key for a future re-key (GenKey allowed, lockable)" },
  { slotConfig: 0x2084, keyConfig: 0x0013, use: "ephemeral keys generated ahead of time: ECDH only, GenKey allowed" },
  { slotConfig: 0x0084, keyConfig: 0x0033, use: "at-rest secret key: ECDH only, frozen at data lock" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "unused data" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "unused data" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "unused data" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "unused data" },
  { slotConfig: 0x2000, keyConfig: 0x003c, use: "identity record (credential + trust anchors): clear read, never written after data lock" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "reserved data (writable, lockable)" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "reserved data (writable, lockable)" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "reserved data (writable, lockable)" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "reserved data (writable, lockable)" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "reserved data (writable, lockable)" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "reserved data (writable, lockable)" },
  { slotConfig: 0x0000, keyConfig: 0x003c, use: "reserved data (writable, lockable)" },
];

/**
 * The configuration image pairkit writes, keeping what the chip owns (serial number,
 * revision, I2C enable, I2C address, lock bytes): bytes 16-83 and 88-127 are pairkit's.
 */
export function pairkitConfigZone(current: Uint8Array): Uint8Array {
  var c = new Uint8Array(current);
  // 17 reserved, 18 CountMatch off, 19 ChipMode 0 (short watchdog ~1.3 s, clock divider M0:
  // the execution-time table the driver uses).
  c[17] = 0;
  c[18] = 0;
  c[19] = 0;
  for (var s = 0; s < 16; s++) {
    c[20 + 2 * s] = PAIRKIT_SLOTS[s].slotConfig & 255;
    c[21 + 2 * s] = PAIRKIT_SLOTS[s].slotConfig >> 8;
    c[96 + 2 * s] = PAIRKIT_SLOTS[s].keyConfig & 255;
    c[97 + 2 * s] = PAIRKIT_SLOTS[s].keyConfig >> 8;
  }
  // Counters 0 and 1 start at 0 (the encoding of cryptoauthlib's reference configuration).
  c.set([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], 52);
  // 68 UseLock, 69 VolatileKeyPermission, 70-71 SecureBoot, 72-74 KDF IV, 75-83 reserved: off.
  c.fill(0, 68, 84);
  // 88-89 SlotLocked: all unlocked; 90-91 ChipOptions 0: no IO protection key required,
  // ECDH results may leave in the clear; 92-95 X509format unused.
  c[88] = 0xff;
  c[89] = 0xff;
  c.fill(0, 90, 96);
  return c;
}

/** Reads the 128-byte configuration zone (four 32-byte reads). */
export async function readConfigZone(d: SeDriver): Promise<Uint8Array> {
  var c = new Uint8Array(128);
  for (var b = 0; b < 4; b++) c.set(await seRead(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, b, 0), true), b * 32);
  return c;
}

/** Writes the writable part of a configuration image (16-83, 88-127): 32-byte blocks 1 and 3, words elsewhere. */
export async function writeConfigZone(d: SeDriver, image: Uint8Array): Promise<void> {
  for (var w = 4; w < 32; w++) {
    var off = w * 4;
    if ((off >= 32 && off < 64) || off >= 96 || (off >= 84 && off < 88)) continue;
    await seWrite(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, off >> 5, (off >> 2) & 7), image.subarray(off, off + 4));
  }
  await seWrite(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 1, 0), image.subarray(32, 64));
  await seWrite(d, ZONE_CONFIG, seAddr(ZONE_CONFIG, 0, 3, 0), image.subarray(96, 128));
}

function slotMapMatches(c: Uint8Array): boolean {
  for (var s = 0; s < 16; s++) {
    if ((c[20 + 2 * s] | (c[21 + 2 * s] << 8)) !== PAIRKIT_SLOTS[s].slotConfig) return false;
    if ((c[96 + 2 * s] | (c[97 + 2 * s] << 8)) !== PAIRKIT_SLOTS[s].keyConfig) return false;
  }
  return true;
}

export interface ProvisionOptions {
  /** Issues the device credential (a CWT, at most 200 bytes) for the device public key x||y. */
  issueCredential(devicePub: Uint8Array): Promise<Uint8Array>;
  /** Trust anchors to store next to the credential (slot 8 holds 416 bytes in all). */
  trustAnchors: Uint8Array[];
  /** Skip the final self test. */
  skipSelfTest?: boolean;
}

export interface ProvisionResult {
  /** 9-byte serial number (configuration bytes 0-3 and 8-12). */
  serial: Uint8Array;
  /** Device public key x||y. */
  devicePub: Uint8Array;
  identity: SeIdentity;
  /** True when the chip was already provisioned (nothing was written). */
  alreadyProvisioned: boolean;
}

export async function provisionSecureElement(d: SeDriver, opts: ProvisionOptions): Promise<ProvisionResult> {
  var cfg = await readConfigZone(d);
  var serial = new Uint8Array(9);
  serial.set(cfg.subarray(0, 4), 0);
  serial.set(cfg.subarray(8, 13), 4);

  if (cfg[87] === 0x55) {
    var want = pairkitConfigZone(cfg);
    await writeConfigZone(d, want);
    cfg = await readConfigZone(d);
    for (var i = 16; i < 128; i++) {
      if (i >= 84 && i < 88) continue;
      if (cfg[i] !== want[i]) throw perr("SE_CONFIG_MISMATCH", "configuration zone read back differs at byte " + i);
    }
    await seLock(d, 0x00, crc16(cfg, 0, 128));
    cfg = await readConfigZone(d);
    if (cfg[87] === 0x55) throw perr("SE_PROVISION_FAILED", "configuration zone did not lock");
  } else if (!slotMapMatches(cfg)) {
    throw perr("SE_CONFIG_MISMATCH", "configuration zone is locked with a different slot map");
  }

  var devicePub: Uint8Array;
  var identity: SeIdentity;
  var already = cfg[86] !== 0x55;
  if (!already) {
    if (opts.trustAnchors.length === 0) throw perr("SE_PROVISION_FAILED", "at least one trust anchor is required");
    devicePub = await seGenKey(d, 0x04, SLOT_DEVICE_KEY);
    await seGenKey(d, 0x04, SLOT_AT_REST);
    await seGenKey(d, 0x04, SLOT_EPHEMERAL);
    var credential = await opts.issueCredential(devicePub);
    if (credential.length === 0 || credential.length > 200) throw perr("SE_IDENTITY_TOO_LARGE", "device credential must be 1 to 200 bytes");
    identity = { credential: new Uint8Array(credential), anchors: opts.trustAnchors.map((a) => new Uint8Array(a)) };
    var rec = encodeIdentity(identity);
    for (var k = 0; k < rec.length; k += 32) await seWrite(d, ZONE_DATA, seAddr(ZONE_DATA, SLOT_IDENTITY, k >> 5, 0), rec.subarray(k, k + 32));
    await seLock(d, 0x81, 0);
    cfg = await readConfigZone(d);
    if (cfg[86] === 0x55) throw perr("SE_PROVISION_FAILED", "data zone did not lock");
  } else {
    devicePub = await seGenKey(d, 0x00, SLOT_DEVICE_KEY);
    identity = await readIdentity(d);
  }

  if (!opts.skipSelfTest) {
    var back = await readIdentity(d);
    if (Buffer.compare(Buffer.from(encodeIdentity(back)), Buffer.from(encodeIdentity(identity))) !== 0) {
      throw perr("SE_PROVISION_FAILED", "identity record read back differs");
    }
    var digest = sha256(randomBytes(32));
    await seNonceLoad(d, TARGET_MSGDIGBUF, digest);
    var sig = await seSign(d, 0x20, SLOT_DEVICE_KEY);
    var pub65 = new Uint8Array(65);
    pub65[0] = 4;
    pub65.set(devicePub, 1);
    if (!p256.verify(sig, digest, pub65, { prehash: false, lowS: false })) throw perr("SE_PROVISION_FAILED", "device key signature does not verify");
    var secret = await seAtRestSecret(d);
    if (secret.length !== 32) throw perr("SE_PROVISION_FAILED", "at-rest secret unavailable");
  }
  return { serial, devicePub, identity, alreadyProvisioned: already };
}
