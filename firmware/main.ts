/**
 * Placeholder firmware (to be replaced by the real pairkit firmware): reads the board
 * profile, blinks the first LED when the pairing button is pressed, prints "pairkit boot".
 * Device code: Espruino subset (see docs/device-subset.md).
 */
var board = PK_BOARD;
var led = board.leds.length > 0 ? board.leds[0].pin : null;
var button = board.buttons[0].pin;

function blink(times: number) {
  if (led === null) return;
  var pin = led;
  var n = 0;
  var id = setInterval(function () {
    digitalWrite(pin, n % 2 === 0 ? 1 : 0);
    n++;
    if (n >= times * 2) clearInterval(id);
  }, 150);
}

if (button !== null) {
  setWatch(function () {
    blink(2);
  }, button, { repeat: true, edge: "rising", debounce: 50 });
}

print("pairkit boot " + board.name + " (" + PK_TRANSPORT + ", " + process.memory().usage + " vars in use)");
