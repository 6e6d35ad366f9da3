import type { Tensor } from "../engine/index.js";
import { ConfigError } from "../util/errors.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { isReconstructionModel, type ReconstructionModel } from "../models/autoencoder.js";
import type { Cost } from "./cost.js";

function asReconstructionModel(model: Model, cost: string): ReconstructionModel {
  if (!isReconstructionModel(model)) throw new ConfigError(`${cost} needs a model that reconstructs its input (an autoencoder), got ${model.className}`);
  return model;
}

/** pylearn2's MeanSquaredReconstructionError: mean over the batch of sum over units of (x - r)^2. */
export class MeanSquaredReconstructionError implements Cost {
  readonly className = "MeanSquaredReconstructionError";
  readonly supervised = false;

  expr(model: Model, batch: Batch, ctx: StepContext): Tensor {
    const r = asReconstructionModel(model, this.className).reconstruct(batch.X, ctx);
    return batch.X.sub(r).square().sum(1).mean();
  }
}

/**
 * pylearn2's MeanBinaryCrossEntropy: mean over the batch of sum over units of
 * -(x log r + (1 - x) log(1 - r)). With a sigmoid decoder it is computed from the pre-activation z
 * as softplus(z) - x z, the same value without log(0) when r saturates.
 */
export class MeanBinaryCrossEntropy implements Cost {
  readonly className = "MeanBinaryCrossEntropy";
  readonly supervised = false;

  expr(model: Model, batch: Batch, ctx: StepContext): Tensor {
    const m = asReconstructionModel(model, this.className);
    const X = batch.X;
    if (m.reconstructLogits) {
      const { logits, act } = m.reconstructLogits(X, ctx);
      if (act === "sigmoid") return logits.softplus().sub(X.mul(logits)).sum(1).mean();
    }
    const r = m.reconstruct(X, ctx);
    return X.mul(r.log()).add(X.rsub(1).mul(r.rsub(1).log())).sum(1).mean().neg();
  }
}
