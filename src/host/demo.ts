/**
 * The main job (npm start): the whole story on embedded defaults. A manufacturer CA, three
 * devices with simulated ATECC608 secure elements, buttons pressed on two, pairing with
 * the confirmation code shown, encrypted messages both ways, one device dies, the third
 * replaces it, the dead one comes back and is refused. Prints a readable timeline.
 */
import { runScenario } from "./sim/scenarios";
import { formatTimeline } from "./commands/simulate";

export async function runDemo(): Promise<number> {
  console.log("pairkit demo: a manufacturer CA, three lamps with secure elements, one field replacement\n");
  const r = await runScenario("replace", { seed: "pairkit-demo" });
  console.log(formatTimeline(r));
  return r.ok ? 0 : 1;
}
