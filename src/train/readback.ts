import { Tensor, type Backend } from "../engine/index.js";

/**
 * Reading values back from where training runs. On the CPU every read is synchronous and free;
 * on a GPU a read waits for the device (mapAsync), so the trainer reads only at monitoring and
 * saving points, everything it needs at once.
 */

/** A backend whose synchronous reads can be staged (the webgpu backend: see its `collectReads`). */
export interface StagedReadBackend extends Backend {
  collectReads(): void;
  fetchReads(): Promise<void>;
  endReads(): void;
  countNonFinite(s: unknown, n: number): unknown;
  /** Submits recorded work; waits for the previous chunk (keeps the host at most one chunk ahead). */
  pace(): Promise<void>;
  /** Waits until all recorded work has run (an epoch's time includes the device's). */
  sync(): Promise<void>;
}

export function isStaged(b: Backend): b is StagedReadBackend {
  return typeof (b as Partial<StagedReadBackend>).fetchReads === "function";
}

/**
 * Runs `fn`, which reads tensors synchronously (`toArray`), on any backend. On the CPU it simply
 * runs. On a GPU it runs twice: a dry run that notes which buffers it reads, then, once those have
 * come back in one go, the real run. `fn` must therefore have no effects besides its result (it
 * gathers what a file will hold; the caller writes the file).
 */
export async function readBack<T>(backend: Backend, fn: () => T): Promise<T> {
  if (!isStaged(backend)) return fn();
  backend.collectReads();
  try {
    fn();
    await backend.fetchReads();
    return fn();
  } finally {
    backend.endReads();
  }
}

/** The values of 0-d (or 1-value) tensors, with one read-back for all of them on a GPU. */
export async function readScalars(ts: readonly Tensor[]): Promise<number[]> {
  if (ts.length === 0) return [];
  const backend = ts[0].backend;
  if (backend.syncRead) return ts.map((t) => t.item());
  const all = Tensor.concat(ts.map((t) => t.reshape([1])), 0);
  return Array.from(await all.read());
}
