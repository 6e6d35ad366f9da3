import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Tensor, gradients } from "../engine/index.js";
import { loadConfigText } from "../config/index.js";
import { writeModelFile } from "../io/model-file.js";
import { makePklLoader, loadModel } from "../train/load.js";
import { Rng } from "../util/rng.js";
import { MLP } from "./mlp.js";
import type { Model, StepContext } from "./model.js";
import { SumOfCosts } from "../costs/sum-of-costs.js";
import { Dropout } from "../costs/dropout.js";
import { Hinge } from "../costs/hinge.js";
import { ConvRectifiedLinear } from "../nn/conv.js";

const build = (yaml: string) => loadConfigText(yaml, "/tmp/test.yaml", { env: {}, dataPath: "/tmp" }).build();
const monitor: StepContext = { rng: new Rng(1), training: false };

describe("the MLP family from YAML (pylearn2 names and defaults)", () => {
  it("SoftmaxRegression (the softmax regression tutorial's model) is an MLP whose one layer is a Softmax named y", () => {
    const m = build(`!obj:pylearn2.models.softmax_regression.SoftmaxRegression { n_classes: 10, irange: 0., nvis: 784 }`) as MLP;
    expect(m).toBeInstanceOf(MLP);
    expect(m.params().map((p) => `${p.name}:${p.shape.join("x")}`)).toEqual(["y_b:10", "y_W:784x10"]);
    expect(Array.from(m.params()[1].toArray()).every((v) => v === 0)).toBe(true);
    const same = build(`!obj:pylearn2.models.mlp.MLP { nvis: 20, layers: [ !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 3, irange: 0.2, max_col_norm: 0.5 } ] }`) as MLP;
    const sr = build(`!obj:pylearn2.models.softmax_regression.SoftmaxRegression { n_classes: 3, irange: 0.2, max_col_norm: 0.5, nvis: 20 }`) as MLP;
    expect(Array.from(sr.params()[1].toArray())).toEqual(Array.from(same.params()[1].toArray()));
    expect(() => build(`!obj:pylearn2.models.softmax_regression.SoftmaxRegression { n_classes: 3, irange: 0.2, istdev: 0.1, nvis: 20 }`)).toThrow(/at most one of irange, istdev, sparse_init/);
  });

  it("the dropout paper's softmax: sparse_init 0 starts every weight at zero (pylearn2 draws no nonzero weight)", () => {
    const m = build(`!obj:pylearn2.models.mlp.MLP { nvis: 20, layers: [
        !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: 'h0', dim: 8, irange: 0.1 },
        !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, sparse_init: 0, max_col_norm: 4.6 } ] }`) as MLP;
    const W = m.params().find((p) => p.name === "y_W")!;
    expect(W.shape).toEqual([8, 10]);
    expect(Array.from(W.toArray()).every((v) => v === 0)).toBe(true);
    expect(Array.from(m.params()[0].toArray()).some((v) => v !== 0)).toBe(true);
    expect(() => build(`!obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, sparse_init: -1 }`)).toThrow(/sparse_init/);
  });

  it("pylearn2's MLP tutorial part 3 model: sparse-initialised ReLU layers and a zero softmax", () => {
    const m = build(`!obj:pylearn2.models.mlp.MLP {
        layers: [ !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: 'h0', dim: 50, sparse_init: 15 },
                  !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: 'h1', dim: 30, sparse_init: 15 },
                  !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: 0. } ],
        nvis: 784,
    }`) as MLP;
    expect(m).toBeInstanceOf(MLP);
    expect(m.params().map((p) => `${p.name}:${p.shape.join("x")}`)).toEqual(["h0_W:784x50", "h0_b:50", "h1_W:50x30", "h1_b:30", "y_b:10", "y_W:30x10"]);
    const W = m.params()[0].toArray();
    for (let u = 0; u < 50; u += 7) {
      let nz = 0;
      for (let i = 0; i < 784; i++) if (W[i * 50 + u] !== 0) nz++;
      expect(nz).toBe(15);
    }
    expect(Math.max(...Array.from(m.params()[5].toArray(), Math.abs))).toBe(0);
    // pylearn2's default seed [2013, 1, 4]: building twice gives the same weights.
    const again = build(`!obj:pylearn2.models.mlp.MLP { nvis: 784, layers: [ !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: 'h0', dim: 50, sparse_init: 15 } ] }`) as MLP;
    expect(Array.from(again.params()[0].toArray())).toEqual(Array.from(W));
    // With no cost in the YAML, SGD uses the model's default: the softmax NLL, log(10) at zero weights.
    const X = Tensor.from(new Rng(1).fillUniform(new Float32Array(4 * 784)), [4, 784]);
    expect(m.defaultCost().expr(m, { X, labels: Int32Array.from([1, 2, 3, 4]), size: 4 }, monitor).item()).toBeCloseTo(Math.log(10), 5);
  });

  it("pylearn2's convolutional tutorial: Conv2DSpace input, two ConvRectifiedLinear layers, SumOfCosts of cost_from_X and WeightDecay", () => {
    const m = build(`!obj:pylearn2.models.mlp.MLP {
        batch_size: 4,
        input_space: !obj:pylearn2.space.Conv2DSpace { shape: [28, 28], num_channels: 1 },
        layers: [ !obj:pylearn2.models.mlp.ConvRectifiedLinear { layer_name: 'h2', output_channels: 4, irange: .05,
                     kernel_shape: [5, 5], pool_shape: [4, 4], pool_stride: [2, 2], max_kernel_norm: 1.9365 },
                  !obj:pylearn2.models.mlp.ConvRectifiedLinear { layer_name: 'h3', output_channels: 4, irange: .05,
                     kernel_shape: [5, 5], pool_shape: [4, 4], pool_stride: [2, 2], max_kernel_norm: 1.9365 },
                  !obj:pylearn2.models.mlp.Softmax { max_col_norm: 1.9365, layer_name: 'y', n_classes: 10, istdev: .05 } ],
    }`) as MLP;
    const h3 = m.layers[1] as ConvRectifiedLinear;
    expect(h3.outputSpace).toMatchObject({ rows: 3, cols: 3, channels: 4 });
    expect([...m.params().find((p) => p.name === "y_W")!.shape]).toEqual([36, 10]);
    expect(m.params().find((p) => p.name === "h2_b")!.shape).toEqual([4, 24, 24]); // pylearn2's ConvRectifiedLinear: untied biases
    expect(m.inputView).toEqual({ rows: 28, cols: 28, channels: 1 });
    const cost = build(`!obj:pylearn2.costs.cost.SumOfCosts { costs: [
        !obj:pylearn2.costs.cost.MethodCost { method: 'cost_from_X' },
        !obj:pylearn2.costs.mlp.WeightDecay { coeffs: [ .00005, .00005, .00005 ] } ] }`) as SumOfCosts;
    const batch = { X: Tensor.from(new Rng(2).fillUniform(new Float32Array(2 * 784)), [2, 784]), labels: Int32Array.from([3, 7]), size: 2 };
    const v = cost.expr(m, batch, monitor);
    const nll = m.costFromX(batch).item();
    let wd = 0;
    for (const l of m.layers) for (const w of l.weights()) wd += Array.from(w.toArray()).reduce((a, x) => a + x * x, 0);
    expect(v.item()).toBeCloseTo(nll + 0.00005 * wd, 5);
    const g = gradients(v, m.params());
    expect(g.map((t) => [...t.shape])).toEqual(m.params().map((p) => [...p.shape]));
  });

  it("maxout with dropout and an SVM head with the hinge cost", () => {
    const m = build(`!obj:pylearn2.models.mlp.MLP {
        nvis: 20,
        layers: [ !obj:pylearn2.models.maxout.Maxout { layer_name: 'h0', num_units: 8, num_pieces: 3, irange: .05, max_col_norm: 1.9365 },
                  !obj:LpPooling { layer_name: 'lp', pool_size: 2, p: 2 },
                  !obj:SVM { layer_name: 'y', n_classes: 4, irange: .05 } ],
    }`) as MLP;
    expect(m.layers.map((l) => l.outputSpace.totalDim)).toEqual([8, 4, 4]);
    const d = build(`!obj:pylearn2.costs.mlp.dropout.Dropout { input_include_probs: { h0: .8 }, input_scales: { h0: 1.25 } }`) as Dropout;
    expect([d.includeProb(m.layers[0]), d.scale(m.layers[0]), d.includeProb(m.layers[2]), d.scale(m.layers[2])]).toEqual([0.8, 1.25, 0.5, 2]);
    const h = build(`!obj:Hinge { margin: 2, squared: true }`) as Hinge;
    expect([h.margin, h.squared]).toEqual([2, true]);
  });
});

