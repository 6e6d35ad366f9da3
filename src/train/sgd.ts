import { gradients, noGrad, runInStepScope, type Tensor } from "../engine/index.js";
import type { Cost } from "../costs/cost.js";
import type { DenseDesignMatrix } from "../data/dataset.js";
import type { Channels, Model, StepContext } from "../models/model.js";
import { ConfigError, DlError } from "../util/errors.js";
import { Rng, type RngState } from "../util/rng.js";
import type { AlgorithmState, EpochProgress, TrainingAlgorithm } from "./algorithm.js";
import { makeBatch } from "./batch.js";
import { isStochastic, planBatches, selectionSize, SubsetIterator, type BatchPlan, type BatchSelection, type IterationMode, type IteratorState } from "./iterator.js";
import type { LearningRule } from "./learning-rules.js";
import type { Monitor } from "./monitor.js";
import type { TerminationCriterion } from "./termination.js";
import type { UpdateCallback } from "./update-callbacks.js";
import { findNonFinite } from "./finite.js";
import { readBack, readScalars } from "./readback.js";
import { fusedGrbmStep, type FusedStep } from "./fused-grbm.js";

export interface SgdOptions {
  learningRate: number;
  cost?: Cost | null;
  batchSize?: number | null;
  monitoringBatchSize?: number | null;
  monitoringBatches?: number | null;
  /** One dataset (channels unprefixed) or {name: dataset} (channels prefixed `name_`). */
  monitoringDataset?: DenseDesignMatrix | Record<string, DenseDesignMatrix> | null;
  monitorIterationMode?: IterationMode;
  terminationCriterion?: TerminationCriterion | null;
  updateCallbacks?: UpdateCallback[];
  learningRule?: LearningRule | null;
  trainIterationMode?: IterationMode | null;
  batchesPerIter?: number | null;
  /** Extra costs to monitor: channel `name` plus the cost's own channels prefixed `name_`. */
  monitoringCosts?: Record<string, Cost> | null;
  /** Seeds the training iterator (pylearn2's default [2012, 10, 5]) and, derived from it, the step noise. */
  seed?: number | readonly number[];
}

/** pylearn2's fixed seed for stochastic monitoring iteration (Monitor.setup). */
const MONITOR_SEED = [2013, 2, 22];

/**
 * Minibatch stochastic gradient descent (pylearn2/training_algorithms/sgd.py). One step: a batch
 * from the iterator; the cost's direct gradients if it has them, else autodiff of `cost.expr`;
 * the learning rule's update (plain SGD: p <- p - lr * lr_scale(p) * g) in place; the model's
 * constraints (`afterUpdate`); the update callbacks. Nothing is read back to JavaScript in a step.
 */
export class SGD implements TrainingAlgorithm {
  readonly className: string = "SGD";
  private lr: number;
  readonly learningRule: LearningRule | null;
  readonly terminationCriterion: TerminationCriterion | null;
  readonly updateCallbacks: UpdateCallback[];
  readonly monitoringDatasets: [string, DenseDesignMatrix][];
  private readonly trainMode: IterationMode;
  private readonly seedList: number[];
  /** Draws the training order (pylearn2's SGD.rng). */
  private readonly iterRng: Rng;
  /** Noise for costs and models during training steps (corruption, sampling). */
  protected readonly stepRng: Rng;

  protected cost!: Cost;
  protected model!: Model;
  protected dataset!: DenseDesignMatrix;
  private monitor!: Monitor;
  protected params: Tensor[] = [];
  protected scales: number[] = [];
  private batchSize = 0;
  private trainPlan!: BatchPlan;
  private iterator: SubsetIterator | null = null;
  private examplesThisEpoch = 0;
  /** A step fused into a few GPU kernels for this exact experiment (fused-grbm.ts), or null. */
  private fused: FusedStep | null = null;
  /** The model component's `batch_size` keyword, when its builder keeps no config (set by whoever built both from YAML). */
  modelBatchSize: number | null = null;

