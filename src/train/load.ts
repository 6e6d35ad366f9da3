import { resolve } from "node:path";
import { loadConfigText } from "../config/index.js";
import type { DenseDesignMatrix } from "../data/dataset.js";
import { loadDataset } from "../data/dataset-file.js";
import { detectFormat, readModelFile } from "../io/model-file.js";
import { loadParams, type Model } from "../models/model.js";
import { recordModelSource } from "../models/model-source.js";
import { DlError, FileFormatError } from "../util/errors.js";
import type { Registry } from "../config/registry.js";

/**
 * Loading dl files back into objects, for `!pkl:` in experiment files. A model file holds the
 * resolved YAML of its model component: the model is rebuilt from it through the registry (as
 * any `!obj:` would be), then its parameters (and extra state) are loaded. Checkpoints load the
 * same way. Datasets come from the data helper's `loadDataset`.
 */
export interface LoadModelOptions {
  /** Loads nested `!pkl:` references inside the saved config (defaults to a fresh `makePklLoader()`). */
  loadPkl?: (path: string) => unknown;
  registry?: Registry;
}

export function loadModel(path: string, opts: LoadModelOptions = {}): Model {
  const file = readModelFile(path);
  if (!file.config) {
    throw new FileFormatError(`${path} holds no model configuration (metadata "config"), so dl cannot rebuild its ${file.className}`);
  }
  let model: Model;
  try {
    const exp = loadConfigText(file.config, `${path} (saved config)`, { registry: opts.registry, env: {} });
    model = exp.build({ loadPkl: opts.loadPkl ?? makePklLoader() }) as Model;
  } catch (e) {
    if (e instanceof DlError) throw new DlError(`cannot rebuild the model saved in ${path}: ${e.message}`, e.exitCode);
    throw e;
  }
  if (typeof model?.params !== "function") throw new FileFormatError(`${path}: its saved config does not describe a model`);
  try {
    loadParams(model, file.tensors, path);
  } catch (e) {
    throw new FileFormatError((e as Error).message);
  }
  const extra: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of Object.entries(file.tensors)) if (k.startsWith("extra_state.")) extra[k.slice("extra_state.".length)] = t;
  if (Object.keys(extra).length > 0) model.loadExtraState?.(extra);
  if (!model.inputView && file.view) model.inputView = file.view;
  // Nested !pkl: files are read again too (a fresh loader), so the copy is whole on its backend.
  recordModelSource(model, () => loadModel(path, { registry: opts.registry }));
  return model;
}

/**
 * A `BuildContext.loadPkl` for one experiment: datasets and models by file, each file loaded once
 * (the GRBM tutorial names the same 150000-patch file as training and monitoring data).
 */
export function makePklLoader(opts: { registry?: Registry } = {}): (path: string) => unknown {
  const cache = new Map<string, unknown>();
  const load = (path: string): unknown => {
    const abs = resolve(path);
    if (cache.has(abs)) return cache.get(abs);
    const format = detectFormat(abs);
    const out: DenseDesignMatrix | Model = format === "dl-dataset/1" ? loadDataset(abs) : loadModel(abs, { loadPkl: load, registry: opts.registry });
    cache.set(abs, out);
    return out;
  };
  return load;
}
