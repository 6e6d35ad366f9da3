import { describe, expect, it } from "vitest";
import { Tensor, float64Backend } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { expectParamGradients, onFloat64, uniformValues } from "../../test/helpers/gradcheck.js";
import { Linear, RectifiedLinear, Sigmoid, Tanh, type LinearOptions } from "./linear.js";
import { Softmax } from "./softmax.js";
import { SVM, oneVsRestHinge } from "./svm.js";
import { VectorSpace } from "./space.js";
import { norms } from "./constraints.js";
import { initWeights } from "./init.js";

const build = <L extends { setInputSpace(s: VectorSpace, r: Rng): void }>(layer: L, nin: number, seed = 3): L => {
  layer.setInputSpace(new VectorSpace(nin), new Rng(seed));
  return layer;
};
const lin = (extra: Partial<LinearOptions> = {}): LinearOptions => ({ dim: 4, layerName: "h0", irange: 0.5, initBias: 0.1, ...extra });

/** x W + b in float64, straight from the definition. */
function affine(x: Float64Array, n: number, W: ArrayLike<number>, b: ArrayLike<number>, nin: number, nout: number): Float64Array {
  const z = new Float64Array(n * nout);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < nout; j++) {
      let s = b[j];
      for (let k = 0; k < nin; k++) s += x[i * nin + k] * W[k * nout + j];
      z[i * nout + j] = s;
    }
  return z;
}

