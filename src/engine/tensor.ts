import type { Backend, BinaryOp, CompareOp, Conv2dGeometry, ReduceOp, Storage, UnaryOp } from "./backend.js";
import { engineState } from "./context.js";
import { assertShape } from "../util/errors.js";
import { broadcastShapes, fmt, normalizeAxes, shapeEq, sizeOf, type Shape } from "./shape.js";

/** Every primitive the autodiff knows; each has exactly one gradient rule in grads.ts. */
export type Prim =
  | UnaryOp
  | BinaryOp
  | "compare"
  | "where"
  | "reduce_sum"
  | "reduce_max"
  | "reduce_min"
  | "log_softmax"
  | "matmul"
  | "reshape"
  | "expand"
  | "permute"
  | "slice"
  | "pad"
  | "concat"
  | "gather"
  | "scatter_add"
  | "im2col"
  | "col2im"
  | "max_pool2d"
  | "avg_pool2d";

/** What backward needs to know about how a tensor was made. */
export interface GraphNode {
  readonly op: Prim;
  readonly inputs: readonly Tensor[];
  readonly attrs: Record<string, unknown>;
}

export type TensorLike = Tensor | number;

/**
 * A float32 n-dimensional array on a backend, with the graph edge that made it when it needs a
 * gradient. Ops are methods (`x.matmul(w).add(b).sigmoid()`); each validates shapes once, runs one
 * backend kernel and, if any input requires a gradient and grad mode is on, records a node.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  /** Backend storage; replaced wholesale (never mutated in place) except by explicit *InPlace calls. */
  private storage: Storage;
  /** The training step (step-scope.ts) that made this tensor and releases it at its end; 0: none. */
  scopeId: number;
  readonly backend: Backend;
  requiresGrad: boolean;
  /** Filled by `backward()` on leaves that require a gradient (accumulates across calls). */
  grad: Tensor | null = null;
  node: GraphNode | null;
  /** Optional name, used by error messages and by NaN checks ("parameter W became NaN"). */
  name?: string;

  constructor(data: Storage, shape: readonly number[], backend: Backend, node: GraphNode | null = null, requiresGrad = false) {
    this.storage = data;
    const scope = engineState.scope;
    this.scopeId = scope === null ? 0 : scope.id;
    if (scope !== null) scope.tensors.push(this);
    this.shape = shape;
    this.size = sizeOf(shape);
    this.backend = backend;
    this.node = node;
    this.requiresGrad = requiresGrad || node !== null;
  }

  get data(): Storage {
    const d = this.storage;
    if (d === RELEASED) throw releasedError(this);
    return d;
  }

  set data(d: Storage) {
    // A tensor from outside the running step now holds this buffer: the step must not recycle it.
    const scope = engineState.scope;
    if (scope !== null && this.scopeId !== scope.id) scope.escaped.add(d);
    this.storage = d;
  }

  /** Ends a step-made tensor's life (step-scope.ts): its buffer may be handed out again. */
  release(): void {
    this.storage = RELEASED;
  }

  // ---------- creation ----------

  static from(values: ArrayLike<number>, shape?: readonly number[], backend: Backend = engineState.backend): Tensor {
    const sh = shape ?? [values.length];
    assertShape(sizeOf(sh) === values.length, () => `Tensor.from: ${values.length} values cannot have shape ${fmt(sh)}`);
    return new Tensor(backend.fromArray(values), [...sh], backend);
  }

  /** A tensor whose values `fill` writes (every one of them), without an intermediate copy where the backend allows. */
  static fromFill(shape: readonly number[], fill: (out: Float32Array) => void, backend: Backend = engineState.backend): Tensor {
    const n = sizeOf(shape);
    if (backend.fromFill) return new Tensor(backend.fromFill(n, fill), [...shape], backend);
    const tmp = new Float32Array(n);
    fill(tmp);
    return new Tensor(backend.fromArray(tmp), [...shape], backend);
  }

  static scalar(v: number, backend: Backend = engineState.backend): Tensor {
    return new Tensor(backend.full(1, v), [], backend);
  }

  static full(shape: readonly number[], v: number, backend: Backend = engineState.backend): Tensor {
    return new Tensor(backend.full(sizeOf(shape), v), [...shape], backend);
  }

  static zeros(shape: readonly number[], backend: Backend = engineState.backend): Tensor {
    return Tensor.full(shape, 0, backend);
  }

  static ones(shape: readonly number[], backend: Backend = engineState.backend): Tensor {
    return Tensor.full(shape, 1, backend);
  }

  /** A trainable leaf. */
  static param(values: ArrayLike<number>, shape: readonly number[], name?: string, backend: Backend = engineState.backend): Tensor {
    const t = Tensor.from(values, shape, backend);
    t.requiresGrad = true;
    t.name = name;
    return t;
  }

  static oneHot(indices: Int32Array, depth: number, backend: Backend = engineState.backend): Tensor {
    for (let i = 0; i < indices.length; i++) {
      assertShape(indices[i] >= 0 && indices[i] < depth, () => `oneHot: index ${indices[i]} at position ${i} is outside [0, ${depth})`);
    }
    return new Tensor(backend.oneHot(indices, depth), [indices.length, depth], backend);
  }

  // ---------- reading ----------

  /** Values as a typed array (CPU backends only; use `read()` elsewhere). Do not mutate it. */
  toArray(): Float32Array | Float64Array {
    if (!this.backend.syncRead) throw new Error(`toArray: the ${this.backend.name} backend reads asynchronously; use await t.read()`);
    return this.backend.readSync(this.readOut(), this.size);
  }

  read(): Promise<Float32Array | Float64Array> {
    return this.backend.read(this.readOut(), this.size);
  }

  /** The storage, marked as held outside the running step: a CPU read returns the buffer itself. */
  private readOut(): Storage {
    const d = this.data;
    engineState.scope?.escaped.add(d);
    return d;
  }

  item(): number {
    assertShape(this.size === 1, () => `item: tensor of shape ${fmt(this.shape)} has ${this.size} values, not 1`);
    return this.toArray()[0];
  }

  /** The same values, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.backend);
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}${this.name ? `, ${this.name}` : ""})`;
  }

  // ---------- elementwise ----------

  neg(): Tensor { return unary("neg", this); }
  exp(): Tensor { return unary("exp", this); }
  log(): Tensor { return unary("log", this); }
  log1p(): Tensor { return unary("log1p", this); }
  sqrt(): Tensor { return unary("sqrt", this); }
  square(): Tensor { return unary("square", this); }
  abs(): Tensor { return unary("abs", this); }
  tanh(): Tensor { return unary("tanh", this); }
  sigmoid(): Tensor { return unary("sigmoid", this); }
  /** log(1 + e^x), computed without overflow. */
  softplus(): Tensor { return unary("softplus", this); }
  relu(): Tensor { return unary("relu", this); }
  /** -1, 0 or 1 (no gradient). */
  sign(): Tensor { return unary("sign", this); }
  /** 1 where x > 0, else 0 (NaN included): the mask x.gt(0) without a constant operand to upload. */
  step(): Tensor { return unary("step", this); }

  add(o: TensorLike): Tensor { return binary("add", this, o); }
  sub(o: TensorLike): Tensor { return binary("sub", this, o); }
  mul(o: TensorLike): Tensor { return binary("mul", this, o); }
  div(o: TensorLike): Tensor { return binary("div", this, o); }
  pow(o: TensorLike): Tensor { return binary("pow", this, o); }
  maximum(o: TensorLike): Tensor { return binary("maximum", this, o); }
  minimum(o: TensorLike): Tensor { return binary("minimum", this, o); }
  /** o - this, for scalars on the left (`1 - p`). */
  rsub(o: TensorLike): Tensor { return binary("sub", lift(o, this.backend), this); }
  /** o / this. */
  rdiv(o: TensorLike): Tensor { return binary("div", lift(o, this.backend), this); }

  gt(o: TensorLike): Tensor { return compare("gt", this, o); }
  ge(o: TensorLike): Tensor { return compare("ge", this, o); }
  lt(o: TensorLike): Tensor { return compare("lt", this, o); }
  le(o: TensorLike): Tensor { return compare("le", this, o); }
  eq(o: TensorLike): Tensor { return compare("eq", this, o); }
  ne(o: TensorLike): Tensor { return compare("ne", this, o); }

  /** Limits values to [lo, hi]; the gradient passes where lo < x < hi (and at ties, to x). */
  clip(lo: number, hi: number): Tensor {
    return this.maximum(lo).minimum(hi);
  }

  // ---------- reductions ----------

  sum(axes?: number | readonly number[], keepdims = false): Tensor { return reduce("sum", this, axes, keepdims); }
  max(axes?: number | readonly number[], keepdims = false): Tensor { return reduce("max", this, axes, keepdims); }
  min(axes?: number | readonly number[], keepdims = false): Tensor { return reduce("min", this, axes, keepdims); }

  mean(axes?: number | readonly number[], keepdims = false): Tensor {
    const ax = normalizeAxes("mean", axes, this.shape.length);
    let count = 1;
    for (const a of ax) count *= this.shape[a];
    return this.sum(ax, keepdims).mul(1 / count);
  }

  /** log(sum(exp(x))) along axes, stable: the max is subtracted first (its gradient cancels exactly). */
  logsumexp(axes?: number | readonly number[], keepdims = false): Tensor {
    const m = this.max(axes, true).detach();
    const r = this.sub(m).exp().sum(axes, true).log().add(m);
    return keepdims ? r : r.reshape(reduceShape(this.shape, normalizeAxes("logsumexp", axes, this.shape.length), false));
  }

  /** Indices of the max along `axis` (no gradient), as an Int32Array. */
  argmax(axis = -1): Int32Array {
    const ax = normalizeAxes("argmax", axis, this.shape.length)[0];
    const s = this.backend.argmax(this.data, this.shape, ax);
    const vals = this.backend.readSync(s, this.size / this.shape[ax]);
    return Int32Array.from(vals);
  }

  softmax(axis = -1): Tensor {
    if (isLastAxis("softmax", axis, this.shape)) return this.logSoftmax(axis).exp();
    const e = this.sub(this.max(axis, true).detach()).exp();
    return e.div(e.sum(axis, true));
  }

  /** log(softmax); along the last axis it is one fused kernel (and one for its gradient). */
  logSoftmax(axis = -1): Tensor {
    if (!isLastAxis("logSoftmax", axis, this.shape)) return this.sub(this.logsumexp(axis, true));
    const cols = this.shape[this.shape.length - 1];
    const rows = cols === 0 ? 0 : this.size / cols;
    return make("log_softmax", [this], this.backend.logSoftmax(this.data, rows, cols), this.shape, { rows, cols });
  }

  // ---------- linear algebra ----------

  /**
   * Matrix product. 2-D x 2-D, 3-D x 3-D (same batch), or 3-D x 2-D (the 2-D operand shared by
   * every batch item). `transA` / `transB` use the transposed operand without copying it.
   */
  matmul(b: Tensor, transA = false, transB = false): Tensor {
    return matmul(this, b, transA, transB);
  }

  // ---------- shape ----------

  reshape(shape: readonly number[]): Tensor {
    let sh = shape;
    const neg = shape.indexOf(-1);
    if (neg >= 0) {
      const known = shape.reduce((a, d, i) => (i === neg ? a : a * d), 1);
      sh = shape.map((d, i) => (i === neg ? this.size / known : d));
    }
    assertShape(sizeOf(sh) === this.size, () => `reshape: cannot reshape ${fmt(this.shape)} (${this.size} values) to ${fmt(shape)}`);
    if (shapeEq(sh, this.shape)) return this;
    return make("reshape", [this], this.data, [...sh], {});
  }

  flatten(startAxis = 1): Tensor {
    const lead = this.shape.slice(0, startAxis);
    return this.reshape([...lead, -1]);
  }

  /** Broadcasts to `shape` (numpy rules). */
  expand(shape: readonly number[]): Tensor {
    const out = broadcastShapes("expand", this.shape, shape);
    assertShape(shapeEq(out, shape), () => `expand: ${fmt(this.shape)} cannot be broadcast to ${fmt(shape)}`);
    if (shapeEq(this.shape, shape)) return this;
    const b = this.backend;
    if (b.broadcastTo) return make("expand", [this], b.broadcastTo(this.data, this.shape, out), out, {});
    return make("expand", [this], b.binary("add", this.data, this.shape, b.full(1, 0), [], out), out, {});
  }

  permute(perm: readonly number[]): Tensor {
    const r = this.shape.length;
    assertShape(perm.length === r && [...perm].sort((a, b) => a - b).every((p, i) => p === i),
      () => `permute: [${perm.join(", ")}] is not a permutation of the ${r} axes of ${fmt(this.shape)}`);
    if (perm.every((p, i) => p === i)) return this;
    return make("permute", [this], this.backend.permute(this.data, this.shape, perm), perm.map((p) => this.shape[p]), { perm });
  }

  /** Swaps the last two axes (a 2-D transpose). */
  transpose(): Tensor {
    const r = this.shape.length;
    assertShape(r >= 2, () => `transpose: needs at least 2 axes, got ${fmt(this.shape)}`);
    const perm = Array.from({ length: r }, (_, i) => i);
    perm[r - 2] = r - 1;
    perm[r - 1] = r - 2;
    return this.permute(perm);
  }

  get T(): Tensor {
    return this.transpose();
  }

  /** The block [starts, ends) (ends may be omitted per axis: to the end; negative counts from the end). */
  slice(starts: readonly number[], ends?: readonly (number | undefined)[]): Tensor {
    const r = this.shape.length;
    assertShape(starts.length <= r, () => `slice: ${starts.length} starts for a tensor of shape ${fmt(this.shape)}`);
    const st: number[] = [];
    const outShape: number[] = [];
    for (let d = 0; d < r; d++) {
      const dim = this.shape[d];
      let s = starts[d] ?? 0;
      let e = ends?.[d] ?? dim;
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      assertShape(s >= 0 && e <= dim && s <= e, () => `slice: range [${starts[d]}, ${ends?.[d]}) is outside axis ${d} of ${fmt(this.shape)}`);
      st.push(s);
      outShape.push(e - s);
    }
    if (shapeEq(outShape, this.shape)) return this;
    return make("slice", [this], this.backend.slice(this.data, this.shape, st, outShape), outShape, { starts: st });
  }

  /** Zero padding: `before[d]` zeros before and `after[d]` after along each axis. */
  pad(before: readonly number[], after: readonly number[]): Tensor {
    const outShape = this.shape.map((d, i) => d + (before[i] ?? 0) + (after[i] ?? 0));
    const starts = this.shape.map((_, i) => before[i] ?? 0);
    return make("pad", [this], this.backend.pad(this.data, this.shape, starts, outShape), outShape, { starts });
  }

  static concat(xs: readonly Tensor[], axis = 0): Tensor {
    assertShape(xs.length > 0, () => "concat: needs at least one tensor");
    const r = xs[0].shape.length;
    const ax = normalizeAxes("concat", axis, r)[0];
    for (const x of xs) {
      assertShape(x.shape.length === r && x.shape.every((d, i) => i === ax || d === xs[0].shape[i]),
        () => `concat: shapes ${xs.map((t) => fmt(t.shape)).join(", ")} differ outside axis ${ax}`);
    }
    const outShape = [...xs[0].shape];
    outShape[ax] = xs.reduce((a, x) => a + x.shape[ax], 0);
    const backend = xs[0].backend;
    // Built from pads + adds at the backend level so every backend gets concat for free.
    let acc: Storage | null = null;
    let off = 0;
    const offsets: number[] = [];
    for (const x of xs) {
      const starts = outShape.map((_, i) => (i === ax ? off : 0));
      offsets.push(off);
      const padded = backend.pad(x.data, x.shape, starts, outShape);
      acc = acc === null ? padded : backend.binary("add", acc, outShape, padded, outShape, outShape);
      off += x.shape[ax];
    }
    return make("concat", xs, acc, outShape, { axis: ax, offsets });
  }

  /** Entries `indices` along `axis` (e.g. rows of an embedding or a minibatch of a dataset). */
  gather(indices: Int32Array, axis = 0): Tensor {
    const ax = normalizeAxes("gather", axis, this.shape.length)[0];
    const len = this.shape[ax];
    for (let i = 0; i < indices.length; i++) {
      assertShape(indices[i] >= 0 && indices[i] < len, () => `gather: index ${indices[i]} is outside [0, ${len}) on axis ${ax} of ${fmt(this.shape)}`);
    }
    const outShape = [...this.shape];
    outShape[ax] = indices.length;
    return make("gather", [this], this.backend.gather(this.data, this.shape, ax, indices), outShape, { axis: ax, indices });
  }

  /** Adds slices of this tensor into zeros of `outShape` at `indices` along `axis` (the adjoint of gather). */
  scatterAdd(indices: Int32Array, axis: number, outShape: readonly number[]): Tensor {
    return make("scatter_add", [this], this.backend.scatterAdd(this.data, this.shape, axis, indices, outShape), [...outShape], {
      axis, indices, inShape: this.shape,
    });
  }

  /** Elementwise choice: where `cond` is non-zero take this, else `other`. */
  where(cond: Tensor, other: TensorLike): Tensor {
    return where(cond, this, other);
  }

  // ---------- convolution and pooling (NCHW) ----------

  /** x (N,C,H,W) -> columns (C*kh*kw, N*oh*ow) for convolution by matrix product. */
  im2col(kh: number, kw: number, stride: [number, number] = [1, 1], padding: [number, number] = [0, 0]): Tensor {
    const g = convGeometry("im2col", this.shape, kh, kw, stride, padding);
    return make("im2col", [this], this.backend.im2col(this.data, g), [g.C * kh * kw, g.N * g.oh * g.ow], { g });
  }

  /**
   * 2-D convolution (cross-correlation, as Theano's conv2d with filter flipping off — the convention
   * pylearn2's ConvElemwise learned in). x: (N,C,H,W), w: (O,C,kh,kw) -> (N,O,oh,ow).
   */
  conv2d(w: Tensor, stride: [number, number] = [1, 1], padding: [number, number] = [0, 0]): Tensor {
    assertShape(this.shape.length === 4 && w.shape.length === 4 && w.shape[1] === this.shape[1],
      () => `conv2d: input ${fmt(this.shape)} (N,C,H,W) and filters ${fmt(w.shape)} (O,C,kh,kw) do not match`);
    const [O, C, kh, kw] = w.shape;
    const cols = this.im2col(kh, kw, stride, padding); // (C*kh*kw, N*oh*ow)
    const N = this.shape[0];
    const g = convGeometry("conv2d", this.shape, kh, kw, stride, padding);
    const y = w.reshape([O, C * kh * kw]).matmul(cols); // (O, N*oh*ow)
    return y.reshape([O, N, g.oh, g.ow]).permute([1, 0, 2, 3]);
  }

  maxPool2d(kernel: [number, number], stride: [number, number] = kernel, padding: [number, number] = [0, 0]): Tensor {
    const g = convGeometry("maxPool2d", this.shape, kernel[0], kernel[1], stride, padding);
    const { out, argmax } = this.backend.maxPool2d(this.data, g);
    return make("max_pool2d", [this], out, [g.N, g.C, g.oh, g.ow], { g, argmax });
  }

  avgPool2d(kernel: [number, number], stride: [number, number] = kernel, padding: [number, number] = [0, 0]): Tensor {
    const g = convGeometry("avgPool2d", this.shape, kernel[0], kernel[1], stride, padding);
    return make("avg_pool2d", [this], this.backend.avgPool2d(this.data, g), [g.N, g.C, g.oh, g.ow], { g });
  }

  // ---------- in-place updates (no autodiff) ----------

  /** this += alpha * x, in place (optimizers). */
  axpyInPlace(x: Tensor, alpha: number): this {
    assertShape(x.size === this.size, () => `axpyInPlace: ${fmt(x.shape)} into ${fmt(this.shape)}`);
    this.backend.axpyInPlace(this.data, x.data, alpha, this.size);
    return this;
  }

  /** this = x's values, in place. */
  assign(x: Tensor): this {
    assertShape(x.size === this.size, () => `assign: ${fmt(x.shape)} into ${fmt(this.shape)}`);
    this.backend.assignInPlace(this.data, x.data, this.size);
    return this;
  }
}

