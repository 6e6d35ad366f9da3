import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Tensor, checkGradients, float64Backend, gradients, withDefaultBackend } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { GaussianBinaryRBM } from "../models/grbm.js";
import { GRBM_TYPE_1 } from "../models/grbm-energy.js";
import { BinomialCorruptor, GaussianCorruptor } from "../models/corruptors.js";
import { Autoencoder } from "../models/autoencoder.js";
import type { Model } from "../models/model.js";
import { SMD } from "./smd.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const V = JSON.parse(readFileSync(path.resolve(root, "../shared/vectors/grbm_smd_small.json"), "utf8"));
const flat = (m: number[][]) => m.flat();

function referenceModel(): GaussianBinaryRBM {
  const m = new GaussianBinaryRBM({
    nvis: V.nvis, nhid: V.nhid, learnSigma: true, sigmaLrScale: V.sigma_lr_scale, initSigma: V.sigma_driver * V.sigma_lr_scale,
  });
  m.W.assign(Tensor.from(flat(V.W), [V.nvis, V.nhid]));
  m.biasVis.assign(Tensor.from(V.bias_vis, [V.nvis]));
  m.biasHid.assign(Tensor.from(V.bias_hid, [V.nhid]));
  m.sigmaDriver.assign(Tensor.from([V.sigma_driver], []));
  return m;
}

function expectRel(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string) {
  const scale = Math.max(...Array.from(want, Math.abs));
  for (let i = 0; i < want.length; i++) {
    // Entries far below the largest are compared on the largest's scale (float32 cancellation).
    const tol = rel * Math.max(Math.abs(want[i]), 1e-2 * scale);
    expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol);
  }
}

