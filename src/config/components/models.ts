import { z } from "zod";
import { component, defineComponent, type AnyComponentDef } from "../registry.js";
import { buildRBM } from "../../models/rbm.js";
import { buildGaussianBinaryRBM } from "../../models/grbm.js";
import { GRBM_TYPE_1 } from "../../models/grbm-energy.js";
import { Autoencoder as AutoencoderModel, autoencoderOptions } from "../../models/autoencoder.js";
import { DenoisingAutoencoder as DenoisingAutoencoderModel } from "../../models/dae.js";
import { ContractiveAutoencoder as ContractiveAutoencoderModel } from "../../models/cae.js";
import * as corruption from "../../models/corruptors.js";
import * as mlp from "../../models/mlp-build.js";

/**
 * Models, MLP layers, spaces, energy functions and corruptors. Keyword arguments and defaults follow
 * pylearn2's constructors (models/{rbm,autoencoder,mlp,maxout}.py, space/__init__.py, corruption.py);
 * `None` defaults are `null`. LpPooling, LocallyConnected and SVM are dl's own layers (no pylearn2 class).
 * Build functions are attached by src/models and src/nn as they land.
 */

const M = "pylearn2.models";
const posInt = () => z.number().int().positive();
/** pylearn2's sparse_init: nonzero weights per unit; 0 starts every weight at zero (the dropout paper's softmax). */
const sparseInit = () => z.number().int().min(0).nullable().default(null);
const pair = () => z.tuple([posInt(), posInt()]);
const rng = () =>
  z
    .union([z.number().int(), z.array(z.number().int())])
    .nullable()
    .describe("seed for parameter initialisation (null: dl's default seed)");

// --- models -----------------------------------------------------------------------------------

const rbmCommon = {
  nvis: posInt().nullable().default(null).describe("number of visible units (or give vis_space)"),
  nhid: posInt().nullable().default(null).describe("number of hidden units (or give hid_space)"),
  vis_space: component("space").nullable().default(null).describe("space of the visible units"),
  hid_space: component("space").nullable().default(null).describe("space of the hidden units"),
  transformer: z.null().default(null).describe("accepted for compatibility; must be null (dl uses a dense W)"),
  irange: z.number().min(0).default(0.5).describe("W ~ U(-irange, irange)"),
  init_bias_hid: z.union([z.number(), z.array(z.number())]).default(0).describe("initial hidden biases (scalar or one per unit)"),
};

/** pylearn2 requires nvis or vis_space, and nhid or hid_space. */
const rbmSizes = <T extends { nvis: unknown; vis_space: unknown; nhid: unknown; hid_space: unknown }>(s: z.ZodType<T>) =>
  s
    .refine((a) => a.nvis !== null || a.vis_space !== null, { message: "give nvis (or vis_space)", path: ["nvis"] })
    .refine((a) => a.nhid !== null || a.hid_space !== null, { message: "give nhid (or hid_space)", path: ["nhid"] });

export const RBM = defineComponent({
  name: "RBM",
  aliases: [`${M}.rbm.RBM`],
  kind: "model",
  description: "Binary-binary restricted Boltzmann machine.",
  schema: rbmSizes(
    z
      .object({
        ...rbmCommon,
        rng: rng().default(null),
        init_bias_vis: z.union([z.number(), z.array(z.number())]).nullable().default(null).describe("initial visible biases (null: 0)"),
        init_bias_vis_marginals: component("dataset").nullable().default(null).describe("set visible biases from this dataset's marginals"),
        base_lr: z.number().positive().default(1e-3).describe("learning rate of the model's own (legacy) trainer"),
        anneal_start: z.number().int().positive().nullable().default(null).describe("legacy annealing start"),
        nchains: posInt().default(100).describe("persistent chains for sampling"),
        sml_gibbs_steps: posInt().default(1).describe("Gibbs steps per update for SML"),
        random_patches_src: component("dataset").nullable().default(null).describe("initialise W from random patches of this dataset"),
        monitor_reconstruction: z.boolean().default(false).describe("add a reconstruction-error channel"),
      })
      .strict(),
  ),
  build: (a) => buildRBM(a),
});

