/*
 * The blocked SGEMM, written once and included by dl_kernels.c once per instruction set, with:
 *   GT_SFX            name suffix (v4, avx2, avx512)
 *   GT_ATTR           function attribute (e.g. target("avx2,fma")), may be empty
 *   GT_MR, GT_NR      micro-tile: GT_MR rows of A times GT_NR columns of B (GT_NR = 2 vectors)
 *   GT_KC, GT_MC, GT_NC   cache blocking (BLIS's kc, mc, nc)
 *   VT, VW            vector type and its float count
 *   VLOADU(p), VSTOREU(p, v), VBCAST(p), VSPLAT(x), VZERO, VFMA(acc, a, b) = acc + a*b,
 *   VMUL(a, b), VADD(a, b), VHSUM(v)
 *
 * Layout (BLIS): for each nc-wide column block and kc-deep slice, B is packed into kc x GT_NR
 * panels; for each mc-high row block, A into GT_MR x kc panels (column-interleaved); the
 * micro-kernel keeps a GT_MR x GT_NR tile of C in registers for the whole kc loop.
 * Two shortcuts matter for the small batches dl trains with (e.g. 5 x 192 x 400):
 *   - few rows and B not transposed: B is read in place, because packing it would cost as much
 *     as the multiply (each B panel is used once);
 *   - few rows and B transposed: each C entry is a dot product of two contiguous rows.
 */

#define GT_CAT_(a, b) a##b
#define GT_CAT(a, b) GT_CAT_(a, b)
#define GT_FN(name) GT_CAT(name, GT_SFX)
#define GT_NV (GT_NR / VW)

/* Rows up to which B is read in place (not packed) when it is not transposed. */
#ifndef GT_DIRECT_M
#define GT_DIRECT_M (4 * GT_MR)
#endif
/* Rows up to which the dot-product path is used when B is transposed (and A is not). */
#define GT_DOT_M 8

#ifndef GT_UKR_DEFINED /* else the includer wrote ukr_ and ukr_rows_ itself, same contracts */
/* acc = pa (GT_MR-interleaved, k deep; R <= GT_MR rows used) x pb (k rows of GT_NR, row
 * stride ldb); then C (R rows) = alpha * acc + beta * C, where beta == 0 does not read C (NaN
 * there must not leak). Inlined with a constant R, so acc lives in registers. */
static inline __attribute__((always_inline)) GT_ATTR void GT_FN(ukr_body_)(
    const int R, int k, const float *restrict pa, const float *restrict pb, long ldb,
    float *restrict c, long ldc, float alpha, float beta) {
  VT acc[GT_MR][GT_NV];
  /* C's tile is touched only after the k loop; fetching it now hides that miss behind the loop
   * (a large C is not in cache: without this a 1024^3 product waits ~10% of its time on it). */
  for (int i = 0; i < R; i++) {
    __builtin_prefetch(c + i * ldc, 1);
    __builtin_prefetch(c + i * ldc + GT_NR - 1, 1);
  }
  for (int i = 0; i < R; i++)
    for (int v = 0; v < GT_NV; v++) acc[i][v] = VZERO;
  for (int p = 0; p < k; p++) {
    VT bv[GT_NV];
    for (int v = 0; v < GT_NV; v++) bv[v] = VLOADU(pb + v * VW);
    for (int i = 0; i < R; i++) {
      VT ai = VBCAST(pa + i);
      for (int v = 0; v < GT_NV; v++) acc[i][v] = VFMA(acc[i][v], ai, bv[v]);
    }
    pa += GT_MR;
    pb += ldb;
  }
  VT va = VSPLAT(alpha);
  if (beta == 0.0f) {
    for (int i = 0; i < R; i++)
      for (int v = 0; v < GT_NV; v++) VSTOREU(c + i * ldc + v * VW, VMUL(va, acc[i][v]));
  } else if (beta == 1.0f) {
    for (int i = 0; i < R; i++)
      for (int v = 0; v < GT_NV; v++) {
        float *cp = c + i * ldc + v * VW;
        VSTOREU(cp, VFMA(VLOADU(cp), va, acc[i][v]));
      }
  } else {
    VT vb = VSPLAT(beta);
    for (int i = 0; i < R; i++)
      for (int v = 0; v < GT_NV; v++) {
        float *cp = c + i * ldc + v * VW;
        VSTOREU(cp, VFMA(VMUL(vb, VLOADU(cp)), va, acc[i][v]));
      }
  }
}

/* The full GT_MR x GT_NR tile. noinline: inside the loop nest V8 would unroll this loop and
 * then spill the accumulators; as a function of its own the loop stays as written (one call
 * per tile costs nothing). */