describe("Linear family", () => {
  const acts: Array<[string, () => Linear, (z: number) => number]> = [
    ["Linear", () => new Linear(lin()), (z) => z],
    ["Sigmoid", () => new Sigmoid(lin()), (z) => 1 / (1 + Math.exp(-z))],
    ["Tanh", () => new Tanh(lin()), Math.tanh],
    ["RectifiedLinear", () => new RectifiedLinear(lin()), (z) => Math.max(z, 0)],
    ["leaky RectifiedLinear", () => new RectifiedLinear({ ...lin(), leftSlope: 0.2 }), (z) => (z > 0 ? z : 0.2 * z)],
  ];
  for (const [name, make, f] of acts) {
    it(`${name}: values equal f(xW + b), gradients match finite differences`, () => {
      onFloat64(() => {
        const layer = build(make(), 5);
        const x = uniformValues(3 * 5, 11);
        const out = layer.fprop(Tensor.from(x, [3, 5], float64Backend)).toArray();
        const z = affine(x, 3, layer.W.toArray(), layer.params()[1].toArray(), 5, 4);
        z.forEach((v, i) => expect(out[i]).toBeCloseTo(f(v), 12));
        expectParamGradients(layer, { shape: [3, 5] }, (xt) => layer.fprop(xt));
      });
    });
  }

  it("names its parameters <layer_name>_W and <layer_name>_b, W as (input x units)", () => {
    const l = build(new Linear(lin({ layerName: "h7" })), 6);
    expect(l.params().map((p) => [p.name, [...p.shape]])).toEqual([["h7_W", [6, 4]], ["h7_b", [4]]]);
    expect(l.params()[1].toArray()[0]).toBeCloseTo(0.1, 6);
  });

  it("Linear's regression cost is the mean over the batch of the summed squared (or absolute) error", () => {
    onFloat64(() => {
      for (const useAbsLoss of [false, true]) {
        const l = build(new Linear(lin({ useAbsLoss })), 5);
        const x = uniformValues(15, 2);
        const y = uniformValues(12, 4);
        const pred = l.fprop(Tensor.from(x, [3, 5])).toArray();
        let want = 0;
        for (let i = 0; i < 12; i++) want += useAbsLoss ? Math.abs(y[i] - pred[i]) : (y[i] - pred[i]) ** 2;
        const got = l.cost(Tensor.from(x, [3, 5]), { targets: Tensor.from(y, [3, 4]) }).item();
        expect(got).toBeCloseTo(want / 3, 12);
        expectParamGradients(l, { shape: [3, 5] }, (xt) => l.cost(xt, { targets: Tensor.from(y, [3, 4]) }));
      }
    });
  });

  it("Sigmoid's cost is the mean binary KL (cross-entropy) computed from the pre-activation", () => {
    onFloat64(() => {
      const l = build(new Sigmoid(lin()), 5);
      const x = uniformValues(15, 3);
      const y = Float64Array.from(uniformValues(12, 5), (v) => (v > 0 ? 1 : 0));
      const p = l.fprop(Tensor.from(x, [3, 5])).toArray();
      let want = 0;
      for (let i = 0; i < 12; i++) want -= y[i] * Math.log(p[i]) + (1 - y[i]) * Math.log(1 - p[i]);
      expect(l.cost(Tensor.from(x, [3, 5]), { y: Tensor.from(y, [3, 4]) }).item()).toBeCloseTo(want / 12, 12);
      expectParamGradients(l, { shape: [3, 5] }, (xt) => l.cost(xt, { y: Tensor.from(y, [3, 4]) }));
    });
  });

  it("max_col_norm clips each unit's weight column and leaves short columns alone", () => {
    const l = build(new Linear(lin({ irange: 2, maxColNorm: 1.5 })), 10);
    const before = norms(l.W, [0]);
    expect(Math.max(...before)).toBeGreaterThan(1.5);
    const small = Tensor.from(l.W.toArray(), [10, 4]);
    l.afterUpdate();
    const after = norms(l.W, [0]);
    after.forEach((n, j) => expect(n).toBeCloseTo(Math.min(before[j], 1.5), 5));
    // Directions are kept: each column is a positive multiple of the old one.
    const w0 = small.toArray();
    const w1 = l.W.toArray();
    for (let j = 0; j < 4; j++) for (let i = 0; i < 10; i++) expect(w1[i * 4 + j]).toBeCloseTo((w0[i * 4 + j] * after[j]) / before[j], 5);
  });

  it("max_row_norm clips each input's weight row", () => {
    const l = build(new Linear(lin({ irange: 2, dim: 12, maxRowNorm: 1 })), 3);
    const before = norms(l.W, [1]);
    l.afterUpdate();
    norms(l.W, [1]).forEach((n, i) => expect(n).toBeCloseTo(Math.min(before[i], 1), 5));
  });

  it("forbids a row and a column constraint together, as pylearn2 does", () => {
    expect(() => new Linear(lin({ maxColNorm: 1, maxRowNorm: 1 }))).toThrow(ConfigError);
  });

  it("lrScalers map parameter names to W_lr_scale and b_lr_scale", () => {
    const l = build(new RectifiedLinear(lin({ WLrScale: 0.5, bLrScale: 2 })), 3);
    expect(l.lrScalers()).toEqual({ h0_W: 0.5, h0_b: 2 });
  });
});

describe("initialisation", () => {
  it("irange: uniform in (-irange, irange), include_prob zeroes about that share", () => {
    const W = initWeights(new Rng(1), 200, 50, { irange: 0.3 }, "h");
    expect(Math.max(...W)).toBeLessThan(0.3);
    expect(Math.min(...W)).toBeGreaterThanOrEqual(-0.3);
    const mean = W.reduce((a, b) => a + b, 0) / W.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    const masked = initWeights(new Rng(1), 200, 50, { irange: 0.3, includeProb: 0.25 }, "h");
    const kept = masked.filter((v) => v !== 0).length / masked.length;
    expect(kept).toBeGreaterThan(0.23);
    expect(kept).toBeLessThan(0.27);
  });

  it("istdev: normal with that standard deviation", () => {
    const W = initWeights(new Rng(2), 100, 100, { istdev: 0.05 }, "h");
    const sd = Math.sqrt(W.reduce((a, b) => a + b * b, 0) / W.length);
    expect(sd).toBeGreaterThan(0.048);
    expect(sd).toBeLessThan(0.052);
  });

  it("sparse_init: exactly that many nonzero weights per unit, scaled by sparse_stdev", () => {
    const W = initWeights(new Rng(3), 30, 20, { sparseInit: 7, sparseStdev: 0.1 }, "h");
    for (let u = 0; u < 20; u++) {
      let nz = 0;
      for (let i = 0; i < 30; i++) if (W[i * 20 + u] !== 0) nz++;
      expect(nz).toBe(7);
    }
    expect(Math.max(...W.map(Math.abs))).toBeLessThan(0.6);
    expect(() => initWeights(new Rng(3), 5, 2, { sparseInit: 6 }, "h")).toThrow(/sparse_init is 6/);
  });
});

