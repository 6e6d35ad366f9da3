import type { Tensor } from "../engine/index.js";
import { requireMLP, targetsOf } from "../models/mlp.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { Softmax, oneHotTargets } from "../nn/softmax.js";
import { oneVsRestHinge } from "../nn/svm.js";
import { ConfigError } from "../util/errors.js";
import type { Cost } from "./cost.js";

/**
 * The multiclass hinge loss on an MLP's output scores (its SVM layer): one-vs-rest,
 *
 *     L = mean_n sum_k max(0, margin - t_nk s_nk)^q,   t_nk = +1 for the true class, -1 otherwise,
 *
 * with q = 1, or q = 2 when `squared` (the L2-SVM, smooth and often better with SGD). See
 * `oneVsRestHinge` for why one-vs-rest. Add a WeightDecay cost for the SVM's margin penalty.
 */
export class Hinge implements Cost {
  readonly className = "Hinge";
  readonly supervised = true;

  constructor(
    readonly margin = 1,
    readonly squared = false,
  ) {}

  expr(model: Model, batch: Batch, _ctx: StepContext): Tensor {
    const mlp = requireMLP(model, "Hinge");
    const out = mlp.outputLayer;
    if (out instanceof Softmax) {
      // Hinge on probabilities is almost certainly a mistake: the scores should be unnormalised.
      throw new ConfigError(`Hinge: the MLP's last layer ${out.layerName} is a Softmax; the hinge loss needs linear scores (an SVM or Linear output layer)`);
    }
    const scores = mlp.forward(batch.X);
    const Y = oneHotTargets(targetsOf(batch), scores.shape[1], scores, out.layerName);
    return oneVsRestHinge(scores, Y, this.margin, this.squared);
  }
}
