import { statSync } from "node:fs";
import type { DenseDesignMatrix, PreprocessingRecord } from "./dataset.js";
import { loadDataset } from "./dataset-file.js";

/** What `dl info` reports about a dataset file (also its --json form). */
export interface DatasetInfo {
  kind: "dataset";
  path: string;
  format: "dl-dataset/1";
  bytes: number;
  description: string;
  numExamples: number;
  dim: number;
  view: [number, number, number] | null;
  labels: { numClasses: number | null; names: string[] | null; counts: number[] } | null;
  targetDim: number | null;
  values: { min: number; max: number; mean: number; std: number };
  preprocessing: PreprocessingRecord[];
  fitted: Record<string, number[]>;
}

export function datasetInfo(path: string, ds: DenseDesignMatrix = loadDataset(path)): DatasetInfo {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < ds.X.length; i++) {
    const v = ds.X[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
  }
  const n = ds.X.length || 1;
  const mean = sum / n;
  let labels: DatasetInfo["labels"] = null;
  if (ds.labels) {
    const k = ds.numClasses ?? ds.labels.reduce((a, b) => Math.max(a, b + 1), 0);
    const counts = new Array<number>(k).fill(0);
    for (const l of ds.labels) if (l >= 0 && l < k) counts[l]++;
    labels = { numClasses: ds.numClasses ?? null, names: ds.labelNames ?? null, counts };
  }
  return {
    kind: "dataset",
    path,
    format: "dl-dataset/1",
    bytes: statSync(path).size,
    description: ds.description,
    numExamples: ds.numExamples,
    dim: ds.dim,
    view: ds.view ? [ds.view.rows, ds.view.cols, ds.view.channels] : null,
    labels,
    targetDim: ds.targets ? (ds.targetDim ?? 1) : null,
    values: { min: ds.X.length ? min : 0, max: ds.X.length ? max : 0, mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)) },
    preprocessing: ds.preprocessing,
    fitted: Object.fromEntries(Object.entries(ds.fitted).map(([k, t]) => [k, t.shape])),
  };
}