describe("SMD (denoising score matching)", () => {
  it("objective and every gradient equal the float64 reference vectors", () => {
    const m = referenceModel();
    const X = Tensor.from(flat(V.x), [3, V.nvis]);
    const noise = Tensor.from(flat(V.noise), [3, V.nvis]);
    const Xt = X.add(noise.mul(V.stdev));
    const cost = new SMD(new GaussianCorruptor(V.stdev));
    const J = cost.objective(m, X, Xt);
    expect(Math.abs(J.item() - V.objective) / V.objective).toBeLessThan(1e-5);
    const [gW, gb, gc, gd] = gradients(J, m.params());
    expectRel(gW.toArray(), flat(V.grad_W), 1e-4, "grad_W");
    expectRel(gb.toArray(), V.grad_bias_vis, 1e-5, "grad_bias_vis");
    expectRel(gc.toArray(), V.grad_bias_hid, 1e-4, "grad_bias_hid");
    expectRel(gd.toArray(), [V.grad_sigma_driver], 1e-4, "grad_sigma_driver");
  });

  it("the training path (closed-form gradients) equals the vectors and autodiff", () => {
    const m = referenceModel();
    const X = Tensor.from(flat(V.x), [3, V.nvis]);
    const Xt = X.add(Tensor.from(flat(V.noise), [3, V.nvis]).mul(V.stdev));
    const { grads, objective } = new SMD(new GaussianCorruptor(V.stdev)).gradientsFor(m, X, Xt);
    expect(Math.abs(objective.item() - V.objective) / V.objective).toBeLessThan(1e-5);
    expectRel(grads[0].toArray(), flat(V.grad_W), 1e-4, "grad_W");
    expectRel(grads[1].toArray(), V.grad_bias_vis, 1e-5, "grad_bias_vis");
    expectRel(grads[2].toArray(), V.grad_bias_hid, 1e-4, "grad_bias_hid");
    expectRel(grads[3].toArray(), [V.grad_sigma_driver], 1e-4, "grad_sigma_driver");
    // In float64 on random problems, with sigma learned or fixed, it is autodiff to rounding.
    withDefaultBackend(float64Backend, () => {
      for (const learnSigma of [true, false]) {
        const g = new GaussianBinaryRBM({ nvis: 7, nhid: 5, irange: 1, initSigma: 0.7, sigmaLrScale: 0.01, learnSigma, seed: 3 });
        g.biasHid.assign(Tensor.from(new Rng(4).fillNormal(new Float64Array(5)), [5]));
        g.biasVis.assign(Tensor.from(new Rng(5).fillNormal(new Float64Array(7)), [7]));
        const Xr = Tensor.from(new Rng(6).fillNormal(new Float64Array(4 * 7)), [4, 7]);
        const Xn = Xr.add(Tensor.from(new Rng(7).fillNormal(new Float64Array(4 * 7), 0, 0.3), [4, 7]));
        const cost = new SMD(new GaussianCorruptor(0.3));
        const fast = cost.gradientsFor(g, Xr, Xn);
        const J = cost.objective(g, Xr, Xn);
        const slow = gradients(J, g.params());
        expect(fast.grads).toHaveLength(learnSigma ? 4 : 3);
        expect(fast.objective.item()).toBeCloseTo(J.item(), 12);
        slow.forEach((t, k) => {
          const a = fast.grads[k].toArray(), b = t.toArray();
          for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i], 11);
        });
      }
    });
  });

  it("falls back to autodiff for a score model without a closed form", () => {
    const m = referenceModel();
    const X = Tensor.from(flat(V.x), [3, V.nvis]);
    const Xt = X.add(Tensor.from(flat(V.noise), [3, V.nvis]).mul(V.stdev));
    const plain = { className: "Plain", inputDim: V.nvis, params: () => m.params(), score: (v: Tensor) => m.score(v) } as Model;
    const { grads, objective } = new SMD(new GaussianCorruptor(V.stdev)).gradientsFor(plain, X, Xt);
    expect(Math.abs(objective.item() - V.objective) / V.objective).toBeLessThan(1e-5);
    expectRel(grads[3].toArray(), [V.grad_sigma_driver], 1e-4, "grad_sigma_driver");
  });

  it("is the mean over batch and units (not a sum, not half): a hand computation", () => {
    // nvis 2, nhid 1, W = 0 so score(v) = -(v - b)/s^2 exactly.
    const m = new GaussianBinaryRBM({ nvis: 2, nhid: 1, initSigma: 2, irange: 0 });
    m.biasVis.assign(Tensor.from([1, -1], [2]));
    const X = Tensor.from([0, 0, 1, 1], [2, 2]);
    const Xt = Tensor.from([0.5, 0, 1, 3], [2, 2]);
    const stdev = 0.5;
    const J = new SMD(new GaussianCorruptor(stdev)).objective(m, X, Xt).item();
    const s2 = 4;
    const xs = [0, 0, 1, 1], xts = [0.5, 0, 1, 3], bs = [1, -1, 1, -1];
    let want = 0;
    for (let i = 0; i < 4; i++) want += (-(xts[i] - bs[i]) / s2 - (xs[i] - xts[i]) / (stdev * stdev)) ** 2;
    expect(J).toBeCloseTo(want / 4, 6);
  });

  it("gradients agree with finite differences (float64)", () => {
    const nv = 4, nh = 3, stdev = 0.3;
    const rng = new Rng(11);
    const Xv = rng.fillNormal(new Float64Array(3 * nv));
    const Nv = rng.fillNormal(new Float64Array(3 * nv));
    const cost = new SMD(new GaussianCorruptor(stdev));
    const r = checkGradients((W, b, c, d) => {
      const X = Tensor.from(Xv, [3, nv], W.backend);
      const Xt = X.add(Tensor.from(Nv, [3, nv], W.backend).mul(stdev));
      const p = { W, biasVis: b, biasHid: c, sigma: d.mul(0.01) };
      const model = { className: "fake", inputDim: nv, params: () => [W, b, c, d], score: (v: Tensor) => GRBM_TYPE_1.score(p, v) } as Model;
      return cost.objective(model, X, Xt);
    }, [{ shape: [nv, nh] }, { shape: [nv] }, { shape: [nh] }, { shape: [], values: [90] }]);
    expect(r.maxError).toBeLessThan(1e-6);
  });

  it("draws its noise from the corruptor's generator and resumes it exactly", () => {
    const m = referenceModel();
    const X = Tensor.from(flat(V.x), [3, V.nvis]);
    const ctx = { rng: new Rng(0), training: true };
    const a = new SMD(new GaussianCorruptor(0.4, 9));
    a.expr(m, { X, size: 3 }, ctx);
    const saved = a.extraState();
    const next = a.expr(m, { X, size: 3 }, ctx).item();
    const b = new SMD(new GaussianCorruptor(0.4, 9));
    b.loadExtraState(saved);
    expect(b.expr(m, { X, size: 3 }, ctx).item()).toBe(next);
  });

  it("refuses a corruptor without a density and a model without a score", () => {
    expect(() => new SMD(new BinomialCorruptor(0.5))).toThrow(ConfigError);
    const ae = new Autoencoder({ nvis: 2, nhid: 2, actEnc: "sigmoid", actDec: null });
    const X = Tensor.zeros([1, 2]);
    expect(() => new SMD(new GaussianCorruptor(1)).expr(ae, { X, size: 1 }, { rng: new Rng(0), training: true })).toThrow(/score function/);
  });
});
