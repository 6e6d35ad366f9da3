import { Tensor, noGrad } from "../engine/index.js";
import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer } from "../io/model-file.js";
import { ConfigError } from "../util/errors.js";
import type { Batch, Channels, Model, StepContext } from "./model.js";
import { rngFromSeed } from "./gibbs.js";
import { reconstructionErrorOf } from "./rbm.js";

/** Elementwise activations an autoencoder may use (pylearn2 looks names up in theano.tensor.nnet); null is linear. */
export type Activation = "sigmoid" | "tanh" | "softplus" | "relu" | "linear" | null;

export function applyActivation(act: Activation, x: Tensor): Tensor {
  switch (act) {
    case "sigmoid": return x.sigmoid();
    case "tanh": return x.tanh();
    case "softplus": return x.softplus();
    case "relu": return x.relu();
    case "linear":
    case null: return x;
  }
}

export interface AutoencoderOptions {
  nvis: number;
  nhid: number;
  actEnc: Activation;
  actDec: Activation;
  tiedWeights?: boolean;
  /** W ~ U(-irange, irange) (pylearn2 default 1e-3). */
  irange?: number | null;
  /** W ~ N(0, istdev^2); takes precedence over irange when given. */
  istdev?: number | null;
  /** Initialisation seed (pylearn2 default 9001). */
  seed?: number | readonly number[] | null;
}

/** A model whose cost is a reconstruction of its input (what MeanSquaredReconstructionError needs). */
export interface ReconstructionModel extends Model {
  /** The reconstruction of X the cost compares with X (a DAE corrupts X first while training). */
  reconstruct(X: Tensor, ctx: StepContext): Tensor;
  /** The decoder's pre-activation and activation, for a numerically stable cross-entropy. */
  reconstructLogits?(X: Tensor, ctx: StepContext): { logits: Tensor; act: Activation };
}

export function isReconstructionModel(m: Model): m is ReconstructionModel {
  return typeof (m as ReconstructionModel).reconstruct === "function";
}

/**
 * pylearn2's Autoencoder (models/autoencoder.py): h = act_enc(x W + hidbias),
 * r = act_dec(h W' + visbias), W' = W^T when tied. Parameters use pylearn2's attribute names, in its
 * order: `visbias`, `hidbias`, `weights` (nvis x nhid), and `w_prime` (nhid x nvis) when untied.
 * As in pylearn2, W ~ U(-irange, irange) and W' ~ U(-irange/2, irange/2) (its (0.5 - rand) * irange),
 * or both N(0, istdev^2).
 */
export class Autoencoder implements ReconstructionModel {
  readonly className: string = "Autoencoder";
  readonly inputDim: number;
  readonly outputDim: number;
  readonly actEnc: Activation;
  readonly actDec: Activation;
  readonly tiedWeights: boolean;
  readonly visbias: Tensor;
  readonly hidbias: Tensor;
  readonly weights: Tensor;
  readonly wPrime: Tensor | null;
  inputView?: DatasetView;
  config?: Record<string, unknown>;

  constructor(o: AutoencoderOptions) {
    if (!(o.nvis > 0 && o.nhid > 0)) throw new ConfigError(`an autoencoder needs nvis > 0 and nhid > 0, got nvis ${o.nvis}, nhid ${o.nhid}`);
    this.inputDim = o.nvis;
    this.outputDim = o.nhid;
    this.actEnc = o.actEnc;
    this.actDec = o.actDec;
    this.tiedWeights = o.tiedWeights ?? false;
    const rng = rngFromSeed(o.seed, 9001);
    const istdev = o.istdev ?? null;
    const irange = o.irange ?? 1e-3;
    if (istdev === null && !(irange >= 0)) throw new ConfigError("give irange or istdev to initialise the weights");
    const draw = (n: number, half: boolean) =>
      istdev !== null
        ? rng.fillNormal(new Float32Array(n), 0, istdev)
        : half ? rng.fillUniform(new Float32Array(n), -irange / 2, irange / 2) : rng.fillUniform(new Float32Array(n), -irange, irange);
    this.visbias = Tensor.param(new Float32Array(o.nvis), [o.nvis], "visbias");
    this.hidbias = Tensor.param(new Float32Array(o.nhid), [o.nhid], "hidbias");
    this.weights = Tensor.param(draw(o.nvis * o.nhid, false), [o.nvis, o.nhid], "weights");
    this.wPrime = this.tiedWeights ? null : Tensor.param(draw(o.nhid * o.nvis, true), [o.nhid, o.nvis], "w_prime");
  }

  params(): Tensor[] {
    const p = [this.visbias, this.hidbias, this.weights];
    if (this.wPrime) p.push(this.wPrime);
    return p;
  }

  /** x W + hidbias: the encoder's pre-activation. */
  hiddenInput(X: Tensor): Tensor {
    return X.matmul(this.weights).add(this.hidbias);
  }

  encode(X: Tensor): Tensor {
    return applyActivation(this.actEnc, this.hiddenInput(X));
  }

  /** h W' + visbias: the decoder's pre-activation. */
  decoderInput(H: Tensor): Tensor {
    const lin = this.wPrime ? H.matmul(this.wPrime) : H.matmul(this.weights, false, true);
    return lin.add(this.visbias);
  }

  decode(H: Tensor): Tensor {
    return applyActivation(this.actDec, this.decoderInput(H));
  }

  /** The input the encoder sees: X itself here; a DAE's corrupted X while training. */
  protected encoderInput(X: Tensor, _ctx: StepContext): Tensor {
    return X;
  }

  reconstruct(X: Tensor, ctx: StepContext): Tensor {
    return this.decode(this.encode(this.encoderInput(X, ctx)));
  }

  reconstructLogits(X: Tensor, ctx: StepContext): { logits: Tensor; act: Activation } {
    return { logits: this.decoderInput(this.encode(this.encoderInput(X, ctx))), act: this.actDec };
  }

  /** `reconstruction_error`: mean over the batch of the summed squared error of the clean reconstruction. */
  monitorChannels(batch: Batch, _ctx: StepContext): Channels {
    return noGrad(() => ({ reconstruction_error: reconstructionErrorOf(batch.X, this.decode(this.encode(batch.X))) }));
  }

  drawableLayers(): DrawableLayer[] {
    return [{ name: "weights", tensor: "weights", layout: "vis_by_hid", ...(this.inputView ? { view: this.inputView } : {}) }];
  }
}

/** The autoencoders' YAML keywords, as the schema in src/config/components/models.ts gives them. */
export interface AutoencoderArgs {
  nvis: number;
  nhid: number;
  act_enc: Activation;
  act_dec: Activation;
  tied_weights: boolean;
  irange: number;
  istdev: number | null;
  rng: number | readonly number[] | null;
}

export function autoencoderOptions(a: AutoencoderArgs): AutoencoderOptions {
  return {
    nvis: a.nvis, nhid: a.nhid, actEnc: a.act_enc, actDec: a.act_dec,
    tiedWeights: a.tied_weights, irange: a.irange, istdev: a.istdev, seed: a.rng,
  };
}
