import { describe, expect, it } from "vitest";
import { Tensor } from "../engine/index.js";
import { DenseDesignMatrix } from "../data/dataset.js";
import { Rng } from "../util/rng.js";
import { ConfigError, DlError } from "../util/errors.js";
import { CDk } from "../costs/cd.js";
import { RBM } from "../models/rbm.js";
import { BGD, type BgdOptions } from "./bgd.js";
import { Monitor } from "./monitor.js";
import { LinearRegression, MeanSquaredError, regressionData } from "./testing/fixtures.js";

/**
 * BGD on linear least squares, where the answer is known in closed form: the normal equations
 * solved in float64. The model is y = x W + b, the cost the batch mean of squared errors.
 */

/** W and b minimising mean ||x W + b - y||^2, from the normal equations of [X 1] (Gaussian elimination, float64). */
function leastSquares(ds: DenseDesignMatrix): number[] {
  const d = ds.dim + 1;
  const A = Array.from({ length: d }, () => new Float64Array(d + 1));
  for (let i = 0; i < ds.numExamples; i++) {
    const row = [...Array.from(ds.X.subarray(i * ds.dim, (i + 1) * ds.dim)), 1];
    const y = ds.targets![i];
    for (let r = 0; r < d; r++) {
      for (let c = 0; c < d; c++) A[r][c] += row[r] * row[c];
      A[r][d] += row[r] * y;
    }
  }
  for (let p = 0; p < d; p++) {
    for (let r = p + 1; r < d; r++) {
      const f = A[r][p] / A[p][p];
      for (let c = p; c <= d; c++) A[r][c] -= f * A[p][c];
    }
  }
  const w = new Array<number>(d).fill(0);
  for (let r = d - 1; r >= 0; r--) {
    let s = A[r][d];
    for (let c = r + 1; c < d; c++) s -= A[r][c] * w[c];
    w[r] = s / A[r][r];
  }
  return w;
}

/** The cost in float64 at the model's parameters. */
function objective(m: LinearRegression, ds: DenseDesignMatrix): number {
  const W = m.W.toArray();
  const b = m.b.toArray()[0];
  let s = 0;
  for (let i = 0; i < ds.numExamples; i++) {
    let p = b;
    for (let j = 0; j < ds.dim; j++) p += ds.X[i * ds.dim + j] * W[j];
    s += (p - ds.targets![i]) ** 2;
  }
  return s / ds.numExamples;
}

function train(ds: DenseDesignMatrix, opts: Partial<BgdOptions>, steps: number, after?: (m: LinearRegression) => void): { m: LinearRegression; alg: BGD } {
  const m = new LinearRegression(ds.dim, 1, 3);
  const alg = new BGD({ cost: new MeanSquaredError(), batchSize: ds.numExamples, ...opts });
  alg.setup(m, ds, new Monitor());
  for (let s = 0; s < steps; ) {
    alg.beginEpoch();
    while (s < steps && alg.step()) {
      s++;
      after?.(m);
    }
  }
  return { m, alg };
}

/** A model holding the given W (then b). */
function withParams(w: number[]): LinearRegression {
  const m = new LinearRegression(w.length - 1, 1);
  m.W.assign(Tensor.from(w.slice(0, -1), m.W.shape));
  m.b.assign(Tensor.from(w.slice(-1), m.b.shape));
  return m;
}

/** Regression data whose inputs are scaled column by column: an ill-conditioned quadratic. */
function scaled(ds: DenseDesignMatrix, scales: number[]): DenseDesignMatrix {
  const X = Float32Array.from(ds.X, (v, i) => v * scales[i % ds.dim]);
  return new DenseDesignMatrix({ X, numExamples: ds.numExamples, dim: ds.dim, targets: ds.targets, targetDim: 1, description: "scaled" });
}