export const GaussianBinaryRBM = defineComponent({
  name: "GaussianBinaryRBM",
  aliases: [`${M}.rbm.GaussianBinaryRBM`],
  kind: "model",
  description: "RBM with Gaussian visible and binary hidden units; scalar or learned sigma (grbm_type_1 energy).",
  schema: rbmSizes(
    z
      .object({
        energy_function_class: component("energy").describe("the energy parameterisation, e.g. grbm_type_1"),
        ...rbmCommon,
        rng: rng().default(null),
        mean_vis: z.boolean().default(false).describe("return the mean instead of sampling visibles"),
        init_sigma: z.number().positive().default(2).describe("initial sigma (standard deviation of the visibles)"),
        learn_sigma: z.boolean().default(false).describe("learn sigma (otherwise fixed at init_sigma)"),
        sigma_lr_scale: z.number().positive().default(1).describe("sigma = sigma_driver * sigma_lr_scale: scales sigma's steps"),
        min_sigma: z.number().positive().default(0.1).describe("lower clip of sigma during learning"),
        max_sigma: z.number().positive().default(10).describe("upper clip of sigma during learning"),
      })
      .strict()
      .refine((a) => a.min_sigma <= a.max_sigma, { message: "min_sigma must be <= max_sigma", path: ["min_sigma"] }),
  ),
  build: (a) => buildGaussianBinaryRBM(a),
});

const activation = () =>
  z
    .enum(["sigmoid", "tanh", "softplus", "relu", "linear"])
    .nullable()
    .describe("elementwise activation: sigmoid, tanh, softplus, relu, linear (null: linear)");

const autoencoderFields = {
  nvis: posInt().describe("input size"),
  nhid: posInt().describe("hidden units"),
  act_enc: activation(),
  act_dec: activation(),
  tied_weights: z.boolean().default(false).describe("decode with the transpose of the encoder's W"),
  irange: z.number().min(0).default(1e-3).describe("W ~ U(-irange, irange)"),
  istdev: z.number().positive().nullable().default(null).describe("W ~ N(0, istdev^2) instead of uniform"),
  rng: rng().default(9001),
};

export const Autoencoder = defineComponent({
  name: "Autoencoder",
  aliases: [`${M}.autoencoder.Autoencoder`],
  kind: "model",
  description: "Autoencoder: h = act_enc(xW + b), r = act_dec(hW' + b') (tied or untied).",
  schema: z.object(autoencoderFields).strict(),
  build: (a) => new AutoencoderModel(autoencoderOptions(a)),
});

export const DenoisingAutoencoder = defineComponent({
  name: "DenoisingAutoencoder",
  aliases: [`${M}.autoencoder.DenoisingAutoencoder`],
  kind: "model",
  description: "Autoencoder trained to reconstruct x from a corrupted copy.",
  schema: z.object({ corruptor: component<corruption.Corruptor>("corruptor").describe("the corruption process"), ...autoencoderFields }).strict(),
  build: (a) => new DenoisingAutoencoderModel(a.corruptor, autoencoderOptions(a)),
});

export const ContractiveAutoencoder = defineComponent({
  name: "ContractiveAutoencoder",
  aliases: [`${M}.autoencoder.ContractiveAutoencoder`],
  kind: "model",
  description: "Autoencoder with a penalty on the encoder Jacobian's Frobenius norm (elementwise act_enc).",
  schema: z.object(autoencoderFields).strict(),
  build: (a) => new ContractiveAutoencoderModel(autoencoderOptions(a)),
});

/**
 * pylearn2's push_monitor(model, name): the model as it is, its monitor set aside under `name` (for
 * MatchChannel) and a new one started. `dl train` reads the arguments from the YAML (src/train/run.ts);
 * building just passes the model through.
 */
export const PushMonitor = defineComponent({
  name: "push_monitor",
  aliases: ["pylearn2.monitor.push_monitor"],
  kind: "model",
  description: "A saved model (!pkl:) trained further with a new monitor; its old monitor is kept under `name` (for MatchChannel).",
  schema: z
    .object({
      model: component("model").describe("the saved model, e.g. !pkl: \"stage0_best.pkl\""),
      name: z.string().describe("the name the old monitor is kept under"),
      transfer_experience: z.boolean().default(false).describe("the new monitor's batch, example and epoch counts go on from the old one's"),
      save_records: z.boolean().default(false).describe("the new monitor starts with the old one's records"),
    })
    .strict(),
  build: (a) => a.model,
});

