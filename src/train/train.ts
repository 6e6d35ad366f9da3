import { existsSync } from "node:fs";
import type { DenseDesignMatrix } from "../data/dataset.js";
import { writeModelFile, type MonitorHistory } from "../io/model-file.js";
import { loadParams, type Model } from "../models/model.js";
import { DlError } from "../util/errors.js";
import type { AlgorithmState, TrainingAlgorithm } from "./algorithm.js";
import { checkpointPathFor, readCheckpoint, stateOf, withPrefix, writeCheckpoint, type StateTensors } from "./checkpoint.js";
import type { TrainContext, TrainExtension } from "./extensions.js";
import { findNonFiniteAsync } from "./finite.js";
import { Monitor } from "./monitor.js";
import { isStaged, readBack } from "./readback.js";
import { SILENT, type TrainReporter } from "./reporter.js";
import type { Backend } from "../engine/index.js";

export interface TrainOptions {
  dataset: DenseDesignMatrix;
  model: Model;
  algorithm: TrainingAlgorithm;
  savePath: string;
  /** Save every this many epochs (0: only at the end). */
  saveFreq?: number;
  extensions?: TrainExtension[];
  allowOverwrite?: boolean;
}

/** Text that goes into the files besides the numbers: set by whoever built the Train from YAML. */
export interface TrainFileInfo {
  /** Resolved YAML of the model component (what `loadModel` rebuilds it from). */
  modelConfig?: string;
  /** Resolved YAML of the whole Train. */
  trainConfig?: string;
  /** The dataset file the training data came from (`!pkl:`), for `show-weights --unwhiten`. */
  datasetPath?: string;
  /** The monitor of a saved model being trained further (`model: !pkl:`): pylearn2 kept it with the model. */
  previousMonitor?: MonitorHistory;
  /** Only previousMonitor's counters go on, not its records (push_monitor's transfer_experience without save_records). */
  previousCountersOnly?: boolean;
  /** Monitors of earlier stages push_monitor set aside, by name (MatchChannel reads them). */
  earlierMonitors?: Record<string, MonitorHistory>;
}

export interface RunOptions {
  reporter?: TrainReporter;
  /** Start no new epoch once this many seconds have passed since mainLoop began (pylearn2's time_budget). */
  timeBudget?: number | null;
  /** Continue from `<save_path>.ckpt`. */
  resume?: boolean;
  /** Set `requested` (e.g. from a SIGINT handler) to stop after the current step with a checkpoint. */
  stop?: { requested: string | null };
  /** How often (ms) the loop yields to the event loop and looks at `stop` (default 50; 0: after every step). */
  yieldMs?: number;
}

/** Counters are the model's totals (a saved model trained further counts on from its file). */
export interface TrainResult {
  epochs: number;
  batches: number;
  examples: number;
  seconds: number;
  /** Why the loop ended. */
  reason: "criterion" | "extension" | "time_budget";
  savePath: string;
  checkpointPath: string;
}

/** Training stopped by a signal after saving a checkpoint; the CLI exits 130. */
export class TrainingInterrupted extends DlError {
  constructor(
    readonly signal: string,
    readonly checkpointPath: string,
  ) {
    super(`interrupted by ${signal}; training state saved to ${checkpointPath} (continue with --resume)`, 130);
    this.name = "TrainingInterrupted";
  }
}

/** Where a checkpoint was taken: between epochs (before the continue check), or inside one. */
type Position = "boundary" | "in_epoch";

/** How often the loop lets the event loop run (signals, progress output). */
const YIELD_MS = 50;
const PROGRESS_MS = 150;

/**
 * pylearn2's Train (pylearn2/train.py): setup, a monitoring step before any training (epoch 0),
 * then per epoch: train, monitor, extensions' onMonitor, save every save_freq epochs; stop when
 * the algorithm's termination criterion or an extension says so; save at the end.
 *
 * Beyond pylearn2: every save also writes a checkpoint (`<save_path>.ckpt`) holding the complete
 * training state, a stop request (Ctrl-C) checkpoints after the current step, and a NaN/Inf in a
 * parameter or in an objective channel stops before the last good file is overwritten.
 */
export class Train {
  readonly dataset: DenseDesignMatrix;
  readonly model: Model;
  readonly algorithm: TrainingAlgorithm;
  readonly savePath: string;
  readonly saveFreq: number;
  readonly extensions: TrainExtension[];
  readonly allowOverwrite: boolean;
  files: TrainFileInfo = {};
  readonly monitor = new Monitor();

