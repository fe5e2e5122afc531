// Power-loss-safe records: every write and erase of an update is interrupted in turn;
// after reboot the record holds exactly the old or exactly the new data.
import { describe, expect, it } from "vitest";
import { sha256 } from "@noble/hashes/sha2.js";
import { loadRecord, saveRecord, MAX_RECORD } from "../../src/core/store/records";
import { FakeFlash } from "../helpers/fake-storage";
import { isPairkitError } from "../../src/core/errors";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : null);

describe("power-loss-safe records", () => {
  it("saves and loads versions", () => {
    const fs = new FakeFlash();
    expect(loadRecord(fs, sha256, "b")).toBeNull();
    expect(saveRecord(fs, sha256, "b", enc("one"))).toBe(1);
    expect(saveRecord(fs, sha256, "b", enc("two"))).toBe(2);
    expect(saveRecord(fs, sha256, "b", enc("three"))).toBe(3);
    expect(dec(loadRecord(fs, sha256, "b")?.data)).toBe("three");
    expect(fs.files.size).toBe(1);
  });

  for (const torn of [0, 0.3, 0.99]) {
    it(`a cut at any step of an update leaves exactly the old or the new record (torn fraction ${torn})`, () => {
      for (let history = 0; history < 3; history++) {
        for (let cut = 0; cut < 3; cut++) {
          const fs = new FakeFlash();
          fs.tornFraction = torn;
          for (let h = 0; h < history; h++) saveRecord(fs, sha256, "b", enc("v" + h));
          const before = history ? "v" + (history - 1) : null;
          fs.cutAt = fs.ops + cut;
          let threw = false;
          try {
            saveRecord(fs, sha256, "b", enc("new"));
          } catch (e) {
            threw = true;
            expect((e as { code: string }).code).toBe("TEST_POWER_CUT");
          }
          fs.reboot();
          const after = dec(loadRecord(fs, sha256, "b")?.data);
          if (threw) expect([before, "new"]).toContain(after);
          else expect(after).toBe("new");
          if (cut === 0) expect(after).toBe(before);
          // The store keeps working after the reboot.
          saveRecord(fs, sha256, "b", enc("later"));
          expect(dec(loadRecord(fs, sha256, "b")?.data)).toBe("later");
        }
      }
    });
  }

  it("a corrupted newest copy falls back to the previous one", () => {
    const fs = new FakeFlash();
    saveRecord(fs, sha256, "b", enc("old"));
    fs.cutAt = fs.ops + 1; // power lost at the erase: both copies remain
    expect(() => saveRecord(fs, sha256, "b", enc("new"))).toThrow();
    fs.reboot();
    const newest = [...fs.files.entries()].find(([, v]) => dec(v.subarray(9, 12)) === "new")!;
    newest[1][10] ^= 1;
    expect(dec(loadRecord(fs, sha256, "b")?.data)).toBe("old");
  });

  it("a failed write (Storage full: a plain Error from Espruino) is STORE_VERIFY and keeps the previous version", () => {
    const fs = new FakeFlash();
    saveRecord(fs, sha256, "b", enc("old"));
    fs.failWrites = true;
    let e: unknown;
    try {
      saveRecord(fs, sha256, "b", enc("new"));
    } catch (x) {
      e = x;
    }
    expect(isPairkitError(e) && e.code).toBe("STORE_VERIFY");
    fs.failWrites = false;
    expect(dec(loadRecord(fs, sha256, "b")?.data)).toBe("old");
    // A store that returns false instead of throwing is the same failure.
    const quiet = { readArrayBuffer: (n: string) => fs.readArrayBuffer(n), write: () => false, erase: () => {} };
    expect(() => saveRecord(quiet, sha256, "b", enc("new"))).toThrow(expect.objectContaining({ code: "STORE_VERIFY" }));
    expect(dec(loadRecord(fs, sha256, "b")?.data)).toBe("old");
  });

  it("refuses records over the size bound", () => {
    const fs = new FakeFlash();
    try {
      saveRecord(fs, sha256, "b", new Uint8Array(MAX_RECORD + 1));
      expect.unreachable();
    } catch (e) {
      expect(isPairkitError(e) && e.code).toBe("STORE_TOO_LARGE");
    }
  });
});