export const MLP = defineComponent({
  name: "MLP",
  aliases: [`${M}.mlp.MLP`],
  kind: "model",
  description: "Multilayer perceptron: a stack of layers applied in order.",
  schema: z
    .object({
      layers: z.array(component("layer")).min(1).describe("the layers, input to output"),
      batch_size: posInt().nullable().default(null).describe("fixed batch size (null: any)"),
      input_space: component("space").nullable().default(null).describe("input space (or give nvis)"),
      input_source: z.string().default("features").describe("dataset source feeding the input"),
      target_source: z.string().default("targets").describe("dataset source holding the targets"),
      nvis: posInt().nullable().default(null).describe("input size: shorthand for input_space VectorSpace(nvis)"),
      seed: z.union([z.number().int(), z.array(z.number().int())]).nullable().default(null).describe("seed for layer initialisation"),
      layer_name: z.string().nullable().default(null).describe("name when nested as a layer"),
      monitor_targets: z.boolean().default(true).describe("add channels about the targets"),
    })
    .strict()
    .refine((a) => !(a.nvis !== null && a.input_space !== null), {
      message: "give nvis or input_space, not both",
      path: ["nvis"],
    }),
  build: (a) => mlp.buildMLP(a),
});

// --- layers -----------------------------------------------------------------------------------

const initFields = {
  irange: z.number().min(0).nullable().default(null).describe("W ~ U(-irange, irange)"),
  istdev: z.number().positive().nullable().default(null).describe("W ~ N(0, istdev^2)"),
  sparse_init: sparseInit().describe("this many nonzero N(0, sparse_stdev^2) weights per unit"),
};

const linearFields = {
  dim: posInt().describe("number of units"),
  layer_name: z.string().describe("name used in channel names (e.g. h0_col_norms_max)"),
  ...initFields,
  sparse_stdev: z.number().positive().default(1).describe("standard deviation of sparse_init weights"),
  include_prob: z.number().gt(0).max(1).default(1).describe("probability each weight is nonzero at init"),
  init_bias: z.number().default(0).describe("initial bias"),
  W_lr_scale: z.number().positive().nullable().default(null).describe("learning-rate multiplier for W"),
  b_lr_scale: z.number().positive().nullable().default(null).describe("learning-rate multiplier for b"),
  mask_weights: z.null().default(null).describe("accepted for compatibility; must be null"),
  max_row_norm: z.number().positive().nullable().default(null).describe("clip each row of W to this L2 norm"),
  max_col_norm: z.number().positive().nullable().default(null).describe("clip each column (unit) of W to this L2 norm"),
  min_col_norm: z.number().positive().nullable().default(null).describe("lower clip of column norms"),
  copy_input: z.null().default(null).describe("accepted for compatibility; must be null"),
  use_abs_loss: z.boolean().default(false).describe("use an absolute-value loss when this is the output layer"),
  use_bias: z.boolean().default(true).describe("add a bias"),
};

/** pylearn2 asserts exactly one initialisation scheme for a weight layer. */
function oneInit<T extends { irange: unknown; istdev?: unknown; sparse_init: unknown }>(s: z.ZodType<T>) {
  return s.refine((a) => [a.irange, a.istdev ?? null, a.sparse_init].filter((v) => v !== null).length === 1, {
    message: "give exactly one of irange, istdev, sparse_init",
    path: ["irange"],
  });
}

/** `build` receives the validated keyword arguments (typed by the builder in src/models/mlp-build.ts). */
function linearLayer(name: string, description: string, build: (a: never) => unknown, extra: z.ZodRawShape = {}, alias = `${M}.mlp.${name}`) {
  return defineComponent({
    name,
    aliases: [alias],
    kind: "layer",
    description,
    schema: oneInit(z.object({ ...linearFields, ...extra }).strict()),
    build: (a) => build(a as never),
  });
}

