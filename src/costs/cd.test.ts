import { describe, expect, it } from "vitest";
import { Tensor, checkGradients, float64Backend, noGrad } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { RBM, freeEnergyGradients } from "../models/rbm.js";
import { GaussianBinaryRBM } from "../models/grbm.js";
import { Autoencoder } from "../models/autoencoder.js";
import type { Cost } from "./cost.js";
import { CDk, mlGradients } from "./cd.js";
import { SML } from "./sml.js";
import { SumOfCosts } from "./sum-of-costs.js";
import { L1WeightDecay, WeightDecay } from "./weight-decay.js";
import { onFloat64 } from "../../test/helpers/gradcheck.js";

/** A small fixed binary dataset: three 8-bit prototypes with 5% of the bits flipped. */
function prototypes(n: number): Float32Array {
  const protos = [
    [1, 1, 1, 1, 0, 0, 0, 0],
    [0, 0, 1, 1, 1, 1, 0, 0],
    [1, 0, 1, 0, 1, 0, 1, 1],
  ];
  const rng = new Rng(123);
  const X = new Float32Array(n * 8);
  for (let r = 0; r < n; r++) {
    const p = protos[r % 3];
    for (let i = 0; i < 8; i++) X[r * 8 + i] = rng.uniform() < 0.05 ? 1 - p[i] : p[i];
  }
  return X;
}

/** Exact mean log-likelihood: log Z enumerated over all 2^nvis visible states through the free energy. */
function exactLogLikelihood(m: RBM, X: Float32Array, n: number): number {
  const nv = m.inputDim;
  const all = new Float32Array((1 << nv) * nv);
  for (let s = 0; s < 1 << nv; s++) for (let i = 0; i < nv; i++) all[s * nv + i] = (s >> i) & 1;
  const F = Array.from(m.freeEnergy(Tensor.from(all, [1 << nv, nv])).toArray());
  const mx = Math.max(...F.map((f) => -f));
  const logZ = mx + Math.log(F.reduce((a, f) => a + Math.exp(-f - mx), 0));
  const Fd = m.freeEnergy(Tensor.from(X, [n, nv])).toArray();
  return Array.from(Fd).reduce((a, f) => a - f, 0) / n - logZ;
}

function train(m: RBM, cost: Cost, X: Float32Array, n: number, steps: number, lr: number, batch: number, rng = new Rng(9)): number[] {
  const objectives: number[] = [];
  const ctx = { rng, training: true };
  for (let s = 0; s < steps; s++) {
    const start = (s * batch) % n;
    const Xb = Tensor.from(X.subarray(start * 8, (start + batch) * 8), [batch, 8]);
    const { grads, objective } = cost.gradients!(m, { X: Xb, size: batch }, ctx);
    noGrad(() => m.params().forEach((p, k) => p.axpyInPlace(grads[k], -lr)));
    if (objective) objectives.push(objective.item());
  }
  return objectives;
}

