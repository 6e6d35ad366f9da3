/// <reference types="@webgpu/types" />
import type { Backend, BinaryOp, CompareOp, Conv2dGeometry, ReduceOp, RowSelection, Storage, UnaryOp } from "../../backend.js";
import { broadcastStrides, fmt, sizeOf, stridesOf, type Shape } from "../../shape.js";
import { DlError, ShapeError } from "../../../util/errors.js";
import { GpuBuffer, GpuRuntime, MAX_GROUPS_X, grid1d, type KernelSpec } from "./runtime.js";
import { WG } from "./wgsl/prelude.js";
import { MAX_RANK, axpyKernel, axpySelfKernel, binaryKernel, copyKernel, fillKernel, momentumKernel, unaryKernel, whereKernel } from "./wgsl/elementwise.js";
import { argmaxKernel, gatherKernel, oneHotKernel, padKernel, scatterAddKernel, stridedReadKernel } from "./wgsl/layout.js";
import { REDUCE_GROUP, reduceGroupKernel, reduceThreadKernel } from "./wgsl/reduce.js";
import { chooseTile, matmulKernel, type GemmTile } from "./wgsl/matmul.js";
import { matmulVec4Kernel, vec4Eligible } from "./wgsl/matmul-vec4.js";
import { nonFiniteKernel } from "./wgsl/checks.js";
import { logSoftmaxBackwardKernel, logSoftmaxKernel } from "./wgsl/softmax.js";
import { DeviceDatasets } from "./dataset-rows.js";
import {
  avgPoolBackwardKernel, avgPoolKernel, col2imKernel, im2colKernel, maxPoolBackwardKernel, maxPoolKernel,
} from "./wgsl/conv.js";

/** Max pooling's winners, kept on the device with the geometry its backward pass needs. */
class GpuPoolArgmax {
  constructor(readonly indices: GpuBuffer, readonly g: Conv2dGeometry) {}
}

/**
 * Collapses a broadcast walk over `dims` read through several stride lists: drops size-1 dims and
 * merges neighbours that are contiguous in every operand, so most ops reach rank 1 or 2.
 */
export function collapseDims(dims: Shape, strides: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
  const outDims: number[] = [];
  const outStr: number[][] = strides.map(() => []);
  for (let d = 0; d < dims.length; d++) {
    if (dims[d] === 1) continue;
    const last = outDims.length - 1;
    if (last >= 0 && strides.every((s, k) => outStr[k][last] === s[d] * dims[d])) {
      outDims[last] *= dims[d];
      strides.forEach((s, k) => (outStr[k][last] = s[d]));
    } else {
      outDims.push(dims[d]);
      strides.forEach((s, k) => outStr[k].push(s[d]));
    }
  }
  return { dims: outDims, strides: outStr };
}

/**
 * A staged read-back (see `collectReads`): first the buffers synchronous code asked for, then
 * their values, valid while no kernel has run since they were copied.
 */
type StagedReads =
  | { mode: "collect"; wanted: Map<GpuBuffer, number> }
  | { mode: "cached"; values: Map<GpuBuffer, Float32Array>; dispatches: number };

/**
 * Tensors in GPU buffers, every primitive a WGSL kernel (see ./wgsl). Work is recorded and
 * submitted in batches; only `read()` waits for the device, so a training step never blocks.
 * Create it with `createWebGpuBackend()`; call `destroy()` when done so the process can exit.
 */
export class WebGpuBackend implements Backend {
  readonly name = "webgpu";
  private staged: StagedReads | null = null;

  constructor(readonly rt: GpuRuntime) {}

  /** Synchronous reads work only inside a staged read-back (see `collectReads`). */
  get syncRead(): boolean {
    return this.staged !== null;
  }

  /**
   * Lets synchronous code that reads tensors (saving: parameters, optimizer slots, model state)
   * run on the GPU in two passes: `collectReads()`, a dry run in which `readSync` notes each
   * buffer and answers zeros; `await fetchReads()`, which copies those buffers back together;
   * then the real run, in which `readSync` answers from the copies; `endReads()` drops them. A
   * kernel launched after the copies invalidates them (a later `readSync` throws), so stale
   * values are never returned.
   */
  collectReads(): void {
    this.staged = { mode: "collect", wanted: new Map() };
  }

