import type { DenseDesignMatrix, FittedParams } from "../dataset.js";
import { DlError, ShapeError } from "../../util/errors.js";
import { unfittedMessage, derive, fittedVector, freshPrefix, toFitted, type Preprocessor } from "./preprocessor.js";

/** Values above `threshold` become 1, the rest 0 (MNIST's `binarize` uses 0.5 on [0, 1] pixels). */
export class Binarize implements Preprocessor {
  readonly name = "Binarize";
  constructor(readonly options: { threshold?: number } = {}) {}

  apply(ds: DenseDesignMatrix): DenseDesignMatrix {
    const t = this.options.threshold ?? 0.5;
    const X = new Float32Array(ds.X.length);
    for (let i = 0; i < X.length; i++) X[i] = ds.X[i] > t ? 1 : 0;
    return derive(ds, { X }, { name: this.name, settings: { threshold: t } });
  }
}

export interface ZeroOneScalerOptions {
  /** Scale each column by its own range instead of one range over all values. Default false. */
  per_feature?: boolean;
}

/**
 * Maps the training data's [min, max] onto [0, 1]: X <- (X - min) / (max - min), the range fitted
 * on the training data (per column with per_feature); a constant column maps to 0.
 */
export class ZeroOneScaler implements Preprocessor {
  readonly name = "ZeroOneScaler";
  private min: Float64Array | undefined;
  private max: Float64Array | undefined;
  constructor(readonly options: ZeroOneScalerOptions = {}) {}

  apply(ds: DenseDesignMatrix, canFit = false): DenseDesignMatrix {
    const n = ds.numExamples;
    const d = ds.dim;
    if (!this.min) {
      if (!canFit) throw new DlError(unfittedMessage("ZeroOneScaler"));
      const w = this.options.per_feature ? d : 1;
      const lo = new Float64Array(w).fill(Infinity);
      const hi = new Float64Array(w).fill(-Infinity);
      for (let r = 0; r < n; r++)
        for (let j = 0; j < d; j++) {
          const v = ds.X[r * d + j];
          const c = w === 1 ? 0 : j;
          if (v < lo[c]) lo[c] = v;
          if (v > hi[c]) hi[c] = v;
        }
      this.min = lo;
      this.max = hi;
    }
    const lo = this.min;
    const hi = this.max!;
    if (lo.length !== 1 && lo.length !== d) throw new ShapeError(`ZeroOneScaler was fitted on ${lo.length} features but this dataset has ${d}`);
    const X = new Float32Array(n * d);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < d; j++) {
        const c = lo.length === 1 ? 0 : j;
        const range = hi[c] - lo[c];
        X[r * d + j] = range > 0 ? (ds.X[r * d + j] - lo[c]) / range : 0;
      }
    const p = freshPrefix(ds, "scaler");
    const fitted: FittedParams = { [`${p}_min`]: toFitted([lo.length], lo), [`${p}_max`]: toFitted([hi.length], hi) };
    return derive(ds, { X }, { name: this.name, settings: { per_feature: this.options.per_feature ?? false, prefix: p } }, fitted);
  }

  static fromSettings(settings: Record<string, unknown>, fitted: FittedParams): ZeroOneScaler {
    const s = new ZeroOneScaler(settings as ZeroOneScalerOptions);
    const p = typeof settings.prefix === "string" ? settings.prefix : "scaler";
    s.min = fittedVector(fitted, `${p}_min`, "ZeroOneScaler");
    s.max = fittedVector(fitted, `${p}_max`, "ZeroOneScaler", s.min.length);
    return s;
  }
}
