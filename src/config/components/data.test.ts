import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfigText } from "../index.js";
import { Registry } from "../registry.js";
import { DATA_COMPONENTS } from "./data.js";
import { DenseDesignMatrix } from "../../data/dataset.js";
import { writeModelFile } from "../../io/model-file.js";
import { ConfigError } from "../../util/errors.js";

const SHARED = resolve(import.meta.dirname, "../../../../shared/data");
const dir = mkdtempSync(join(tmpdir(), "dl-data-components-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const registry = new Registry(DATA_COMPONENTS);

/** A data folder whose cifar10/ batches are the shared copy (linked, not copied). */
function dataDir(): string {
  const d = join(dir, "data");
  if (!existsSync(d)) {
    mkdirSync(join(d, "cifar10"), { recursive: true });
    symlinkSync(join(SHARED, "cifar-10", "cifar-10-batches-bin"), join(d, "cifar10", "cifar-10-batches-bin"));
    symlinkSync(join(SHARED, "mnist"), join(d, "mnist"));
  }
  return d;
}

function build(yaml: string, loadPkl?: (p: string) => unknown): unknown {
  const exp = loadConfigText(yaml, join(dir, "exp.yaml"), { registry, dataPath: dataDir(), env: {} });
  return exp.build(loadPkl ? { loadPkl } : {});
}

describe("dataset and preprocessor components", () => {
  it("builds pylearn2's grbm_smd pipeline on CIFAR-10 from YAML", () => {
    const ds = build(`
!obj:pylearn2.datasets.cifar10.CIFAR10 {
  which_set: 'train', start: 0, stop: 200, fit_preprocessor: True,
  preprocessor: !obj:pylearn2.datasets.preprocessing.Pipeline {
    items: [
      !obj:pylearn2.datasets.preprocessing.ExtractPatches { patch_shape: [8, 8], num_patches: 1000 },
      !obj:pylearn2.datasets.preprocessing.GlobalContrastNormalization { sqrt_bias: 10., use_std: True },
      !obj:pylearn2.datasets.preprocessing.ZCA {},
    ]
  }
}`) as DenseDesignMatrix;
    expect(ds).toBeInstanceOf(DenseDesignMatrix);
    expect(ds.numExamples).toBe(1000);
    expect(ds.view).toEqual({ rows: 8, cols: 8, channels: 3 });
    expect(ds.preprocessing.map((p) => p.name)).toEqual(["ExtractPatches", "GlobalContrastNormalization", "ZCA"]);
    expect(ds.preprocessing[2].settings.filter_bias).toBe(0.1);
    expect(ds.fitted.zca_P.shape).toEqual([192, 192]);
  });

  it("MNIST, Digits, DenseDesignMatrix and SineWave + SlidingWindow build with pylearn2's defaults", () => {
    const m = build("!obj:pylearn2.datasets.mnist.MNIST { which_set: 'test', stop: 10, one_hot: True }") as DenseDesignMatrix;
    expect(m.labels![0]).toBe(7);
    expect(m.targetDim).toBe(10);
    const d = build("!obj:dl.datasets.Digits { which_set: test }") as DenseDesignMatrix;
    expect(d.numExamples).toBe(297);
    const ddm = build("!obj:pylearn2.datasets.dense_design_matrix.DenseDesignMatrix { X: [[1, 2], [3, 4]], y: [[0], [1]], y_labels: 2 }") as DenseDesignMatrix;
    expect(Array.from(ddm.labels!)).toEqual([0, 1]);
    const win = build(`
!obj:dl.datasets.SineWave {
  length: 100, period: 20,
  preprocessor: !obj:dl.datasets.preprocessing.SlidingWindow { window_size: 5, predict_next: True },
}`) as DenseDesignMatrix;
    expect(win.numExamples).toBe(95);
    expect(win.dim).toBe(5);
    expect(win.targets![0]).toBeCloseTo(Math.sin((2 * Math.PI * 5) / 20), 6);
  });

  it("a fitted preprocessor anchored on the training set is reused, unfitted, on the test set", () => {
    const both = build(`
{
  train: !obj:dl.datasets.Digits { which_set: train, fit_preprocessor: True, preprocessor: &std !obj:pylearn2.datasets.preprocessing.Standardize {} },
  test: !obj:dl.datasets.Digits { which_set: test, preprocessor: *std },
}`) as { train: DenseDesignMatrix; test: DenseDesignMatrix };
    expect(both.test.fitted.standardize_mean.data).toEqual(both.train.fitted.standardize_mean.data);
    expect(() => build("!obj:dl.datasets.Digits { preprocessor: !obj:pylearn2.datasets.preprocessing.ZCA {} }")).toThrow(
      /ZCA has not been fitted.*fit_preprocessor: True/,
    );
  });

  it("TransformerDataset encodes through a model loaded with !pkl:", () => {
    const model = join(dir, "dae_l1.pkl");
    writeModelFile(model, { className: "DenoisingAutoencoder", tensors: { W: { shape: [64, 2], data: new Float32Array(128) } } });
    const encoder = { encode: (X: Float32Array, n: number) => ({ data: new Float32Array(n * 2).fill(1), dim: 2 }) };
    const ds = build(
      `!obj:pylearn2.datasets.transformer_dataset.TransformerDataset { raw: !obj:dl.datasets.Digits { stop: 10 }, transformer: !pkl: "${model}" }`,
      () => encoder,
    ) as DenseDesignMatrix;
    expect(ds.dim).toBe(2);
    expect(ds.numExamples).toBe(10);
  });

  it("rejects what dl does not support with a clear message", () => {
    const err = (yaml: string) => {
      try {
        build(yaml);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error("expected a ConfigError");
    };
    expect(err("!obj:pylearn2.datasets.cifar10.CIFAR10 { which_set: 'train', toronto_prepro: True }")).toMatch(/toronto_prepro/);
    expect(err("!obj:pylearn2.datasets.cifar10.CIFAR10 { which_set: 'train', axes: ['c', 0, 1, 'b'] }")).toMatch(/channels last/);
    expect(err("!obj:pylearn2.datasets.mnist.MNIST { which_set: 'valid' }")).toMatch(/which_set/);
    expect(err("!obj:pylearn2.datasets.preprocessing.ZCA { filter_bais: 0.1 }")).toMatch(/filter_bias/);
  });
});
