import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { Tensor, gradients, noGrad } from "../engine/index.js";
import { readDigitsCsv } from "../data/digits.js";
import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { expectParamGradients, onFloat64, uniformValues } from "../../test/helpers/gradcheck.js";
import { Linear, RectifiedLinear, Sigmoid, Tanh } from "../nn/linear.js";
import { Softmax } from "../nn/softmax.js";
import { Maxout } from "../nn/maxout.js";
import { ConvRectifiedLinear } from "../nn/conv.js";
import { PretrainedLayer } from "../nn/pretrained.js";
import { Conv2DSpace } from "../nn/space.js";
import { MLP } from "./mlp.js";
import type { Batch, StepContext } from "./model.js";

const ctx: StepContext = { rng: new Rng(1), training: false };

function smallMLP(seed: number | number[] = 5): MLP {
  return new MLP({
    nvis: 6,
    seed,
    layers: [
      new RectifiedLinear({ layerName: "h0", dim: 5, irange: 0.5, initBias: 0.1, maxColNorm: 2, WLrScale: 0.5 }),
      new Maxout({ layerName: "h1", numUnits: 3, numPieces: 2, irange: 0.5 }),
      new Softmax({ layerName: "y", nClasses: 4, irange: 0.3 }),
    ],
  });
}

