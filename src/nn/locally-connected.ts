import { Tensor } from "../engine/index.js";
import type { DrawableLayer } from "../io/model-file.js";
import { ConfigError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";
import { activationChannels } from "./channels.js";
import { applyNonlinearity, convOutputSize, type Nonlinearity } from "./conv.js";
import { Layer, type LayerChannels } from "./layer.js";
import { Conv2DSpace, imageFromRows, type Space } from "./space.js";

export interface LocallyConnectedOptions {
  layerName: string;
  outputChannels: number;
  kernelShape: readonly [number, number];
  kernelStride?: readonly [number, number];
  irange: number;
  initBias?: number;
  nonlinearity?: Nonlinearity;
  WLrScale?: number | null;
  bLrScale?: number | null;
}

/**
 * A convolution without weight sharing (dl's own layer): every output position (r, c) has its
 * own output_channels filters over its receptive field,
 *
 *     y[n, o, r, c] = f( sum_{ch, i, j} W[(r, c), o, (i, j, ch)] x[n, ch, r*s_r + i, c*s_c + j] + b[o, r, c] )
 *
 * W is stored as (positions * output_channels) x (kernel_rows * kernel_cols * channels): a row
 * per unit, position-major, each row a channels-last patch — the `local_units` layout that
 * `dl show-weights` draws as small images. Valid border mode only.
 */
export class LocallyConnected extends Layer {
  readonly className = "LocallyConnected";
  override readonly consumesImages = true;
  private oh = 0;
  private ow = 0;

  constructor(readonly opts: LocallyConnectedOptions) {
    super(opts.layerName);
  }

  get W(): Tensor {
    return this.p.W;
  }

  setInputSpace(space: Space, rng: Rng): void {
    if (!(space instanceof Conv2DSpace)) {
      throw new ConfigError(`layer ${this.layerName} (LocallyConnected) needs image input (a Conv2DSpace), got ${space}`);
    }
    const o = this.opts;
    const [kh, kw] = o.kernelShape;
    const [sh, sw] = o.kernelStride ?? [1, 1];
    this.oh = convOutputSize(space.rows, kh, sh, "valid");
    this.ow = convOutputSize(space.cols, kw, sw, "valid");
    if (this.oh < 1 || this.ow < 1) throw new ConfigError(`layer ${this.layerName}: a ${kh}x${kw} field does not fit its ${space.rows}x${space.cols} input`);
    const units = this.oh * this.ow * o.outputChannels;
    const field = kh * kw * space.channels;
    this.p.W = Tensor.param(rng.fillUniform(new Float32Array(units * field), -o.irange, o.irange), [units, field], `${this.layerName}_W`);
    this.p.b = Tensor.param(new Float32Array(units).fill(o.initBias ?? 0), [o.outputChannels, this.oh, this.ow], `${this.layerName}_b`);
    this.setSpaces(space, new Conv2DSpace(this.oh, this.ow, o.outputChannels, ["b", "c", 0, 1]));
  }

  /** The response before the nonlinearity, NCHW. */
  linearPart(x: Tensor): Tensor {
    const space = this.inputSpace as Conv2DSpace;
    const img = imageFromRows(x, space);
    const N = img.shape[0];
    const [kh, kw] = this.opts.kernelShape;
    const stride = [...(this.opts.kernelStride ?? [1, 1])] as [number, number];
    const C = space.channels;
    const O = this.opts.outputChannels;
    const P = this.oh * this.ow;
    const K = C * kh * kw;
    // im2col rows are (ch, i, j), columns (n, position): regroup to one (N x K) matrix per position.
    const cols = img.im2col(kh, kw, stride).reshape([K, N, P]).permute([2, 1, 0]);
    // Each position's (K x O) filter bank, its K axis reordered from (i, j, ch) to im2col's (ch, i, j).
    const Wk = this.p.W.reshape([P, O, kh, kw, C]).permute([0, 4, 2, 3, 1]).reshape([P, K, O]);
    const y = cols.matmul(Wk); // (P, N, O)
    return y.permute([1, 2, 0]).reshape([N, O, this.oh, this.ow]).add(this.p.b.reshape([1, O, this.oh, this.ow]));
  }

  fprop(x: Tensor): Tensor {
    return applyNonlinearity(this.linearPart(x), this.opts.nonlinearity ?? "relu");
  }

  override lrScalers(): Record<string, number> {
    const r: Record<string, number> = {};
    if (this.opts.WLrScale != null) r[this.p.W.name!] = this.opts.WLrScale;
    if (this.opts.bLrScale != null) r[this.p.b.name!] = this.opts.bLrScale;
    return r;
  }

  override weights(): Tensor[] {
    return [this.p.W];
  }

  override monitorChannels(_stateBelow: Tensor, state: Tensor): LayerChannels {
    return activationChannels(state);
  }

  override drawable(): DrawableLayer {
    const [kh, kw] = this.opts.kernelShape;
    return { name: this.layerName, tensor: this.p.W.name!, layout: "local_units", view: { rows: kh, cols: kw, channels: (this.inputSpace as Conv2DSpace).channels } };
  }
}
