import type { Tensor } from "../engine/index.js";
import type { StepContext } from "./model.js";
import { Autoencoder, type AutoencoderOptions } from "./autoencoder.js";
import type { Corruptor } from "./corruptors.js";

/**
 * pylearn2's DenoisingAutoencoder: reconstructs x from corruptor(x). The corruption applies while
 * training (ctx.training); monitoring measures the clean reconstruction, so the channel is
 * comparable across corruption levels. The corruptor's generator state is saved with the model.
 */
export class DenoisingAutoencoder extends Autoencoder {
  override readonly className: string = "DenoisingAutoencoder";

  constructor(readonly corruptor: Corruptor, o: AutoencoderOptions) {
    super(o);
  }

  protected override encoderInput(X: Tensor, ctx: StepContext): Tensor {
    return ctx.training ? this.corruptor.corrupt(X) : X;
  }

  extraState(): Record<string, { shape: number[]; data: Float32Array }> {
    return { corruptor_rng: this.corruptor.rngState() };
  }

  loadExtraState(state: Record<string, { shape: number[]; data: Float32Array }>): void {
    if (state.corruptor_rng) this.corruptor.loadRngState(state.corruptor_rng);
  }
}
