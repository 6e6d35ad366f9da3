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
}

/** The activation numbers of csrc/dl_kernels.h (DL_ACT_*). */
export const ACT_CODE: Readonly<Record<ActKind, number>> = { linear: 0, sigmoid: 1, tanh: 2, relu: 3, softplus: 4 };
