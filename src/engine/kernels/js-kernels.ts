import { checkActBackward, checkBiasAct, checkConv, checkSgemm, convOut } from "./check.js";
import type { ActKind, CpuKernels } from "./types.js";

/**
 * The plain TypeScript kernels: straightforward loops, used where neither WebAssembly nor the
 * addon loads, and as a readable statement of what every other path computes. Sums are kept in
 * float64 (JS numbers) and rounded once when stored.
 */
export function createJsKernels(why = "plain TypeScript kernels"): CpuKernels {
  return {
    name: "js",
    threads: 1,
    why,
    sgemm: jsSgemm,
    im2col(x, N, C, H, W, kh, kw, sh, sw, ph, pw, out) {
      checkConv("im2col", N, C, H, W, kh, kw, sh, sw, ph, pw, x, out);
      convWalk(N, C, H, W, kh, kw, sh, sw, ph, pw, (col, img) => { out[col] = img < 0 ? 0 : x[img]; });
    },
    col2im(cols, N, C, H, W, kh, kw, sh, sw, ph, pw, dx) {
      checkConv("col2im", N, C, H, W, kh, kw, sh, sw, ph, pw, dx, cols);
      convWalk(N, C, H, W, kh, kw, sh, sw, ph, pw, (col, img) => { if (img >= 0) dx[img] += cols[col]; });
    },
    biasAct(act, x, bias, m, n, out) {
      checkBiasAct(act, x, bias, m, n, out);
      const f = ACT[act];
      for (let i = 0; i < m; i++) {
        const o = i * n;
        // the sum is a float32, as in the C kernels (it matters in the tails: sigmoid(-66 + b))
        if (bias) for (let j = 0; j < n; j++) out[o + j] = f(Math.fround(x[o + j] + bias[j]));
        else for (let j = 0; j < n; j++) out[o + j] = f(x[o + j]);
      }
    },
    actBackward(act, y, gy, gx, len) {
      checkActBackward(act, y, gy, gx, len);
      // relu passes gy through or gives 0 (not gy * 0, which would keep a NaN gy), as in C
      if (act === "relu") for (let i = 0; i < len; i++) gx[i] = y[i] > 0 ? gy[i] : 0;
      else {
        const d = DACT[act];
        for (let i = 0; i < len; i++) gx[i] = gy[i] * d(y[i]);
      }
    },
  };
}

function jsSgemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number,
): void {
  checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
  if (k === 0 || alpha === 0) {
    // BLAS semantics (and the C kernels'): no product at all, so NaN in A or B cannot enter
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * ldc + j] = beta === 0 ? 0 : beta * c[i * ldc + j];
    return;
  }
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * lda + i] : a[i * lda + p];
      if (transB) for (let j = 0; j < n; j++) acc[j] += aip * b[j * ldb + p];
      else {
        const row = p * ldb;
        for (let j = 0; j < n; j++) acc[j] += aip * b[row + j];
      }
    }
    const o = i * ldc;
    // beta = 0 overwrites: 0 * NaN would be NaN, and C's old contents must not leak
    for (let j = 0; j < n; j++) c[o + j] = beta === 0 ? alpha * acc[j] : alpha * acc[j] + beta * c[o + j];
  }
}

/** Calls visit(columnMatrixIndex, imageIndex or -1 for padding) for every im2col entry. */
function convWalk(
  N: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number,
  visit: (col: number, img: number) => void,
): void {
  const oh = convOut(H, kh, sh, ph), ow = convOut(W, kw, sw, pw);
  const ncols = N * oh * ow;
  for (let c = 0; c < C; c++)
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * ncols;
        for (let n = 0; n < N; n++)
          for (let y = 0; y < oh; y++) {
            const iy = y * sh - ph + i;
            for (let x = 0; x < ow; x++) {
              const ix = x * sw - pw + j;
              const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
              visit(row + (n * oh + y) * ow + x, inside ? ((n * C + c) * H + iy) * W + ix : -1);
            }
          }
      }
}

const ACT: Record<ActKind, (v: number) => number> = {
  linear: (v) => v,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: Math.tanh,
  relu: (v) => (v < 0 ? 0 : v), // NaN stays NaN, as in the C kernels
  softplus: (v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))),
};

const DACT: Record<Exclude<ActKind, "relu">, (y: number) => number> = {
  linear: () => 1,
  sigmoid: (y) => y * (1 - y),
  tanh: (y) => 1 - y * y,
  softplus: (y) => -Math.expm1(-y),
};