export const Linear = linearLayer("Linear", "Affine layer y = xW + b (a regression output layer).", mlp.buildLinear);
export const Tanh = linearLayer("Tanh", "Affine layer followed by tanh.", mlp.buildTanh);
export const Sigmoid = linearLayer("Sigmoid", "Affine layer followed by the logistic sigmoid.", mlp.buildSigmoid, {
  // pylearn2 also takes one_hot_class; 'classification' is its deprecated name for bit_vector_class.
  monitor_style: z.enum(["detection", "one_hot_class", "bit_vector_class", "classification"]).default("detection").describe("which channels to report as an output layer"),
});
export const RectifiedLinear = linearLayer("RectifiedLinear", "Affine layer followed by max(x, left_slope * x).", mlp.buildRectifiedLinear, {
  left_slope: z.number().default(0).describe("slope for negative inputs (leaky ReLU when > 0)"),
});

/** The Softmax layer's weight keywords, which SoftmaxRegression passes on to its one layer. */
const softmaxWeightFields = {
  ...initFields,
  W_lr_scale: z.number().positive().nullable().default(null).describe("learning-rate multiplier for W"),
  b_lr_scale: z.number().positive().nullable().default(null).describe("learning-rate multiplier for b"),
  max_row_norm: z.number().positive().nullable().default(null).describe("clip each row of W to this L2 norm"),
  max_col_norm: z.number().positive().nullable().default(null).describe("clip each column of W to this L2 norm"),
  init_bias_target_marginals: component("dataset").nullable().default(null).describe("set biases to the log class frequencies of this dataset"),
};

/** At most one weight initialisation (a Softmax may give none: zeros). */
const oneSoftmaxInit = { message: "give at most one of irange, istdev, sparse_init", path: ["irange"] };
const softmaxInits = (a: { irange: number | null; istdev: number | null; sparse_init: number | null }) =>
  [a.irange, a.istdev, a.sparse_init].filter((v) => v !== null).length <= 1;

export const Softmax = defineComponent({
  name: "Softmax",
  aliases: [`${M}.mlp.Softmax`],
  kind: "layer",
  description: "Softmax output layer over n_classes; its default cost is the negative log-likelihood.",
  schema: z
    .object({
      n_classes: posInt().describe("number of classes"),
      layer_name: z.string().describe("name used in channel names (e.g. y_misclass)"),
      ...softmaxWeightFields,
      no_affine: z.boolean().default(false).describe("apply softmax to the input directly (no W, b)"),
      binary_target_dim: posInt().nullable().default(null).describe("targets are class indices of this width (not one-hot)"),
      non_redundant: z.boolean().default(false).describe("use n_classes - 1 free outputs"),
    })
    .strict()
    .refine((a) => a.no_affine || softmaxInits(a), oneSoftmaxInit),
  build: (a) => mlp.buildSoftmax(a),
});

export const SoftmaxRegression = defineComponent({
  name: "SoftmaxRegression",
  aliases: [`${M}.softmax_regression.SoftmaxRegression`],
  kind: "model",
  description: "Softmax (multinomial logistic) regression: an MLP whose one layer is a Softmax named y.",
  schema: z
    .object({
      n_classes: posInt().describe("number of classes"),
      batch_size: posInt().nullable().default(null).describe("fixed batch size (null: any)"),
      input_space: component("space").nullable().default(null).describe("input space (or give nvis)"),
      ...softmaxWeightFields,
      nvis: posInt().nullable().default(null).describe("input size: shorthand for input_space VectorSpace(nvis)"),
      seed: z.union([z.number().int(), z.array(z.number().int())]).nullable().default(null).describe("seed for initialisation"),
    })
    .strict()
    .refine((a) => !(a.nvis !== null && a.input_space !== null), { message: "give nvis or input_space, not both", path: ["nvis"] })
    .refine(softmaxInits, oneSoftmaxInit),
  build: (a) => mlp.buildSoftmaxRegression(a),
});