static __attribute__((noinline)) GT_ATTR void GT_FN(ukr_)(int k, const float *restrict pa, const float *restrict pb, long ldb,
                                 float *restrict c, long ldc, float alpha, float beta) {
  GT_FN(ukr_body_)(GT_MR, k, pa, pb, ldb, c, ldc, alpha, beta);
}

/* The last, partial row tile (0 < mr < GT_MR rows) of full width, straight into C: with the
 * batch of 5 that dl trains GRBMs with, every tile is one; computing GT_MR rows into a scratch
 * tile and copying mr of them out cost a sixth more work plus the copy. */
static __attribute__((noinline)) GT_ATTR void GT_FN(ukr_rows_)(int mr, int k, const float *restrict pa,
                                                             const float *restrict pb, long ldb,
                                                             float *restrict c, long ldc, float alpha,
                                                             float beta) {
  switch (mr) {
  case 1: GT_FN(ukr_body_)(1, k, pa, pb, ldb, c, ldc, alpha, beta); return;
  case 2: GT_FN(ukr_body_)(2, k, pa, pb, ldb, c, ldc, alpha, beta); return;
  case 3: GT_FN(ukr_body_)(3, k, pa, pb, ldb, c, ldc, alpha, beta); return;
  case 4: GT_FN(ukr_body_)(4, k, pa, pb, ldb, c, ldc, alpha, beta); return;
#if GT_MR > 5
  case 5: GT_FN(ukr_body_)(5, k, pa, pb, ldb, c, ldc, alpha, beta); return;
#endif
#if GT_MR > 6
  case 6: GT_FN(ukr_body_)(6, k, pa, pb, ldb, c, ldc, alpha, beta); return;
#endif
#if GT_MR > 7
  case 7: GT_FN(ukr_body_)(7, k, pa, pb, ldb, c, ldc, alpha, beta); return;
#endif
  }
}
#endif /* GT_UKR_DEFINED */

/* Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into GT_MR-row panels, zero-padded. */
static GT_ATTR void GT_FN(pack_a_)(int ta, const float *a, long lda, int i0, int mc, int p0, int kc,
                                    float *restrict dst) {
  for (int ir = 0; ir < mc; ir += GT_MR) {
    int mr = mc - ir < GT_MR ? mc - ir : GT_MR;
    if (!ta) {
      /* The next panel's rows are fetched while this one is copied: A is read once per block,
       * from memory when it is large, and the copy's short row strides defeat the prefetcher
       * (without this the packing of a 1024^2 A stalls on its loads for ~7% of the GEMM). */
      if (ir + GT_MR < mc) {
        int mn = mc - ir - GT_MR < GT_MR ? mc - ir - GT_MR : GT_MR;
        for (int i = 0; i < mn; i++) {
          const float *nx = a + (long)(i0 + ir + GT_MR + i) * lda + p0;
          for (int p = 0; p < kc; p += 16) __builtin_prefetch(nx + p);
        }
      }
#ifdef GT_PACK_A
      /* the includer's transposing copy of a full panel; it may write 2 floats past a panel's
       * end only when another panel follows (ir + GT_MR < mc), which overwrites them */
      if (mr == GT_MR) {
        GT_PACK_A(a + (long)(i0 + ir) * lda + p0, lda, kc, dst, ir + GT_MR < mc);
        dst += GT_MR * kc;
        continue;
      }
#endif
      for (int i = 0; i < mr; i++) {
        const float *src = a + (long)(i0 + ir + i) * lda + p0;
        for (int p = 0; p < kc; p++) dst[p * GT_MR + i] = src[p];
      }
    } else {
      for (int p = 0; p < kc; p++) {
        const float *src = a + (long)(p0 + p) * lda + i0 + ir;
        for (int i = 0; i < mr; i++) dst[p * GT_MR + i] = src[i];
      }
    }
    for (int i = mr; i < GT_MR; i++)
      for (int p = 0; p < kc; p++) dst[p * GT_MR + i] = 0.0f;
    dst += GT_MR * kc;
  }
}

