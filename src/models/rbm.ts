import { Tensor, gradients, noGrad } from "../engine/index.js";
import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer } from "../io/model-file.js";
import type { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import type { Batch, Channels, Model, StepContext } from "./model.js";
import { rngFromSeed, sampleBernoulli, type GibbsModel, type GibbsStep } from "./gibbs.js";

export interface RBMOptions {
  nvis: number;
  nhid: number;
  /** W ~ U(-irange, irange) (pylearn2 default 0.5). */
  irange?: number;
  /** Seed of the initialisation generator (pylearn2's default for RBMs: 1001). */
  seed?: number | readonly number[] | null;
  /** Initial visible biases: a scalar or one per unit (default 0). */
  initBiasVis?: number | ArrayLike<number>;
  /** Initial hidden biases: a scalar or one per unit (default 0). */
  initBiasHid?: number | ArrayLike<number>;
  /** Initial W (nvis x nhid, row-major) instead of the uniform draw (pylearn2's random_patches_src). */
  initW?: Float32Array;
}

/** A scalar broadcast to `n` values, or `n` given values; `what` names the keyword in the error. */
export function broadcastInit(v: number | ArrayLike<number> | undefined, n: number, what: string): Float32Array {
  if (v === undefined) return new Float32Array(n);
  if (typeof v === "number") return new Float32Array(n).fill(v);
  if (v.length !== n) throw new ConfigError(`${what} has ${v.length} values but there are ${n} units (give one number or ${n})`);
  return Float32Array.from(v);
}

/**
 * The binary-binary restricted Boltzmann machine (pylearn2's models/rbm.py RBM):
 *
 *   E(v,h) = -v.b - h.c - v W h,   P(h=1|v) = sigmoid(c + v W),   P(v=1|h) = sigmoid(b + h W^T),
 *   F(v)   = -v.b - sum_j softplus(c + v W)_j.
 *
 * Parameters `W` (nvis x nhid), `bias_vis`, `bias_hid`, in pylearn2's order. GaussianBinaryRBM
 * extends it by overriding the conditionals and the free energy.
 */
export class RBM implements Model, GibbsModel {
  readonly className: string = "RBM";
  readonly inputDim: number;
  readonly outputDim: number;
  readonly W: Tensor;
  readonly biasVis: Tensor;
  readonly biasHid: Tensor;
  inputView?: DatasetView;
  config?: Record<string, unknown>;

  constructor(o: RBMOptions) {
    if (!(o.nvis > 0 && o.nhid > 0)) throw new ConfigError(`an RBM needs nvis > 0 and nhid > 0, got nvis ${o.nvis}, nhid ${o.nhid}`);
    this.inputDim = o.nvis;
    this.outputDim = o.nhid;
    const rng = rngFromSeed(o.seed, 1001);
    const irange = o.irange ?? 0.5;
    let w = o.initW;
    if (w) {
      if (w.length !== o.nvis * o.nhid) throw new ConfigError(`initial W has ${w.length} values, expected nvis x nhid = ${o.nvis} x ${o.nhid}`);
    } else {
      w = rng.fillUniform(new Float32Array(o.nvis * o.nhid), -irange, irange) as Float32Array;
    }
    this.W = Tensor.param(w, [o.nvis, o.nhid], "W");
    this.biasVis = Tensor.param(broadcastInit(o.initBiasVis, o.nvis, "init_bias_vis"), [o.nvis], "bias_vis");
    this.biasHid = Tensor.param(broadcastInit(o.initBiasHid, o.nhid, "init_bias_hid"), [o.nhid], "bias_hid");
  }

  params(): Tensor[] {
    return [this.W, this.biasVis, this.biasHid];
  }

  /** The tensors a WeightDecay cost penalises: W, never the biases. */
  weights(): Tensor[] {
    return [this.W];
  }

  /** c + v W: the input to each hidden unit. */
  inputToH(v: Tensor): Tensor {
    return v.matmul(this.W).add(this.biasHid);
  }

  meanHGivenV(v: Tensor): Tensor {
    return this.inputToH(v).sigmoid();
  }

  meanVGivenH(h: Tensor): Tensor {
    return h.matmul(this.W, false, true).add(this.biasVis).sigmoid();
  }

  /** A sample of the visibles given their conditional mean (Bernoulli here, Gaussian for the GRBM). */
  sampleVisibles(vMean: Tensor, rng: Rng): Tensor {
    return sampleBernoulli(vMean, rng);
  }

  /** F(v) per row: shape (N). */
  freeEnergy(v: Tensor): Tensor {
    const vb = v.matmul(this.biasVis.reshape([-1, 1])).reshape([-1]);
    return vb.neg().sub(this.inputToH(v).softplus().sum(1));
  }

  /** E(v, h) per row: shape (N). */
  energy(v: Tensor, h: Tensor): Tensor {
    const vb = v.matmul(this.biasVis.reshape([-1, 1])).reshape([-1]);
    const hc = h.matmul(this.biasHid.reshape([-1, 1])).reshape([-1]);
    const vWh = v.matmul(this.W).mul(h).sum(1);
    return vb.add(hc).add(vWh).neg();
  }

  /**
   * One round of block Gibbs sampling. As in pylearn2, v's mean is computed from the sampled h (not
   * h's mean) so a hidden unit carries at most one bit.
   */
  gibbsStepForV(v: Tensor, rng: Rng): GibbsStep {
    return noGrad(() => {
      const hMean = this.meanHGivenV(v);
      const hSample = sampleBernoulli(hMean, rng);
      const vMean = this.meanVGivenH(hSample);
      const vSample = this.sampleVisibles(vMean, rng);
      return { hMean, hSample, vMean, vSample };
    });
  }

  /**
   * pylearn2's reconstruction_error: mean over examples of the summed squared difference between v
   * and E[v | h], h sampled from P(h | v) (visibles not sampled, to keep the estimate less noisy).
   */
  reconstructionError(v: Tensor, rng: Rng): Tensor {
    return reconstructionErrorOf(v, this.gibbsStepForV(v, rng).vMean);
  }

  /** The pylearn2 RBM channels: bias and mean-activation statistics and the reconstruction error. */
  monitorChannels(batch: Batch, ctx: StepContext): Channels {
    return noGrad(() => {
      const V = batch.X;
      const h = this.meanHGivenV(V).mean(0); // each hidden unit's mean activation over the batch
      return {
        bias_hid_min: this.biasHid.min(),
        bias_hid_mean: this.biasHid.mean(),
        bias_hid_max: this.biasHid.max(),
        bias_vis_min: this.biasVis.min(),
        bias_vis_mean: this.biasVis.mean(),
        bias_vis_max: this.biasVis.max(),
        h_min: h.min(),
        h_mean: h.mean(),
        h_max: h.max(),
        reconstruction_error: this.reconstructionError(V, ctx.rng),
      };
    });
  }

  /**
   * The gradient of mean F(pos) - mean F(neg) for `params()`, negatives held constant (the CD/SML
   * update). For the binary energy it has a closed form, dF/dW = -v^T sigmoid(vW + c):
   *
   *   dW = [pos; neg]^T [-H_pos / N_pos; H_neg / N_neg]   (one product)
   *   db = mean(neg) - mean(pos),   dc = mean(H_neg) - mean(H_pos),
   *
   * which saves autodiff's second W-sized product and sum; `hPos` = P(h|pos) may be passed when the
   * caller has it already (the first step of a Gibbs chain started at the data).
   */
  mlGradients(pos: Tensor, neg: Tensor, hPos?: Tensor): Tensor[] {
    return noGrad(() => {
      const hp = hPos ?? this.meanHGivenV(pos);
      const hn = this.meanHGivenV(neg);
      const np = pos.shape[0], nn = neg.shape[0];
      const W = Tensor.concat([pos, neg], 0).matmul(Tensor.concat([hp.mul(-1 / np), hn.mul(1 / nn)], 0), true, false);
      return [W, neg.mean(0).sub(pos.mean(0)), hn.mean(0).sub(hp.mean(0))];
    });
  }

  /** Hidden-unit means P(h=1|v): the features an RBM hands to the next layer. */
  encode(X: Tensor): Tensor {
    return this.meanHGivenV(X);
  }

  drawableLayers(): DrawableLayer[] {
    return [{ name: "W", tensor: "W", layout: "vis_by_hid", ...(this.inputView ? { view: this.inputView } : {}) }];
  }
}

/** mean F(pos) - mean F(neg) differentiated by autodiff: the ML gradient for any energy. */
export function freeEnergyGradients(m: { freeEnergy(v: Tensor): Tensor; params(): Tensor[] }, pos: Tensor, neg: Tensor): Tensor[] {
  const cost = m.freeEnergy(pos.detach()).mean().sub(m.freeEnergy(neg.detach()).mean());
  return gradients(cost, m.params());
}

/** Mean over rows of the summed squared difference. */
export function reconstructionErrorOf(v: Tensor, r: Tensor): Tensor {
  return r.sub(v).square().sum(1).mean();
}

/**
 * pylearn2's init_bias_vis_marginals: visible biases at the inverse sigmoid of the data's mean
 * activation, squeezed to [0.01, 0.99] first so no bias is infinite. Data must lie in [0, 1].
 */
export function visBiasFromMarginals(X: Float32Array, n: number, dim: number): Float32Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const x = X[i * dim + j];
      if (!(x >= 0 && x <= 1)) throw new ConfigError(`init_bias_vis_marginals needs data in [0, 1]; example ${i}, unit ${j} is ${x}`);
      mean[j] += x;
    }
  }
  const out = new Float32Array(dim);
  for (let j = 0; j < dim; j++) {
    const p = 0.01 + 0.98 * (mean[j] / n);
    out[j] = Math.log(p / (1 - p));
  }
  return out;
}

