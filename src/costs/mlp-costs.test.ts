import { describe, expect, it } from "vitest";
import { Tensor, gradients, noGrad } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { expectParamGradients, onFloat64, uniformValues } from "../../test/helpers/gradcheck.js";
import { MLP } from "../models/mlp.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { Linear, RectifiedLinear } from "../nn/linear.js";
import { LpPooling } from "../nn/lp-pooling.js";
import { Softmax } from "../nn/softmax.js";
import { SVM, oneVsRestHinge } from "../nn/svm.js";
import type { Cost } from "./cost.js";
import { Default } from "./mlp-default.js";
import { MethodCost } from "./method-cost.js";
import { L1WeightDecay, WeightDecay } from "./weight-decay.js";
import { Dropout } from "./dropout.js";
import { SumOfCosts } from "./sum-of-costs.js";
import { Hinge } from "./hinge.js";

const monitor: StepContext = { rng: new Rng(1), training: false };

function net(out: "softmax" | "svm" = "softmax"): MLP {
  return new MLP({
    nvis: 5,
    seed: 11,
    layers: [
      new RectifiedLinear({ layerName: "h0", dim: 4, irange: 0.6, initBias: 0.1 }),
      new Linear({ layerName: "h1", dim: 3, irange: 0.6 }),
      out === "softmax" ? new Softmax({ layerName: "y", nClasses: 3, irange: 0.5 }) : new SVM({ layerName: "y", nClasses: 3, irange: 0.5 }),
    ],
  });
}

function batchOf(n: number, seed = 3): Batch {
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % 3);
  return { X: Tensor.from(uniformValues(n * 5, seed, -1, 1), [n, 5]), labels, y: Tensor.oneHot(labels, 3), size: n };
}

const sumSq = (t: Tensor) => Array.from(t.toArray()).reduce((a, v) => a + v * v, 0);
const sumAbs = (t: Tensor) => Array.from(t.toArray()).reduce((a, v) => a + Math.abs(v), 0);

describe("Default and MethodCost", () => {
  it("both are the output layer's negative log-likelihood", () => {
    onFloat64(() => {
      const m = net();
      const b = batchOf(6);
      const p = m.fprop(b.X).toArray();
      let nll = 0;
      for (let i = 0; i < 6; i++) nll -= Math.log(p[i * 3 + b.labels![i]]);
      expect(new Default().expr(m, b, monitor).item()).toBeCloseTo(nll / 6, 12);
      expect(new MethodCost("cost_from_X").expr(m, b, monitor).item()).toBeCloseTo(nll / 6, 12);
    });
  });

  it("say clearly when the model has no cost of its own", () => {
    const fake = { className: "RBM", inputDim: 3, params: () => [] } as Model;
    expect(() => new Default().expr(fake, batchOf(2), monitor)).toThrow(/RBM\) has no cost of its own/);
    expect(() => new MethodCost("cost_from_X").expr(fake, batchOf(2), monitor)).toThrow(/no method cost_from_X/);
  });
});