  constructor(private readonly opts: SgdOptions) {
    this.lr = Math.fround(opts.learningRate);
    this.learningRule = opts.learningRule ?? null;
    this.terminationCriterion = opts.terminationCriterion ?? null;
    this.updateCallbacks = opts.updateCallbacks ?? [];
    const md = opts.monitoringDataset ?? null;
    this.monitoringDatasets = md === null ? [] : isDataset(md) ? [["", md]] : Object.entries(md);
    if (this.monitoringDatasets.length === 0 && (opts.monitoringBatchSize != null || opts.monitoringBatches != null)) {
      throw new ConfigError(`${new.target.name}: monitoring_batch_size / monitoring_batches given but no monitoring_dataset`);
    }
    this.trainMode = opts.trainIterationMode ?? "shuffled_sequential";
    const seed = opts.seed ?? [2012, 10, 5];
    this.seedList = typeof seed === "number" ? [seed] : [...seed];
    this.iterRng = Rng.fromSeed(this.seedList);
    this.stepRng = Rng.fromSeed([...this.seedList, 0x5eed]);
  }

  /** `dl train --seed S`: replaces the configured seed (training order and step noise). */
  reseed(seed: number | readonly number[]): void {
    const list = typeof seed === "number" ? [seed] : [...seed];
    this.iterRng.setState(Rng.fromSeed(list).getState());
    this.stepRng.setState(Rng.fromSeed([...list, 0x5eed]).getState());
  }

  get learningRate(): number {
    return this.lr;
  }

  /** Stored as float32, like pylearn2's shared variable. */
  set learningRate(v: number) {
    this.lr = Math.fround(v);
  }

  get inEpoch(): boolean {
    return this.iterator !== null;
  }

  setup(model: Model, dataset: DenseDesignMatrix, monitor: Monitor): string[] {
    this.model = model;
    this.dataset = dataset;
    this.monitor = monitor;
    const cost = this.opts.cost ?? model.defaultCost?.();
    if (!cost) throw new ConfigError(`${this.className}: no cost given and ${model.className} has no default cost; set algorithm.cost`);
    this.cost = cost;
    this.params = model.params();
    if (this.params.length === 0) throw new DlError(`${this.className}: ${model.className} has no parameters to train`);
    const names = this.params.map((p, i) => p.name ?? `sgd_params[${i}]`);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new DlError(`${this.className}: ${model.className} has two parameters named ${dup}`);
    // On a GPU this check needs an asynchronous read; the Train makes it before the first step.
    const bad = this.params[0].backend.syncRead ? findNonFinite(this.params) : null;
    if (bad) throw new DlError(`${this.className}: parameter ${bad.name} of ${model.className} is ${bad.what} before training`);

    const own = model.config?.batch_size;
    const bs = this.opts.batchSize ?? (typeof own === "number" ? own : this.modelBatchSize);
    if (bs === null) throw new ConfigError(`${this.className}: no batch_size given and ${model.className} sets none; set algorithm.batch_size`);
    this.batchSize = bs;
    this.checkData(dataset, "the training dataset");
    this.trainPlan = planBatches(dataset.numExamples, this.trainMode, bs, this.opts.batchesPerIter ?? null, `${this.className} (training set)`);

    const scalers = model.lrScalers?.() ?? {};
    for (const k of Object.keys(scalers)) {
      if (!names.includes(k)) throw new DlError(`${this.className}: ${model.className} scales the learning rate of ${k}, which is not one of its parameters (${names.join(", ")})`);
    }
    this.scales = names.map((n) => scalers[n] ?? 1);
    this.learningRule?.setup(this.params);
    this.fused = fusedGrbmStep({
      model, cost, dataset, learningRule: this.learningRule, updateCallbacks: this.updateCallbacks,
      params: this.params, scales: this.scales, batchSize: bs,
    });
    for (const [name, ds] of this.monitoringDatasets) {
      this.checkData(ds, name ? `monitoring dataset '${name}'` : "the monitoring dataset");
      this.monitorPlan(ds, name);
    }
    return this.params.map((p, i) => this.summaryLine(names[i], p, this.scales[i]));
  }

  /** One line of the parameter summary: name, shape and the learning rate it gets. */
  protected summaryLine(name: string, p: Tensor, scale: number): string {
    return `\t${name} [${p.shape.join("x")}]: ${formatLr(this.lr * scale)}`;
  }

  private checkData(ds: DenseDesignMatrix, what: string): void {
    if (ds.dim !== this.model.inputDim) {
      throw new DlError(`${what} has ${ds.dim} features per example but ${this.model.className} expects ${this.model.inputDim} (nvis)`);
    }
    if (this.cost.supervised && !ds.labels && !ds.targets) {
      throw new DlError(`${this.cost.className} needs labels, but ${what} (${ds.description}) has none`);
    }
  }

