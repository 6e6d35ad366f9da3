import { gradients, noGrad, type Tensor } from "../engine/index.js";
import { ConfigError } from "../util/errors.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { isScoreCorruptor, type Corruptor, type ScoreCorruptor } from "../models/corruptors.js";
import type { Cost } from "./cost.js";

/** A model with a score function, score(v) = -dF/dv (GaussianBinaryRBM). */
export interface ScoreModel extends Model {
  score(v: Tensor): Tensor;
  /** Optional closed form of mean((score(v) - target)^2) and its gradients for params(). */
  scoreMatchingGradients?(v: Tensor, target: Tensor): { grads: Tensor[]; objective: Tensor };
}

function asScoreModel(m: Model): ScoreModel {
  if (typeof (m as ScoreModel).score !== "function") throw new ConfigError(`SMD needs a model with a score function (GaussianBinaryRBM), got ${m.className}`);
  return m as ScoreModel;
}

/**
 * pylearn2's SMD, denoising score matching (costs/ebm_estimation.py; Vincent 2011, eq. 4.3):
 *
 *   x~ = corruptor(x),   J = mean over batch and units of (score(x~) - parzen(x~, x))^2,
 *
 * where parzen = -d/dx~ of the corruption free energy: (x - x~) / stdev^2 for Gaussian noise.
 * pylearn2 takes the mean squared difference rather than half the squared norm, so the scale of J
 * does not depend on the number of visible units. The corruption is part of the objective, so it is
 * drawn when monitoring too. Training steps go through `gradients`, which uses the model's closed
 * form when it has one (the GRBM's: one W-sized product instead of autodiff's two and a sum).
 */
export class SMD implements Cost {
  readonly className = "SMD";
  readonly supervised = false;
  readonly corruptor: ScoreCorruptor;

  constructor(corruptor: Corruptor) {
    if (!isScoreCorruptor(corruptor)) {
      throw new ConfigError(`SMD needs a corruptor with a corruption density such as GaussianCorruptor, got ${corruptor.className}`);
    }
    this.corruptor = corruptor;
  }

  expr(model: Model, batch: Batch, _ctx: StepContext): Tensor {
    return this.objective(model, batch.X, this.corruptor.corrupt(batch.X));
  }

  /** J for a given corrupted batch (exposed so tests can supply the noise). */
  objective(model: Model, X: Tensor, corrupted: Tensor): Tensor {
    const diff = asScoreModel(model).score(corrupted).sub(this.corruptor.parzenScore(corrupted, X));
    return diff.square().mean();
  }

  /** The model's closed-form gradients when it has them (GaussianBinaryRBM), else autodiff of J. */
  gradients(model: Model, batch: Batch, _ctx: StepContext): { grads: Tensor[]; objective: Tensor } {
    return this.gradientsFor(model, batch.X, this.corruptor.corrupt(batch.X));
  }

  gradientsFor(model: Model, X: Tensor, corrupted: Tensor): { grads: Tensor[]; objective: Tensor } {
    const m = asScoreModel(model);
    if (m.scoreMatchingGradients) return m.scoreMatchingGradients(corrupted, noGrad(() => this.corruptor.parzenScore(corrupted, X)));
    const objective = this.objective(m, X, corrupted);
    return { grads: gradients(objective, m.params()), objective };
  }

  extraState(): Record<string, { shape: number[]; data: Float32Array }> {
    return { corruptor_rng: this.corruptor.rngState() };
  }

  loadExtraState(state: Record<string, { shape: number[]; data: Float32Array }>): void {
    if (state.corruptor_rng) this.corruptor.loadRngState(state.corruptor_rng);
  }
}