describe("WeightDecay and L1WeightDecay", () => {
  it("sum coeff * sum(W^2) (or |W|) over the layers, biases excluded, in all three coefficient forms", () => {
    onFloat64(() => {
      const m = net();
      const [w0, w1, w2] = m.layers.map((l) => l.weights()[0]);
      const b = batchOf(2);
      const want = 0.1 * sumSq(w0) + 0.2 * sumSq(w1) + 0.3 * sumSq(w2);
      expect(new WeightDecay([0.1, 0.2, 0.3]).expr(m, b, monitor).item()).toBeCloseTo(want, 12);
      expect(new WeightDecay({ h0: 0.1, h1: 0.2, y: 0.3 }).expr(m, b, monitor).item()).toBeCloseTo(want, 12);
      expect(new WeightDecay({ h1: 0.2 }).expr(m, b, monitor).item()).toBeCloseTo(0.2 * sumSq(w1), 12);
      expect(new WeightDecay(0.5).expr(m, b, monitor).item()).toBeCloseTo(0.5 * (sumSq(w0) + sumSq(w1) + sumSq(w2)), 12);
      expect(new L1WeightDecay([1, 0, 2]).expr(m, b, monitor).item()).toBeCloseTo(sumAbs(w0) + 2 * sumAbs(w2), 12);
      expect(new WeightDecay([0, 0, 0]).expr(m, b, monitor).item()).toBe(0);
      expectParamGradients(m, { shape: [1, 1] }, () => new WeightDecay([0.1, 0.2, 0.3]).expr(m, b, monitor));
    });
  });

  it("reject a coefficient list of the wrong length and unknown layer names, with a suggestion", () => {
    const m = net();
    expect(() => new WeightDecay([0.1, 0.2]).expr(m, batchOf(2), monitor)).toThrow(/2 entries but the MLP has 3 layers/);
    expect(() => new WeightDecay({ h00: 0.1 }).expr(m, batchOf(2), monitor)).toThrow(/Did you mean `h0`/);
  });

  it("skip weightless layers for a single coefficient, refuse an explicit one", () => {
    const m = new MLP({ nvis: 4, layers: [new Linear({ layerName: "h0", dim: 4, irange: 0.5 }), new LpPooling({ layerName: "p", poolSize: 2 }), new Softmax({ layerName: "y", nClasses: 2, irange: 0.1 })] });
    const b: Batch = { X: Tensor.zeros([1, 4]), size: 1 };
    expect(new WeightDecay(1).expr(m, b, monitor).item()).toBeCloseTo(sumSq(m.layers[0].weights()[0]) + sumSq(m.layers[2].weights()[0]), 4);
    expect(() => new WeightDecay({ p: 1 }).expr(m, b, monitor)).toThrow(ConfigError);
  });
});

describe("Dropout", () => {
  it("with every include probability at 1 it is the plain cost", () => {
    const m = net();
    const b = batchOf(5);
    const d = new Dropout({ defaultInputIncludeProb: 1 });
    expect(d.expr(m, b, { rng: new Rng(1), training: true }).item()).toBeCloseTo(new Default().expr(m, b, monitor).item(), 6);
  });

  it("masks each layer's input with keep probability p and scales by the layer's scale (pylearn2's dropout_fprop)", () => {
    onFloat64(() => {
      const m = net();
      const b = batchOf(4);
      const d = new Dropout({ inputIncludeProbs: { h1: 0.7 }, inputScales: { y: 3 } });
      const got = d.expr(m, b, { rng: new Rng(9), training: true }).item();
      // Replay the same draws by hand: masks for h0's, h1's and y's inputs, in that order.
      const rng = new Rng(9);
      const draw = (n: number, p: number) => Float64Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0));
      const mask = (s: Tensor, p: number, scale: number) => s.mul(Tensor.from(draw(s.size, p), s.shape)).mul(scale);
      let s = mask(b.X, 0.5, 2);
      s = m.layers[0].fprop(s);
      s = mask(s, 0.7, 2);
      s = m.layers[1].fprop(s);
      s = mask(s, 0.5, 3);
      const want = (m.layers[2] as Softmax).cost(s, { labels: b.labels });
      expect(got).toBeCloseTo(want.item(), 12);
    });
  });

  it("per_example false shares one mask across the batch", () => {
    const m = new MLP({ nvis: 6, layers: [new Linear({ layerName: "h", dim: 2, irange: 0.5 })] });
    const d = new Dropout({ perExample: false });
    const X = Tensor.ones([5, 6]);
    const rng = new Rng(4);
    const masked = d.applyDropout(X, m.layers[0], rng).toArray();
    for (let i = 1; i < 5; i++) expect(Array.from(masked.subarray(i * 6, i * 6 + 6))).toEqual(Array.from(masked.subarray(0, 6)));
    expect(new Set(masked)).toEqual(new Set([0, 2]));
  });

  it("keeps about p of the inputs and preserves the mean input", () => {
    const m = new MLP({ nvis: 1000, layers: [new Linear({ layerName: "h", dim: 1, irange: 0.5 })] });
    const d = new Dropout({ defaultInputIncludeProb: 0.8, defaultInputScale: 1.25 });
    const out = d.applyDropout(Tensor.ones([20, 1000]), m.layers[0], new Rng(2)).toArray();
    const mean = Array.from(out).reduce((a, v) => a + v, 0) / out.length;
    expect(mean).toBeGreaterThan(0.98);
    expect(mean).toBeLessThan(1.02);
  });

  it("is the deterministic cost on monitoring batches", () => {
    const m = net();
    const b = batchOf(5);
    expect(new Dropout().expr(m, b, monitor).item()).toBeCloseTo(new Default().expr(m, b, monitor).item(), 6);
  });

  it("gradients under a fixed mask match finite differences", () => {
    onFloat64(() => {
      const m = net();
      const b = batchOf(4);
      const d = new Dropout({ defaultInputIncludeProb: 0.6, defaultInputScale: 1 / 0.6 });
      expectParamGradients(m, { shape: [4, 5] }, (x) => d.expr(m, { ...b, X: x }, { rng: new Rng(5), training: true }), { jitter: 0.1 });
    });
  });

  it("names unknown layers with a suggestion", () => {
    expect(() => new Dropout({ inputIncludeProbs: { h2: 0.5 } }).expr(net(), batchOf(2), { rng: new Rng(1), training: true })).toThrow(/input_include_probs names a layer h2/);
  });
});

