import { Tensor } from "../engine/index.js";
import { ShapeError } from "../util/errors.js";

/**
 * pylearn2's spaces, reduced to what the MLP needs: what one example looks like between layers.
 *
 * Tensors that travel between layers are always either (batch, dim) for a VectorSpace or
 * (batch, channels, rows, cols) — NCHW — for a Conv2DSpace, whatever `axes` the YAML wrote: the
 * axes only told Theano how to lay the batch out, while dl's data rows always come channels-last
 * (the dataset view, `b01c`), and conversion happens at the MLP's input (see `imageFromRows`).
 */
export class VectorSpace {
  readonly kind = "vector" as const;
  constructor(readonly dim: number) {}
  get totalDim(): number {
    return this.dim;
  }
  toString(): string {
    return `VectorSpace(dim=${this.dim})`;
  }
}

export type Axis = "b" | "c" | 0 | 1;

export class Conv2DSpace {
  readonly kind = "conv2d" as const;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly channels: number,
    /** As written in the YAML (kept for printing and saving; the tensors are NCHW regardless). */
    readonly axes: readonly Axis[] = ["b", 0, 1, "c"],
  ) {}
  get totalDim(): number {
    return this.rows * this.cols * this.channels;
  }
  toString(): string {
    return `Conv2DSpace(shape=[${this.rows}, ${this.cols}], num_channels=${this.channels})`;
  }
}

export type Space = VectorSpace | Conv2DSpace;

/**
 * A batch of states as a (batch, dim) matrix. An NCHW image batch is flattened in (c, row, col)
 * order — pylearn2's order for a conv layer's ('b', 'c', 0, 1) output formatted as a vector.
 */
export function asMatrix(x: Tensor): Tensor {
  if (x.shape.length === 2) return x;
  return x.reshape([x.shape[0], -1]);
}

/**
 * Dataset rows (batch, rows*cols*channels), channels last as every dl dataset view is, to NCHW.
 * A 4-D tensor is taken to be NCHW already.
 */
export function imageFromRows(x: Tensor, space: Conv2DSpace): Tensor {
  if (x.shape.length === 4) {
    const [, c, h, w] = x.shape;
    if (c !== space.channels || h !== space.rows || w !== space.cols) {
      throw new ShapeError(`expected images of shape (N, ${space.channels}, ${space.rows}, ${space.cols}) for ${space}, got (${x.shape.join(", ")})`);
    }
    return x;
  }
  if (x.shape.length !== 2 || x.shape[1] !== space.totalDim) {
    throw new ShapeError(`expected rows of ${space.totalDim} values (${space.rows}x${space.cols}x${space.channels}) for ${space}, got a tensor of shape (${x.shape.join(", ")})`);
  }
  return x.reshape([x.shape[0], space.rows, space.cols, space.channels]).permute([0, 3, 1, 2]);
}

/** The inverse of `imageFromRows` for a 4-D NCHW batch: channels-last rows, in the dataset view's order. */
export function rowsFromImage(x: Tensor): Tensor {
  if (x.shape.length === 2) return x;
  return x.permute([0, 2, 3, 1]).reshape([x.shape[0], -1]);
}
