/**
 * In-process bus from the device driver to the simulator, for Node tests and host tools.
 */
import { perr } from "../../core/errors";
import type { SeBus } from "../../crypto/atecc608/driver";
import type { AteccSimulator } from "./simulator";

export interface BusEvent {
  kind: "wake" | "write" | "read";
  /** Bytes written, or bytes read (null for a NACKed read). */
  bytes: Uint8Array | null;
  /** For writes: whether the chip acknowledged. */
  ack?: boolean;
}

export interface SimBusOptions {
  /** Sees every transfer (tests check request encodings with it). */
  tap?: (ev: BusEvent) => void;
}

export function simBus(sim: AteccSimulator, opts?: SimBusOptions): SeBus {
  var tap = opts && opts.tap;
  return {
    wake() {
      sim.wake();
      if (tap) tap({ kind: "wake", bytes: null });
      return Promise.resolve();
    },
    write(bytes) {
      var copy = new Uint8Array(bytes);
      var ok = sim.i2cWrite(copy);
      if (tap) tap({ kind: "write", bytes: new Uint8Array(bytes), ack: ok });
      return ok ? Promise.resolve() : Promise.reject(perr("SE_NACK", "secure element did not acknowledge"));
    },
    read(n) {
      var r = sim.i2cRead(n);
      if (tap) tap({ kind: "read", bytes: r });
      return Promise.resolve(r);
    },
  };
}