/* Packs rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into kc x GT_NR panels, zero-padded. */
static GT_ATTR void GT_FN(pack_b_)(int tb, const float *b, long ldb, int p0, int kc, int j0, int nc,
                                    float *restrict dst) {
  if (!tb) {
    /* Row by row: each row of B is read front to back (the prefetcher follows; panel by panel,
     * every 64-byte read would be a new 4 KiB page for a 1024-wide B), and written to the
     * panels with vector stores (a plain copy loop becomes a libc memcpy call per row natively). */
    int nfull = nc / GT_NR * GT_NR;
    for (int p = 0; p < kc; p++) {
      const float *src = b + (long)(p0 + p) * ldb + j0;
      float *d = dst + p * GT_NR;
      int jr = 0;
      for (; jr < nfull; jr += GT_NR, d += (long)GT_NR * kc)
        for (int v = 0; v < GT_NV; v++) VSTOREU(d + v * VW, VLOADU(src + jr + v * VW));
      if (jr < nc) {
        int j = 0;
        for (; j < nc - jr; j++) d[j] = src[jr + j];
        for (; j < GT_NR; j++) d[j] = 0.0f;
      }
    }
    return;
  }
  for (int jr = 0; jr < nc; jr += GT_NR) {
    int nr = nc - jr < GT_NR ? nc - jr : GT_NR;
#ifdef GT_PACK_BT
    /* the includer's transposing copy of a full panel (B transposed: dl's dX = dY W^T) */
    if (nr == GT_NR) {
      GT_PACK_BT(b + (long)(j0 + jr) * ldb + p0, ldb, kc, dst);
      dst += GT_NR * kc;
      continue;
    }
#endif
    for (int j = 0; j < nr; j++) {
      const float *src = b + (long)(j0 + jr + j) * ldb + p0;
      for (int p = 0; p < kc; p++) dst[p * GT_NR + j] = src[p];
    }
    for (int j = nr; j < GT_NR; j++)
      for (int p = 0; p < kc; p++) dst[p * GT_NR + j] = 0.0f;
    dst += GT_NR * kc;
  }
}

/* C(mr x nr) = alpha * tile + beta * C for an edge tile computed into scratch. */
static GT_ATTR void GT_FN(merge_tile_)(const float *tile, int mr, int nr, float alpha, float beta,
                                        float *c, long ldc) {
  for (int i = 0; i < mr; i++) {
    float *cr = c + i * ldc;
    const float *tr = tile + i * GT_NR;
    if (beta == 0.0f)
      for (int j = 0; j < nr; j++) cr[j] = alpha * tr[j];
    else
      for (int j = 0; j < nr; j++) cr[j] = alpha * tr[j] + beta * cr[j];
  }
}

/* Runs the micro-kernel over an mc x nc block: A packed in pa (mc rows), B panels found by
 * bpanel(jr) with stride ldbp; edge tiles go through the scratch tile. */
static GT_ATTR void GT_FN(macro_)(int mc, int nc, int kc, const float *pa, const float *pb_packed,
                                   const float *b_direct, long ldb, float *edge_panel, float alpha,
                                   float beta, float *c, long ldc, float *tile, int tb, int p0,
                                   int j0) {
  for (int jr = 0; jr < nc; jr += GT_NR) {
    int nr = nc - jr < GT_NR ? nc - jr : GT_NR;
    const float *pb;
    long ldbp;
    if (pb_packed) {
      pb = pb_packed + (long)jr * kc;
      ldbp = GT_NR;
    } else if (nr == GT_NR) {
      pb = b_direct + jr; /* B read in place: kc rows of GT_NR floats, stride ldb */
      ldbp = ldb;
    } else {
      /* The last, partial panel is packed so the kernel never reads past the row end. */
      GT_FN(pack_b_)(tb, b_direct - j0 - (long)p0 * ldb, ldb, p0, kc, j0 + jr, nr, edge_panel);
      pb = edge_panel;
      ldbp = GT_NR;
    }
    for (int ir = 0; ir < mc; ir += GT_MR) {
      int mr = mc - ir < GT_MR ? mc - ir : GT_MR;
      const float *pai = pa + (long)ir * kc;
      float *cij = c + (long)ir * ldc + jr;
      if (mr == GT_MR && nr == GT_NR) {
        GT_FN(ukr_)(kc, pai, pb, ldbp, cij, ldc, alpha, beta);
      } else if (nr == GT_NR) {
        GT_FN(ukr_rows_)(mr, kc, pai, pb, ldbp, cij, ldc, alpha, beta);
      } else {
        GT_FN(ukr_)(kc, pai, pb, ldbp, tile, GT_NR, 1.0f, 0.0f);
        GT_FN(merge_tile_)(tile, mr, nr, alpha, beta, cij, ldc);
      }
    }
  }
}

/* Dot products of RA rows of A with RB rows of B (both contiguous, k long):
 * C[i][j] = alpha * dot + beta * C[i][j]. Inlined with constant RA, RB so acc stays in registers. */
static inline __attribute__((always_inline)) GT_ATTR void GT_FN(dot_block_)(
    const int RA, const int RB, int k, const float *a, long lda, const float *b, long ldb,
    float alpha, float beta, float *c, long ldc) {
  VT acc[4][8];
  for (int i = 0; i < RA; i++)
    for (int j = 0; j < RB; j++) acc[i][j] = VZERO;
  int p = 0;
  for (; p + VW <= k; p += VW) {
    VT bv[8];
    for (int j = 0; j < RB; j++) bv[j] = VLOADU(b + j * ldb + p);
    for (int i = 0; i < RA; i++) {
      VT av = VLOADU(a + i * lda + p);
      for (int j = 0; j < RB; j++) acc[i][j] = VFMA(acc[i][j], av, bv[j]);
    }
  }
  for (int i = 0; i < RA; i++)
    for (int j = 0; j < RB; j++) {
      float s = VHSUM(acc[i][j]);
      for (int q = p; q < k; q++) s += a[i * lda + q] * b[j * ldb + q];
      float *cp = c + i * ldc + j;
      *cp = beta == 0.0f ? alpha * s : alpha * s + beta * *cp;
    }
}

