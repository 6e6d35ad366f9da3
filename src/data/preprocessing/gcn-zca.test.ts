import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DenseDesignMatrix } from "../dataset.js";
import { Rng } from "../../util/rng.js";
import { eighSymmetric } from "../linalg/eigh.js";
import { GlobalContrastNormalization, globalContrastNormalize } from "./gcn.js";
import { ZCA, fitZca } from "./zca.js";

const vectors = JSON.parse(
  readFileSync(resolve(import.meta.dirname, "../../../../shared/vectors/gcn_zca_small.json"), "utf8"),
) as Record<string, number[][] | number[]>;

const flat = (a: number[][] | number[]) => (a as unknown[]).flat(2) as number[];
const X = Float32Array.from(flat(vectors.X));
const [N, D] = [40, 12];

/** max |a - b| / max |b|: 1e-4 means four significant digits on the largest entries. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

describe("GlobalContrastNormalization", () => {
  it("matches the float64 reference (scale 1, sqrt_bias 10, use_std, ddof 1)", () => {
    const out = globalContrastNormalize(X, N, D, { sqrt_bias: 10, use_std: true });
    expect(relErr(out, flat(vectors.gcn))).toBeLessThan(1e-5);
  });

  it("follows the norm formula when use_std is false, and leaves tiny rows undivided", () => {
    const rows = Float32Array.from([3, 4, 0, 0, /* constant row: zero after centring */ 2, 2, 2, 2]);
    const out = globalContrastNormalize(rows, 2, 4, { subtract_mean: false, scale: 2 });
    // ||(3,4,0,0)|| = 5, divided by 5/2.
    expect(Array.from(out.subarray(0, 4))).toEqual([1.2, 1.6, 0, 0].map(Math.fround));
    const centred = globalContrastNormalize(rows, 2, 4, {});
    expect(Array.from(centred.subarray(4))).toEqual([0, 0, 0, 0]); // divisor 0 < min_divisor: left as is
  });

  it("uses ddof 0 for single-feature rows instead of dividing by zero", () => {
    const out = globalContrastNormalize(Float32Array.from([5, -1]), 2, 1, { use_std: true, sqrt_bias: 1 });
    expect(Array.from(out)).toEqual([0, 0]); // centred to 0, divisor sqrt(1 + 0) = 1
  });

  it("records its settings in the dataset", () => {
    const ds = new DenseDesignMatrix({ X, numExamples: N, dim: D });
    const out = new GlobalContrastNormalization({ sqrt_bias: 10, use_std: true }).apply(ds);
    expect(out.preprocessing).toEqual([
      { name: "GlobalContrastNormalization", settings: { scale: 1, subtract_mean: true, use_std: true, sqrt_bias: 10, min_divisor: 1e-8 } },
    ]);
  });
});

describe("ZCA", () => {
  const gcn = Float32Array.from(flat(vectors.gcn));

  it("matches the float64 reference mean, P, inverse and output within 1e-4 relative", () => {
    const fit = fitZca(gcn, N, D, { filter_bias: 0.1 });
    expect(relErr(fit.mean, flat(vectors.zca_mean))).toBeLessThan(1e-4);
    expect(relErr(fit.P, flat(vectors.zca_P))).toBeLessThan(1e-4);
    expect(relErr(fit.invP!, flat(vectors.zca_inverse))).toBeLessThan(1e-4);
    const ds = new ZCA().apply(new DenseDesignMatrix({ X: gcn, numExamples: N, dim: D }), true);
    expect(relErr(ds.X, flat(vectors.zca_out))).toBeLessThan(1e-4);
    expect(Object.keys(ds.fitted).sort()).toEqual(["zca_P", "zca_inv_P", "zca_mean"]);
  });

  it("the whitened covariance equals its closed form V diag(l/(l+b)) V^T, and P inv_P = I", () => {
    // Independent data: 500 x 7 correlated Gaussian rows.
    const rng = new Rng(3);
    const n = 500;
    const d = 7;
    const A = Float64Array.from({ length: d * d }, () => rng.normal());
    const Xr = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      const z = Array.from({ length: d }, () => rng.normal());
      for (let j = 0; j < d; j++) {
        let s = 5;
        for (let k = 0; k < d; k++) s += z[k] * A[k * d + j];
        Xr[r * d + j] = s;
      }
    }
    const b = 0.3;
    const zca = new ZCA({ filter_bias: b });
    const out = zca.apply(new DenseDesignMatrix({ X: Xr, numExamples: n, dim: d }), true);
    // Sample covariance of the input and of the output (divided by N, as ZCA does).
    const cov = (M: Float32Array) => {
      const mu = new Float64Array(d);
      for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mu[j] += M[r * d + j] / n;
      const C = new Float64Array(d * d);
      for (let r = 0; r < n; r++)
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) C[i * d + j] += ((M[r * d + i] - mu[i]) * (M[r * d + j] - mu[j])) / n;
      return C;
    };
    const { values, vectors: V } = eighSymmetric(cov(Xr), d);
    const expected = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += V[i * d + k] * (values[k] / (values[k] + b)) * V[j * d + k];
        expected[i * d + j] = s;
      }
    expect(relErr(cov(out.X), expected)).toBeLessThan(1e-4);
    // Output mean is zero.
    const fit = zca.fitted!;
    let prodErr = 0;
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += fit.P[i * d + k] * fit.invP![k * d + j];
        prodErr = Math.max(prodErr, Math.abs(s - (i === j ? 1 : 0)));
      }
    expect(prodErr).toBeLessThan(1e-10);
  });

  it("with filter_bias 0 whitens to the identity covariance", () => {
    const rng = new Rng(11);
    const n = 300;
    const d = 5;
    const Xr = Float32Array.from({ length: n * d }, (_, i) => rng.normal() * (1 + (i % d)) + (i % 3));
    const out = new ZCA({ filter_bias: 0 }).apply(new DenseDesignMatrix({ X: Xr, numExamples: n, dim: d }), true);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += out.X[r * d + i] * out.X[r * d + j];
        expect(s / n).toBeCloseTo(i === j ? 1 : 0, 4);
      }
  });

  it("keeps the n_components largest directions; applies stored parameters to new data without refitting", () => {
    const full = fitZca(gcn, N, D, { n_components: 4 });
    expect(full.eigenvalues.length).toBe(4);
    const zca = new ZCA({ n_components: 4 });
    const train = zca.apply(new DenseDesignMatrix({ X: gcn, numExamples: N, dim: D }), true);
    const restored = ZCA.fromSettings(train.preprocessing[0].settings, train.fitted);
    const again = restored.apply(new DenseDesignMatrix({ X: gcn, numExamples: N, dim: D }), false);
    expect(relErr(again.X, train.X)).toBeLessThan(1e-6);
    expect(() => new ZCA().apply(new DenseDesignMatrix({ X: gcn, numExamples: N, dim: D }), false)).toThrow(/not been fitted/);
    expect(() => new ZCA({ n_components: 2, n_drop_components: 1 }).apply(new DenseDesignMatrix({ X: gcn, numExamples: N, dim: D }), true)).toThrow(
      /either n_components or n_drop_components/,
    );
  });
});