  /** pylearn2: with neither monitoring setting given, monitor with the training batch size and batches_per_iter. */
  private monitorPlan(ds: DenseDesignMatrix, name: string): BatchPlan {
    let mbs = this.opts.monitoringBatchSize ?? null;
    let mb = this.opts.monitoringBatches ?? null;
    if (mbs === null && mb === null) {
      mbs = this.batchSize;
      mb = this.opts.batchesPerIter ?? null;
    }
    return planBatches(ds.numExamples, this.opts.monitorIterationMode ?? "sequential", mbs, mb, `${this.className} monitoring${name ? ` (${name})` : ""}`);
  }

  beginEpoch(): void {
    const stochastic = isStochastic(this.trainMode);
    this.iterator = new SubsetIterator(this.trainMode, this.dataset.numExamples, this.trainPlan, stochastic ? this.iterRng : null);
    this.examplesThisEpoch = 0;
  }

  step(): boolean {
    const it = this.iterator;
    if (!it) throw new Error("SGD.step called outside an epoch");
    const sel = it.next();
    if (sel === null) {
      this.iterator = null;
      return false;
    }
    this.trainOnBatch(sel);
    const n = selectionSize(sel);
    this.examplesThisEpoch += n;
    this.monitor.reportBatch(n);
    for (const cb of this.updateCallbacks) cb.afterStep(this);
    return true;
  }

  /** One update from the batch `sel` names: SGD's gradient step (BGD's line searches override it). */
  protected trainOnBatch(sel: BatchSelection): void {
    if (this.fused) return this.fused.step(sel, this.lr);
    // Every tensor the generic step makes is garbage once the update is applied: its buffers serve the next step.
    runInStepScope(this.params[0].backend, () => {
      const batch = makeBatch(this.dataset, sel);
      const ctx: StepContext = { rng: this.stepRng, training: true };
      const grads = this.cost.gradients
        ? this.cost.gradients(this.model, batch, ctx).grads
        : gradients(this.cost.expr(this.model, batch, ctx), this.params);
      noGrad(() => {
        if (this.learningRule) this.learningRule.update(this.params, grads, this.lr, this.scales);
        else for (let i = 0; i < this.params.length; i++) this.params[i].axpyInPlace(grads[i], -this.lr * this.scales[i]);
        this.model.afterUpdate?.();
      });
    });
  }

  progress(): EpochProgress {
    return {
      batch: this.iterator?.batchIndex ?? 0,
      numBatches: this.trainPlan.numBatches,
      examples: this.examplesThisEpoch,
      numExamples: this.trainPlan.numExamples,
    };
  }

