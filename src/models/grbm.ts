import { Tensor, noGrad } from "../engine/index.js";
import type { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { RBM, freeEnergyGradients, rbmCommonOptions, type RBMCommonArgs, type RBMOptions } from "./rbm.js";
import { standardNormal } from "./gibbs.js";
import { GRBM_TYPE_1, GrbmType1, type GrbmParams } from "./grbm-energy.js";

export interface GaussianBinaryRBMOptions extends Omit<RBMOptions, "initBiasVis"> {
  /** The energy parameterisation (only grbm_type_1 exists, as in pylearn2's tutorials). */
  energy?: GrbmType1;
  /** Initial sigma (pylearn2 default 2). */
  initSigma?: number;
  /** Learn sigma: sigma_driver becomes a parameter (pylearn2 default false). */
  learnSigma?: boolean;
  /** sigma = sigma_driver * sigma_lr_scale (pylearn2 default 1). */
  sigmaLrScale?: number;
  minSigma?: number;
  maxSigma?: number;
  /** Return E[v|h] instead of sampling the visibles. */
  meanVis?: boolean;
}

/**
 * pylearn2's GaussianBinaryRBM: Gaussian visibles, binary hiddens, one scalar sigma. The energy
 * function (grbm_type_1) supplies the conditionals, the free energy and the score.
 *
 * sigma is stored as `sigma_driver` = sigma / sigma_lr_scale, so an SGD step of size lr on the
 * driver moves sigma by lr * sigma_lr_scale^2 * dJ/dsigma: sigma_lr_scale slows sigma's learning
 * through the parameterisation alone, which is why pylearn2 (and dl) set no learning-rate scaler
 * on it. When learned, the driver is clipped to [min_sigma, max_sigma] / sigma_lr_scale after
 * every update (pylearn2's _modify_updates).
 */
export class GaussianBinaryRBM extends RBM {
  override readonly className: string = "GaussianBinaryRBM";
  readonly energyFunction: GrbmType1;
  /** A 0-d tensor; a parameter only when learnSigma. */
  readonly sigmaDriver: Tensor;
  readonly learnSigma: boolean;
  readonly sigmaLrScale: number;
  readonly minSigma: number;
  readonly maxSigma: number;
  readonly meanVis: boolean;

  constructor(o: GaussianBinaryRBMOptions) {
    super(o);
    this.energyFunction = o.energy ?? GRBM_TYPE_1;
    this.learnSigma = o.learnSigma ?? false;
    this.sigmaLrScale = o.sigmaLrScale ?? 1;
    this.minSigma = o.minSigma ?? 0.1;
    this.maxSigma = o.maxSigma ?? 10;
    this.meanVis = o.meanVis ?? false;
    const initSigma = o.initSigma ?? 2;
    if (!(this.sigmaLrScale > 0)) throw new ConfigError(`sigma_lr_scale must be positive, got ${this.sigmaLrScale}`);
    if (!(initSigma > 0)) throw new ConfigError(`init_sigma must be positive, got ${initSigma}`);
    this.sigmaDriver = Tensor.from([initSigma / this.sigmaLrScale], [], this.W.backend);
    this.sigmaDriver.name = "sigma_driver";
    this.sigmaDriver.requiresGrad = this.learnSigma;
  }

  override params(): Tensor[] {
    return this.learnSigma ? [this.W, this.biasVis, this.biasHid, this.sigmaDriver] : [this.W, this.biasVis, this.biasHid];
  }

  /** sigma = sigma_driver * sigma_lr_scale, in the graph so gradients reach the driver. */
  sigma(): Tensor {
    return this.sigmaDriver.mul(this.sigmaLrScale);
  }

  /** The tensors the energy function reads. */
  energyParams(): GrbmParams {
    return { W: this.W, biasVis: this.biasVis, biasHid: this.biasHid, sigma: this.sigma() };
  }

  override meanHGivenV(v: Tensor): Tensor {
    return this.energyFunction.meanHGivenV(this.energyParams(), v);
  }

  override meanVGivenH(h: Tensor): Tensor {
    return this.energyFunction.meanVGivenH(this.energyParams(), h);
  }

  override freeEnergy(v: Tensor): Tensor {
    return this.energyFunction.freeEnergy(this.energyParams(), v);
  }

  override energy(v: Tensor, h: Tensor): Tensor {
    return this.energyFunction.energy(this.energyParams(), v, h);
  }

  /** The CD/SML gradient by autodiff of the grbm_type_1 free energy (the binary closed form does not apply). */
  override mlGradients(pos: Tensor, neg: Tensor): Tensor[] {
    return freeEnergyGradients(this, pos, neg);
  }

  /** score(v) = -dF/dv. */
  score(v: Tensor): Tensor {
    return this.energyFunction.score(this.energyParams(), v);
  }

  /**
   * J = mean((score(v) - target)^2) and its gradients for `params()` (in order), in closed form:
   * the fast path of SMD (see GrbmType1.scoreMatchingGradients).
   */
  scoreMatchingGradients(v: Tensor, target: Tensor): { grads: Tensor[]; objective: Tensor } {
    const g = this.energyFunction.scoreMatchingGradients(this.energyParams(), v, target);
    const grads = [g.W, g.biasVis, g.biasHid];
    if (this.learnSigma) grads.push(noGrad(() => g.sigma.mul(this.sigmaLrScale))); // d sigma / d driver
    return { grads, objective: g.objective };
  }

  /** v ~ N(E[v|h], sigma^2), or the mean itself when mean_vis. */
  override sampleVisibles(vMean: Tensor, rng: Rng): Tensor {
    if (this.meanVis) return vMean;
    return noGrad(() => standardNormal(vMean.shape, rng, vMean).mul(this.sigma()).add(vMean));
  }

  /** Clips the learned sigma to [min_sigma, max_sigma], in place. */
  afterUpdate(): void {
    if (!this.learnSigma) return;
    const lo = this.minSigma / this.sigmaLrScale;
    const hi = this.maxSigma / this.sigmaLrScale;
    this.sigmaDriver.assign(noGrad(() => this.sigmaDriver.clip(lo, hi)));
  }

  /** The current sigma as a number (CPU backends). */
  sigmaValue(): number {
    return this.sigmaDriver.item() * this.sigmaLrScale;
  }
}

/** GaussianBinaryRBM's YAML keywords, as the schema in src/config/components/models.ts gives them. */
export interface GaussianBinaryRBMArgs extends RBMCommonArgs {
  energy_function_class: unknown;
  mean_vis: boolean;
  init_sigma: number;
  learn_sigma: boolean;
  sigma_lr_scale: number;
  min_sigma: number;
  max_sigma: number;
}

export function buildGaussianBinaryRBM(a: GaussianBinaryRBMArgs): GaussianBinaryRBM {
  if (!(a.energy_function_class instanceof GrbmType1)) {
    throw new ConfigError("energy_function_class must be an energy function such as !obj:pylearn2.energy_functions.rbm_energy.grbm_type_1 {}");
  }
  return new GaussianBinaryRBM({
    ...rbmCommonOptions(a),
    energy: a.energy_function_class,
    meanVis: a.mean_vis,
    initSigma: a.init_sigma,
    learnSigma: a.learn_sigma,
    sigmaLrScale: a.sigma_lr_scale,
    minSigma: a.min_sigma,
    maxSigma: a.max_sigma,
  });
}
