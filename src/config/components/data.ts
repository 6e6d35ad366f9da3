import { z } from "zod";
import { component, defineComponent, type AnyComponentDef, type BuildContext } from "../registry.js";
import type { DenseDesignMatrix } from "../../data/dataset.js";
import { loadCifar10 } from "../../data/cifar10.js";
import { loadMnist } from "../../data/mnist.js";
import { loadDigits } from "../../data/digits.js";
import { buildDesignMatrix } from "../../data/design-matrix.js";
import { TransformerDataset } from "../../data/transformer-dataset.js";
import { sineWave } from "../../data/sine-wave.js";
import { dirname } from "node:path";
import {
  Binarize,
  ExtractGridPatches,
  ExtractPatches,
  GlobalContrastNormalization,
  PCA,
  Pipeline,
  SlidingWindow,
  Standardize,
  ZCA,
  ZeroOneScaler,
  type Preprocessor,
} from "../../data/preprocessing/index.js";

/**
 * Datasets and preprocessors for YAML files, with pylearn2's keyword arguments and defaults
 * (pylearn2/datasets/{cifar10,mnist,dense_design_matrix,transformer_dataset,preprocessing}.py).
 * A dataset builds to a DenseDesignMatrix (src/data/dataset.ts); a preprocessor to a
 * Preprocessor (src/data/preprocessing). dl-only classes live under `dl.datasets`.
 */

const DS = "pylearn2.datasets";
const PRE = `${DS}.preprocessing`;

const start = z.number().int().min(0).nullable().default(null).describe("first example kept (null: 0)");
const stop = z.number().int().positive().nullable().default(null).describe("one past the last example kept (null: all)");
const preprocessor = component<Preprocessor>("preprocessor").nullable().default(null).describe("preprocessing applied after loading");
const fitPreprocessor = z.boolean().default(false).describe("let the preprocessor fit itself on this dataset (True for the training set)");
/** dl keeps images channels-last; pylearn2's default axis order is the only one accepted. */
const axes = z
  .array(z.union([z.string(), z.number()]))
  .default(["b", 0, 1, "c"])
  .refine((a) => JSON.stringify(a) === JSON.stringify(["b", 0, 1, "c"]), {
    message: "dl stores images as ['b', 0, 1, 'c'] (channels last); other axis orders are not supported — leave axes out",
  })
  .describe("axis order of the topological view; only ['b', 0, 1, 'c']");
const pair = z.tuple([z.number().int().positive(), z.number().int().positive()]);
const seed = z.union([z.number().int(), z.array(z.number().int())]);

function withPreprocessor(ds: DenseDesignMatrix, p: Preprocessor | null, fit: boolean): DenseDesignMatrix {
  return p ? p.apply(ds, fit) : ds;
}

export const CIFAR10 = defineComponent({
  name: "CIFAR10",
  aliases: [`${DS}.cifar10.CIFAR10`],
  kind: "dataset",
  description: "CIFAR-10 (32x32x3 colour images, 10 classes) from <data>/cifar10/cifar-10-batches-bin; fetch with `dl download-cifar10`.",
  schema: z
    .object({
      which_set: z.enum(["train", "test"]).describe("'train' (50000 images) or 'test' (10000)"),
      center: z.boolean().default(false).describe("subtract 127.5 from every value"),
      rescale: z.boolean().default(false).describe("divide by 127.5 (with center: values in [-1, 1])"),
      gcn: z.number().positive().nullable().default(null).describe("global contrast normalisation with this scale (null: none)"),
      start,
      stop,
      axes,
      toronto_prepro: z
        .literal(false)
        .default(false)
        .describe("not supported by dl (use preprocessor: Standardize or ZeroOneScaler instead)"),
      preprocessor,
      fit_preprocessor: fitPreprocessor,
    })
    .strict(),
  build: (a, ctx: BuildContext) =>
    withPreprocessor(
      loadCifar10({ which_set: a.which_set, dataDir: ctx.dataPath, center: a.center, rescale: a.rescale, gcn: a.gcn, start: a.start, stop: a.stop }),
      a.preprocessor,
      a.fit_preprocessor,
    ),
});

