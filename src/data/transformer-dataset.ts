import { DenseDesignMatrix } from "./dataset.js";
import { ConfigError, ShapeError } from "../util/errors.js";

/**
 * What TransformerDataset needs of a trained model: a map from a batch of input rows to a batch of
 * feature rows. Any dl model with an encoder (autoencoders, RBMs: the hidden means) provides it;
 * pylearn2's name `perform` is accepted as well.
 */
export interface Encoder {
  /** X holds n rows of the model's input width; returns n rows of `dim` features. */
  encode(X: Float32Array, n: number): { data: Float32Array; dim: number };
}

type PerformOnly = { perform(X: Float32Array, n: number): { data: Float32Array; dim: number } };

export function isEncoder(x: unknown): x is Encoder | PerformOnly {
  const o = x as Record<string, unknown> | null;
  return !!o && (typeof o.encode === "function" || typeof o.perform === "function");
}

/**
 * pylearn2's TransformerDataset(raw, transformer): `raw` seen through a trained model's encoder,
 * for greedy layer-wise stacking. The features are computed once, in batches, when the dataset is
 * built (the raw data and the frozen encoder do not change during training), so it is a plain
 * DenseDesignMatrix to everything downstream; labels and targets carry over.
 */
export class TransformerDataset extends DenseDesignMatrix {
  readonly raw: DenseDesignMatrix;
  readonly transformer: Encoder | PerformOnly;

  constructor(raw: DenseDesignMatrix, transformer: unknown, opts: { batchSize?: number } = {}) {
    if (!isEncoder(transformer)) {
      throw new ConfigError("TransformerDataset: transformer must be a trained model with an encode (or perform) method, e.g. a dl model file loaded with !pkl:");
    }
    const t = transformer as Partial<Encoder & PerformOnly>;
    const encode = (X: Float32Array, n: number) => (t.encode ? t.encode(X, n) : t.perform!(X, n));
    const batch = Math.max(1, opts.batchSize ?? 1000);
    let out: Float32Array | undefined;
    let dim = 0;
    for (let s = 0; s < raw.numExamples; s += batch) {
      const n = Math.min(batch, raw.numExamples - s);
      const res = encode(raw.rows(s, s + n), n);
      if (!out) {
        dim = res.dim;
        out = new Float32Array(raw.numExamples * dim);
      }
      if (res.dim !== dim || res.data.length !== n * dim) {
        throw new ShapeError(`TransformerDataset: the encoder returned ${res.data.length} values (dim ${res.dim}) for ${n} rows, expected ${n} x ${dim}`);
      }
      out.set(res.data, s * dim);
    }
    super({
      X: out ?? new Float32Array(0),
      numExamples: raw.numExamples,
      dim,
      labels: raw.labels,
      numClasses: raw.numClasses,
      targets: raw.targets,
      targetDim: raw.targetDim,
      labelNames: raw.labelNames,
      // The raw data's fitted preprocessing describes the input space, not these features: not carried over.
      description: `${raw.description} | TransformerDataset`,
    });
    this.raw = raw;
    this.transformer = transformer;
  }
}
