import type { Shape } from "./shape.js";

/**
 * Everything a tensor op needs from the place its data lives. Storage is opaque to the engine
 * (a typed array on the CPU, a GPU buffer elsewhere); shapes are validated by the caller before a
 * backend method runs, so kernels never check shapes themselves. Every method returns fresh
 * storage unless its name ends in `InPlace`.
 */
export type Storage = unknown;

export type UnaryOp =
  | "neg" | "exp" | "log" | "log1p" | "sqrt" | "square" | "abs" | "tanh" | "sigmoid" | "softplus" | "relu"
  | "sign" | "step";
export type BinaryOp = "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum";
export type CompareOp = "gt" | "ge" | "lt" | "le" | "eq" | "ne";
export type ReduceOp = "sum" | "max" | "min";

export interface Conv2dGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  oh: number;
  ow: number;
}

/** Rows of a dataset: their indices, or the range [start, stop). */
export type RowSelection = ArrayLike<number> | { start: number; stop: number };

export interface Backend {
  readonly name: string;
  /** True when `readSync` works (CPU backends). */
  readonly syncRead: boolean;

  fromArray(data: ArrayLike<number>): Storage;
  /** New storage of n values that `fill` writes, where the backend can lend it out directly (saves a copy). */
  fromFill?(n: number, fill: (out: Float32Array) => void): Storage;
  /**
   * Buffer reuse across training steps (step-scope.ts), where the backend has it: while `list` is
   * set, every large buffer handed out is pushed on it; `recycle` takes back one that nothing holds.
   */
  recordAllocations?(list: Storage[] | null): void;
  recycle?(s: Storage): void;
  full(n: number, value: number): Storage;
  readSync(s: Storage, n: number): Float32Array | Float64Array;
  read(s: Storage, n: number): Promise<Float32Array | Float64Array>;
  copy(s: Storage, n: number): Storage;

  unary(op: UnaryOp, x: Storage, n: number): Storage;
  binary(op: BinaryOp | CompareOp, a: Storage, aShape: Shape, b: Storage, bShape: Shape, outShape: Shape): Storage;
  where(cond: Storage, cShape: Shape, a: Storage, aShape: Shape, b: Storage, bShape: Shape, outShape: Shape): Storage;
  /** Reduces `axes` (sorted) of x; the result has the reduced dims removed (its size is the product of the kept dims). */
  reduce(op: ReduceOp, x: Storage, shape: Shape, axes: readonly number[]): Storage;
  /** Index of the max along `axis` (first on ties), as float values. */
  argmax(x: Storage, shape: Shape, axis: number): Storage;
  /** Batched GEMM: for each of `batch`, C = op(A) op(B); strides between batch items (0 = shared). */
  matmul(a: Storage, b: Storage, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    aBatchStride: number, bBatchStride: number): Storage;
  permute(x: Storage, shape: Shape, perm: readonly number[]): Storage;
  /** Sub-block [starts, starts + outShape) of x. */
  slice(x: Storage, shape: Shape, starts: readonly number[], outShape: Shape): Storage;
  /** The adjoint of slice: x placed at `starts` inside zeros of `outShape`. */
  pad(x: Storage, shape: Shape, starts: readonly number[], outShape: Shape): Storage;
  /** Rows `indices` along `axis`. */
  gather(x: Storage, shape: Shape, axis: number, indices: Int32Array): Storage;
  /** The adjoint of gather: g (shaped like the gather output) added into zeros of `outShape`. */
  scatterAdd(g: Storage, gShape: Shape, axis: number, indices: Int32Array, outShape: Shape): Storage;
  oneHot(indices: Int32Array, depth: number): Storage;
  im2col(x: Storage, g: Conv2dGeometry): Storage;
  col2im(cols: Storage, g: Conv2dGeometry): Storage;
  /**
   * Max pooling; also returns, per output, which input won, for the backward pass only. Its form is
   * the backend's own (CPU: an Int32Array of flat input indices; GPU: a device buffer), so a GPU
   * never has to read it back.
   */
  maxPool2d(x: Storage, g: Conv2dGeometry): { out: Storage; argmax: Storage };
  maxPool2dBackward(gy: Storage, argmax: Storage, inputSize: number): Storage;
  avgPool2d(x: Storage, g: Conv2dGeometry): Storage;
  avgPool2dBackward(gy: Storage, g: Conv2dGeometry): Storage;
  /**
   * log(softmax) of each of `rows` contiguous rows of `cols` values: x - max - log(sum(exp(x - max))),
   * NaN in a row making the whole row NaN. One pass instead of the seven ops the formula takes.
   */
  logSoftmax(x: Storage, rows: number, cols: number): Storage;
  /** Its adjoint, from the output y: g - exp(y) * (the row's sum of g). */
  logSoftmaxBackward(y: Storage, g: Storage, rows: number, cols: number): Storage;

  /** y += alpha * x (optimizer updates; no autodiff). */
  axpyInPlace(y: Storage, x: Storage, alpha: number, n: number): void;
  /** y = x (same size). */
  assignInPlace(y: Storage, x: Storage, n: number): void;
  /**
   * Optional: the Momentum rule's update in one pass, in the storage's precision with every operation
   * rounded: v = m v - lr g; p = p + v (Nesterov: p = (p + m v) - lr g). Backends without it get axpys.
   */
  momentumInPlace?(p: Storage, v: Storage, g: Storage, n: number, momentum: number, lr: number, nesterov: boolean): void;
  /** Optional: x repeated along its size-1 (or missing leading) axes to `outShape`, values copied as they are. */
  broadcastTo?(x: Storage, shape: Shape, outShape: Shape): Storage;
  /**
   * Optional: rows `sel` (indices, or a range) of a host dataset with rows of `dim` values, cut
   * from the backend's own copy of the dataset (a GPU uploads it once instead of every batch);
   * null where it keeps none. The array must not change afterwards.
   */
  datasetRows?(data: Float32Array, dim: number, sel: RowSelection): Storage | null;
  /** Optional, likewise: the one-hot rows [n, depth] of the labels of rows `sel`. */
  datasetOneHot?(labels: Int32Array, depth: number, sel: RowSelection): Storage | null;
}
