/**
 * LED blink patterns of the lifecycle's ui events, as steps of 200 ms in a string of "1"
 * (on) and "0" (off): a string costs a few variables where an array costs one per step.
 * A confirmation code shows each digit as that many blinks followed by a pause, so a
 * person can compare two devices' codes on LEDs alone.
 *
 * Espruino subset.
 */

/** The pattern of "ok", "fail" and "cleared", the one that plays once (the others repeat). */
export const LED_ONCE = "111110";

/** The pattern for a ui event ("" = LED off). */
export function ledPattern(ev: string, code?: number[]): string {
  var seq = ev === "ok" || ev === "fail" || ev === "cleared" ? LED_ONCE : ev === "window" || ev === "replace-window" ? "10000" : ev === "busy" || ev === "replace-pending" ? "1" : "";
  if (ev === "code" && code) {
    for (var i = 0; i < code.length; i++) {
      for (var k = 0; k < code[i]; k++) seq += "10";
      seq += "000";
    }
  }
  return seq;
}
