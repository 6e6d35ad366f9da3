import { existsSync } from "node:fs";
import { join } from "node:path";
import { DenseDesignMatrix } from "./dataset.js";
import { missingDatasetError, resolveDataDirWithSource, type ResolvedDataDir } from "./data-dir.js";
import { readIdx } from "./idx.js";
import { ConfigError, FileFormatError } from "../util/errors.js";
import { Rng } from "../util/rng.js";

/** The four MNIST files, as published (each may sit in the folder gzipped or not). */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** `<data>/mnist` */
export function mnistFolder(dataDir: string): string {
  return join(dataDir, "mnist");
}

/** The path of `name` in `folder`, uncompressed or `.gz`, or undefined. */
export function findIdxFile(folder: string, name: string): string | undefined {
  for (const candidate of [name, `${name}.gz`]) if (existsSync(join(folder, candidate))) return join(folder, candidate);
  return undefined;
}

export interface MnistOptions {
  which_set: "train" | "test";
  dataDir?: string;
  /** Subtract each pixel's mean over the set. */
  center?: boolean;
  /** Permute the examples (pylearn2's swap loop, seeded [1, 2, 3]). */
  shuffle?: boolean;
  /** Pixels above 0.5 become 1, the rest 0. */
  binarize?: boolean;
  /** Also give one-hot targets (N x 10) besides the labels. */
  one_hot?: boolean;
  start?: number | null;
  stop?: number | null;
}

/**
 * pylearn2's `MNIST(which_set, center, shuffle, binarize, start, stop)`: 28x28x1 images with
 * pixels / 255 in [0, 1], labels 0..9; binarize, centre and shuffle happen on the whole set, in
 * that order, before the [start, stop) slice, as in pylearn2.
 */
export function loadMnist(opts: MnistOptions): DenseDesignMatrix {
  if (opts.which_set !== "train" && opts.which_set !== "test") {
    const hint = String(opts.which_set) === "valid" ? " (MNIST has no validation set: slice the training set with start/stop)" : "";
    throw new ConfigError(`MNIST: which_set must be 'train' or 'test', got '${String(opts.which_set)}'${hint}`);
  }
  const resolved: ResolvedDataDir = opts.dataDir ? { dir: opts.dataDir, source: "--data-dir" } : resolveDataDirWithSource();
  const folder = mnistFolder(resolved.dir);
  const [imgName, lblName] =
    opts.which_set === "train" ? [MNIST_FILES.trainImages, MNIST_FILES.trainLabels] : [MNIST_FILES.testImages, MNIST_FILES.testLabels];
  const imgPath = findIdxFile(folder, imgName);
  const lblPath = findIdxFile(folder, lblName);
  const missing = [imgPath ? undefined : `${imgName}[.gz]`, lblPath ? undefined : `${lblName}[.gz]`].filter((x): x is string => !!x);
  if (missing.length) throw missingDatasetError("MNIST", folder, missing, "dl download-mnist", resolved);
  const images = readIdx(imgPath!);
  const lbls = readIdx(lblPath!);
  if (images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
    throw new FileFormatError(`${imgPath}: expected 28x28 images, found shape ${images.shape.join(" x ")}`);
  }
  if (lbls.shape.length !== 1 || lbls.shape[0] !== images.shape[0]) {
    throw new FileFormatError(`${lblPath}: ${lbls.shape[0]} labels for ${images.shape[0]} images`);
  }
  const m = images.shape[0];
  const d = 784;
  const start = opts.start ?? 0;
  const stop = opts.stop ?? m;
  if (!Number.isInteger(start) || !Number.isInteger(stop) || start < 0 || stop <= start || stop > m) {
    throw new ConfigError(`MNIST: need 0 <= start < stop <= ${m}, got start=${opts.start} stop=${opts.stop}`);
  }
  // Centring and shuffling need the whole set; otherwise only the slice is converted.
  const whole = !!(opts.center || opts.shuffle);
  const [lo, hi] = whole ? [0, m] : [start, stop];
  const X = new Float32Array((hi - lo) * d);
  const src = images.data.subarray(lo * d, hi * d);
  for (let i = 0; i < X.length; i++) X[i] = src[i] / 255;
  const y = Int32Array.from(lbls.data.subarray(lo, hi));
  const rows = hi - lo;
  if (opts.binarize) for (let i = 0; i < X.length; i++) X[i] = X[i] > 0.5 ? 1 : 0;
  if (opts.center) {
    const mean = new Float64Array(d);
    for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) mean[j] += X[r * d + j];
    for (let j = 0; j < d; j++) mean[j] /= rows;
    for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) X[r * d + j] -= mean[j];
  }
  if (opts.shuffle) {
    // pylearn2 swaps each example i with a uniformly drawn j (not Fisher-Yates); same walk, our seeded generator.
    const rng = Rng.fromSeed([1, 2, 3]);
    const tmp = new Float32Array(d);
    for (let i = 0; i < rows; i++) {
      const j = rng.randint(rows);
      tmp.set(X.subarray(i * d, i * d + d));
      X.copyWithin(i * d, j * d, j * d + d);
      X.set(tmp, j * d);
      const t = y[i];
      y[i] = y[j];
      y[j] = t;
    }
  }
  const n = stop - start;
  const off = start - lo;
  const labels = y.slice(off, off + n);
  let targets: Float32Array | undefined;
  if (opts.one_hot) {
    targets = new Float32Array(n * 10);
    for (let i = 0; i < n; i++) targets[i * 10 + labels[i]] = 1;
  }
  let description = `MNIST(${opts.which_set}${opts.binarize ? ", binarized" : ""}${opts.center ? ", centered" : ""}${opts.shuffle ? ", shuffled" : ""})`;
  if (start !== 0 || stop !== m) description += `[${start}:${stop}]`;
  return new DenseDesignMatrix({
    X: off === 0 && n === rows ? X : X.slice(off * d, (off + n) * d),
    numExamples: n,
    dim: d,
    labels,
    numClasses: 10,
    targets,
    targetDim: targets ? 10 : undefined,
    labelNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    view: { rows: 28, cols: 28, channels: 1 },
    description,
  });
}
