import { Tensor } from "../engine/index.js";
import { requireMLP, targetsOf, type MLP } from "../models/mlp.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { isOutputLayer, type Layer } from "../nn/layer.js";
import { ConfigError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";
import { suggestionSuffix } from "../util/suggest.js";
import type { Cost } from "./cost.js";

export interface DropoutOptions {
  defaultInputIncludeProb?: number;
  inputIncludeProbs?: Readonly<Record<string, number>> | null;
  defaultInputScale?: number;
  inputScales?: Readonly<Record<string, number>> | null;
  /** A fresh mask for every example (true) or one mask shared by the batch. */
  perExample?: boolean;
}

/**
 * pylearn2's costs.mlp.dropout.Dropout: the MLP's cost with dropout on the input of every layer
 * (Hinton et al. 2012, as pylearn2 implements it). Each input of layer L is kept with probability
 * include_prob(L) and multiplied by scale(L) — defaults 0.5 and 2, so the expected input is
 * unchanged; a layer whose include probability is 1 is left alone (no scaling either, as in
 * pylearn2). Masks come from the step's Rng, so training is reproducible and resumable.
 *
 * The masks are drawn only while training (ctx.training); on monitoring batches the cost is the
 * plain deterministic one, which is what the weight-scaling rule approximates at test time.
 */
export class Dropout implements Cost {
  readonly className = "Dropout";
  readonly supervised = true;
  readonly defaultInputIncludeProb: number;
  readonly inputIncludeProbs: Readonly<Record<string, number>>;
  readonly defaultInputScale: number;
  readonly inputScales: Readonly<Record<string, number>>;
  readonly perExample: boolean;

  constructor(opts: DropoutOptions = {}) {
    this.defaultInputIncludeProb = opts.defaultInputIncludeProb ?? 0.5;
    this.inputIncludeProbs = opts.inputIncludeProbs ?? {};
    this.defaultInputScale = opts.defaultInputScale ?? 2;
    this.inputScales = opts.inputScales ?? {};
    this.perExample = opts.perExample ?? true;
  }

  includeProb(layer: Layer): number {
    return this.inputIncludeProbs[layer.layerName] ?? this.defaultInputIncludeProb;
  }

  scale(layer: Layer): number {
    return this.inputScales[layer.layerName] ?? this.defaultInputScale;
  }

  /** pylearn2 raises on layer names the MLP does not have; so does dl, with a suggestion. */
  private checkNames(mlp: MLP): void {
    const names = mlp.layers.map((l) => l.layerName);
    for (const [field, dict] of [["input_include_probs", this.inputIncludeProbs], ["input_scales", this.inputScales]] as const) {
      for (const k of Object.keys(dict)) {
        if (!names.includes(k)) throw new ConfigError(`Dropout: ${field} names a layer ${k}, but the MLP has none by that name.${suggestionSuffix(k, names)} Layers: ${names.join(", ")}`);
      }
    }
  }

  /** The input of `layer` with dropout applied (pylearn2's MLP.apply_dropout). */
  applyDropout(state: Tensor, layer: Layer, rng: Rng): Tensor {
    const p = this.includeProb(layer);
    if (p === 1) return state;
    const scale = this.scale(layer);
    const shape = this.perExample ? state.shape : [1, ...state.shape.slice(1)];
    const size = shape.reduce((a, b) => a * b, 1);
    const keep = rng.fillBernoulli(new Float32Array(size), p) as Float32Array;
    const maskValue = layer.dropoutInputMaskValue;
    if (maskValue === 0) {
      // mask * scale in one array: one multiply on the batch instead of two.
      for (let i = 0; i < size; i++) keep[i] *= scale;
      return state.mul(Tensor.from(keep, shape, state.backend));
    }
    const m = Tensor.from(keep, shape, state.backend);
    return state.mul(scale).where(m.expand(state.shape), maskValue);
  }

  /** The MLP's output under one draw of the dropout masks (pylearn2's dropout_fprop). */
  dropoutFprop(mlp: MLP, X: Tensor, rng: Rng): Tensor {
    this.checkNames(mlp);
    return mlp.forward(X, { mask: (s, l) => this.applyDropout(s, l, rng) });
  }

  expr(model: Model, batch: Batch, ctx: StepContext): Tensor {
    const mlp = requireMLP(model, "Dropout");
    this.checkNames(mlp);
    if (!ctx.training) return mlp.costFromX(batch);
    const last = mlp.outputLayer;
    if (!isOutputLayer(last)) throw new ConfigError(`Dropout: the MLP's last layer ${last.layerName} (${last.className}) defines no cost`);
    const mask = (s: Tensor, l: Layer) => this.applyDropout(s, l, ctx.rng);
    const below = mlp.forward(batch.X, { layers: mlp.layers.length - 1, mask });
    return last.cost(mask(below, last), targetsOf(batch));
  }
}
