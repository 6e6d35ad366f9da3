/**
 * The row-range kernels behind centeredGram and affineRows (blocked.ts). Each is self-contained —
 * no imports, no outer constants — because worker threads run their source text (parallel.ts).
 */

/**
 * Adds sum over rows [r0, r1) of (x - mean)(x - mean)^T to the tiles on and above the diagonal of
 * G (dp x dp, dp = d rounded up to 4). Blocks of 256 rows: 48 quads x 256 rows x 32 bytes = 384 KiB stays in L2.
 */
export function gramRowRange(X: Float32Array, d: number, r0: number, r1: number, mean: Float64Array | null, G: Float64Array, dp: number): void {
  const R = 256;
  const nq = dp >> 2;
  // t[((q * R) + k) * 4 + s] = X[b + k, 4q + s] - mean: feature quad q of block row k. Padding features stay 0.
  const t = new Float64Array(nq * R * 4);
  for (let b = r0; b < r1; b += R) {
    const m = Math.min(R, r1 - b);
    for (let k = 0; k < m; k++) {
      const base = (b + k) * d;
      for (let j = 0; j < d; j++) t[(((j >> 2) * R + k) << 2) + (j & 3)] = X[base + j] - (mean ? mean[j] : 0);
    }
    for (let qi = 0; qi < nq; qi++) {
      for (let qj = qi; qj < nq; qj++) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        let a = qi * R * 4;
        let bb = qj * R * 4;
        const end = a + m * 4;
        for (; a < end; a += 4, bb += 4) {
          const x0 = t[a], x1 = t[a + 1], x2 = t[a + 2], x3 = t[a + 3];
          const y0 = t[bb], y1 = t[bb + 1], y2 = t[bb + 2], y3 = t[bb + 3];
          c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
          c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
          c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
          c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
        }
        let o = qi * 4 * dp + qj * 4;
        G[o] += c00; G[o + 1] += c01; G[o + 2] += c02; G[o + 3] += c03;
        o += dp;
        G[o] += c10; G[o + 1] += c11; G[o + 2] += c12; G[o + 3] += c13;
        o += dp;
        G[o] += c20; G[o + 1] += c21; G[o + 2] += c22; G[o + 3] += c23;
        o += dp;
        G[o] += c30; G[o + 1] += c31; G[o + 2] += c32; G[o + 3] += c33;
      }
    }
  }
}

/**
 * out[r, :] = (X[r, :] - mean) P for rows [r0, r1), with P given as column quads
 * Pq[((q * d) + i) * 4 + s] = P[i, 4q + s] (k columns, kp = k rounded up to 4).
 */
export function affineRowRange(
  X: Float32Array, d: number, r0: number, r1: number, mean: Float64Array | null, Pq: Float64Array, k: number, kp: number, out: Float32Array,
): void {
  const nq = kp >> 2;
  // a[i * 4 + s] = X[b + s, i] - mean[i]: four rows side by side.
  const a = new Float64Array(d * 4);
  const acc = new Float64Array(4 * kp);
  for (let b = r0; b < r1; b += 4) {
    const m = Math.min(4, r1 - b);
    for (let s = 0; s < 4; s++) {
      if (s < m) {
        const base = (b + s) * d;
        for (let i = 0; i < d; i++) a[i * 4 + s] = X[base + i] - (mean ? mean[i] : 0);
      } else {
        for (let i = 0; i < d; i++) a[i * 4 + s] = 0;
      }
    }
    for (let q = 0; q < nq; q++) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pb = q * d * 4;
      for (let ai = 0, end = d * 4; ai < end; ai += 4, pb += 4) {
        const x0 = a[ai], x1 = a[ai + 1], x2 = a[ai + 2], x3 = a[ai + 3];
        const y0 = Pq[pb], y1 = Pq[pb + 1], y2 = Pq[pb + 2], y3 = Pq[pb + 3];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      let o = q * 4;
      acc[o] = c00; acc[o + 1] = c01; acc[o + 2] = c02; acc[o + 3] = c03;
      o += kp;
      acc[o] = c10; acc[o + 1] = c11; acc[o + 2] = c12; acc[o + 3] = c13;
      o += kp;
      acc[o] = c20; acc[o + 1] = c21; acc[o + 2] = c22; acc[o + 3] = c23;
      o += kp;
      acc[o] = c30; acc[o + 1] = c31; acc[o + 2] = c32; acc[o + 3] = c33;
    }
    for (let s = 0; s < m; s++) {
      const ob = (b + s) * k;
      const ab = s * kp;
      for (let j = 0; j < k; j++) out[ob + j] = acc[ab + j];
    }
  }
}
