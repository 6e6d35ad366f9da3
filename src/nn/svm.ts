import { Tensor, noGrad } from "../engine/index.js";
import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer } from "../io/model-file.js";
import { ShapeError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";
import { weightNormChannels } from "./channels.js";
import { constrainNorms } from "./constraints.js";
import { initWeights } from "./init.js";
import { Layer, type LayerChannels, type OutputLayer, type Targets } from "./layer.js";
import { misclassRate, oneHotTargets } from "./softmax.js";
import { asMatrix, VectorSpace, type Space } from "./space.js";

/**
 * The one-vs-rest multiclass hinge loss: each class k is its own binary linear SVM with target
 * t_k = +1 for the true class and -1 for the others, and the loss is the sum of their hinges,
 * averaged over the batch:
 *
 *     L = mean_n sum_k max(0, margin - t_nk s_nk)        (squared: max(0, ...)^2, the L2-SVM)
 *
 * One-vs-rest rather than Crammer-Singer because it is what "an SVM on learned features" meant
 * in pylearn2's day (its DenseMulticlassSVM wrapped scikit-learn's one-vs-rest SVC), every class
 * gets a gradient from every example (Crammer-Singer only from the worst rival), and it matches
 * LinearSVC/liblinear results people compare against. The margin penalty of an SVM (|W|^2 / C)
 * comes from adding a WeightDecay cost.
 */
export function oneVsRestHinge(scores: Tensor, Y: Tensor, margin = 1, squared = false): Tensor {
  const t = Y.mul(2).sub(1);
  const h = t.mul(scores).rsub(margin).relu();
  return (squared ? h.square() : h).sum(1).mean();
}

export interface SVMOptions {
  nClasses: number;
  layerName: string;
  irange?: number | null;
  istdev?: number | null;
  sparseInit?: number | null;
  initBias?: number;
  maxColNorm?: number | null;
}

/**
 * A linear multiclass SVM output layer (dl's own): scores s = x W + b, one column per class; the
 * prediction is the class with the highest score. Its default cost is the one-vs-rest hinge with
 * margin 1; the `Hinge` cost sets another margin or the squared form.
 */
export class SVM extends Layer implements OutputLayer {
  readonly className = "SVM";
  readonly nClasses: number;

  constructor(readonly opts: SVMOptions) {
    super(opts.layerName);
    this.nClasses = opts.nClasses;
  }

  setInputSpace(space: Space, rng: Rng): void {
    const o = this.opts;
    const fanIn = space.totalDim;
    this.p.W = Tensor.param(initWeights(rng, fanIn, this.nClasses, { irange: o.irange, istdev: o.istdev, sparseInit: o.sparseInit }, this.layerName), [fanIn, this.nClasses], `${this.layerName}_W`);
    this.p.b = Tensor.param(new Float32Array(this.nClasses).fill(o.initBias ?? 0), [this.nClasses], `${this.layerName}_b`);
    this.setSpaces(space, new VectorSpace(this.nClasses));
  }

  fprop(x: Tensor): Tensor {
    const m = asMatrix(x);
    if (m.shape[1] !== this.p.W.shape[0]) throw new ShapeError(`layer ${this.layerName}: expected inputs of ${this.p.W.shape[0]} values, got ${m.shape[1]}`);
    return m.matmul(this.p.W).add(this.p.b);
  }

  /** The hinge loss of the scores for inputs `stateBelow`. */
  hinge(stateBelow: Tensor, targets: Targets, margin = 1, squared = false): Tensor {
    const s = this.fprop(stateBelow);
    return oneVsRestHinge(s, oneHotTargets(targets, this.nClasses, s, this.layerName), margin, squared);
  }

  cost(stateBelow: Tensor, targets: Targets): Tensor {
    return this.hinge(stateBelow, targets);
  }

  override afterUpdate(): void {
    constrainNorms(this.p.W, [0], this.opts.maxColNorm ?? null);
  }

  override weights(): Tensor[] {
    return [this.p.W];
  }

  override monitorChannels(stateBelow: Tensor, state: Tensor, targets?: Targets): LayerChannels {
    const out = weightNormChannels(this.p.W);
    if (targets && (targets.y || targets.labels)) {
      noGrad(() => {
        out.misclass = misclassRate(state, targets);
        out.hinge = oneVsRestHinge(state, oneHotTargets(targets, this.nClasses, state, this.layerName));
      });
    }
    return out;
  }

  override drawable(view?: DatasetView): DrawableLayer {
    return { name: this.layerName, tensor: this.p.W.name!, layout: "vis_by_hid", ...(view ? { view } : {}) };
  }
}
