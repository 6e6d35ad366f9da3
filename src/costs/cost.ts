import type { Tensor } from "../engine/tensor.js";
import type { Batch, Channels, Model, StepContext } from "../models/model.js";

/**
 * pylearn2's Cost, typed. Most costs are a differentiable scalar (`expr`), and SGD takes its
 * gradient by autodiff. Sampling-based costs whose gradient is not the derivative of something
 * cheap to compute (CD-k, PCD/SML) provide `gradients` directly.
 */
export interface Cost {
  readonly className: string;
  /** True when the cost needs labels (`batch.y`). */
  readonly supervised: boolean;
  /** The objective on a batch, built in the graph of the model's parameters. */
  expr(model: Model, batch: Batch, ctx: StepContext): Tensor;
  /**
   * Optional direct gradients: one tensor per `model.params()` entry (same order), plus the value
   * reported as the training objective when there is one.
   */
  gradients?(model: Model, batch: Batch, ctx: StepContext): { grads: Tensor[]; objective?: Tensor };
  /** Extra monitor channels (computed without gradients). */
  monitorChannels?(model: Model, batch: Batch, ctx: StepContext): Channels;
  /** State that must survive save/resume (e.g. PCD's persistent chains). */
  extraState?(): Record<string, { shape: number[]; data: Float32Array }>;
  loadExtraState?(state: Record<string, { shape: number[]; data: Float32Array }>): void;
}
