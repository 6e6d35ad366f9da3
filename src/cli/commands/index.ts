import type { Command } from "commander";
import { downloadCifar10Command } from "./download-cifar10.js";
import { downloadMnistCommand } from "./download-mnist.js";
import { makeDatasetCommand } from "./make-dataset.js";
import { infoCommand } from "./info.js";
import { plotMonitorCommand } from "./plot-monitor.js";
import { showWeightsCommand } from "./show-weights.js";
import { componentsCommand } from "./components.js";
import { trainCommand } from "./train.js";
import { doctorCommand } from "./doctor.js";
import { quickstartCommand } from "./quickstart.js";

/**
 * Every `dl` command, in the order `dl --help` lists them. A command is a function that adds
 * itself to the program (one file per command in this folder); only commands that work are listed.
 */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  downloadCifar10Command,
  makeDatasetCommand,
  trainCommand,
  showWeightsCommand,
  plotMonitorCommand,
  downloadMnistCommand,
  infoCommand,
  componentsCommand,
  doctorCommand,
  quickstartCommand,
];
