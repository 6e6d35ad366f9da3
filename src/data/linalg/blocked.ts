/**
 * The two big products of whitening, in plain JavaScript: the centred Gram matrix
 * sum_r (x_r - mu)(x_r - mu)^T and the affine map (X - mu) P, over float32 design matrices with
 * float64 accumulation.
 *
 * Both pack data into float64 "quads": four consecutive features (or rows) of one item stored
 * side by side, so the inner loop of a 4 x 4 register tile reads two sequential streams and does
 * 16 multiply-adds per 8 loads: ~1.5 G multiply-adds/s per core. Rows are split across worker
 * threads (parallel.ts) when the data are large; the range kernels below are self-contained
 * (no outer references) because the workers run their source text.
 */
import { parallelRows } from "./parallel.js";

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
  const dp = (d + 3) & ~3;
  const G = parallelRows("gram", n, d, { X, d, mean: mean ?? null, dp });
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
  const Pq = new Float64Array(nq * d * 4);
  for (let q = 0; q < nq; q++) {
    for (let i = 0; i < d; i++) {
      for (let s = 0; s < 4; s++) {
        const j = q * 4 + s;
        Pq[(q * d + i) * 4 + s] = j < k ? P[i * k + j] : 0;
      }
    }
  }
  parallelRows("affine", n, d, { X, d, mean: mean ?? null, Pq, k, kp, out });
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
