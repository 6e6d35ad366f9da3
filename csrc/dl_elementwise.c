/*
 * Elementwise, reduction and optimizer-update kernels for the float32 CPU backend (the native
 * addon only: WebAssembly would have to copy every operand into its memory first, which costs
 * more than these loops). See dl_kernels.h for the contract.
 *
 * Every kernel gives bit for bit what the engine's TypeScript loops give, so results never depend
 * on which path ran: +, -, *, / and sqrt of float32 values are correctly rounded both ways (a
 * double result rounded to float equals the float operation: 53 >= 2 * 24 + 2 bits), the sums
 * accumulate in float32 in the same order, and the updates that JavaScript computes in double
 * (y + alpha * x with a double alpha) are computed in double here, without fused multiply-adds.
 *
 * The loops are written once as always-inline bodies and instantiated twice: for the x86-64
 * baseline (SSE2) and, chosen at run time, with AVX2 enabled; the compiler vectorizes both.
 */
#include "dl_kernels.h"

/* No a*b+c contraction into an FMA: the reference rounds the product first. */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#if defined(__x86_64__) && !defined(__wasm__)
#define EW_X86 1
#define EW_AVX2_ATTR __attribute__((target("avx2")))
#else
#define EW_X86 0
#endif

#define EW_INLINE static inline __attribute__((always_inline))

/* ---------------------------------------------------------------- binary ops */

/* One loop per op, so each is a plain loop the vectorizer handles. F(x, y) is the op. */
#define EW_BINARY_SWITCH(LOOP)                                                                     \
  switch (op) {                                                                                    \
  case DL_EW_ADD: LOOP((x) + (y)); break;                                                          \
  case DL_EW_SUB: LOOP((x) - (y)); break;                                                          \
  case DL_EW_MUL: LOOP((x) * (y)); break;                                                          \
  case DL_EW_DIV: LOOP((x) / (y)); break;                                                          \
  /* NaN in either operand propagates (numpy's maximum/minimum). */                                \
  case DL_EW_MAXIMUM: LOOP(((x) != (x) || (x) >= (y)) ? (x) : (y)); break;                         \
  case DL_EW_MINIMUM: LOOP(((x) != (x) || (x) <= (y)) ? (x) : (y)); break;                         \
  case DL_EW_GT: LOOP((x) > (y) ? 1.0f : 0.0f); break;                                             \
  case DL_EW_GE: LOOP((x) >= (y) ? 1.0f : 0.0f); break;                                            \
  case DL_EW_LT: LOOP((x) < (y) ? 1.0f : 0.0f); break;                                             \
  case DL_EW_LE: LOOP((x) <= (y) ? 1.0f : 0.0f); break;                                            \
  case DL_EW_EQ: LOOP((x) == (y) ? 1.0f : 0.0f); break;                                            \
  case DL_EW_NE: LOOP((x) != (y) ? 1.0f : 0.0f); break;                                            \
  default: break;                                                                                  \
  }

EW_INLINE void ew_binary_body(int op, int mode, const float *restrict a, const float *restrict b,
                              float *restrict out, long rows, long d) {
  long n = rows * d;
  switch (mode) {
  case DL_EW_SAME: {
#define LOOP(E) for (long i = 0; i < n; i++) { float x = a[i], y = b[i]; out[i] = E; }
    EW_BINARY_SWITCH(LOOP)
#undef LOOP
    break;
  }
  case DL_EW_SCALAR_B: {
    const float y = b[0];
#define LOOP(E) for (long i = 0; i < n; i++) { float x = a[i]; out[i] = E; }
    EW_BINARY_SWITCH(LOOP)
#undef LOOP
    break;
  }
  case DL_EW_SCALAR_A: {
    const float x = a[0];
#define LOOP(E) for (long i = 0; i < n; i++) { float y = b[i]; out[i] = E; }
    EW_BINARY_SWITCH(LOOP)
#undef LOOP
    break;
  }
  case DL_EW_ROW: {
#define LOOP(E)                                                                                    \
  for (long r = 0; r < rows; r++) {                                                                \
    const float *ar = a + r * d;                                                                   \
    float *o = out + r * d;                                                                        \
    for (long j = 0; j < d; j++) { float x = ar[j], y = b[j]; o[j] = E; }                          \
  }
    EW_BINARY_SWITCH(LOOP)
#undef LOOP
    break;
  }
  case DL_EW_COL: {
#define LOOP(E)                                                                                    \
  for (long r = 0; r < rows; r++) {                                                                \
    const float *ar = a + r * d;                                                                   \
    float *o = out + r * d;                                                                        \
    const float y = b[r];                                                                          \
    for (long j = 0; j < d; j++) { float x = ar[j]; o[j] = E; }                                    \
  }
    EW_BINARY_SWITCH(LOOP)
#undef LOOP
    break;
  }
  default:
    break;
  }
}

