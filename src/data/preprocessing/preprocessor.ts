import { DenseDesignMatrix, type DenseDesignMatrixInit, type FittedParams, type PreprocessingRecord } from "../dataset.js";
import { ShapeError } from "../../util/errors.js";

/**
 * A preprocessing step with pylearn2's semantics: `apply(ds, canFit)` returns the transformed
 * dataset; a data-driven step (ZCA, PCA, Standardize...) fits itself on the first dataset it sees
 * with `canFit` true and keeps those parameters, so applying the same object to a test set reuses
 * the training statistics. Datasets are immutable, so `apply` returns a new one.
 */
export interface Preprocessor {
  /** pylearn2 class name, e.g. `ZCA`. */
  readonly name: string;
  apply(ds: DenseDesignMatrix, canFit?: boolean): DenseDesignMatrix;
}

/** A new dataset from `ds` with `changes`, the step's record appended and its fitted tensors added. */
export function derive(
  ds: DenseDesignMatrix,
  changes: Partial<DenseDesignMatrixInit>,
  record: PreprocessingRecord,
  fitted: FittedParams = {},
): DenseDesignMatrix {
  const base: DenseDesignMatrixInit = {
    X: ds.X,
    numExamples: ds.numExamples,
    dim: ds.dim,
    labels: ds.labels,
    numClasses: ds.numClasses,
    targets: ds.targets,
    targetDim: ds.targetDim,
    view: ds.view,
    description: ds.description,
    fitted: ds.fitted,
    labelNames: ds.labelNames,
    preprocessing: ds.preprocessing,
  };
  const next = { ...base, ...changes };
  next.fitted = { ...ds.fitted, ...fitted };
  next.preprocessing = [...ds.preprocessing, { ...record, ...(Object.keys(fitted).length ? { fitted: Object.keys(fitted) } : {}) }];
  next.description = `${ds.description} | ${record.name}`;
  return new DenseDesignMatrix(next);
}

/**
 * The first of `base`, `base_2`, `base_3`... that no fitted entry of `ds` uses yet, so two ZCA
 * steps in one pipeline keep separate parameters (`zca_mean`, `zca_2_mean`).
 */
export function freshPrefix(ds: DenseDesignMatrix, base: string): string {
  const used = (p: string) => Object.keys(ds.fitted).some((k) => k.startsWith(`${p}_`) && !/^\d/.test(k.slice(p.length + 1)));
  if (!used(base)) return base;
  for (let i = 2; ; i++) if (!used(`${base}_${i}`)) return `${base}_${i}`;
}

/** The dataset's view, or a ShapeError saying which step needs one. */
export function requireView(ds: DenseDesignMatrix, step: string): NonNullable<DenseDesignMatrix["view"]> {
  if (!ds.view) {
    throw new ShapeError(
      `${step} needs image-shaped data, but ${ds.description} has no view (rows x cols x channels); ` +
        "give the dataset a view (e.g. DenseDesignMatrix's `view: [8, 8, 1]`) or drop the step",
    );
  }
  return ds.view;
}

/** float64 copy of a fitted tensor, or an error naming what is missing (a damaged or foreign dataset file). */
export function fittedVector(fitted: FittedParams, name: string, step: string, length?: number): Float64Array {
  const t = fitted[name];
  if (!t) throw new ShapeError(`${step}: the fitted parameter \`${name}\` is missing from the dataset's stored parameters`);
  if (length !== undefined && t.data.length !== length) {
    throw new ShapeError(`${step}: fitted parameter \`${name}\` has ${t.data.length} values, expected ${length}`);
  }
  return Float64Array.from(t.data);
}

export function toFitted(shape: number[], data: ArrayLike<number>): { shape: number[]; data: Float32Array } {
  return { shape, data: Float32Array.from(data) };
}

/** The error for a data-driven step asked to transform data before it was fitted. */
export function unfittedMessage(step: string): string {
  return (
    `${step} has not been fitted and may not fit on this dataset (can_fit is false): apply it to the training data first ` +
    "with fitting allowed (in YAML, fit_preprocessor: True on the training set; in make-dataset, the pipeline fits on its dataset)"
  );
}