  async fetchReads(): Promise<void> {
    const st = this.staged;
    if (st?.mode !== "collect") throw new Error("webgpu: fetchReads() without collectReads()");
    const bufs = [...st.wanted.keys()];
    const got = await Promise.all(bufs.map((b) => this.rt.read(b, st.wanted.get(b)!)));
    this.staged = { mode: "cached", values: new Map(bufs.map((b, i) => [b, got[i]])), dispatches: this.rt.stats.dispatches };
  }

  endReads(): void {
    this.staged = null;
  }

  /** How many of the `n` values are NaN or ±Inf, as a 1-value buffer (for the trainer's once-per-epoch check). */
  countNonFinite(s: Storage, n: number): Storage {
    const flags = this.rt.alloc(n);
    this.launch(nonFiniteKernel, n, [n], [s as GpuBuffer, flags]);
    const out = this.reduce("sum", flags, [n], [0]);
    this.rt.releaseNow(flags);
    return out;
  }

  /** Frees the device; every tensor on this backend becomes unusable. */
  destroy(): void {
    this.rt.destroy();
  }

  /** Resolves when the GPU has finished all work recorded so far (for timing). */
  sync(): Promise<void> {
    return this.rt.sync();
  }

  private inFlight: Promise<void> | null = null;

  /**
   * Submits the work recorded so far and waits until the GPU has finished what was submitted at
   * the previous call. Recording is far faster than a small step runs, so without this a training
   * loop would queue a whole epoch ahead of the device (memory grows; timings measure recording);
   * with it the host stays at most one chunk ahead while host and device still overlap.
   */
  async pace(): Promise<void> {
    this.rt.flush();
    const done = this.rt.device.queue.onSubmittedWorkDone();
    const prev = this.inFlight;
    this.inFlight = done;
    await prev;
  }

  private launch(spec: KernelSpec, count: number, params: ArrayLike<number>, buffers: readonly GpuBuffer[]): void {
    if (count === 0) return;
    this.rt.dispatch(spec, params, buffers, grid1d(Math.ceil(count / WG)));
  }

  private deviceDatasets: DeviceDatasets | null = null;

  /** Made at first use: its index buffer and submit hook cost nothing to a backend that never cuts batches. */
  private get datasets(): DeviceDatasets {
    return (this.deviceDatasets ??= new DeviceDatasets(this.rt));
  }

  /** The device's copy of a dataset array (uploaded once, shared by everything that cuts batches from it), or null when too large. */
  datasetOnDevice(data: Float32Array): GpuBuffer | null {
    return this.datasets.onDevice(data);
  }

  datasetRows(data: Float32Array, dim: number, sel: RowSelection): Storage | null {
    return this.datasets.rows(data, dim, sel);
  }

  datasetOneHot(labels: Int32Array, depth: number, sel: RowSelection): Storage | null {
    return this.datasets.oneHot(labels, depth, sel);
  }

  /** Buffer reuse across training steps (step-scope.ts): the runtime lists and takes back buffers. */
  recordAllocations(list: Storage[] | null): void {
    this.rt.recordAllocations(list as GpuBuffer[] | null);
  }

  recycle(s: Storage): void {
    this.rt.recycle(s as GpuBuffer);
  }

  /** Host scratch for `fromFill`: `queue.writeBuffer` copies it at once, so one array serves every batch. */
  private fillScratch = new Float32Array(0);

  /**
   * A batch gathered on the host straight into a reused array, then uploaded: without it every
   * step made a fresh array of the batch (300 KB for an MNIST batch of 100), and V8 answered the
   * external memory with a full collection every hundred-odd steps.
   */
  fromFill(n: number, fill: (out: Float32Array) => void): Storage {
    if (this.fillScratch.length < n) this.fillScratch = new Float32Array(n);
    const view = this.fillScratch.subarray(0, n);
    fill(view);
    return this.rt.upload(view, n);
  }