export const MNIST = defineComponent({
  name: "MNIST",
  aliases: [`${DS}.mnist.MNIST`],
  kind: "dataset",
  description: "MNIST (28x28x1 digits in [0, 1], 10 classes) from <data>/mnist; fetch with `dl download-mnist`.",
  schema: z
    .object({
      which_set: z.enum(["train", "test"]).describe("'train' (60000 digits) or 'test' (10000); there is no 'valid'"),
      center: z.boolean().default(false).describe("subtract each pixel's mean over the set"),
      shuffle: z.boolean().default(false).describe("shuffle the examples (seeded [1, 2, 3], as pylearn2)"),
      binarize: z.boolean().default(false).describe("pixels above 0.5 become 1, the rest 0"),
      one_hot: z.boolean().default(false).describe("also provide one-hot targets (N x 10)"),
      start,
      stop,
      axes,
      preprocessor,
      fit_preprocessor: fitPreprocessor,
      fit_test_preprocessor: z.boolean().default(false).describe("accepted for compatibility (pylearn2 uses it for get_test_set)"),
    })
    .strict(),
  build: (a, ctx: BuildContext) =>
    withPreprocessor(
      loadMnist({
        which_set: a.which_set,
        dataDir: ctx.dataPath,
        center: a.center,
        shuffle: a.shuffle,
        binarize: a.binarize,
        one_hot: a.one_hot,
        start: a.start,
        stop: a.stop,
      }),
      a.preprocessor,
      a.fit_preprocessor,
    ),
});

const matrix = z.union([z.array(z.array(z.number())), z.array(z.number()), z.string()]);

export const DenseDesignMatrixDef = defineComponent({
  name: "DenseDesignMatrix",
  aliases: [`${DS}.dense_design_matrix.DenseDesignMatrix`],
  kind: "dataset",
  description: "A dataset from rows written in the YAML, a .npy file, or a dl dataset file.",
  schema: z
    .object({
      X: matrix.describe("rows of numbers, or a path to a .npy file or a dl dataset file (relative to the YAML)"),
      y: matrix.nullable().default(null).describe("labels (with y_labels) or real-valued targets, as rows or a .npy path"),
      y_labels: z.number().int().positive().nullable().default(null).describe("number of classes when y holds integer labels"),
      view: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]).nullable().default(null).describe("[rows, cols, channels] of one example as an image"),
      axes,
      preprocessor,
      fit_preprocessor: fitPreprocessor,
    })
    .strict(),
  build: (a, ctx: BuildContext) =>
    withPreprocessor(
      buildDesignMatrix({ X: a.X, y: a.y, y_labels: a.y_labels, view: a.view, baseDir: dirname(ctx.file) }),
      a.preprocessor,
      a.fit_preprocessor,
    ),
});

export const NpyDataset = defineComponent({
  name: "NpyDataset",
  aliases: [`${DS}.npy_npz.NpyDataset`],
  kind: "dataset",
  description: "A dataset whose examples are the rows of a .npy file (N x D, or N x rows x cols [x channels] for images).",
  schema: z.object({ file: z.string().describe("path of the .npy file (relative to the YAML)"), preprocessor, fit_preprocessor: fitPreprocessor }).strict(),
  build: (a, ctx: BuildContext) => withPreprocessor(buildDesignMatrix({ X: a.file, baseDir: dirname(ctx.file) }), a.preprocessor, a.fit_preprocessor),
});

export const Digits = defineComponent({
  name: "Digits",
  aliases: ["dl.datasets.Digits", "dl.datasets.digits.Digits"],
  kind: "dataset",
  description: "scikit-learn's 8x8 handwritten digits (1797, bundled with dl: works offline); train = first 1500, test = last 297.",
  schema: z
    .object({
      which_set: z.enum(["train", "test", "all"]).default("train").describe("'train' (1500), 'test' (297) or 'all' (1797)"),
      scale: z.boolean().default(true).describe("divide pixels (0..16) by 16 so they lie in [0, 1]"),
      center: z.boolean().default(false).describe("subtract each pixel's mean over the set"),
      start,
      stop,
      preprocessor,
      fit_preprocessor: fitPreprocessor,
    })
    .strict(),
  build: (a) =>
    withPreprocessor(loadDigits({ which_set: a.which_set, scale: a.scale, center: a.center, start: a.start, stop: a.stop }), a.preprocessor, a.fit_preprocessor),
});