// ---------- op plumbing ----------

function lift(v: TensorLike, backend: Backend): Tensor {
  return typeof v === "number" ? new Tensor(backend.full(1, v), [], backend) : v;
}

/** What a released tensor holds; reading it is a bug in the code that kept the tensor. */
const RELEASED: Storage = Object.freeze({ released: true });

function releasedError(t: Tensor): Error {
  return new Error(
    `${t} was made during a training step and released when the step ended; ` +
      "state that lives on across steps must be passed to keepBeyondStep (src/engine/step-scope.ts)",
  );
}

/** Creates the result tensor and, when a gradient is wanted, its graph node. */
function make(op: Prim, inputs: readonly Tensor[], data: Storage, shape: readonly number[], attrs: Record<string, unknown>): Tensor {
  const backend = inputs[0].backend;
  let needs = false;
  if (engineState.gradEnabled) for (let i = 0; i < inputs.length; i++) if (inputs[i].requiresGrad) needs = true;
  return new Tensor(data, shape, backend, needs ? { op, inputs, attrs } : null);
}

function sameBackend(op: string, a: Tensor, b: Tensor): void {
  if (a.backend !== b.backend) {
    throw new Error(`${op}: tensors live on different backends (${a.backend.name} and ${b.backend.name})`);
  }
}

