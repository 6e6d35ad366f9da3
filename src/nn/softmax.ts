import { Tensor, noGrad } from "../engine/index.js";
import type { DatasetView, DenseDesignMatrix } from "../data/dataset.js";
import type { DrawableLayer } from "../io/model-file.js";
import { ConfigError, ShapeError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";
import { weightNormChannels } from "./channels.js";
import { constrainNorms } from "./constraints.js";
import { initWeights } from "./init.js";
import { Layer, type LayerChannels, type OutputLayer, type Targets } from "./layer.js";
import { asMatrix, VectorSpace, type Space } from "./space.js";

export interface SoftmaxOptions {
  nClasses: number;
  layerName: string;
  irange?: number | null;
  istdev?: number | null;
  sparseInit?: number | null;
  WLrScale?: number | null;
  bLrScale?: number | null;
  maxRowNorm?: number | null;
  maxColNorm?: number | null;
  /** Softmax of the input itself (no W, b); the input must have n_classes values. */
  noAffine?: boolean;
  /** Biases start at the log class frequencies of this dataset (pylearn2's pseudoinverse of softmax). */
  initBiasTargetMarginals?: DenseDesignMatrix | null;
  binaryTargetDim?: number | null;
  /** n_classes - 1 free outputs; the first class's logit is fixed at 0. */
  nonRedundant?: boolean;
}

/**
 * pylearn2's Softmax output layer: p(y | x) = softmax(x W + b). Its cost (the MLP's default) is
 * the negative log-likelihood, mean over the batch of -log p(y_n | x_n), computed from the logits
 * with a log-sum-exp so it never takes the log of an underflowed probability.
 */
export class Softmax extends Layer implements OutputLayer {
  readonly className = "Softmax";
  readonly nClasses: number;

  constructor(readonly opts: SoftmaxOptions) {
    super(opts.layerName);
    this.nClasses = opts.nClasses;
    if (opts.nonRedundant && opts.initBiasTargetMarginals) {
      throw new ConfigError(`layer ${opts.layerName}: init_bias_target_marginals only works without non_redundant (as in pylearn2)`);
    }
    if (opts.binaryTargetDim != null && opts.binaryTargetDim !== 1) {
      throw new ConfigError(`layer ${opts.layerName}: binary_target_dim ${opts.binaryTargetDim} (several labels per example) is not supported; dl's datasets hold one label per example (use 1 or leave it out)`);
    }
    if (opts.noAffine && opts.initBiasTargetMarginals) {
      throw new ConfigError(`layer ${opts.layerName}: init_bias_target_marginals needs biases, and no_affine has none`);
    }
  }

  setInputSpace(space: Space, rng: Rng): void {
    const o = this.opts;
    const fanIn = space.totalDim;
    const cols = this.nClasses - (o.nonRedundant ? 1 : 0);
    for (const k of Object.keys(this.p)) delete this.p[k];
    if (o.noAffine) {
      if (fanIn !== cols) throw new ConfigError(`layer ${this.layerName}: no_affine needs an input of ${cols} values, got ${fanIn}`);
    } else {
      // pylearn2 creates b before W and lists them as [b, W].
      const b = new Float32Array(cols);
      if (o.initBiasTargetMarginals) b.set(logMarginals(o.initBiasTargetMarginals, this.nClasses, this.layerName));
      this.p.b = Tensor.param(b, [cols], `${this.layerName}_b`);
      // pylearn2's Softmax sparse init draws N(0, 1) weights (no sparse_stdev).
      const W = initWeights(rng, fanIn, cols, { irange: o.irange, istdev: o.istdev, sparseInit: o.sparseInit }, this.layerName);
      this.p.W = Tensor.param(W, [fanIn, cols], `${this.layerName}_W`);
    }
    this.setSpaces(space, new VectorSpace(this.nClasses));
  }

  get W(): Tensor | undefined {
    return this.p.W;
  }

  /** The softmax's argument z (the logits). */
  logits(x: Tensor): Tensor {
    const m = asMatrix(x);
    let z = m;
    if (!this.opts.noAffine) {
      if (m.shape[1] !== this.p.W.shape[0]) throw new ShapeError(`layer ${this.layerName}: expected inputs of ${this.p.W.shape[0]} values, got ${m.shape[1]}`);
      z = m.matmul(this.p.W).add(this.p.b);
    }
    if (this.opts.nonRedundant) z = Tensor.concat([Tensor.zeros([z.shape[0], 1], z.backend), z], 1);
    return z;
  }

  fprop(x: Tensor): Tensor {
    return this.logits(x).softmax(1);
  }

  cost(stateBelow: Tensor, targets: Targets): Tensor {
    const z = this.logits(stateBelow);
    const Y = oneHotTargets(targets, this.nClasses, z, this.layerName);
    return z.logSoftmax(1).mul(Y).sum(1).mean().neg();
  }

  override lrScalers(): Record<string, number> {
    const r: Record<string, number> = {};
    if (this.opts.noAffine) return r;
    if (this.opts.WLrScale != null) r[this.p.W.name!] = this.opts.WLrScale;
    if (this.opts.bLrScale != null) r[this.p.b.name!] = this.opts.bLrScale;
    return r;
  }

  override afterUpdate(): void {
    if (this.opts.noAffine) return;
    constrainNorms(this.p.W, [0], this.opts.maxColNorm ?? null);
    constrainNorms(this.p.W, [1], this.opts.maxRowNorm ?? null);
  }

  override weights(): Tensor[] {
    return this.opts.noAffine ? [] : [this.p.W];
  }

  override monitorChannels(stateBelow: Tensor, state: Tensor, targets?: Targets): LayerChannels {
    const out: LayerChannels = this.opts.noAffine ? {} : weightNormChannels(this.p.W);
    noGrad(() => {
      const mx = state.max(1);
      out.mean_max_class = mx.mean();
      out.max_max_class = mx.max();
      out.min_max_class = mx.min();
      if (targets && (targets.y || targets.labels)) {
        out.misclass = misclassRate(state, targets);
        out.nll = this.cost(stateBelow, targets);
      }
    });
    return out;
  }

  override drawable(view?: DatasetView): DrawableLayer | null {
    if (this.opts.noAffine) return null;
    return { name: this.layerName, tensor: this.p.W.name!, layout: "vis_by_hid", ...(view ? { view } : {}) };
  }
}

/** One-hot targets from `y` or from integer labels, on the backend of `like`. */
export function oneHotTargets(targets: Targets, nClasses: number, like: Tensor, layerName: string): Tensor {
  if (targets.y) {
    if (targets.y.shape[1] !== nClasses) {
      throw new ShapeError(`layer ${layerName}: the targets have ${targets.y.shape[1]} classes but the layer has n_classes ${nClasses}`);
    }
    return targets.y;
  }
  if (targets.labels) {
    for (const l of targets.labels) {
      if (l < 0 || l >= nClasses) throw new ShapeError(`layer ${layerName}: label ${l} is outside [0, ${nClasses}) (n_classes ${nClasses})`);
    }
    return Tensor.oneHot(targets.labels, nClasses, like.backend);
  }
  throw new ShapeError(`layer ${layerName} needs class labels for its cost, and the batch has none`);
}

/**
 * Fraction of rows whose argmax differs from the label (pylearn2's misclass). On a GPU it stays
 * there (a 0-d tensor the monitor sums on the device) rather than reading the predictions back.
 */
export function misclassRate(scores: Tensor, targets: Targets): number | Tensor {
  if (!scores.backend.syncRead) {
    const b = scores.backend;
    const n = scores.shape[0];
    const pred = new Tensor(b.argmax(scores.data, scores.shape, 1), [n], b);
    const labels = targets.labels
      ? Tensor.from(targets.labels, [n], b)
      : targets.y ? new Tensor(b.argmax(targets.y.data, targets.y.shape, 1), [n], b) : null;
    if (!labels) return NaN;
    return pred.ne(labels).mean();
  }
  const pred = scores.argmax(1);
  const labels = targets.labels ?? (targets.y ? targets.y.argmax(1) : undefined);
  if (!labels) return NaN;
  let wrong = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] !== labels[i]) wrong++;
  return wrong / pred.length;
}

/** pylearn2's pseudoinverse_softmax_numpy of the class frequencies: log(p) - mean(log(p)). */
function logMarginals(ds: DenseDesignMatrix, nClasses: number, layerName: string): Float32Array {
  if (!ds.labels) throw new ConfigError(`layer ${layerName}: init_bias_target_marginals needs a dataset with labels`);
  const counts = new Float64Array(nClasses);
  for (const l of ds.labels) {
    if (l < 0 || l >= nClasses) throw new ConfigError(`layer ${layerName}: init_bias_target_marginals: label ${l} is outside [0, ${nClasses})`);
    counts[l]++;
  }
  const logs = Array.from(counts, (c) => Math.log(c / ds.labels!.length));
  const mean = logs.reduce((a, b) => a + b, 0) / nClasses;
  return Float32Array.from(logs, (v) => v - mean);
}