describe("SumOfCosts", () => {
  it("adds coefficient-weighted terms and reports each as term_<i>", () => {
    onFloat64(() => {
      const m = net();
      const b = batchOf(5);
      const sum = new SumOfCosts([new MethodCost("cost_from_X"), [0.5, new WeightDecay([1, 1, 1])]]);
      const nll = new Default().expr(m, b, monitor).item();
      const wd = new WeightDecay([1, 1, 1]).expr(m, b, monitor).item();
      expect(sum.expr(m, b, monitor).item()).toBeCloseTo(nll + 0.5 * wd, 12);
      expect(sum.supervised).toBe(true);
      expect(sum.gradients).toBeUndefined();
      const ch = sum.monitorChannels(m, b, monitor);
      expect((ch.term_0 as Tensor).item()).toBeCloseTo(nll, 12);
      expect((ch.term_1_weight_decay as Tensor).item()).toBeCloseTo(wd, 12);
    });
  });

  it("with a term that supplies gradients, sums its gradients and the others' autodiff gradients", () => {
    const m = net();
    const b = batchOf(5);
    const params = m.params();
    // A stand-in for CD: its gradients are fixed tensors, not the derivative of its expr.
    const fixed = params.map((p) => Tensor.full(p.shape, 0.25));
    const direct: Cost = {
      className: "Direct",
      supervised: false,
      expr: () => Tensor.scalar(7),
      gradients: () => ({ grads: fixed, objective: Tensor.scalar(7) }),
    };
    const sum = new SumOfCosts([[2, direct], [3, new WeightDecay([1, 1, 1])]]);
    const r = sum.gradients!(m, b, monitor);
    const wd = gradients(new WeightDecay([1, 1, 1]).expr(m, b, monitor), params);
    r.grads.forEach((g, i) => {
      const want = wd[i].toArray();
      g.toArray().forEach((v, k) => expect(v).toBeCloseTo(0.5 + 3 * want[k], 5));
    });
    const objective = noGrad(() => 14 + 3 * new WeightDecay([1, 1, 1]).expr(m, b, monitor).item());
    expect(r.objective!.item()).toBeCloseTo(objective, 4);
  });
});

describe("Hinge", () => {
  it("is the one-vs-rest hinge of the MLP's SVM scores; gradients match", () => {
    onFloat64(() => {
      const m = net("svm");
      const b = batchOf(6);
      const want = oneVsRestHinge(m.fprop(b.X), b.y!, 1.5, true).item();
      expect(new Hinge(1.5, true).expr(m, b, monitor).item()).toBeCloseTo(want, 12);
      // The SVM layer's own (Default) cost is the plain hinge with margin 1.
      expect(new Default().expr(m, b, monitor).item()).toBeCloseTo(oneVsRestHinge(m.fprop(b.X), b.y!).item(), 12);
      expectParamGradients(m, { shape: [6, 5] }, (x) => new Hinge(1, true).expr(m, { ...b, X: x }, monitor), { jitter: 0.05 });
      const ch = m.monitorChannels(b, monitor);
      expect(ch).toHaveProperty("y_misclass");
      expect(ch).toHaveProperty("y_hinge");
    });
  });

  it("refuses a softmax output", () => {
    expect(() => new Hinge().expr(net(), batchOf(2), monitor)).toThrow(/needs linear scores/);
  });
});
