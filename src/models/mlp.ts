import { engineState, noGrad, type Tensor } from "../engine/index.js";
import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer } from "../io/model-file.js";
import { isOutputLayer, type Layer, type StateArrays, type Targets } from "../nn/layer.js";
import { Conv2DSpace, rowsFromImage, VectorSpace, type Space } from "../nn/space.js";
import { ConfigError, ShapeError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import type { Batch, Channels, Model, StepContext } from "./model.js";
import { Default } from "../costs/mlp-default.js";
import type { Cost } from "../costs/cost.js";

export interface MLPOptions {
  layers: Layer[];
  /** Input size: shorthand for inputSpace = VectorSpace(nvis). */
  nvis?: number | null;
  inputSpace?: Space | null;
  /** Seed of the parameter initialisation (pylearn2's default [2013, 1, 4]). */
  seed?: number | readonly number[] | null;
  /** Report channels that need the targets (misclass, nll); false for unlabelled monitoring data. */
  monitorTargets?: boolean;
}

/** Options of one forward pass. */
export interface ForwardOptions {
  /** How many layers to run (default all). */
  layers?: number;
  /** Applied to each layer's input before the layer runs (dropout masks). */
  mask?: (state: Tensor, layer: Layer, index: number) => Tensor;
}

/**
 * pylearn2's MLP: layers applied in order, each told its input space by the one below (which is
 * when it creates its parameters, from the MLP's seeded Rng). Parameters are named
 * `<layer_name>_<param>` (`h0_W`, `h0_b`, `y_W`, `y_b`), monitor channels `<layer_name>_<channel>`
 * (`y_misclass`, `y_nll`, `h0_col_norms_max`), both as pylearn2 names them.
 *
 * Input: a batch of dataset rows (batch x nvis), channels-last when they are images; with a
 * Conv2DSpace input an image layer reshapes them to NCHW itself, and an NCHW batch is accepted
 * as well. `encode(X)` is the full forward pass (the output layer's output), so an MLP can be
 * stacked as a PretrainedLayer or used as a feature extractor.
 */
export class MLP implements Model {
  readonly className = "MLP";
  readonly layers: readonly Layer[];
  readonly inputSpace: Space;
  readonly inputDim: number;
  readonly outputDim: number;
  inputView?: DatasetView;
  config?: Record<string, unknown>;
  readonly monitorTargets: boolean;
  /** Inside withForwardCache: the states of the last gradient-free, unmasked pass (states[i] = input of layer i). */
  private cache: { X: Tensor | null; states: Tensor[] } | null = null;

  constructor(opts: MLPOptions) {
    this.monitorTargets = opts.monitorTargets ?? true;
    const layers = opts.layers;
    if (layers.length === 0) throw new ConfigError("MLP needs at least one layer");
    const names = new Set<string>();
    for (const l of layers) {
      if (names.has(l.layerName)) throw new ConfigError(`MLP was given two or more layers with the same name: ${l.layerName}`);
      names.add(l.layerName);
    }
    if (new Set(layers).size !== layers.length) throw new ConfigError("MLP was given the same layer object twice (a YAML alias?); each layer needs its own parameters");
    let space = opts.inputSpace ?? null;
    if (opts.nvis != null) {
      if (space && space.totalDim !== opts.nvis) throw new ConfigError(`MLP: nvis ${opts.nvis} disagrees with input_space ${space}`);
      space ??= new VectorSpace(opts.nvis);
    }
    if (!space) throw new ConfigError("MLP needs nvis or input_space");
    this.layers = layers;
    this.inputSpace = space;
    this.inputDim = space.totalDim;
    if (space instanceof Conv2DSpace) this.inputView = { rows: space.rows, cols: space.cols, channels: space.channels };

    const seed = opts.seed ?? [2013, 1, 4];
    const rng = Rng.fromSeed(seed);
    for (const l of layers) {
      l.setInputSpace(space, rng);
      space = l.outputSpace;
    }
    this.outputDim = space.totalDim;
  }

  /** The layer named `name`, or undefined. */
  layer(name: string): Layer | undefined {
    return this.layers.find((l) => l.layerName === name);
  }

  get outputLayer(): Layer {
    return this.layers[this.layers.length - 1];
  }

  params(): Tensor[] {
    const seen = new Set<Tensor>();
    const out: Tensor[] = [];
    for (const l of this.layers) for (const p of l.params()) if (!seen.has(p)) (seen.add(p), out.push(p));
    return out;
  }

  /** Replaces every layer's parameter tensors, in `params()` order (the float64 gradient checks use it). */
  setParams(ts: readonly Tensor[]): void {
    let i = 0;
    for (const l of this.layers) {
      const n = l.params().length;
      if (n > 0) l.setParams(ts.slice(i, i + n));
      i += n;
    }
    if (i !== ts.length) throw new Error(`MLP.setParams: got ${ts.length} tensors for ${i} parameters`);
  }

  /** Checks a batch and puts it in the form the first layer reads. */
  private prepareInput(X: Tensor): Tensor {
    if (X.shape.length === 4) {
      if (!(this.inputSpace instanceof Conv2DSpace)) throw new ShapeError(`MLP: got an image batch (${X.shape.join(", ")}) but its input space is ${this.inputSpace}`);
      return this.layers[0].consumesImages ? X : rowsFromImage(X);
    }
    if (X.shape.length !== 2 || X.shape[1] !== this.inputDim) {
      throw new ShapeError(`MLP: expected a batch of rows with ${this.inputDim} values (${this.inputSpace}), got a tensor of shape (${X.shape.join(", ")})`);
    }
    return X;
  }

  /** Runs the layers on X (pylearn2's fprop; with `mask`, its dropout_fprop). */
  forward(X: Tensor, opts: ForwardOptions = {}): Tensor {
    const n = opts.layers ?? this.layers.length;
    if (this.cache && !opts.mask && !engineState.gradEnabled) return this.cachedStates(X, n)[n];
    let state = this.prepareInput(X);
    for (let i = 0; i < n; i++) {
      const l = this.layers[i];
      if (opts.mask) state = opts.mask(state, l, i);
      state = l.fprop(state);
    }
    return state;
  }

  fprop(X: Tensor): Tensor {
    return this.forward(X);
  }

  /** The layer states of X up to layer n (states[0] is the prepared input), extending the cached pass. */
  private cachedStates(X: Tensor, n: number): Tensor[] {
    const c = this.cache!;
    if (c.X !== X) {
      c.X = X;
      c.states = [this.prepareInput(X)];
    }
    for (let i = c.states.length - 1; i < n; i++) c.states.push(this.layers[i].fprop(c.states[i]));
    return c.states;
  }

  withForwardCache<T>(fn: () => T): T {
    const outer = this.cache;
    this.cache = outer ?? { X: null, states: [] };
    try {
      return fn();
    } finally {
      this.cache = outer;
    }
  }

  encode(X: Tensor): Tensor {
    return this.forward(X);
  }

  /**
   * pylearn2's cost_from_X: the output layer's cost of the batch (softmax: mean negative
   * log-likelihood; SVM: hinge; Linear: squared error). The last layer gets the state below it
   * so its cost can use the stable pre-activation form.
   */
  costFromX(batch: Batch): Tensor {
    const last = this.outputLayer;
    if (!isOutputLayer(last)) {
      throw new ConfigError(`MLP: its last layer ${last.layerName} (${last.className}) defines no cost; end it with Softmax, Sigmoid, Linear or SVM`);
    }
    const below = this.forward(batch.X, { layers: this.layers.length - 1 });
    return last.cost(below, targetsOf(batch));
  }

  /** pylearn2's get_default_cost: the Default cost (the output layer's own, e.g. softmax NLL). */
  defaultCost(): Cost {
    return new Default();
  }

  lrScalers(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const l of this.layers) Object.assign(out, l.lrScalers());
    return out;
  }

  afterUpdate(): void {
    for (const l of this.layers) l.afterUpdate();
  }

  /** pylearn2's get_monitoring_channels: each layer's channels, prefixed `<layer_name>_`; targets go to the last layer only. */
  monitorChannels(batch: Batch, _ctx: StepContext): Channels {
    return noGrad(() => {
      const out: Channels = {};
      const targets = this.monitorTargets && (batch.y || batch.labels || batch.targets) ? targetsOf(batch) : undefined;
      // Inside withForwardCache the cost terms have usually run this batch's pass already.
      const cached = this.cache ? this.cachedStates(batch.X, this.layers.length) : null;
      let state = cached ? cached[0] : this.prepareInput(batch.X);
      this.layers.forEach((l, i) => {
        const below = state;
        state = cached ? cached[i + 1] : l.fprop(state);
        const ch = l.monitorChannels(below, state, i === this.layers.length - 1 ? targets : undefined);
        for (const [k, v] of Object.entries(ch)) out[`${l.layerName}_${k}`] = v;
      });
      return out;
    });
  }

  /** Every layer with drawable weights, input layer first (the default `dl show-weights` draws). */
  drawableLayers(): DrawableLayer[] {
    const out: DrawableLayer[] = [];
    this.layers.forEach((l, i) => {
      const view = i === 0 && this.inputView && this.inputView.rows * this.inputView.cols * this.inputView.channels === this.inputDim ? this.inputView : undefined;
      const d = l.drawable(view);
      if (d) out.push(d);
    });
    return out;
  }

  extraState(): StateArrays {
    const out: StateArrays = {};
    for (const l of this.layers) Object.assign(out, l.extraState());
    return out;
  }

  loadExtraState(state: StateArrays): void {
    for (const l of this.layers) l.loadExtraState(state);
  }

  /** One line per layer: name, class, input and output spaces. */
  describe(): string {
    return this.layers.map((l) => l.describe()).join("\n");
  }
}

/** The targets of a batch, in the form layers read them. */
export function targetsOf(batch: Batch): Targets {
  return { y: batch.y, labels: batch.labels, targets: batch.targets };
}

/** Narrows a Model to an MLP with a clear error for costs that only make sense on one. */
export function requireMLP(model: Model, costName: string): MLP {
  if (model instanceof MLP) return model;
  throw new ConfigError(`${costName} works on an MLP, but the model is a ${model.className}`);
}
