import { basename, extname, resolve } from "node:path";
import type { Cost } from "../costs/cost.js";
import type { DenseDesignMatrix } from "../data/dataset.js";
import type { Model } from "../models/model.js";
import { ConfigError } from "../util/errors.js";
import type { TrainingAlgorithm } from "./algorithm.js";
import * as ext from "./extensions.js";
import type { IterationMode } from "./iterator.js";
import * as rules from "./learning-rules.js";
import { SGD } from "./sgd.js";
import { BGD } from "./bgd.js";
import * as term from "./termination.js";
import { Train } from "./train.js";
import * as cb from "./update-callbacks.js";

/**
 * Build functions for the training components of src/config/components/training.ts: YAML keyword
 * arguments (validated, defaults filled, sub-components already built) -> objects.
 */
interface Ctx {
  file: string;
}

/** pylearn2's default save path: the YAML's full stem + `.pkl` (`.phaseN.pkl` inside a list of Trains). */
export function defaultSavePath(yamlFile: string, phase = process.env.PYLEARN2_TRAIN_PHASE): string {
  const abs = resolve(yamlFile);
  const stem = abs.slice(0, abs.length - extname(abs).length);
  return phase ? `${stem}.${phase}.pkl` : `${stem}.pkl`;
}

export function buildTrain(
  a: {
    dataset: unknown;
    model: unknown;
    algorithm: unknown;
    save_path: string | null;
    save_freq: number;
    extensions: unknown[] | null;
    allow_overwrite: boolean;
    /** Read by the runner (src/train/run.ts), which builds the whole tree on that device. */
    device?: "cpu" | "webgpu";
  },
  ctx: Ctx,
): Train {
  if (a.algorithm === null) {
    throw new ConfigError(`Train: algorithm is null; dl trains with an algorithm (e.g. !obj:pylearn2.training_algorithms.sgd.SGD {...})`, { file: ctx.file, keyPath: "algorithm" });
  }
  return new Train({
    dataset: a.dataset as DenseDesignMatrix,
    model: a.model as Model,
    algorithm: a.algorithm as TrainingAlgorithm,
    savePath: a.save_path !== null ? resolve(a.save_path) : defaultSavePath(ctx.file),
    saveFreq: a.save_freq,
    extensions: (a.extensions ?? []) as ext.TrainExtension[],
    allowOverwrite: a.allow_overwrite,
  });
}

export function buildSGD(a: {
  learning_rate: number;
  cost: unknown;
  batch_size: number | null;
  monitoring_batch_size: number | null;
  monitoring_batches: number | null;
  monitoring_dataset: unknown;
  monitor_iteration_mode: IterationMode;
  termination_criterion: unknown;
  update_callbacks: unknown;
  learning_rule: unknown;
  set_batch_size: boolean;
  train_iteration_mode: IterationMode | null;
  batches_per_iter: number | null;
  monitoring_costs: Record<string, unknown> | null;
  seed: number | number[];
}): SGD {
  const callbacks = a.update_callbacks === null ? [] : Array.isArray(a.update_callbacks) ? a.update_callbacks : [a.update_callbacks];
  return new SGD({
    learningRate: a.learning_rate,
    cost: a.cost as Cost | null,
    batchSize: a.batch_size,
    monitoringBatchSize: a.monitoring_batch_size,
    monitoringBatches: a.monitoring_batches,
    monitoringDataset: a.monitoring_dataset as DenseDesignMatrix | Record<string, DenseDesignMatrix> | null,
    monitorIterationMode: a.monitor_iteration_mode,
    terminationCriterion: a.termination_criterion as term.TerminationCriterion | null,
    updateCallbacks: callbacks as cb.UpdateCallback[],
    learningRule: a.learning_rule as rules.LearningRule | null,
    trainIterationMode: a.train_iteration_mode,
    batchesPerIter: a.batches_per_iter,
    monitoringCosts: a.monitoring_costs as Record<string, Cost> | null,
    seed: a.seed,
  });
}

