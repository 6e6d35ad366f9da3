import { noGrad, type Tensor } from "../engine/index.js";
import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer } from "../io/model-file.js";
import { ConfigError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";
import { Layer, type StateArrays } from "./layer.js";
import { asMatrix, VectorSpace, type Space } from "./space.js";

/**
 * What a PretrainedLayer needs from the model it wraps — the Model interface's upward-pass part
 * (RBMs give hidden means, autoencoders their codes, an MLP its output). Declared here, not
 * imported from src/models, because layers sit below models in dl's architecture.
 */
export interface EncoderModel {
  readonly className: string;
  readonly inputDim: number;
  readonly outputDim?: number;
  params(): Tensor[];
  encode?(X: Tensor): Tensor;
  lrScalers?(): Record<string, number>;
  afterUpdate?(): void;
  drawableLayers?(): DrawableLayer[];
  extraState?(): StateArrays;
  loadExtraState?(state: StateArrays): void;
}

/**
 * pylearn2's PretrainedLayer: a trained model (e.g. an autoencoder from a `!pkl:` file) used as
 * a layer through its upward pass. Its parameters become the MLP's — fine-tuned with the rest —
 * unless freeze_params. They are renamed `<layer_name>_<name>` (the wrapped model's own tensors
 * are renamed in place) so that two pretrained layers, each with a `W`, stay distinct in the
 * MLP's file. Frozen parameters are still saved, through extraState.
 */
/** Models already wrapped: renaming one's parameters twice would break the first wrapper's names. */
const wrapped = new WeakSet<object>();

export class PretrainedLayer extends Layer {
  readonly className = "PretrainedLayer";
  /** Each wrapped parameter's original name -> its name in the MLP. */
  private readonly renamed = new Map<string, string>();

  constructor(
    layerName: string,
    readonly content: EncoderModel,
    readonly freezeParams = false,
  ) {
    super(layerName);
    if (typeof content.encode !== "function" || content.outputDim === undefined) {
      throw new ConfigError(`layer ${layerName}: layer_content (${content.className}) has no upward pass (encode) to use as a layer`);
    }
    if (wrapped.has(content)) {
      throw new ConfigError(`layer ${layerName}: its ${content.className} is already wrapped by another PretrainedLayer; load the file twice for two layers`);
    }
    wrapped.add(content);
    for (const t of content.params()) {
      const orig = t.name ?? `param${this.renamed.size}`;
      const name = `${layerName}_${orig}`;
      this.renamed.set(orig, name);
      t.name = name;
    }
  }

  setInputSpace(space: Space, _rng: Rng): void {
    if (space.totalDim !== this.content.inputDim) {
      throw new ConfigError(
        `layer ${this.layerName}: its ${this.content.className} takes inputs of ${this.content.inputDim} values, but the layer below gives ${space.totalDim} (${space})`,
      );
    }
    this.setSpaces(space, new VectorSpace(this.content.outputDim!));
  }

  fprop(x: Tensor): Tensor {
    return this.content.encode!(asMatrix(x));
  }

  override params(): Tensor[] {
    return this.freezeParams ? [] : this.content.params();
  }

  override setParams(): void {
    throw new Error(`layer ${this.layerName}: a PretrainedLayer's parameters belong to the model it wraps`);
  }

  private newName(name: string): string {
    return this.renamed.get(name) ?? name;
  }

  override lrScalers(): Record<string, number> {
    if (this.freezeParams || !this.content.lrScalers) return {};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.content.lrScalers())) out[this.newName(k)] = v;
    return out;
  }

  override afterUpdate(): void {
    if (!this.freezeParams) this.content.afterUpdate?.();
  }

  /** Weight decay applies to the wrapped model's matrices (parameters of rank 2 and more), not its biases. */
  override weights(): Tensor[] {
    return this.content.params().filter((t) => t.shape.length >= 2);
  }

  override drawable(view?: DatasetView): DrawableLayer | null {
    const inner = this.content.drawableLayers?.()[0];
    if (!inner) return null;
    return { ...inner, name: this.layerName, tensor: this.newName(inner.tensor), ...(inner.view || !view ? {} : { view }) };
  }

  override extraState(): StateArrays {
    const out: StateArrays = {};
    if (this.freezeParams) {
      noGrad(() => {
        for (const t of this.content.params()) out[t.name!] = { shape: [...t.shape], data: Float32Array.from(t.toArray()) };
      });
    }
    for (const [k, v] of Object.entries(this.content.extraState?.() ?? {})) out[`${this.layerName}.${k}`] = v;
    return out;
  }

  override loadExtraState(state: StateArrays): void {
    if (this.freezeParams) {
      for (const t of this.content.params()) {
        const s = state[t.name!];
        if (s) t.data = t.backend.fromArray(s.data);
      }
    }
    const prefix = `${this.layerName}.`;
    const inner: StateArrays = {};
    for (const [k, v] of Object.entries(state)) if (k.startsWith(prefix)) inner[k.slice(prefix.length)] = v;
    if (Object.keys(inner).length > 0) this.content.loadExtraState?.(inner);
  }
}
