import type { Command } from "commander";
import { plotMonitorCommand } from "./plot-monitor.js";
import { showWeightsCommand } from "./show-weights.js";
import { componentsCommand } from "./components.js";

/**
 * Every `dl` command, in the order `dl --help` lists them. A command is a function that adds
 * itself to the program (one file per command in this folder); only commands that work are listed.
 */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  showWeightsCommand,
  plotMonitorCommand,
  componentsCommand,
];
