/** The table of CLI commands. Each command module owns its own file; add one line here. */
import type { Command } from "./types";
import { interopCommand } from "./interop";
import { benchCommand } from "./bench";
import { demoCommand } from "./demo";

export var commands: Command[] = [demoCommand, interopCommand, benchCommand];
