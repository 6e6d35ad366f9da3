import type { Backend, Storage } from "./backend.js";
import { engineState } from "./context.js";
import type { Tensor } from "./tensor.js";

/**
 * Buffer reuse across training steps. A step makes a few megabytes of activations and gradients
 * that are garbage once the update is applied; left to the garbage collector, every large array
 * counts as external memory and V8 answers with a full collection every few steps (a quarter of an
 * MLP epoch here). Inside `runInStepScope` the backend lists every large buffer it hands out; when
 * the step ends, each tensor made during the step is released (its data can no longer be read, so
 * a tensor wrongly kept fails loudly instead of seeing recycled values), and every listed buffer
 * that nothing outside the step holds goes back to the backend for the next step.
 *
 * What outside the step can hold a buffer, and so keeps it from reuse:
 * - a tensor made before the step whose `data` is replaced during it (e.g. an AdaGrad slot);
 * - a tensor passed to `keepBeyondStep` (e.g. persistent Gibbs chains);
 * - an array read out with `toArray()`/`read()` during the step.
 */
export interface StepScope {
  readonly id: number;
  /** Tensors made while the scope was open: released with it unless kept. */
  readonly tensors: Tensor[];
  /** Large buffers the backend handed out while the scope was open. */
  readonly allocated: Storage[];
  /** Buffers something outside the step holds: never recycled. */
  readonly escaped: Set<Storage>;
}

let lastId = 0;

/**
 * Runs one training step with buffer reuse. The result must not carry tensors made in the step.
 * Backends without reuse (the GPU's buffers are its own), and a scope inside another, just run `fn`.
 * When `fn` throws nothing is released: the error path may still read what the step made.
 */
export function runInStepScope<T>(backend: Backend, fn: () => T): T {
  if (engineState.scope !== null || !backend.recordAllocations || !backend.recycle) return fn();
  const scope: StepScope = { id: ++lastId, tensors: [], allocated: [], escaped: new Set() };
  engineState.scope = scope;
  backend.recordAllocations(scope.allocated);
  let result: T;
  try {
    result = fn();
  } finally {
    engineState.scope = null;
    backend.recordAllocations(null);
  }
  for (const t of scope.tensors) if (t.scopeId === scope.id) t.release();
  for (const s of scope.allocated) if (!scope.escaped.has(s)) backend.recycle(s);
  return result;
}

/** Marks a tensor made during a step as living on after it (state such as persistent chains). */
export function keepBeyondStep(t: Tensor): Tensor {
  const s = engineState.scope;
  if (s !== null && t.scopeId === s.id) {
    t.scopeId = 0;
    s.escaped.add(t.data);
  }
  return t;
}