describe("BGD (batch gradient descent with line searches)", () => {
  const ds = regressionData(200, 5, 1, 11, 0.1);
  const best = leastSquares(ds);

  for (const mode of ["exhaustive", null] as const) {
    it(`${mode ?? "default"} search: every update lowers the cost, down to the least-squares solution`, () => {
      const costs: number[] = [];
      // One update per batch (the whole dataset): each step is one search.
      const { m } = train(ds, { lineSearchMode: mode, updatesPerBatch: 1 }, 40, (mm) => costs.push(objective(mm, ds)));
      for (let i = 1; i < costs.length; i++) expect(costs[i], `update ${i}`).toBeLessThanOrEqual(costs[i - 1] * (1 + 1e-6));
      const got = [...Array.from(m.W.toArray()), m.b.toArray()[0]];
      got.forEach((v, i) => expect(Math.abs(v - best[i]), `parameter ${i}`).toBeLessThan(2e-3));
    });

    it(`${mode ?? "default"} search: conjugate directions beat steepest descent on an ill-conditioned quadratic`, () => {
      const ill = scaled(ds, [1, 3, 10, 0.3, 1]);
      const w = leastSquares(ill);
      const floor = objective(withParams(w), ill);
      // 100 updates on one batch: pylearn2's conjugacy (kept within a batch) against plain steepest descent.
      const excess = (conjugate: boolean) => objective(train(ill, { lineSearchMode: mode, conjugate, updatesPerBatch: 100 }, 1).m, ill) - floor;
      const steepest = excess(false);
      const conjugate = excess(true);
      expect(conjugate).toBeGreaterThanOrEqual(-1e-6);
      expect(conjugate).toBeLessThan(steepest / 4);
    });
  }

  it("a checkpoint between batches resumes to the same parameters, bit for bit (carried step sizes and direction included)", () => {
    const opts: Partial<BgdOptions> = { lineSearchMode: "exhaustive", conjugate: true, resetConjugate: false, resetAlpha: false, batchSize: 50, updatesPerBatch: 3 };
    const straight = train(ds, opts, 8).m;
    const first = train(ds, opts, 5);
    const saved = first.alg.state();
    const params = first.m.params().map((p) => Float32Array.from(p.toArray()));
    const m = new LinearRegression(ds.dim, 1, 3);
    m.params().forEach((p, i) => p.assign(Tensor.from(params[i], p.shape)));
    const alg = new BGD({ cost: new MeanSquaredError(), batchSize: 50, ...opts });
    alg.setup(m, ds, new Monitor());
    alg.loadState(saved);
    let s = 5;
    while (s < 8) {
      if (!alg.inEpoch) alg.beginEpoch();
      if (alg.step()) s++;
    }
    expect(Array.from(m.W.toArray())).toEqual(Array.from(straight.W.toArray()));
    expect(Array.from(m.b.toArray())).toEqual(Array.from(straight.b.toArray()));
  });

  it("refuses what a line search cannot use, saying why", () => {
    const bin = new DenseDesignMatrix({ X: new Rng(1).fillUniform(new Float32Array(40 * 4), 0, 1) as Float32Array, numExamples: 40, dim: 4, description: "binary" });
    const rbm = new RBM({ nvis: 4, nhid: 3, irange: 0.1 });
    const cd = new BGD({ cost: new CDk(1), batchSize: 10 });
    expect(() => cd.setup(rbm, bin, new Monitor())).toThrow(ConfigError);
    expect(() => cd.setup(rbm, bin, new Monitor())).toThrow(/CDk has no tractable value to search along/);
    const alg = new BGD({ cost: new MeanSquaredError(), batchSize: 10 });
    expect(() => (alg.learningRate = 0.1)).toThrow(DlError);
    expect(() => (alg.learningRate = 0.1)).toThrow(/BGD has no learning rate/);
    expect(() => new BGD({ initAlpha: [0.5, 0.1] })).toThrow(/init_alpha must be increasing/);
  });
});