function unary(op: UnaryOp, x: Tensor): Tensor {
  return make(op, [x], x.backend.unary(op, x.data, x.size), x.shape, {});
}

function binary(op: BinaryOp, a: Tensor, bLike: TensorLike): Tensor {
  const b = lift(bLike, a.backend);
  sameBackend(op, a, b);
  const out = broadcastShapes(op, a.shape, b.shape);
  return make(op, [a, b], a.backend.binary(op, a.data, a.shape, b.data, b.shape, out), out, {});
}

function compare(op: CompareOp, a: Tensor, bLike: TensorLike): Tensor {
  const b = lift(bLike, a.backend);
  sameBackend(op, a, b);
  const out = broadcastShapes(op, a.shape, b.shape);
  // Masks carry no gradient: the node is never recorded.
  return new Tensor(a.backend.binary(op, a.data, a.shape, b.data, b.shape, out), out, a.backend);
}

export function where(cond: Tensor, aLike: TensorLike, bLike: TensorLike): Tensor {
  const backend = cond.backend;
  const a = lift(aLike, backend);
  const b = lift(bLike, backend);
  const out = broadcastShapes("where", broadcastShapes("where", cond.shape, a.shape), b.shape);
  return make("where", [a, b], backend.where(cond.data, cond.shape, a.data, a.shape, b.data, b.shape, out), out, { cond });
}

