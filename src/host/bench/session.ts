/**
 * Session-layer benchmark: records per second (seal and open) on the host provider and
 * bytes of overhead per record.
 */
import { sessionNew, sessionOpen, sessionSeal } from "../../core/session/session";
import { createNobleProvider } from "../../crypto/noble";

export function benchSession(seconds: number): Record<string, unknown> {
  const c = createNobleProvider();
  const prk = c.randomBytes(32);
  const out: Record<string, unknown> = {};
  for (const size of [16, 64, 200]) {
    const a = sessionNew(c, prk, true, { cap: 2 ** 32 });
    const b = sessionNew(c, prk, false, { cap: 2 ** 32 });
    const data = c.randomBytes(size);
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      const r = sessionSeal(a, data);
      sessionOpen(b, r);
      n++;
    }
    const rec = sessionSeal(a, data);
    out[`plaintext${size}`] = { recordsPerSecond: Math.round(n / ((performance.now() - t0) / 1000)), recordBytes: rec.length, overheadBytes: rec.length - size };
  }
  return { provider: c.name, note: "seal + open per record, one process; overhead = header (1 + sequence bytes) + 8-byte tag", ...out };
}
