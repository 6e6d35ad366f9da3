import type { DenseDesignMatrix } from "../data/dataset.js";
import type { Model } from "../models/model.js";
import { DlError } from "../util/errors.js";
import type { TrainingAlgorithm } from "./algorithm.js";
import { Momentum, snapshot } from "./learning-rules.js";
import type { Monitor } from "./monitor.js";

/** What an extension sees: the Train's objects plus a way to save the model and to say something. */
export interface TrainContext {
  model: Model;
  dataset: DenseDesignMatrix;
  algorithm: TrainingAlgorithm;
  monitor: Monitor;
  /** Writes a model file for the current parameters (atomically), as the Train's own save does. */
  saveModelTo(path: string): void;
  log(message: string): void;
}

/**
 * pylearn2's TrainExtension: every hook optional. `onMonitor` runs after each monitoring step and
 * may return false to stop training (pylearn2 raised StopIteration). State that must survive a
 * resume goes through `state`/`loadState` (JSON).
 */
export interface TrainExtension {
  readonly className: string;
  setup?(ctx: TrainContext): void;
  onMonitor?(ctx: TrainContext): boolean | void;
  onSave?(ctx: TrainContext): void;
  state?(): unknown;
  loadState?(s: unknown): void;
}

/**
 * After each epoch: if v[-1] > high_trigger * v[-2], lr *= shrink_amt; else if v[-1] >
 * low_trigger * v[-2], lr *= grow_amt; then clip to [min_lr, max_lr]. Nothing before the second
 * value. Without channel_name/dataset_name it watches the one channel ending in `objective`.
 */
export class MonitorBasedLRAdjuster implements TrainExtension {
  readonly className = "MonitorBasedLRAdjuster";
  private channel: string | null;
  constructor(
    readonly highTrigger = 1,
    readonly shrinkAmt = 0.99,
    readonly lowTrigger = 0.99,
    readonly growAmt = 1.01,
    readonly minLr = 1e-7,
    readonly maxLr = 1,
    datasetName: string | null = null,
    channelName: string | null = null,
  ) {
    this.channel = channelName ?? (datasetName !== null ? `${datasetName}_objective` : null);
  }

  onMonitor(ctx: TrainContext): void {
    if (this.channel === null) {
      const found = [...ctx.monitor.channels.keys()].filter((c) => c.endsWith("objective"));
      if (found.length === 0) {
        throw new DlError("MonitorBasedLRAdjuster: no monitor channel ends with 'objective' (give the algorithm a monitoring_dataset, or set channel_name)", 2);
      }
      if (found.length > 1) {
        throw new DlError(`MonitorBasedLRAdjuster: several channels end with 'objective' (${found.join(", ")}); set channel_name or dataset_name`, 2);
      }
      this.channel = found[0];
    }
    const v = ctx.monitor.values(this.channel, "MonitorBasedLRAdjuster");
    if (v.length < 2) return; // only the initial monitoring so far: nothing learned yet
    ctx.algorithm.learningRate = adjustLearningRate(ctx.algorithm.learningRate, v[v.length - 1], v[v.length - 2], this);
  }
}

/** The MonitorBasedLRAdjuster rule on its own (exported for tests and for reading). */
export function adjustLearningRate(
  lr: number,
  last: number,
  prev: number,
  o: { highTrigger: number; shrinkAmt: number; lowTrigger: number; growAmt: number; minLr: number; maxLr: number },
): number {
  let r = lr;
  if (last > o.highTrigger * prev) r *= o.shrinkAmt;
  else if (last > o.lowTrigger * prev) r *= o.growAmt;
  return Math.min(o.maxLr, Math.max(o.minLr, r));
}

/**
 * Linear schedule on a value the algorithm holds (momentum, learning rate), counted in monitoring
 * steps the way pylearn2 counts them: `setup` sets the count to the epochs seen, every `onMonitor`
 * adds one, and the schedule is applied each time.
 */
abstract class EpochSchedule implements TrainExtension {
  abstract readonly className: string;
  protected count = 0;
  protected init: number | null = null;

  protected abstract get(alg: TrainingAlgorithm): number;
  protected abstract set(alg: TrainingAlgorithm, v: number): void;
  /** The scheduled value for count `c` from the initial value `v0`. */
  abstract valueAt(c: number, v0: number): number;

  setup(ctx: TrainContext): void {
    this.count = ctx.monitor.epochsSeen;
    this.apply(ctx.algorithm);
  }

  onMonitor(ctx: TrainContext): void {
    this.count++;
    this.apply(ctx.algorithm);
  }

  private apply(alg: TrainingAlgorithm): void {
    if (this.init === null) this.init = this.get(alg);
    this.set(alg, this.valueAt(this.count, this.init));
  }

  state(): unknown {
    return { count: this.count, init: this.init };
  }

  loadState(s: unknown): void {
    const st = s as { count: number; init: number | null };
    this.count = st.count;
    this.init = st.init;
  }
}

/** Momentum moves linearly from its initial value to final_momentum between epochs start and saturate. */
export class MomentumAdjustor extends EpochSchedule {
  readonly className = "MomentumAdjustor";
  constructor(
    readonly finalMomentum: number,
    readonly start: number,
    readonly saturate: number,
  ) {
    super();
  }