/* ---------------------------------------------------------------- unary ops */

EW_INLINE void ew_unary_body(int op, const float *restrict xs, float *restrict out, long n) {
#define LOOP(E) for (long i = 0; i < n; i++) { float x = xs[i]; out[i] = E; }
  switch (op) {
  case DL_EW_NEG: LOOP(-x); break;
  case DL_EW_SQUARE: LOOP(x * x); break;
  case DL_EW_ABS: LOOP(__builtin_fabsf(x)); break;
  /* NaN gives 0, as the reference's `x > 0 ? x : 0` does. */
  case DL_EW_RELU: LOOP(x > 0.0f ? x : 0.0f); break;
  case DL_EW_STEP: LOOP(x > 0.0f ? 1.0f : 0.0f); break;
  case DL_EW_SIGN: LOOP(x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f)); break;
  case DL_EW_SQRT: LOOP(__builtin_sqrtf(x)); break;
  default: break;
  }
#undef LOOP
}

/* ---------------------------------------------------------------- where */

EW_INLINE void ew_where_body(const float *restrict c, const float *restrict a,
                             const float *restrict b, float *restrict out, long n) {
  for (long i = 0; i < n; i++) out[i] = c[i] != 0.0f ? a[i] : b[i];
}

/* ---------------------------------------------------------------- reductions */

/* out[o][j] = op over r of x[o][r][j], accumulated in float32 in order r = 0, 1, ... */
EW_INLINE void ew_reduce_body(int op, const float *restrict x, float *restrict out, long outer,
                              long red, long inner) {
  for (long o = 0; o < outer; o++) {
    float *acc = out + o * inner;
    const float *xo = x + o * red * inner;
    float init = op == DL_EW_RSUM ? 0.0f : op == DL_EW_RMAX ? -__builtin_inff() : __builtin_inff();
    for (long j = 0; j < inner; j++) acc[j] = init;
    for (long r = 0; r < red; r++) {
      const float *xr = xo + r * inner;
      switch (op) {
      case DL_EW_RSUM:
        for (long j = 0; j < inner; j++) acc[j] += xr[j];
        break;
      /* NaN wins, as in the reference. */
      case DL_EW_RMAX:
        for (long j = 0; j < inner; j++) { float v = xr[j]; acc[j] = (v > acc[j] || v != v) ? v : acc[j]; }
        break;
      default:
        for (long j = 0; j < inner; j++) { float v = xr[j]; acc[j] = (v < acc[j] || v != v) ? v : acc[j]; }
        break;
      }
    }
  }
}

/* ---------------------------------------------------------------- updates (in place) */

EW_INLINE void ew_axpy_body(float *restrict y, const float *restrict x, double alpha, long n) {
  for (long i = 0; i < n; i++) {
    double t = alpha * (double)x[i];
    y[i] = (float)((double)y[i] + t);
  }
}

/* The Momentum rule in float32, each operation rounded (as Theano's float32 graph computed it):
 * v <- m v - lr g; p <- p + v, or with Nesterov p <- (p + m v) - lr g. Eight lanes a vector:
 * in double it was compute-bound (~1.3 ns an element); in float it runs at memory speed. */
EW_INLINE void ew_momentum_body(float *restrict p, float *restrict v, const float *restrict g,
                                long n, float m, float lr, int nesterov) {
  if (nesterov) {
    for (long i = 0; i < n; i++) {
      float lg = lr * g[i];
      float mv = m * v[i];
      float v2 = mv - lg;
      v[i] = v2;
      float mv2 = m * v2;
      float p1 = p[i] + mv2;
      p[i] = p1 - lg;
    }
  } else {
    for (long i = 0; i < n; i++) {
      float lg = lr * g[i];
      float mv = m * v[i];
      float v2 = mv - lg;
      v[i] = v2;
      p[i] = p[i] + v2;
    }
  }
}

