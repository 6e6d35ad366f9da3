import type { Tensor } from "../engine/index.js";
import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer } from "../io/model-file.js";
import type { Rng } from "../util/rng.js";
import type { Space } from "./space.js";

/** What an output layer is trained towards: one-hot classes, integer labels, or real-valued targets. */
export interface Targets {
  /** One-hot (batch x classes). */
  y?: Tensor;
  labels?: Int32Array;
  /** Real-valued (batch x dim), for regression outputs. */
  targets?: Tensor;
}

export type LayerChannels = Record<string, Tensor | number>;

/** Saved non-parameter tensors, by name. */
export type StateArrays = Record<string, { shape: number[]; data: Float32Array }>;

/**
 * pylearn2's mlp.Layer: one stage of an MLP. The MLP tells each layer its input space in order
 * (`setInputSpace`, which is where parameters are created, from the MLP's seeded Rng), then runs
 * `fprop` layer after layer. Parameters live in `p` under short keys (`W`, `b`) and are named
 * `<layer_name>_<key>` — pylearn2's own names (`h0_W`, `y_b`), unique because layer names are.
 */
export abstract class Layer {
  abstract readonly className: string;
  /** The value a dropped input takes (pylearn2's dropout_input_mask_value). */
  readonly dropoutInputMaskValue: number = 0;
  /**
   * True for layers that read their input as an image (convolution, locally connected): the MLP
   * then hands them dataset rows (or NCHW) untouched; dense layers get channels-last rows.
   */
  readonly consumesImages: boolean = false;
  protected readonly p: Record<string, Tensor> = {};
  private inSpace?: Space;
  private outSpace?: Space;

  constructor(readonly layerName: string) {}

  get inputSpace(): Space {
    if (!this.inSpace) throw new Error(`layer ${this.layerName}: input space not set (add the layer to an MLP first)`);
    return this.inSpace;
  }

  get outputSpace(): Space {
    if (!this.outSpace) throw new Error(`layer ${this.layerName}: output space not set (add the layer to an MLP first)`);
    return this.outSpace;
  }

  /** Records the spaces; subclasses call this from `setInputSpace` once they know their output. */
  protected setSpaces(input: Space, output: Space): void {
    this.inSpace = input;
    this.outSpace = output;
  }

  /** pylearn2's set_input_space: checks the input, fixes the output space and (re)creates the parameters. */
  abstract setInputSpace(space: Space, rng: Rng): void;

  /** The layer's output for a batch in its input space: (batch, dim) or NCHW. */
  abstract fprop(x: Tensor): Tensor;

  /** Trainable parameters, in a fixed order. */
  params(): Tensor[] {
    return Object.values(this.p);
  }

  /**
   * Replaces the parameter tensors (same order as `params()`): used by the float64 gradient
   * checks, which hand the layer their own leaves.
   */
  setParams(ts: readonly Tensor[]): void {
    const keys = Object.keys(this.p);
    if (ts.length !== keys.length) throw new Error(`layer ${this.layerName}: setParams got ${ts.length} tensors for ${keys.length} parameters`);
    keys.forEach((k, i) => (this.p[k] = ts[i]));
  }

  /** pylearn2's get_lr_scalers, by parameter name. */
  lrScalers(): Record<string, number> {
    return {};
  }

  /** pylearn2's modify_updates: norm constraints, applied after each update. */
  afterUpdate(): void {}

  /** The tensors weight decay penalises (pylearn2: the layer's W). */
  weights(): Tensor[] {
    return [];
  }

  /**
   * pylearn2's get_layer_monitoring_channels (without the layer-name prefix the MLP adds): weight
   * norms, activation statistics, and for output layers the error and cost on `targets`.
   */
  monitorChannels(_stateBelow: Tensor, _state: Tensor, _targets?: Targets): LayerChannels {
    return {};
  }

  /** How `dl show-weights` draws this layer's weights, or null. `view` is the input's image shape when known. */
  drawable(_view?: DatasetView): DrawableLayer | null {
    return null;
  }

  /** State outside `params()` that must be saved (a frozen pretrained layer's weights). */
  extraState(): StateArrays {
    return {};
  }

  loadExtraState(_state: StateArrays): void {}

  /** A one-line summary for printing. */
  describe(): string {
    return `${this.layerName}: ${this.className} ${this.inSpace ?? "?"} -> ${this.outSpace ?? "?"}`;
  }
}

/** A layer that can be the last one and defines the MLP's default cost (pylearn2's Layer.cost). */
export interface OutputLayer extends Layer {
  /**
   * The cost of this layer's prediction from its input `stateBelow` (taking the input, not the
   * output, lets softmax and sigmoid costs use the stable log-space form on the pre-activation).
   */
  cost(stateBelow: Tensor, targets: Targets): Tensor;
}

export function isOutputLayer(l: Layer): l is OutputLayer {
  return typeof (l as Partial<OutputLayer>).cost === "function";
}
