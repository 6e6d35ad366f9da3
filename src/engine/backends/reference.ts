import { Buffer } from "node:buffer";
import type { Backend, BinaryOp, CompareOp, Conv2dGeometry, ReduceOp, Storage, UnaryOp } from "../backend.js";
import { broadcastStrides, shapeEq, sizeOf, stridesOf, type Shape } from "../shape.js";
import { referenceGemm } from "./reference-gemm.js";
import { logSoftmaxRows, logSoftmaxRowsBackward } from "./softmax-rows.js";
import { EW_BINARY, EW_MODE, EW_REDUCE, EW_UNARY, type ElementwiseKernels } from "../kernels/types.js";
import { broadcastBinary, maxPoolForward, permuteStrided, reduceStrided } from "./strided.js";

type Arr = Float32Array | Float64Array;
const SLAB_BYTES = 256 * 1024;
const SLAB_MAX_ITEM = 16 * 1024;
/** Free buffers kept for the next training step, at most (the conv tutorial makes 166 MB a step, the MNIST MLP 5). */
const FREE_MAX_BYTES = 512 * 1024 * 1024;
type ArrCtor = Float32ArrayConstructor | Float64ArrayConstructor;

/** A row-major GEMM over whole arrays with offsets; fast CPU kernels plug in here. */
export type GemmFn = (
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Arr, aOff: number, b: Arr, bOff: number, c: Arr, cOff: number,
) => void;

/** out = act(x) elementwise over n values, through a fast kernel. */
export type ActKernel = (act: "sigmoid" | "tanh" | "softplus", x: Arr, out: Arr, n: number) => void;

/** Below this many elements the JS loop beats the call into a kernel. */
const ACT_KERNEL_MIN = 128;
/** Below this many elements a JS loop beats the ~0.2 µs call into a native elementwise kernel. */
const EW_KERNEL_MIN = 96;

/** Fast im2col/col2im with the reference's layout (see Backend.im2col); `out`/`dx` arrive zeroed. */
export interface ConvKernels {
  im2col(x: Arr, g: Conv2dGeometry, out: Arr): void;
  col2im(cols: Arr, g: Conv2dGeometry, dx: Arr): void;
}

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  square: (x) => x * x,
  abs: Math.abs,
  tanh: Math.tanh,
  // Both branches keep exp's argument <= 0 so neither overflows.
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  softplus: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  relu: (x) => (x > 0 ? x : 0),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  step: (x) => (x > 0 ? 1 : 0),
};

const BINARY: Record<BinaryOp | CompareOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  // NaN in either operand propagates, as numpy's maximum/minimum do.
  maximum: (a, b) => (a !== a || a >= b ? a : b),
  minimum: (a, b) => (a !== a || a <= b ? a : b),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
};

function negLoop(x: Arr, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = -x[i];
}
function squareLoop(x: Arr, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = x[i] * x[i];
}
function reluLoop(x: Arr, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = x[i] > 0 ? x[i] : 0;
}
function sigmoidLoop(x: Arr, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v >= 0) o[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      o[i] = e / (1 + e);
    }
  }
}
function expLoop(x: Arr, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]);
}
function axpy(y: Arr, x: Arr, alpha: number, n: number): void {
  for (let i = 0; i < n; i++) y[i] += alpha * x[i];
}
function addSame(a: Arr, b: Arr, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = a[i] + b[i];
}
function subSame(a: Arr, b: Arr, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = a[i] - b[i];
}
function mulSame(a: Arr, b: Arr, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = a[i] * b[i];
}
function mapSame(f: (x: number, y: number) => number, a: Arr, b: Arr, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = f(a[i], b[i]);
}
function addScalar(a: Arr, v: number, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = a[i] + v;
}
function mulScalar(a: Arr, v: number, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = a[i] * v;
}
function mapScalarRight(f: (x: number, y: number) => number, a: Arr, v: number, o: Arr, n: number): void {
  for (let i = 0; i < n; i++) o[i] = f(a[i], v);
}
function addRow(a: Arr, b: Arr, o: Arr, rows: number, d: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    for (let j = 0; j < d; j++) o[base + j] = a[base + j] + b[j];
  }
}
function mapRow(f: (x: number, y: number) => number, a: Arr, b: Arr, o: Arr, rows: number, d: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    for (let j = 0; j < d; j++) o[base + j] = f(a[base + j], b[j]);
  }
}
function mapCol(f: (x: number, y: number) => number, a: Arr, b: Arr, o: Arr, rows: number, d: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    const v = b[r];
    for (let j = 0; j < d; j++) o[base + j] = f(a[base + j], v);
  }
}
/**
 * The Momentum rule in one pass in the storage's precision, every operation rounded to it (float32:
 * Math.fround, as the native kernel and Theano's float32 graph compute it): v = m v - lr g;
 * p = p + v, or with Nesterov p = (p + m v) - lr g.
 */
