import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DenseDesignMatrix } from "./dataset.js";
import { loadDataset, saveDataset } from "./dataset-file.js";
import { readSafetensors } from "../io/safetensors.js";
import { writeModelFile } from "../io/model-file.js";
import { GlobalContrastNormalization, ZCA } from "./preprocessing/index.js";

const dir = mkdtempSync(join(tmpdir(), "dl-dsfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("dataset files", () => {
  it("round-trips X, labels, targets, view, names, preprocessing and fitted parameters", () => {
    const X = Float32Array.from({ length: 6 * 12 }, (_, i) => Math.sin(i) * 3 + (i % 5));
    let ds = new DenseDesignMatrix({
      X,
      numExamples: 6,
      dim: 12,
      labels: Int32Array.from([0, 1, 2, 0, 1, 2]),
      numClasses: 3,
      targets: Float32Array.from({ length: 12 }, (_, i) => i / 2),
      targetDim: 2,
      view: { rows: 2, cols: 2, channels: 3 },
      labelNames: ["a", "b", "c"],
      description: "toy",
    });
    ds = new ZCA().apply(new GlobalContrastNormalization({ sqrt_bias: 10, use_std: true }).apply(ds), true);
    const path = join(dir, "toy.pkl");
    saveDataset(path, ds);
    const back = loadDataset(path);
    expect(Array.from(back.X)).toEqual(Array.from(ds.X));
    expect(Array.from(back.labels!)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(back.numClasses).toBe(3);
    expect(Array.from(back.targets!)).toEqual(Array.from(ds.targets!));
    expect(back.targetDim).toBe(2);
    expect(back.view).toEqual({ rows: 2, cols: 2, channels: 3 });
    expect(back.labelNames).toEqual(["a", "b", "c"]);
    expect(back.description).toBe("toy | GlobalContrastNormalization | ZCA");
    expect(back.preprocessing).toEqual(ds.preprocessing);
    expect(Object.keys(back.fitted).sort()).toEqual(["zca_P", "zca_inv_P", "zca_mean"]);
    expect(Array.from(back.fitted.zca_P.data)).toEqual(Array.from(ds.fitted.zca_P.data));

    // The raw container is what DESIGN promises Python readers.
    const raw = readSafetensors(path);
    expect(raw.metadata.format).toBe("dl-dataset/1");
    expect(raw.metadata.view).toBe("[2,2,3]");
    expect(raw.tensors.get("X")!.shape).toEqual([6, 12]);
    expect(raw.tensors.get("y")!.dtype).toBe("I32");
    expect(raw.tensors.get("fitted.zca_inv_P")!.shape).toEqual([12, 12]);
  });

  it("says what a model file or a foreign file is instead of reading it as data", () => {
    const model = join(dir, "model.pkl");
    writeModelFile(model, { className: "RBM", tensors: { W: { shape: [1, 1], data: new Float32Array(1) } } });
    expect(() => loadDataset(model)).toThrow(/model file, not a dataset/);
    const junk = join(dir, "junk.pkl");
    writeFileSync(junk, "not a dataset at all");
    expect(() => loadDataset(junk)).toThrow(/not a readable dl file/);
    expect(() => loadDataset(join(dir, "absent.pkl"))).toThrow(/no such file/);
  });
});
