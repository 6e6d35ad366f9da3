import type { Conv2dGeometry } from "../backend.js";
import { stridesOf } from "../shape.js";

/**
 * Tight loops for the reference backend's strided cases: broadcasting elementwise ops, reductions
 * over several non-adjacent axes, permutes, and max pooling. The generic walk (one closure call per
 * innermost row, one indirect op call per element) made the (1, C, H, W) bias add of a conv layer
 * cost more than its GEMM. Here every operand's dims are first collapsed — adjacent dims that are
 * contiguous for all operands merge, size-1 dims drop — so (N, C, H, W) + (1, C, 1, 1) becomes
 * N*C rows of H*W with a scalar per row; each row then runs a small top-level loop that V8 optimises
 * on its own, chosen by the row's two strides.
 */

type Arr = Float32Array | Float64Array;

export interface Collapsed {
  /** The merged dims, outermost first (empty for a single element). */
  shape: number[];
  /** Per operand, its stride along each merged dim. */
  strides: number[][];
}

/**
 * Merges adjacent dims of `shape` where every operand's stride pattern is contiguous
 * (stride[d] === stride[d + 1] * shape[d + 1], which includes two broadcast dims), and drops dims of
 * size 1. Iterating the result visits the same (element, offsets) pairs in the same order.
 */
export function collapseDims(shape: readonly number[], strides: readonly (readonly number[])[]): Collapsed {
  const outShape: number[] = [];
  const outStr: number[][] = strides.map(() => []);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d];
    if (n === 1) continue;
    // outShape[0] is the dim just inside d (the list grows at the front).
    if (outShape.length > 0 && strides.every((s, k) => s[d] === outStr[k][0] * outShape[0])) {
      outShape[0] *= n;
      continue;
    }
    outShape.unshift(n);
    for (let k = 0; k < strides.length; k++) outStr[k].unshift(strides[k][d]);
  }
  return { shape: outShape, strides: outStr };
}

/**
 * Start offsets of every innermost row, per operand: the outer dims' odometer run once into flat
 * arrays so the row loops below are plain `for` loops.
 */
function rowStarts(c: Collapsed): { rows: number; len: number; starts: Int32Array[] } {
  const rank = c.shape.length;
  if (rank === 0) return { rows: 1, len: 1, starts: c.strides.map(() => new Int32Array(1)) };
  const len = c.shape[rank - 1];
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= c.shape[d];
  const starts = c.strides.map(() => new Int32Array(rows));
  const idx = new Array<number>(rank - 1).fill(0);
  const off = new Array<number>(c.strides.length).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < off.length; k++) starts[k][r] = off[k];
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < off.length; k++) off[k] += c.strides[k][d];
      if (idx[d] < c.shape[d]) break;
      for (let k = 0; k < off.length; k++) off[k] -= c.strides[k][d] * c.shape[d];
      idx[d] = 0;
    }
  }
  return { rows, len, starts };
}

// ---------- broadcasting binary ops ----------

function addVV(a: Arr, ai: number, b: Arr, bi: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = a[ai + j] + b[bi + j];
}
function subVV(a: Arr, ai: number, b: Arr, bi: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = a[ai + j] - b[bi + j];
}
function mulVV(a: Arr, ai: number, b: Arr, bi: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = a[ai + j] * b[bi + j];
}
function divVV(a: Arr, ai: number, b: Arr, bi: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = a[ai + j] / b[bi + j];
}
function addVS(a: Arr, ai: number, v: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = a[ai + j] + v;
}
function subVS(a: Arr, ai: number, v: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = a[ai + j] - v;
}
function mulVS(a: Arr, ai: number, v: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = a[ai + j] * v;
}
function divVS(a: Arr, ai: number, v: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = a[ai + j] / v;
}
function subSV(v: number, b: Arr, bi: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = v - b[bi + j];
}
function divSV(v: number, b: Arr, bi: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = v / b[bi + j];
}
function mapStrided(
  f: (x: number, y: number) => number, a: Arr, ai: number, sa: number, b: Arr, bi: number, sb: number, o: Arr, oi: number, n: number,
): void {
  for (let j = 0; j < n; j++) o[oi + j] = f(a[ai + j * sa], b[bi + j * sb]);
}

/**
 * out = f(a, b) with a and b read through broadcast strides; `op` names f when it is one of the
 * four arithmetic ops, which get dedicated loops (the rest call f per element).
 */