/* C = alpha * A * B^T + beta * C for few rows of A (m <= GT_DOT_M), as dot products. */
static GT_ATTR void GT_FN(gemm_dot_)(int m, int n, int k, float alpha, const float *a, long lda,
                                      const float *b, long ldb, float beta, float *c, long ldc) {
  int i = 0;
  for (; i + 4 <= m; i += 4) {
    int j = 0;
    for (; j + 2 <= n; j += 2)
      GT_FN(dot_block_)(4, 2, k, a + i * lda, lda, b + j * ldb, ldb, alpha, beta, c + i * ldc + j, ldc);
    for (; j < n; j++)
      GT_FN(dot_block_)(4, 1, k, a + i * lda, lda, b + j * ldb, ldb, alpha, beta, c + i * ldc + j, ldc);
  }
  for (; i + 2 <= m; i += 2) {
    int j = 0;
    for (; j + 4 <= n; j += 4)
      GT_FN(dot_block_)(2, 4, k, a + i * lda, lda, b + j * ldb, ldb, alpha, beta, c + i * ldc + j, ldc);
    for (; j < n; j++)
      GT_FN(dot_block_)(2, 1, k, a + i * lda, lda, b + j * ldb, ldb, alpha, beta, c + i * ldc + j, ldc);
  }
  for (; i < m; i++) {
    int j = 0;
    for (; j + 8 <= n; j += 8)
      GT_FN(dot_block_)(1, 8, k, a + i * lda, lda, b + j * ldb, ldb, alpha, beta, c + i * ldc + j, ldc);
    for (; j < n; j++)
      GT_FN(dot_block_)(1, 1, k, a + i * lda, lda, b + j * ldb, ldb, alpha, beta, c + i * ldc + j, ldc);
  }
}

/* The whole GEMM on one thread. */
static GT_ATTR void GT_FN(gemm_serial_)(int ta, int tb, int m, int n, int k, float alpha,
                                         const float *a, long lda, const float *b, long ldb,
                                         float beta, float *c, long ldc, float *scratch) {
  if (tb && !ta && m <= GT_DOT_M && k >= 2 * VW) {
    GT_FN(gemm_dot_)(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  /* Scratch, in floats: packed A block, packed B block, one edge B panel, one C tile
   * (dl_kernels.c sizes it with DL_SCRATCH_FOR). */
  float *apack = scratch;
  float *bpack = apack + GT_MC * GT_KC;
  float *edge = bpack + GT_KC * GT_NC;
  float *tile = edge + GT_KC * GT_NR;
  int direct = !tb && m <= GT_DIRECT_M;
  /* k and m are cut into equal slices of at most GT_KC / GT_MC (whole micro-tiles for m): with
   * k = 784, 256 + 256 + 256 + 16 would end on a slice too thin to pay for its C updates. */
  int kslices = (k + GT_KC - 1) / GT_KC, kstep = (k + kslices - 1) / kslices;
  int mblocks = (m + GT_MC - 1) / GT_MC, mstep = ((m + mblocks - 1) / mblocks + GT_MR - 1) / GT_MR * GT_MR;
  for (int jc = 0; jc < n; jc += GT_NC) {
    int nc = n - jc < GT_NC ? n - jc : GT_NC;
    for (int pc = 0; pc < k; pc += kstep) {
      int kc = k - pc < kstep ? k - pc : kstep;
      float beta_eff = pc == 0 ? beta : 1.0f; /* later k slices accumulate */
      const float *pb = 0;
      if (!direct) {
        GT_FN(pack_b_)(tb, b, ldb, pc, kc, jc, nc, bpack);
        pb = bpack;
      }
      for (int ic = 0; ic < m; ic += mstep) {
        int mc = m - ic < mstep ? m - ic : mstep;
        GT_FN(pack_a_)(ta, a, lda, ic, mc, pc, kc, apack);
        GT_FN(macro_)(mc, nc, kc, apack, pb, b + (long)pc * ldb + jc, ldb, edge, alpha, beta_eff,
                      c + (long)ic * ldc + jc, ldc, tile, tb, pc, jc);
      }
    }
  }
}

#undef GT_NV
#undef GT_FN
#undef GT_DIRECT_M
#undef GT_DOT_M
#undef GT_UKR_DEFINED
#undef GT_PACK_BT
#undef GT_PACK_A
