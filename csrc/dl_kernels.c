/*
 * dl's hot CPU kernels (see dl_kernels.h). Built to WebAssembly by scripts/build-wasm.sh (no libc:
 * the code uses no library calls, no static data and no stack arrays, so several instances can
 * share one memory) and natively by native/binding.gyp, where AVX2 and AVX-512 micro-kernels are
 * compiled with per-function target attributes and chosen at run time by CPUID: the addon must
 * run on any x86-64 CPU, so nothing here needs -march.
 */
#include "dl_kernels.h"

#if defined(__x86_64__) && !defined(__wasm__)
#include <immintrin.h>
#define DL_HAVE_X86 1
#else
#define DL_HAVE_X86 0
#endif
#if DL_HAVE_X86 || defined(DL_EMULATE_AVX512)
#define DL_HAVE_AVX512_CODE 1
#else
#define DL_HAVE_AVX512_CODE 0
#endif

typedef int32_t i32;

/* ---------------------------------------------------------------- scalar math (vectorizable) */

static inline float bits_to_float(i32 b) {
  float f;
  __builtin_memcpy(&f, &b, 4);
  return f;
}

/* exp(x) to about 2 ulp for x <= 88; below -87.3 (where the result would leave the normal float
 * range) it gives 0, above 88 it clamps to exp(88) ~ 1.7e38; NaN stays NaN. The kernels call it
 * with x <= 0 only. Cephes' expf: x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial in r,
 * then 2^n through the exponent bits; no branches or library calls, so loops over it vectorize
 * in both builds. */
static inline float dl_expf(float x) {
  float xc = x > 88.0f ? 88.0f : x;
  xc = xc < -87.33654f ? -87.33654f : xc;
  /* round(x * log2 e) with the 1.5 * 2^23 trick (exact for |v| < 2^22, no floorf needed) */
  float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  float y = p * bits_to_float(((i32)n + 127) << 23);
  return x < -87.33654f ? 0.0f : y;
}

/* log(1 + t) for t in [0, 1] as 2 atanh(s), s = t / (2 + t) in [0, 1/3]: no cancellation for
 * tiny t, and the odd series s + s^3/3 + ... + s^17/17 is below 1e-8 relative there. */
static inline float dl_log1p01(float t) {
  float s = t / (2.0f + t);
  float z = s * s;
  float q = 1.0f / 17.0f;
  q = q * z + 1.0f / 15.0f;
  q = q * z + 1.0f / 13.0f;
  q = q * z + 1.0f / 11.0f;
  q = q * z + 1.0f / 9.0f;
  q = q * z + 1.0f / 7.0f;
  q = q * z + 1.0f / 5.0f;
  q = q * z + 1.0f / 3.0f;
  q = q * z + 1.0f;
  return 2.0f * s * q;
}

/* sigmoid through e = exp(-|x|) <= 1: 1/(1+e) for x >= 0, e/(1+e) for x < 0, so the far
 * negative tail underflows to 0 gracefully instead of dividing by a clamped exp(88). */
static inline float dl_sigmoid(float x) {
  float e = dl_expf(x < 0.0f ? x : -x);
  float s = 1.0f / (1.0f + e);
  return x < 0.0f ? e * s : s;
}

/* tanh: Cephes' odd polynomial for |x| < 0.625 (where the exponential form would cancel), else
 * (1 - e)/(1 + e) with e = exp(-2|x|) <= 0.29; both computed and selected, so the loop stays
 * branch-free. */
static inline float dl_tanhf(float x) {
  float ax = x < 0.0f ? -x : x;
  float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = p * z * x + x;
  float e = dl_expf(-2.0f * ax);
  float big = (1.0f - e) / (1.0f + e);
  big = x < 0.0f ? -big : big;
  return ax < 0.625f ? small : big;
}

/* softplus(x) = max(x, 0) + log(1 + exp(-|x|)), exact in form for both tails. */
static inline float dl_softplus(float x) {
  float ax = x < 0.0f ? -x : x;
  float pos = x > 0.0f ? x : 0.0f;
  return pos + dl_log1p01(dl_expf(-ax));
}

/* 1 - exp(-y) for y >= 0, the softplus derivative through its output: a Taylor polynomial below
 * 0.25, where 1 - expf(-y) would lose most digits to cancellation. */