describe("MLP", () => {
  it("names parameters <layer_name>_<param>, in layer order", () => {
    const m = smallMLP();
    expect(m.params().map((p) => `${p.name}:${p.shape.join("x")}`)).toEqual(["h0_W:6x5", "h0_b:5", "h1_W:5x6", "h1_b:6", "y_b:4", "y_W:3x4"]);
    expect(m.inputDim).toBe(6);
    expect(m.outputDim).toBe(4);
    expect(m.lrScalers()).toEqual({ h0_W: 0.5 });
  });

  it("the same seed gives the same parameters, another seed others", () => {
    const a = smallMLP([2013, 1, 4]).params()[0].toArray();
    expect(smallMLP([2013, 1, 4]).params()[0].toArray()).toEqual(a);
    expect(smallMLP(7).params()[0].toArray()).not.toEqual(a);
  });

  it("refuses duplicate layer names and missing input sizes", () => {
    const mk = () => new Linear({ layerName: "h", dim: 2, irange: 0.1 });
    expect(() => new MLP({ nvis: 3, layers: [mk(), mk()] })).toThrow(/same name: h/);
    expect(() => new MLP({ layers: [mk()] })).toThrow(ConfigError);
  });

  it("cost_from_X is the output layer's cost of the forward pass; its gradient matches finite differences", () => {
    onFloat64(() => {
      const m = smallMLP();
      const labels = Int32Array.from([0, 3, 2, 1, 1]);
      const r = expectParamGradients(m, { shape: [5, 6] }, (x) => m.costFromX({ X: x, labels, size: 5 }), { jitter: 0.1 });
      expect(r.value[0]).toBeGreaterThan(0);
      // The same value from the pieces: -mean log softmax(forward(x))[y].
      const X = Tensor.from(uniformValues(30, 3), [5, 6]);
      const p = m.fprop(X).toArray();
      let nll = 0;
      for (let i = 0; i < 5; i++) nll -= Math.log(p[i * 4 + labels[i]]);
      expect(m.costFromX({ X, labels, size: 5 }).item()).toBeCloseTo(nll / 5, 10);
      expect(m.defaultCost().expr(m, { X, labels, size: 5 }, ctx).item()).toBeCloseTo(nll / 5, 10);
    });
  });

  it("Sigmoid and Tanh stacks: gradients of a sigmoid output's cost match", () => {
    onFloat64(() => {
      const m = new MLP({
        nvis: 4,
        layers: [new Tanh({ layerName: "h0", dim: 3, istdev: 0.5 }), new Sigmoid({ layerName: "out", dim: 2, sparseInit: 2 })],
      });
      const y = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2]);
      expectParamGradients(m, { shape: [3, 4] }, (x) => m.costFromX({ X: x, y, size: 3 }));
    });
  });

  it("monitor channels are <layer_name>_<channel> with y_misclass and y_nll on the output", () => {
    const m = smallMLP();
    const X = Tensor.from(new Rng(1).fillNormal(new Float32Array(8 * 6)), [8, 6]);
    const labels = Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]);
    const ch = m.monitorChannels({ X, labels, size: 8 }, ctx);
    for (const k of ["y_misclass", "y_nll", "y_col_norms_max", "y_max_max_class", "h0_col_norms_max", "h0_max_x_max_u", "h0_mean_x_mean_u", "h1_p_max_x.max_u", "h1_row_norms_min"]) {
      expect(ch, k).toHaveProperty(k);
    }
    const nll = ch.y_nll as Tensor;
    expect(nll.item()).toBeCloseTo(m.costFromX({ X, labels, size: 8 }).item(), 5);
    const misclass = ch.y_misclass as number;
    const pred = noGrad(() => m.fprop(X)).argmax(1);
    expect(misclass).toBeCloseTo(pred.filter((p, i) => p !== labels[i]).length / 8, 10);
    // Without labels there are no target channels.
    expect(m.monitorChannels({ X, size: 8 }, ctx)).not.toHaveProperty("y_misclass");
  });

  it("afterUpdate applies every layer's constraint", () => {
    const m = smallMLP();
    const W = m.params()[0];
    W.assign(W.mul(100));
    m.afterUpdate();
    const cols = noGrad(() => W.square().sum(0).sqrt().toArray());
    cols.forEach((c) => expect(c).toBeLessThanOrEqual(2 + 1e-5));
  });

  it("drawable layers: the first with the input view, vis_by_hid", () => {
    const m = new MLP({ nvis: 12, layers: [new Linear({ layerName: "h0", dim: 3, irange: 0.1 }), new Softmax({ layerName: "y", nClasses: 2, irange: 0.1 })] });
    m.inputView = { rows: 2, cols: 2, channels: 3 };
    expect(m.drawableLayers()).toEqual([
      { name: "h0", tensor: "h0_W", layout: "vis_by_hid", view: { rows: 2, cols: 2, channels: 3 } },
      { name: "y", tensor: "y_W", layout: "vis_by_hid" },
    ]);
  });

  it("a convolutional MLP takes channels-last rows or NCHW batches alike; gradients match", () => {
    onFloat64(() => {
      const m = new MLP({
        inputSpace: new Conv2DSpace(5, 4, 2),
        layers: [
          new ConvRectifiedLinear({ layerName: "c", outputChannels: 2, kernelShape: [2, 2], poolShape: [2, 2], poolStride: [2, 2], irange: 0.5, initBias: 0.1 }),
          new Softmax({ layerName: "y", nClasses: 3, istdev: 0.3 }),
        ],
      });
      expect(m.inputView).toEqual({ rows: 5, cols: 4, channels: 2 });
      const rows = uniformValues(2 * 40, 4);
      const a = m.fprop(Tensor.from(rows, [2, 40])).toArray();
      // The same images as NCHW.
      const nchw = new Float64Array(80);
      for (let n = 0; n < 2; n++) for (let r = 0; r < 5; r++) for (let c = 0; c < 4; c++) for (let ch = 0; ch < 2; ch++) nchw[((n * 2 + ch) * 5 + r) * 4 + c] = rows[n * 40 + (r * 4 + c) * 2 + ch];
      const b = m.fprop(Tensor.from(nchw, [2, 2, 5, 4])).toArray();
      a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 12));
      expect(m.drawableLayers()[0]).toEqual({ name: "c", tensor: "c_W", layout: "conv_oihw" });
      const labels = Int32Array.from([2, 0]);
      expectParamGradients(m, { shape: [2, 40] }, (x) => m.costFromX({ X: x, labels, size: 2 }));
    });
  });

  it("a dense first layer reads an NCHW batch back in the dataset's channels-last order", () => {
    const m = new MLP({ inputSpace: new Conv2DSpace(2, 2, 2), layers: [new Linear({ layerName: "h", dim: 1, irange: 0 })] });
    m.setParams([Tensor.from([1, 2, 3, 4, 5, 6, 7, 8], [8, 1]), Tensor.from([0])]);
    const rows = Tensor.from([1, 0, 0, 0, 0, 0, 0, 0], [1, 8]); // row 0, col 0, channel 0
    const nchw = Tensor.from([0, 0, 0, 0, 0, 1, 0, 0], [1, 2, 2, 2]); // channel 1, row 0, col 1 = row index (0*2+1)*2+1 = 3
    expect(m.fprop(rows).item()).toBe(1);
    expect(m.fprop(nchw).item()).toBe(4);
  });
});

