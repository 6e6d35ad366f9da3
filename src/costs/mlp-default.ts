import type { Tensor } from "../engine/index.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { ConfigError } from "../util/errors.js";
import type { Cost } from "./cost.js";

/** A model that defines its own supervised cost of a batch (pylearn2's cost_from_X). */
export interface CostFromX {
  costFromX(batch: Batch, ctx?: StepContext): Tensor;
}

export function hasCostFromX(model: Model): model is Model & CostFromX {
  return typeof (model as Partial<CostFromX>).costFromX === "function";
}

/**
 * pylearn2's costs.mlp.Default: the model's own cost, `model.cost_from_X(data)`. For an MLP that
 * is its output layer's cost — for Softmax the negative log-likelihood,
 * mean over the batch of -log p(y_n | x_n).
 */
export class Default implements Cost {
  readonly className = "Default";
  readonly supervised = true;

  expr(model: Model, batch: Batch, ctx: StepContext): Tensor {
    if (!hasCostFromX(model)) throw new ConfigError(`Default cost: the model (${model.className}) has no cost of its own (cost_from_X); use a cost made for it`);
    return model.costFromX(batch, ctx);
  }
}
