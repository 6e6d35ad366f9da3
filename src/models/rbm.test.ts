import { describe, expect, it } from "vitest";
import { Tensor, checkGradients, float64Backend } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { RBM, visBiasFromMarginals, weightsFromRandomExamples } from "./rbm.js";
import { onFloat64 } from "../../test/helpers/gradcheck.js";

const sigm = (x: number) => 1 / (1 + Math.exp(-x));

describe("binary RBM", () => {
  const nv = 4, nh = 3;
  const rng = new Rng(2);
  const W = Array.from({ length: nv * nh }, () => rng.normal());
  const b = Array.from({ length: nv }, () => rng.normal());
  const c = Array.from({ length: nh }, () => rng.normal());
  const model = () => {
    const m = onFloat64(() => new RBM({ nvis: nv, nhid: nh }));
    m.W.assign(Tensor.from(W, [nv, nh], float64Backend));
    m.biasVis.assign(Tensor.from(b, [nv], float64Backend));
    m.biasHid.assign(Tensor.from(c, [nh], float64Backend));
    return m;
  };
  const allStates = (n: number) => Array.from({ length: 1 << n }, (_, s) => Array.from({ length: n }, (_, i) => (s >> i) & 1));

  it("free energy is -log sum_h exp(-E(v,h)), and E matches its definition", () => {
    const m = model();
    const vs = allStates(nv);
    const Vt = Tensor.from(vs.flat(), [vs.length, nv], float64Backend);
    const F = m.freeEnergy(Vt).toArray();
    vs.forEach((v, n) => {
      let z = 0;
      for (const h of allStates(nh)) {
        let e = 0;
        for (let i = 0; i < nv; i++) e -= v[i] * b[i];
        for (let j = 0; j < nh; j++) e -= h[j] * c[j];
        for (let i = 0; i < nv; i++) for (let j = 0; j < nh; j++) e -= v[i] * W[i * nh + j] * h[j];
        const E = m.energy(Tensor.from(v, [1, nv], float64Backend), Tensor.from(h, [1, nh], float64Backend)).item();
        expect(E).toBeCloseTo(e, 12);
        z += Math.exp(-e);
      }
      expect(F[n]).toBeCloseTo(-Math.log(z), 12);
    });
  });

  it("conditionals are the logistic of the affine inputs", () => {
    const m = model();
    const v = [1, 0, 1, 1];
    const H = m.meanHGivenV(Tensor.from(v, [1, nv], float64Backend)).toArray();
    for (let j = 0; j < nh; j++) expect(H[j]).toBeCloseTo(sigm(c[j] + v.reduce((a, vi, i) => a + vi * W[i * nh + j], 0)), 12);
    const h = [0, 1, 1];
    const Vm = m.meanVGivenH(Tensor.from(h, [1, nh], float64Backend)).toArray();
    for (let i = 0; i < nv; i++) expect(Vm[i]).toBeCloseTo(sigm(b[i] + W[i * nh + 1] + W[i * nh + 2]), 12);
  });

  it("free energy gradients agree with finite differences", () => {
    const v = Tensor.from(allStates(nv).flat(), [16, nv], float64Backend);
    const r = checkGradients((Wt, bt, ct) => {
      const m = model();
      Object.assign(m, { W: Wt, biasVis: bt, biasHid: ct });
      return m.freeEnergy(v);
    }, [{ shape: [nv, nh] }, { shape: [nv] }, { shape: [nh] }]);
    expect(r.maxError).toBeLessThan(1e-6);
  });

  it("a Gibbs step samples h and v with the right marginals", () => {
    const m = model();
    const n = 20000;
    const v0 = Tensor.from(new Float64Array(n * nv).fill(1), [n, nv], float64Backend);
    const step = m.gibbsStepForV(v0, new Rng(4));
    const hs = step.hSample.toArray();
    const hm = step.hMean.toArray();
    for (let j = 0; j < nh; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += hs[r * nh + j];
      expect(s / n).toBeCloseTo(hm[j], 1);
      expect(Math.abs(s / n - hm[j])).toBeLessThan(4 * Math.sqrt(hm[j] * (1 - hm[j]) / n) + 1e-9);
    }
    // v is Bernoulli(E[v|h_sample]) row by row: averaged, it matches the averaged means.
    const vs = step.vSample.toArray(), vm = step.vMean.toArray();
    for (let i = 0; i < nv; i++) {
      let s = 0, p = 0;
      for (let r = 0; r < n; r++) { s += vs[r * nv + i]; p += vm[r * nv + i]; }
      expect(Math.abs(s - p) / n).toBeLessThan(0.015);
    }
    expect(new Set(Array.from(vs))).toEqual(new Set([0, 1]));
  });

  it("initialisation: U(-irange, irange), seeded (pylearn2 default seed 1001), biases broadcast", () => {
    const a = new RBM({ nvis: 30, nhid: 20 });
    const b2 = new RBM({ nvis: 30, nhid: 20, seed: 1001 });
    const d = new RBM({ nvis: 30, nhid: 20, seed: 3 });
    expect(Array.from(a.W.toArray())).toEqual(Array.from(b2.W.toArray()));
    expect(Array.from(a.W.toArray())).not.toEqual(Array.from(d.W.toArray()));
    expect(Math.max(...a.W.toArray().map(Math.abs))).toBeLessThanOrEqual(0.5);
    const e = new RBM({ nvis: 3, nhid: 2, initBiasVis: [1, 2, 3], initBiasHid: -1 });
    expect(Array.from(e.biasVis.toArray())).toEqual([1, 2, 3]);
    expect(Array.from(e.biasHid.toArray())).toEqual([-1, -1]);
    expect(() => new RBM({ nvis: 3, nhid: 2, initBiasVis: [1, 2] })).toThrow(/init_bias_vis has 2 values/);
    expect(a.params().map((p) => p.name)).toEqual(["W", "bias_vis", "bias_hid"]);
  });

  it("init_bias_vis_marginals and random_patches_src follow pylearn2", () => {
    const X = Float32Array.from([0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1]); // 4 examples x 3
    const bv = visBiasFromMarginals(X, 4, 3);
    const logit = (p: number) => Math.log(p / (1 - p));
    expect(bv[0]).toBeCloseTo(0, 6); // column mean 0.5
    expect(bv[1]).toBeCloseTo(logit(0.01 + 0.98 * 0.75), 5);
    expect(bv[2]).toBeCloseTo(logit(0.01 + 0.98 * 0.75), 5);
    expect(visBiasFromMarginals(Float32Array.from([1, 1]), 2, 1)[0]).toBeCloseTo(logit(0.99), 5); // finite at p = 1
    expect(() => visBiasFromMarginals(Float32Array.from([2]), 1, 1)).toThrow(/\[0, 1\]/);
    const W = weightsFromRandomExamples(X, 4, 3, 2, 0.5, new Rng(1));
    // Column j is 0.5 * example (start + j), for consecutive examples.
    const cols = [0, 1].map((j) => [0, 1, 2].map((i) => W[i * 2 + j] / 0.5));
    const rows = [0, 1, 2, 3].map((r) => Array.from(X.subarray(r * 3, r * 3 + 3)));
    const start = rows.findIndex((r) => r.every((x, i) => x === cols[0][i]));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(cols[1]).toEqual(rows[start + 1]);
  });

  it("reports pylearn2's RBM channels and encodes to hidden means", () => {
    const m = new RBM({ nvis: 4, nhid: 3 });
    const X = Tensor.from([1, 0, 1, 0, 0, 1, 1, 1], [2, 4]);
    const ch = m.monitorChannels({ X, size: 2 }, { rng: new Rng(0), training: false });
    expect(Object.keys(ch)).toHaveLength(10);
    expect((ch.bias_hid_mean as Tensor).item()).toBe(0);
    const h = m.encode(X);
    expect(h.shape).toEqual([2, 3]);
    const hm = h.toArray();
    expect((ch.h_max as Tensor).item()).toBeCloseTo(Math.max(...[0, 1, 2].map((j) => (hm[j] + hm[3 + j]) / 2)), 6);
  });
});
