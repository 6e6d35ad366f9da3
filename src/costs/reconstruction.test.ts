import { describe, expect, it } from "vitest";
import { Tensor, checkGradients, float64Backend, gradients, noGrad } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { Autoencoder, type Activation } from "../models/autoencoder.js";
import { DenoisingAutoencoder } from "../models/dae.js";
import { BinomialCorruptor } from "../models/corruptors.js";
import { RBM } from "../models/rbm.js";
import { loadDigits } from "../data/digits.js";
import { MeanBinaryCrossEntropy, MeanSquaredReconstructionError } from "./reconstruction.js";
import { onFloat64 } from "../../test/helpers/gradcheck.js";

const ctx = { rng: new Rng(0), training: true };
const mse = new MeanSquaredReconstructionError();
const bce = new MeanBinaryCrossEntropy();

describe("reconstruction costs", () => {
  const X = [0, 1, 1, 0.5, 0.25, 0, 1, 1];
  const model = (actDec: Activation, tied = false) =>
    onFloat64(() => new Autoencoder({ nvis: 4, nhid: 3, actEnc: "sigmoid", actDec, tiedWeights: tied, irange: 1, seed: 2 }));

  it("MSE is the mean over the batch of the summed squared error", () => {
    const m = model(null);
    const Xt = Tensor.from(X, [2, 4], float64Backend);
    const r = m.reconstruct(Xt, ctx).toArray();
    let s = 0;
    for (let i = 0; i < 8; i++) s += (X[i] - r[i]) ** 2;
    expect(mse.expr(m, { X: Xt, size: 2 }, ctx).item()).toBeCloseTo(s / 2, 12);
  });

  it("BCE is -(x log r + (1-x) log(1-r)) summed over units, averaged over the batch", () => {
    for (const dec of ["sigmoid", "tanh"] as const) {
      const m = model(dec);
      if (dec === "tanh") m.visbias.assign(Tensor.full([4], 3, float64Backend)); // keep r in (0, 1)
      const Xt = Tensor.from(X, [2, 4], float64Backend);
      const r = m.reconstruct(Xt, ctx).toArray();
      let s = 0;
      for (let i = 0; i < 8; i++) s -= X[i] * Math.log(r[i]) + (1 - X[i]) * Math.log(1 - r[i]);
      expect(bce.expr(m, { X: Xt, size: 2 }, ctx).item(), dec).toBeCloseTo(s / 2, 10);
    }
    // With a saturated sigmoid decoder the logit form stays finite where log(r) would be -inf.
    const m = model("sigmoid");
    m.visbias.assign(Tensor.from([-800, 800, 0, 0], [4], float64Backend));
    const v = bce.expr(m, { X: Tensor.from([1, 0, 0, 0], [1, 4], float64Backend), size: 1 }, ctx).item();
    expect(v).toBeGreaterThan(1500);
    expect(Number.isFinite(v)).toBe(true);
  });

  for (const [name, cost] of [["MSE", mse], ["BCE", bce]] as const) {
    for (const tied of [false, true]) {
      it(`${name} gradients agree with finite differences (${tied ? "tied" : "untied"})`, () => {
        const Xt = Tensor.from(X, [2, 4], float64Backend);
        const shapes = [{ shape: [4] }, { shape: [3] }, { shape: [4, 3] }, ...(tied ? [] : [{ shape: [3, 4] }])];
        const r = checkGradients((vb, hb, W, Wp) => {
          const m = model("sigmoid", tied);
          Object.assign(m, { visbias: vb, hidbias: hb, weights: W, wPrime: Wp ?? null });
          return cost.expr(m, { X: Xt, size: 2 }, ctx);
        }, shapes);
        expect(r.maxError).toBeLessThan(1e-6);
      });
    }
  }

  it("needs a model that reconstructs", () => {
    const rbm = new RBM({ nvis: 4, nhid: 2 });
    expect(() => mse.expr(rbm, { X: Tensor.zeros([1, 4]), size: 1 }, ctx)).toThrow(ConfigError);
  });

  it("a denoising autoencoder trained with MSE on real digits reconstructs them better", () => {
    const data = loadDigits({ which_set: "train", stop: 500 });
    const m = new DenoisingAutoencoder(new BinomialCorruptor(0.2), { nvis: 64, nhid: 32, actEnc: "tanh", actDec: null, irange: 0.05 });
    const all = Tensor.from(data.X, [500, 64]);
    const evalCtx = { rng: new Rng(0), training: false };
    const before = mse.expr(m, { X: all, size: 500 }, evalCtx).item();
    for (let epoch = 0; epoch < 10; epoch++) {
      for (let s = 0; s < 500; s += 20) {
        const X = Tensor.from(data.X.subarray(s * 64, (s + 20) * 64), [20, 64]);
        const J = mse.expr(m, { X, size: 20 }, ctx);
        const gs = gradients(J, m.params());
        noGrad(() => m.params().forEach((p, k) => p.axpyInPlace(gs[k], -0.01)));
      }
    }
    const after = mse.expr(m, { X: all, size: 500 }, evalCtx).item();
    expect(after).toBeLessThan(0.5 * before);
  });
});
