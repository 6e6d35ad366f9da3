/** The activations the fused kernels know. */
export type ActKind = "sigmoid" | "tanh" | "relu" | "softplus" | "linear";

/** Kernel paths, fastest first in the order `getCpuKernels` prefers them. */
export type KernelName =
  | "native-avx512"
  | "native-avx2"
  | "native-generic"
  | "wasm-relaxed"
  | "wasm-simd128"
  | "js";

/** One set of CPU kernels (native addon, WebAssembly or plain TypeScript), all synchronous. */
export interface CpuKernels {
  /** Active path: "native-avx512" | "native-avx2" | "native-generic" | "wasm-relaxed" | "wasm-simd128" | "js". */
  readonly name: string;
  /** Threads a large GEMM is split over (1: the calling thread only). */
  readonly threads: number;
  /** One line: why this path was chosen (e.g. "native addon failed to load: ..."). */
  readonly why: string;
  /** Row-major SGEMM: C(m x n) = alpha * op(A) * op(B) + beta * C. op(A) is m x k (A stored k x m when transA),
   *  op(B) is k x n (B stored n x k when transB). lda/ldb/ldc are row strides of the stored matrices.
   *  beta = 0 must ignore C's old contents (NaN in C must not leak). */
  sgemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
        a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): void;
  /** x: N x C x H x W (NCHW). out: (C*kh*kw) x (N*oh*ow) row-major, row index = (c*kh + i)*kw + j,
   *  column index = (n*oh + y)*ow + x; oh = floor((H + 2*ph - kh)/sh) + 1, same for ow; zero padding. */
  im2col(x: Float32Array, N: number, C: number, H: number, W: number, kh: number, kw: number,
         sh: number, sw: number, ph: number, pw: number, out: Float32Array): void;
  /** The adjoint of im2col: ACCUMULATES cols into dx (N x C x H x W) — caller zeroes dx first. */
  col2im(cols: Float32Array, N: number, C: number, H: number, W: number, kh: number, kw: number,
         sh: number, sw: number, ph: number, pw: number, dx: Float32Array): void;
  /** out[i*n + j] = act(x[i*n + j] + (bias ? bias[j] : 0)); out may be x. */
  biasAct(act: ActKind, x: Float32Array, bias: Float32Array | null, m: number, n: number, out: Float32Array): void;
  /** gx[i] = gy[i] * act'(.) expressed through the activation OUTPUT y: sigmoid y(1-y), tanh 1-y^2,
   *  relu (y>0), softplus 1-exp(-y), linear 1. */
  actBackward(act: ActKind, y: Float32Array, gy: Float32Array, gx: Float32Array, len: number): void;
  /** Elementwise kernels, where this path has them (the native addon); the engine's loops otherwise. */
  readonly elementwise?: ElementwiseKernels;
}

/** The activation numbers of csrc/dl_kernels.h (DL_ACT_*). */
export const ACT_CODE: Readonly<Record<ActKind, number>> = { linear: 0, sigmoid: 1, tanh: 2, relu: 3, softplus: 4 };

/**
 * Elementwise kernels over Float32Arrays (the native addon's csrc/dl_elementwise.c). Each gives
 * bit for bit what the reference backend's TypeScript loops give, so a result never depends on
 * which path ran. `out` is always a fresh array that overlaps no operand.
 */
export interface ElementwiseKernels {
  /** out = a op b over rows x d values; `mode` (EW_MODE) says how b (or a) is broadcast. */
  binary(op: number, mode: number, a: Float32Array, b: Float32Array, out: Float32Array, rows: number, d: number): void;
  unary(op: number, x: Float32Array, out: Float32Array, n: number): void;
  /** out[i] = c[i] !== 0 ? a[i] : b[i] */
  where(c: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array, n: number): void;
  /** x: outer x red x inner -> out: outer x inner, reduced over the middle axis in float32, in order. */
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, red: number, inner: number): void;
  /** y += alpha * x in place (y may be x), each element computed in double and rounded once. */
  axpy(y: Float32Array, x: Float32Array, alpha: number, n: number): void;
  /** The Momentum rule in one pass, in float32 (m and lr rounded to float32, every operation rounded):
   *  v = m v - lr g; p = p + v (Nesterov: p = (p + m v) - lr g). */
  momentum(p: Float32Array, v: Float32Array, g: Float32Array, n: number, m: number, lr: number, nesterov: boolean): void;
}

/** The binary op numbers of csrc/dl_kernels.h (DL_EW_*); pow has no kernel (Math.pow is not powf). */
export const EW_BINARY: Readonly<Record<string, number>> = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, gt: 6, ge: 7, lt: 8, le: 9, eq: 10, ne: 11,
};
/** How the operands meet (DL_EW_SAME ...). */
export const EW_MODE = { same: 0, scalarB: 1, scalarA: 2, row: 3, col: 4 } as const;
/** Unary op numbers (DL_EW_NEG ...); the transcendental ops stay in TypeScript or the activation kernel. */
export const EW_UNARY: Readonly<Record<string, number>> = { neg: 0, square: 1, abs: 2, relu: 3, step: 4, sign: 5, sqrt: 6 };
/** Reduction op numbers (DL_EW_RSUM ...). */
export const EW_REDUCE: Readonly<Record<string, number>> = { sum: 0, max: 1, min: 2 };
