/*
 * dl's hot CPU kernels: one C source (dl_kernels.c) built two ways, to WebAssembly (SIMD128 and
 * relaxed-SIMD) by scripts/build-wasm.sh and to a Node-API addon by native/binding.gyp.
 *
 * All matrices are row-major float32. Every function is reentrant: per-thread packing memory is
 * passed in (`scratch`, dl_scratch_floats() floats), because the WebAssembly build has no malloc
 * and its instances share one memory.
 */
#ifndef DL_KERNELS_H
#define DL_KERNELS_H

#include <stdint.h>

#ifdef __wasm__
#define DL_EXPORT(name) __attribute__((export_name(#name), visibility("default")))
#else
#define DL_EXPORT(name)
#endif

/* Instruction-set variants of the GEMM micro-kernel. DL_ISA_V4 is the portable 4-wide vector
 * kernel (SSE2 / NEON natively, SIMD128 or relaxed-SIMD in WebAssembly). */
enum { DL_ISA_V4 = 0, DL_ISA_AVX2 = 1, DL_ISA_AVX512 = 2 };

/* Activations; the numbers are part of the JS <-> C contract. */
enum { DL_ACT_LINEAR = 0, DL_ACT_SIGMOID = 1, DL_ACT_TANH = 2, DL_ACT_RELU = 3, DL_ACT_SOFTPLUS = 4 };

/* Best ISA this CPU and OS support, among those compiled in. */
int dl_isa_best(void) DL_EXPORT(dl_isa_best);
/* Floats of scratch one thread needs for dl_sgemm (the maximum over the compiled ISAs). */
int dl_scratch_floats(void) DL_EXPORT(dl_scratch_floats);

/*
 * C(m x n) = alpha * op(A) * op(B) + beta * C; op(A) is m x k (A stored k x m when ta),
 * op(B) is k x n (B stored n x k when tb). beta == 0 never reads C.
 * Threads: the problem is cut into `nparts` column (or row) blocks; this call computes block
 * `part` only, so `nparts` threads calling it with part = 0..nparts-1 compute all of C.
 */
void dl_sgemm(int isa, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc, float *scratch, int part,
              int nparts) DL_EXPORT(dl_sgemm);

/* x: N x C x H x W -> out: (C*kh*kw) x (N*oh*ow), zero padding. */
void dl_im2col(const float *x, int N, int C, int H, int W, int kh, int kw, int sh, int sw, int ph,
               int pw, float *out) DL_EXPORT(dl_im2col);
/* Adjoint of dl_im2col: accumulates cols into dx. */
void dl_col2im(const float *cols, int N, int C, int H, int W, int kh, int kw, int sh, int sw,
               int ph, int pw, float *dx) DL_EXPORT(dl_col2im);

/* out[i*n + j] = act(x[i*n + j] + bias[j]) (bias may be NULL); out may equal x. */
void dl_bias_act(int act, const float *x, const float *bias, int m, int n, float *out)
    DL_EXPORT(dl_bias_act);
/* gx = gy * act'(x), written through the activation's output y; gx may equal gy or y. */
void dl_act_backward(int act, const float *y, const float *gy, float *gx, int len)
    DL_EXPORT(dl_act_backward);

/*
 * Thread entry for the WebAssembly worker pool: `args` holds a dl_sgemm call as int32 slots
 * (floats stored by their bits) in the order DL_TASK_*; each thread runs its part.
 */
enum {
  DL_TASK_TA, DL_TASK_TB, DL_TASK_M, DL_TASK_N, DL_TASK_K, DL_TASK_ALPHA, DL_TASK_A, DL_TASK_LDA,
  DL_TASK_B, DL_TASK_LDB, DL_TASK_BETA, DL_TASK_C, DL_TASK_LDC, DL_TASK_SCRATCH,
  DL_TASK_SCRATCH_STRIDE, DL_TASK_NPARTS, DL_TASK_ISA, DL_TASK_SLOTS
};
void dl_sgemm_task(const int32_t *args, int part) DL_EXPORT(dl_sgemm_task);

/*
 * Elementwise kernels (csrc/dl_elementwise.c; the native addon only). Each gives bit for bit what
 * the engine's TypeScript loops give. Ops and modes are part of the JS <-> C contract
 * (src/engine/kernels/types.ts EW_*).
 */
enum {
  DL_EW_ADD = 0, DL_EW_SUB = 1, DL_EW_MUL = 2, DL_EW_DIV = 3, DL_EW_MAXIMUM = 4, DL_EW_MINIMUM = 5,
  DL_EW_GT = 6, DL_EW_GE = 7, DL_EW_LT = 8, DL_EW_LE = 9, DL_EW_EQ = 10, DL_EW_NE = 11
};
/* How b meets a: same shape; b one value; a one value; b a row of d values repeated over the
 * rows; b a column of `rows` values, one per row. */
enum { DL_EW_SAME = 0, DL_EW_SCALAR_B = 1, DL_EW_SCALAR_A = 2, DL_EW_ROW = 3, DL_EW_COL = 4 };
enum {
  DL_EW_NEG = 0, DL_EW_SQUARE = 1, DL_EW_ABS = 2, DL_EW_RELU = 3, DL_EW_STEP = 4, DL_EW_SIGN = 5,
  DL_EW_SQRT = 6
};
enum { DL_EW_RSUM = 0, DL_EW_RMAX = 1, DL_EW_RMIN = 2 };

/* out = a op b over rows x d values (modes above); out must not overlap a or b. */
void dl_ew_binary(int op, int mode, const float *a, const float *b, float *out, long rows, long d);
void dl_ew_unary(int op, const float *x, float *out, long n);
/* out[i] = c[i] != 0 ? a[i] : b[i] */
void dl_ew_where(const float *c, const float *a, const float *b, float *out, long n);
/* x: outer x red x inner; out (outer x inner) = op over the middle axis, in float32, in order. */
void dl_ew_reduce(int op, const float *x, float *out, long outer, long red, long inner);
/* y += alpha * x, computed in double and rounded once per element (as JavaScript does); x may be y. */
void dl_ew_axpy(float *y, const float *x, double alpha, long n);
/* Momentum in one pass, in float32 with every operation rounded (no fused multiply-adds):
 * v = m v - lr g; p = p + v (Nesterov: p = (p + m v) - lr g, with the new v). */
void dl_ew_momentum(float *p, float *v, const float *g, long n, float m, float lr, int nesterov);
/* Tests: 1 runs the baseline (SSE2) build of these kernels even where AVX2 is available. */
void dl_ew_force_base(int on);

#endif
