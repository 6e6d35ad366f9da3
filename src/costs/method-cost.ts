import type { Tensor } from "../engine/index.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { ConfigError } from "../util/errors.js";
import type { Cost } from "./cost.js";
import { hasCostFromX } from "./mlp-default.js";

/** The model methods MethodCost can call, by their pylearn2 names. */
export type CostMethod = "cost_from_X";

/**
 * pylearn2's costs.cost.MethodCost: the cost is a method of the model, named in the YAML. dl's
 * models expose `cost_from_X` (as `costFromX`), the one pylearn2's tutorials name.
 */
export class MethodCost implements Cost {
  readonly className = "MethodCost";
  readonly supervised = true;

  constructor(readonly method: CostMethod) {}

  expr(model: Model, batch: Batch, ctx: StepContext): Tensor {
    if (this.method === "cost_from_X") {
      if (!hasCostFromX(model)) throw new ConfigError(`MethodCost: the model (${model.className}) has no method cost_from_X`);
      return model.costFromX(batch, ctx);
    }
    throw new ConfigError(`MethodCost: unknown method ${String(this.method)} (dl models provide cost_from_X)`);
  }
}
