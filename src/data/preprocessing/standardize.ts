import type { DenseDesignMatrix, FittedParams } from "../dataset.js";
import { DlError, ShapeError } from "../../util/errors.js";
import { unfittedMessage, derive, fittedVector, freshPrefix, toFitted, type Preprocessor } from "./preprocessor.js";

export interface StandardizeOptions {
  /** Subtract one scalar mean over all values instead of per-column means. Default false. */
  global_mean?: boolean;
  /** Divide by one scalar standard deviation instead of per-column ones. Default false. */
  global_std?: boolean;
  /** Added to the standard deviation before dividing. Default 1e-4. */
  std_eps?: number;
}

/**
 * pylearn2's Standardize: X <- (X - mean) / (std_eps + std), mean and std (ddof 0) fitted on the
 * training data, per column unless global_mean / global_std.
 */
export class Standardize implements Preprocessor {
  readonly name = "Standardize";
  private mean: Float64Array | undefined;
  private std: Float64Array | undefined;
  constructor(readonly options: StandardizeOptions = {}) {}

  apply(ds: DenseDesignMatrix, canFit = false): DenseDesignMatrix {
    const n = ds.numExamples;
    const d = ds.dim;
    if (!this.mean) {
      if (!canFit) throw new DlError(unfittedMessage("Standardize"));
      this.fitOn(ds);
    }
    const mean = this.mean!;
    const std = this.std!;
    if (mean.length !== 1 && mean.length !== d) throw new ShapeError(`Standardize was fitted on ${mean.length} features but this dataset has ${d}`);
    if (std.length !== 1 && std.length !== d) throw new ShapeError(`Standardize was fitted on ${std.length} features but this dataset has ${d}`);
    const eps = this.options.std_eps ?? 1e-4;
    const X = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < d; j++) {
        const m = mean.length === 1 ? mean[0] : mean[j];
        const s = std.length === 1 ? std[0] : std[j];
        X[r * d + j] = (ds.X[r * d + j] - m) / (eps + s);
      }
    }
    const p = freshPrefix(ds, "standardize");
    const fitted: FittedParams = { [`${p}_mean`]: toFitted([mean.length], mean), [`${p}_std`]: toFitted([std.length], std) };
    const settings = { global_mean: this.options.global_mean ?? false, global_std: this.options.global_std ?? false, std_eps: eps, prefix: p };
    return derive(ds, { X }, { name: this.name, settings }, fitted);
  }

  private fitOn(ds: DenseDesignMatrix): void {
    const n = ds.numExamples;
    const d = ds.dim;
    const colMean = new Float64Array(d);
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) colMean[j] += ds.X[r * d + j];
    for (let j = 0; j < d; j++) colMean[j] /= n;
    const all = colMean.reduce((a, b) => a + b, 0) / d;
    this.mean = this.options.global_mean ? Float64Array.of(all) : colMean;
    // The standard deviation is taken about the data's own mean (numpy's X.std()), whichever mean is subtracted.
    if (this.options.global_std) {
      let ss = 0;
      for (let i = 0; i < n * d; i++) ss += (ds.X[i] - all) ** 2;
      this.std = Float64Array.of(Math.sqrt(ss / (n * d)));
    } else {
      const ss = new Float64Array(d);
      for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) ss[j] += (ds.X[r * d + j] - colMean[j]) ** 2;
      this.std = ss.map((v) => Math.sqrt(v / n));
    }
  }

  static fromSettings(settings: Record<string, unknown>, fitted: FittedParams): Standardize {
    const s = new Standardize(settings as StandardizeOptions);
    const p = typeof settings.prefix === "string" ? settings.prefix : "standardize";
    s.mean = fittedVector(fitted, `${p}_mean`, "Standardize");
    s.std = fittedVector(fitted, `${p}_std`, "Standardize");
    return s;
  }
}
