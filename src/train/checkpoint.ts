import { existsSync } from "node:fs";
import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer, MonitorHistory } from "../io/model-file.js";
import { readSafetensors, writeSafetensors, type SafeArray } from "../io/safetensors.js";
import { DlError, FileFormatError } from "../util/errors.js";
import { VERSION } from "../version.js";

/**
 * Checkpoints (`dl-checkpoint/1`): everything a model file holds (parameters under their own
 * names, class, config, monitor, view, layers — so `dl info`, `show-weights` and `!pkl:` read
 * them like model files) plus the training state: optimizer slots, RNG states, counters,
 * iterator position, extension and criterion state, as JSON in `__metadata__.state` and as
 * tensors named `@<owner>/<name>`.
 */
export const CHECKPOINT_FORMAT = "dl-checkpoint/1";

export type StateTensors = Record<string, { shape: number[]; data: Float32Array | Int32Array }>;

export interface CheckpointContents {
  className: string;
  params: Record<string, { shape: number[]; data: Float32Array }>;
  /** `@alg/...`, `@model/...` entries. */
  state: StateTensors;
  json: Record<string, unknown>;
  config?: string;
  trainConfig?: string;
  monitor: MonitorHistory;
  view?: DatasetView;
  layers?: DrawableLayer[];
}

export function checkpointPathFor(savePath: string): string {
  return `${savePath}.ckpt`;
}

export function writeCheckpoint(path: string, c: CheckpointContents): void {
  const tensors: Record<string, { shape: number[]; data: SafeArray }> = {};
  for (const [k, t] of Object.entries(c.params)) tensors[k] = t;
  for (const [k, t] of Object.entries(c.state)) {
    if (!k.startsWith("@")) throw new Error(`checkpoint state tensor ${k} must be named @owner/name`);
    tensors[k] = t;
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    class: c.className,
    dl_version: VERSION,
    state: JSON.stringify(c.json),
    monitor: JSON.stringify(c.monitor),
  };
  if (c.config !== undefined) metadata.config = c.config;
  if (c.trainConfig !== undefined) metadata.train_config = c.trainConfig;
  if (c.view) metadata.view = JSON.stringify([c.view.rows, c.view.cols, c.view.channels]);
  if (c.layers) metadata.layers = JSON.stringify(c.layers);
  writeSafetensors(path, tensors, metadata);
}

export function readCheckpoint(path: string): CheckpointContents {
  if (!existsSync(path)) {
    throw new DlError(`no checkpoint to resume from: ${path} does not exist (run without --resume to start training)`, 2);
  }
  const { tensors, metadata } = readSafetensors(path);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new FileFormatError(`${path} is not a dl checkpoint (format ${metadata.format ?? "missing"}, expected ${CHECKPOINT_FORMAT})`);
  }
  const parse = <T>(key: string): T => {
    try {
      return JSON.parse(metadata[key] ?? "") as T;
    } catch {
      throw new FileFormatError(`${path}: checkpoint metadata ${key} is missing or damaged`);
    }
  };
  const params: CheckpointContents["params"] = {};
  const state: StateTensors = {};
  for (const [name, t] of tensors) {
    if (name.startsWith("@")) {
      if (!(t.data instanceof Float32Array || t.data instanceof Int32Array)) throw new FileFormatError(`${path}: state tensor ${name} has an unexpected type`);
      state[name] = { shape: t.shape, data: t.data };
    } else {
      if (!(t.data instanceof Float32Array)) throw new FileFormatError(`${path}: parameter ${name} is not float32`);
      params[name] = { shape: t.shape, data: t.data };
    }
  }
  const v = metadata.view ? parse<[number, number, number]>("view") : undefined;
  return {
    className: metadata.class ?? "unknown",
    params,
    state,
    json: parse<Record<string, unknown>>("state"),
    config: metadata.config,
    trainConfig: metadata.train_config,
    monitor: parse<MonitorHistory>("monitor"),
    view: v ? { rows: v[0], cols: v[1], channels: v[2] } : undefined,
    layers: metadata.layers ? parse<DrawableLayer[]>("layers") : undefined,
  };
}

/** The entries of `state` under `@owner/`, with the prefix removed. */
export function stateOf(state: StateTensors, owner: string): StateTensors {
  const prefix = `@${owner}/`;
  const out: StateTensors = {};
  for (const [k, t] of Object.entries(state)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t;
  return out;
}

export function withPrefix(tensors: StateTensors, owner: string): StateTensors {
  return Object.fromEntries(Object.entries(tensors).map(([k, t]) => [`@${owner}/${k}`, t]));
}