static inline float dl_one_minus_exp_neg(float y) {
  float t = y;
  float s = 1.0f / 720.0f;
  s = 1.0f / 120.0f - t * s;
  s = 1.0f / 24.0f - t * s;
  s = 1.0f / 6.0f - t * s;
  s = 0.5f - t * s;
  s = 1.0f - t * s;
  float small = t * s;
  float big = 1.0f - dl_expf(-y);
  return y < 0.25f ? small : big;
}

/* ---------------------------------------------------------------- elementwise */

void dl_bias_act(int act, const float *x, const float *bias, int m, int n, float *out) {
  for (int i = 0; i < m; i++) {
    const float *xr = x + (long)i * n;
    float *orow = out + (long)i * n;
    /* one loop per activation and bias/no bias, so each vectorizes on its own */
#define DL_ACT_LOOP(EXPR)                                                                          \
  if (bias) {                                                                                      \
    for (int j = 0; j < n; j++) {                                                                  \
      float v = xr[j] + bias[j];                                                                   \
      orow[j] = (EXPR);                                                                            \
    }                                                                                              \
  } else {                                                                                         \
    for (int j = 0; j < n; j++) {                                                                  \
      float v = xr[j];                                                                             \
      orow[j] = (EXPR);                                                                            \
    }                                                                                              \
  }
    switch (act) {
    case DL_ACT_SIGMOID: DL_ACT_LOOP(dl_sigmoid(v)) break;
    case DL_ACT_TANH: DL_ACT_LOOP(dl_tanhf(v)) break;
    case DL_ACT_RELU: DL_ACT_LOOP(v < 0.0f ? 0.0f : v) break; /* NaN stays NaN, so divergence shows */
    case DL_ACT_SOFTPLUS: DL_ACT_LOOP(dl_softplus(v)) break;
    default: DL_ACT_LOOP(v) break;
    }
#undef DL_ACT_LOOP
  }
}

void dl_act_backward(int act, const float *y, const float *gy, float *gx, int len) {
  switch (act) {
  case DL_ACT_SIGMOID:
    for (int i = 0; i < len; i++) gx[i] = gy[i] * (y[i] * (1.0f - y[i]));
    break;
  case DL_ACT_TANH:
    /* (1 - y)(1 + y), not 1 - y*y: near |y| = 1 the product would cancel to few digits */
    for (int i = 0; i < len; i++) gx[i] = gy[i] * ((1.0f - y[i]) * (1.0f + y[i]));
    break;
  case DL_ACT_RELU:
    for (int i = 0; i < len; i++) gx[i] = y[i] > 0.0f ? gy[i] : 0.0f;
    break;
  case DL_ACT_SOFTPLUS:
    for (int i = 0; i < len; i++) gx[i] = gy[i] * dl_one_minus_exp_neg(y[i]);
    break;
  default:
    for (int i = 0; i < len; i++) gx[i] = gy[i];
    break;
  }
}

/* ---------------------------------------------------------------- im2col / col2im */

void dl_im2col(const float *x, int N, int C, int H, int W, int kh, int kw, int sh, int sw, int ph,
               int pw, float *out) {
  int oh = (H + 2 * ph - kh) / sh + 1, ow = (W + 2 * pw - kw) / sw + 1;
  long ncols = (long)N * oh * ow;
  for (int c = 0; c < C; c++)
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++) {
        float *dst = out + ((long)(c * kh + i) * kw + j) * ncols;
        /* output columns x with 0 <= x*sw - pw + j < W: [x0, x1) */
        int x0 = pw - j > 0 ? (pw - j + sw - 1) / sw : 0;
        int x1 = W - 1 + pw - j >= 0 ? (W - 1 + pw - j) / sw + 1 : 0;
        if (x1 > ow) x1 = ow;
        if (x0 > x1) x0 = x1;
        for (int nn = 0; nn < N; nn++) {
          const float *plane = x + ((long)nn * C + c) * H * W;
          for (int y = 0; y < oh; y++, dst += ow) {
            int iy = y * sh - ph + i;
            if (iy < 0 || iy >= H) {
              for (int q = 0; q < ow; q++) dst[q] = 0.0f;
              continue;
            }
            const float *src = plane + (long)iy * W - pw + j;
            for (int q = 0; q < x0; q++) dst[q] = 0.0f;
            if (sw == 1)
              for (int q = x0; q < x1; q++) dst[q] = src[q];
            else
              for (int q = x0; q < x1; q++) dst[q] = src[q * sw];
            for (int q = x1; q < ow; q++) dst[q] = 0.0f;
          }
        }
      }
}