describe("maximum-likelihood gradient (CD / SML)", () => {
  it("equals the closed form -<v h>_data + <v h>_model (and likewise for the biases)", () => {
    const m = onFloat64(() => new RBM({ nvis: 3, nhid: 2, seed: 4 }));
    const pos = [[1, 0, 1], [0, 1, 1]];
    const neg = [[1, 1, 0], [0, 0, 1], [1, 0, 0]];
    const g = mlGradients(m, Tensor.from(pos.flat(), [2, 3], float64Backend), Tensor.from(neg.flat(), [3, 3], float64Backend)).map((t) => t.toArray());
    const W = m.W.toArray();
    const hid = (v: number[]) => [0, 1].map((j) => 1 / (1 + Math.exp(-(v.reduce((a, x, i) => a + x * W[i * 2 + j], 0)))));
    const stat = (vs: number[][]) => {
      const vh = new Array(6).fill(0), v = new Array(3).fill(0), h = new Array(2).fill(0);
      for (const x of vs) {
        const hx = hid(x);
        for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) vh[i * 2 + j] += (x[i] * hx[j]) / vs.length;
        x.forEach((xi, i) => (v[i] += xi / vs.length));
        hx.forEach((hj, j) => (h[j] += hj / vs.length));
      }
      return { vh, v, h };
    };
    const P = stat(pos), N = stat(neg);
    P.vh.forEach((x, k) => expect(g[0][k]).toBeCloseTo(-x + N.vh[k], 12));
    P.v.forEach((x, k) => expect(g[1][k]).toBeCloseTo(-x + N.v[k], 12));
    P.h.forEach((x, k) => expect(g[2][k]).toBeCloseTo(-x + N.h[k], 12));
  });

  it("the binary RBM's closed form equals autodiff of the free energies (and the GRBM uses autodiff)", () => {
    const m = onFloat64(() => new RBM({ nvis: 5, nhid: 4, seed: 8, initBiasHid: 0.3, initBiasVis: -0.2 }));
    const rng = new Rng(3);
    const pos = Tensor.from(rng.fillBernoulli(new Float64Array(15), 0.5), [3, 5], float64Backend);
    const neg = Tensor.from(rng.fillUniform(new Float64Array(20)), [4, 5], float64Backend);
    const slow = freeEnergyGradients(m, pos, neg);
    for (const fast of [m.mlGradients(pos, neg), mlGradients(m, pos, neg, m.meanHGivenV(pos))]) {
      fast.forEach((g, k) => {
        const a = g.toArray(), b = slow[k].toArray();
        expect(g.shape).toEqual(slow[k].shape);
        for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i], 12);
      });
    }
    const g = onFloat64(() => new GaussianBinaryRBM({ nvis: 5, nhid: 4, learnSigma: true }));
    const gf = g.mlGradients(pos, neg), gs = freeEnergyGradients(g, pos, neg);
    expect(gf).toHaveLength(4);
    gf.forEach((t, k) => expect(Array.from(t.toArray())).toEqual(Array.from(gs[k].toArray())));
  });

  it("agrees with finite differences of mean F(pos) - mean F(neg)", () => {
    const pos = Tensor.from([1, 0, 1, 1, 0, 1, 1, 0], [2, 4], float64Backend);
    const neg = Tensor.from([0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0], [3, 4], float64Backend);
    const r = checkGradients((W, b, c) => {
      const m = onFloat64(() => new RBM({ nvis: 4, nhid: 3 }));
      Object.assign(m, { W, biasVis: b, biasHid: c });
      return m.freeEnergy(pos).mean().sub(m.freeEnergy(neg).mean());
    }, [{ shape: [4, 3] }, { shape: [4] }, { shape: [3] }]);
    expect(r.maxError).toBeLessThan(1e-6);
  });
});

