import { describe, expect, it } from "vitest";
import { DenseDesignMatrix } from "../dataset.js";
import { Rng } from "../../util/rng.js";
import {
  Binarize,
  ExtractGridPatches,
  ExtractPatches,
  GlobalContrastNormalization,
  PCA,
  Pipeline,
  SlidingWindow,
  Standardize,
  ZCA,
  ZeroOneScaler,
  restorePipeline,
} from "./index.js";

/** n images rows x cols x ch where value = 1000*img + 100*row + 10*col + channel: every value says where it came from. */
function coded(n: number, rows: number, cols: number, ch: number, labels = true): DenseDesignMatrix {
  const dim = rows * cols * ch;
  const X = new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) for (let k = 0; k < ch; k++) X[i * dim + (r * cols + c) * ch + k] = 1000 * i + 100 * r + 10 * c + k;
  return new DenseDesignMatrix({
    X,
    numExamples: n,
    dim,
    view: { rows, cols, channels: ch },
    labels: labels ? Int32Array.from({ length: n }, (_, i) => i % 3) : undefined,
    numClasses: labels ? 3 : undefined,
  });
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

describe("ExtractPatches", () => {
  it("copies whole patches with every channel from valid positions, and drops labels", () => {
    const ds = coded(5, 6, 7, 3);
    const out = new ExtractPatches({ patch_shape: [2, 3], num_patches: 200, rng: 5 }).apply(ds);
    expect(out.numExamples).toBe(200);
    expect(out.dim).toBe(18);
    expect(out.view).toEqual({ rows: 2, cols: 3, channels: 3 });
    expect(out.labels).toBeUndefined();
    const seenRows = new Set<number>();
    const seenCols = new Set<number>();
    for (let p = 0; p < 200; p++) {
      const v0 = out.X[p * 18];
      const img = Math.floor(v0 / 1000);
      const r0 = Math.floor((v0 % 1000) / 100);
      const c0 = Math.floor((v0 % 100) / 10);
      expect(r0).toBeLessThanOrEqual(6 - 2);
      expect(c0).toBeLessThanOrEqual(7 - 3);
      seenRows.add(r0);
      seenCols.add(c0);
      for (let r = 0; r < 2; r++)
        for (let c = 0; c < 3; c++)
          for (let k = 0; k < 3; k++) expect(out.X[p * 18 + (r * 3 + c) * 3 + k]).toBe(1000 * img + 100 * (r0 + r) + 10 * (c0 + c) + k);
    }
    // Every valid offset is drawn (5 row offsets, 5 column offsets).
    expect(seenRows.size).toBe(5);
    expect(seenCols.size).toBe(5);
  });

  it("is deterministic for a seed and differs across seeds", () => {
    const ds = coded(20, 8, 8, 1, false);
    const a = new ExtractPatches({ patch_shape: [3, 3], num_patches: 50, rng: [1, 2, 3] }).apply(ds);
    const again = new ExtractPatches({ patch_shape: [3, 3], num_patches: 50 }).apply(ds); // default seed is [1, 2, 3]
    const other = new ExtractPatches({ patch_shape: [3, 3], num_patches: 50, rng: 4 }).apply(ds);
    expect(Array.from(again.X)).toEqual(Array.from(a.X));
    expect(Array.from(other.X)).not.toEqual(Array.from(a.X));
    // Applying the same object twice restarts its generator, as pylearn2 copies its start rng.
    const p = new ExtractPatches({ patch_shape: [3, 3], num_patches: 50 });
    expect(Array.from(p.apply(ds).X)).toEqual(Array.from(p.apply(ds).X));
  });

  it("rejects patches larger than the images and data without a view", () => {
    expect(() => new ExtractPatches({ patch_shape: [9, 2], num_patches: 1 }).apply(coded(1, 8, 8, 1))).toThrow(/does not fit in 8x8/);
    const flat = new DenseDesignMatrix({ X: new Float32Array(4), numExamples: 1, dim: 4 });
    expect(() => new ExtractPatches({ patch_shape: [2, 2], num_patches: 1 }).apply(flat)).toThrow(/no view/);
  });
});

