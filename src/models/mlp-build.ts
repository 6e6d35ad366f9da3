import type { DenseDesignMatrix } from "../data/dataset.js";
import { ConvElemwise, ConvRectifiedLinear, type Nonlinearity } from "../nn/conv.js";
import type { Layer } from "../nn/layer.js";
import { Linear, RectifiedLinear, Sigmoid, Tanh, type LinearOptions, type SigmoidMonitorStyle } from "../nn/linear.js";
import { LocallyConnected } from "../nn/locally-connected.js";
import { LpPooling } from "../nn/lp-pooling.js";
import { Maxout } from "../nn/maxout.js";
import { PretrainedLayer, type EncoderModel } from "../nn/pretrained.js";
import { Softmax } from "../nn/softmax.js";
import { Conv2DSpace, VectorSpace, type Axis, type Space } from "../nn/space.js";
import { SVM } from "../nn/svm.js";
import { ConfigError } from "../util/errors.js";
import { MLP } from "./mlp.js";

/**
 * Builders for the YAML components of the MLP family: validated keyword arguments (pylearn2's
 * snake_case names, defaults filled by the schemas in src/config/components/models.ts) to objects.
 */

type Pair = readonly [number, number];

export interface LinearArgs {
  dim: number;
  layer_name: string;
  irange: number | null;
  istdev: number | null;
  sparse_init: number | null;
  sparse_stdev: number;
  include_prob: number;
  init_bias: number;
  W_lr_scale: number | null;
  b_lr_scale: number | null;
  max_row_norm: number | null;
  max_col_norm: number | null;
  min_col_norm: number | null;
  use_abs_loss: boolean;
  use_bias: boolean;
}

function linearOptions(a: LinearArgs): LinearOptions {
  return {
    dim: a.dim,
    layerName: a.layer_name,
    irange: a.irange,
    istdev: a.istdev,
    sparseInit: a.sparse_init,
    sparseStdev: a.sparse_stdev,
    includeProb: a.include_prob,
    initBias: a.init_bias,
    WLrScale: a.W_lr_scale,
    bLrScale: a.b_lr_scale,
    maxRowNorm: a.max_row_norm,
    maxColNorm: a.max_col_norm,
    minColNorm: a.min_col_norm,
    useAbsLoss: a.use_abs_loss,
    useBias: a.use_bias,
  };
}

export const buildLinear = (a: LinearArgs): Layer => new Linear(linearOptions(a));
export const buildTanh = (a: LinearArgs): Layer => new Tanh(linearOptions(a));
export const buildSigmoid = (a: LinearArgs & { monitor_style: SigmoidMonitorStyle }): Layer => new Sigmoid({ ...linearOptions(a), monitorStyle: a.monitor_style });
export const buildRectifiedLinear = (a: LinearArgs & { left_slope: number }): Layer => new RectifiedLinear({ ...linearOptions(a), leftSlope: a.left_slope });

export function buildSoftmax(a: {
  n_classes: number;
  layer_name: string;
  irange: number | null;
  istdev: number | null;
  sparse_init: number | null;
  W_lr_scale: number | null;
  b_lr_scale: number | null;
  max_row_norm: number | null;
  max_col_norm: number | null;
  no_affine: boolean;
  init_bias_target_marginals: unknown;
  binary_target_dim: number | null;
  non_redundant: boolean;
}): Layer {
  return new Softmax({
    nClasses: a.n_classes,
    layerName: a.layer_name,
    irange: a.irange,
    istdev: a.istdev,
    sparseInit: a.sparse_init,
    WLrScale: a.W_lr_scale,
    bLrScale: a.b_lr_scale,
    maxRowNorm: a.max_row_norm,
    maxColNorm: a.max_col_norm,
    noAffine: a.no_affine,
    initBiasTargetMarginals: (a.init_bias_target_marginals as DenseDesignMatrix | null) ?? null,
    binaryTargetDim: a.binary_target_dim,
    nonRedundant: a.non_redundant,
  });
}

/** pylearn2's SoftmaxRegression: an MLP whose one layer is a Softmax named 'y' (its keywords passed on). */
export function buildSoftmaxRegression(a: {
  n_classes: number;
  batch_size: number | null;
  input_space: unknown;
  irange: number | null;
  istdev: number | null;
  W_lr_scale: number | null;
  b_lr_scale: number | null;
  max_row_norm: number | null;
  max_col_norm: number | null;
  sparse_init: number | null;
  init_bias_target_marginals: unknown;
  nvis: number | null;
  seed: number | number[] | null;
}): MLP {
  const y = buildSoftmax({
    n_classes: a.n_classes, layer_name: "y", irange: a.irange, istdev: a.istdev, sparse_init: a.sparse_init,
    W_lr_scale: a.W_lr_scale, b_lr_scale: a.b_lr_scale, max_row_norm: a.max_row_norm, max_col_norm: a.max_col_norm,
    no_affine: false, init_bias_target_marginals: a.init_bias_target_marginals, binary_target_dim: null, non_redundant: false,
  });
  return buildMLP({
    layers: [y], batch_size: a.batch_size, input_space: a.input_space, input_source: "features", target_source: "targets",
    nvis: a.nvis, seed: a.seed, layer_name: null, monitor_targets: true,
  });
}

