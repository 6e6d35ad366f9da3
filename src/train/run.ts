import { existsSync } from "node:fs";
import { defaultBackend, setDefaultBackend, type Backend } from "../engine/index.js";
import { ConfigError, DlError } from "../util/errors.js";
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
  /** Where to train (`dl train --device`); replaces every phase's `device:`. */
  device?: Device | null;
  /**
   * Opens the GPU for `device: webgpu` (default: the webgpu backend through Dawn, loaded only
   * then). Tests inject a failing one to check the missing-device error.
   */
  openGpu?: () => Promise<GpuBackendHandle>;
}

export type Device = "cpu" | "webgpu";
export const DEVICES: readonly Device[] = ["cpu", "webgpu"];

/** A GPU backend and how to free it (so the process can exit). */
export interface GpuBackendHandle {
  backend: Backend;
  /** The adapter, for the log (e.g. "llvmpipe ... (software: runs on the CPU)"). */
  description: string;
  destroy(): void;
}

async function openWebGpu(): Promise<GpuBackendHandle> {
  const { createWebGpuBackend, describeAdapter } = await import("../engine/backends/webgpu/index.js");
  const b = await createWebGpuBackend();
  return { backend: b, description: describeAdapter(b.rt.handle.adapter), destroy: () => b.destroy() };
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
  const cpu = defaultBackend();
  let gpu: GpuBackendHandle | null = null;
  let device: Device = "cpu";
  try {
    const loadPkl = makePklLoader({ registry: opts.registry });
    const phased = exp.count > 1;
    for (let i = 0; i < exp.count; i++) {
      setEnv("PYLEARN2_TRAIN_PHASE", phased ? `phase${i + 1}` : undefined);
      if (phased) reporter.log(`Phase ${i + 1} of ${exp.count}`);
      const node = exp.phase(i);
      device = opts.device ?? (node.args.device as Device | undefined) ?? "cpu";
      if (device === "webgpu" && !gpu) {
        gpu = await openDevice(opts.openGpu ?? openWebGpu);
        reporter.log(`Device: webgpu on ${gpu.description}`);
      }
      // Everything the phase builds (parameters, batches, noise) is made on the chosen device.
      setDefaultBackend(device === "webgpu" ? gpu!.backend : cpu);
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
  } catch (e) {
    throw device === "webgpu" ? explainGpuError(e) : e;
  } finally {
    setDefaultBackend(cpu);
    // Dawn keeps the event loop alive while a device exists: free it so the process exits promptly.
    gpu?.destroy();
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return results;
}

/** What the Train's files record about where it came from. */
function fileInfo(node: ComponentNode): Train["files"] {
  let model = node.args.model;
  const dataset = node.args.dataset;
  // push_monitor { model, name, ... }: the same saved model, with its monitor set aside under `name`.
  const pushNode = model instanceof ComponentNode && model.def.name === "push_monitor" ? model : null;
  const push = pushNode?.args;
  if (push) model = push.model;
  let modelConfig: string | undefined;
  let previousMonitor: MonitorHistory | undefined;
  let earlierMonitors: Record<string, MonitorHistory> | undefined;
  let previousCountersOnly = false;
  if (model instanceof PklRef) {
    // Training a saved model further: its own config, and its monitor continues (or is pushed aside).
    const saved = readModelFile(model.path);
    modelConfig = saved.config;
    const old = saved.monitor ?? { channels: {} };
    if (!push) previousMonitor = saved.monitor;
    else {
      earlierMonitors = { [push.name as string]: old };
      if (push.transfer_experience) {
        previousMonitor = old;
        previousCountersOnly = !push.save_records;
      }
    }
  } else {
    if (pushNode) {
      throw new ConfigError('push_monitor needs a saved model (model: !pkl: "file.pkl"): a model built here has no monitor to set aside', pushNode.loc);
    }
    modelConfig = printConfig(model);
  }
  return {
    modelConfig,
    previousMonitor,
    previousCountersOnly,
    earlierMonitors,
    trainConfig: printConfig(node),
    datasetPath: dataset instanceof PklRef ? dataset.path : undefined,
  };
}

/** The GPU, or a DlError with exit code 2 (the user asked for a device this machine lacks). */
async function openDevice(open: () => Promise<GpuBackendHandle>): Promise<GpuBackendHandle> {
  try {
    return await open();
  } catch (e) {
    if (e instanceof DlError) throw new DlError(e.message, 2);
    throw new DlError(`--device webgpu: the GPU could not be opened (${(e as Error).message})`, 2);
  }
}

const SYNC_READ = /reads asynchronously|cannot read tensors synchronously/;

/**
 * A component that reads tensor values synchronously while training cannot run on the GPU: say so,
 * and where, instead of a stack trace. (None of dl's own do now; a new one would land here.)
 */
export function explainGpuError(e: unknown): unknown {
  if (!(e instanceof Error) || e instanceof DlError || !SYNC_READ.test(e.message)) return e;
  // The first frame outside the engine is the component that asked; shown relative to the package.
  const frame = (e.stack ?? "").split("\n").slice(1).find((l) => !/tensor\.[jt]s|backend\.[jt]s|readback|node:/.test(l));
  const where = frame?.match(/((?:src|dist)\/[^\s()]+:\d+):\d+/)?.[1];
  return new DlError(
    `--device webgpu: a part of this experiment reads tensor values synchronously during training, which the webgpu backend cannot do yet${where ? ` (at ${where})` : ""}; train it with --device cpu`,
  );
}