export function broadcastBinary(
  op: string, f: (x: number, y: number) => number,
  a: Arr, aStr: readonly number[], b: Arr, bStr: readonly number[], out: Arr, outShape: readonly number[],
): void {
  const outStr = stridesOf(outShape);
  const c = collapseDims(outShape, [outStr, aStr, bStr]);
  const { rows, len, starts } = rowStarts(c);
  const rank = c.shape.length;
  const sa = rank ? c.strides[1][rank - 1] : 0;
  const sb = rank ? c.strides[2][rank - 1] : 0;
  const [os, as, bs] = starts;
  if (sa === 1 && sb === 1 && (op === "add" || op === "sub" || op === "mul" || op === "div")) {
    const k = op === "add" ? addVV : op === "sub" ? subVV : op === "mul" ? mulVV : divVV;
    for (let r = 0; r < rows; r++) k(a, as[r], b, bs[r], out, os[r], len);
  } else if (sa === 1 && sb === 0 && (op === "add" || op === "sub" || op === "mul" || op === "div")) {
    const k = op === "add" ? addVS : op === "sub" ? subVS : op === "mul" ? mulVS : divVS;
    for (let r = 0; r < rows; r++) k(a, as[r], b[bs[r]], out, os[r], len);
  } else if (sa === 0 && sb === 1 && (op === "add" || op === "mul")) {
    const k = op === "add" ? addVS : mulVS; // commutative: b + a[0]
    for (let r = 0; r < rows; r++) k(b, bs[r], a[as[r]], out, os[r], len);
  } else if (sa === 0 && sb === 1 && (op === "sub" || op === "div")) {
    const k = op === "sub" ? subSV : divSV;
    for (let r = 0; r < rows; r++) k(a[as[r]], b, bs[r], out, os[r], len);
  } else {
    for (let r = 0; r < rows; r++) mapStrided(f, a, as[r], sa, b, bs[r], sb, out, os[r], len);
  }
}

// ---------- reductions over any set of axes ----------

function sumRowInto(x: Arr, xi: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] += x[xi + j];
}
function sumRow(x: Arr, xi: number, n: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += x[xi + j];
  return s;
}

/**
 * Reduces x (of `shape`) into `out`, already filled with the op's identity, where `outStr` are the
 * output's strides broadcast to `shape` (0 along reduced axes). NaN wins max and min, as numpy's do.
 */
export function reduceStrided(op: "sum" | "max" | "min", x: Arr, shape: readonly number[], out: Arr, outStr: readonly number[]): void {
  const c = collapseDims(shape, [stridesOf(shape), outStr]);
  const { rows, len, starts } = rowStarts(c);
  const rank = c.shape.length;
  const so = rank ? c.strides[1][rank - 1] : 0;
  const [xs, os] = starts;
  if (op === "sum") {
    if (so === 0) for (let r = 0; r < rows; r++) out[os[r]] += sumRow(x, xs[r], len);
    else for (let r = 0; r < rows; r++) sumRowInto(x, xs[r], out, os[r], len);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const xb = xs[r];
    const ob = os[r];
    for (let j = 0; j < len; j++) {
      const v = x[xb + j];
      const k = ob + j * so;
      if (op === "max" ? v > out[k] || v !== v : v < out[k] || v !== v) out[k] = v;
    }
  }
}

// ---------- permute ----------

function copyRow(x: Arr, xi: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = x[xi + j];
}
function gatherRow(x: Arr, xi: number, sx: number, o: Arr, oi: number, n: number): void {
  for (let j = 0; j < n; j++) o[oi + j] = x[xi + j * sx];
}

/** out (contiguous, `outShape`) = x read through `srcStr` (x's strides in output dim order). */
export function permuteStrided(x: Arr, srcStr: readonly number[], out: Arr, outShape: readonly number[]): void {
  const c = collapseDims(outShape, [stridesOf(outShape), srcStr]);
  const { rows, len, starts } = rowStarts(c);
  const rank = c.shape.length;
  const sx = rank ? c.strides[1][rank - 1] : 0;
  const [os, xs] = starts;
  if (sx === 1) for (let r = 0; r < rows; r++) copyRow(x, xs[r], out, os[r], len);
  else for (let r = 0; r < rows; r++) gatherRow(x, xs[r], sx, out, os[r], len);
}

// ---------- max pooling ----------

/**
 * Max pooling of NCHW `x` into `out` and `arg` (flat input index of each winner, -1 for a window
 * wholly in the padding, whose output is -Infinity). Windows are clipped to the image once per
 * output, so the inner loops carry no bounds tests. Ties go to the first pixel in row-major window
 * order; a NaN in first place stays (nothing compares greater), as the reference loop did.
 */
