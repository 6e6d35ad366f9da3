import { existsSync } from "node:fs";
import { buildTree, printConfig, trainFileVars, ComponentNode, PklRef, type Registry } from "../config/index.js";
import { readModelFile, type MonitorHistory } from "../io/model-file.js";
import { makePklLoader } from "./load.js";
import { loadPhases, type PhasedExperiment } from "./phases.js";
import { SILENT, type TrainReporter } from "./reporter.js";
import { SGD } from "./sgd.js";
import { Train, type TrainResult } from "./train.js";

/**
 * `dl train` as a function: pylearn2's scripts/train.py. Loads and validates the experiment,
 * publishes the PYLEARN2_TRAIN_* variables, and runs each Train in turn (a top-level list is
 * layer-wise pretraining: phase N sees PYLEARN2_TRAIN_PHASE=phaseN).
 */
export interface TrainFileOptions {
  overrides?: readonly string[];
  resume?: boolean;
  /** Replaces the algorithm's seed (training order and step noise). */
  seed?: number | null;
  /** Seconds per phase: no new epoch starts once they have passed. */
  timeBudget?: number | null;
  reporter?: TrainReporter;
  stop?: { requested: string | null };
  cwd?: string;
  registry?: Registry;
}

export function loadTrainExperiment(config: string, opts: Pick<TrainFileOptions, "overrides" | "cwd" | "registry"> = {}): PhasedExperiment {
  return loadPhases(config, { overrides: opts.overrides, cwd: opts.cwd, registry: opts.registry });
}

export async function trainFile(config: string, opts: TrainFileOptions = {}): Promise<TrainResult[]> {
  const exp = loadTrainExperiment(config, opts);
  const reporter = opts.reporter ?? SILENT;
  const saved = new Map<string, string | undefined>();
  const setEnv = (k: string, v: string | undefined) => {
    if (!saved.has(k)) saved.set(k, process.env[k]);
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  // pylearn2's train.py publishes these for the whole run; we put them back afterwards.
  for (const [k, v] of Object.entries(trainFileVars(exp.file))) setEnv(k, v);
  const results: TrainResult[] = [];
  try {
    const loadPkl = makePklLoader({ registry: opts.registry });
    const phased = exp.count > 1;
    for (let i = 0; i < exp.count; i++) {
      setEnv("PYLEARN2_TRAIN_PHASE", phased ? `phase${i + 1}` : undefined);
      if (phased) reporter.log(`Phase ${i + 1} of ${exp.count}`);
      const node = exp.phase(i);
      const train = buildTree(node, { file: exp.file, dataPath: exp.dataPath, loadPkl }) as Train;
      train.files = fileInfo(node);
      if (train.algorithm instanceof SGD) {
        if (opts.seed != null) train.algorithm.reseed(opts.seed);
        // pylearn2's SGD falls back on the model's batch_size (the MLP tutorials set it there).
        const m = node.args.model;
        if (m instanceof ComponentNode && typeof m.args.batch_size === "number") train.algorithm.modelBatchSize = m.args.batch_size;
      }
      // In a list, a later phase with no checkpoint yet has simply not started: run it from scratch.
      const resume = !!opts.resume && (i === 0 || existsSync(train.checkpointPath));
      const r = await train.mainLoop({ reporter, timeBudget: opts.timeBudget, resume, stop: opts.stop });
      reporter.log(`Training ${r.reason === "time_budget" ? "stopped (time budget)" : "complete"}: ${r.epochs} epochs, ${r.batches} batches, ${r.examples} examples`);
      results.push(r);
    }
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return results;
}

/** What the Train's files record about where it came from. */
function fileInfo(node: ComponentNode): Train["files"] {
  const model = node.args.model;
  const dataset = node.args.dataset;
  let modelConfig: string | undefined;
  let previousMonitor: MonitorHistory | undefined;
  if (model instanceof PklRef) {
    // Training a saved model further: its own config, and its monitor continues.
    const saved = readModelFile(model.path);
    modelConfig = saved.config;
    previousMonitor = saved.monitor;
  } else modelConfig = printConfig(model);
  return {
    modelConfig,
    previousMonitor,
    trainConfig: printConfig(node),
    datasetPath: dataset instanceof PklRef ? dataset.path : undefined,
  };
}
