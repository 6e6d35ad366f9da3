import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { DenseDesignMatrix } from "./dataset.js";
import { missingDatasetError, resolveDataDirWithSource, type ResolvedDataDir } from "./data-dir.js";
import { globalContrastNormalize } from "./preprocessing/gcn.js";
import { ConfigError, FileFormatError } from "../util/errors.js";

/**
 * CIFAR-10 in its binary form (`cifar-10-batches-bin`): each record is 3073 bytes, a label byte
 * 0..9 then the 32x32 red, green and blue planes, row-major. dl keeps images channels-last, so a
 * row of the design matrix is 32 x 32 x 3 interleaved (pixel (r, c) at (r*32 + c)*3 + channel).
 */
export const CIFAR10_LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
export const CIFAR10_RECORD_BYTES = 3073;
export const CIFAR10_IMAGE_VALUES = 3072;
export const CIFAR10_TRAIN_FILES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
export const CIFAR10_TEST_FILE = "test_batch.bin";
/** The first 1000 test records (all that ../shared/data holds): used when the full test batch is absent. */
export const CIFAR10_TEST_PREFIX_FILE = "test_batch_first1000.bin";

/** `<data>/cifar10/cifar-10-batches-bin` */
export function cifar10Folder(dataDir: string): string {
  return join(dataDir, "cifar10", "cifar-10-batches-bin");
}

/**
 * Reads records [first, first + count) of a batch file (all of it by default) into channels-last
 * uint8 images and int32 labels, checking size and labels.
 */
export function readCifar10Records(path: string, first = 0, count?: number): { images: Uint8Array; labels: Int32Array } {
  const total = cifar10RecordCount(path);
  const n = count ?? total - first;
  if (first < 0 || n < 0 || first + n > total) throw new RangeError(`${path}: records ${first}..${first + n} out of 0..${total}`);
  const raw = Buffer.allocUnsafe(n * CIFAR10_RECORD_BYTES);
  const fd = openSync(path, "r");
  try {
    let got = 0;
    while (got < raw.length) {
      const k = readSync(fd, raw, got, raw.length - got, first * CIFAR10_RECORD_BYTES + got);
      if (k === 0) throw new FileFormatError(`${path}: file ended early`);
      got += k;
    }
  } finally {
    closeSync(fd);
  }
  const images = new Uint8Array(n * CIFAR10_IMAGE_VALUES);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const rec = i * CIFAR10_RECORD_BYTES;
    const label = raw[rec];
    if (label > 9) throw new FileFormatError(`${path}: record ${first + i} has label ${label}; CIFAR-10 labels are 0..9 (not a CIFAR-10 file?)`);
    labels[i] = label;
    const out = i * CIFAR10_IMAGE_VALUES;
    // Planes R, G, B of 1024 pixels each -> interleaved RGB.
    for (let p = 0; p < 1024; p++) {
      images[out + p * 3] = raw[rec + 1 + p];
      images[out + p * 3 + 1] = raw[rec + 1 + 1024 + p];
      images[out + p * 3 + 2] = raw[rec + 1 + 2048 + p];
    }
  }
  return { images, labels };
}

/** Records in a batch file, checking that its size is a whole number of records. */
export function cifar10RecordCount(path: string): number {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new FileFormatError(`${path}: no such file`);
  }
  if (size % CIFAR10_RECORD_BYTES !== 0) {
    throw new FileFormatError(
      `${path} is not a CIFAR-10 binary batch: ${size} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records (truncated download?)`,
    );
  }
  return size / CIFAR10_RECORD_BYTES;
}

export interface Cifar10Options {
  which_set: "train" | "test";
  /** Data folder; default resolved as DESIGN says. */
  dataDir?: string;
  /** Subtract 127.5 from every value. */
  center?: boolean;
  /** Divide by 127.5 (after centring: values in [-1, 1]). */
  rescale?: boolean;
  /** Global contrast normalisation with this scale (pylearn2's `gcn`), or none. */
  gcn?: number | null;
  start?: number | null;
  stop?: number | null;
}

/**
 * pylearn2's `CIFAR10(which_set, center, rescale, gcn, start, stop)`: float32 values 0..255
 * (then centred / rescaled / contrast-normalised as asked), labels 0..9, view 32x32x3. Only the
 * batches that [start, stop) touches are read.
 */
export function loadCifar10(opts: Cifar10Options): DenseDesignMatrix {
  if (opts.which_set !== "train" && opts.which_set !== "test") {
    throw new ConfigError(`CIFAR10: which_set must be 'train' or 'test', got '${String(opts.which_set)}'`);
  }
  const resolved: ResolvedDataDir = opts.dataDir ? { dir: opts.dataDir, source: "--data-dir" } : resolveDataDirWithSource();
  const folder = cifar10Folder(resolved.dir);
  let files: string[];
  let description = `CIFAR10(${opts.which_set})`;
  if (opts.which_set === "train") {
    files = CIFAR10_TRAIN_FILES;
    const missing = files.filter((f) => !existsSync(join(folder, f)));
    if (missing.length) throw missingDatasetError("CIFAR-10", folder, missing, "dl download-cifar10", resolved);
  } else if (existsSync(join(folder, CIFAR10_TEST_FILE))) {
    files = [CIFAR10_TEST_FILE];
  } else if (existsSync(join(folder, CIFAR10_TEST_PREFIX_FILE))) {
    files = [CIFAR10_TEST_PREFIX_FILE];
    description = "CIFAR10(test, first 1000 records only)";
  } else {
    throw missingDatasetError("CIFAR-10 test set", folder, [CIFAR10_TEST_FILE], "dl download-cifar10", resolved);
  }
  const counts = files.map((f) => cifar10RecordCount(join(folder, f)));
  const total = counts.reduce((a, b) => a + b, 0);
  const start = opts.start ?? 0;
  const stop = opts.stop ?? total;
  if (!Number.isInteger(start) || !Number.isInteger(stop) || start < 0 || stop <= start || stop > total) {
    throw new ConfigError(`CIFAR10: need 0 <= start < stop <= ${total} (the ${opts.which_set} set's size), got start=${opts.start} stop=${opts.stop}`);
  }
  const n = stop - start;
  const X = new Float32Array(n * CIFAR10_IMAGE_VALUES);
  const labels = new Int32Array(n);
  let offset = 0; // index of the first record of the current file within the set
  let filled = 0;
  for (let f = 0; f < files.length; f++) {
    const lo = Math.max(start, offset);
    const hi = Math.min(stop, offset + counts[f]);
    if (lo < hi) {
      const { images, labels: l } = readCifar10Records(join(folder, files[f]), lo - offset, hi - lo);
      const base = filled * CIFAR10_IMAGE_VALUES;
      for (let i = 0; i < images.length; i++) X[base + i] = images[i];
      labels.set(l, filled);
      filled += hi - lo;
    }
    offset += counts[f];
  }
  if (opts.center) for (let i = 0; i < X.length; i++) X[i] -= 127.5;
  if (opts.rescale) for (let i = 0; i < X.length; i++) X[i] /= 127.5;
  if (opts.gcn !== undefined && opts.gcn !== null) globalContrastNormalize(X, n, CIFAR10_IMAGE_VALUES, { scale: opts.gcn }, X);
  if (start !== 0 || stop !== total) description += `[${start}:${stop}]`;
  return new DenseDesignMatrix({
    X,
    numExamples: n,
    dim: CIFAR10_IMAGE_VALUES,
    labels,
    numClasses: 10,
    labelNames: CIFAR10_LABEL_NAMES,
    view: { rows: 32, cols: 32, channels: 3 },
    description,
  });
}
