import type { Tensor } from "../engine/index.js";
import { ConfigError, ShapeError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";
import { activationChannels } from "./channels.js";
import { Layer, type LayerChannels } from "./layer.js";
import { asMatrix, VectorSpace, type Space } from "./space.js";

export interface LpPoolingOptions {
  layerName: string;
  poolSize: number;
  /** Distance between the starts of consecutive pools (default pool_size: disjoint pools). */
  poolStride?: number | null;
  p?: number;
}

/**
 * Lp pooling over groups of units (dl's own layer; no parameters). For an input vector x of
 * dimension D, output k is
 *
 *     y_k = ( sum_{i = k*stride}^{k*stride + pool_size - 1} |x_i|^p )^(1/p),   k = 0 .. (D - pool_size)/stride
 *
 * p = 1 sums magnitudes, p = 2 is the L2 norm of each group (Sermanet et al.'s L2 pooling), and
 * p -> infinity approaches max-of-magnitudes pooling. (D - pool_size) must be a multiple of the
 * stride so no input is silently left out. Put it after a Linear layer to pool learned features.
 */
export class LpPooling extends Layer {
  readonly className = "LpPooling";
  readonly poolSize: number;
  readonly poolStride: number;
  readonly pNorm: number;
  private outputDim = 0;
  private index: Int32Array | null = null;

  constructor(readonly opts: LpPoolingOptions) {
    super(opts.layerName);
    this.poolSize = opts.poolSize;
    this.poolStride = opts.poolStride ?? opts.poolSize;
    this.pNorm = opts.p ?? 2;
    if (!(this.pNorm >= 1)) throw new ConfigError(`layer ${opts.layerName}: p must be >= 1, got ${this.pNorm}`);
  }

  setInputSpace(space: Space, _rng: Rng): void {
    const D = space.totalDim;
    if (D < this.poolSize || (D - this.poolSize) % this.poolStride !== 0) {
      throw new ConfigError(
        `layer ${this.layerName}: ${D} inputs do not split into pools of ${this.poolSize} with stride ${this.poolStride} ` +
          `((inputs - pool_size) must be a non-negative multiple of pool_stride)`,
      );
    }
    this.outputDim = (D - this.poolSize) / this.poolStride + 1;
    if (this.poolStride === this.poolSize) this.index = null;
    else {
      this.index = new Int32Array(this.outputDim * this.poolSize);
      for (let k = 0; k < this.outputDim; k++) for (let i = 0; i < this.poolSize; i++) this.index[k * this.poolSize + i] = k * this.poolStride + i;
    }
    this.setSpaces(space, new VectorSpace(this.outputDim));
  }

  fprop(x: Tensor): Tensor {
    const m = asMatrix(x);
    const D = this.inputSpace.totalDim;
    if (m.shape[1] !== D) throw new ShapeError(`layer ${this.layerName}: expected inputs of ${D} values, got ${m.shape[1]}`);
    const n = m.shape[0];
    const grouped = (this.index ? m.gather(this.index, 1) : m).reshape([n, this.outputDim, this.poolSize]);
    const p = this.pNorm;
    const powered = p === 2 ? grouped.square() : p === 1 ? grouped.abs() : grouped.abs().pow(p);
    const s = powered.sum(2);
    if (p === 1) return s;
    // The root's derivative is infinite at 0, where a group of zeros (e.g. after a ReLU) would
    // give 0 * inf = NaN; there the output is 0 and, as a subgradient, so is its gradient.
    const pos = s.gt(0);
    const safe = s.where(pos, 1);
    const root = p === 2 ? safe.sqrt() : safe.pow(1 / p);
    return root.where(pos, 0);
  }

  override monitorChannels(_stateBelow: Tensor, state: Tensor): LayerChannels {
    return activationChannels(state);
  }
}
