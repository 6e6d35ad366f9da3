import { Tensor, defaultBackend } from "../engine/index.js";
import type { DenseDesignMatrix } from "../data/dataset.js";
import type { Batch } from "../models/model.js";
import type { BatchSelection } from "./iterator.js";

/**
 * Copies the rows a selection names out of a dataset into a Batch: X (b x dim), and when the data
 * has them, labels (integers and one-hot y) and real-valued targets.
 */
export function makeBatch(ds: DenseDesignMatrix, sel: BatchSelection): Batch {
  const slice = !(sel instanceof Int32Array);
  const size = slice ? sel.stop - sel.start : sel.length;
  const shape = [size, ds.dim];
  // A backend that keeps its own copy of the dataset (a GPU) cuts the batch there.
  const be = defaultBackend();
  const onDevice = be.datasetRows?.(ds.X, ds.dim, sel);
  const X = onDevice ? new Tensor(onDevice, shape, be)
    : slice ? Tensor.from(ds.rows(sel.start, sel.stop), shape) : Tensor.fromFill(shape, (out) => ds.gatherRows(sel, out));
  const batch: Batch = { X, size };
  if (ds.labels) {
    const labels = slice ? ds.labels.slice(sel.start, sel.stop) : Int32Array.from(sel, (i) => ds.labels![i]);
    batch.labels = labels;
    if (ds.numClasses !== undefined) {
      const y = onDevice ? be.datasetOneHot?.(ds.labels, ds.numClasses, sel) : null;
      batch.y = y ? new Tensor(y, [size, ds.numClasses], be) : Tensor.oneHot(labels, ds.numClasses);
    }
  }
  if (ds.targets) {
    const t = ds.targetDim ?? 1;
    const data = slice
      ? ds.targets.subarray(sel.start * t, sel.stop * t)
      : (() => {
          const out = new Float32Array(size * t);
          for (let i = 0; i < size; i++) out.set(ds.targets!.subarray(sel[i] * t, sel[i] * t + t), i * t);
          return out;
        })();
    batch.targets = Tensor.from(data, [size, t]);
  }
  return batch;
}