describe("CDk", () => {
  it("CD-1 raises the exact log-likelihood of a small binary RBM", () => {
    const n = 60;
    const X = prototypes(n);
    const m = new RBM({ nvis: 8, nhid: 6, seed: 1 });
    const before = exactLogLikelihood(m, X, n);
    const recon = train(m, new CDk(1), X, n, 400, 0.1, 10);
    const after = exactLogLikelihood(m, X, n);
    // About -5.5 nats before (near uniform over 2^8 states), about -3.0 after 400 steps.
    expect(before).toBeLessThan(-5);
    expect(after).toBeGreaterThan(before + 1.5);
    // The reported objective (reconstruction error) falls too.
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(recon.slice(-50))).toBeLessThan(0.6 * mean(recon.slice(0, 20)));
  });

  it("CD-k starts its chains at the data and runs k steps", () => {
    // With an RBM whose visibles ignore h (W = 0) and a huge visible bias, one Gibbs step lands on all-ones.
    const m = new RBM({ nvis: 3, nhid: 2, irange: 0, initBiasVis: 50 });
    const X = Tensor.from([0, 0, 0], [1, 3]);
    const { grads, objective } = new CDk(2).gradients(m, { X, size: 1 }, { rng: new Rng(0), training: true });
    // d/db of F(pos) - F(neg) = -pos + neg = 1 for every unit.
    expect(Array.from(grads[1].toArray())).toEqual([1, 1, 1]);
    expect(objective.item()).toBeCloseTo(3, 5);
  });

  it("with sample_visibles false the negative phase is the visibles' mean, not a sample", () => {
    // W = 0: E[v | h] = sigmoid(b) whatever h is, so the reconstruction is known exactly.
    const b = [-1, 0.5, 2];
    const m = onFloat64(() => new RBM({ nvis: 3, nhid: 2, irange: 0, initBiasVis: b }));
    const X = Tensor.from([1, 0, 1, 0, 0, 1], [2, 3], float64Backend);
    const { grads } = new CDk(1, 42, false).gradients(m, { X, size: 2 }, { rng: new Rng(0), training: true });
    const sig = b.map((x) => 1 / (1 + Math.exp(-x)));
    // d/db of mean F(pos) - mean F(neg) = mean(neg) - mean(pos), with neg = sigmoid(b) in every row.
    const posMean = [0.5, 0, 1];
    Array.from(grads[1].toArray()).forEach((g, i) => expect(g).toBeCloseTo(sig[i] - posMean[i], 12));
    // The whole gradient is the ML gradient with those means as the negative particles.
    const want = mlGradients(m, X, Tensor.from([...sig, ...sig], [2, 3], float64Backend));
    grads.forEach((g, k) => Array.from(g.toArray()).forEach((x, i) => expect(x).toBeCloseTo(want[k].toArray()[i], 12)));
    // Sampled visibles (the pylearn2 default) are 0/1, so there mean(neg) over 2 rows is a multiple of 1/2.
    const sampled = new CDk(1, 42).gradients(m, { X, size: 2 }, { rng: new Rng(0), training: true }).grads[1].toArray();
    expect(Array.from(sampled).every((g, i) => Number.isInteger(2 * (g + posMean[i])))).toBe(true);
  });

  it("CD-1 on mean-field reconstructions also raises the exact log-likelihood", () => {
    const n = 60;
    const X = prototypes(n);
    const m = new RBM({ nvis: 8, nhid: 6, seed: 1 });
    const before = exactLogLikelihood(m, X, n);
    train(m, new CDk(1, 42, false), X, n, 400, 0.1, 10);
    expect(exactLogLikelihood(m, X, n)).toBeGreaterThan(before + 1.5);
  });

  it("owns a seeded generator that extraState saves and restores exactly", () => {
    const X = Tensor.from(prototypes(10), [10, 8]);
    const m = new RBM({ nvis: 8, nhid: 4, seed: 2 });
    const ctx = { rng: new Rng(0), training: true };
    const a = new CDk(1, 7);
    a.gradients(m, { X, size: 10 }, ctx);
    const saved = a.extraState();
    const ga = a.gradients(m, { X, size: 10 }, ctx).grads[0].toArray();
    const b = new CDk(1, 7);
    b.loadExtraState(saved);
    expect(Array.from(b.gradients(m, { X, size: 10 }, ctx).grads[0].toArray())).toEqual(Array.from(ga));
    const c = new CDk(1, 8);
    expect(Array.from(c.gradients(m, { X, size: 10 }, ctx).grads[0].toArray())).not.toEqual(Array.from(ga));
  });

  it("says which models it can train", () => {
    const ae = new Autoencoder({ nvis: 2, nhid: 2, actEnc: "sigmoid", actDec: "sigmoid" });
    const X = Tensor.zeros([1, 2]);
    expect(() => new CDk(1).gradients(ae, { X, size: 1 }, { rng: new Rng(0), training: true })).toThrow(ConfigError);
    expect(() => new CDk(0)).toThrow(/nsteps/);
  });
});

describe("SML (persistent contrastive divergence)", () => {
  it("raises the exact log-likelihood", () => {
    const n = 60;
    const X = prototypes(n);
    const m = new RBM({ nvis: 8, nhid: 6, seed: 1 });
    const before = exactLogLikelihood(m, X, n);
    train(m, new SML(10, 1), X, n, 400, 0.1, 10);
    expect(exactLogLikelihood(m, X, n)).toBeGreaterThan(before + 1.5);
  });

  it("uses the persistent particles (starting at 0.5) as the negative phase, then advances them", () => {
    const m = new RBM({ nvis: 3, nhid: 2, seed: 3 });
    const cost = new SML(4, 1);
    const X = Tensor.from([1, 0, 1, 0, 1, 1], [2, 3]);
    const ctx = { rng: new Rng(0), training: true };
    const { grads } = cost.gradients(m, { X, size: 2 }, ctx);
    const want = mlGradients(m, X, Tensor.full([4, 3], 0.5));
    grads.forEach((g, k) => expect(Array.from(g.toArray())).toEqual(Array.from(want[k].toArray())));
    const p = cost.sampler.particles!;
    expect(p.shape).toEqual([4, 3]);
    expect(new Set(Array.from(p.toArray())).size).toBeLessThanOrEqual(2); // now binary samples
  });

  it("keeps its chains in extraState, so a resumed run continues them exactly", () => {
    const X = Tensor.from(prototypes(10), [10, 8]);
    const run = (cost: SML, m: RBM, rng: Rng) => cost.gradients(m, { X, size: 10 }, { rng, training: true }).grads.map((g) => Array.from(g.toArray()));
    const m = new RBM({ nvis: 8, nhid: 4, seed: 2 });
    const a = new SML(5, 2);
    const rng = new Rng(5);
    run(a, m, rng);
    run(a, m, rng);
    const state = a.extraState();
    const rngState = rng.getState();
    const next = run(a, m, rng);
    const b = new SML(5, 2);
    b.loadExtraState(state);
    const rng2 = new Rng(0);
    rng2.setState(rngState);
    expect(run(b, m, rng2)).toEqual(next);
    expect(state.particles.shape).toEqual([5, 8]);
  });
});

