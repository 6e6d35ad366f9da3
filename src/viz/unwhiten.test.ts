import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeSafetensors } from "../io/safetensors.js";
import { readZcaInverse, resolveDatasetPath, unwhitenTransform } from "./unwhiten.js";

const dir = mkdtempSync(join(tmpdir(), "dl-unwhiten-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("unwhiten", () => {
  it("reads fitted.zca_inv_P without the design matrix and maps f to f @ inv_P", () => {
    const path = join(dir, "data.pkl");
    // inv_P = [[1, 2, 0], [0, 1, 0], [3, 0, 1]] (row-major); f = [1, -1, 2] -> f @ inv_P = [1 + 6, 2 - 1, 2] = [7, 1, 2].
    writeSafetensors(
      path,
      {
        X: { shape: [2, 3], data: new Float32Array(6) },
        "fitted.zca_inv_P": { shape: [3, 3], data: Float32Array.from([1, 2, 0, 0, 1, 0, 3, 0, 1]) },
        "fitted.zca_mean": { shape: [3], data: Float32Array.from([5, 5, 5]) },
      },
      { format: "dl-dataset/1" },
    );
    const z = readZcaInverse(path);
    expect(z.dim).toBe(3);
    expect(Array.from(unwhitenTransform(z, "W")(Float64Array.from([1, -1, 2])))).toEqual([7, 1, 2]);
    expect(() => unwhitenTransform(z, "W")(new Float64Array(4))).toThrow(/filters of 4 values but the ZCA .* is 3 x 3/);
  });

  it("a dataset without ZCA is a clear error naming what it has", () => {
    const path = join(dir, "plain.pkl");
    writeSafetensors(path, { X: { shape: [1, 2], data: new Float32Array(2) }, "fitted.gcn_scale": { shape: [1], data: new Float32Array(1) } }, { format: "dl-dataset/1" });
    expect(() => readZcaInverse(path)).toThrow(/was not ZCA-whitened \(no fitted\.zca_inv_P; its fitted preprocessing: fitted\.gcn_scale\)/);
  });

  it("finds the dataset as recorded, or beside the model; says so when it has no record", () => {
    writeSafetensors(join(dir, "beside.pkl"), { X: { shape: [1], data: new Float32Array(1) } }, { format: "dl-dataset/1" });
    expect(resolveDatasetPath(join(dir, "model.pkl"), { dataset_path: "beside.pkl" })).toBe(join(dir, "beside.pkl"));
    expect(() => resolveDatasetPath("model.pkl", {})).toThrow(/does not record its dataset \(metadata key dataset_path\)/);
    expect(() => resolveDatasetPath(join(dir, "model.pkl"), { dataset_path: "gone.pkl" })).toThrow(/gone\.pkl .*no such file/);
  });
});
