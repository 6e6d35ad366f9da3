import type { DenseDesignMatrix, FittedParams } from "../dataset.js";
import { ConfigError, DlError, ShapeError } from "../../util/errors.js";
import { affineRows, centeredGram, columnMeans } from "../linalg/blocked.js";
import { eighSymmetric } from "../linalg/eigh.js";
import { unfittedMessage, derive, fittedVector, freshPrefix, toFitted, type Preprocessor } from "./preprocessor.js";

export interface PcaOptions {
  /** Components kept, largest variance first. */
  num_components: number;
  /** Divide each component by its standard deviation, so the output has unit variance. Default false. */
  whiten?: boolean;
}

/**
 * Principal component analysis, as pylearn2's PCA preprocessor (CovEigPCA): mean = column means,
 * covariance with N - 1 (numpy.cov), eigenvectors sorted by decreasing eigenvalue; the output is
 * (X - mean) W[:, :k], divided by sqrt(eigenvalue) per component when whitening.
 */
export class PCA implements Preprocessor {
  readonly name = "PCA";
  private mean: Float64Array | undefined;
  /** d x k projection (whitening folded in). */
  private W: Float64Array | undefined;
  private variances: Float64Array | undefined;

  constructor(readonly options: PcaOptions) {
    if (!Number.isInteger(options.num_components) || options.num_components < 1) {
      throw new ConfigError(`PCA: num_components must be a positive integer, got ${options.num_components}`);
    }
  }

  apply(ds: DenseDesignMatrix, canFit = false): DenseDesignMatrix {
    const k = this.options.num_components;
    if (!this.mean) {
      if (!canFit) throw new DlError(unfittedMessage("PCA"));
      if (k > ds.dim) throw new ShapeError(`PCA: num_components ${k} exceeds the data's ${ds.dim} features`);
      if (ds.numExamples < 2) throw new ShapeError("PCA: need at least 2 examples to estimate a covariance");
      this.fitOn(ds);
    }
    const d = this.mean!.length;
    if (ds.dim !== d) throw new ShapeError(`PCA was fitted on ${d} features but this dataset has ${ds.dim}`);
    const X = affineRows(ds.X, ds.numExamples, d, this.W!, k, this.mean);
    const p = freshPrefix(ds, "pca");
    const fitted: FittedParams = {
      [`${p}_mean`]: toFitted([d], this.mean!),
      [`${p}_W`]: toFitted([d, k], this.W!),
      [`${p}_v`]: toFitted([k], this.variances!),
    };
    return derive(
      ds,
      { X, dim: k, view: undefined },
      { name: this.name, settings: { num_components: k, whiten: this.options.whiten ?? false, prefix: p } },
      fitted,
    );
  }

  private fitOn(ds: DenseDesignMatrix): void {
    const n = ds.numExamples;
    const d = ds.dim;
    const k = this.options.num_components;
    const mean = columnMeans(ds.X, n, d);
    const C = centeredGram(ds.X, n, d, mean);
    for (let i = 0; i < C.length; i++) C[i] /= n - 1;
    const { values, vectors } = eighSymmetric(C, d);
    const W = new Float64Array(d * k);
    const v = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const src = d - 1 - c; // descending
      v[c] = values[src];
      const s = this.options.whiten ? 1 / Math.sqrt(values[src]) : 1;
      if (this.options.whiten && !(values[src] > 0)) {
        throw new DlError(`PCA: component ${c} has variance ${values[src]}; cannot whiten it (lower num_components)`);
      }
      for (let i = 0; i < d; i++) W[i * k + c] = vectors[i * d + src] * s;
    }
    this.mean = mean;
    this.W = W;
    this.variances = v;
  }

  static fromSettings(settings: Record<string, unknown>, fitted: FittedParams): PCA {
    const pca = new PCA(settings as unknown as PcaOptions);
    const p = typeof settings.prefix === "string" ? settings.prefix : "pca";
    pca.mean = fittedVector(fitted, `${p}_mean`, "PCA");
    const k = pca.options.num_components;
    pca.W = fittedVector(fitted, `${p}_W`, "PCA", pca.mean.length * k);
    pca.variances = fittedVector(fitted, `${p}_v`, "PCA", k);
    return pca;
  }
}