export const SineWave = defineComponent({
  name: "SineWave",
  aliases: ["dl.datasets.SineWave"],
  kind: "dataset",
  description: "A 1-D sequence, one step per example: amplitude * sin(2 pi t / period + phase) + noise (for sliding windows).",
  schema: z
    .object({
      length: z.number().int().positive().default(1000).describe("steps in the sequence"),
      period: z.number().positive().default(50).describe("steps per cycle"),
      amplitude: z.number().default(1).describe("peak value"),
      phase: z.number().default(0).describe("phase at step 0, radians"),
      noise: z.number().min(0).default(0).describe("standard deviation of added Gaussian noise"),
      seed: seed.default(0).describe("seed of the noise"),
      preprocessor,
      fit_preprocessor: fitPreprocessor,
    })
    .strict(),
  build: (a) =>
    withPreprocessor(
      sineWave({ length: a.length, period: a.period, amplitude: a.amplitude, phase: a.phase, noise: a.noise, seed: a.seed }),
      a.preprocessor,
      a.fit_preprocessor,
    ),
});

export const TransformerDatasetDef = defineComponent({
  name: "TransformerDataset",
  aliases: [`${DS}.transformer_dataset.TransformerDataset`],
  kind: "dataset",
  description: "A dataset seen through a trained model's encoder (layer-wise stacking): features = transformer.encode(raw).",
  schema: z
    .object({
      raw: component<DenseDesignMatrix>("dataset").describe("the dataset to transform"),
      transformer: component<unknown>("model").describe("a trained model with an encoder, e.g. !pkl: \"dae_l1.pkl\""),
      cpu_only: z.boolean().default(false).describe("accepted for compatibility (dl encodes on the CPU here)"),
      space_preserving: z.boolean().default(false).describe("accepted for compatibility"),
    })
    .strict(),
  build: (a) => new TransformerDataset(a.raw, a.transformer),
});

// ------------------------------------------------------------------------------------------------
// Preprocessors

export const ExtractPatchesDef = defineComponent({
  name: "ExtractPatches",
  aliases: [`${PRE}.ExtractPatches`],
  kind: "preprocessor",
  description: "Random patches of the images (image, row, column drawn uniformly; seeded, so repeatable).",
  schema: z
    .object({
      patch_shape: pair.describe("[rows, cols] of each patch"),
      num_patches: z.number().int().positive().describe("how many patches to draw"),
      rng: seed.nullable().default(null).describe("seed (null: [1, 2, 3], as pylearn2)"),
    })
    .strict(),
  build: (a) => new ExtractPatches({ patch_shape: a.patch_shape, num_patches: a.num_patches, rng: a.rng ?? undefined }),
});

export const ExtractGridPatchesDef = defineComponent({
  name: "ExtractGridPatches",
  aliases: [`${PRE}.ExtractGridPatches`],
  kind: "preprocessor",
  description: "Patches on a regular grid of each image (overlapping when the stride is smaller than the patch).",
  schema: z.object({ patch_shape: pair.describe("[rows, cols] of each patch"), patch_stride: pair.describe("[rows, cols] between patch origins") }).strict(),
  build: (a) => new ExtractGridPatches({ patch_shape: a.patch_shape, patch_stride: a.patch_stride }),
});

export const GlobalContrastNormalizationDef = defineComponent({
  name: "GlobalContrastNormalization",
  aliases: [`${PRE}.GlobalContrastNormalization`],
  kind: "preprocessor",
  description: "Per example: subtract its mean, divide by sqrt(sqrt_bias + var) (use_std) or by its norm, times scale.",
  schema: z
    .object({
      subtract_mean: z.boolean().default(true).describe("subtract each example's mean first"),
      scale: z.number().positive().default(1).describe("multiply the normalised example by this"),
      sqrt_bias: z.number().min(0).default(0).describe("added inside the square root (Coates et al. use 10)"),
      use_std: z.boolean().default(false).describe("divide by the standard deviation (ddof 1) instead of the norm"),
      min_divisor: z.number().positive().default(1e-8).describe("divisors below this are replaced by 1"),
      batch_size: z.number().int().positive().nullable().default(null).describe("accepted for compatibility (dl normalises all rows at once)"),
    })
    .strict(),
  build: (a) =>
    new GlobalContrastNormalization({ subtract_mean: a.subtract_mean, scale: a.scale, sqrt_bias: a.sqrt_bias, use_std: a.use_std, min_divisor: a.min_divisor }),
});