/**
 * pylearn2's random_patches_src: W = irange * (nhid consecutive examples from a random start)^T,
 * as DenseDesignMatrix.get_batch_design draws them.
 */
export function weightsFromRandomExamples(X: Float32Array, n: number, dim: number, nhid: number, irange: number, rng: Rng): Float32Array {
  if (n < nhid) throw new ConfigError(`random_patches_src has ${n} examples; initialising ${nhid} hidden units needs at least ${nhid}`);
  const start = rng.randint(n - nhid + 1);
  const W = new Float32Array(dim * nhid);
  for (let j = 0; j < nhid; j++) {
    for (let i = 0; i < dim; i++) W[i * nhid + j] = irange * X[(start + j) * dim + i];
  }
  return W;
}

// ---------- YAML construction ----------

type Seed = number | readonly number[] | null;
/** What a built dataset argument offers (DenseDesignMatrix). */
interface DataLike {
  X: Float32Array;
  numExamples: number;
  dim: number;
}
/** A built space argument (VectorSpace: dim; any space: totalDim). */
interface SpaceLike {
  dim?: number;
  totalDim?: number;
}

/** The size a model gets from `n` or, failing that, from a space (`nvis` / `vis_space`). */
export function sizeFrom(n: number | null, space: unknown, what: string): number {
  if (n !== null) return n;
  const s = space as SpaceLike | null;
  const d = s?.dim ?? s?.totalDim;
  if (typeof d !== "number") throw new ConfigError(`give ${what} (or a VectorSpace as ${what === "nvis" ? "vis_space" : "hid_space"})`);
  return d;
}