describe("Softmax", () => {
  it("NLL equals the closed form -mean log softmax(xW + b)[y], gradients match", () => {
    onFloat64(() => {
      const l = build(new Softmax({ nClasses: 4, layerName: "y", irange: 0.7 }), 5);
      const x = uniformValues(6 * 5, 9, -2, 2);
      const labels = Int32Array.from([0, 3, 1, 1, 2, 3]);
      const z = affine(x, 6, l.W!.toArray(), l.params()[0].toArray(), 5, 4);
      let want = 0;
      for (let i = 0; i < 6; i++) {
        const row = Array.from(z.subarray(i * 4, i * 4 + 4));
        const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
        want += lse - row[labels[i]];
      }
      const X = Tensor.from(x, [6, 5]);
      expect(l.cost(X, { labels }).item()).toBeCloseTo(want / 6, 12);
      // One-hot targets give the same value as integer labels.
      expect(l.cost(X, { y: Tensor.oneHot(labels, 4) }).item()).toBeCloseTo(want / 6, 12);
      // Probabilities sum to one.
      const p = l.fprop(X).toArray();
      for (let i = 0; i < 6; i++) expect(p[i * 4] + p[i * 4 + 1] + p[i * 4 + 2] + p[i * 4 + 3]).toBeCloseTo(1, 12);
      expectParamGradients(l, { shape: [6, 5] }, (xt) => l.cost(xt, { labels }));
      expectParamGradients(l, { shape: [6, 5] }, (xt) => l.fprop(xt));
    });
  });

  it("is stable for huge logits", () => {
    onFloat64(() => {
      const l = build(new Softmax({ nClasses: 3, layerName: "y", irange: 0 }), 2);
      l.setParams([Tensor.from([0, 0, 0]), Tensor.from([1000, -1000, 0, 0, 0, 0], [2, 3])]);
      const c = l.cost(Tensor.from([1, 0], [1, 2]), { labels: Int32Array.from([1]) }).item();
      expect(c).toBeCloseTo(2000, 9);
    });
  });

  it("non_redundant fixes the first logit at 0 and learns n_classes - 1 columns", () => {
    onFloat64(() => {
      const l = build(new Softmax({ nClasses: 3, layerName: "y", istdev: 0.5, nonRedundant: true }), 4);
      expect([...l.W!.shape]).toEqual([4, 2]);
      const x = uniformValues(8, 1);
      const p = l.fprop(Tensor.from(x, [2, 4])).toArray();
      const z = affine(x, 2, l.W!.toArray(), l.params()[0].toArray(), 4, 2);
      const den = 1 + Math.exp(z[0]) + Math.exp(z[1]);
      expect(p[0]).toBeCloseTo(1 / den, 12);
      expectParamGradients(l, { shape: [2, 4] }, (xt) => l.cost(xt, { labels: Int32Array.from([0, 2]) }));
    });
  });

  it("reports misclass and nll as monitor channels", () => {
    onFloat64(() => {
      const l = build(new Softmax({ nClasses: 2, layerName: "y", irange: 0 }), 2);
      l.setParams([Tensor.from([0, 0]), Tensor.from([1, -1, -1, 1], [2, 2])]);
      const X = Tensor.from([2, 0, 0, 2, 2, 0], [3, 2]);
      const ch = l.monitorChannels(X, l.fprop(X), { labels: Int32Array.from([0, 1, 1]) });
      expect(ch.misclass).toBeCloseTo(1 / 3, 12);
      const nll = (ch.nll as Tensor).item();
      expect(nll).toBeCloseTo((2 * Math.log(1 + Math.exp(-4)) + Math.log(1 + Math.exp(4))) / 3, 10);
      expect(Object.keys(ch)).toEqual(expect.arrayContaining(["col_norms_max", "row_norms_min", "mean_max_class", "max_max_class", "min_max_class"]));
    });
  });
});

