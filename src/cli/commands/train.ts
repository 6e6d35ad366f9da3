import type { Command } from "commander";
import { UsageError } from "../../util/errors.js";
import { ConsoleReporter } from "../../train/reporter.js";
import { DEVICES, loadTrainExperiment, trainFile, type Device } from "../../train/run.js";
import { suggestionSuffix } from "../../util/suggest.js";
import { TrainingInterrupted } from "../../train/train.js";

interface TrainCliOptions {
  printConfig?: boolean;
  resume?: boolean;
  seed?: string;
  timeBudget?: string;
  quiet?: boolean;
  logJson?: string;
  device?: string;
}

/** `dl train CONFIG.yaml [a.b=v ...]`: pylearn2's train.py, with progress, safe files and exact resume. */
export function trainCommand(program: Command): void {
  program
    .command("train")
    .description("train the experiment a YAML file describes (a Train, or a list of them run in turn)")
    .argument("<config>", "experiment file (pylearn2 YAML)")
    .argument("[overrides...]", "settings to change, e.g. algorithm.learning_rate=0.05 (or NAME=VALUE for a %(NAME)s template)")
    .option("--print-config", "print the resolved experiment (every default filled in) and exit")
    .option("--resume", "continue from the checkpoint (<save_path>.ckpt) exactly where it stopped")
    .option("--seed <n>", "seed of the training order and step noise (replaces the algorithm's seed)")
    .option("--time-budget <sec>", "start no new epoch once this many seconds have passed (pylearn2's time_budget)")
    .option("--quiet", "print nothing but errors")
    .option("--log-json <file>", "write one JSON line per monitoring step (counters and channels) to this file")
    .option("--device <name>", "where to train: cpu or webgpu (a GPU through Dawn; see dl doctor); replaces the YAML's device:")
    .action(async (config: string, overrides: string[], o: TrainCliOptions) => {
      if (o.printConfig) {
        process.stdout.write(loadTrainExperiment(config, { overrides }).print());
        return;
      }
      const seed = o.seed === undefined ? null : wholeNumber("--seed", o.seed);
      const timeBudget = o.timeBudget === undefined ? null : positive("--time-budget", o.timeBudget);
      const device = o.device === undefined ? null : deviceName(o.device);
      const stop = { requested: null as string | null };
      // First Ctrl-C: finish the step, checkpoint, exit 130. A second one: leave at once.
      const onSignal = (sig: NodeJS.Signals) => {
        if (stop.requested) process.exit(130);
        stop.requested = sig;
        if (!o.quiet) process.stderr.write(`\ndl: ${sig} received: saving a checkpoint after this step or monitoring pass (press Ctrl-C again to quit at once, without one)\n`);
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        await trainFile(config, {
          overrides,
          resume: o.resume,
          seed,
          timeBudget,
          device,
          stop,
          reporter: new ConsoleReporter({ quiet: o.quiet, logJson: o.logJson }),
        });
      } catch (e) {
        if (!(e instanceof TrainingInterrupted)) throw e;
        process.stderr.write(`dl: ${e.message}\n`);
        process.exitCode = 130;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}

function wholeNumber(flag: string, s: string): number {
  if (!/^-?\d+$/.test(s.trim())) throw new UsageError(`${flag} must be a whole number, got ${s}`);
  return Number(s);
}

function positive(flag: string, s: string): number {
  const v = Number(s);
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`${flag} must be a positive number of seconds, got ${s}`);
  return v;
}

function deviceName(s: string): Device {
  if ((DEVICES as readonly string[]).includes(s)) return s as Device;
  throw new UsageError(`--device must be one of ${DEVICES.join(", ")}, got '${s}'.${suggestionSuffix(s, DEVICES)}`);
}
