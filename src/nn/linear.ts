import { Tensor, noGrad, where } from "../engine/index.js";
import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer } from "../io/model-file.js";
import { ConfigError, ShapeError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";
import { activationChannels, weightNormChannels } from "./channels.js";
import { constrainNorms } from "./constraints.js";
import { initWeights } from "./init.js";
import { Layer, type LayerChannels, type OutputLayer, type Targets } from "./layer.js";
import { misclassRate } from "./softmax.js";
import { asMatrix, VectorSpace, type Space } from "./space.js";

/** Keyword arguments of pylearn2's mlp.Linear (camelCased). */
export interface LinearOptions {
  dim: number;
  layerName: string;
  irange?: number | null;
  istdev?: number | null;
  sparseInit?: number | null;
  sparseStdev?: number;
  includeProb?: number;
  initBias?: number;
  WLrScale?: number | null;
  bLrScale?: number | null;
  maxRowNorm?: number | null;
  maxColNorm?: number | null;
  minColNorm?: number | null;
  /** As an output layer: mean absolute instead of squared error. */
  useAbsLoss?: boolean;
  useBias?: boolean;
}

/**
 * pylearn2's Linear: z = x W + b with W (input_dim x dim), a column per unit. As an output layer
 * its cost is the regression error: mean over the batch of the sum over outputs of (y - z)^2
 * (or |y - z| with use_abs_loss). Sigmoid, Tanh and RectifiedLinear apply a nonlinearity to z.
 */
export class Linear extends Layer implements OutputLayer {
  readonly className: string = "Linear";
  readonly dim: number;

  constructor(readonly opts: LinearOptions) {
    super(opts.layerName);
    this.dim = opts.dim;
    if ((opts.maxColNorm != null || opts.minColNorm != null) && opts.maxRowNorm != null) {
      // pylearn2 raises the same: both constraints rescale W and would fight each other.
      throw new ConfigError(`layer ${opts.layerName}: a column and a row norm constraint at the same time is forbidden`);
    }
    if (opts.useBias === false && opts.bLrScale != null) {
      throw new ConfigError(`layer ${opts.layerName}: b_lr_scale is set but use_bias is false`);
    }
  }

  get W(): Tensor {
    return this.p.W;
  }

  setInputSpace(space: Space, rng: Rng): void {
    const fanIn = space.totalDim;
    const o = this.opts;
    const W = initWeights(rng, fanIn, this.dim, { irange: o.irange, istdev: o.istdev, sparseInit: o.sparseInit, sparseStdev: o.sparseStdev, includeProb: o.includeProb }, this.layerName);
    // W first, then b: pylearn2's get_params order (transformer params, then the bias).
    this.p.W = Tensor.param(W, [fanIn, this.dim], `${this.layerName}_W`);
    if (o.useBias !== false) this.p.b = Tensor.param(new Float32Array(this.dim).fill(o.initBias ?? 0), [this.dim], `${this.layerName}_b`);
    this.setSpaces(space, new VectorSpace(this.dim));
  }

  /** The affine part z = x W + b (pylearn2's _linear_part). */
  linearPart(x: Tensor): Tensor {
    const m = asMatrix(x);
    if (m.shape[1] !== this.p.W.shape[0]) {
      throw new ShapeError(`layer ${this.layerName}: expected inputs of ${this.p.W.shape[0]} values, got ${m.shape[1]}`);
    }
    const z = m.matmul(this.p.W);
    return this.p.b ? z.add(this.p.b) : z;
  }

  /** The elementwise nonlinearity applied to z (identity for Linear). */
  activate(z: Tensor): Tensor {
    return z;
  }

  fprop(x: Tensor): Tensor {
    return this.activate(this.linearPart(x));
  }

  cost(stateBelow: Tensor, targets: Targets): Tensor {
    const Y = targets.targets ?? targets.y;
    if (!Y) throw new ShapeError(`layer ${this.layerName} (${this.className}) needs targets for its cost, and the batch has none`);
    const d = Y.sub(this.fprop(stateBelow));
    const m = this.opts.useAbsLoss ? d.abs() : d.square();
    return m.sum(1).mean();
  }

  override lrScalers(): Record<string, number> {
    const r: Record<string, number> = {};
    if (this.opts.WLrScale != null) r[this.p.W.name!] = this.opts.WLrScale;
    if (this.opts.bLrScale != null && this.p.b) r[this.p.b.name!] = this.opts.bLrScale;
    return r;
  }

  override afterUpdate(): void {
    const o = this.opts;
    constrainNorms(this.p.W, [0], o.maxColNorm ?? null, o.minColNorm ?? null);
    constrainNorms(this.p.W, [1], o.maxRowNorm ?? null);
  }

  override weights(): Tensor[] {
    return [this.p.W];
  }

  /** `targets` is given only to the MLP's last layer, as pylearn2 does. */
  override monitorChannels(stateBelow: Tensor, state: Tensor, targets?: Targets): LayerChannels {
    const out: LayerChannels = { ...weightNormChannels(this.p.W), ...activationChannels(state) };
    if (targets) Object.assign(out, this.outputChannels(stateBelow, state, targets));
    return out;
  }

  /** Channels of this layer as the output layer (pylearn2 reports none for Linear). */
  protected outputChannels(_stateBelow: Tensor, _state: Tensor, _targets: Targets): LayerChannels {
    return {};
  }

  override drawable(view?: DatasetView): DrawableLayer {
    return { name: this.layerName, tensor: this.p.W.name!, layout: "vis_by_hid", ...(view ? { view } : {}) };
  }
}

export class Tanh extends Linear {
  override readonly className: string = "Tanh";
  override activate(z: Tensor): Tensor {
    return z.tanh();
  }
  override cost(): Tensor {
    throw new ConfigError(`layer ${this.layerName}: Tanh has no cost of its own (pylearn2 neither); end the MLP with Softmax, Sigmoid, Linear or SVM`);
  }
}

export type SigmoidMonitorStyle = "detection" | "one_hot_class" | "bit_vector_class" | "classification";

/**
 * pylearn2's Sigmoid. As an output layer its cost is the mean over batch and units of the
 * binary KL divergence, in the stable form y softplus(-z) + (1 - y) softplus(z).
 */
export class Sigmoid extends Linear {
  override readonly className: string = "Sigmoid";
  readonly monitorStyle: Exclude<SigmoidMonitorStyle, "classification">;

  constructor(opts: LinearOptions & { monitorStyle?: SigmoidMonitorStyle }) {
    super(opts);
    // pylearn2 maps the deprecated 'classification' to 'bit_vector_class'.
    const s = opts.monitorStyle ?? "detection";
    this.monitorStyle = s === "classification" ? "bit_vector_class" : s;
  }

  override activate(z: Tensor): Tensor {
    return z.sigmoid();
  }

  override cost(stateBelow: Tensor, targets: Targets): Tensor {
    const Y = targets.targets ?? targets.y;
    if (!Y) throw new ShapeError(`layer ${this.layerName} (Sigmoid) needs targets for its cost, and the batch has none`);
    const z = this.linearPart(stateBelow);
    return Y.mul(z.neg().softplus()).add(Y.rsub(1).mul(z.softplus())).mean();
  }

  protected override outputChannels(stateBelow: Tensor, state: Tensor, targets: Targets): LayerChannels {
    const Y = targets.targets ?? targets.y;
    if (!Y) return {};
    return noGrad((): LayerChannels => {
      if (this.monitorStyle === "detection") {
        const yHat = state.gt(0.5);
        const y = Y.gt(0.5);
        // As 0-d tensors, so a GPU computes them where the data is and the monitor reads them once.
        const tp = y.mul(yHat).sum();
        const fp = y.rsub(1).mul(yHat).sum();
        const pos = y.sum();
        // pylearn2's compute_precision/recall/f1 guard the 0/0 cases the same way (0).
        const ratio = (a: Tensor, b: Tensor) => where(b.gt(0), a.div(b), 0);
        const precision = ratio(tp, tp.add(fp));
        const recall = ratio(tp, pos);
        const f1 = ratio(precision.mul(recall).mul(2), precision.add(recall));
        return { "01_loss": y.ne(yHat).mean(), kl: this.cost(stateBelow, targets), precision, recall, f1 };
      }
      if (this.monitorStyle === "one_hot_class") return { misclass: misclassRate(state, { y: Y }) };
      // bit_vector_class: an example is wrong if any bit thresholded at 0.5 differs.
      return { misclass: Y.ne(state.gt(0.5)).max(1).mean() };
    });
  }
}

/** pylearn2's RectifiedLinear: max(z, 0) + left_slope * min(z, 0), i.e. z where z > 0 else left_slope * z. */
export class RectifiedLinear extends Linear {
  override readonly className: string = "RectifiedLinear";
  readonly leftSlope: number;

  constructor(opts: LinearOptions & { leftSlope?: number }) {
    super(opts);
    this.leftSlope = opts.leftSlope ?? 0;
  }

  override activate(z: Tensor): Tensor {
    return leakyRelu(z, this.leftSlope);
  }

  override cost(): Tensor {
    throw new ConfigError(`layer ${this.layerName}: RectifiedLinear has no cost of its own (pylearn2 neither); end the MLP with Softmax, Sigmoid, Linear or SVM`);
  }
}

/** z where z > 0, else slope * z (Theano's switch, so the gradient at exactly 0 is `slope`). */
export function leakyRelu(z: Tensor, slope: number): Tensor {
  if (slope === 0) return z.relu();
  return z.where(z.gt(0), z.mul(slope));
}
