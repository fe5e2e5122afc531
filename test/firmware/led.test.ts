/**
 * LED feedback patterns (firmware/led.ts): what a person sees, step by step. The code
 * shown must be readable from blinks alone, so two devices with the same code blink the
 * same and different codes never do.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LED_ONCE, ledPattern } from "../../firmware/led";

/** Reads digits back as a person would: flashes one step apart, digits four dark steps apart. */
function readCode(seq: string): number[] {
  expect(seq.endsWith("0000")).toBe(true);
  return seq.slice(0, -4).split("0000").map((x) => {
    expect(x).toMatch(/^1(01)*$/);
    return (x.length + 1) / 2;
  });
}

describe("LED patterns", () => {
  it("fixed patterns per state (200 ms steps)", () => {
    expect(ledPattern("window")).toBe("10000");
    expect(ledPattern("replace-window")).toBe("10000");
    expect(ledPattern("busy")).toBe("1");
    expect(ledPattern("replace-pending")).toBe("1");
    expect(LED_ONCE).toBe("111110");
    expect(ledPattern("ok")).toBe("111110");
    expect(ledPattern("fail")).toBe("111110");
    expect(ledPattern("cleared")).toBe("111110");
    expect(ledPattern("idle")).toBe("");
  });

  it("a code blinks each digit as that many flashes, then a pause", () => {
    expect(ledPattern("code", [2, 1, 3])).toBe("1010000" + "10000" + "101010000");
  });

  it("any code reads back from its pattern, digit by digit", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }), (code) => {
        expect(readCode(ledPattern("code", code))).toEqual(code);
        // Only ok, fail and cleared play once (the firmware tells them by their pattern).
        expect(ledPattern("code", code)).not.toBe(LED_ONCE);
      }),
    );
  });
});
