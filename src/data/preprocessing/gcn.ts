import type { DenseDesignMatrix } from "../dataset.js";
import { ConfigError } from "../../util/errors.js";
import { derive, type Preprocessor } from "./preprocessor.js";

export interface GcnOptions {
  /** Multiply every normalised example by this. pylearn2 default 1. */
  scale?: number;
  /** Subtract each example's mean over its features first. Default true. */
  subtract_mean?: boolean;
  /** Divide by the example's standard deviation (ddof=1, as MATLAB's var) instead of its vector norm. Default false. */
  use_std?: boolean;
  /** Added inside the square root. Default 0; Coates, Lee & Ng use 10 with use_std. */
  sqrt_bias?: number;
  /** Examples whose divisor is below this are left undivided. Default 1e-8. */
  min_divisor?: number;
}

/**
 * Global contrast normalisation, per example (row) x of D features, as pylearn2's
 * `global_contrast_normalize`:
 *   x <- x - mean(x)                                   (subtract_mean)
 *   s  = sqrt(sqrt_bias + var(x, ddof=1)) / scale      (use_std; ddof=0 when D == 1)
 *   s  = sqrt(sqrt_bias + sum(x^2)) / scale            (otherwise)
 *   x <- x / s, with s replaced by 1 when s < min_divisor.
 * Nothing is fitted: each example is normalised on its own, so train and test are treated alike.
 */
export function globalContrastNormalize(X: Float32Array, n: number, d: number, opts: GcnOptions = {}, out = new Float32Array(n * d)): Float32Array {
  const scale = opts.scale ?? 1;
  const subtractMean = opts.subtract_mean ?? true;
  const useStd = opts.use_std ?? false;
  const sqrtBias = opts.sqrt_bias ?? 0;
  const minDivisor = opts.min_divisor ?? 1e-8;
  if (!(scale >= minDivisor)) {
    throw new ConfigError(`GlobalContrastNormalization: scale (${scale}) must be at least min_divisor (${minDivisor})`);
  }
  const ddof = d === 1 ? 0 : 1; // ddof=1 on a single feature would divide by zero (pylearn2 does the same)
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const base = r * d;
    let mean = 0;
    for (let j = 0; j < d; j++) {
      row[j] = X[base + j];
      mean += row[j];
    }
    mean /= d;
    if (subtractMean) for (let j = 0; j < d; j++) row[j] -= mean;
    let norm: number;
    if (useStd) {
      // The variance is about the mean of the (possibly already centred) row, as numpy's var does.
      let m2 = 0;
      for (let j = 0; j < d; j++) m2 += row[j];
      m2 /= d;
      let ss = 0;
      for (let j = 0; j < d; j++) ss += (row[j] - m2) * (row[j] - m2);
      norm = Math.sqrt(sqrtBias + ss / (d - ddof)) / scale;
    } else {
      let ss = 0;
      for (let j = 0; j < d; j++) ss += row[j] * row[j];
      norm = Math.sqrt(sqrtBias + ss) / scale;
    }
    if (norm < minDivisor) norm = 1;
    for (let j = 0; j < d; j++) out[base + j] = row[j] / norm;
  }
  return out;
}

export class GlobalContrastNormalization implements Preprocessor {
  readonly name = "GlobalContrastNormalization";
  constructor(readonly options: GcnOptions = {}) {}

  apply(ds: DenseDesignMatrix): DenseDesignMatrix {
    const X = globalContrastNormalize(ds.X, ds.numExamples, ds.dim, this.options);
    return derive(ds, { X }, { name: this.name, settings: settingsOf(this.options) });
  }

  static fromSettings(settings: Record<string, unknown>): GlobalContrastNormalization {
    return new GlobalContrastNormalization(settings as GcnOptions);
  }
}

function settingsOf(o: GcnOptions): Record<string, unknown> {
  return {
    scale: o.scale ?? 1,
    subtract_mean: o.subtract_mean ?? true,
    use_std: o.use_std ?? false,
    sqrt_bias: o.sqrt_bias ?? 0,
    min_divisor: o.min_divisor ?? 1e-8,
  };
}
