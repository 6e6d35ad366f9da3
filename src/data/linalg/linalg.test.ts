import { describe, expect, it } from "vitest";
import { Rng } from "../../util/rng.js";
import { eighSymmetric } from "./eigh.js";
import { affineRows, centeredGram, columnMeans } from "./blocked.js";
import { affineRowRange } from "./row-kernels.js";

function randomSymmetric(n: number, rng: Rng): Float64Array {
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) A[i * n + j] = A[j * n + i] = rng.normal();
  return A;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** max |A V - V diag(w)| and max |V^T V - I|. */
function eigResiduals(A: Float64Array, n: number, w: Float64Array, V: Float64Array): { residual: number; orth: number } {
  let residual = 0;
  let orth = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let av = 0;
      let vtv = 0;
      for (let k = 0; k < n; k++) {
        av += A[i * n + k] * V[k * n + j];
        vtv += V[k * n + i] * V[k * n + j];
      }
      residual = Math.max(residual, Math.abs(av - V[i * n + j] * w[j]));
      orth = Math.max(orth, Math.abs(vtv - (i === j ? 1 : 0)));
    }
  }
  return { residual, orth };
}

describe("eighSymmetric", () => {
  it("solves a 2x2 in closed form", () => {
    // [[2,1],[1,2]] has eigenvalues 1 and 3 with vectors (1,-1)/sqrt2 and (1,1)/sqrt2.
    const { values, vectors } = eighSymmetric([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(3, 14);
    expect(Math.abs(vectors[0 * 2 + 1])).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors[0 * 2 + 1] * vectors[1 * 2 + 1]).toBeGreaterThan(0); // (1,1) direction for 3
    expect(vectors[0 * 2 + 0] * vectors[1 * 2 + 0]).toBeLessThan(0); // (1,-1) direction for 1
  });

  it.each([1, 3, 17, 64, 193])("decomposes a random symmetric matrix of size %i", (n) => {
    const A = randomSymmetric(n, new Rng(n));
    const { values, vectors } = eighSymmetric(A, n);
    for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
    const { residual, orth } = eigResiduals(A, n, values, vectors);
    expect(residual).toBeLessThan(1e-11 * n);
    expect(orth).toBeLessThan(1e-12 * n);
    // trace = sum of eigenvalues
    let tr = 0;
    for (let i = 0; i < n; i++) tr += A[i * n + i];
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(tr, 9);
  });

  it("handles repeated eigenvalues and diagonal input", () => {
    const n = 6;
    const D = new Float64Array(n * n);
    [5, 1, 3, 3, 0, -2].forEach((v, i) => (D[i * n + i] = v));
    const { values, vectors } = eighSymmetric(D, n);
    expect(Array.from(values)).toEqual([-2, 0, 1, 3, 3, 5]);
    expect(eigResiduals(D, n, values, vectors).orth).toBeLessThan(1e-14);
  });

  it("rejects NaN instead of looping", () => {
    expect(() => eighSymmetric([1, NaN, NaN, 1], 2)).toThrow(/NaN/);
  });
});

describe("blocked products", () => {
  const rng = new Rng(7);
  // Odd sizes exercise the padding of rows (n not a multiple of 4 or of the block) and features.
  const cases: Array<[number, number]> = [[1, 1], [5, 3], [130, 17], [301, 192]];

  it.each(cases)("centeredGram matches a float64 loop for %i x %i", (n, d) => {
    const X = new Float32Array(n * d);
    for (let i = 0; i < X.length; i++) X[i] = rng.normal() * 3 + 10;
    const mean = columnMeans(X, n, d);
    const G = centeredGram(X, n, d, mean);
    const ref = new Float64Array(d * d);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) ref[i * d + j] += (X[r * d + i] - mean[i]) * (X[r * d + j] - mean[j]);
    const scale = maxAbs(ref) || 1;
    let worst = 0;
    for (let i = 0; i < d * d; i++) worst = Math.max(worst, Math.abs(G[i] - ref[i]) / scale);
    expect(worst).toBeLessThan(1e-12);
  });

  it.each(cases)("affineRows matches a float64 loop for %i x %i", (n, d) => {
    const k = d === 1 ? 1 : d - 1; // a non-square P too
    const X = new Float32Array(n * d);
    for (let i = 0; i < X.length; i++) X[i] = rng.normal();
    const mean = Float64Array.from({ length: d }, () => rng.normal());
    const P = Float64Array.from({ length: d * k }, () => rng.normal());
    const out = affineRows(X, n, d, P, k, mean);
    let worst = 0;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += (X[r * d + i] - mean[i]) * P[i * k + j];
        // float64 accumulation, one rounding to float32 on store: within half an ulp of float32.
        worst = Math.max(worst, Math.abs(out[r * k + j] - s) / Math.max(1, Math.abs(s)));
      }
    }
    expect(worst).toBeLessThan(2 ** -23);
  });
});

/** Byte-for-byte equality (vitest's deep equality walks big typed arrays element by element, slowly). */
function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe("worker-thread split", () => {
  function withThreads<T>(t: string, f: () => T): T {
    const prev = process.env.DL_THREADS;
    process.env.DL_THREADS = t;
    try {
      return f();
    } finally {
      if (prev === undefined) delete process.env.DL_THREADS;
      else process.env.DL_THREADS = prev;
    }
  }

  it("gives bit-identical results on 1 and 3 threads, and the float64 answer (3 Gram chunks, odd row count)", () => {
    const rng = new Rng(5);
    const n = 40011;
    const d = 30;
    const X = Float32Array.from({ length: n * d }, () => rng.normal() + 0.5);
    const mean = columnMeans(X, n, d);
    const G1 = withThreads("1", () => centeredGram(X, n, d, mean));
    const G3 = withThreads("3", () => centeredGram(X, n, d, mean));
    expect(sameBits(G3, G1)).toBe(true);
    const ref = new Float64Array(d * d);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < d; i++) {
        const xi = X[r * d + i] - mean[i];
        for (let j = 0; j < d; j++) ref[i * d + j] += xi * (X[r * d + j] - mean[j]);
      }
    let worst = 0;
    for (let i = 0; i < d * d; i++) worst = Math.max(worst, Math.abs(G3[i] - ref[i]) / n);
    expect(worst).toBeLessThan(1e-12);

    const k = 7;
    const P = Float64Array.from({ length: d * k }, () => rng.normal());
    const a1 = withThreads("1", () => affineRows(X, n, d, P, k, mean));
    const a3 = withThreads("3", () => affineRows(X, n, d, P, k, mean));
    expect(sameBits(a3, a1)).toBe(true);
    const Pq = new Float64Array(2 * d * 4);
    for (let q = 0; q < 2; q++) for (let i = 0; i < d; i++) for (let s = 0; s < 4; s++) Pq[(q * d + i) * 4 + s] = q * 4 + s < k ? P[i * k + q * 4 + s] : 0;
    const ref2 = new Float32Array(n * k);
    affineRowRange(X, d, 0, n, mean, Pq, k, 8, ref2);
    expect(sameBits(a3, ref2)).toBe(true);
  });
});
