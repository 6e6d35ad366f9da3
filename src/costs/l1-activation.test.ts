import { describe, expect, it } from "vitest";
import { Tensor, checkGradients, float64Backend, noGrad } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { RBM } from "../models/rbm.js";
import { Autoencoder } from "../models/autoencoder.js";
import { CDk } from "./cd.js";
import { L1ActivationCost } from "./l1-activation.js";
import { SumOfCosts } from "./sum-of-costs.js";
import { WeightDecay } from "./weight-decay.js";
import { loadConfigText } from "../config/index.js";
import { onFloat64 } from "../../test/helpers/gradcheck.js";

const ctx = () => ({ rng: new Rng(0), training: true });
const sigm = (x: number) => 1 / (1 + Math.exp(-x));

describe("L1_ActivationCost (pylearn2's RBM sparsity penalty)", () => {
  const nv = 5, nh = 4, n = 3;
  const rng = new Rng(6);
  const V = Array.from(rng.fillUniform(new Float64Array(n * nv)));

  it("is coeff * mean_j max(|q_j - target| - eps, 0), q_j the batch mean of P(h_j = 1 | v)", () => {
    const m = onFloat64(() => new RBM({ nvis: nv, nhid: nh, seed: 3, irange: 1, initBiasHid: [-2, -0.5, 0.5, 2] }));
    const W = m.W.toArray(), c = m.biasHid.toArray();
    const q = Array.from({ length: nh }, (_, j) => {
      let s = 0;
      for (let r = 0; r < n; r++) s += sigm(c[j] + V.slice(r * nv, r * nv + nv).reduce((a, v, i) => a + v * W[i * nh + j], 0));
      return s / n;
    });
    const [target, eps, coeff] = [0.1, 0.05, 0.7];
    const want = (coeff * q.reduce((a, qj) => a + Math.max(Math.abs(qj - target) - eps, 0), 0)) / nh;
    // The hidden biases spread q over (0, 1), so some units are inside the dead zone and some outside.
    const X = Tensor.from(V, [n, nv], float64Backend);
    expect(new L1ActivationCost(target, eps, coeff).expr(m, { X, size: n }, ctx()).item()).toBeCloseTo(want, 12);
    expect(new L1ActivationCost(0.5, 1, coeff).expr(m, { X, size: n }, ctx()).item()).toBe(0);
  });

  it("its gradient agrees with finite differences", () => {
    const X = Tensor.from(V, [n, nv], float64Backend);
    const r = checkGradients((W, c) => {
      const m = onFloat64(() => new RBM({ nvis: nv, nhid: nh }));
      Object.assign(m, { W, biasHid: c });
      return new L1ActivationCost(0.2, 0.01, 1.5).expr(m, { X, size: n }, ctx());
    }, [{ shape: [nv, nh] }, { shape: [nh] }]);
    expect(r.maxError).toBeLessThan(1e-6);
  });

  it("added to CDk in a SumOfCosts, pulls the hidden units' mean activation to the target", () => {
    const data = new Rng(12).fillBernoulli(new Float32Array(100 * 10), 0.5) as Float32Array;
    const X = Tensor.from(data, [100, 10]);
    const meanH = (m: RBM) => m.meanHGivenV(X).mean().item();
    const run = (cost: SumOfCosts | CDk) => {
      const m = new RBM({ nvis: 10, nhid: 6, seed: 4, irange: 0.1 });
      const c = ctx();
      for (let s = 0; s < 300; s++) {
        const { grads } = cost.gradients!(m, { X, size: 100 }, c);
        noGrad(() => m.params().forEach((p, k) => p.axpyInPlace(grads[k], -0.1)));
      }
      return meanH(m);
    };
    const plain = run(new CDk(1, 1, false));
    const sparse = run(new SumOfCosts([new CDk(1, 1, false), new L1ActivationCost(0.05, 0, 20)]));
    expect(plain).toBeGreaterThan(0.3);
    expect(Math.abs(sparse - 0.05)).toBeLessThan(0.03);
  });

  it("says what it needs", () => {
    const ae = new Autoencoder({ nvis: 2, nhid: 2, actEnc: "sigmoid", actDec: "sigmoid" });
    expect(() => new L1ActivationCost(0.1, 0, 1).expr(ae, { X: Tensor.zeros([1, 2]), size: 1 }, ctx())).toThrow(/hidden units of an RBM/);
    expect(() => new L1ActivationCost(2, 0, 1)).toThrow(/\[0, 1\]/);
  });
});

describe("the RBM training costs in YAML", () => {
  it("SumOfCosts of CDk (sample_visibles: False), WeightDecay and L1_ActivationCost builds with pylearn2's names", () => {
    const yaml = `!obj:pylearn2.costs.cost.SumOfCosts { costs: [
      !obj:pylearn2.costs.ebm_estimation.CDk { nsteps: 1, sample_visibles: False },
      !obj:pylearn2.costs.mlp.WeightDecay { coeffs: 0.0001 },
      [0.5, !obj:pylearn2.models.rbm.L1_ActivationCost { target: 0.1, eps: 0.02, coeff: 2 }]
    ] }`;
    const cost = loadConfigText(yaml, "/tmp/test.yaml", { env: {}, dataPath: "/tmp" }).build() as SumOfCosts;
    expect(cost.costs.map((c) => c.className)).toEqual(["CDk", "WeightDecay", "L1_ActivationCost"]);
    expect(cost.coeffs).toEqual([1, 1, 0.5]);
    expect((cost.costs[0] as CDk).sampleVisibles).toBe(false);
    expect((cost.costs[1] as WeightDecay).coeffs).toBe(0.0001);
    expect(cost.costs[2]).toMatchObject({ target: 0.1, eps: 0.02, coeff: 2 });
    const plain = loadConfigText("!obj:pylearn2.costs.ebm_estimation.CDk { nsteps: 2 }", "/tmp/test.yaml", { env: {}, dataPath: "/tmp" }).build() as CDk;
    expect(plain.sampleVisibles).toBe(true); // pylearn2's behaviour by default
    // The sum trains an RBM: its gradients are CD's plus the penalties' autodiff gradients.
    const m = new RBM({ nvis: 6, nhid: 3 });
    const { grads } = cost.gradients!(m, { X: Tensor.full([4, 6], 0.5), size: 4 }, ctx());
    expect(grads.map((g) => g.shape)).toEqual([[6, 3], [6], [3]]);
  });
});
