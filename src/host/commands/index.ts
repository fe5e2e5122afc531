/** The table of CLI commands. Each command module owns its own file; add one line here. */
import type { Command } from "./types";
import { interopCommand } from "./interop";
import { benchCommand } from "./bench";
import { demoCommand } from "./demo";
import { simulateCommand } from "./simulate";
import { caInitCommand, caIntermediateCommand } from "./ca";
import { deviceIssueCommand, deviceIssueBatchCommand } from "./device";
import { revokeCommand } from "./revoke";
import { inspectCommand } from "./inspect";
import { flashCommand, hubCommand, provisionCommand, seSimCommand } from "./factory";

export var commands: Command[] = [demoCommand, simulateCommand, interopCommand, benchCommand, caInitCommand, caIntermediateCommand, deviceIssueCommand, deviceIssueBatchCommand, revokeCommand, inspectCommand, provisionCommand, flashCommand, seSimCommand, hubCommand];
