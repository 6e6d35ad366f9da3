import { Tensor } from "../engine/index.js";
import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer } from "../io/model-file.js";
import { ConfigError, ShapeError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";
import { activationChannels, weightNormChannels } from "./channels.js";
import { constrainNorms } from "./constraints.js";
import { initWeights } from "./init.js";
import { Layer, type LayerChannels, type StateArrays } from "./layer.js";
import { asMatrix, VectorSpace, type Space } from "./space.js";

export interface MaxoutOptions {
  layerName: string;
  numUnits: number;
  numPieces: number;
  /** Distance between the starts of consecutive pools (default num_pieces: disjoint pools). */
  poolStride?: number | null;
  randomizePools?: boolean;
  irange?: number | null;
  sparseInit?: number | null;
  sparseStdev?: number;
  includeProb?: number;
  initBias?: number;
  WLrScale?: number | null;
  bLrScale?: number | null;
  maxColNorm?: number | null;
  maxRowNorm?: number | null;
  /** Include 0 among the pieces: max(0, pieces). */
  minZero?: boolean;
}

/**
 * pylearn2's Maxout (Goodfellow et al. 2013): z = x W + b over num_units * num_pieces detector
 * units, then output k = max over the pool z[k*stride], ..., z[k*stride + num_pieces - 1]
 * (contiguous pieces, as pylearn2 slices `z[:, i:last_start+i+1:pool_stride]`). With
 * randomize_pools the detector units are first shuffled by a fixed random selection (pylearn2's
 * permutation matrix: column j takes detector unit i_j, i_j drawn uniformly with replacement).
 */
export class Maxout extends Layer {
  readonly className = "Maxout";
  readonly detectorDim: number;
  readonly poolSize: number;
  readonly poolStride: number;
  readonly outputDim: number;
  /** Which detector unit feeds each pooled position (randomize_pools), else null. */
  private permute: Int32Array | null = null;
  /** Detector columns of each pool, pool after pool, when pools overlap or are shuffled. */
  private poolIndex: Int32Array | null = null;

  constructor(readonly opts: MaxoutOptions) {
    super(opts.layerName);
    this.detectorDim = opts.numUnits * opts.numPieces;
    this.poolSize = opts.numPieces;
    this.poolStride = opts.poolStride ?? opts.numPieces;
    const rem = (this.detectorDim - this.poolSize) % this.poolStride;
    if (rem !== 0) {
      throw new ConfigError(
        `layer ${opts.layerName}: the ${this.detectorDim} detector units (num_units * num_pieces) do not split into pools of ${this.poolSize} with stride ${this.poolStride} (remainder ${rem})`,
      );
    }
    if (opts.maxColNorm != null && opts.maxRowNorm != null) {
      throw new ConfigError(`layer ${opts.layerName}: a column and a row norm constraint at the same time is forbidden`);
    }
    this.outputDim = (this.detectorDim - this.poolSize) / this.poolStride + 1;
  }

  setInputSpace(space: Space, rng: Rng): void {
    const o = this.opts;
    const fanIn = space.totalDim;
    this.p.W = Tensor.param(
      initWeights(rng, fanIn, this.detectorDim, { irange: o.irange, sparseInit: o.sparseInit, sparseStdev: o.sparseStdev, includeProb: o.includeProb }, this.layerName),
      [fanIn, this.detectorDim],
      `${this.layerName}_W`,
    );
    this.p.b = Tensor.param(new Float32Array(this.detectorDim).fill(o.initBias ?? 0), [this.detectorDim], `${this.layerName}_b`);
    if (o.randomizePools) {
      this.permute = new Int32Array(this.detectorDim);
      for (let j = 0; j < this.detectorDim; j++) this.permute[j] = rng.randint(this.detectorDim);
    }
    this.buildPoolIndex();
    this.setSpaces(space, new VectorSpace(this.outputDim));
  }

  private buildPoolIndex(): void {
    const disjoint = this.poolStride === this.poolSize;
    if (disjoint && !this.permute) {
      this.poolIndex = null; // a reshape does it
      return;
    }
    const idx = new Int32Array(this.outputDim * this.poolSize);
    for (let k = 0; k < this.outputDim; k++) {
      for (let i = 0; i < this.poolSize; i++) {
        const col = k * this.poolStride + i;
        idx[k * this.poolSize + i] = this.permute ? this.permute[col] : col;
      }
    }
    this.poolIndex = idx;
  }

  /** The detector layer z = x W + b (before pooling). */
  detector(x: Tensor): Tensor {
    const m = asMatrix(x);
    if (m.shape[1] !== this.p.W.shape[0]) throw new ShapeError(`layer ${this.layerName}: expected inputs of ${this.p.W.shape[0]} values, got ${m.shape[1]}`);
    return m.matmul(this.p.W).add(this.p.b);
  }

  fprop(x: Tensor): Tensor {
    const z = this.detector(x);
    const n = z.shape[0];
    const pooled = this.poolIndex ? z.gather(this.poolIndex, 1) : z;
    let p = pooled.reshape([n, this.outputDim, this.poolSize]).max(2);
    if (this.opts.minZero) p = p.relu();
    return p;
  }

  override lrScalers(): Record<string, number> {
    const r: Record<string, number> = {};
    if (this.opts.WLrScale != null) r[this.p.W.name!] = this.opts.WLrScale;
    if (this.opts.bLrScale != null) r[this.p.b.name!] = this.opts.bLrScale;
    return r;
  }

  override afterUpdate(): void {
    constrainNorms(this.p.W, [0], this.opts.maxColNorm ?? null);
    constrainNorms(this.p.W, [1], this.opts.maxRowNorm ?? null);
  }

  override weights(): Tensor[] {
    return [this.p.W];
  }

  override monitorChannels(_stateBelow: Tensor, state: Tensor): LayerChannels {
    return { ...weightNormChannels(this.p.W), ...activationChannels(state, ".", this.poolSize === 1 ? "" : "p_") };
  }

  override drawable(view?: DatasetView): DrawableLayer {
    return { name: this.layerName, tensor: this.p.W.name!, layout: "vis_by_hid", ...(view ? { view } : {}) };
  }

  override extraState(): StateArrays {
    if (!this.permute) return {};
    return { [`${this.layerName}_permute`]: { shape: [this.detectorDim], data: Float32Array.from(this.permute) } };
  }

  override loadExtraState(state: StateArrays): void {
    const s = state[`${this.layerName}_permute`];
    if (!s || !this.permute) return;
    this.permute = Int32Array.from(s.data);
    this.buildPoolIndex();
  }
}