void dl_col2im(const float *cols, int N, int C, int H, int W, int kh, int kw, int sh, int sw,
               int ph, int pw, float *dx) {
  int oh = (H + 2 * ph - kh) / sh + 1, ow = (W + 2 * pw - kw) / sw + 1;
  long ncols = (long)N * oh * ow;
  for (int c = 0; c < C; c++)
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++) {
        const float *src = cols + ((long)(c * kh + i) * kw + j) * ncols;
        int x0 = pw - j > 0 ? (pw - j + sw - 1) / sw : 0;
        int x1 = W - 1 + pw - j >= 0 ? (W - 1 + pw - j) / sw + 1 : 0;
        if (x1 > ow) x1 = ow;
        if (x0 > x1) x0 = x1;
        for (int nn = 0; nn < N; nn++) {
          float *plane = dx + ((long)nn * C + c) * H * W;
          for (int y = 0; y < oh; y++, src += ow) {
            int iy = y * sh - ph + i;
            if (iy < 0 || iy >= H) continue;
            float *dst = plane + (long)iy * W - pw + j;
            if (sw == 1)
              for (int q = x0; q < x1; q++) dst[q] += src[q];
            else
              for (int q = x0; q < x1; q++) dst[q * sw] += src[q];
          }
        }
      }
}

/* ---------------------------------------------------------------- SGEMM instantiations */

#define DL_SCRATCH_FOR(MR, NR, KC, MC, NC) ((MC) * (KC) + (KC) * (NC) + (KC) * (NR) + (MR) * (NR))

/* The 4-wide kernel: GCC/clang vector extensions, so the same code is SSE2, NEON or SIMD128.
 * Tile height: V8 has 15 usable xmm registers. With FMA, 6 x 8 (12 accumulators, 2 B vectors,
 * 1 broadcast) compiles to a spill-free loop; with separate mul + add each product needs a
 * temporary too, so 5 x 8. (Checked in V8's --print-wasm-code output: more rows spill.) */
#ifndef DL_V4_MR
#if defined(DL_RELAXED_SIMD)
#define DL_V4_MR 6
#else
#define DL_V4_MR 5
#endif
#endif
#ifndef DL_V4_NR
#define DL_V4_NR 8
#endif
#define DL_V4_KC 256
#define DL_V4_MC 120
#define DL_V4_NC 2048
typedef float dl_v4 __attribute__((vector_size(16)));
static inline dl_v4 v4_load(const float *p) {
  dl_v4 v;
  __builtin_memcpy(&v, p, 16);
  return v;
}
static inline void v4_store(float *p, dl_v4 v) { __builtin_memcpy(p, &v, 16); }
static inline dl_v4 v4_splat(float x) { return (dl_v4){x, x, x, x}; }
#if defined(__wasm__) && defined(DL_RELAXED_SIMD)
/* relaxed madd may fuse (one rounding) or not; either is within the GEMM's stated tolerance */
#define V4_FMA(acc, a, b) __builtin_wasm_relaxed_madd_f32x4((a), (b), (acc))
#else
#define V4_FMA(acc, a, b) ((acc) + (a) * (b))
#endif

#define GT_SFX v4
#define GT_ATTR
#define GT_MR DL_V4_MR
#define GT_NR DL_V4_NR
#define GT_KC DL_V4_KC
#define GT_MC DL_V4_MC
#define GT_NC DL_V4_NC
#define VT dl_v4
#define VW 4
#define VLOADU(p) v4_load(p)
#define VSTOREU(p, v) v4_store((p), (v))
#define VBCAST(p) v4_splat(*(p))
#define VSPLAT(x) v4_splat(x)
#define VZERO v4_splat(0.0f)
#define VFMA(acc, a, b) V4_FMA(acc, a, b)
#define VMUL(a, b) ((a) * (b))
#define VADD(a, b) ((a) + (b))
#define VHSUM(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]))
#include "dl_gemm_tmpl.h"
#undef GT_SFX
#undef GT_ATTR
#undef GT_MR
#undef GT_NR
#undef GT_KC
#undef GT_MC
#undef GT_NC
#undef VT
#undef VW
#undef VLOADU
#undef VSTOREU
#undef VBCAST
#undef VSPLAT
#undef VZERO
#undef VFMA
#undef VMUL
#undef VADD
#undef VHSUM

