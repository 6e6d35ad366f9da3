import { DenseDesignMatrix } from "./dataset.js";
import { ConfigError, ShapeError } from "../util/errors.js";
import { Tensor } from "../engine/tensor.js";
import { noGrad } from "../engine/context.js";
import { cpuBackend } from "../engine/backends/reference.js";
import { reloadModelOn } from "../models/model-source.js";

/**
 * What TransformerDataset needs of a trained model: a map from a batch of input rows to a batch of
 * feature rows. pylearn2's name `perform` is accepted as well, and so is any dl model (its
 * `encode(X: Tensor): Tensor`: autoencoder codes, RBM hidden means, MLP outputs).
 */
export interface Encoder {
  /** X holds n rows of the model's input width; returns n rows of `dim` features. */
  encode(X: Float32Array, n: number): { data: Float32Array; dim: number };
}

type PerformOnly = { perform(X: Float32Array, n: number): { data: Float32Array; dim: number } };

/** A dl model (src/models/model.ts): `encode` maps a Tensor batch to a Tensor of features. */
type TensorEncoder = { params(): unknown[]; encode(X: Tensor): Tensor };

function isTensorEncoder(x: unknown): x is TensorEncoder {
  const o = x as Record<string, unknown> | null;
  return !!o && typeof o.params === "function" && typeof o.encode === "function";
}

export function isEncoder(x: unknown): x is Encoder | PerformOnly | TensorEncoder {
  const o = x as Record<string, unknown> | null;
  return !!o && (typeof o.encode === "function" || typeof o.perform === "function");
}

/** One calling convention for every kind of transformer: rows in, feature rows out. */
function rowEncoder(t: Encoder | PerformOnly | TensorEncoder, inDim: number): (X: Float32Array, n: number) => { data: Float32Array; dim: number } {
  if (isTensorEncoder(t)) {
    const enc = onHost(t);
    const backend = (enc.params()[0] as Tensor | undefined)?.backend ?? cpuBackend;
    return (X, n) =>
      noGrad(() => {
        const out = enc.encode(Tensor.from(X, [n, inDim], backend));
        const arr = out.toArray();
        return { data: arr instanceof Float32Array ? arr : Float32Array.from(arr), dim: out.shape[1] ?? 1 };
      });
  }
  const a = t as Partial<Encoder & PerformOnly>;
  return (X, n) => (a.encode ? a.encode(X, n) : a.perform!(X, n));
}

/**
 * The transformer itself when its tensors read back synchronously (the CPU); for one on a GPU, the
 * same model read again from its file onto the CPU: the features are computed while the experiment
 * is built, which cannot wait for a GPU readback, and they are the CPU run's features exactly.
 */
function onHost(t: TensorEncoder): TensorEncoder {
  const p = t.params()[0] as Tensor | undefined;
  if (!p || p.backend.syncRead) return t;
  const copy = reloadModelOn(t, cpuBackend) as unknown;
  if (!copy || !isTensorEncoder(copy)) {
    throw new ConfigError(
      "TransformerDataset: its transformer lives on the GPU (--device webgpu) and did not come from a model file, so dl cannot compute " +
        "its features while building the experiment; load it with !pkl: \"model.pkl\" (then it encodes on the CPU) or train with --device cpu",
    );
  }
  return copy;
}

/**
 * pylearn2's TransformerDataset(raw, transformer): `raw` seen through a trained model's encoder,
 * for greedy layer-wise stacking. The features are computed once, in batches, when the dataset is
 * built (the raw data and the frozen encoder do not change during training), so it is a plain
 * DenseDesignMatrix to everything downstream; labels and targets carry over.
 */
export class TransformerDataset extends DenseDesignMatrix {
  readonly raw: DenseDesignMatrix;
  readonly transformer: Encoder | PerformOnly | TensorEncoder;

  constructor(raw: DenseDesignMatrix, transformer: unknown, opts: { batchSize?: number } = {}) {
    if (!isEncoder(transformer)) {
      throw new ConfigError("TransformerDataset: transformer must be a trained model with an encode (or perform) method, e.g. a dl model file loaded with !pkl:");
    }
    const encode = rowEncoder(transformer, raw.dim);
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