export function buildMaxout(a: {
  layer_name: string;
  num_units: number;
  num_pieces: number;
  pool_stride: number | null;
  randomize_pools: boolean;
  irange: number | null;
  sparse_init: number | null;
  sparse_stdev: number;
  include_prob: number;
  init_bias: number;
  W_lr_scale: number | null;
  b_lr_scale: number | null;
  max_col_norm: number | null;
  max_row_norm: number | null;
  min_zero: boolean;
}): Layer {
  if (a.irange === null && a.sparse_init === null) throw new ConfigError(`layer ${a.layer_name}: Maxout needs irange or sparse_init`);
  if (a.irange !== null && a.sparse_init !== null) throw new ConfigError(`layer ${a.layer_name}: Maxout takes irange or sparse_init, not both`);
  return new Maxout({
    layerName: a.layer_name,
    numUnits: a.num_units,
    numPieces: a.num_pieces,
    poolStride: a.pool_stride,
    randomizePools: a.randomize_pools,
    irange: a.irange,
    sparseInit: a.sparse_init,
    sparseStdev: a.sparse_stdev,
    includeProb: a.include_prob,
    initBias: a.init_bias,
    WLrScale: a.W_lr_scale,
    bLrScale: a.b_lr_scale,
    maxColNorm: a.max_col_norm,
    maxRowNorm: a.max_row_norm,
    minZero: a.min_zero,
  });
}

export const buildLpPooling = (a: { layer_name: string; pool_size: number; pool_stride: number | null; p: number }): Layer =>
  new LpPooling({ layerName: a.layer_name, poolSize: a.pool_size, poolStride: a.pool_stride, p: a.p });

export const buildLocallyConnected = (a: {
  layer_name: string;
  output_channels: number;
  kernel_shape: Pair;
  kernel_stride: Pair;
  irange: number;
  init_bias: number;
  nonlinearity: Nonlinearity;
  W_lr_scale: number | null;
  b_lr_scale: number | null;
}): Layer =>
  new LocallyConnected({
    layerName: a.layer_name,
    outputChannels: a.output_channels,
    kernelShape: a.kernel_shape,
    kernelStride: a.kernel_stride,
    irange: a.irange,
    initBias: a.init_bias,
    nonlinearity: a.nonlinearity,
    WLrScale: a.W_lr_scale,
    bLrScale: a.b_lr_scale,
  });

interface ConvArgs {
  output_channels: number;
  kernel_shape: Pair;
  layer_name: string;
  irange: number | null;
  border_mode: "valid" | "full";
  sparse_init: number | null;
  include_prob: number;
  init_bias: number;
  W_lr_scale: number | null;
  b_lr_scale: number | null;
  max_kernel_norm: number | null;
  tied_b: boolean | null;
  kernel_stride: Pair;
  pool_type: "max" | "mean" | null;
  pool_shape: Pair | null;
  pool_stride: Pair | null;
}

function convOptions(a: ConvArgs) {
  return {
    layerName: a.layer_name,
    outputChannels: a.output_channels,
    kernelShape: a.kernel_shape,
    irange: a.irange,
    sparseInit: a.sparse_init,
    borderMode: a.border_mode,
    initBias: a.init_bias,
    WLrScale: a.W_lr_scale,
    bLrScale: a.b_lr_scale,
    maxKernelNorm: a.max_kernel_norm,
    poolType: a.pool_type,
    poolShape: a.pool_shape,
    poolStride: a.pool_stride,
    tiedB: a.tied_b,
    kernelStride: a.kernel_stride,
  };
}

export const buildConvElemwise = (a: ConvArgs & { nonlinearity: Nonlinearity }): Layer => new ConvElemwise({ ...convOptions(a), nonlinearity: a.nonlinearity });
export const buildConvRectifiedLinear = (a: ConvArgs & { left_slope: number }): Layer => new ConvRectifiedLinear({ ...convOptions(a), leftSlope: a.left_slope });

export function buildPretrainedLayer(a: { layer_name: string; layer_content: unknown; freeze_params: boolean }): Layer {
  return new PretrainedLayer(a.layer_name, a.layer_content as EncoderModel, a.freeze_params);
}

export function buildSVM(a: { n_classes: number; layer_name: string; irange: number | null; istdev: number | null; sparse_init: number | null; init_bias: number; max_col_norm: number | null }): Layer {
  return new SVM({ nClasses: a.n_classes, layerName: a.layer_name, irange: a.irange, istdev: a.istdev, sparseInit: a.sparse_init, initBias: a.init_bias, maxColNorm: a.max_col_norm });
}

export const buildVectorSpace = (a: { dim: number }): Space => new VectorSpace(a.dim);

export function buildConv2DSpace(a: { shape: Pair; channels: number | null; num_channels: number | null; axes: Axis[] | null }): Space {
  const axes = a.axes ?? ["b", 0, 1, "c"];
  if (new Set(axes).size !== 4) throw new ConfigError(`Conv2DSpace: axes [${axes.join(", ")}] must name 'b', 0, 1 and 'c' once each`);
  return new Conv2DSpace(a.shape[0], a.shape[1], (a.num_channels ?? a.channels)!, axes);
}

export function buildMLP(a: {
  layers: unknown[];
  batch_size: number | null;
  input_space: unknown;
  input_source: string;
  target_source: string;
  nvis: number | null;
  seed: number | number[] | null;
  layer_name: string | null;
  monitor_targets: boolean;
}): MLP {
  if (a.layer_name !== null) {
    throw new ConfigError("MLP: layer_name is for an MLP nested inside another MLP, which dl does not support; remove it (or wrap a trained MLP with PretrainedLayer)");
  }
  // batch_size only fixed Theano's compiled shapes; dl's layers take any batch size, so it is accepted and ignored.
  return new MLP({
    layers: a.layers as Layer[],
    nvis: a.nvis,
    inputSpace: (a.input_space as Space | null) ?? null,
    seed: a.seed,
    monitorTargets: a.monitor_targets,
  });
}
