/** The table of CLI commands. Each command module owns its own file; add one line here. */
import type { Command } from "./types";
import { interopCommand } from "./interop";

export var commands: Command[] = [interopCommand];
