import type { DenseDesignMatrix, FittedParams } from "../dataset.js";
import { ConfigError, DlError, ShapeError } from "../../util/errors.js";
import { affineRows, centeredGram, columnMeans } from "../linalg/blocked.js";
import { eighSymmetric } from "../linalg/eigh.js";
import { unfittedMessage, derive, fittedVector, freshPrefix, toFitted, type Preprocessor } from "./preprocessor.js";

export interface ZcaOptions {
  /** Keep only the n_components largest eigenvalues. */
  n_components?: number | null;
  /** Drop the n_drop_components smallest eigenvalues (not together with n_components). */
  n_drop_components?: number | null;
  /** Added to the covariance's diagonal before inverting its square root. pylearn2 default 0.1 (Coates & Ng). */
  filter_bias?: number;
  /** Also keep the inverse transform (needed to draw filters in the unwhitened space). Default true. */
  store_inverse?: boolean;
}

export interface ZcaFit {
  mean: Float64Array;
  /** d x d whitening matrix V diag(1/sqrt(lambda)) V^T. */
  P: Float64Array;
  /** d x d inverse V diag(sqrt(lambda)) V^T, when stored. */
  invP?: Float64Array;
  /** Eigenvalues of the biased covariance that were kept, ascending. */
  eigenvalues: Float64Array;
}

/**
 * Fits ZCA whitening exactly as pylearn2's `ZCA.fit`: mean = column means;
 * C = (X - mean)^T (X - mean) / N + filter_bias I; C = V diag(lambda) V^T (ascending);
 * optionally keep the last n_components or drop the first n_drop_components eigenpairs;
 * P = V diag(lambda^-1/2) V^T and inverse V diag(lambda^1/2) V^T.
 */
export function fitZca(X: Float32Array, n: number, d: number, opts: ZcaOptions = {}): ZcaFit {
  const bias = opts.filter_bias ?? 0.1;
  if (n < 1) throw new ShapeError("ZCA: cannot fit on an empty dataset");
  if (opts.n_components && opts.n_drop_components) {
    throw new ConfigError("ZCA: give either n_components or n_drop_components, not both");
  }
  const mean = columnMeans(X, n, d);
  const C = centeredGram(X, n, d, mean);
  for (let i = 0; i < d * d; i++) C[i] /= n;
  for (let i = 0; i < d; i++) C[i * d + i] += bias;
  const { values, vectors } = eighSymmetric(C, d);
  if (!(values[0] > 0)) {
    throw new DlError(
      `ZCA: the covariance plus filter_bias is not positive definite (smallest eigenvalue ${values[0]}); ` +
        "use a positive filter_bias or drop components with n_drop_components",
    );
  }
  let lo = 0;
  if (opts.n_components) lo = Math.max(0, d - opts.n_components);
  else if (opts.n_drop_components) lo = Math.min(d, opts.n_drop_components);
  const kept = values.slice(lo);
  const P = new Float64Array(d * d);
  const invP = opts.store_inverse === false ? undefined : new Float64Array(d * d);
  // P = sum over kept k of v_k v_k^T / sqrt(lambda_k): accumulate rank-one terms row by row.
  for (let k = lo; k < d; k++) {
    const s = Math.sqrt(values[k]);
    const w = 1 / s;
    for (let i = 0; i < d; i++) {
      const vi = vectors[i * d + k];
      if (vi === 0) continue;
      const row = i * d;
      for (let j = 0; j < d; j++) {
        const vv = vi * vectors[j * d + k];
        P[row + j] += vv * w;
        if (invP) invP[row + j] += vv * s;
      }
    }
  }
  return { mean, P, invP, eigenvalues: kept };
}

export class ZCA implements Preprocessor {
  readonly name = "ZCA";
  private fit: ZcaFit | undefined;

  constructor(readonly options: ZcaOptions = {}) {
    if (options.filter_bias !== undefined && options.filter_bias < 0) {
      throw new ConfigError(`ZCA: filter_bias must be >= 0, got ${options.filter_bias}`);
    }
  }

  get fitted(): ZcaFit | undefined {
    return this.fit;
  }

  apply(ds: DenseDesignMatrix, canFit = false): DenseDesignMatrix {
    if (!this.fit) {
      if (!canFit) throw new DlError(unfittedMessage("ZCA"));
      this.fit = fitZca(ds.X, ds.numExamples, ds.dim, this.options);
    }
    const d = this.fit.mean.length;
    if (ds.dim !== d) throw new ShapeError(`ZCA was fitted on ${d} features but this dataset has ${ds.dim}`);
    const X = affineRows(ds.X, ds.numExamples, d, this.fit.P, d, this.fit.mean);
    // Every output stores the parameters (a test set too), so each dataset file can be unwhitened on its own.
    const p = freshPrefix(ds, "zca");
    const fitted: FittedParams = {};
    fitted[`${p}_mean`] = toFitted([d], this.fit.mean);
    fitted[`${p}_P`] = toFitted([d, d], this.fit.P);
    if (this.fit.invP) fitted[`${p}_inv_P`] = toFitted([d, d], this.fit.invP);
    return derive(ds, { X }, { name: this.name, settings: { ...settingsOf(this.options), prefix: p } }, fitted);
  }

  /** A fitted ZCA from a dataset file's stored parameters. */
  static fromSettings(settings: Record<string, unknown>, fitted: FittedParams): ZCA {
    const z = new ZCA(settings as ZcaOptions);
    const p = typeof settings.prefix === "string" ? settings.prefix : "zca";
    const mean = fittedVector(fitted, `${p}_mean`, "ZCA");
    const d = mean.length;
    const P = fittedVector(fitted, `${p}_P`, "ZCA", d * d);
    const invP = fitted[`${p}_inv_P`] ? fittedVector(fitted, `${p}_inv_P`, "ZCA", d * d) : undefined;
    z.fit = { mean, P, invP, eigenvalues: new Float64Array(0) };
    return z;
  }
}

function settingsOf(o: ZcaOptions): Record<string, unknown> {
  return {
    n_components: o.n_components ?? null,
    n_drop_components: o.n_drop_components ?? null,
    filter_bias: o.filter_bias ?? 0.1,
    store_inverse: o.store_inverse ?? true,
  };
}