/** The RBM keywords shared with GaussianBinaryRBM, as the schema in src/config/components/models.ts gives them. */
export interface RBMCommonArgs {
  nvis: number | null;
  nhid: number | null;
  vis_space: unknown;
  hid_space: unknown;
  irange: number;
  init_bias_hid: number | number[];
  rng: Seed;
}

export interface RBMArgs extends RBMCommonArgs {
  init_bias_vis: number | number[] | null;
  init_bias_vis_marginals: unknown;
  random_patches_src: unknown;
  // Keywords of pylearn2's legacy built-in trainer: accepted, no effect on SGD training.
  base_lr: number;
  anneal_start: number | null;
  nchains: number;
  sml_gibbs_steps: number;
  monitor_reconstruction: boolean;
}

export function rbmCommonOptions(a: RBMCommonArgs): RBMOptions {
  return {
    nvis: sizeFrom(a.nvis, a.vis_space, "nvis"),
    nhid: sizeFrom(a.nhid, a.hid_space, "nhid"),
    irange: a.irange,
    seed: a.rng,
    initBiasHid: a.init_bias_hid,
  };
}

/** Builds pylearn2's `RBM` from its YAML keywords. */
export function buildRBM(a: RBMArgs): RBM {
  const o = rbmCommonOptions(a);
  if (a.init_bias_vis_marginals) {
    if (a.init_bias_vis !== null) throw new ConfigError("give init_bias_vis or init_bias_vis_marginals, not both");
    const d = a.init_bias_vis_marginals as DataLike;
    if (d.dim !== o.nvis) throw new ConfigError(`init_bias_vis_marginals has ${d.dim} values per example; the RBM has nvis ${o.nvis}`);
    o.initBiasVis = visBiasFromMarginals(d.X, d.numExamples, d.dim);
  } else if (a.init_bias_vis !== null) {
    o.initBiasVis = a.init_bias_vis;
  }
  if (a.random_patches_src) {
    const d = a.random_patches_src as DataLike;
    if (d.dim !== o.nvis) throw new ConfigError(`random_patches_src has ${d.dim} values per example; the RBM has nvis ${o.nvis}`);
    // A generator of its own (seeded like the model's) picks the examples, so W's draw is unchanged.
    o.initW = weightsFromRandomExamples(d.X, d.numExamples, d.dim, o.nhid, o.irange ?? 0.5, rngFromSeed(a.rng, 1001));
  }
  return new RBM(o);
}