describe("PretrainedLayer from a saved file (dae_mlp.yaml's stacking)", () => {
  it("wraps a saved autoencoder, fine-tunes it under new names, and the MLP reloads from its own file", () => {
    const dir = mkdtempSync(join(tmpdir(), "dl-mlp-"));
    const aeYaml = `!obj:pylearn2.models.autoencoder.DenoisingAutoencoder {
        nvis: 6, nhid: 4, act_enc: 'sigmoid', act_dec: 'sigmoid', irange: 0.3,
        corruptor: !obj:pylearn2.corruption.BinomialCorruptor { corruption_level: .2 } }`;
    const ae = build(aeYaml) as Model;
    const aePath = join(dir, "dae_l1.pkl");
    writeModelFile(aePath, {
      className: ae.className,
      tensors: Object.fromEntries(ae.params().map((p) => [p.name!, { shape: [...p.shape], data: Float32Array.from(p.toArray()) }])),
      config: aeYaml,
    });
    const mlpYaml = `!obj:pylearn2.models.mlp.MLP {
        nvis: 6,
        layers: [ !obj:pylearn2.models.mlp.PretrainedLayer { layer_name: 'h1', layer_content: !pkl: "${aePath}" },
                  !obj:pylearn2.models.mlp.Softmax { max_col_norm: 1.9365, layer_name: 'y', n_classes: 3, irange: .005 } ] }`;
    const m = loadConfigText(mlpYaml, join(dir, "dae_mlp.yaml"), { env: {}, dataPath: dir }).build({ loadPkl: makePklLoader() }) as MLP;
    const names = m.params().map((p) => p.name!);
    expect(names.filter((n) => n.startsWith("h1_")).length).toBe(ae.params().length);
    expect(names).toEqual(expect.arrayContaining(ae.params().map((p) => `h1_${p.name}`)));
    const X = Tensor.from(new Rng(3).fillUniform(new Float32Array(5 * 6)), [5, 6]);
    expect(Array.from(m.forward(X, { layers: 1 }).toArray())).toEqual(Array.from(ae.encode!(X).toArray()));
    expect(m.drawableLayers()[0]).toMatchObject({ name: "h1", layout: "vis_by_hid" });
    expect(m.params().map((p) => p.name)).toContain(m.drawableLayers()[0].tensor);

    // One fine-tuning step moves the wrapped encoder's weights.
    const batch = { X, labels: Int32Array.from([0, 1, 2, 0, 1]), size: 5 };
    const params = m.params();
    gradients(m.costFromX(batch), params).forEach((g, i) => params[i].axpyInPlace(g, -0.5));
    m.afterUpdate();
    const out = m.fprop(X).toArray();

    // Saved and reloaded, the MLP computes the same function (the file holds the fine-tuned weights).
    const mlpPath = join(dir, "dae_mlp.pkl");
    writeModelFile(mlpPath, {
      className: "MLP",
      tensors: Object.fromEntries(params.map((p) => [p.name!, { shape: [...p.shape], data: Float32Array.from(p.toArray()) }])),
      config: mlpYaml,
    });
    const back = loadModel(mlpPath) as MLP;
    const again = back.fprop(X).toArray();
    out.forEach((v, i) => expect(again[i]).toBeCloseTo(v, 6));
  });
});