export function maxPoolForward(x: Arr, g: Conv2dGeometry, out: Arr, arg: Int32Array): void {
  const { N, C, H, W, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  if (ph === 0 && pw === 0 && kh % sh === 0 && kw % sw === 0 && (oh - 1) * sh + kh <= H && (ow - 1) * sw + kw <= W) {
    maxPoolBlocks(x, g, out, arg);
    return;
  }
  const planes = N * C;
  for (let p = 0; p < planes; p++) {
    const xb = p * H * W;
    const ob = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      const y0 = y * sh - ph;
      const i0 = y0 < 0 ? 0 : y0;
      const i1 = y0 + kh > H ? H : y0 + kh;
      for (let xx = 0; xx < ow; xx++) {
        const x0 = xx * sw - pw;
        const j0 = x0 < 0 ? 0 : x0;
        const j1 = x0 + kw > W ? W : x0 + kw;
        const o = ob + y * ow + xx;
        if (i0 >= i1 || j0 >= j1) {
          out[o] = -Infinity;
          arg[o] = -1;
          continue;
        }
        let bi = xb + i0 * W + j0;
        let best = x[bi];
        for (let i = i0; i < i1; i++) {
          const rb = xb + i * W;
          for (let j = j0; j < j1; j++) {
            const v = x[rb + j];
            if (v > best) {
              best = v;
              bi = rb + j;
            }
          }
        }
        out[o] = best;
        arg[o] = bi;
      }
    }
  }
}

/**
 * Max pooling when each window is a whole number of stride blocks and lies inside the image (the
 * conv tutorial's 4x4 pools at stride 2): the max of each stride-wide block of a row is found once
 * and shared by the windows that overlap it, then the same down the columns — about 800 instead of
 * 1936 comparisons per 24x24 plane. Strict `>` at every stage keeps the first winner in row-major
 * window order, as the direct loop does.
 */
function maxPoolBlocks(x: Arr, g: Conv2dGeometry, out: Arr, arg: Int32Array): void {
  const { N, C, H, W, kh, kw, sh, sw, oh, ow } = g;
  const mw = kw / sw;
  const mh = kh / sh;
  const bw = ow + mw - 1; // stride blocks per row that some window uses
  const bh = oh + mh - 1;
  const rows = (oh - 1) * sh + kh; // image rows some window uses
  const blockV = new Float64Array(rows * bw);
  const blockI = new Int32Array(rows * bw);
  const rowV = new Float64Array(rows * ow); // per image row, the max of each window's columns
  const rowI = new Int32Array(rows * ow);
  const colV = new Float64Array(bh * ow);
  const colI = new Int32Array(bh * ow);
  const planes = N * C;
  for (let p = 0; p < planes; p++) {
    const xb = p * H * W;
    // 1. max of each stride-wide block of each row
    for (let r = 0; r < rows; r++) {
      const rb = xb + r * W;
      for (let b = 0; b < bw; b++) {
        const b0 = rb + b * sw;
        let bi = b0;
        let best = x[b0];
        for (let j = 1; j < sw; j++) {
          const v = x[b0 + j];
          if (v > best) {
            best = v;
            bi = b0 + j;
          }
        }
        blockV[r * bw + b] = best;
        blockI[r * bw + b] = bi;
      }
    }
    // 2. each window's columns: mw consecutive blocks
    for (let r = 0; r < rows; r++) {
      for (let xx = 0; xx < ow; xx++) {
        let k = r * bw + xx;
        let best = blockV[k];
        let bi = blockI[k];
        for (let m = 1; m < mw; m++) {
          k++;
          if (blockV[k] > best) {
            best = blockV[k];
            bi = blockI[k];
          }
        }
        rowV[r * ow + xx] = best;
        rowI[r * ow + xx] = bi;
      }
    }
    // 3. the same down the rows: blocks of sh rows, then mh consecutive blocks
    for (let b = 0; b < bh; b++) {
      for (let xx = 0; xx < ow; xx++) {
        let k = b * sh * ow + xx;
        let best = rowV[k];
        let bi = rowI[k];
        for (let i = 1; i < sh; i++) {
          k += ow;
          if (rowV[k] > best) {
            best = rowV[k];
            bi = rowI[k];
          }
        }
        colV[b * ow + xx] = best;
        colI[b * ow + xx] = bi;
      }
    }
    const ob = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let k = y * ow + xx;
        let best = colV[k];
        let bi = colI[k];
        for (let m = 1; m < mh; m++) {
          k += ow;
          if (colV[k] > best) {
            best = colV[k];
            bi = colI[k];
          }
        }
        out[ob + y * ow + xx] = best;
        arg[ob + y * ow + xx] = bi;
      }
    }
  }
}
