/**
 * The two big products of whitening, in plain JavaScript: the centred Gram matrix
 * sum_r (x_r - mu)(x_r - mu)^T and the affine map (X - mu) P, over float32 design matrices with
 * float64 accumulation.
 *
 * Both pack data into float64 "quads": four consecutive features (or rows) of one item stored
 * side by side, so the inner loop of a 4 x 4 register tile reads two sequential streams and does
 * 16 multiply-adds per 8 loads. On one core that is ~1.5 G multiply-adds/s: the 150000 x 192
 * Gram (upper triangle only) in ~2 s and the 150000 x 192 x 192 product in ~3.5 s.
 */

/** Rows per packed Gram block: 48 quads x 256 rows x 32 bytes = 384 KiB, which stays in L2. */
const GRAM_BLOCK_ROWS = 256;

/** Column means of X (n x d) in float64. */
export function columnMeans(X: Float32Array, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const base = r * d;
    for (let j = 0; j < d; j++) mean[j] += X[base + j];
  }
  if (n > 0) for (let j = 0; j < d; j++) mean[j] /= n;
  return mean;
}

/**
 * G = sum over rows of (x - mean)(x - mean)^T, d x d row-major float64 (mean omitted: uncentred).
 * Only tiles on or above the diagonal are computed, then mirrored, so G is exactly symmetric.
 */
export function centeredGram(X: Float32Array, n: number, d: number, mean?: Float64Array): Float64Array {
  const R = GRAM_BLOCK_ROWS;
  const dp = (d + 3) & ~3;
  const nq = dp >> 2;
  // t[((q * R) + k) * 4 + s] = X[r0 + k, 4q + s] - mean: feature quad q of block row k. Padding features stay 0.
  const t = new Float64Array(nq * R * 4);
  const G = new Float64Array(dp * dp);
  for (let r0 = 0; r0 < n; r0 += R) {
    const m = Math.min(R, n - r0);
    for (let k = 0; k < m; k++) {
      const base = (r0 + k) * d;
      for (let j = 0; j < d; j++) t[(((j >> 2) * R + k) << 2) + (j & 3)] = X[base + j] - (mean ? mean[j] : 0);
    }
    for (let qi = 0; qi < nq; qi++) {
      for (let qj = qi; qj < nq; qj++) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        let a = qi * R * 4;
        let b = qj * R * 4;
        const end = a + m * 4;
        for (; a < end; a += 4, b += 4) {
          const x0 = t[a], x1 = t[a + 1], x2 = t[a + 2], x3 = t[a + 3];
          const y0 = t[b], y1 = t[b + 1], y2 = t[b + 2], y3 = t[b + 3];
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
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = G[i * dp + j];
      out[i * d + j] = v;
      out[j * d + i] = v;
    }
  }
  return out;
}

/**
 * out (n x k, float32) = (X - mean) P, with X n x d float32, mean length d (omitted: zero),
 * P d x k row-major float64. Accumulates in float64 and rounds once on store.
 */
export function affineRows(
  X: Float32Array,
  n: number,
  d: number,
  P: Float64Array,
  k: number,
  mean?: Float64Array,
  out: Float32Array = new Float32Array(n * k),
): Float32Array {
  if (P.length !== d * k) throw new RangeError(`affineRows: P has ${P.length} values, expected ${d} x ${k}`);
  if (out.length < n * k) throw new RangeError(`affineRows: out has ${out.length} values, expected ${n} x ${k}`);
  const kp = (k + 3) & ~3;
  const nq = kp >> 2;
  // Pq[((q * d) + i) * 4 + s] = P[i, 4q + s]: column quad q walked down the rows of P.
  const Pq = new Float64Array(nq * d * 4);
  for (let q = 0; q < nq; q++) {
    for (let i = 0; i < d; i++) {
      for (let s = 0; s < 4; s++) {
        const j = q * 4 + s;
        Pq[(q * d + i) * 4 + s] = j < k ? P[i * k + j] : 0;
      }
    }
  }
  // a[i * 4 + s] = X[r0 + s, i] - mean[i]: four rows side by side.
  const a = new Float64Array(d * 4);
  const acc = new Float64Array(4 * kp);
  for (let r0 = 0; r0 < n; r0 += 4) {
    const m = Math.min(4, n - r0);
    for (let s = 0; s < 4; s++) {
      if (s < m) {
        const base = (r0 + s) * d;
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
      const ob = (r0 + s) * k;
      const ab = s * kp;
      for (let j = 0; j < k; j++) out[ob + j] = acc[ab + j];
    }
  }
  return out;
}

/** A B for small float64 row-major matrices (a x b times b x c). */
export function matmul64(A: Float64Array, B: Float64Array, a: number, b: number, c: number): Float64Array {
  const C = new Float64Array(a * c);
  for (let i = 0; i < a; i++) {
    for (let l = 0; l < b; l++) {
      const v = A[i * b + l];
      if (v === 0) continue;
      const bo = l * c;
      const co = i * c;
      for (let j = 0; j < c; j++) C[co + j] += v * B[bo + j];
    }
  }
  return C;
}