export const Maxout = defineComponent({
  name: "Maxout",
  aliases: [`${M}.maxout.Maxout`],
  kind: "layer",
  description: "Maxout: each unit is the max over num_pieces affine pieces.",
  schema: z
    .object({
      layer_name: z.string().describe("name used in channel names"),
      num_units: posInt().describe("number of output units"),
      num_pieces: posInt().describe("linear pieces per unit"),
      pool_stride: posInt().nullable().default(null).describe("stride between pools (null: num_pieces, no overlap)"),
      randomize_pools: z.boolean().default(false).describe("assign pieces to pools at random"),
      irange: z.number().min(0).nullable().default(null).describe("W ~ U(-irange, irange)"),
      sparse_init: sparseInit().describe("this many nonzero weights per piece"),
      sparse_stdev: z.number().positive().default(1).describe("standard deviation of sparse_init weights"),
      include_prob: z.number().gt(0).max(1).default(1).describe("probability each weight is nonzero at init"),
      init_bias: z.number().default(0).describe("initial bias"),
      W_lr_scale: z.number().positive().nullable().default(null).describe("learning-rate multiplier for W"),
      b_lr_scale: z.number().positive().nullable().default(null).describe("learning-rate multiplier for b"),
      max_col_norm: z.number().positive().nullable().default(null).describe("clip each column of W to this L2 norm"),
      max_row_norm: z.number().positive().nullable().default(null).describe("clip each row of W to this L2 norm"),
      mask_weights: z.null().default(null).describe("accepted for compatibility; must be null"),
      min_zero: z.boolean().default(false).describe("include 0 among the pieces (max(0, pieces))"),
    })
    .strict(),
  build: (a) => mlp.buildMaxout(a),
});

export const LpPooling = defineComponent({
  name: "LpPooling",
  aliases: [],
  kind: "layer",
  description: "Lp pooling: (sum over each pool of |x|^p)^(1/p), over groups of pool_size inputs.",
  schema: z
    .object({
      layer_name: z.string().describe("name used in channel names"),
      pool_size: posInt().describe("inputs per pool"),
      pool_stride: posInt().nullable().default(null).describe("stride between pools (null: pool_size)"),
      p: z.number().gte(1).default(2).describe("the exponent p (2: L2 pooling)"),
    })
    .strict(),
  build: (a) => mlp.buildLpPooling(a),
});

export const LocallyConnected = defineComponent({
  name: "LocallyConnected",
  aliases: [],
  kind: "layer",
  description: "Like a convolution without weight sharing: each output position has its own kernel.",
  schema: z
    .object({
      layer_name: z.string().describe("name used in channel names"),
      output_channels: posInt().describe("channels per output position"),
      kernel_shape: pair().describe("[rows, cols] of each receptive field"),
      kernel_stride: pair().default([1, 1]).describe("[rows, cols] step between fields"),
      irange: z.number().min(0).describe("W ~ U(-irange, irange)"),
      init_bias: z.number().default(0).describe("initial bias"),
      nonlinearity: z.enum(["linear", "relu", "sigmoid", "tanh"]).default("relu").describe("elementwise nonlinearity"),
      W_lr_scale: z.number().positive().nullable().default(null).describe("learning-rate multiplier for W"),
      b_lr_scale: z.number().positive().nullable().default(null).describe("learning-rate multiplier for b"),
    })
    .strict(),
  build: (a) => mlp.buildLocallyConnected(a),
});

const convFields = {
  output_channels: posInt().describe("number of kernels"),
  kernel_shape: pair().describe("[rows, cols] of each kernel"),
  layer_name: z.string().describe("name used in channel names"),
  irange: z.number().min(0).nullable().default(null).describe("kernels ~ U(-irange, irange)"),
  border_mode: z.enum(["valid", "full"]).default("valid").describe("valid (no padding) or full convolution"),
  sparse_init: sparseInit().describe("this many nonzero weights per kernel"),
  include_prob: z.number().gt(0).max(1).default(1).describe("probability each weight is nonzero at init"),
  init_bias: z.number().default(0).describe("initial bias"),
  W_lr_scale: z.number().positive().nullable().default(null).describe("learning-rate multiplier for the kernels"),
  b_lr_scale: z.number().positive().nullable().default(null).describe("learning-rate multiplier for the biases"),
  max_kernel_norm: z.number().positive().nullable().default(null).describe("clip each kernel to this L2 norm"),
  tied_b: z.boolean().nullable().default(null).describe("one bias per channel (true) or per position (false)"),
  detector_normalization: z.null().default(null).describe("accepted for compatibility; must be null"),
  output_normalization: z.null().default(null).describe("accepted for compatibility; must be null"),
  kernel_stride: pair().default([1, 1]).describe("[rows, cols] convolution stride"),
  monitor_style: z.enum(["classification", "detection"]).default("classification").describe("channels when used as output"),
};

const needsInit = { message: "give irange or sparse_init", path: ["irange"] };

