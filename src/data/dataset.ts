/**
 * The dataset contract every part of dl shares: a dense design matrix of float32 examples (one
 * row each), optional integer class labels, and the view that says how a row is an image.
 */

/** How one row is laid out as an image: rows x cols x channels, row-major with channels last ("b01c"). */
export interface DatasetView {
  rows: number;
  cols: number;
  channels: number;
}

/** Parameters a fitted preprocessor stored, by name (e.g. `zca_mean`, `zca_P`, `zca_inv_P`). */
export type FittedParams = Record<string, { shape: number[]; data: Float32Array }>;

/**
 * One preprocessing step that made a dataset, as stored in its file: the step's class name, its
 * settings (JSON), and the names of the `fitted` entries it owns, so the same fitted pipeline can
 * be rebuilt and applied to new data (see `restorePipeline` in src/data/preprocessing).
 */
export interface PreprocessingRecord {
  name: string;
  settings: Record<string, unknown>;
  fitted?: string[];
}

export interface DenseDesignMatrixInit {
  X: Float32Array;
  numExamples: number;
  dim: number;
  /** Class labels 0..numClasses-1, one per example. */
  labels?: Int32Array;
  numClasses?: number;
  /** Real-valued targets (numExamples x targetDim), for regression-style data such as sliding windows. */
  targets?: Float32Array;
  targetDim?: number;
  view?: DatasetView;
  /** What made this data, e.g. `CIFAR10(train) | ExtractPatches | GCN | ZCA`. */
  description?: string;
  fitted?: FittedParams;
  labelNames?: string[];
  /** The preprocessing steps applied so far, oldest first. */
  preprocessing?: PreprocessingRecord[];
}

export class DenseDesignMatrix {
  readonly X: Float32Array;
  readonly numExamples: number;
  readonly dim: number;
  readonly labels?: Int32Array;
  readonly numClasses?: number;
  readonly targets?: Float32Array;
  readonly targetDim?: number;
  readonly view?: DatasetView;
  readonly description: string;
  readonly fitted: FittedParams;
  readonly labelNames?: string[];
  readonly preprocessing: PreprocessingRecord[];

  constructor(init: DenseDesignMatrixInit) {
    if (init.X.length !== init.numExamples * init.dim) {
      throw new Error(`DenseDesignMatrix: X has ${init.X.length} values, expected ${init.numExamples} x ${init.dim}`);
    }
    if (init.labels && init.labels.length !== init.numExamples) {
      throw new Error(`DenseDesignMatrix: ${init.labels.length} labels for ${init.numExamples} examples`);
    }
    if (init.targets && init.targets.length !== init.numExamples * (init.targetDim ?? 1)) {
      throw new Error(
        `DenseDesignMatrix: targets have ${init.targets.length} values, expected ${init.numExamples} x ${init.targetDim ?? 1}`,
      );
    }
    if (init.view && init.view.rows * init.view.cols * init.view.channels !== init.dim) {
      throw new Error(
        `DenseDesignMatrix: view ${init.view.rows}x${init.view.cols}x${init.view.channels} does not match dim ${init.dim}`,
      );
    }
    this.X = init.X;
    this.numExamples = init.numExamples;
    this.dim = init.dim;
    this.labels = init.labels;
    this.numClasses = init.numClasses;
    this.targets = init.targets;
    this.targetDim = init.targetDim;
    this.view = init.view;
    this.description = init.description ?? "DenseDesignMatrix";
    this.fitted = init.fitted ?? {};
    this.labelNames = init.labelNames;
    this.preprocessing = init.preprocessing ?? [];
  }

  /** Copies rows `idx` (in order) into `out` (idx.length x dim). */
  gatherRows(idx: ArrayLike<number>, out: Float32Array = new Float32Array(idx.length * this.dim)): Float32Array {
    const d = this.dim;
    for (let i = 0; i < idx.length; i++) out.set(this.X.subarray(idx[i] * d, idx[i] * d + d), i * d);
    return out;
  }

  /** Rows [start, stop) as a view without copying. */
  rows(start: number, stop: number): Float32Array {
    return this.X.subarray(start * this.dim, stop * this.dim);
  }
}