/* ---------------------------------------------------------------- two builds + dispatch */

static void ew_binary_base(int op, int mode, const float *a, const float *b, float *out, long rows, long d) { ew_binary_body(op, mode, a, b, out, rows, d); }
static void ew_unary_base(int op, const float *x, float *out, long n) { ew_unary_body(op, x, out, n); }
static void ew_where_base(const float *c, const float *a, const float *b, float *out, long n) { ew_where_body(c, a, b, out, n); }
static void ew_reduce_base(int op, const float *x, float *out, long outer, long red, long inner) { ew_reduce_body(op, x, out, outer, red, inner); }
static void ew_axpy_base(float *y, const float *x, double alpha, long n) { ew_axpy_body(y, x, alpha, n); }
static void ew_momentum_base(float *p, float *v, const float *g, long n, float m, float lr, int nesterov) { ew_momentum_body(p, v, g, n, m, lr, nesterov); }

#if EW_X86
EW_AVX2_ATTR static void ew_binary_avx2(int op, int mode, const float *a, const float *b, float *out, long rows, long d) { ew_binary_body(op, mode, a, b, out, rows, d); }
EW_AVX2_ATTR static void ew_unary_avx2(int op, const float *x, float *out, long n) { ew_unary_body(op, x, out, n); }
EW_AVX2_ATTR static void ew_where_avx2(const float *c, const float *a, const float *b, float *out, long n) { ew_where_body(c, a, b, out, n); }
EW_AVX2_ATTR static void ew_reduce_avx2(int op, const float *x, float *out, long outer, long red, long inner) { ew_reduce_body(op, x, out, outer, red, inner); }
EW_AVX2_ATTR static void ew_axpy_avx2(float *y, const float *x, double alpha, long n) { ew_axpy_body(y, x, alpha, n); }
EW_AVX2_ATTR static void ew_momentum_avx2(float *p, float *v, const float *g, long n, float m, float lr, int nesterov) { ew_momentum_body(p, v, g, n, m, lr, nesterov); }

static int ew_avx2 = -1;
static int use_avx2(void) {
  if (ew_avx2 < 0) ew_avx2 = dl_isa_best() >= DL_ISA_AVX2;
  return ew_avx2;
}
void dl_ew_force_base(int on) { ew_avx2 = on ? 0 : -1; }
#define EW_DISPATCH(name, ...) (use_avx2() ? name##_avx2(__VA_ARGS__) : name##_base(__VA_ARGS__))
#else
#define EW_DISPATCH(name, ...) name##_base(__VA_ARGS__)
void dl_ew_force_base(int on) { (void)on; }
#endif

void dl_ew_binary(int op, int mode, const float *a, const float *b, float *out, long rows, long d) {
  EW_DISPATCH(ew_binary, op, mode, a, b, out, rows, d);
}
void dl_ew_unary(int op, const float *x, float *out, long n) { EW_DISPATCH(ew_unary, op, x, out, n); }
void dl_ew_where(const float *c, const float *a, const float *b, float *out, long n) {
  EW_DISPATCH(ew_where, c, a, b, out, n);
}
void dl_ew_reduce(int op, const float *x, float *out, long outer, long red, long inner) {
  EW_DISPATCH(ew_reduce, op, x, out, outer, red, inner);
}
void dl_ew_axpy(float *y, const float *x, double alpha, long n) {
  if (x == y) { /* y += alpha * y: the same arithmetic, without the body's restrict aliasing */
    for (long i = 0; i < n; i++) y[i] = (float)((double)y[i] + alpha * (double)y[i]);
    return;
  }
  EW_DISPATCH(ew_axpy, y, x, alpha, n);
}
void dl_ew_momentum(float *p, float *v, const float *g, long n, float m, float lr, int nesterov) {
  EW_DISPATCH(ew_momentum, p, v, g, n, m, lr, nesterov);
}