export const ConvElemwise = defineComponent({
  name: "ConvElemwise",
  aliases: [`${M}.mlp.ConvElemwise`],
  kind: "layer",
  description: "Convolution, elementwise nonlinearity, optional max/mean pooling (B01C layout).",
  schema: z
    .object({
      ...convFields,
      nonlinearity: z.enum(["linear", "relu", "sigmoid", "tanh"]).describe("elementwise nonlinearity (pylearn2: a ConvNonlinearity object)"),
      pool_type: z.enum(["max", "mean"]).nullable().default(null).describe("pooling after the nonlinearity (null: none)"),
      pool_shape: pair().nullable().default(null).describe("[rows, cols] of each pool"),
      pool_stride: pair().nullable().default(null).describe("[rows, cols] step between pools"),
    })
    .strict()
    .refine((a) => a.irange !== null || a.sparse_init !== null, needsInit)
    .refine((a) => a.pool_type === null || (a.pool_shape !== null && a.pool_stride !== null), {
      message: "pool_type needs pool_shape and pool_stride",
      path: ["pool_shape"],
    }),
  build: (a) => mlp.buildConvElemwise(a),
});

export const ConvRectifiedLinear = defineComponent({
  name: "ConvRectifiedLinear",
  aliases: [`${M}.mlp.ConvRectifiedLinear`],
  kind: "layer",
  description: "Convolution, rectified linear units, max pooling (pylearn2's convolutional tutorial layer).",
  schema: z
    .object({
      ...convFields,
      pool_shape: pair().describe("[rows, cols] of each pool"),
      pool_stride: pair().describe("[rows, cols] step between pools"),
      left_slope: z.number().default(0).describe("slope for negative inputs"),
      pool_type: z.enum(["max", "mean"]).default("max").describe("pooling type"),
      tied_b: z.boolean().default(false).describe("one bias per channel (true) or per position (false)"),
    })
    .strict()
    .refine((a) => a.irange !== null || a.sparse_init !== null, needsInit),
  build: (a) => mlp.buildConvRectifiedLinear(a),
});

export const PretrainedLayer = defineComponent({
  name: "PretrainedLayer",
  aliases: [`${M}.mlp.PretrainedLayer`],
  kind: "layer",
  description: "Uses a trained model (e.g. an autoencoder's encoder from a !pkl: file) as a layer.",
  schema: z
    .object({
      layer_name: z.string().describe("name used in channel names"),
      layer_content: component("model").describe("the trained model whose upward pass is the layer"),
      freeze_params: z.boolean().default(false).describe("keep its parameters fixed"),
    })
    .strict(),
  build: (a) => mlp.buildPretrainedLayer(a),
});

export const SVM = defineComponent({
  name: "SVM",
  aliases: [],
  kind: "layer",
  description: "Linear multiclass SVM output layer (one-vs-rest scores, trained with the hinge cost).",
  schema: oneInit(
    z
      .object({
        n_classes: posInt().describe("number of classes"),
        layer_name: z.string().describe("name used in channel names"),
        ...initFields,
        init_bias: z.number().default(0).describe("initial bias"),
        max_col_norm: z.number().positive().nullable().default(null).describe("clip each column of W to this L2 norm"),
      })
      .strict(),
  ),
  build: (a) => mlp.buildSVM(a),
});

// --- spaces -----------------------------------------------------------------------------------

export const VectorSpace = defineComponent({
  name: "VectorSpace",
  aliases: ["pylearn2.space.VectorSpace"],
  kind: "space",
  description: "Flat vectors of dim numbers.",
  schema: z
    .object({
      dim: posInt().describe("vector length"),
      sparse: z.literal(false).default(false).describe("sparse vectors are not supported: must be False"),
      dtype: z.enum(["floatX", "float32"]).default("floatX").describe("element type (dl computes in float32)"),
    })
    .strict(),
  build: (a) => mlp.buildVectorSpace(a),
});