function isLastAxis(op: string, axis: number, shape: Shape): boolean {
  return normalizeAxes(op, axis, shape.length)[0] === shape.length - 1;
}

export function reduceShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

function reduce(op: ReduceOp, x: Tensor, axesArg: number | readonly number[] | undefined, keepdims: boolean): Tensor {
  const axes = normalizeAxes(`reduce_${op}`, axesArg, x.shape.length);
  for (const a of axes) assertShape(x.shape[a] > 0 || op === "sum", () => `${op}: cannot reduce an empty axis ${a} of ${fmt(x.shape)}`);
  const outShape = reduceShape(x.shape, axes, keepdims);
  if (axes.length === 0) return x;
  const prim = `reduce_${op}` as Prim;
  return make(prim, [x], x.backend.reduce(op, x.data, x.shape, axes), outShape, { axes, keepdims });
}

function matmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  sameBackend("matmul", a, b);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const bad = () => `matmul: cannot multiply ${fmt(a.shape)}${transA ? "ᵀ" : ""} by ${fmt(b.shape)}${transB ? "ᵀ" : ""}`;
  assertShape((ra === 2 || ra === 3) && (rb === 2 || rb === 3) && !(ra === 2 && rb === 3), bad);
  if (ra === 3 && rb === 2 && !transA) {
    // A batch times one matrix is one big matrix product.
    const [B, M, K] = a.shape;
    return matmul(a.reshape([B * M, K]), b, false, transB).reshape([B, M, transB ? b.shape[0] : b.shape[1]]);
  }
  const batch = ra === 3 ? a.shape[0] : 1;
  assertShape(rb !== 3 || b.shape[0] === batch, bad);
  const [ar, ac] = ra === 3 ? [a.shape[1], a.shape[2]] : [a.shape[0], a.shape[1]];
  const [br, bc] = rb === 3 ? [b.shape[1], b.shape[2]] : [b.shape[0], b.shape[1]];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  assertShape(k === kb, () => `${bad()}: inner dimensions ${k} and ${kb} differ`);
  const data = a.backend.matmul(a.data, b.data, batch, m, n, k, transA, transB, ra === 3 ? m * k : 0, rb === 3 ? k * n : 0);
  return make("matmul", [a, b], data, ra === 3 ? [batch, m, n] : [m, n], { transA, transB });
}