  private reporter: TrainReporter = SILENT;
  private trainingSeconds = 0;
  private totalSeconds = 0;
  private extContinue = true;
  private ctx!: TrainContext;
  /** Model files extensions asked for while tensors could not be read synchronously (GPU): written right after. */
  private pendingSaves: string[] = [];

  constructor(o: TrainOptions) {
    this.dataset = o.dataset;
    this.model = o.model;
    this.algorithm = o.algorithm;
    this.savePath = o.savePath;
    this.saveFreq = o.saveFreq ?? 0;
    this.extensions = o.extensions ?? [];
    this.allowOverwrite = o.allowOverwrite ?? true;
  }

  get checkpointPath(): string {
    return checkpointPathFor(this.savePath);
  }

  async mainLoop(run: RunOptions = {}): Promise<TrainResult> {
    this.reporter = run.reporter ?? SILENT;
    const stop = run.stop ?? { requested: null };
    const t0 = performance.now();
    const budget = run.timeBudget ?? null;

    // Models draw their filters in the shape of the data they were trained on.
    if (!this.model.inputView && this.dataset.view) this.model.inputView = this.dataset.view;
    const summary = this.algorithm.setup(this.model, this.dataset, this.monitor);
    this.reporter.paramSummary(summary);
    this.ctx = {
      model: this.model,
      dataset: this.dataset,
      algorithm: this.algorithm,
      monitor: this.monitor,
      saveModelTo: (p) => (this.backend.syncRead ? this.writeModel(p) : void this.pendingSaves.push(p)),
      log: (m) => this.reporter.log(m),
    };
    for (const ext of this.extensions) ext.setup?.(this.ctx);
    for (const [name, h] of Object.entries(this.files.earlierMonitors ?? {})) this.monitor.earlier.set(name, h);

    let position: Position = "boundary";
    if (run.resume) {
      position = this.restore();
      this.reporter.log(`Resuming from ${this.checkpointPath} (epoch ${this.monitor.epochsSeen}, batch ${this.monitor.batchesSeen})`);
    } else {
      if (!this.allowOverwrite && existsSync(this.savePath)) {
        throw new DlError(`${this.savePath} exists and allow_overwrite is False; move it away or set allow_overwrite: True`, 2);
      }
      if (!this.backend.syncRead) {
        // The algorithm's setup checks this on the CPU; a GPU needs an asynchronous read.
        const bad = await findNonFiniteAsync(this.model.params());
        if (bad) throw new DlError(`parameter ${bad.name} of ${this.model.className} is ${bad.what} before training`);
      }
      if (this.files.previousMonitor) this.continueMonitor(this.files.previousMonitor, !this.files.previousCountersOnly);
      // pylearn2's enforce_constraints: the constraints hold from the start.
      this.model.afterUpdate?.();
      await this.runMonitoring();
      this.extContinue = await this.runExtensions();
    }

    let reason: TrainResult["reason"] = "criterion";
    let preCheck: AlgorithmState | null = null;
    let savedAtEpoch = -1;
    for (;;) {
      if (position === "boundary") {
        if (stop.requested) await this.interrupt(stop.requested, "boundary");
        // The state before the check is what a checkpoint keeps: resuming repeats the check exactly once.
        preCheck = await readBack(this.backend, () => this.algorithm.state());
        const algContinue = this.algorithm.continueLearning(this.monitor);
        if (!algContinue || !this.extContinue) {
          reason = algContinue ? "extension" : "criterion";
          break;
        }
        if (budget !== null && (performance.now() - t0) / 1000 >= budget) {
          this.reporter.log(`Time budget exceeded (${((performance.now() - t0) / 1000).toFixed(1)}/${budget} seconds).`);
          reason = "time_budget";
          break;
        }
        this.algorithm.beginEpoch();
      }
      position = "boundary";
      const epochStart = performance.now();
      const partial = this.trainingSeconds;
      await this.trainEpoch(stop, epochStart, partial, run.yieldMs ?? YIELD_MS);
      // A GPU runs behind the host: the epoch ends when its work has run.
      const b = this.backend;
      if (isStaged(b)) await b.sync();
      this.trainingSeconds = partial + (performance.now() - epochStart) / 1000;
      this.monitor.reportEpoch();
      this.reporter.epochTrained(this.monitor.epochsSeen, this.trainingSeconds);
      // Once per epoch (on a GPU: counted on the device, one small read).
      const bad = await findNonFiniteAsync(this.model.params());
      if (bad) {
        throw new DlError(
          `parameter ${bad.name} became ${bad.what} during epoch ${this.monitor.epochsSeen} (at index ${bad.index}); training stopped.` +
            ` ${this.lastGoodNote()} Try a smaller learning_rate.`,
        );
      }
      await this.runMonitoring();
      this.extContinue = await this.runExtensions();
      if (this.saveFreq > 0 && this.monitor.epochsSeen % this.saveFreq === 0) {
        await this.save(() => this.algorithm.state());
        savedAtEpoch = this.monitor.epochsSeen;
      }
      this.totalSeconds = (performance.now() - epochStart) / 1000;
      this.trainingSeconds = 0;
    }
    // pylearn2 saves again here; when this epoch was just saved, the files already hold this state.
    if (savedAtEpoch !== this.monitor.epochsSeen) await this.save(() => preCheck ?? this.algorithm.state());
    const st = this.monitor.state();
    return {
      epochs: st.epochsSeen,
      batches: st.batchesSeen,
      examples: st.examplesSeen,
      seconds: (performance.now() - t0) / 1000,
      reason,
      savePath: this.savePath,
      checkpointPath: this.checkpointPath,
    };
  }

