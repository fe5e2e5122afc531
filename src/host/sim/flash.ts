/**
 * Flash for simulated devices and tests: a map of files that can fail, or lose power, at
 * any write or erase. A torn write leaves a prefix of the data (as a real flash write
 * interrupted half-way would); after a power cut every operation fails until reboot().
 */
import type { FlashStore } from "../../core/store/records";

export class PowerCut extends Error {
  code = "TEST_POWER_CUT";
}

export class FakeFlash implements FlashStore {
  files = new Map<string, Uint8Array>();
  /** Number of mutating operations (write/erase) performed so far. */
  ops = 0;
  /** Cut power at this mutating operation index (0-based); -1 = never. */
  cutAt = -1;
  /** Fraction of a torn write that still reaches flash. */
  tornFraction = 0.5;
  /** Writes fail (without power loss) while this is set, as when Storage is full. */
  failWrites = false;
  private dead = false;

  private step(): boolean {
    if (this.dead) throw new PowerCut("power is off");
    const cut = this.ops === this.cutAt;
    this.ops++;
    return cut;
  }

  readArrayBuffer(name: string): ArrayBuffer | undefined {
    if (this.dead) throw new PowerCut("power is off");
    const f = this.files.get(name);
    return f ? new Uint8Array(f).buffer : undefined;
  }

  write(name: string, data: Uint8Array): boolean {
    if (this.step()) {
      this.files.set(name, data.slice(0, Math.floor(data.length * this.tornFraction)));
      this.dead = true;
      throw new PowerCut("power lost during write");
    }
    // What Espruino 2v29's Storage.write does when no compaction makes room (checked on the
    // Linux build): a plain Error, no code, and nothing written.
    if (this.failWrites) throw new Error("Unable to find or create file");
    this.files.set(name, new Uint8Array(data));
    return true;
  }

  erase(name: string): void {
    if (this.step()) {
      this.dead = true;
      throw new PowerCut("power lost during erase");
    }
    this.files.delete(name);
  }

  reboot(): void {
    this.dead = false;
    this.cutAt = -1;
  }

  get powered(): boolean {
    return !this.dead;
  }

  snapshot(): Map<string, Uint8Array> {
    return new Map([...this.files].map(([k, v]) => [k, new Uint8Array(v)]));
  }
}