export const ZCADef = defineComponent({
  name: "ZCA",
  aliases: [`${PRE}.ZCA`],
  kind: "preprocessor",
  description: "ZCA whitening: (X - mean) V diag(1/sqrt(eig + filter_bias)) V^T, fitted on the training data; inverse stored.",
  schema: z
    .object({
      n_components: z.number().int().positive().nullable().default(null).describe("keep only this many largest eigen-directions"),
      n_drop_components: z.number().int().positive().nullable().default(null).describe("drop this many smallest eigen-directions"),
      filter_bias: z.number().min(0).default(0.1).describe("added to the covariance's diagonal (regularises small eigenvalues)"),
      store_inverse: z.boolean().default(true).describe("keep the inverse transform (to draw filters unwhitened)"),
    })
    .strict(),
  build: (a) => new ZCA({ n_components: a.n_components, n_drop_components: a.n_drop_components, filter_bias: a.filter_bias, store_inverse: a.store_inverse }),
});

export const PCADef = defineComponent({
  name: "PCA",
  aliases: [`${PRE}.PCA`],
  kind: "preprocessor",
  description: "Projection on the num_components directions of largest variance (optionally whitened), fitted on the training data.",
  schema: z
    .object({
      num_components: z.number().int().positive().describe("components kept"),
      whiten: z.boolean().default(false).describe("divide each component by its standard deviation"),
    })
    .strict(),
  build: (a) => new PCA({ num_components: a.num_components, whiten: a.whiten }),
});

export const StandardizeDef = defineComponent({
  name: "Standardize",
  aliases: [`${PRE}.Standardize`],
  kind: "preprocessor",
  description: "(X - mean) / (std_eps + std), per column (or global), fitted on the training data.",
  schema: z
    .object({
      global_mean: z.boolean().default(false).describe("one mean over all values instead of per column"),
      global_std: z.boolean().default(false).describe("one standard deviation over all values instead of per column"),
      std_eps: z.number().min(0).default(1e-4).describe("added to the standard deviation before dividing"),
    })
    .strict(),
  build: (a) => new Standardize({ global_mean: a.global_mean, global_std: a.global_std, std_eps: a.std_eps }),
});

export const PipelineDef = defineComponent({
  name: "Pipeline",
  aliases: [`${PRE}.Pipeline`],
  kind: "preprocessor",
  description: "Applies its items in order.",
  schema: z.object({ items: z.array(component<Preprocessor>("preprocessor")).default([]).describe("the preprocessors, first applied first") }).strict(),
  build: (a) => new Pipeline(a.items),
});

export const SlidingWindowDef = defineComponent({
  name: "SlidingWindow",
  aliases: ["dl.datasets.preprocessing.SlidingWindow"],
  kind: "preprocessor",
  description: "Windows over a 1-D sequence (rows are steps): size 3 over ABCDE gives ABC, BCD, CDE; predict_next adds next-value targets.",
  schema: z
    .object({
      window_size: z.number().int().positive().describe("steps per window"),
      stride: z.number().int().positive().default(1).describe("steps between window starts"),
      predict_next: z.boolean().default(false).describe("make the step after each window its target"),
    })
    .strict(),
  build: (a) => new SlidingWindow({ window_size: a.window_size, stride: a.stride, predict_next: a.predict_next }),
});

export const BinarizeDef = defineComponent({
  name: "Binarize",
  aliases: ["dl.datasets.preprocessing.Binarize"],
  kind: "preprocessor",
  description: "Values above threshold become 1, the rest 0.",
  schema: z.object({ threshold: z.number().default(0.5).describe("values above this become 1") }).strict(),
  build: (a) => new Binarize({ threshold: a.threshold }),
});

export const ZeroOneScalerDef = defineComponent({
  name: "ZeroOneScaler",
  aliases: ["dl.datasets.preprocessing.ZeroOneScaler"],
  kind: "preprocessor",
  description: "Maps the training data's [min, max] to [0, 1] (globally, or per column).",
  schema: z.object({ per_feature: z.boolean().default(false).describe("one range per column instead of one overall") }).strict(),
  build: (a) => new ZeroOneScaler({ per_feature: a.per_feature }),
});

export const DATA_COMPONENTS: readonly AnyComponentDef[] = [
  CIFAR10,
  MNIST,
  DenseDesignMatrixDef,
  NpyDataset,
  Digits,
  SineWave,
  TransformerDatasetDef,
  ExtractPatchesDef,
  ExtractGridPatchesDef,
  GlobalContrastNormalizationDef,
  ZCADef,
  PCADef,
  StandardizeDef,
  PipelineDef,
  SlidingWindowDef,
  BinarizeDef,
  ZeroOneScalerDef,
];
