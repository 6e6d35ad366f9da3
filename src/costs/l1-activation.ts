import type { Tensor } from "../engine/index.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { ConfigError } from "../util/errors.js";
import type { Cost } from "./cost.js";

/** A model whose hidden units have a mean given the visibles (RBM, GaussianBinaryRBM). */
interface HiddenMeanModel extends Model {
  meanHGivenV(v: Tensor): Tensor;
}

/**
 * pylearn2's models.rbm.L1_ActivationCost, a sparsity penalty on an RBM's hidden units: each unit's
 * mean activation over the batch, q_j = mean_n P(h_j = 1 | v_n), is pulled towards `target`, with a
 * dead zone of half-width `eps`:
 *
 *     coeff * mean_j max(|q_j - target| - eps, 0).
 *
 * An expression cost, so in a SumOfCosts with CDk its gradient comes from autodiff and adds to CD's.
 */
export class L1ActivationCost implements Cost {
  readonly className = "L1_ActivationCost";
  readonly supervised = false;
  readonly termName = "l1_activation";

  constructor(
    readonly target: number,
    readonly eps: number,
    readonly coeff: number,
  ) {
    if (!(target >= 0 && target <= 1)) throw new ConfigError(`L1_ActivationCost: target is a mean activation in [0, 1], got ${target}`);
    if (!(eps >= 0)) throw new ConfigError(`L1_ActivationCost: eps must be >= 0, got ${eps}`);
  }

  expr(model: Model, batch: Batch, _ctx: StepContext): Tensor {
    const m = model as Partial<HiddenMeanModel>;
    if (typeof m.meanHGivenV !== "function") {
      throw new ConfigError(`L1_ActivationCost penalises the hidden units of an RBM (RBM, GaussianBinaryRBM), got ${model.className}`);
    }
    const q = m.meanHGivenV(batch.X).mean(0);
    return q.sub(this.target).abs().sub(this.eps).relu().mean().mul(this.coeff);
  }
}
