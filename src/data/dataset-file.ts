import { DenseDesignMatrix, type DatasetView, type FittedParams, type PreprocessingRecord } from "./dataset.js";
import { readSafetensors, writeSafetensors, type SafeArray } from "../io/safetensors.js";
import { detectFormat } from "../io/model-file.js";
import { FileFormatError } from "../util/errors.js";
import { VERSION } from "../version.js";

/**
 * Dataset files (DESIGN section 2): a safetensors container with `__metadata__.format =
 * "dl-dataset/1"`, tensors `X` (F32, N x D), optional `y` (I32, N) and `targets` (F32, N x T),
 * fitted preprocessing parameters as `fitted.<name>` (F32), and metadata `view` (JSON
 * [rows, cols, channels], channels last), `description`, `label_names` (JSON list),
 * `num_classes`, `preprocessing` (JSON list of {name, settings, fitted}). Python reads it with
 * `safetensors.numpy.load_file`.
 */
export const DATASET_FORMAT = "dl-dataset/1";

/** Writes `ds` to `path` atomically (temp file + rename), whatever the extension (`.pkl` is fine). */
export function saveDataset(path: string, ds: DenseDesignMatrix): void {
  const tensors: Record<string, { shape: number[]; data: SafeArray }> = {
    X: { shape: [ds.numExamples, ds.dim], data: ds.X },
  };
  if (ds.labels) tensors.y = { shape: [ds.numExamples], data: ds.labels };
  if (ds.targets) tensors.targets = { shape: [ds.numExamples, ds.targetDim ?? 1], data: ds.targets };
  for (const [name, t] of Object.entries(ds.fitted)) tensors[`fitted.${name}`] = { shape: t.shape, data: t.data };
  const metadata: Record<string, string> = {
    format: DATASET_FORMAT,
    class: "DenseDesignMatrix",
    dl_version: VERSION,
    description: ds.description,
    preprocessing: JSON.stringify(ds.preprocessing),
  };
  if (ds.view) {
    metadata.view = JSON.stringify([ds.view.rows, ds.view.cols, ds.view.channels]);
    metadata.axes = JSON.stringify(["b", 0, 1, "c"]);
  }
  if (ds.numClasses !== undefined) metadata.num_classes = String(ds.numClasses);
  if (ds.labelNames) metadata.label_names = JSON.stringify(ds.labelNames);
  writeSafetensors(path, tensors, metadata);
}

/** Reads a dataset file written by `saveDataset`; a model or foreign file is a FileFormatError that says what it is. */
export function loadDataset(path: string): DenseDesignMatrix {
  const format = detectFormat(path);
  if (format !== DATASET_FORMAT) {
    throw new FileFormatError(`${path} is a ${format === "dl-model/1" ? "model" : "checkpoint"} file, not a dataset (expected ${DATASET_FORMAT})`);
  }
  const { tensors, metadata } = readSafetensors(path);
  const bad = (why: string) => new FileFormatError(`${path}: damaged dataset file: ${why}`);
  const X = tensors.get("X");
  if (!X || !(X.data instanceof Float32Array) || X.shape.length !== 2) throw bad("tensor X (float32, N x D) is missing or malformed");
  const [n, d] = X.shape;
  const y = tensors.get("y");
  if (y && (!(y.data instanceof Int32Array) || y.data.length !== n)) throw bad(`tensor y must be ${n} int32 labels`);
  const targets = tensors.get("targets");
  if (targets && (!(targets.data instanceof Float32Array) || targets.shape[0] !== n)) throw bad(`tensor targets must be float32 with ${n} rows`);
  const fitted: FittedParams = {};
  for (const [name, t] of tensors) {
    if (!name.startsWith("fitted.")) continue;
    if (!(t.data instanceof Float32Array)) throw bad(`fitted parameter ${name} is not float32`);
    fitted[name.slice("fitted.".length)] = { shape: t.shape, data: t.data };
  }
  const json = <T>(key: string): T | undefined => {
    if (metadata[key] === undefined) return undefined;
    try {
      return JSON.parse(metadata[key]) as T;
    } catch {
      throw bad(`metadata ${key} is not valid JSON`);
    }
  };
  const v = json<[number, number, number]>("view");
  let view: DatasetView | undefined;
  if (v) {
    if (!Array.isArray(v) || v.length !== 3 || v[0] * v[1] * v[2] !== d) throw bad(`view ${JSON.stringify(v)} does not match ${d} features`);
    view = { rows: v[0], cols: v[1], channels: v[2] };
  }
  const numClasses = metadata.num_classes !== undefined ? Number(metadata.num_classes) : undefined;
  return new DenseDesignMatrix({
    X: X.data,
    numExamples: n,
    dim: d,
    labels: y?.data as Int32Array | undefined,
    numClasses,
    targets: targets?.data as Float32Array | undefined,
    targetDim: targets ? (targets.shape[1] ?? 1) : undefined,
    view,
    description: metadata.description,
    fitted,
    labelNames: json<string[]>("label_names"),
    preprocessing: json<PreprocessingRecord[]>("preprocessing") ?? [],
  });
}
