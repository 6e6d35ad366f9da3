import { Tensor, noGrad } from "../engine/index.js";
import { ConfigError } from "../util/errors.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { BlockGibbsSampler } from "../models/gibbs.js";
import type { Cost } from "./cost.js";
import { asEnergyModel, mlGradients } from "./cd.js";
import { reconstructionErrorOf } from "../models/rbm.js";

/**
 * pylearn2's SML, stochastic maximum likelihood a.k.a. persistent contrastive divergence (Younes
 * 1998, Tieleman 2008): `batch_size` persistent chains, started at 0.5 everywhere, advanced `nsteps`
 * Gibbs steps per update. As in pylearn2, each update's negative phase uses the particles as they
 * stand, and the chains then advance (with the same parameters) for the next update. The chains
 * live in extraState (`particles`), so a resumed run continues them exactly. Sampling draws from
 * the step's generator (ctx.rng), which the trainer saves.
 *
 * Objective: the RBM reconstruction error of the batch (see CDk).
 */
export class SML implements Cost {
  readonly className = "SML";
  readonly supervised = false;
  readonly sampler: BlockGibbsSampler;

  constructor(readonly nchains: number, readonly nsteps: number) {
    if (!(Number.isInteger(nchains) && nchains >= 1)) throw new ConfigError(`SML needs batch_size (chains) >= 1, got ${nchains}`);
    if (!(Number.isInteger(nsteps) && nsteps >= 1)) throw new ConfigError(`SML needs nsteps >= 1, got ${nsteps}`);
    this.sampler = new BlockGibbsSampler(nchains, nsteps);
  }

  gradients(model: Model, batch: Batch, ctx: StepContext): { grads: Tensor[]; objective: Tensor } {
    const m = asEnergyModel(model, this.className);
    const X = batch.X;
    // One Gibbs step from the data gives the objective and P(h | data) for the positive phase.
    const step = m.gibbsStepForV(X, ctx.rng);
    const objective = noGrad(() => reconstructionErrorOf(X, step.vMean));
    const grads = mlGradients(m, X, this.sampler.current(m, X), step.hMean);
    this.sampler.advance(m, ctx.rng, X);
    return { grads, objective };
  }

  /** The reconstruction error (a monitoring proxy; training uses `gradients`). */
  expr(model: Model, batch: Batch, ctx: StepContext): Tensor {
    return asEnergyModel(model, this.className).reconstructionError(batch.X, ctx.rng);
  }

  extraState(): Record<string, { shape: number[]; data: Float32Array }> {
    const p = this.sampler.particles;
    return p ? { particles: { shape: [...p.shape], data: Float32Array.from(p.toArray()) } } : {};
  }

  loadExtraState(state: Record<string, { shape: number[]; data: Float32Array }>): void {
    const p = state.particles;
    if (p) this.sampler.particles = Tensor.from(p.data, p.shape);
  }
}
