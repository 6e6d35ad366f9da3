import { noGrad, type Tensor } from "../engine/index.js";
import { ConfigError } from "../util/errors.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { decodeRngState, encodeRngState, isGibbsModel, rngFromSeed, type GibbsModel, type GibbsStep } from "../models/gibbs.js";
import { freeEnergyGradients, reconstructionErrorOf } from "../models/rbm.js";
import type { Rng } from "../util/rng.js";
import type { Cost } from "./cost.js";

/** What CD and SML need: a free energy to differentiate and a Gibbs step to sample with. */
export interface EnergyModel extends Model, GibbsModel {
  freeEnergy(v: Tensor): Tensor;
  reconstructionError(v: Tensor, rng: Rng): Tensor;
  /** The model's own (closed-form) ML gradient; `hPos` = P(h|pos) when already computed. */
  mlGradients?(pos: Tensor, neg: Tensor, hPos?: Tensor): Tensor[];
}

export function asEnergyModel(model: Model, cost: string): EnergyModel {
  const m = model as Partial<EnergyModel>;
  if (!isGibbsModel(model) || typeof m.freeEnergy !== "function" || typeof m.reconstructionError !== "function") {
    throw new ConfigError(`${cost} trains energy-based models with Gibbs sampling (RBM, GaussianBinaryRBM), got ${model.className}`);
  }
  return model as EnergyModel;
}

/**
 * The maximum-likelihood gradient estimate both CD and SML use (pylearn2's ml_gradients): the
 * gradient of mean F(pos) - mean F(neg) with the negative samples held constant. Means are taken
 * separately so the two phases may have different sizes.
 */
export function mlGradients(model: EnergyModel, pos: Tensor, neg: Tensor, hPos?: Tensor): Tensor[] {
  if (model.mlGradients) return model.mlGradients(pos.detach(), neg.detach(), hPos);
  return freeEnergyGradients(model, pos, neg);
}

/**
 * pylearn2's CDk, contrastive divergence (Hinton 2002): the negative samples come from `nsteps`
 * Gibbs steps started at the data. The sampling generator is the cost's own, seeded by `seed`
 * (pylearn2 default 42) and saved in extraState.
 *
 * The quantity CD follows has no cheap value, so the objective reported is the RBM reconstruction
 * error (mean over the batch of the summed squared error of E[v | h ~ P(h|v)]), read off the first
 * Gibbs step of the chain at no extra cost; `expr` computes the same on monitoring batches.
 */
export class CDk implements Cost {
  readonly className = "CDk";
  readonly supervised = false;
  private readonly rng: Rng;

  /**
   * `sampleVisibles` false: each Gibbs step hands on the visibles' conditional means instead of a
   * sample, so the negative phase is the mean-field reconstruction (Hinton's "A Practical Guide to
   * Training RBMs", 2010, section 3.2: less sampling noise, and for grey-level data in [0, 1] the
   * negative statistics match the real-valued positive ones). The hidden units are still sampled
   * at every step, so each carries at most one bit. pylearn2's CDk always samples (the default).
   */
  constructor(readonly nsteps: number, seed = 42, readonly sampleVisibles = true) {
    if (!(Number.isInteger(nsteps) && nsteps >= 1)) throw new ConfigError(`CDk needs nsteps >= 1, got ${nsteps}`);
    this.rng = rngFromSeed(seed, 42);
  }

  gradients(model: Model, batch: Batch, _ctx: StepContext): { grads: Tensor[]; objective: Tensor } {
    const m = asEnergyModel(model, this.className);
    const pos = batch.X;
    let neg = pos;
    let first: GibbsStep | null = null;
    for (let k = 0; k < this.nsteps; k++) {
      const step = m.gibbsStepForV(neg, this.rng);
      first ??= step;
      neg = this.sampleVisibles ? step.vSample : step.vMean;
    }
    const objective = noGrad(() => reconstructionErrorOf(pos, first!.vMean));
    return { grads: mlGradients(m, pos, neg, first!.hMean), objective };
  }

  /** The reconstruction error (a monitoring proxy; training uses `gradients`). */
  expr(model: Model, batch: Batch, ctx: StepContext): Tensor {
    return asEnergyModel(model, this.className).reconstructionError(batch.X, ctx.rng);
  }

  extraState(): Record<string, { shape: number[]; data: Float32Array }> {
    return { rng: encodeRngState(this.rng) };
  }

  loadExtraState(state: Record<string, { shape: number[]; data: Float32Array }>): void {
    if (state.rng) decodeRngState(this.rng, state.rng, this.className);
  }
}