  /** Runs the current pass to its end, yielding to the event loop now and then. */
  private async trainEpoch(stop: { requested: string | null }, epochStart: number, partial: number, yieldMs: number): Promise<void> {
    const epoch = this.monitor.epochsSeen + 1;
    let lastYield = performance.now();
    let lastProgress = lastYield;
    const ex0 = this.algorithm.progress().examples;
    const b = this.backend;
    const staged = isStaged(b) ? b : null;
    while (this.algorithm.step()) {
      const now = performance.now();
      if (now - lastYield >= yieldMs) {
        if (now - lastProgress >= PROGRESS_MS) {
          const p = this.algorithm.progress();
          this.reporter.progress(epoch, p, ((p.examples - ex0) * 1000) / Math.max(1, now - epochStart));
          lastProgress = now;
        }
        await new Promise((r) => setImmediate(r));
        if (staged) await staged.pace();
        lastYield = performance.now();
        if (stop.requested) {
          this.trainingSeconds = partial + (performance.now() - epochStart) / 1000;
          await this.interrupt(stop.requested, "in_epoch");
        }
      }
    }
  }

  /** Counters (and, with `records`, the history and clock) carry on from the saved model's last monitoring step. */
  private continueMonitor(h: MonitorHistory, records: boolean): void {
    const ch = Object.values(h.channels).find((c) => c.val.length > 0);
    if (!ch) return;
    const i = ch.val.length - 1;
    this.monitor.loadState({ batchesSeen: ch.batch[i], examplesSeen: ch.example[i], epochsSeen: ch.epoch[i], elapsed: records ? ch.time[i] : 0 }, records ? h : { channels: {} });
  }

  private async runMonitoring(): Promise<void> {
    let last = performance.now();
    const values = await this.algorithm.monitorValues(async () => {
      if (performance.now() - last < YIELD_MS) return;
      await new Promise((r) => setImmediate(r));
      last = performance.now();
    });
    values.training_seconds_this_epoch = this.trainingSeconds;
    values.total_seconds_last_epoch = this.totalSeconds;
    for (const [k, v] of Object.entries(values)) {
      if (k.endsWith("objective") && !Number.isFinite(v)) {
        throw new DlError(`the monitored ${k} became ${Number.isNaN(v) ? "NaN" : "infinite"} at epoch ${this.monitor.epochsSeen}; training stopped. ${this.lastGoodNote()}`);
      }
    }
    this.monitor.record(values);
    this.reporter.monitor(
      { epochs: this.monitor.epochsSeen, batches: this.monitor.batchesSeen, examples: this.monitor.examplesSeen, seconds: this.monitor.elapsed() },
      values,
    );
  }

  private async runExtensions(): Promise<boolean> {
    let cont = true;
    for (const ext of this.extensions) if (ext.onMonitor?.(this.ctx) === false) cont = false;
    // Nothing trains between an extension's request and here, so the file holds the same values.
    for (const p of this.pendingSaves.splice(0)) {
      const data = await readBack(this.backend, () => this.modelFileData());
      writeModelFile(p, data);
    }
    return cont;
  }

  private lastGoodNote(): string {
    return existsSync(this.savePath) ? `The last good model is still in ${this.savePath}.` : "Nothing was saved.";
  }

  private async interrupt(signal: string, position: Position): Promise<never> {
    const ckpt = await readBack(this.backend, () => this.checkpointData(position, this.algorithm.state()));
    writeCheckpoint(this.checkpointPath, ckpt);
    throw new TrainingInterrupted(signal, this.checkpointPath);
  }