  async monitorValues(pause?: () => Promise<void>): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const costs: [string, Cost][] = [["", this.cost], ...Object.entries(this.opts.monitoringCosts ?? {})];
    for (const [dname, ds] of this.monitoringDatasets) {
      const prefix = dname ? `${dname}_` : "";
      const plan = this.monitorPlan(ds, dname);
      const mode = this.opts.monitorIterationMode ?? "sequential";
      const it = new SubsetIterator(mode, ds.numExamples, plan, isStochastic(mode) ? Rng.fromSeed(MONITOR_SEED) : null);
      // A fixed stream per pass: every epoch's objective sees the same noise, so epochs compare fairly.
      const ctx: StepContext = { rng: Rng.fromSeed([...MONITOR_SEED, 1]), training: false };
      const sums: Record<string, number> = {};
      // On a GPU, tensor channels are summed on the device and read back once per pass, not per batch.
      const onDevice = !this.params[0].backend.syncRead;
      const deviceSums = new Map<string, Tensor>();
      let seen = 0;
      const add = (name: string, v: Tensor | number, w: number) => {
        if (onDevice && typeof v !== "number") {
          const prev = deviceSums.get(name);
          const term = v.mul(w);
          deviceSums.set(name, prev ? prev.add(term) : term);
          sums[name] ??= 0;
          return;
        }
        const x = typeof v === "number" ? v : v.item();
        sums[name] = (sums[name] ?? 0) + x * w;
      };
      for (let sel = it.next(); sel !== null; sel = it.next()) {
        const batch = makeBatch(ds, sel);
        const w = batch.size;
        seen += w;
        const run = (fn: () => void) => (this.model.withForwardCache ? this.model.withForwardCache(fn) : fn());
        noGrad(() => run(() => {
          for (const [cname, cost] of costs) {
            add(prefix + (cname || "objective"), cost.expr(this.model, batch, ctx), w);
            const cc: Channels = cost.monitorChannels?.(this.model, batch, ctx) ?? {};
            for (const [k, v] of Object.entries(cc)) add(prefix + (cname ? `${cname}_` : "") + k, v, w);
          }
          for (const [k, v] of Object.entries(this.model.monitorChannels?.(batch, ctx) ?? {})) add(prefix + k, v, w);
        }));
        // Between batches (a pass over 150000 patches takes a while): let signals and output through.
        await pause?.();
      }
      const names = [...deviceSums.keys()];
      const onGpu = await readScalars(names.map((k) => deviceSums.get(k)!));
      names.forEach((k, i) => (sums[k] += onGpu[i]));
      for (const [k, s] of Object.entries(sums)) out[k] = s / seen;
    }
    out.learning_rate = this.lr;
    // A rule's channels read its slots synchronously (RMSProp's mean square gradients): staged on a GPU.
    const rule = this.learningRule;
    if (rule?.monitorChannels) Object.assign(out, await readBack(this.params[0].backend, () => rule.monitorChannels!()));
    return out;
  }

  continueLearning(monitor: Monitor): boolean {
    return this.terminationCriterion ? this.terminationCriterion.continueLearning(monitor) : true;
  }

  state(): AlgorithmState {
    const rule = this.learningRule?.state();
    const tensors: AlgorithmState["tensors"] = {};
    for (const [k, t] of Object.entries(rule?.tensors ?? {})) tensors[`rule.${k}`] = t;
    for (const [k, t] of Object.entries(this.cost.extraState?.() ?? {})) tensors[`cost.${k}`] = t;
    let iter: Omit<IteratorState, "order"> | null = null;
    if (this.iterator) {
      const { order, ...rest } = this.iterator.state();
      iter = rest;
      if (order) tensors["iter.order"] = { shape: [order.length], data: order };
    }
    return {
      tensors,
      json: {
        learningRate: this.lr,
        iterRng: this.iterRng.getState(),
        stepRng: this.stepRng.getState(),
        ruleScalars: rule?.scalars ?? {},
        iter,
        examplesThisEpoch: this.examplesThisEpoch,
        callbacks: this.updateCallbacks.map((c) => c.state()),
        criterion: this.terminationCriterion?.state?.() ?? null,
      },
    };
  }

  loadState(s: AlgorithmState): void {
    const j = s.json as {
      learningRate: number;
      iterRng: RngState;
      stepRng: RngState;
      ruleScalars: Record<string, number>;
      iter: Omit<IteratorState, "order"> | null;
      examplesThisEpoch: number;
      callbacks: unknown[];
      criterion: unknown;
    };
    this.lr = j.learningRate;
    this.iterRng.setState(j.iterRng);
    this.stepRng.setState(j.stepRng);
    if (this.learningRule) {
      const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const [k, t] of Object.entries(s.tensors)) if (k.startsWith("rule.")) tensors[k.slice(5)] = t as { shape: number[]; data: Float32Array };
      this.learningRule.loadState({ tensors, scalars: j.ruleScalars });
    }
    const costState: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, t] of Object.entries(s.tensors)) if (k.startsWith("cost.")) costState[k.slice(5)] = t as { shape: number[]; data: Float32Array };
    if (Object.keys(costState).length > 0) this.cost.loadExtraState?.(costState);
    if (j.iter) {
      const order = s.tensors["iter.order"]?.data;
      this.iterator = SubsetIterator.restore({ ...j.iter, order: order ? Int32Array.from(order) : null }, isStochastic(j.iter.mode) ? this.iterRng : null);
    } else this.iterator = null;
    this.examplesThisEpoch = j.examplesThisEpoch;
    if (j.callbacks.length !== this.updateCallbacks.length) throw new DlError("checkpoint: the number of update_callbacks changed since it was written");
    this.updateCallbacks.forEach((c, i) => c.loadState(j.callbacks[i]));
    if (j.criterion !== null) this.terminationCriterion?.loadState?.(j.criterion);
  }
}

function isDataset(v: unknown): v is DenseDesignMatrix {
  return typeof v === "object" && v !== null && "X" in v && "numExamples" in v;
}

function formatLr(v: number): string {
  return String(Number(v.toPrecision(7)));
}