describe("WeightDecay on an RBM (Hinton's weight-cost, in a SumOfCosts with CDk)", () => {
  const ctx = () => ({ rng: new Rng(0), training: true });

  it("is coeff * sum(W^2) (biases not penalised), with gradient 2 coeff W", () => {
    const m = onFloat64(() => new RBM({ nvis: 4, nhid: 3, seed: 5, initBiasVis: 0.7, initBiasHid: -0.4 }));
    const W = Array.from(m.W.toArray());
    const X = Tensor.from(new Float64Array(8), [2, 4], float64Backend);
    const sumSq = W.reduce((a, w) => a + w * w, 0);
    expect(new WeightDecay(2e-4).expr(m, { X, size: 2 }, ctx()).item()).toBeCloseTo(2e-4 * sumSq, 15);
    expect(new WeightDecay([0.5]).expr(m, { X, size: 2 }, ctx()).item()).toBeCloseTo(0.5 * sumSq, 12);
    expect(new L1WeightDecay(0.1).expr(m, { X, size: 2 }, ctx()).item()).toBeCloseTo(0.1 * W.reduce((a, w) => a + Math.abs(w), 0), 12);
    const r = checkGradients((Wt) => {
      const mm = onFloat64(() => new RBM({ nvis: 4, nhid: 3 }));
      Object.assign(mm, { W: Wt });
      return new WeightDecay(0.3).expr(mm, { X, size: 2 }, ctx());
    }, [{ shape: [4, 3] }]);
    expect(r.maxError).toBeLessThan(1e-6);
  });

  it("adds 2 coeff W to the CD gradient of W and nothing to the biases", () => {
    const m = onFloat64(() => new RBM({ nvis: 8, nhid: 4, seed: 2 }));
    const X = Tensor.from(Float64Array.from(prototypes(10)), [10, 8], float64Backend);
    const c = 0.01;
    const plain = new CDk(1, 7).gradients(m, { X, size: 10 }, ctx()).grads.map((g) => Array.from(g.toArray()));
    const sum = new SumOfCosts([new CDk(1, 7), new WeightDecay(c)]);
    const { grads, objective } = sum.gradients!(m, { X, size: 10 }, ctx());
    const W = m.W.toArray();
    Array.from(grads[0].toArray()).forEach((g, i) => expect(g).toBeCloseTo(plain[0][i] + 2 * c * W[i], 12));
    expect(Array.from(grads[1].toArray())).toEqual(plain[1]);
    expect(Array.from(grads[2].toArray())).toEqual(plain[2]);
    expect(objective!.item()).toBeGreaterThan(0);
  });

  it("shrinks W on data that carries no signal", () => {
    // Uniform noise: CD's statistics cancel on average, the decay does not; W's norm must fall.
    const m = new RBM({ nvis: 8, nhid: 4, seed: 3, irange: 1 });
    const norm = () => Array.from(m.W.toArray()).reduce((a, w) => a + w * w, 0);
    const before = norm();
    const rng = new Rng(11);
    const X = rng.fillBernoulli(new Float32Array(60 * 8), 0.5) as Float32Array;
    const cost = new SumOfCosts([new CDk(1, 3, false), new WeightDecay(0.05)]);
    train(m, cost, X, 60, 300, 0.1, 10);
    expect(norm()).toBeLessThan(0.3 * before);
  });

  it("says how to give coeffs for a model without layer names", () => {
    const m = new RBM({ nvis: 2, nhid: 2 });
    const X = Tensor.zeros([1, 2]);
    expect(() => new WeightDecay({ h0: 1 }).expr(m, { X, size: 1 }, ctx())).toThrow(/RBM has one layer of weights.*one number/);
    expect(() => new WeightDecay([1, 2]).expr(m, { X, size: 1 }, ctx())).toThrow(ConfigError);
    const ae = new Autoencoder({ nvis: 2, nhid: 2, actEnc: "sigmoid", actDec: "sigmoid" });
    expect(() => new WeightDecay(1).expr(ae, { X, size: 1 }, ctx())).toThrow(/works on an MLP/);
  });
});
