import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { loadCifar10, readCifar10Records } from "./cifar10.js";
import { loadMnist } from "./mnist.js";
import { DIGITS_COUNT, loadDigits } from "./digits.js";
import { parseNpy } from "./npy.js";
import { buildDesignMatrix } from "./design-matrix.js";
import { TransformerDataset } from "./transformer-dataset.js";
import { DenseDesignMatrix } from "./dataset.js";
import { saveDataset } from "./dataset-file.js";
import { parseIdx } from "./idx.js";
import { Autoencoder } from "../models/autoencoder.js";

/** ../shared/data beside the repository, laid out as a dl data folder already (cifar10 needs a link, see below). */
const SHARED = resolve(import.meta.dirname, "../../../shared/data");
const tmp = mkdtempSync(join(tmpdir(), "dl-readers-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A dl data folder whose cifar10/ and mnist/ point at the shared copies (no 150 MB copy). */
function sharedDataDir(): string {
  const dir = join(tmp, "data");
  if (!existsSync(dir)) {
    mkdirSync(join(dir, "cifar10"), { recursive: true });
    symlinkSync(join(SHARED, "cifar-10", "cifar-10-batches-bin"), join(dir, "cifar10", "cifar-10-batches-bin"));
    symlinkSync(join(SHARED, "mnist"), join(dir, "mnist"));
  }
  return dir;
}

describe("CIFAR-10 reader", () => {
  const dataDir = sharedDataDir();

  it("matches the known first record: label 6 (frog), red pixels 59, 43, 50, 68, 98", () => {
    const ds = loadCifar10({ which_set: "train", dataDir, start: 0, stop: 3 });
    expect(ds.labels![0]).toBe(6);
    expect(ds.labelNames![6]).toBe("frog");
    // channels last: red values are every third value
    expect([0, 1, 2, 3, 4].map((p) => ds.X[p * 3])).toEqual([59, 43, 50, 68, 98]);
    expect(ds.view).toEqual({ rows: 32, cols: 32, channels: 3 });
    expect(ds.dim).toBe(3072);
    // green/blue come from the second and third planes of the record
    const raw = readFileSync(join(SHARED, "cifar-10/cifar-10-batches-bin/data_batch_1.bin"));
    expect(ds.X[1]).toBe(raw[1 + 1024]);
    expect(ds.X[2]).toBe(raw[1 + 2048]);
    expect(ds.X[(31 * 32 + 31) * 3 + 2]).toBe(raw[3072]);
  });

  it("reads slices that span batch files, and the test prefix; has the published class balance", () => {
    const ds = loadCifar10({ which_set: "train", dataDir, start: 9998, stop: 10002 });
    const b1 = readCifar10Records(join(dataDir, "cifar10/cifar-10-batches-bin/data_batch_1.bin"), 9998, 2);
    const b2 = readCifar10Records(join(dataDir, "cifar10/cifar-10-batches-bin/data_batch_2.bin"), 0, 2);
    expect(Array.from(ds.labels!)).toEqual([...b1.labels, ...b2.labels]);
    expect(ds.X[2 * 3072 + 5]).toBe(b2.images[5]);
    const test = loadCifar10({ which_set: "test", dataDir });
    expect(test.numExamples).toBe(1000);
    expect(test.labels![0]).toBe(3); // cat
    expect([0, 1, 2].map((p) => test.X[p * 3])).toEqual([158, 159, 165]);
    expect(test.description).toContain("first 1000");
    const counts = new Array(10).fill(0);
    for (const l of readCifar10Records(join(dataDir, "cifar10/cifar-10-batches-bin/data_batch_1.bin")).labels) counts[l]++;
    expect(counts).toEqual([1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]);
  });

  it("centres, rescales and contrast-normalises like pylearn2", () => {
    const ds = loadCifar10({ which_set: "train", dataDir, start: 0, stop: 1, center: true, rescale: true });
    expect(ds.X[0]).toBeCloseTo((59 - 127.5) / 127.5, 6);
    const g = loadCifar10({ which_set: "train", dataDir, start: 0, stop: 1, gcn: 55 });
    let ss = 0;
    let m = 0;
    for (const v of g.X) m += v / 3072;
    for (const v of g.X) ss += v * v;
    expect(m).toBeCloseTo(0, 4);
    expect(Math.sqrt(ss)).toBeCloseTo(55, 2); // norm-based GCN with scale 55
  });

  it("errors name the folder searched and the fetch command; bad files are reported", () => {
    expect(() => loadCifar10({ which_set: "train", dataDir: join(tmp, "empty") })).toThrow(
      /CIFAR-10 not found: .*empty\/cifar10\/cifar-10-batches-bin has no data_batch_1\.bin.*dl download-cifar10/,
    );
    expect(() => loadCifar10({ which_set: "valid" as "train", dataDir })).toThrow(/which_set must be 'train' or 'test'/);
    expect(() => loadCifar10({ which_set: "train", dataDir, start: 5, stop: 60001 })).toThrow(/start < stop <= 50000/);
    const badDir = join(tmp, "bad", "cifar10", "cifar-10-batches-bin");
    mkdirSync(badDir, { recursive: true });
    writeFileSync(join(badDir, "test_batch.bin"), Buffer.alloc(3000));
    expect(() => loadCifar10({ which_set: "test", dataDir: join(tmp, "bad") })).toThrow(/not a whole number of 3073-byte records/);
  });
});

describe("MNIST reader", () => {
  const dataDir = sharedDataDir();

  it("reads gzip IDX files: first training label 5, pixels / 255, view 28x28x1", () => {
    const ds = loadMnist({ which_set: "train", dataDir, start: 0, stop: 100 });
    expect(ds.labels![0]).toBe(5);
    expect(ds.view).toEqual({ rows: 28, cols: 28, channels: 1 });
    const raw = gunzipSync(readFileSync(join(SHARED, "mnist/train-images-idx3-ubyte.gz")));
    expect(ds.X[150]).toBeCloseTo(raw[16 + 150] / 255, 7);
    let max = 0;
    for (const v of ds.X) max = Math.max(max, v);
    expect(max).toBe(1);
  });

  it("reads uncompressed files too, with test counts, one-hot, binarize and centre", () => {
    const dir = join(tmp, "plain");
    mkdirSync(join(dir, "mnist"), { recursive: true });
    for (const f of ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]) {
      writeFileSync(join(dir, "mnist", f), gunzipSync(readFileSync(join(SHARED, "mnist", `${f}.gz`))));
    }
    const test = loadMnist({ which_set: "test", dataDir: dir, one_hot: true, binarize: true });
    expect(test.numExamples).toBe(10000);
    const counts = new Array(10).fill(0);
    for (const l of test.labels!) counts[l]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(Array.from(test.targets!.subarray(0, 10))).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]); // first test digit is 7
    expect(new Set(test.X).size).toBe(2);
    const centred = loadMnist({ which_set: "test", dataDir: dir, center: true });
    let colSum = 0;
    for (let r = 0; r < 10000; r++) colSum += centred.X[r * 784 + 300];
    expect(Math.abs(colSum / 10000)).toBeLessThan(1e-5);
    expect(() => loadMnist({ which_set: "train", dataDir: dir })).toThrow(/has no train-images-idx3-ubyte\[\.gz\].*dl download-mnist/);
    expect(() => loadMnist({ which_set: "valid" as "train", dataDir: dir })).toThrow(/no validation set/);
  });

  it("shuffle is a deterministic permutation of the same examples", () => {
    const a = loadMnist({ which_set: "test", dataDir, shuffle: true });
    const b = loadMnist({ which_set: "test", dataDir, shuffle: true });
    expect(Array.from(a.labels!.subarray(0, 50))).toEqual(Array.from(b.labels!.subarray(0, 50)));
    const counts = new Array(10).fill(0);
    for (const l of a.labels!) counts[l]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(a.labels![0] !== 7 || a.labels![1] !== 2 || a.labels![2] !== 1).toBe(true);
  });

  it("rejects truncated IDX data", () => {
    const buf = Buffer.from([0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3]);
    expect(() => parseIdx(buf, "x")).toThrow(/promises 5 = 5 values but the file holds 3/);
  });
});