function momentumLoop(p: Arr, v: Arr, g: Arr, n: number, momentum: number, lrate: number, nesterov: boolean): void {
  if (p instanceof Float32Array) momentumLoop32(p, v as Float32Array, g as Float32Array, n, momentum, lrate, nesterov);
  else momentumLoop64(p, v as Float64Array, g as Float64Array, n, momentum, lrate, nesterov);
}
// Two loops, so each stays monomorphic and Math.fround inlines (through a variable it cost ~60 ns an element).
function momentumLoop32(p: Float32Array, v: Float32Array, g: Float32Array, n: number, momentum: number, lrate: number, nesterov: boolean): void {
  const m = Math.fround(momentum);
  const lr = Math.fround(lrate);
  // Each store rounds the last operation to float32.
  if (nesterov) {
    for (let i = 0; i < n; i++) {
      const lg = Math.fround(lr * g[i]);
      const v2 = Math.fround(Math.fround(m * v[i]) - lg);
      v[i] = v2;
      p[i] = Math.fround(p[i] + Math.fround(m * v2)) - lg;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v2 = Math.fround(Math.fround(m * v[i]) - Math.fround(lr * g[i]));
      v[i] = v2;
      p[i] = p[i] + v2;
    }
  }
}
function momentumLoop64(p: Float64Array, v: Float64Array, g: Float64Array, n: number, m: number, lr: number, nesterov: boolean): void {
  for (let i = 0; i < n; i++) {
    const lg = lr * g[i];
    const v2 = m * v[i] - lg;
    v[i] = v2;
    p[i] = nesterov ? p[i] + m * v2 - lg : p[i] + v2;
  }
}
/** broadcastMode's answer when no fast case applies. */
const GENERAL = -1;
/**
 * Which fast case a binary op's operands fall in (an EW_MODE value, checked in this order), or
 * GENERAL: the native kernels and the loops below share this one classification.
 */
function broadcastMode(aShape: Shape, an: number, bShape: Shape, bn: number, outShape: Shape, n: number): number {
  if (an === n && bn === n && shapeEq(aShape, bShape)) return EW_MODE.same;
  if (bn === 1 && an === n) return EW_MODE.scalarB;
  if (an === 1 && bn === n) return EW_MODE.scalarA;
  const last = outShape[outShape.length - 1];
  if (an === n && bn === last && bShape[bShape.length - 1] === last) return EW_MODE.row;
  if (isColumn(aShape, bShape, outShape)) return EW_MODE.col;
  return GENERAL;
}
/** b is a column (one value per row of the last axis): a [.., R, D] op b [.., R, 1]. */
function isColumn(aShape: Shape, bShape: Shape, outShape: Shape): boolean {
  const r = outShape.length;
  if (r < 2 || bShape.length !== r || bShape[r - 1] !== 1 || outShape[r - 1] === 1 || !shapeEq(aShape, outShape)) return false;
  for (let d = 0; d < r - 1; d++) if (bShape[d] !== outShape[d]) return false;
  return true;
}

/**
 * Calls `body(outIndex, aIndex, bIndex)` for every element of `outShape`, reading a and b through
 * broadcast strides. The innermost dimension is a plain loop so the common cases stay cheap.
 */
