import { ConfigError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";

/**
 * Minibatch index iterators with pylearn2's semantics (pylearn2/utils/iteration.py):
 *
 * - `sequential`: slices [0, b), [b, 2b), ...; the last may be short.
 * - `shuffled_sequential`: one permutation drawn at the start of the pass, then slices of it.
 * - `random_uniform`: each batch draws `b` indices uniformly with replacement.
 * - `batchwise_shuffled_sequential`: sequential slices visited in a shuffled order.
 *
 * Batch size and count follow pylearn2: with only `numBatches`, the batch size is
 * ceil(n / numBatches) (so `monitoring_batches: 20` covers the whole dataset in 20 batches); with
 * only `batchSize`, the count is ceil(n / batchSize). The state (position and permutation) can be
 * saved and restored, so a pass interrupted mid-way resumes at the same batch.
 */
export type IterationMode = "sequential" | "shuffled_sequential" | "random_uniform" | "batchwise_shuffled_sequential";

export const ITERATION_MODES: readonly IterationMode[] = ["sequential", "shuffled_sequential", "random_uniform", "batchwise_shuffled_sequential"];

export function isStochastic(mode: IterationMode): boolean {
  return mode !== "sequential";
}

/** A batch: a contiguous slice of rows, or a list of row indices. */
export type BatchSelection = { start: number; stop: number } | Int32Array;

export function selectionSize(s: BatchSelection): number {
  return s instanceof Int32Array ? s.length : s.stop - s.start;
}

export interface BatchPlan {
  batchSize: number;
  numBatches: number;
  /** Examples one pass visits (what the monitor divides by when averaging). */
  numExamples: number;
}

/** Resolves batch size and count as pylearn2's iterators do; `what` names the setting in errors. */
export function planBatches(n: number, mode: IterationMode, batchSize: number | null, numBatches: number | null, what: string): BatchPlan {
  if (n <= 0) throw new ConfigError(`${what}: the dataset has no examples`);
  if (mode === "random_uniform") {
    if (batchSize === null) throw new ConfigError(`${what}: random_uniform iteration needs a batch size`);
    // pylearn2 requires num_batches here; without one, draw about one dataset's worth per pass.
    const nb = numBatches ?? Math.max(1, Math.floor(n / batchSize));
    return { batchSize, numBatches: nb, numExamples: batchSize * nb };
  }
  let b = batchSize;
  let nb = numBatches;
  if (b === null) {
    if (nb === null) throw new ConfigError(`${what}: give a batch size or a number of batches`);
    b = Math.ceil(n / nb);
  } else if (nb !== null) {
    const max = Math.ceil(n / b);
    if (nb > max) {
      throw new ConfigError(`${what}: a dataset of ${n} examples can only provide ${max} batches of ${b}, but ${nb} were requested`);
    }
  } else {
    nb = Math.ceil(n / b);
  }
  return { batchSize: b, numBatches: nb, numExamples: Math.min(b * nb, n) };
}

/** What a checkpoint needs to continue a pass exactly where it stopped. */
export interface IteratorState {
  mode: IterationMode;
  n: number;
  batchSize: number;
  numBatches: number;
  batch: number;
  idx: number;
  /** The pass's permutation (shuffled_sequential) or batch order (batchwise). */
  order: Int32Array | null;
}

export class SubsetIterator {
  private batch = 0;
  private idx = 0;
  private order: Int32Array | null = null;

  /**
   * `rng` is used for the permutation now (shuffled modes) and for every batch (random_uniform);
   * it is the caller's generator, so successive passes draw different orders from one stream.
   */
  constructor(
    readonly mode: IterationMode,
    readonly n: number,
    readonly plan: BatchPlan,
    private readonly rng: Rng | null,
  ) {
    if (isStochastic(mode) && !rng) throw new Error(`${mode} iteration needs a random generator`);
    if (mode === "shuffled_sequential") this.order = rng!.permutation(n);
    else if (mode === "batchwise_shuffled_sequential") this.order = rng!.permutation(plan.numBatches);
  }

  get batchIndex(): number {
    return this.batch;
  }

  /** The next batch, or null when the pass is over. */
  next(): BatchSelection | null {
    const { batchSize: b, numBatches } = this.plan;
    if (this.batch >= numBatches) return null;
    switch (this.mode) {
      case "random_uniform": {
        const sel = new Int32Array(b);
        for (let i = 0; i < b; i++) sel[i] = this.rng!.randint(this.n);
        this.batch++;
        return sel;
      }
      case "batchwise_shuffled_sequential": {
        const start = this.order![this.batch] * b;
        this.batch++;
        return { start, stop: Math.min(start + b, this.n) };
      }
      default: {
        if (this.idx >= this.n) return null;
        const start = this.idx;
        const stop = Math.min(start + b, this.n);
        this.idx = stop;
        this.batch++;
        return this.order ? this.order.subarray(start, stop) : { start, stop };
      }
    }
  }

  state(): IteratorState {
    const { batchSize, numBatches } = this.plan;
    return { mode: this.mode, n: this.n, batchSize, numBatches, batch: this.batch, idx: this.idx, order: this.order };
  }

  /** Rebuilds an iterator in the middle of a pass (the rng is only used by later random_uniform batches). */
  static restore(st: IteratorState, rng: Rng | null): SubsetIterator {
    const it = Object.create(SubsetIterator.prototype) as SubsetIterator;
    Object.assign(it, {
      mode: st.mode,
      n: st.n,
      plan: { batchSize: st.batchSize, numBatches: st.numBatches, numExamples: Math.min(st.batchSize * st.numBatches, st.n) },
      rng,
      batch: st.batch,
      idx: st.idx,
      order: st.order,
    });
    return it;
  }
}