#if DL_HAVE_X86
/* AVX2 + FMA: 6 x 16 tile = 12 ymm accumulators + 2 B vectors + 1 broadcast of 16 registers. */
#define DL_AVX2_ATTR __attribute__((target("avx2,fma")))
static inline DL_AVX2_ATTR float avx2_hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
/* The 6 x 16 micro-kernel (R <= 6 rows of it) written out with named accumulators: from the
 * template's array, GCC keeps the 12 accumulators in registers or spills them to the stack
 * depending on unrelated code around it (seen: 75 -> 29 GFLOP/s after an edit elsewhere in the
 * file), and with fewer rows than the array has it stored all of them on every k step. Same
 * contract as the template's ukr_body_; rows past R are compiled out (R is a constant). */
static inline __attribute__((always_inline)) DL_AVX2_ATTR void ukr_body_avx2(
    const int R, int k, const float *restrict pa, const float *restrict pb, long ldb,
    float *restrict c, long ldc, float alpha, float beta) {
  for (int i = 0; i < R; i++) { /* see the template: C is needed only after the k loop */
    __builtin_prefetch(c + i * ldc, 1);
    __builtin_prefetch(c + i * ldc + 15, 1);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int p = 0; p < k; p++) {
    __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + 8), av;
#define DL_AVX2_ROW(I)                                                                             \
  if (R > I) {                                                                                     \
    av = _mm256_broadcast_ss(pa + I);                                                              \
    c##I##0 = _mm256_fmadd_ps(av, b0, c##I##0);                                                    \
    c##I##1 = _mm256_fmadd_ps(av, b1, c##I##1);                                                    \
  }
    DL_AVX2_ROW(0) DL_AVX2_ROW(1) DL_AVX2_ROW(2) DL_AVX2_ROW(3) DL_AVX2_ROW(4) DL_AVX2_ROW(5)
#undef DL_AVX2_ROW
    pa += 6;
    pb += ldb;
  }
  __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  /* beta == 0 must not read C (NaN there must not leak) */