describe("ExtractGridPatches", () => {
  it("walks a strided grid image by image, row then column, repeating labels", () => {
    const ds = coded(2, 5, 5, 1);
    // size 5, patch 3, stride 2: origins 0 and 2 on each axis -> 4 patches per image.
    const out = new ExtractGridPatches({ patch_shape: [3, 3], patch_stride: [2, 2] }).apply(ds);
    expect(out.numExamples).toBe(8);
    const origins = Array.from({ length: 8 }, (_, p) => out.X[p * 9]);
    expect(origins).toEqual([0, 20, 200, 220, 1000, 1020, 1200, 1220]);
    expect(Array.from(out.labels!)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    // Overlap: patch 0's last column is patch 1's first column.
    expect(out.X[2]).toBe(out.X[9]);
  });

  it("drops positions that would run past the edge", () => {
    const out = new ExtractGridPatches({ patch_shape: [2, 2], patch_stride: [2, 2] }).apply(coded(1, 5, 5, 2));
    expect(out.numExamples).toBe(4); // floor((5-2)/2)+1 = 2 per axis
  });
});

describe("SlidingWindow", () => {
  const seq = new DenseDesignMatrix({ X: Float32Array.from([1, 2, 3, 4, 5]), numExamples: 5, dim: 1 }); // A..E

  it("size 3 stride 1 over ABCDE gives ABC, BCD, CDE", () => {
    const out = new SlidingWindow({ window_size: 3 }).apply(seq);
    expect(out.numExamples).toBe(3);
    expect(Array.from(out.X)).toEqual([1, 2, 3, 2, 3, 4, 3, 4, 5]);
    expect(out.targets).toBeUndefined();
  });

  it("predict_next gives window -> next value targets", () => {
    const out = new SlidingWindow({ window_size: 3, predict_next: true }).apply(seq);
    expect(Array.from(out.X)).toEqual([1, 2, 3, 2, 3, 4]);
    expect(Array.from(out.targets!)).toEqual([4, 5]);
    expect(out.targetDim).toBe(1);
  });

  it("strides and multi-feature steps", () => {
    const two = new DenseDesignMatrix({ X: Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40, 5, 50]), numExamples: 5, dim: 2 });
    const out = new SlidingWindow({ window_size: 2, stride: 2 }).apply(two);
    expect(Array.from(out.X)).toEqual([1, 10, 2, 20, 3, 30, 4, 40]);
    expect(() => new SlidingWindow({ window_size: 5, predict_next: true }).apply(seq)).toThrow(/too short/);
  });
});

describe("PCA", () => {
  const rng = new Rng(21);
  const n = 400;
  const d = 4;
  // Independent columns with standard deviations 4, 3, 2, 1 plus offsets, then a fixed rotation.
  const X = new Float32Array(n * d);
  const theta = 0.6;
  for (let r = 0; r < n; r++) {
    const z = [8, 3, 2, 1].map((s) => s * rng.normal());
    X[r * d] = Math.cos(theta) * z[0] - Math.sin(theta) * z[1] + 7;
    X[r * d + 1] = Math.sin(theta) * z[0] + Math.cos(theta) * z[1] - 2;
    X[r * d + 2] = z[2];
    X[r * d + 3] = z[3];
  }
  const ds = new DenseDesignMatrix({ X, numExamples: n, dim: d });

  it("projects on decreasing-variance orthogonal directions; output variances are the eigenvalues", () => {
    const out = new PCA({ num_components: 3 }).apply(ds, true);
    expect(out.dim).toBe(3);
    const v = out.fitted.pca_v.data;
    expect(v[0]).toBeGreaterThan(v[1]);
    expect(v[1]).toBeGreaterThan(v[2]);
    // Sample covariance (N - 1) of the output is diag(v).
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += out.X[r * 3 + i] * out.X[r * 3 + j];
        expect(s / (n - 1) / v[0]).toBeCloseTo(i === j ? v[i] / v[0] : 0, 4);
      }
    // The first direction is the rotated first axis (up to sign).
    const W = out.fitted.pca_W.data;
    expect(Math.abs(W[0 * 3])).toBeCloseTo(Math.cos(theta), 1);
    expect(Math.abs(W[1 * 3])).toBeCloseTo(Math.sin(theta), 1);
  });

  it("whitening gives unit variances; the fitted projection reapplies to new data", () => {
    const pca = new PCA({ num_components: 2, whiten: true });
    const out = pca.apply(ds, true);
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += out.X[r * 2 + c] ** 2;
      expect(s / (n - 1)).toBeCloseTo(1, 4);
    }
    // Stored parameters are float32, so the rebuilt step agrees to float32 precision.
    const again = restorePipeline(out).apply(ds, false);
    expect(maxRelDiff(again.X, out.X)).toBeLessThan(1e-5);
  });
});