describe("Digits reader (bundled scikit-learn digits)", () => {
  it("has 1797 images with the documented class counts; train/test split and scaling", () => {
    const all = loadDigits({ which_set: "all", scale: false });
    expect(all.numExamples).toBe(DIGITS_COUNT);
    const counts = new Array(10).fill(0);
    for (const l of all.labels!) counts[l]++;
    expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(Array.from(all.labels!.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(all.X.subarray(0, 8))).toEqual([0, 0, 5, 13, 9, 1, 0, 0]);
    const train = loadDigits();
    const test = loadDigits({ which_set: "test" });
    expect(train.numExamples + test.numExamples).toBe(1797);
    expect(train.X[2]).toBeCloseTo(5 / 16, 7);
    expect(test.labels![0]).toBe(all.labels![train.numExamples]);
    expect(train.view).toEqual({ rows: 8, cols: 8, channels: 1 });
  });
});

describe(".npy and DenseDesignMatrix", () => {
  // Written by numpy 1.x: np.save(arange(24.).reshape(2,3,4)), uint8 [[1,2],[3,255]], big-endian int64 [5,-6,7].
  const f8 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAPA/AAAAAAAAAEAAAAAAAAAIQAAAAAAAABBAAAAAAAAAFEAAAAAAAAAYQAAAAAAAABxAAAAAAAAAIEAAAAAAAAAiQAAAAAAAACRAAAAAAAAAJkAAAAAAAAAoQAAAAAAAACpAAAAAAAAALEAAAAAAAAAuQAAAAAAAADBAAAAAAAAAMUAAAAAAAAAyQAAAAAAAADNAAAAAAAAANEAAAAAAAAA1QAAAAAAAADZAAAAAAAAAN0A=";
  const u1 = "k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAgP/";
  const i8 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPmk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAABf/////////6AAAAAAAAAAc=";

  it("parses numpy's own files", () => {
    const a = parseNpy(Buffer.from(f8, "base64"));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(Array.from(parseNpy(Buffer.from(u1, "base64")).data)).toEqual([1, 2, 3, 255]);
    expect(Array.from(parseNpy(Buffer.from(i8, "base64")).data)).toEqual([5, -6, 7]);
    expect(() => parseNpy(Buffer.from(u1, "base64").subarray(0, 130), "t.npy")).toThrow(/t\.npy.*truncated/);
  });

  it("builds from rows, from .npy (view from the array's shape) and from a dataset file", () => {
    const rows = buildDesignMatrix({ X: [[1, 2], [3, 4], [5, 6]], y: [0, 1, 1], y_labels: 2 });
    expect(rows.numExamples).toBe(3);
    expect(Array.from(rows.labels!)).toEqual([0, 1, 1]);
    const reg = buildDesignMatrix({ X: [1, 2, 3], y: [[0.5], [1.5], [2.5]] });
    expect(reg.dim).toBe(1);
    expect(Array.from(reg.targets!)).toEqual([0.5, 1.5, 2.5]);
    writeFileSync(join(tmp, "x.npy"), Buffer.from(f8, "base64"));
    const npy = buildDesignMatrix({ X: "x.npy", baseDir: tmp });
    expect(npy.dim).toBe(12);
    expect(npy.view).toEqual({ rows: 3, cols: 4, channels: 1 });
    const saved = join(tmp, "saved.pkl");
    saveDataset(saved, rows);
    const back = buildDesignMatrix({ X: saved });
    expect(Array.from(back.X)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(back.labels!)).toEqual([0, 1, 1]);
    expect(() => buildDesignMatrix({ X: [[1, 2], [3]] })).toThrow(/row 1 has 1 values, row 0 has 2/);
    expect(() => buildDesignMatrix({ X: [[1], [2]], y: [0, 3], y_labels: 2 })).toThrow(/label 1 is 3/);
    expect(() => buildDesignMatrix({ X: [[1, 2]], view: [1, 1, 3] })).toThrow(/view 1x1x3/);
  });
});

describe("TransformerDataset", () => {
  it("encodes the raw rows in batches through any object with encode(), keeping labels", () => {
    const raw = new DenseDesignMatrix({
      X: Float32Array.from({ length: 10 * 3 }, (_, i) => i),
      numExamples: 10,
      dim: 3,
      labels: Int32Array.from({ length: 10 }, (_, i) => i % 2),
      numClasses: 2,
    });
    const calls: number[] = [];
    // A stand-in "model": feature = (sum of the row, first value * 2).
    const encoder = {
      encode(X: Float32Array, n: number) {
        calls.push(n);
        const data = new Float32Array(n * 2);
        for (let r = 0; r < n; r++) {
          data[r * 2] = X[r * 3] + X[r * 3 + 1] + X[r * 3 + 2];
          data[r * 2 + 1] = X[r * 3] * 2;
        }
        return { data, dim: 2 };
      },
    };
    const ds = new TransformerDataset(raw, encoder, { batchSize: 4 });
    expect(calls).toEqual([4, 4, 2]);
    expect(ds.dim).toBe(2);
    expect(Array.from(ds.X.subarray(0, 4))).toEqual([3, 0, 12, 6]);
    expect(Array.from(ds.labels!)).toEqual(Array.from(raw.labels!));
    expect(() => new TransformerDataset(raw, { W: 1 })).toThrow(/encode \(or perform\) method/);
  });

  it("accepts a dl model (Tensor encode): features are sigmoid(x W + b) of the autoencoder", () => {
    const digits = loadDigits({ stop: 7 });
    const ae = new Autoencoder({ nvis: 64, nhid: 5, actEnc: "sigmoid", actDec: null, irange: 0.5, seed: 3 });
    const ds = new TransformerDataset(digits, ae, { batchSize: 3 });
    expect(ds.dim).toBe(5);
    const W = ae.weights.toArray();
    const b = ae.hidbias.toArray();
    for (const [r, j] of [[0, 0], [6, 4]]) {
      let z = b[j];
      for (let i = 0; i < 64; i++) z += digits.X[r * 64 + i] * W[i * 5 + j];
      expect(ds.X[r * 5 + j]).toBeCloseTo(1 / (1 + Math.exp(-z)), 5);
    }
  });
});