export const Conv2DSpace = defineComponent({
  name: "Conv2DSpace",
  aliases: ["pylearn2.space.Conv2DSpace"],
  kind: "space",
  description: "Images: shape [rows, cols] with num_channels channels, in the given axis order.",
  schema: z
    .object({
      shape: pair().describe("[rows, cols]"),
      channels: posInt().nullable().default(null).describe("same as num_channels (older spelling)"),
      num_channels: posInt().nullable().default(null).describe("number of channels"),
      axes: z
        // pylearn2 writes axes as ['b', 0, 1, 'c']: letters are strings, the spatial axes numbers.
        .array(z.union([z.enum(["b", "c"]), z.literal(0), z.literal(1)]))
        .length(4)
        .nullable()
        .default(null)
        .describe("axis order, e.g. ['b', 0, 1, 'c'] (null: b01c)"),
      dtype: z.enum(["floatX", "float32"]).default("floatX").describe("element type (dl computes in float32)"),
    })
    .strict()
    .refine((a) => (a.channels === null) !== (a.num_channels === null), {
      message: "give num_channels (or channels), exactly one of them",
      path: ["num_channels"],
    }),
  build: (a) => mlp.buildConv2DSpace(a),
});

// --- energy functions -------------------------------------------------------------------------

export const grbm_type_1 = defineComponent({
  name: "grbm_type_1",
  aliases: ["pylearn2.energy_functions.rbm_energy.grbm_type_1", "pylearn2.energy_functions.rbm_energy.GRBM_Type_1"],
  kind: "energy",
  description: "GRBM energy E(v,h) = -(v.b + v W h + c.h - v.v/2) / sigma^2 (scalar sigma).",
  schema: z.object({}).strict(),
  build: () => GRBM_TYPE_1,
});

// --- corruptors -------------------------------------------------------------------------------

const corruptorRng = () => z.union([z.number().int(), z.array(z.number().int())]).default(2001).describe("seed of the corruption noise");

export const BinomialCorruptor = defineComponent({
  name: "BinomialCorruptor",
  aliases: ["pylearn2.corruption.BinomialCorruptor"],
  kind: "corruptor",
  description: "Sets each input to 0 with probability corruption_level (masking noise).",
  schema: z
    .object({ corruption_level: z.number().min(0).lt(1).describe("probability of zeroing an input"), rng: corruptorRng() })
    .strict(),
  build: (a) => new corruption.BinomialCorruptor(a.corruption_level, a.rng),
});

export const DropoutCorruptor = defineComponent({
  name: "DropoutCorruptor",
  aliases: ["pylearn2.corruption.DropoutCorruptor"],
  kind: "corruptor",
  description: "Zeroes inputs with probability corruption_level and divides the rest by (1 - corruption_level).",
  schema: z
    .object({ corruption_level: z.number().min(0).lt(1).describe("probability of zeroing an input"), rng: corruptorRng() })
    .strict(),
  build: (a) => new corruption.DropoutCorruptor(a.corruption_level, a.rng),
});

export const GaussianCorruptor = defineComponent({
  name: "GaussianCorruptor",
  aliases: ["pylearn2.corruption.GaussianCorruptor"],
  kind: "corruptor",
  description: "Adds N(0, stdev^2) noise to every input.",
  schema: z.object({ stdev: z.number().min(0).describe("standard deviation of the noise"), rng: corruptorRng() }).strict(),
  build: (a) => new corruption.GaussianCorruptor(a.stdev, a.rng),
});

export const SaltPepperCorruptor = defineComponent({
  name: "SaltPepperCorruptor",
  aliases: ["pylearn2.corruption.SaltPepperCorruptor"],
  kind: "corruptor",
  description: "Sets each input, with probability corruption_level, to 0 or 1 with equal chance.",
  schema: z
    .object({ corruption_level: z.number().min(0).max(1).describe("probability of corrupting an input"), rng: corruptorRng() })
    .strict(),
  build: (a) => new corruption.SaltPepperCorruptor(a.corruption_level, a.rng),
});

export const MODEL_COMPONENTS: readonly AnyComponentDef[] = [
  RBM,
  GaussianBinaryRBM,
  Autoencoder,
  DenoisingAutoencoder,
  ContractiveAutoencoder,
  PushMonitor,
  SoftmaxRegression,
  MLP,
  Linear,
  Sigmoid,
  Tanh,
  RectifiedLinear,
  Softmax,
  Maxout,
  LpPooling,
  LocallyConnected,
  ConvElemwise,
  ConvRectifiedLinear,
  PretrainedLayer,
  SVM,
  VectorSpace,
  Conv2DSpace,
  grbm_type_1,
  BinomialCorruptor,
  DropoutCorruptor,
  GaussianCorruptor,
  SaltPepperCorruptor,
];
