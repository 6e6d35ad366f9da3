import type { Backend } from "../engine/backend.js";
import { withDefaultBackend } from "../engine/context.js";
import type { Model } from "./model.js";

/**
 * How to build a loaded model again on another backend: the `!pkl:` loader records, for each model
 * it reads from a file, a function that reads that file again. A TransformerDataset whose
 * transformer lives on a GPU uses it to encode its rows on the CPU, where results read back
 * synchronously. Weak keys: a model nobody holds takes its entry with it.
 */
const sources = new WeakMap<object, () => Model>();

export function recordModelSource(model: object, load: () => Model): void {
  sources.set(model, load);
}

/** `model` read again from its file with its tensors on `backend`, or null when it did not come from a file. */
export function reloadModelOn(model: object, backend: Backend): Model | null {
  const load = sources.get(model);
  return load ? withDefaultBackend(backend, load) : null;
}