#define DL_AVX2_OUT(I)                                                                             \
  if (R > I) {                                                                                     \
    float *cp = c + I * ldc;                                                                       \
    if (beta == 0.0f) {                                                                            \
      _mm256_storeu_ps(cp, _mm256_mul_ps(va, c##I##0));                                            \
      _mm256_storeu_ps(cp + 8, _mm256_mul_ps(va, c##I##1));                                        \
    } else {                                                                                       \
      _mm256_storeu_ps(cp, _mm256_fmadd_ps(va, c##I##0, _mm256_mul_ps(vb, _mm256_loadu_ps(cp))));   \
      _mm256_storeu_ps(cp + 8,                                                                     \
                       _mm256_fmadd_ps(va, c##I##1, _mm256_mul_ps(vb, _mm256_loadu_ps(cp + 8)))); \
    }                                                                                              \
  }
  DL_AVX2_OUT(0) DL_AVX2_OUT(1) DL_AVX2_OUT(2) DL_AVX2_OUT(3) DL_AVX2_OUT(4) DL_AVX2_OUT(5)
#undef DL_AVX2_OUT
}
static __attribute__((noinline)) DL_AVX2_ATTR void ukr_avx2(int k, const float *restrict pa,
                                                            const float *restrict pb, long ldb,
                                                            float *restrict c, long ldc, float alpha,
                                                            float beta) {
  ukr_body_avx2(6, k, pa, pb, ldb, c, ldc, alpha, beta);
}
static __attribute__((noinline)) DL_AVX2_ATTR void ukr_rows_avx2(int mr, int k, const float *restrict pa,
                                                                 const float *restrict pb, long ldb,
                                                                 float *restrict c, long ldc,
                                                                 float alpha, float beta) {
  switch (mr) {
  case 1: ukr_body_avx2(1, k, pa, pb, ldb, c, ldc, alpha, beta); return;
  case 2: ukr_body_avx2(2, k, pa, pb, ldb, c, ldc, alpha, beta); return;
  case 3: ukr_body_avx2(3, k, pa, pb, ldb, c, ldc, alpha, beta); return;
  case 4: ukr_body_avx2(4, k, pa, pb, ldb, c, ldc, alpha, beta); return;
  case 5: ukr_body_avx2(5, k, pa, pb, ldb, c, ldc, alpha, beta); return;
  }
}
/* One full 16-wide panel of a transposed B: rows j (16 of them, stride ldb) hold k contiguous;
 * the panel wants, for each p, the 16 values of column p. 8 x 8 blocks are transposed in
 * registers (unpack / shuffle / lane permute): the scalar copy, one element per load and store,
 * took a third of the MLP's 100 x 500 x 784 backward product. */
static DL_AVX2_ATTR void pack_bt16_avx2(const float *src, long ldb, int kc, float *restrict dst) {
  int p = 0;
  for (; p + 8 <= kc; p += 8)
    for (int h = 0; h < 2; h++) {
      const float *s = src + (long)h * 8 * ldb + p;
      __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ldb), r2 = _mm256_loadu_ps(s + 2 * ldb),
             r3 = _mm256_loadu_ps(s + 3 * ldb), r4 = _mm256_loadu_ps(s + 4 * ldb),
             r5 = _mm256_loadu_ps(s + 5 * ldb), r6 = _mm256_loadu_ps(s + 6 * ldb),
             r7 = _mm256_loadu_ps(s + 7 * ldb);
      __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
      __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
      __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
      __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
      float *d = dst + (long)p * 16 + h * 8;
      _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
      _mm256_storeu_ps(d + 16, _mm256_permute2f128_ps(u1, u5, 0x20));
      _mm256_storeu_ps(d + 32, _mm256_permute2f128_ps(u2, u6, 0x20));
      _mm256_storeu_ps(d + 48, _mm256_permute2f128_ps(u3, u7, 0x20));
      _mm256_storeu_ps(d + 64, _mm256_permute2f128_ps(u0, u4, 0x31));
      _mm256_storeu_ps(d + 80, _mm256_permute2f128_ps(u1, u5, 0x31));
      _mm256_storeu_ps(d + 96, _mm256_permute2f128_ps(u2, u6, 0x31));
      _mm256_storeu_ps(d + 112, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
  for (; p < kc; p++)
    for (int j = 0; j < 16; j++) dst[p * 16 + j] = src[(long)j * ldb + p];
}
#define GT_PACK_BT(src, ldb, kc, dst) pack_bt16_avx2((src), (ldb), (kc), (dst))

/* One full 6-row panel of A (rows stride lda, k contiguous) into the micro-kernel's layout,
 * dst[p * 6 + i]: 8 p's at a time, the 6 rows (and 2 zero rows) transposed 8 x 8 in registers,
 * each column stored as 8 floats whose last 2 the next column's store overwrites. The last
 * store of the panel spills 2 floats past it, so the final 8 p's are copied one by one unless
 * `overrun_ok` (another panel follows in the buffer). The scalar copy stalled on its strided
 * stores: 5-8% of the GEMMs at 100 x 784 x 500 and 128 x 1024 x 1024. */
static DL_AVX2_ATTR void pack_a6_avx2(const float *src, long lda, int kc, float *restrict dst,
                                      int overrun_ok) {
  int p = 0;
  __m256 z = _mm256_setzero_ps();
  for (; p + 8 < kc || (overrun_ok && p + 8 == kc); p += 8) {
    const float *s = src + p;
    __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + lda), r2 = _mm256_loadu_ps(s + 2 * lda),
           r3 = _mm256_loadu_ps(s + 3 * lda), r4 = _mm256_loadu_ps(s + 4 * lda),
           r5 = _mm256_loadu_ps(s + 5 * lda);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    __m256 u4 = _mm256_shuffle_ps(t4, z, 0x44), u5 = _mm256_shuffle_ps(t4, z, 0xee);
    __m256 u6 = _mm256_shuffle_ps(t5, z, 0x44), u7 = _mm256_shuffle_ps(t5, z, 0xee);
    float *d = dst + (long)p * 6;
    _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + 6, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 12, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 18, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d + 24, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d + 30, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d + 36, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d + 42, _mm256_permute2f128_ps(u3, u7, 0x31));
  }
  for (; p < kc; p++)
    for (int i = 0; i < 6; i++) dst[p * 6 + i] = src[(long)i * lda + p];
}
#define GT_PACK_A(src, lda, kc, dst, overrun_ok) pack_a6_avx2((src), (lda), (kc), (dst), (overrun_ok))
#define GT_UKR_DEFINED
#define GT_SFX avx2
#define GT_ATTR DL_AVX2_ATTR
#define GT_MR 6
#define GT_NR 16
#define GT_KC 256
#define GT_MC 120
#define GT_NC 2048
#define VT __m256
#define VW 8
#define VLOADU(p) _mm256_loadu_ps(p)
#define VSTOREU(p, v) _mm256_storeu_ps((p), (v))
#define VBCAST(p) _mm256_broadcast_ss(p)
#define VSPLAT(x) _mm256_set1_ps(x)
#define VZERO _mm256_setzero_ps()
#define VFMA(acc, a, b) _mm256_fmadd_ps((a), (b), (acc))
#define VMUL(a, b) _mm256_mul_ps((a), (b))
#define VADD(a, b) _mm256_add_ps((a), (b))
#define VHSUM(v) avx2_hsum(v)
#include "dl_gemm_tmpl.h"
#undef GT_SFX
#undef GT_ATTR
#undef GT_MR
#undef GT_NR
#undef GT_KC
#undef GT_MC
#undef GT_NC
#undef VT
#undef VW
#undef VLOADU
#undef VSTOREU
#undef VBCAST
#undef VSPLAT
#undef VZERO
#undef VFMA
#undef VMUL
#undef VADD
#undef VHSUM

#endif /* DL_HAVE_X86 */

#if DL_HAVE_AVX512_CODE
/* AVX-512F: 8 x 32 tile = 16 zmm accumulators of 32 registers. DL_EMULATE_AVX512 (tests only,
 * csrc/dl_selftest.c) compiles the same tile with 64-byte GCC vectors, so the AVX-512 blocking
 * is checked on CPUs without AVX-512; only the five intrinsics below are then not exercised. */
#ifdef DL_EMULATE_AVX512
typedef float dl_v16 __attribute__((vector_size(64)));
static inline dl_v16 v16_load(const float *p) { dl_v16 v; __builtin_memcpy(&v, p, 64); return v; }
static inline void v16_store(float *p, dl_v16 v) { __builtin_memcpy(p, &v, 64); }
static inline dl_v16 v16_splat(float x) { return (dl_v16){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }
static inline float avx512_hsum(dl_v16 v) {
  float s = 0.0f;
  for (int i = 0; i < 16; i++) s += v[i];
  return s;
}
#define DL_AVX512_ATTR
#define __m512 dl_v16
#define _mm512_loadu_ps(p) v16_load(p)
#define _mm512_storeu_ps(p, v) v16_store((p), (v))
#define _mm512_set1_ps(x) v16_splat(x)
#define _mm512_setzero_ps() v16_splat(0.0f)
#define _mm512_fmadd_ps(a, b, c) ((a) * (b) + (c))
#define _mm512_mul_ps(a, b) ((a) * (b))
#define _mm512_add_ps(a, b) ((a) + (b))
#else
#define DL_AVX512_ATTR __attribute__((target("avx512f")))
static inline DL_AVX512_ATTR float avx512_hsum(__m512 v) { return _mm512_reduce_add_ps(v); }
#endif
#define GT_SFX avx512
#define GT_ATTR DL_AVX512_ATTR
#define GT_MR 8
#define GT_NR 32
#define GT_KC 256
#define GT_MC 96
#define GT_NC 2048
#define VT __m512
#define VW 16
#define VLOADU(p) _mm512_loadu_ps(p)
#define VSTOREU(p, v) _mm512_storeu_ps((p), (v))
#define VBCAST(p) _mm512_set1_ps(*(p))
#define VSPLAT(x) _mm512_set1_ps(x)
#define VZERO _mm512_setzero_ps()
#define VFMA(acc, a, b) _mm512_fmadd_ps((a), (b), (acc))
#define VMUL(a, b) _mm512_mul_ps((a), (b))
#define VADD(a, b) _mm512_add_ps((a), (b))
#define VHSUM(v) avx512_hsum(v)
#include "dl_gemm_tmpl.h"
#undef GT_SFX
#undef GT_ATTR
#undef GT_MR
#undef GT_NR
#undef GT_KC
#undef GT_MC
#undef GT_NC
#undef VT
#undef VW
#undef VLOADU
#undef VSTOREU
#undef VBCAST
#undef VSPLAT
#undef VZERO
#undef VFMA
#undef VMUL
#undef VADD
#undef VHSUM
#endif /* DL_HAVE_AVX512_CODE */

/* ---------------------------------------------------------------- dispatch */

int dl_isa_best(void) {
#ifdef DL_EMULATE_AVX512
  return DL_ISA_AVX512;
#endif
#if DL_HAVE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return DL_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return DL_ISA_AVX2;
#endif
  return DL_ISA_V4;
}

int dl_scratch_floats(void) {
  int s = DL_SCRATCH_FOR(DL_V4_MR, DL_V4_NR, DL_V4_KC, DL_V4_MC, DL_V4_NC);
#if DL_HAVE_X86
  int s2 = DL_SCRATCH_FOR(6, 16, 256, 120, 2048);
  if (s2 > s) s = s2;
#endif
#if DL_HAVE_AVX512_CODE
  int s3 = DL_SCRATCH_FOR(8, 32, 256, 96, 2048);
  if (s3 > s) s = s3;
#endif
  return s;
}

static void isa_tile(int isa, int *mr, int *nr) {
  switch (isa) {
#if DL_HAVE_X86
  case DL_ISA_AVX2: *mr = 6; *nr = 16; return;
#endif
#if DL_HAVE_AVX512_CODE
  case DL_ISA_AVX512: *mr = 8; *nr = 32; return;
#endif
  default: *mr = DL_V4_MR; *nr = DL_V4_NR; return;
  }
}

void dl_sgemm(int isa, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc, float *scratch, int part,
              int nparts) {
  if (m <= 0 || n <= 0) return;
  if (nparts > 1) {
    /* Cut the longer side of C into nparts blocks of whole micro-tiles. */
    int mr, nr;
    isa_tile(isa, &mr, &nr);
    if (n >= m) {
      int chunk = ((n + nparts - 1) / nparts + nr - 1) / nr * nr;
      int j0 = part * chunk;
      if (j0 >= n) return;
      b += tb ? (long)j0 * ldb : j0;
      c += j0;
      n = n - j0 < chunk ? n - j0 : chunk;
    } else {
      int chunk = ((m + nparts - 1) / nparts + mr - 1) / mr * mr;
      int i0 = part * chunk;
      if (i0 >= m) return;
      a += ta ? i0 : (long)i0 * lda;
      c += (long)i0 * ldc;
      m = m - i0 < chunk ? m - i0 : chunk;
    }
  }
  if (k <= 0 || alpha == 0.0f) {
    /* no product: C = beta * C, and beta == 0 clears C (NaN included) */
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[(long)i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(long)i * ldc + j];
    return;
  }
  switch (isa) {
#if DL_HAVE_AVX512_CODE
  case DL_ISA_AVX512:
    gemm_serial_avx512(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch);
    return;
#endif
#if DL_HAVE_X86
  case DL_ISA_AVX2:
    gemm_serial_avx2(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch);
    return;
#endif
  default:
    gemm_serial_v4(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch);
    return;
  }
}

void dl_sgemm_task(const int32_t *args, int part) {
  float alpha = bits_to_float(args[DL_TASK_ALPHA]), beta = bits_to_float(args[DL_TASK_BETA]);
  float *scratch = (float *)((char *)(intptr_t)args[DL_TASK_SCRATCH] +
                             (long)part * args[DL_TASK_SCRATCH_STRIDE]);
  dl_sgemm(args[DL_TASK_ISA], args[DL_TASK_TA], args[DL_TASK_TB], args[DL_TASK_M], args[DL_TASK_N],
           args[DL_TASK_K], alpha, (const float *)(intptr_t)args[DL_TASK_A], args[DL_TASK_LDA],
           (const float *)(intptr_t)args[DL_TASK_B], args[DL_TASK_LDB], beta,
           (float *)(intptr_t)args[DL_TASK_C], args[DL_TASK_LDC], scratch, part,
           args[DL_TASK_NPARTS]);
}