  private rule(alg: TrainingAlgorithm): Momentum {
    const r = alg.learningRule;
    if (!(r instanceof Momentum)) {
      throw new DlError("MomentumAdjustor needs an algorithm with learning_rule: !obj:pylearn2.training_algorithms.learning_rule.Momentum", 2);
    }
    return r;
  }

  protected get(alg: TrainingAlgorithm): number {
    return this.rule(alg).momentum;
  }

  protected set(alg: TrainingAlgorithm, v: number): void {
    this.rule(alg).momentum = Math.fround(v);
  }

  valueAt(c: number, m0: number): number {
    const w = this.saturate - this.start;
    if (w === 0) return c >= this.start ? this.finalMomentum : m0;
    const a = Math.min(1, Math.max(0, (c - this.start) / w));
    return m0 * (1 - a) + a * this.finalMomentum;
  }
}

/**
 * The learning rate stays lr0 before epoch `start`, then falls by (lr0 - lr0 * decay_factor) /
 * (saturate - start + 1) per epoch, and is lr0 * decay_factor from epoch `saturate` on.
 */
export class LinearDecayOverEpoch extends EpochSchedule {
  readonly className = "LinearDecayOverEpoch";
  constructor(
    readonly start: number,
    readonly saturate: number,
    readonly decayFactor: number,
  ) {
    super();
  }

  protected get(alg: TrainingAlgorithm): number {
    return alg.learningRate;
  }

  protected set(alg: TrainingAlgorithm, v: number): void {
    alg.learningRate = v;
  }

  valueAt(c: number, lr0: number): number {
    if (c < this.start) return lr0;
    if (c >= this.saturate) return lr0 * this.decayFactor;
    const step = (lr0 - lr0 * this.decayFactor) / (this.saturate - this.start + 1);
    return lr0 - step * (c - this.start + 1);
  }
}

/** lr = lr0 * half_life / (count - start + half_life) once count >= start, never below min_lr. */
export class OneOverEpoch implements TrainExtension {
  readonly className = "OneOverEpoch";
  private count = 0;
  private init: number | null = null;
  readonly halfLife: number;
  constructor(
    readonly start: number,
    halfLife: number | null = null,
    readonly minLr = 1e-6,
  ) {
    this.halfLife = halfLife ?? start + 1;
  }

  onMonitor(ctx: TrainContext): void {
    if (this.init === null) {
      this.init = ctx.algorithm.learningRate;
      if (this.init < this.minLr) throw new DlError(`OneOverEpoch: the initial learning rate ${this.init} is below min_lr ${this.minLr}`, 2);
    }
    this.count++;
    ctx.algorithm.learningRate = this.valueAt(this.count, this.init);
  }

  valueAt(c: number, lr0: number): number {
    const scale = c < this.start ? 1 : this.halfLife / (c - this.start + this.halfLife);
    return Math.max(this.minLr, lr0 * scale);
  }

  state(): unknown {
    return { count: this.count, init: this.init };
  }

  loadState(s: unknown): void {
    Object.assign(this, s as object);
  }
}

/**
 * Saves the model to save_path each time the channel reaches a new best (lowest, or highest with
 * higher_is_better) at or after start_epoch; with store_best_model it also keeps the best
 * parameters in memory (`bestParams`).
 */
export class MonitorBasedSaveBest implements TrainExtension {
  readonly className = "MonitorBasedSaveBest";
  private best: number;
  private readonly coeff: number;
  bestParams: Record<string, { shape: number[]; data: Float32Array }> | null = null;
  bestEpoch: number | null = null;
  constructor(
    readonly channelName: string,
    readonly savePath: string | null = null,
    readonly storeBestModel = false,
    readonly startEpoch = 0,
    readonly higherIsBetter = false,
  ) {
    this.coeff = higherIsBetter ? -1 : 1;
    this.best = this.coeff * Infinity;
  }

  get bestCost(): number {
    return this.best;
  }

  onMonitor(ctx: TrainContext): void {
    const v = ctx.monitor.last(this.channelName, "MonitorBasedSaveBest");
    if (this.coeff * v < this.coeff * this.best && ctx.monitor.epochsSeen >= this.startEpoch) {
      this.best = v;
      this.bestEpoch = ctx.monitor.epochsSeen;
      if (this.storeBestModel) this.bestParams = Object.fromEntries(ctx.model.params().map((p) => [p.name ?? "", snapshot(p)]));
      if (this.savePath !== null) {
        ctx.saveModelTo(this.savePath);
        ctx.log(`Saved the best model so far (${this.channelName} = ${v}) to ${this.savePath}`);
      }
    }
  }

  state(): unknown {
    return { best: Number.isFinite(this.best) ? this.best : null, bestEpoch: this.bestEpoch };
  }

  loadState(s: unknown): void {
    const st = s as { best: number | null; bestEpoch: number | null };
    this.best = st.best ?? this.coeff * Infinity;
    this.bestEpoch = st.bestEpoch;
  }
}
