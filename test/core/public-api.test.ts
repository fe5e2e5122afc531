// The public host API exposes the library and none of its test-only seams.
import { expect, it } from "vitest";
import * as api from "../../src/index";

it("exports the protocol, lifecycle and host provider, and no test seams", () => {
  for (const name of ["EdhocInitiator", "EdhocResponder", "Pairing", "createNobleProvider", "validateChain", "sessionNew", "channelOpen"]) {
    expect(typeof (api as Record<string, unknown>)[name], name).toBe("function");
  }
  for (const seam of ["edhocTestHooks", "seededProvider", "seededBytes"]) expect(seam in api, seam).toBe(false);
});