function forEachBroadcast(
  outShape: Shape, aStr: number[], bStr: number[],
  inner: (o: number, ai: number, bi: number, len: number, as: number, bs: number) => void,
): void {
  const rank = outShape.length;
  if (rank === 0) {
    inner(0, 0, 0, 1, 0, 0);
    return;
  }
  const last = outShape[rank - 1];
  const outer = sizeOf(outShape) / (last || 1);
  if (last === 0) return;
  const idx = new Array<number>(rank - 1).fill(0);
  let ai = 0;
  let bi = 0;
  for (let o = 0; o < outer; o++) {
    inner(o * last, ai, bi, last, aStr[rank - 1], bStr[rank - 1]);
    // advance the multi-index over the outer dims
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      ai += aStr[d];
      bi += bStr[d];
      if (idx[d] < outShape[d]) break;
      ai -= aStr[d] * outShape[d];
      bi -= bStr[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

/**
 * The reference backend: straightforward TypeScript over typed arrays. With Float64Array storage it
 * is the float64 engine the gradient checker runs on; with Float32Array it is the CPU backend,
 * whose GEMM can be swapped for a fast kernel.
 */
export class ReferenceBackend implements Backend {
  readonly syncRead = true;
  private gemm: GemmFn;

  constructor(readonly name: string, private readonly F: ArrCtor) {
    this.gemm = (tA, tB, m, n, k, a, aOff, b, bOff, c, cOff) => referenceGemm(tA, tB, m, n, k, a, aOff, b, bOff, c, cOff, false);
  }

  /** Replaces the GEMM (used by the fast-kernel CPU backend). */
  setGemm(fn: GemmFn): void {
    this.gemm = fn;
  }

  private conv: ConvKernels | null = null;

  /** Replaces im2col / col2im (the fast-kernel CPU backend). */
  setConvKernels(k: ConvKernels | null): void {
    this.conv = k;
  }

  private act: ActKernel | null = null;
  private ew: ElementwiseKernels | null = null;

  /**
   * Routes elementwise ops, reductions and in-place updates of arrays above a few dozen values
   * through native SIMD kernels (float32 only) that give the same bits as the loops here.
   */
  setElementwiseKernels(k: ElementwiseKernels | null): void {
    this.ew = this.F === Float32Array ? k : null;
  }

  /**
   * Routes sigmoid, tanh and softplus of large arrays through a SIMD kernel. (Not relu: it is cheap in
   * JS, and the SIMD max would turn NaN into NaN where the JS loop gives 0 — one answer per op.)
   */
  setActKernel(k: ActKernel | null): void {
    this.act = k;
  }

  private slab: ArrayBuffer = new ArrayBuffer(0);
  private slabOffset = 0;

  /**
   * Fresh zeroed storage. Small arrays are carved from 256 KiB slabs: V8 pays a malloc and external-
   * memory bookkeeping for every typed-array backing store (~3 µs), which would dominate the tiny
   * ops of batch-5 training; a view on an existing buffer costs ~0.5 µs. Slab memory is never
   * reused while the slab lives, so views start zeroed; a slab is freed when its last view dies.
   * Large arrays are a training step's free buffers when one fits (zeroed again), else new.
   */
  private alloc(n: number): Arr {
    const bytes = n * this.F.BYTES_PER_ELEMENT;
    if (bytes > SLAB_MAX_ITEM) {
      const reused = this.takeFree(n);
      const a = reused ? reused.fill(0) : new this.F(n);
      this.recording?.push(a);
      return a;
    }
    const aligned = (bytes + 15) & ~15;
    if (this.slabOffset + aligned > this.slab.byteLength) {
      this.slab = new ArrayBuffer(SLAB_BYTES);
      this.slabOffset = 0;
    }
    const v = new this.F(this.slab, this.slabOffset, n);
    this.slabOffset += aligned;
    return v;
  }

  /**
   * Storage the caller overwrites entirely (an op's output). Above the slab size the memory is not
   * zeroed: `new Float32Array(392000)` costs ~50-400 µs of zeroing and page faults (a weight-sized
   * gradient every step), an uninitialized Node buffer ~10 µs, as malloc reuses freed blocks.
   */
  private allocOut(n: number): Arr {
    const bytes = n * this.F.BYTES_PER_ELEMENT;
    if (bytes <= SLAB_MAX_ITEM) return this.alloc(n);
    let a = this.takeFree(n);
    if (!a) {
      const buf = Buffer.allocUnsafeSlow(bytes);
      a = new this.F(buf.buffer, buf.byteOffset, n);
    }
    this.recording?.push(a);
    return a;
  }

  // ---------- reuse of large buffers across training steps (step-scope.ts) ----------

  /** Free buffers by length; what a training step made and nothing holds any more. */
  private free = new Map<number, Arr[]>();
  private freeBytes = 0;
  private recording: Storage[] | null = null;

  recordAllocations(list: Storage[] | null): void {
    this.recording = list;
  }

  recycle(s: Storage): void {
    const a = s as Arr;
    // Past the cap, a buffer is left to the garbage collector (e.g. after the batch size changed).
    if (a.byteLength <= SLAB_MAX_ITEM || this.freeBytes + a.byteLength > FREE_MAX_BYTES) return;
    let list = this.free.get(a.length);
    if (!list) this.free.set(a.length, (list = []));
    list.push(a);
    this.freeBytes += a.byteLength;
  }

  private takeFree(n: number): Arr | undefined {
    const a = this.free.get(n)?.pop();
    if (a) this.freeBytes -= a.byteLength;
    return a;
  }

  fromArray(data: ArrayLike<number>): Storage {
    const out = this.allocOut(data.length);
    out.set(data as ArrayLike<number>);
    return out;
  }
  fromFill(n: number, fill: (out: Float32Array) => void): Storage {
    if (this.F !== Float32Array) {
      const tmp = new Float32Array(n);
      fill(tmp);
      return this.fromArray(tmp);
    }
    const out = this.allocOut(n) as Float32Array;
    fill(out);
    return out;
  }
  full(n: number, value: number): Storage {
    const a = this.alloc(n);
    if (value !== 0) a.fill(value);
    return a;
  }
  readSync(s: Storage): Arr {
    return s as Arr;
  }
  read(s: Storage): Promise<Arr> {
    return Promise.resolve(s as Arr);
  }
  copy(s: Storage): Storage {
    const src = s as Arr;
    const out = this.allocOut(src.length);
    out.set(src);
    return out;
  }

  unary(op: UnaryOp, xs: Storage, n: number): Storage {
    const x = xs as Arr;
    const out = this.allocOut(n);
    if (this.act && n >= ACT_KERNEL_MIN && (op === "sigmoid" || op === "tanh" || op === "softplus")) {
      // JS Math.exp costs ~13 ns an element; the SIMD kernel ~1 ns (the GRBM step's biggest JS cost).
      this.act(op, x, out, n);
      return out;
    }
    const ew = this.ew;
    if (ew !== null && n >= EW_KERNEL_MIN) {
      const code = EW_UNARY[op];
      if (code !== undefined) {
        ew.unary(code, x as Float32Array, out as Float32Array, n);
        return out;
      }
    }
    switch (op) {
      // The hot activations get their own loops; the rest go through the function table.
      case "neg":
        negLoop(x, out, n);
        break;
      case "square":
        squareLoop(x, out, n);
        break;
      case "relu":
        reluLoop(x, out, n);
        break;
      case "sigmoid":
        sigmoidLoop(x, out, n);
        break;
      case "exp":
        expLoop(x, out, n);
        break;
      default: {
        const f = UNARY[op];
        for (let i = 0; i < n; i++) out[i] = f(x[i]);
      }
    }
    return out;
  }

  binary(op: BinaryOp | CompareOp, as: Storage, aShape: Shape, bs: Storage, bShape: Shape, outShape: Shape): Storage {
    const a = as as Arr;
    const b = bs as Arr;
    const n = sizeOf(outShape);
    const out = this.allocOut(n); // every path below writes every element
    const mode = broadcastMode(aShape, a.length, bShape, b.length, outShape, n);
    const last = outShape[outShape.length - 1];
    const ew = this.ew;
    if (ew !== null && n >= EW_KERNEL_MIN && mode !== GENERAL) {
      const code = EW_BINARY[op];
      if (code !== undefined) {
        const byRows = mode === EW_MODE.row || mode === EW_MODE.col;
        ew.binary(code, mode, a as Float32Array, b as Float32Array, out as Float32Array, byRows ? n / last : 1, byRows ? last : n);
        return out;
      }
    }
    // Each loop is a small top-level function so V8 optimises it on its own (one big switch of
    // loops does not).
    switch (mode) {
      case EW_MODE.same:
        if (op === "add") addSame(a, b, out, n);
        else if (op === "mul") mulSame(a, b, out, n);
        else if (op === "sub") subSame(a, b, out, n);
        else mapSame(BINARY[op], a, b, out, n);
        return out;
      case EW_MODE.scalarB:
        if (op === "add") addScalar(a, b[0], out, n);
        else if (op === "mul") mulScalar(a, b[0], out, n);
        else mapScalarRight(BINARY[op], a, b[0], out, n);
        return out;
      case EW_MODE.scalarA: {
        const av = a[0];
        const f = BINARY[op];
        for (let i = 0; i < n; i++) out[i] = f(av, b[i]);
        return out;
      }
      case EW_MODE.row: // a [.., D] op b [D] (bias add and friends)
        if (op === "add") addRow(a, b, out, n / last, last);
        else mapRow(BINARY[op], a, b, out, n / last, last);
        return out;
      case EW_MODE.col: // a [.., R, D] op b [.., R, 1] (softmax's x - max, e / sum)
        mapCol(BINARY[op], a, b, out, n / last, last);
        return out;
    }
    // Everything else, e.g. a conv bias (1, C, H, W) or (1, C, 1, 1) over (N, C, H, W): collapsed strided rows.
    broadcastBinary(op, BINARY[op], a, broadcastStrides(aShape, outShape), b, broadcastStrides(bShape, outShape), out, outShape);
    return out;
  }

  where(cs: Storage, cShape: Shape, as: Storage, aShape: Shape, bs: Storage, bShape: Shape, outShape: Shape): Storage {
    const c = cs as Arr;
    const a = as as Arr;
    const b = bs as Arr;
    const n = sizeOf(outShape);
    const out = this.allocOut(n);
    if (c.length === n && a.length === n && b.length === n) {
      if (this.ew !== null && n >= EW_KERNEL_MIN) this.ew.where(c as Float32Array, a as Float32Array, b as Float32Array, out as Float32Array, n);
      else for (let i = 0; i < n; i++) out[i] = c[i] !== 0 ? a[i] : b[i];
      return out;
    }
    const cStr = broadcastStrides(cShape, outShape);
    const aStr = broadcastStrides(aShape, outShape);
    const bStr = broadcastStrides(bShape, outShape);
    const oStr = stridesOf(outShape);
    for (let i = 0; i < n; i++) {
      let rem = i;
      let ci = 0;
      let ai = 0;
      let bi = 0;
      for (let d = 0; d < outShape.length; d++) {
        const q = Math.floor(rem / oStr[d]);
        rem -= q * oStr[d];
        ci += q * cStr[d];
        ai += q * aStr[d];
        bi += q * bStr[d];
      }
      out[i] = c[ci] !== 0 ? a[ai] : b[bi];
    }
    return out;
  }

  reduce(op: ReduceOp, xs: Storage, shape: Shape, axes: readonly number[]): Storage {
    const x = xs as Arr;
    const n = x.length;
    const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const outN = sizeOf(keptShape);
    const out = this.alloc(outN);
    const init = op === "sum" ? 0 : op === "max" ? -Infinity : Infinity;
    if (init !== 0) out.fill(init);
    if (outN === 1) {
      let acc = init;
      if (op === "sum") for (let i = 0; i < n; i++) acc += x[i];
      else if (op === "max") for (let i = 0; i < n; i++) acc = x[i] > acc || x[i] !== x[i] ? x[i] : acc;
      else for (let i = 0; i < n; i++) acc = x[i] < acc || x[i] !== x[i] ? x[i] : acc;
      out[0] = acc;
      return out;
    }
    // Split into outer (kept) x reduced x inner (kept) when the reduced axes are contiguous — the usual case.
    const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
    if (contiguous) {
      let outer = 1;
      let red = 1;
      let inner = 1;
      for (let i = 0; i < shape.length; i++) {
        if (i < axes[0]) outer *= shape[i];
        else if (i <= axes[axes.length - 1]) red *= shape[i];
        else inner *= shape[i];
      }
      if (this.ew !== null && n >= EW_KERNEL_MIN) {
        this.ew.reduce(EW_REDUCE[op], x as Float32Array, out as Float32Array, outer, red, inner);
        return out;
      }
      for (let o = 0; o < outer; o++) {
        const ob = o * inner;
        for (let r = 0; r < red; r++) {
          const xb = (o * red + r) * inner;
          if (op === "sum") for (let j = 0; j < inner; j++) out[ob + j] += x[xb + j];
          else if (op === "max") for (let j = 0; j < inner; j++) { const v = x[xb + j]; if (v > out[ob + j] || v !== v) out[ob + j] = v; }
          else for (let j = 0; j < inner; j++) { const v = x[xb + j]; if (v < out[ob + j] || v !== v) out[ob + j] = v; }
        }
      }
      return out;
    }
    // Non-adjacent axes, e.g. a tied conv bias's gradient: sum over (0, 2, 3) of NCHW.
    reduceStrided(op, x, shape, out, broadcastStrides(keptShape, shape));
    return out;
  }

  argmax(xs: Storage, shape: Shape, axis: number): Storage {
    const x = xs as Arr;
    let outer = 1;
    let inner = 1;
    for (let i = 0; i < axis; i++) outer *= shape[i];
    for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
    const len = shape[axis];
    const out = this.alloc(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        let best = -Infinity;
        let bi = 0;
        for (let r = 0; r < len; r++) {
          const v = x[(o * len + r) * inner + j];
          if (v > best) {
            best = v;
            bi = r;
          }
        }
        out[o * inner + j] = bi;
      }
    }
    return out;
  }

  matmul(as: Storage, bs: Storage, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    aBatchStride: number, bBatchStride: number): Storage {
    const a = as as Arr;
    const b = bs as Arr;
    const out = this.allocOut(batch * m * n); // GEMM with beta = 0 writes all of C
    for (let t = 0; t < batch; t++) this.gemm(transA, transB, m, n, k, a, t * aBatchStride, b, t * bBatchStride, out, t * m * n);
    return out;
  }

  permute(xs: Storage, shape: Shape, perm: readonly number[]): Storage {
    const x = xs as Arr;
    const n = x.length;
    const out = this.alloc(n);
    const inStr = stridesOf(shape);
    const outShape = perm.map((p) => shape[p]);
    if (shape.length === 2) {
      // 2-D transpose, blocked for cache.
      const R = shape[0];
      const C = shape[1];
      const B = 32;
      for (let i0 = 0; i0 < R; i0 += B)
        for (let j0 = 0; j0 < C; j0 += B)
          for (let i = i0; i < Math.min(i0 + B, R); i++)
            for (let j = j0; j < Math.min(j0 + B, C); j++) out[j * R + i] = x[i * C + j];
      return out;
    }
    // e.g. a conv's (O, N, oh, ow) GEMM output to NCHW: N*O contiguous rows of oh*ow.
    permuteStrided(x, perm.map((p) => inStr[p]), out, outShape);
    return out;
  }

  slice(xs: Storage, shape: Shape, starts: readonly number[], outShape: Shape): Storage {
    const x = xs as Arr;
    const out = this.alloc(sizeOf(outShape));
    const inStr = stridesOf(shape);
    let base = 0;
    for (let d = 0; d < shape.length; d++) base += starts[d] * inStr[d];
    forEachBroadcast(outShape, inStr, inStr, (o, xi, _b, len) => {
      for (let j = 0; j < len; j++) out[o + j] = x[base + xi + j];
    });
    return out;
  }

  pad(xs: Storage, shape: Shape, starts: readonly number[], outShape: Shape): Storage {
    const x = xs as Arr;
    const out = this.alloc(sizeOf(outShape));
    const outStr = stridesOf(outShape);
    let base = 0;
    for (let d = 0; d < outShape.length; d++) base += starts[d] * outStr[d];
    const inStr = stridesOf(shape);
    forEachBroadcast(shape, inStr, outStr, (xi, _a, oi, len) => {
      for (let j = 0; j < len; j++) out[base + oi + j] = x[xi + j];
    });
    return out;
  }

  gather(xs: Storage, shape: Shape, axis: number, indices: Int32Array): Storage {
    const x = xs as Arr;
    let outer = 1;
    let inner = 1;
    for (let i = 0; i < axis; i++) outer *= shape[i];
    for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
    const len = shape[axis];
    const m = indices.length;
    const out = this.alloc(outer * m * inner);
    for (let o = 0; o < outer; o++)
      for (let r = 0; r < m; r++) {
        const src = (o * len + indices[r]) * inner;
        const dst = (o * m + r) * inner;
        for (let j = 0; j < inner; j++) out[dst + j] = x[src + j];
      }
    return out;
  }

  scatterAdd(gs: Storage, _gShape: Shape, axis: number, indices: Int32Array, outShape: Shape): Storage {
    const g = gs as Arr;
    let outer = 1;
    let inner = 1;
    for (let i = 0; i < axis; i++) outer *= outShape[i];
    for (let i = axis + 1; i < outShape.length; i++) inner *= outShape[i];
    const len = outShape[axis];
    const m = indices.length;
    const out = this.alloc(sizeOf(outShape));
    for (let o = 0; o < outer; o++)
      for (let r = 0; r < m; r++) {
        const dst = (o * len + indices[r]) * inner;
        const src = (o * m + r) * inner;
        for (let j = 0; j < inner; j++) out[dst + j] += g[src + j];
      }
    return out;
  }

  oneHot(indices: Int32Array, depth: number): Storage {
    const out = this.alloc(indices.length * depth);
    for (let i = 0; i < indices.length; i++) out[i * depth + indices[i]] = 1;
    return out;
  }

  im2col(xs: Storage, g: Conv2dGeometry): Storage {
    const x = xs as Arr;
    const { N, C, H, W, kh, kw, sh, sw, ph, pw, oh, ow } = g;
    const cols = N * oh * ow;
    const out = this.alloc(C * kh * kw * cols);
    if (this.conv) {
      this.conv.im2col(x, g, out);
      return out;
    }
    for (let c = 0; c < C; c++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) {
          const row = ((c * kh + i) * kw + j) * cols;
          for (let b = 0; b < N; b++) {
            const xb = (b * C + c) * H * W;
            for (let y = 0; y < oh; y++) {
              const iy = y * sh - ph + i;
              const o = row + (b * oh + y) * ow;
              if (iy < 0 || iy >= H) continue; // stays zero
              for (let xx = 0; xx < ow; xx++) {
                const ix = xx * sw - pw + j;
                if (ix >= 0 && ix < W) out[o + xx] = x[xb + iy * W + ix];
              }
            }
          }
        }
    return out;
  }

  col2im(colsS: Storage, g: Conv2dGeometry): Storage {
    const colsArr = colsS as Arr;
    const { N, C, H, W, kh, kw, sh, sw, ph, pw, oh, ow } = g;
    const cols = N * oh * ow;
    const dx = this.alloc(N * C * H * W);
    if (this.conv) {
      this.conv.col2im(colsArr, g, dx);
      return dx;
    }
    for (let c = 0; c < C; c++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) {
          const row = ((c * kh + i) * kw + j) * cols;
          for (let b = 0; b < N; b++) {
            const xb = (b * C + c) * H * W;
            for (let y = 0; y < oh; y++) {
              const iy = y * sh - ph + i;
              if (iy < 0 || iy >= H) continue;
              const o = row + (b * oh + y) * ow;
              for (let xx = 0; xx < ow; xx++) {
                const ix = xx * sw - pw + j;
                if (ix >= 0 && ix < W) dx[xb + iy * W + ix] += colsArr[o + xx];
              }
            }
          }
        }
    return dx;
  }

  maxPool2d(xs: Storage, g: Conv2dGeometry): { out: Storage; argmax: Int32Array } {
    const n = g.N * g.C * g.oh * g.ow;
    const out = this.alloc(n);
    const arg = new Int32Array(n);
    maxPoolForward(xs as Arr, g, out, arg);
    return { out, argmax: arg };
  }

  maxPool2dBackward(gys: Storage, argmax: Int32Array, inputSize: number): Storage {
    const gy = gys as Arr;
    const dx = this.alloc(inputSize);
    for (let o = 0; o < argmax.length; o++) if (argmax[o] >= 0) dx[argmax[o]] += gy[o];
    return dx;
  }

  logSoftmax(xs: Storage, rows: number, cols: number): Storage {
    const out = this.allocOut(rows * cols);
    logSoftmaxRows(xs as Arr, out, rows, cols);
    return out;
  }

  logSoftmaxBackward(ys: Storage, gs: Storage, rows: number, cols: number): Storage {
    const out = this.allocOut(rows * cols);
    logSoftmaxRowsBackward(ys as Arr, gs as Arr, out, rows, cols);
    return out;
  }

  avgPool2d(xs: Storage, g: Conv2dGeometry): Storage {
    const x = xs as Arr;
    const { N, C, H, W, kh, kw, sh, sw, ph, pw, oh, ow } = g;
    const out = this.alloc(N * C * oh * ow);
    const area = kh * kw; // padding counts as zeros, as pylearn2/theano's average pooling with padding did
    for (let p = 0; p < N * C; p++) {
      const xb = p * H * W;
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let s = 0;
          for (let i = 0; i < kh; i++) {
            const iy = y * sh - ph + i;
            if (iy < 0 || iy >= H) continue;
            for (let j = 0; j < kw; j++) {
              const ix = xx * sw - pw + j;
              if (ix >= 0 && ix < W) s += x[xb + iy * W + ix];
            }
          }
          out[(p * oh + y) * ow + xx] = s / area;
        }
    }
    return out;
  }

  avgPool2dBackward(gys: Storage, g: Conv2dGeometry): Storage {
    const gy = gys as Arr;
    const { N, C, H, W, kh, kw, sh, sw, ph, pw, oh, ow } = g;
    const dx = this.alloc(N * C * H * W);
    const area = kh * kw;
    for (let p = 0; p < N * C; p++) {
      const xb = p * H * W;
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          const v = gy[(p * oh + y) * ow + xx] / area;
          for (let i = 0; i < kh; i++) {
            const iy = y * sh - ph + i;
            if (iy < 0 || iy >= H) continue;
            for (let j = 0; j < kw; j++) {
              const ix = xx * sw - pw + j;
              if (ix >= 0 && ix < W) dx[xb + iy * W + ix] += v;
            }
          }
        }
    }
    return dx;
  }

  axpyInPlace(ys: Storage, xs: Storage, alpha: number, n: number): void {
    if (this.ew !== null && n >= EW_KERNEL_MIN) this.ew.axpy(ys as Float32Array, xs as Float32Array, alpha, n);
    else axpy(ys as Arr, xs as Arr, alpha, n);
  }

  momentumInPlace(ps: Storage, vs: Storage, gs: Storage, n: number, momentum: number, lr: number, nesterov: boolean): void {
    if (this.ew !== null && n >= EW_KERNEL_MIN) this.ew.momentum(ps as Float32Array, vs as Float32Array, gs as Float32Array, n, momentum, lr, nesterov);
    else momentumLoop(ps as Arr, vs as Arr, gs as Arr, n, momentum, lr, nesterov);
  }

  assignInPlace(ys: Storage, xs: Storage, n: number): void {
    (ys as Arr).set((xs as Arr).subarray(0, n));
  }
}

/** The float32 CPU backend every tensor uses by default. */
export const cpuBackend = new ReferenceBackend("cpu", Float32Array);
/** A float64 twin used by the gradient checker and float64 references in tests. */
export const float64Backend = new ReferenceBackend("cpu-float64", Float64Array);