  fromArray(data: ArrayLike<number>): Storage {
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    return this.rt.upload(f, f.length);
  }

  full(n: number, value: number): Storage {
    // Scalars too (every `x.mul(0.5)` lifts its constant): the value travels in the dispatch's
    // parameters, and the buffer can be one the last training step released, so the step's bind
    // groups stay the same step after step (an upload needs a settled buffer, a different one
    // each time, and each new buffer costs Dawn a new bind group, 5x a dispatch).
    const out = this.rt.alloc(n);
    this.launch(fillKernel, n, [n, 0, f32bits(value)], [out]);
    return out;
  }

  readSync(s?: Storage, n = 0): Float32Array {
    const st = this.staged;
    if (st?.mode === "collect") {
      const b = s as GpuBuffer;
      st.wanted.set(b, Math.max(n, st.wanted.get(b) ?? 0));
      return new Float32Array(n);
    }
    if (st?.mode === "cached") {
      if (this.rt.stats.dispatches !== st.dispatches) {
        throw new DlError("webgpu: a tensor was read synchronously after kernels ran since its staged read-back; its copy is stale");
      }
      const v = st.values.get(s as GpuBuffer);
      if (v && v.length >= n) return v.length === n ? v : v.subarray(0, n);
    }
    throw new DlError("the webgpu backend cannot read tensors synchronously; use `await tensor.read()`");
  }

  read(s: Storage, n: number): Promise<Float32Array> {
    return this.rt.read(s as GpuBuffer, n);
  }

  copy(s: Storage, n: number): Storage {
    const out = this.rt.alloc(n);
    this.launch(copyKernel, n, [n], [s as GpuBuffer, out]);
    return out;
  }

  unary(op: UnaryOp, x: Storage, n: number): Storage {
    const out = this.rt.alloc(n);
    this.launch(unaryKernel(op), n, [n], [x as GpuBuffer, out]);
    return out;
  }