describe("Standardize, Binarize, ZeroOneScaler", () => {
  const ds = new DenseDesignMatrix({ X: Float32Array.from([1, 10, 3, 30, 5, 50]), numExamples: 3, dim: 2 });

  it("Standardize divides by std_eps + the column std (ddof 0)", () => {
    const out = new Standardize().apply(ds, true);
    // column 0: mean 3, std sqrt(8/3)
    const s0 = Math.sqrt(8 / 3);
    expect(out.X[0]).toBeCloseTo(-2 / (1e-4 + s0), 6);
    expect(out.X[4]).toBeCloseTo(2 / (1e-4 + s0), 6);
    const glob = new Standardize({ global_mean: true, global_std: true, std_eps: 0 }).apply(ds, true);
    let m = 0;
    let ss = 0;
    for (const v of glob.X) m += v / 6;
    for (const v of glob.X) ss += (v - m) ** 2 / 6;
    expect(m).toBeCloseTo(0, 6);
    expect(ss).toBeCloseTo(1, 5);
  });

  it("Binarize thresholds and ZeroOneScaler maps the training range to [0, 1]", () => {
    expect(Array.from(new Binarize({ threshold: 4 }).apply(ds).X)).toEqual([0, 1, 0, 1, 1, 1]);
    const scaler = new ZeroOneScaler();
    expect(Array.from(scaler.apply(ds, true).X)).toEqual([0, 9 / 49, 2 / 49, 29 / 49, 4 / 49, 1].map(Math.fround));
    const perCol = new ZeroOneScaler({ per_feature: true }).apply(ds, true);
    expect(Array.from(perCol.X)).toEqual([0, 0, 0.5, 0.5, 1, 1]);
    // Test data outside the training range is not clipped.
    const test = new DenseDesignMatrix({ X: Float32Array.from([99, 0]), numExamples: 1, dim: 2 });
    expect(scaler.apply(test, false).X[0]).toBeCloseTo(2, 5);
  });
});

describe("Pipeline and restorePipeline", () => {
  it("chains steps, records them, and rebuilds the fitted chain for new data", () => {
    const rng = new Rng(9);
    const imgs = new DenseDesignMatrix({
      X: Float32Array.from({ length: 30 * 6 * 6 * 3 }, () => rng.uniform() * 255),
      numExamples: 30,
      dim: 108,
      view: { rows: 6, cols: 6, channels: 3 },
    });
    const pipe = new Pipeline([
      new ExtractPatches({ patch_shape: [3, 3], num_patches: 500 }),
      new GlobalContrastNormalization({ sqrt_bias: 10, use_std: true }),
      new ZCA(),
    ]);
    const out = pipe.apply(imgs, true);
    expect(out.preprocessing.map((r) => r.name)).toEqual(["ExtractPatches", "GlobalContrastNormalization", "ZCA"]);
    expect(out.preprocessing[2].fitted).toEqual(["zca_mean", "zca_P", "zca_inv_P"]);
    expect(out.description).toContain("ExtractPatches | GlobalContrastNormalization | ZCA");
    // The rebuilt chain reproduces the training output exactly (same seed, same fitted ZCA).
    const again = restorePipeline(out).apply(imgs, false);
    expect(maxRelDiff(again.X, out.X)).toBeLessThan(1e-5);
    // Skipping patch extraction applies GCN + the fitted ZCA to patches we already have.
    const tail = restorePipeline(out, { from: 1 });
    expect(tail.items.map((i) => i.name)).toEqual(["GlobalContrastNormalization", "ZCA"]);
    expect(() => restorePipeline({ preprocessing: [{ name: "ZCAA", settings: {} }], fitted: {} })).toThrow(/Did you mean `ZCA`/);
  });
});
