// The simulator's flash doubles as the tests' fake Storage.
export { FakeFlash, PowerCut } from "../../src/host/sim/flash";
