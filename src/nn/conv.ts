import { Tensor } from "../engine/index.js";
import type { DrawableLayer } from "../io/model-file.js";
import { ConfigError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";
import { activationChannels, kernelNormChannels } from "./channels.js";
import { constrainNorms } from "./constraints.js";
import { initKernels } from "./init.js";
import { Layer, type LayerChannels } from "./layer.js";
import { leakyRelu } from "./linear.js";
import { maxPool, meanPool, poolGeometry } from "./pooling.js";
import { Conv2DSpace, imageFromRows, type Space } from "./space.js";

export type Nonlinearity = "linear" | "relu" | "sigmoid" | "tanh";

/** pylearn2's ConvNonlinearity objects, by name; relu takes a left slope. */
export function applyNonlinearity(z: Tensor, nl: Nonlinearity, leftSlope = 0): Tensor {
  switch (nl) {
    case "linear":
      return z;
    case "relu":
      return leakyRelu(z, leftSlope);
    case "sigmoid":
      return z.sigmoid();
    case "tanh":
      return z.tanh();
  }
}

export interface ConvOptions {
  layerName: string;
  outputChannels: number;
  kernelShape: readonly [number, number];
  nonlinearity: Nonlinearity;
  leftSlope?: number;
  irange?: number | null;
  sparseInit?: number | null;
  borderMode?: "valid" | "full";
  initBias?: number;
  WLrScale?: number | null;
  bLrScale?: number | null;
  maxKernelNorm?: number | null;
  poolType?: "max" | "mean" | null;
  poolShape?: readonly [number, number] | null;
  poolStride?: readonly [number, number] | null;
  /** One bias per output channel (true) or one per channel and position (false, pylearn2's default). */
  tiedB?: boolean | null;
  kernelStride?: readonly [number, number];
}

/**
 * Output size of a convolution along one axis. `valid`: (in - k) / s + 1 (floored) — pylearn2's
 * formula. `full` pads k - 1 zeros on each side: (in + k - 2) / s + 1, i.e. in + k - 1 at
 * stride 1 as pylearn2 computes; for strides > 1 pylearn2's `(in + k) / s - 1` disagreed with
 * what Theano's strided full convolution returned, and dl follows the convolution.
 */
export function convOutputSize(input: number, kernel: number, stride: number, mode: "valid" | "full"): number {
  return mode === "valid" ? Math.floor((input - kernel) / stride) + 1 : Math.floor((input + kernel - 2) / stride) + 1;
}

/**
 * pylearn2's ConvElemwise: a bank of output_channels kernels (out, in, rows, cols) slid over the
 * input image (cross-correlation, the same up to a kernel flip as Theano's convolution), a bias
 * (per channel when tied_b, else per channel and position), an elementwise nonlinearity, then
 * optional max or mean pooling with pylearn2's edge rule (see pooling.ts). The output is a
 * Conv2DSpace; a following dense layer flattens it channel-major, as pylearn2's bc01 output did.
 */
export class ConvElemwise extends Layer {
  readonly className: string = "ConvElemwise";
  override readonly consumesImages = true;
  private detectorShape: [number, number] = [0, 0];

  constructor(readonly opts: ConvOptions) {
    super(opts.layerName);
    if ((opts.irange == null) === (opts.sparseInit == null)) {
      throw new ConfigError(`layer ${opts.layerName}: give exactly one of irange and sparse_init`);
    }
    if (opts.poolType && (!opts.poolShape || !opts.poolStride)) {
      throw new ConfigError(`layer ${opts.layerName}: pool_type ${opts.poolType} needs pool_shape and pool_stride`);
    }
  }

  get W(): Tensor {
    return this.p.W;
  }

  setInputSpace(space: Space, rng: Rng): void {
    if (!(space instanceof Conv2DSpace)) {
      throw new ConfigError(
        `layer ${this.layerName} (${this.className}) needs image input (a Conv2DSpace), got ${space}; ` +
          `give the MLP an input_space: !obj:pylearn2.space.Conv2DSpace {shape: [rows, cols], num_channels: c}`,
      );
    }
    const o = this.opts;
    const [kh, kw] = o.kernelShape;
    const [sh, sw] = o.kernelStride ?? [1, 1];
    const mode = o.borderMode ?? "valid";
    const oh = convOutputSize(space.rows, kh, sh, mode);
    const ow = convOutputSize(space.cols, kw, sw, mode);
    if (oh < 1 || ow < 1) {
      throw new ConfigError(`layer ${this.layerName}: a ${kh}x${kw} kernel does not fit its ${space.rows}x${space.cols} input with border_mode ${mode}`);
    }
    this.detectorShape = [oh, ow];
    const O = o.outputChannels;
    const shape = [O, space.channels, kh, kw] as const;
    this.p.W = Tensor.param(initKernels(rng, shape, o.irange ?? null, o.sparseInit ?? null, this.layerName), [...shape], `${this.layerName}_W`);
    const bShape = o.tiedB ? [O] : [O, oh, ow];
    this.p.b = Tensor.param(new Float32Array(bShape.reduce((a, b) => a * b, 1)).fill(o.initBias ?? 0), bShape, `${this.layerName}_b`);
    let out = new Conv2DSpace(oh, ow, O, ["b", "c", 0, 1]);
    if (o.poolType) {
      const g = poolGeometry(oh, ow, o.poolShape!, o.poolStride!, this.layerName);
      out = new Conv2DSpace(g.oh, g.ow, O, ["b", "c", 0, 1]);
    }
    this.setSpaces(space, out);
  }

  /** The pre-nonlinearity response x * W + b, NCHW. */
  linearPart(x: Tensor): Tensor {
    const space = this.inputSpace as Conv2DSpace;
    const img = imageFromRows(x, space);
    const [kh, kw] = this.opts.kernelShape;
    const stride = [...(this.opts.kernelStride ?? [1, 1])] as [number, number];
    const pad: [number, number] = this.opts.borderMode === "full" ? [kh - 1, kw - 1] : [0, 0];
    const z = img.conv2d(this.p.W, stride, pad);
    const [oh, ow] = this.detectorShape;
    const O = this.opts.outputChannels;
    return z.add(this.opts.tiedB ? this.p.b.reshape([1, O, 1, 1]) : this.p.b.reshape([1, O, oh, ow]));
  }

  fprop(x: Tensor): Tensor {
    const o = this.opts;
    const slope = o.leftSlope ?? 0;
    if (o.poolType === "max" && slope >= 0) {
      // Every nonlinearity here is non-decreasing, so max-pooling first gives the same values and the
      // same gradients (the winner of a window is the same pixel) with the nonlinearity applied to the
      // pooled map, ~5x smaller for 4x4 pools at stride 2: the tutorial net's ReLU was 10% of a step.
      return applyNonlinearity(maxPool(this.linearPart(x), o.poolShape!, o.poolStride!, this.layerName), o.nonlinearity, slope);
    }
    const d = applyNonlinearity(this.linearPart(x), o.nonlinearity, slope);
    if (o.poolType === "max") return maxPool(d, o.poolShape!, o.poolStride!, this.layerName);
    if (o.poolType === "mean") return meanPool(d, o.poolShape!, o.poolStride!, this.layerName);
    return d;
  }

  override lrScalers(): Record<string, number> {
    const r: Record<string, number> = {};
    if (this.opts.WLrScale != null) r[this.p.W.name!] = this.opts.WLrScale;
    if (this.opts.bLrScale != null) r[this.p.b.name!] = this.opts.bLrScale;
    return r;
  }

  override afterUpdate(): void {
    constrainNorms(this.p.W, [1, 2, 3], this.opts.maxKernelNorm ?? null);
  }

  override weights(): Tensor[] {
    return [this.p.W];
  }

  override monitorChannels(_stateBelow: Tensor, state: Tensor): LayerChannels {
    return { ...kernelNormChannels(this.p.W), ...activationChannels(state) };
  }

  override drawable(): DrawableLayer {
    return { name: this.layerName, tensor: this.p.W.name!, layout: "conv_oihw" };
  }
}

/** pylearn2's ConvRectifiedLinear: ConvElemwise with rectifier units and (by default) max pooling, untied biases. */
export class ConvRectifiedLinear extends ConvElemwise {
  override readonly className: string = "ConvRectifiedLinear";
  constructor(opts: Omit<ConvOptions, "nonlinearity">) {
    super({ ...opts, nonlinearity: "relu", poolType: opts.poolType === undefined ? "max" : opts.poolType, tiedB: opts.tiedB ?? false });
  }
}