  binary(op: BinaryOp | CompareOp, a: Storage, aShape: Shape, b: Storage, bShape: Shape, outShape: Shape): Storage {
    const n = sizeOf(outShape);
    const out = this.rt.alloc(n);
    const { dims, strides } = collapseDims(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
    const [as, bs] = strides;
    let mode: "same" | "scalar" | "strided" = "strided";
    if (dims.length <= 1 && (as[0] ?? 1) === 1 && (bs[0] ?? 1) === 1) mode = "same";
    else if (dims.length === 1 && as[0] === 1 && bs[0] === 0) mode = "scalar";
    this.launch(binaryKernel(op, mode), n, stridedParams(n, dims, strides, `binary ${op}`), [a as GpuBuffer, b as GpuBuffer, out]);
    return out;
  }

  where(cond: Storage, cShape: Shape, a: Storage, aShape: Shape, b: Storage, bShape: Shape, outShape: Shape): Storage {
    const n = sizeOf(outShape);
    const out = this.rt.alloc(n);
    const { dims, strides } = collapseDims(outShape, [cShape, aShape, bShape].map((s) => broadcastStrides(s, outShape)));
    this.launch(whereKernel, n, stridedParams(n, dims, strides, "where"), [cond as GpuBuffer, a as GpuBuffer, b as GpuBuffer, out]);
    return out;
  }

  reduce(op: ReduceOp, x: Storage, shape: Shape, axes: readonly number[]): Storage {
    const str = stridesOf(shape);
    const keep = collapseDims(shape.filter((_, i) => !axes.includes(i)), [str.filter((_, i) => !axes.includes(i))]);
    const red = collapseDims(shape.filter((_, i) => axes.includes(i)), [str.filter((_, i) => axes.includes(i))]);
    const outN = sizeOf(keep.dims);
    const redN = sizeOf(red.dims);
    if (keep.dims.length > MAX_RANK || red.dims.length > MAX_RANK) throw rankError(`reduce ${op}`, shape);
    if (redN === 0) return this.full(outN, op === "sum" ? 0 : op === "max" ? -Infinity : Infinity);
    const out = this.rt.alloc(outN);
    if (outN === 0) return out;
    const p = new Uint32Array(40);
    p[0] = outN;
    p[1] = redN;
    p[2] = keep.dims.length;
    p[3] = red.dims.length;
    keep.dims.forEach((d, i) => { p[8 + i] = d; p[16 + i] = keep.strides[0][i]; });
    red.dims.forEach((d, i) => { p[24 + i] = d; p[32 + i] = red.strides[0][i]; });
    // A workgroup per output pays off only when each output has many terms and outputs are few.
    if (redN >= REDUCE_GROUP / 2 && outN <= 4096) this.rt.dispatch(reduceGroupKernel(op), p, [x as GpuBuffer, out], grid1d(outN));
    else this.launch(reduceThreadKernel(op), outN, p, [x as GpuBuffer, out]);
    return out;
  }

  argmax(x: Storage, shape: Shape, axis: number): Storage {
    const { outer, len, inner } = splitAxis(shape, axis);
    const out = this.rt.alloc(outer * inner);
    this.launch(argmaxKernel, outer * inner, [outer * inner, len, inner], [x as GpuBuffer, out]);
    return out;
  }

  /** GEMM with an explicit tile (the bench compares tiles); `matmul` picks one by shape. */
  matmulWith(tile: GemmTile, a: Storage, b: Storage, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    aBatchStride: number, bBatchStride: number): GpuBuffer {
    const out = this.rt.alloc(batch * m * n);
    if (batch * m * n === 0) return out;
    if (k === 0) {
      this.launch(fillKernel, batch * m * n, [batch * m * n, 0, 0], [out]);
      return out;
    }
    const gy = Math.ceil(m / tile.BM);
    if (gy > MAX_GROUPS_X || batch > MAX_GROUPS_X) {
      throw new ShapeError(`matmul: ${batch} x [${m}, ${n}] is too large for one GPU dispatch (at most ${MAX_GROUPS_X * tile.BM} rows and ${MAX_GROUPS_X} batch items)`);
    }
    if (tile.vec4 && !vec4Eligible(m, n, k, transA, transB, aBatchStride, bBatchStride)) {
      throw new ShapeError(`matmul: tile ${tile.name} needs whole vec4 rows (each operand's contiguous extent, n and the batch strides multiples of 4); got ${m}x${k}x${n}${transA ? " transA" : ""}${transB ? " transB" : ""}`);
    }
    this.rt.dispatch(tile.vec4 ? matmulVec4Kernel(tile) : matmulKernel(tile), [m, n, k, aBatchStride, bBatchStride, transA ? 1 : 0, transB ? 1 : 0],
      [a as GpuBuffer, b as GpuBuffer, out], [Math.ceil(n / tile.BN), gy, batch]);
    return out;
  }

  matmul(a: Storage, b: Storage, batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    aBatchStride: number, bBatchStride: number): Storage {
    const tile = chooseTile(m, n, vec4Eligible(m, n, k, transA, transB, aBatchStride, bBatchStride));
    return this.matmulWith(tile, a, b, batch, m, n, k, transA, transB, aBatchStride, bBatchStride);
  }

  permute(x: Storage, shape: Shape, perm: readonly number[]): Storage {
    const inStr = stridesOf(shape);
    return this.stridedRead(x, perm.map((p) => shape[p]), perm.map((p) => inStr[p]), 0, "permute");
  }

  /** One strided read with stride 0 on the broadcast axes (x + 0 was a fill and an add). */
  broadcastTo(x: Storage, shape: Shape, outShape: Shape): Storage {
    return this.stridedRead(x, outShape, broadcastStrides(shape, outShape), 0, "expand");
  }

  slice(x: Storage, shape: Shape, starts: readonly number[], outShape: Shape): Storage {
    const inStr = stridesOf(shape);
    let base = 0;
    for (let d = 0; d < shape.length; d++) base += starts[d] * inStr[d];
    return this.stridedRead(x, outShape, inStr, base, "slice");
  }

  private stridedRead(x: Storage, dims: Shape, strides: number[], base: number, op: string): Storage {
    const n = sizeOf(dims);
    const out = this.rt.alloc(n);
    const c = collapseDims(dims, [strides]);
    const p = stridedParams(n, c.dims, c.strides, op);
    p[2] = base;
    this.launch(stridedReadKernel, n, p, [x as GpuBuffer, out]);
    return out;
  }

  pad(x: Storage, shape: Shape, starts: readonly number[], outShape: Shape): Storage {
    const total = sizeOf(outShape);
    const out = this.rt.alloc(total);
    if (total === 0) return out;
    // Size-1 output dims hold no padding (start 0, input dim 1): dropped, so most pads fit the rank limit.
    const keep = outShape.map((_, d) => d).filter((d) => outShape[d] !== 1 || shape[d] !== 1);
    if (keep.length > MAX_RANK) throw rankError("pad", outShape);
    const inStr = stridesOf(shape);
    const p = new Uint32Array(40);
    p[0] = total;
    p[1] = keep.length;
    keep.forEach((d, j) => {
      p[8 + j] = outShape[d];
      p[16 + j] = starts[d];
      p[24 + j] = shape[d];
      p[32 + j] = inStr[d];
    });
    this.launch(padKernel, total, p, [x as GpuBuffer, out]);
    return out;
  }

  gather(x: Storage, shape: Shape, axis: number, indices: Int32Array): Storage {
    const { outer, len, inner } = splitAxis(shape, axis);
    const n = outer * indices.length * inner;
    const out = this.rt.alloc(n);
    if (n === 0) return out;
    const idx = this.rt.upload(indices, indices.length);
    this.launch(gatherKernel, n, [n, indices.length, inner, len], [x as GpuBuffer, idx, out]);
    this.rt.releaseNow(idx);
    return out;
  }

  scatterAdd(g: Storage, _gShape: Shape, axis: number, indices: Int32Array, outShape: Shape): Storage {
    const { outer, len, inner } = splitAxis(outShape, axis);
    const n = outer * len * inner;
    if (n === 0 || indices.length === 0) return this.full(n, 0);
    // Row lists per target (CSR), built on the host where the indices already are.
    const start = new Int32Array(len + 1);
    for (let r = 0; r < indices.length; r++) start[indices[r] + 1]++;
    for (let l = 0; l < len; l++) start[l + 1] += start[l];
    const fill = start.slice(0, len);
    const rows = new Int32Array(indices.length);
    for (let r = 0; r < indices.length; r++) rows[fill[indices[r]]++] = r;
    const out = this.rt.alloc(n);
    const startBuf = this.rt.upload(start, start.length);
    const rowBuf = this.rt.upload(rows, rows.length);
    this.launch(scatterAddKernel, n, [n, indices.length, inner, len], [g as GpuBuffer, startBuf, rowBuf, out]);
    this.rt.releaseNow(startBuf);
    this.rt.releaseNow(rowBuf);
    return out;
  }

  oneHot(indices: Int32Array, depth: number): Storage {
    const n = indices.length * depth;
    const out = this.rt.alloc(n);
    if (n === 0) return out;
    const idx = this.rt.upload(indices, indices.length);
    this.launch(oneHotKernel, n, [n, depth], [idx, out]);
    this.rt.releaseNow(idx);
    return out;
  }

  im2col(x: Storage, g: Conv2dGeometry): Storage {
    const n = g.C * g.kh * g.kw * g.N * g.oh * g.ow;
    const out = this.rt.alloc(n);
    this.launch(im2colKernel, n, geomParams(n, g), [x as GpuBuffer, out]);
    return out;
  }

  col2im(cols: Storage, g: Conv2dGeometry): Storage {
    const n = g.N * g.C * g.H * g.W;
    const out = this.rt.alloc(n);
    this.launch(col2imKernel, n, geomParams(n, g), [cols as GpuBuffer, out]);
    return out;
  }

  maxPool2d(x: Storage, g: Conv2dGeometry): { out: Storage; argmax: Storage } {
    const n = g.N * g.C * g.oh * g.ow;
    const out = this.rt.alloc(n);
    const arg = this.rt.alloc(n);
    this.launch(maxPoolKernel, n, geomParams(n, g), [x as GpuBuffer, out, arg]);
    return { out, argmax: new GpuPoolArgmax(arg, g) };
  }

  maxPool2dBackward(gy: Storage, argmax: Storage, inputSize: number): Storage {
    const arg = argmax as GpuPoolArgmax;
    const out = this.rt.alloc(inputSize);
    this.launch(maxPoolBackwardKernel, inputSize, geomParams(inputSize, arg.g), [gy as GpuBuffer, arg.indices, out]);
    return out;
  }

  avgPool2d(x: Storage, g: Conv2dGeometry): Storage {
    const n = g.N * g.C * g.oh * g.ow;
    const out = this.rt.alloc(n);
    this.launch(avgPoolKernel, n, geomParams(n, g), [x as GpuBuffer, out]);
    return out;
  }

  avgPool2dBackward(gy: Storage, g: Conv2dGeometry): Storage {
    const n = g.N * g.C * g.H * g.W;
    const out = this.rt.alloc(n);
    this.launch(avgPoolBackwardKernel, n, geomParams(n, g), [gy as GpuBuffer, out]);
    return out;
  }

  logSoftmax(x: Storage, rows: number, cols: number): Storage {
    const out = this.rt.alloc(rows * cols);
    if (rows * cols > 0) this.rt.dispatch(logSoftmaxKernel, [rows, cols], [x as GpuBuffer, out], grid1d(rows));
    return out;
  }

  logSoftmaxBackward(y: Storage, g: Storage, rows: number, cols: number): Storage {
    const out = this.rt.alloc(rows * cols);
    if (rows * cols > 0) this.rt.dispatch(logSoftmaxBackwardKernel, [rows, cols], [y as GpuBuffer, g as GpuBuffer, out], grid1d(rows));
    return out;
  }

  axpyInPlace(y: Storage, x: Storage, alpha: number, n: number): void {
    if (x === y) this.launch(axpySelfKernel, n, [n, 0, f32bits(alpha)], [y as GpuBuffer]);
    else this.launch(axpyKernel, n, [n, 0, f32bits(alpha)], [x as GpuBuffer, y as GpuBuffer]);
  }

  momentumInPlace(p: Storage, v: Storage, g: Storage, n: number, momentum: number, lr: number, nesterov: boolean): void {
    this.launch(momentumKernel, n, [n, 0, f32bits(momentum), f32bits(lr), nesterov ? 1 : 0], [g as GpuBuffer, p as GpuBuffer, v as GpuBuffer]);
  }

  assignInPlace(y: Storage, x: Storage, n: number): void {
    if (x !== y) this.launch(copyKernel, n, [n], [x as GpuBuffer, y as GpuBuffer]);
  }
}

const f32view = new Float32Array(1);
const u32view = new Uint32Array(f32view.buffer);
function f32bits(v: number): number {
  f32view[0] = v;
  return u32view[0];
}

/** A grid of `groups` workgroups, wrapped into a second dimension past the per-dimension limit. */
function rankError(op: string, shape: Shape): ShapeError {
  return new ShapeError(`${op}: ${fmt(shape)} has more than ${MAX_RANK} non-mergeable dimensions, the most the webgpu backend's kernels take`);
}

/** Word 0 count, 1 rank, dims at 8.., operand k's strides at 16 + 8k... */
function stridedParams(n: number, dims: readonly number[], strides: readonly number[][], op: string): Uint32Array {
  if (dims.length > MAX_RANK) throw rankError(op, dims);
  const p = new Uint32Array(16 + 8 * strides.length);
  p[0] = n;
  p[1] = dims.length;
  for (let d = 0; d < dims.length; d++) {
    p[8 + d] = dims[d];
    for (let k = 0; k < strides.length; k++) p[16 + 8 * k + d] = strides[k][d];
  }
  return p;
}

function geomParams(n: number, g: Conv2dGeometry): number[] {
  return [n, g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow];
}

function splitAxis(shape: Shape, axis: number): { outer: number; len: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, len: shape[axis], inner };
}
