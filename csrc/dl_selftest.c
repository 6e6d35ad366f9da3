/*
 * Stand-alone check of every GEMM instruction set compiled into dl_kernels.c against a double
 * triple loop, for machines (or emulations) that Node tests cannot reach: build with
 *   cc -O2 -DDL_EMULATE_AVX512 csrc/dl_selftest.c -o selftest -lm   (AVX-512 tile, any CPU)
 *   cc -O2 csrc/dl_selftest.c -o selftest -lm                        (what this CPU runs)
 * Prints one line per ISA and exits non-zero on any error above the bound
 *   (k + 2) 2^-24 (|alpha| sum |a||b| + |beta c|).
 * src/engine/kernels/build.test.ts runs it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dl_kernels.c"

static unsigned rng_state = 12345;
static float rnd(void) {
  rng_state = rng_state * 1103515245u + 12345u;
  return (float)((rng_state >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static int check(int isa, int ta, int tb, int m, int n, int k, int pad, int nparts, float *scratch) {
  float alpha = pad % 2 ? 0.7f : 1.0f, beta = pad == 0 ? 0.0f : (pad == 1 ? 1.0f : -0.4f);
  int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
  size_t na = (size_t)(ta ? k : m) * lda + 1, nb = (size_t)(tb ? n : k) * ldb + 1, nc = (size_t)m * ldc + 1;
  float *a = malloc(na * 4), *b = malloc(nb * 4), *c = malloc(nc * 4), *c0 = malloc(nc * 4);
  for (size_t i = 0; i < na; i++) a[i] = rnd();
  for (size_t i = 0; i < nb; i++) b[i] = rnd();
  for (size_t i = 0; i < nc; i++) c[i] = c0[i] = beta == 0.0f ? NAN : rnd();
  for (int part = 0; part < nparts; part++)
    dl_sgemm(isa, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch, part, nparts);
  int bad = 0;
  for (int i = 0; i < m && !bad; i++)
    for (int j = 0; j < n; j++) {
      double s = 0, mag = 0;
      for (int p = 0; p < k; p++) {
        double x = (double)(ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p]) *
                   (tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j]);
        s += x;
        mag += fabs(x);
      }
      double old = c0[(size_t)i * ldc + j];
      double ref = beta == 0.0f ? alpha * s : alpha * s + beta * old;
      double bound = (k + 2) * ldexp(1.0, -24) * (fabs(alpha) * mag + (beta == 0.0f ? 0 : fabs(beta * old))) + 1e-30;
      double got = c[(size_t)i * ldc + j];
      if (!(fabs(got - ref) <= bound)) {
        printf("FAIL isa %d ta %d tb %d m %d n %d k %d pad %d parts %d at (%d,%d): %g vs %g\n", isa, ta, tb, m, n,
               k, pad, nparts, i, j, got, ref);
        bad = 1;
        break;
      }
    }
  free(a);
  free(b);
  free(c);
  free(c0);
  return bad;
}

int main(void) {
  static const int sizes[] = {1, 5, 17, 193};
  static const int shapes[][3] = {{5, 192, 400}, {5, 400, 192}, {192, 5, 400}, {7, 600, 40},
                                  {130, 300, 33}, {3, 5, 2100}, {97, 70, 65}, {200, 513, 100}};
  float *scratch = malloc((size_t)dl_scratch_floats() * 4);
  int failures = 0;
  for (int isa = 0; isa <= dl_isa_best(); isa++) {
    int cases = 0, fails = 0;
    for (int t = 0; t < 4; t++) {
      int ta = t & 1, tb = t >> 1;
      for (int x = 0; x < 4; x++)
        for (int y = 0; y < 4; y++)
          for (int z = 1; z < 4; z++, cases++)
            fails += check(isa, ta, tb, sizes[x], sizes[y], sizes[z] == 5 ? 1 : sizes[z], (x + y + z) % 3, 1, scratch);
      for (int s = 0; s < 8; s++)
        for (int parts = 1; parts <= 3; parts += 2, cases++)
          fails += check(isa, ta, tb, shapes[s][0], shapes[s][2], shapes[s][1], s % 3, parts, scratch);
    }
    printf("isa %d (%s): %d cases, %s\n", isa, isa == DL_ISA_AVX512 ? "avx512" : isa == DL_ISA_AVX2 ? "avx2" : "v4",
           cases, fails ? "FAILED" : "ok");
    failures += fails;
  }
  free(scratch);
  return failures ? 1 : 0;
}