  /**
   * Model file, then checkpoint; extensions' onSave first, as pylearn2's Train.save. `alg` gives
   * the algorithm's state; it is called where tensors can be read (see readBack).
   */
  private async save(alg: () => AlgorithmState): Promise<void> {
    for (const ext of this.extensions) ext.onSave?.(this.ctx);
    const { model, ckpt } = await readBack(this.backend, () => ({ model: this.modelFileData(), ckpt: this.checkpointData("boundary", alg()) }));
    writeModelFile(this.savePath, model);
    writeCheckpoint(this.checkpointPath, ckpt);
    this.reporter.log(`Saved to ${this.savePath}`);
  }

  /** Where the model's tensors live (training runs there). */
  private get backend(): Backend {
    return this.model.params()[0].backend;
  }

  private paramTensors(): Record<string, { shape: number[]; data: Float32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const p of this.model.params()) out[p.name ?? ""] = { shape: [...p.shape], data: p.toArray() as Float32Array };
    return out;
  }

  /** Writes the model file now (tensors must be readable synchronously: the CPU, or inside readBack). */
  writeModel(path: string): void {
    writeModelFile(path, this.modelFileData());
  }

  private modelFileData(): Parameters<typeof writeModelFile>[1] {
    const tensors = this.paramTensors();
    for (const [k, t] of Object.entries(this.model.extraState?.() ?? {})) tensors[`extra_state.${k}`] = t;
    const extra: Record<string, string> = {};
    if (this.files.datasetPath) extra.dataset_path = this.files.datasetPath;
    if (this.files.trainConfig) extra.train_config = this.files.trainConfig;
    return {
      className: this.model.className,
      tensors,
      config: this.files.modelConfig,
      monitor: this.monitor.history(),
      view: this.dataset.view ?? this.model.inputView,
      layers: this.model.drawableLayers?.(),
      extra,
    };
  }

  private checkpointData(position: Position, alg: AlgorithmState): Parameters<typeof writeCheckpoint>[1] {
    const state: StateTensors = { ...withPrefix(alg.tensors, "alg"), ...withPrefix(this.model.extraState?.() ?? {}, "model") };
    return {
      className: this.model.className,
      params: this.paramTensors(),
      state,
      json: {
        position,
        monitor: this.monitor.state(),
        algorithm: alg.json,
        extensions: this.extensions.map((e) => e.state?.() ?? null),
        extContinue: this.extContinue,
        trainingSeconds: this.trainingSeconds,
        totalSeconds: this.totalSeconds,
      },
      config: this.files.modelConfig,
      trainConfig: this.files.trainConfig,
      monitor: this.monitor.history(),
      view: this.dataset.view ?? this.model.inputView,
      layers: this.model.drawableLayers?.(),
    };
  }

  /** Loads the checkpoint into the freshly built objects; returns where to continue. */
  private restore(): Position {
    const path = this.checkpointPath;
    const c = readCheckpoint(path);
    if (c.className !== this.model.className) {
      throw new DlError(`${path} was written for a ${c.className}, but this experiment trains a ${this.model.className}`, 2);
    }
    try {
      loadParams(this.model, c.params, path);
    } catch (e) {
      throw new DlError(`cannot resume: ${(e as Error).message} (did the model's settings change since the checkpoint?)`, 2);
    }
    const modelState = stateOf(c.state, "model");
    if (Object.keys(modelState).length > 0) this.model.loadExtraState?.(modelState as Record<string, { shape: number[]; data: Float32Array }>);
    const j = c.json as {
      position: Position;
      monitor: { batchesSeen: number; examplesSeen: number; epochsSeen: number; elapsed: number };
      algorithm: Record<string, unknown>;
      extensions: unknown[];
      extContinue: boolean;
      trainingSeconds: number;
      totalSeconds: number;
    };
    this.monitor.loadState(j.monitor, c.monitor);
    if (j.extensions.length !== this.extensions.length) {
      throw new DlError(`cannot resume: the checkpoint has ${j.extensions.length} extension(s), the experiment ${this.extensions.length}`, 2);
    }
    this.extensions.forEach((e, i) => j.extensions[i] !== null && e.loadState?.(j.extensions[i]));
    // Last, so values the extensions' setup applied (learning rate, momentum) give way to the saved ones.
    this.algorithm.loadState({ json: j.algorithm, tensors: stateOf(c.state, "alg") });
    this.extContinue = j.extContinue;
    this.trainingSeconds = j.trainingSeconds;
    this.totalSeconds = j.totalSeconds;
    return j.position;
  }
}
