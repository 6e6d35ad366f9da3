import type { Tensor } from "../engine/index.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { ConfigError } from "../util/errors.js";
import type { Cost } from "./cost.js";
import { hasCostFromX } from "./mlp-default.js";

/** The model methods MethodCost can call, by their pylearn2 names. */
export const COST_METHODS = ["cost_from_X", "contraction_penalty"] as const;
export type CostMethod = (typeof COST_METHODS)[number];

/** A model with pylearn2's `contraction_penalty(data)` (the ContractiveAutoencoder's). */
interface HasContractionPenalty {
  contractionPenalty(X: Tensor): Tensor;
}

function hasContractionPenalty(model: Model): model is Model & HasContractionPenalty {
  return typeof (model as Partial<HasContractionPenalty>).contractionPenalty === "function";
}

/**
 * pylearn2's costs.cost.MethodCost: the cost is a method of the model, named in the YAML:
 * `cost_from_X` (an MLP's own supervised cost, as pylearn2's tutorials name it) or
 * `contraction_penalty` (a ContractiveAutoencoder's penalty on the batch's inputs, which a YAML
 * adds to a reconstruction cost as `[coeff, MethodCost { method: contraction_penalty }]`).
 */
export class MethodCost implements Cost {
  readonly className = "MethodCost";
  readonly supervised: boolean;

  constructor(readonly method: CostMethod) {
    this.supervised = method === "cost_from_X";
  }

  expr(model: Model, batch: Batch, ctx: StepContext): Tensor {
    if (this.method === "cost_from_X") {
      if (!hasCostFromX(model)) throw new ConfigError(`MethodCost: the model (${model.className}) has no method cost_from_X`);
      return model.costFromX(batch, ctx);
    }
    if (this.method === "contraction_penalty") {
      if (!hasContractionPenalty(model)) {
        throw new ConfigError(`MethodCost: the model (${model.className}) has no method contraction_penalty (a ContractiveAutoencoder has)`);
      }
      return model.contractionPenalty(batch.X);
    }
    throw new ConfigError(`MethodCost: unknown method ${String(this.method)} (dl models provide ${COST_METHODS.join(", ")})`);
  }
}