describe("PretrainedLayer", () => {
  function inner(): MLP {
    return new MLP({ nvis: 4, seed: 3, layers: [new Sigmoid({ layerName: "enc", dim: 3, irange: 0.5 })] });
  }

  it("wraps a model's upward pass, renames its parameters and fine-tunes them", () => {
    onFloat64(() => {
      const content = inner();
      const outer = new MLP({ nvis: 4, layers: [new PretrainedLayer("h1", content), new Softmax({ layerName: "y", nClasses: 2, irange: 0.4 })] });
      expect(outer.params().map((p) => p.name)).toEqual(["h1_enc_W", "h1_enc_b", "y_b", "y_W"]);
      const X = Tensor.from(uniformValues(12, 2), [3, 4]);
      // The layer's output is the wrapped model's encode.
      const h = outer.forward(X, { layers: 1 }).toArray();
      expect(Array.from(h)).toEqual(Array.from(content.encode(X).toArray()));
      // Gradients reach the wrapped parameters (checked through the wrapped MLP's own setParams).
      const labels = Int32Array.from([0, 1, 1]);
      const grads = gradients(outer.costFromX({ X, labels, size: 3 }), outer.params());
      expect(Math.max(...Array.from(grads[0].toArray(), Math.abs))).toBeGreaterThan(0);
      expectParamGradients(content, { shape: [3, 4] }, (x) => outer.costFromX({ X: x, labels, size: 3 }));
      expect(outer.drawableLayers()[0]).toMatchObject({ name: "h1", tensor: "h1_enc_W", layout: "vis_by_hid" });
    });
  });

  it("freeze_params keeps the wrapped parameters out of training but in the saved state", () => {
    const content = inner();
    const outer = new MLP({ nvis: 4, layers: [new PretrainedLayer("h1", content, true), new Softmax({ layerName: "y", nClasses: 2, irange: 0.4 })] });
    expect(outer.params().map((p) => p.name)).toEqual(["y_b", "y_W"]);
    const st = outer.extraState();
    expect(Object.keys(st)).toEqual(["h1_enc_W", "h1_enc_b"]);
    const W = content.params()[0];
    const before = Float32Array.from(W.toArray());
    W.assign(W.mul(0));
    outer.loadExtraState(st);
    expect(Array.from(W.toArray())).toEqual(Array.from(before));
  });

  it("checks the wrapped model's input size", () => {
    expect(() => new MLP({ nvis: 5, layers: [new PretrainedLayer("h1", inner())] })).toThrow(/takes inputs of 4 values/);
  });
});

describe("end to end on real data", () => {
  it("a small ReLU MLP trained with momentum SGD reaches >= 90% test accuracy on sklearn digits", () => {
    const { pixels, labels, count } = readDigitsCsv(resolve(import.meta.dirname, "../../../shared/data/sklearn-digits/digits.csv.gz"));
    const nTrain = 1500;
    // Standardise each pixel with the training rows' mean and deviation (+0.1 for the constant border pixels):
    // the last 297 rows come from other writers, and centred inputs make the held-out score stable across seeds.
    const X = Float32Array.from(pixels);
    for (let j = 0; j < 64; j++) {
      let mu = 0;
      let sq = 0;
      for (let i = 0; i < nTrain; i++) mu += X[i * 64 + j] / nTrain;
      for (let i = 0; i < nTrain; i++) sq += (X[i * 64 + j] - mu) ** 2 / nTrain;
      const sd = Math.sqrt(sq) + 0.1;
      for (let i = 0; i < count; i++) X[i * 64 + j] = (X[i * 64 + j] - mu) / sd;
    }
    const m = new MLP({
      nvis: 64,
      seed: [2013, 1, 4],
      layers: [new RectifiedLinear({ layerName: "h0", dim: 64, irange: 0.1 }), new Softmax({ layerName: "y", nClasses: 10, irange: 0 })],
    });
    const cost = m.defaultCost();
    const params = m.params();
    const rng = new Rng(42);
    const bs = 20;
    const lr = 0.05;
    const momentum = 0.9;
    const velocity = params.map((p) => Tensor.zeros(p.shape));
    const t0 = Date.now();
    for (let epoch = 0; epoch < 10; epoch++) {
      const order = rng.permutation(nTrain);
      for (let s = 0; s + bs <= nTrain; s += bs) {
        const idx = order.subarray(s, s + bs);
        const xb = new Float32Array(bs * 64);
        const lb = new Int32Array(bs);
        idx.forEach((r, i) => (xb.set(X.subarray(r * 64, r * 64 + 64), i * 64), (lb[i] = labels[r])));
        const batch: Batch = { X: Tensor.from(xb, [bs, 64]), labels: lb, size: bs };
        const g = gradients(cost.expr(m, batch, { rng, training: true }), params);
        // Momentum as pylearn2's: v <- m v - lr g; p <- p + v.
        params.forEach((p, i) => {
          velocity[i].assign(velocity[i].mul(momentum).sub(g[i].mul(lr)));
          p.axpyInPlace(velocity[i], 1);
        });
        m.afterUpdate();
      }
    }
    const nTest = count - nTrain;
    const test: Batch = { X: Tensor.from(X.subarray(nTrain * 64), [nTest, 64]), labels: labels.subarray(nTrain), size: nTest };
    const ch = m.monitorChannels(test, ctx);
    const acc = 1 - (ch.y_misclass as number);
    expect(acc).toBeGreaterThanOrEqual(0.9);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
