import { Tensor } from "../engine/index.js";
import { MLP, requireMLP } from "../models/mlp.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { ConfigError } from "../util/errors.js";
import { suggestionSuffix } from "../util/suggest.js";
import type { Cost } from "./cost.js";

/** One coefficient for every layer, a list in layer order, or {layer_name: coefficient}. */
export type LayerCoeffs = number | readonly number[] | Readonly<Record<string, number>>;

/**
 * The (layer, coefficient) pairs `coeffs` names, as pylearn2 reads them: a list pairs with the
 * layers in order (and must have one entry per layer); a dict names layers (a name that is no
 * layer is an error here — pylearn2 ignored it silently, which hid typos); one number applies to
 * every layer that has weights.
 */
export function layerCoeffs(mlp: MLP, coeffs: LayerCoeffs, costName: string): Array<[MLP["layers"][number], number]> {
  const layers = mlp.layers;
  if (typeof coeffs === "number") return layers.filter((l) => l.weights().length > 0).map((l) => [l, coeffs]);
  if (Array.isArray(coeffs)) {
    if (coeffs.length !== layers.length) {
      throw new ConfigError(`${costName}: coeffs has ${coeffs.length} entries but the MLP has ${layers.length} layers (${layers.map((l) => l.layerName).join(", ")})`);
    }
    return layers.map((l, i) => [l, coeffs[i]]);
  }
  const byName = coeffs as Record<string, number>;
  const names = layers.map((l) => l.layerName);
  for (const k of Object.keys(byName)) {
    if (!names.includes(k)) throw new ConfigError(`${costName}: coeffs names a layer ${k}, but the MLP has none by that name.${suggestionSuffix(k, names)} Layers: ${names.join(", ")}`);
  }
  return layers.filter((l) => l.layerName in byName).map((l) => [l, byName[l.layerName]]);
}

/** A model that is one layer of weights (the RBMs): `weights()` lists the tensors to penalise. */
interface WeightedModel extends Model {
  weights(): Tensor[];
}

function isWeightedModel(m: Model): m is WeightedModel {
  return typeof (m as Partial<WeightedModel>).weights === "function";
}

/**
 * The penalty on a one-layer model such as an RBM (Hinton's "weight-cost" on W, never the biases),
 * e.g. in a SumOfCosts with CDk. It has no layer names, so coeffs is one number (or a one-entry
 * list, as pylearn2's DBM WeightDecay gives one per hidden layer).
 */
function singleLayerPenalty(model: WeightedModel, coeffs: LayerCoeffs, costName: string, f: (w: Tensor) => Tensor): Tensor {
  let c: number;
  if (typeof coeffs === "number") c = coeffs;
  else if (Array.isArray(coeffs) && coeffs.length === 1) c = coeffs[0] as number;
  else throw new ConfigError(`${costName}: a ${model.className} has one layer of weights and no layer names; give coeffs as one number`);
  const ws = model.weights();
  let total = f(ws[0]).sum().mul(c);
  for (const w of ws.slice(1)) total = total.add(f(w).sum().mul(c));
  return total;
}

/** Sum over layers of coeff * sum(f(W)) over each layer's weight tensors. */
function penalty(model: Model, coeffs: LayerCoeffs, costName: string, f: (w: Tensor) => Tensor): Tensor {
  if (!(model instanceof MLP) && isWeightedModel(model)) return singleLayerPenalty(model, coeffs, costName, f);
  const mlp = requireMLP(model, costName);
  let total: Tensor | null = null;
  for (const [layer, c] of layerCoeffs(mlp, coeffs, costName)) {
    if (c === 0) continue;
    const ws = layer.weights();
    if (ws.length === 0) throw new ConfigError(`${costName}: layer ${layer.layerName} (${layer.className}) has no weights to penalise; give it coefficient 0`);
    for (const w of ws) {
      const term = f(w).sum().mul(c);
      total = total ? total.add(term) : term;
    }
  }
  return total ?? Tensor.scalar(0, mlp.params()[0]?.backend);
}

/**
 * pylearn2's costs.mlp.WeightDecay: sum over layers of coeff * sum(W^2) (biases are not penalised).
 * dl also accepts a one-layer model with `weights()` (RBM, GaussianBinaryRBM): coeff * sum(W^2).
 */
export class WeightDecay implements Cost {
  readonly className = "WeightDecay";
  readonly supervised = false;
  /** pylearn2 names the value `weight_decay`; SumOfCosts reports it as term_<i>_weight_decay. */
  readonly termName = "weight_decay";

  constructor(readonly coeffs: LayerCoeffs) {}

  expr(model: Model, _batch: Batch, _ctx: StepContext): Tensor {
    return penalty(model, this.coeffs, this.className, (w) => w.square());
  }
}

/** pylearn2's costs.mlp.L1WeightDecay: sum over layers of coeff * sum(|W|). */
export class L1WeightDecay implements Cost {
  readonly className = "L1WeightDecay";
  readonly supervised = false;
  readonly termName = "l1_penalty";

  constructor(readonly coeffs: LayerCoeffs) {}

  expr(model: Model, _batch: Batch, _ctx: StepContext): Tensor {
    return penalty(model, this.coeffs, this.className, (w) => w.abs());
  }
}
