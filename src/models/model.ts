import type { Tensor } from "../engine/tensor.js";
import type { Rng } from "../util/rng.js";
import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer } from "../io/model-file.js";

/**
 * A minibatch as the costs and models see it. `X` is (batchSize x inputDim) — or already shaped
 * for a Conv2DSpace model (N, C, H, W) when the model's input space asks for it; `y` is one-hot
 * (batchSize x numClasses) when the data has labels, and `labels` the same labels as integers.
 */
export interface Batch {
  X: Tensor;
  y?: Tensor;
  labels?: Int32Array;
  /** Real-valued targets (regression data such as sliding windows). */
  targets?: Tensor;
  size: number;
}

/** Randomness and mode handed to models and costs for one step; the trainer owns the Rng so resume is exact. */
export interface StepContext {
  rng: Rng;
  /** true while training (dropout active, corruption applied); false when monitoring. */
  training: boolean;
}

/** Values a model or cost reports to the monitor, averaged over monitoring batches (weighted by batch size). */
export type Channels = Record<string, Tensor | number>;

/**
 * pylearn2's Model, typed. Everything trainable is a named leaf tensor from `params()`;
 * everything else that must survive a save/resume goes through `extraState`/`loadExtraState`.
 */
export interface Model {
  /** Registry name, e.g. `GaussianBinaryRBM`, `MLP`. */
  readonly className: string;
  /** Size of one input row (nvis). */
  readonly inputDim: number;
  /** Trainable tensors, each with a unique `name` (`W`, `bias_vis`, `layers.0.W`), in a fixed order. */
  params(): Tensor[];
  /** pylearn2's get_lr_scalers: learning-rate multiplier per parameter name (default 1). */
  lrScalers?(): Record<string, number>;
  /** pylearn2's modify_updates / censor_updates: called after every parameter update (clipping, max-norm constraints). */
  afterUpdate?(): void;
  /** pylearn2's get_monitoring_channels: statistics of the model on one batch (computed without gradients). */
  monitorChannels?(batch: Batch, ctx: StepContext): Channels;
  /**
   * Runs `fn` (gradient-free, parameters unchanged) letting the model reuse its forward pass on a
   * batch it has already seen inside `fn`: the monitor asks for the same batch's pass several times.
   */
  withForwardCache?<T>(fn: () => T): T;
  /** Non-parameter state that must be saved (e.g. running statistics); float32 arrays by name. */
  extraState?(): Record<string, { shape: number[]; data: Float32Array }>;
  loadExtraState?(state: Record<string, { shape: number[]; data: Float32Array }>): void;
  /** Layers whose weights `dl show-weights` can draw (first is the default). */
  drawableLayers?(): DrawableLayer[];
  /** The representation this model gives an input batch (hidden-unit means for RBMs, codes for autoencoders, the output for MLPs). */
  encode?(X: Tensor): Tensor;
  /** Output size of `encode`. */
  readonly outputDim?: number;
  /** View of an input row, when it is an image (set from the training dataset). */
  inputView?: DatasetView;
  /** The keyword arguments it was built with (resolved config), for saving; set by the builder. */
  config?: Record<string, unknown>;
  /** pylearn2's get_default_cost: what SGD minimises when the YAML gives no `cost` (the MLP's softmax NLL). */
  defaultCost?(): import("../costs/cost.js").Cost;
}

/** Recreates a model from a saved file: the registry's builder makes it from its config, then this loads the tensors. */
export function loadParams(model: Model, tensors: Record<string, { shape: number[]; data: Float32Array }>, file: string): void {
  for (const p of model.params()) {
    const t = tensors[p.name ?? ""];
    if (!t) throw new Error(`${file}: parameter ${p.name} is missing from the file`);
    if (t.data.length !== p.size) {
      throw new Error(`${file}: parameter ${p.name} has ${t.data.length} values in the file but the model expects shape [${p.shape.join(", ")}]`);
    }
    p.data = p.backend.fromArray(t.data);
  }
}