export function convGeometry(op: string, shape: Shape, kh: number, kw: number, stride: [number, number], padding: [number, number]): Conv2dGeometry {
  assertShape(shape.length === 4, () => `${op}: expects an (N, C, H, W) tensor, got ${fmt(shape)}`);
  const [N, C, H, W] = shape;
  const [sh, sw] = stride;
  const [ph, pw] = padding;
  const oh = Math.floor((H + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((W + 2 * pw - kw) / sw) + 1;
  assertShape(kh > 0 && kw > 0 && sh > 0 && sw > 0 && oh > 0 && ow > 0,
    () => `${op}: a ${kh}x${kw} window with stride ${sh}x${sw} and padding ${ph}x${pw} does not fit an image of ${H}x${W}`);
  return { N, C, H, W, kh, kw, sh, sw, ph, pw, oh, ow };
}

// Methods that need the autodiff module are attached here, after both modules exist, so the
// import cycle tensor <-> autodiff never runs code at load time.
import { backward as runBackward } from "./autodiff.js";

declare module "./tensor.js" {
  interface Tensor {
    /** Accumulates d(this)/d(leaf) into every leaf's `.grad`; `this` must be a scalar unless `seed` is given. */
    backward(seed?: Tensor): void;
  }
}
Tensor.prototype.backward = function (this: Tensor, seed?: Tensor) {
  runBackward(this, seed);
};