describe("Sigmoid output channels", () => {
  const value = (v: Tensor | number) => (typeof v === "number" ? v : v.item());
  // Rows x units: state thresholded at 0.5 against targets, counted by hand below.
  const state = Tensor.from([0.9, 0.2, 0.7, 0.6, 0.1, 0.4], [3, 2]);
  const X = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2]);

  it("detection: 01_loss, precision, recall and f1 as pylearn2 computes them", () => {
    const l = build(new Sigmoid(lin({ dim: 2 })), 2);
    // predicted: [1 0; 1 1; 0 0]; targets: [1 1; 0 1; 0 0] -> tp 2, fp 1, positives 3, 2 of 6 bits wrong
    const Y = Tensor.from([1, 1, 0, 1, 0, 0], [3, 2]);
    const ch = l.monitorChannels(X, state, { targets: Y });
    const p = 2 / 3;
    const r = 2 / 3;
    expect(value(ch["01_loss"])).toBeCloseTo(2 / 6, 6);
    expect(value(ch.precision)).toBeCloseTo(p, 6);
    expect(value(ch.recall)).toBeCloseTo(r, 6);
    expect(value(ch.f1)).toBeCloseTo((2 * p * r) / (p + r), 6);
  });

  it("detection: 0/0 precision, recall and f1 are 0, not NaN", () => {
    const l = build(new Sigmoid(lin({ dim: 2 })), 2);
    const none = Tensor.from([0.1, 0.2, 0.3, 0.4, 0.1, 0.4], [3, 2]);
    const ch = l.monitorChannels(X, none, { targets: Tensor.zeros([3, 2]) });
    for (const k of ["precision", "recall", "f1"]) expect(value(ch[k]), k).toBe(0);
    expect(value(ch["01_loss"])).toBe(0);
  });

  it("one_hot_class: the fraction of rows whose argmax misses the target's", () => {
    const l = build(new Sigmoid({ ...lin({ dim: 2 }), monitorStyle: "one_hot_class" }), 2);
    const Y = Tensor.from([1, 0, 0, 1, 1, 0], [3, 2]);
    // argmax of state rows: 0, 0, 1; of targets: 0, 1, 0 -> 2 of 3 wrong
    expect(value(l.monitorChannels(X, state, { y: Y }).misclass)).toBeCloseTo(2 / 3, 6);
  });
});

describe("SVM output layer and the one-vs-rest hinge", () => {
  it("hinge equals its definition, plain and squared", () => {
    onFloat64(() => {
      const s = uniformValues(12, 5, -2, 2);
      const labels = Int32Array.from([2, 0, 1]);
      for (const squared of [false, true]) {
        let want = 0;
        for (let i = 0; i < 3; i++)
          for (let k = 0; k < 4; k++) {
            const t = k === labels[i] ? 1 : -1;
            const h = Math.max(0, 0.5 - t * s[i * 4 + k]);
            want += squared ? h * h : h;
          }
        const got = oneVsRestHinge(Tensor.from(s, [3, 4]), Tensor.oneHot(labels, 4), 0.5, squared).item();
        expect(got).toBeCloseTo(want / 3, 12);
      }
    });
  });

  it("scores are affine, gradients of the hinge cost match", () => {
    onFloat64(() => {
      const l = build(new SVM({ nClasses: 3, layerName: "svm", irange: 0.5 }), 4);
      const labels = Int32Array.from([0, 2, 1, 2, 0]);
      expectParamGradients(l, { shape: [5, 4] }, (xt) => l.cost(xt, { labels }), { jitter: 0.05 });
      expect(l.params().map((p) => p.name)).toEqual(["svm_W", "svm_b"]);
    });
  });
});