export function buildBGD(a: {
  cost: unknown;
  batch_size: number | null;
  batches_per_iter: number | null;
  updates_per_batch: number;
  monitoring_batch_size: number | null;
  monitoring_batches: number | null;
  monitoring_dataset: unknown;
  termination_criterion: unknown;
  set_batch_size: boolean;
  reset_alpha: boolean;
  conjugate: boolean;
  min_init_alpha: number;
  reset_conjugate: boolean;
  line_search_mode: "exhaustive" | null;
  verbose_optimization: boolean;
  scale_step: number;
  init_alpha: number[] | null;
  seed: number | number[] | null;
}): BGD {
  return new BGD({
    cost: a.cost as Cost | null,
    batchSize: a.batch_size,
    batchesPerIter: a.batches_per_iter,
    updatesPerBatch: a.updates_per_batch,
    monitoringBatchSize: a.monitoring_batch_size,
    monitoringBatches: a.monitoring_batches,
    monitoringDataset: a.monitoring_dataset as DenseDesignMatrix | Record<string, DenseDesignMatrix> | null,
    terminationCriterion: a.termination_criterion as term.TerminationCriterion | null,
    resetAlpha: a.reset_alpha,
    conjugate: a.conjugate,
    minInitAlpha: a.min_init_alpha,
    resetConjugate: a.reset_conjugate,
    lineSearchMode: a.line_search_mode,
    verbose: a.verbose_optimization,
    scaleStep: a.scale_step,
    initAlpha: a.init_alpha,
    ...(a.seed !== null && { seed: a.seed }),
  });
}

export const buildMomentum = (a: { init_momentum: number; nesterov_momentum: boolean }) => new rules.Momentum(Math.fround(a.init_momentum), a.nesterov_momentum);
export const buildAdaDelta = (a: { decay: number }) => new rules.AdaDelta(a.decay);
export const buildAdaGrad = (a: { max_scaling: number }) => new rules.AdaGrad(a.max_scaling);
export const buildRMSProp = (a: { decay: number; max_scaling: number }) => new rules.RMSProp(a.decay, a.max_scaling);
export const buildAdam = (a: { beta1: number; beta2: number; epsilon: number }) => new rules.Adam(a.beta1, a.beta2, a.epsilon);

export const buildEpochCounter = (a: { max_epochs: number; new_epochs: boolean }) => new term.EpochCounter(a.max_epochs, a.new_epochs);
export const buildMonitorBased = (a: { prop_decrease: number; N: number; channel_name: string | null }) =>
  new term.MonitorBased(a.prop_decrease, a.N, a.channel_name);
export const buildChannelTarget = (a: { channel_name: string; target: number }) => new term.ChannelTarget(a.channel_name, a.target);
export const buildMatchChannel = (a: { channel_name: string; prev_channel_name: string; prev_monitor_name: string }) =>
  new term.MatchChannel(a.channel_name, a.prev_channel_name, a.prev_monitor_name);
export const buildAnd = (a: { criteria: unknown[] }) => new term.And(a.criteria as term.TerminationCriterion[]);
export const buildOr = (a: { criteria: unknown[] }) => new term.Or(a.criteria as term.TerminationCriterion[]);

export const buildMonitorBasedLRAdjuster = (a: {
  high_trigger: number;
  shrink_amt: number;
  low_trigger: number;
  grow_amt: number;
  min_lr: number;
  max_lr: number;
  dataset_name: string | null;
  channel_name: string | null;
}) => new ext.MonitorBasedLRAdjuster(a.high_trigger, a.shrink_amt, a.low_trigger, a.grow_amt, a.min_lr, a.max_lr, a.dataset_name, a.channel_name);
export const buildMomentumAdjustor = (a: { final_momentum: number; start: number; saturate: number }) =>
  new ext.MomentumAdjustor(a.final_momentum, a.start, a.saturate);
export const buildLinearDecayOverEpoch = (a: { start: number; saturate: number; decay_factor: number }) =>
  new ext.LinearDecayOverEpoch(a.start, a.saturate, a.decay_factor);
export const buildOneOverEpoch = (a: { start: number; half_life: number | null; min_lr: number }) => new ext.OneOverEpoch(a.start, a.half_life, a.min_lr);
export const buildMonitorBasedSaveBest = (a: {
  channel_name: string;
  save_path: string | null;
  store_best_model: boolean;
  start_epoch: number;
  higher_is_better: boolean;
}) => new ext.MonitorBasedSaveBest(a.channel_name, a.save_path === null ? null : resolve(a.save_path), a.store_best_model, a.start_epoch, a.higher_is_better);

export const buildExponentialDecay = (a: { decay_factor: number; min_lr: number }) => new cb.ExponentialDecay(a.decay_factor, a.min_lr);
export const buildLinearDecay = (a: { start: number; saturate: number; decay_factor: number }) => new cb.LinearDecay(a.start, a.saturate, a.decay_factor);

/** `basename` of the YAML without extension: what PYLEARN2_TRAIN_FILE_STEM holds. */
export function fileStem(path: string): string {
  return basename(path, extname(path));
}
