import { FileFormatError } from "../util/errors.js";
import { VERSION } from "../version.js";
import { readSafetensors, readSafetensorsHeader, writeSafetensors, type SafeArray } from "./safetensors.js";
import type { DatasetView } from "../data/dataset.js";

/**
 * The shape of dl's files (DESIGN section 2). A file is a safetensors container whose
 * `__metadata__.format` says what it holds; everything else in the metadata is JSON or text.
 */
export type DlFormat = "dl-model/1" | "dl-dataset/1" | "dl-checkpoint/1";

/** Per channel, parallel arrays: value and when it was recorded. */
export interface ChannelHistory {
  val: number[];
  batch: number[];
  example: number[];
  epoch: number[];
  time: number[];
}

export interface MonitorHistory {
  channels: Record<string, ChannelHistory>;
}

/**
 * A layer whose weights can be drawn as filters. `layout` says how the tensor is laid out:
 * `vis_by_hid` is (inputDim x units) — a column per filter, as pylearn2's W; `conv_oihw` is
 * (outChannels x inChannels x rows x cols); `local_units` is (units x receptiveField) with `view`
 * giving the field's shape.
 */
export interface DrawableLayer {
  name: string;
  tensor: string;
  layout: "vis_by_hid" | "conv_oihw" | "local_units";
  view?: DatasetView;
}

export interface ModelFileContents {
  /** Component class, e.g. `GaussianBinaryRBM`, `MLP`. */
  className: string;
  /** Parameters by path name (`W`, `bias_hid`, `layers.0.W`). */
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
  /** The resolved YAML of the component (or the whole Train) that made it. */
  config?: string;
  monitor?: MonitorHistory;
  /** View of the training data's rows (how an input vector is an image). */
  view?: DatasetView;
  layers?: DrawableLayer[];
  /** The ZCA inverse and mean of the training data, when it was whitened, for `show-weights --unwhiten`. */
  extra?: Record<string, string>;
}

export function writeModelFile(path: string, m: ModelFileContents, format: DlFormat = "dl-model/1"): void {
  const metadata: Record<string, string> = { format, class: m.className, dl_version: VERSION };
  if (m.config !== undefined) metadata.config = m.config;
  if (m.monitor) metadata.monitor = JSON.stringify(m.monitor);
  if (m.view) metadata.view = JSON.stringify([m.view.rows, m.view.cols, m.view.channels]);
  if (m.layers) metadata.layers = JSON.stringify(m.layers);
  Object.assign(metadata, m.extra ?? {});
  writeSafetensors(path, m.tensors as Record<string, { shape: number[]; data: SafeArray }>, metadata);
}

/** The format string of a dl file, or a FileFormatError saying why it is not one. */
export function detectFormat(path: string): DlFormat {
  const { header } = readSafetensorsHeader(path);
  const meta = header.__metadata__ as Record<string, string> | undefined;
  const f = meta?.format;
  if (f !== "dl-model/1" && f !== "dl-dataset/1" && f !== "dl-checkpoint/1") {
    throw new FileFormatError(`${path} is a safetensors file but not one dl wrote (no dl format in its metadata)`);
  }
  return f;
}

export function readModelFile(path: string): ModelFileContents & { format: DlFormat; metadata: Record<string, string> } {
  const format = detectFormat(path);
  if (format === "dl-dataset/1") throw new FileFormatError(`${path} is a dataset file, not a model`);
  const { tensors, metadata } = readSafetensors(path);
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of tensors) {
    if (t.data instanceof Float32Array) out[name] = { shape: t.shape, data: t.data };
  }
  const parse = <T>(key: string): T | undefined => {
    const s = metadata[key];
    if (s === undefined) return undefined;
    try {
      return JSON.parse(s) as T;
    } catch {
      throw new FileFormatError(`${path}: metadata field ${key} is not valid JSON (file damaged?)`);
    }
  };
  const v = parse<[number, number, number]>("view");
  return {
    format,
    metadata,
    className: metadata.class ?? "unknown",
    tensors: out,
    config: metadata.config,
    monitor: parse<MonitorHistory>("monitor"),
    view: v ? { rows: v[0], cols: v[1], channels: v[2] } : undefined,
    layers: parse<DrawableLayer[]>("layers"),
  };
}
