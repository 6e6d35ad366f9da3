import type { GpuBuffer, GpuRuntime } from "./runtime.js";

/** Marks a collected stage's submit hook for removal. */
const collected = new FinalizationRegistry<{ collected: boolean }>((life) => (life.collected = true));

/**
 * Per-dispatch inputs that recorded dispatches read from a device buffer (row indices, noise),
 * staged on the host and written in one `writeBuffer` just before the runtime's next submit: the
 * submit then carries every dispatch that reads them, and a later write queues behind it, so the
 * block starts again from word 0. Nothing is written or submitted per dispatch.
 */
export class SubmitStage {
  /** The device copy the dispatches bind. */
  readonly buffer: GpuBuffer;
  /** The host block, as floats and as unsigned words (one memory). */
  readonly f32: Float32Array;
  readonly u32: Uint32Array;
  /** Words [0, filled) of the block wait for the next submit. */
  private readonly pending = { filled: 0 };

  constructor(private readonly rt: GpuRuntime, readonly words: number) {
    this.buffer = rt.beyondStep(() => rt.alloc(words));
    const host = new ArrayBuffer(words * 4);
    this.f32 = new Float32Array(host);
    this.u32 = new Uint32Array(host);
    // The hook holds only what it writes, not this object: once the stage's owner is collected
    // (a finished run's fused step), the hook removes itself.
    const { pending, buffer } = this;
    const queue = rt.device.queue;
    const life = { collected: false };
    const remove = rt.beforeSubmit(() => {
      if (pending.filled > 0) queue.writeBuffer(buffer.buffer, 0, host, 0, pending.filled * 4);
      pending.filled = 0;
      if (life.collected) remove();
    });
    collected.register(this, life);
  }

  /** Room for `words` more: the offset (in words) to fill them at; a full block is submitted first. */
  take(words: number): number {
    if (this.pending.filled + words > this.words) this.rt.flush();
    const at = this.pending.filled;
    this.pending.filled += words;
    return at;
  }
}
