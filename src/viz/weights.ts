import type { DatasetView } from "../data/dataset.js";
import type { DrawableLayer, ModelFileContents } from "../io/model-file.js";
import { UsageError, FileFormatError } from "../util/errors.js";
import { suggestionSuffix } from "../util/suggest.js";
import type { PatchSet } from "./patch-viewer.js";

/**
 * Turning a model's parameters into image patches, as pylearn2's `get_weights_report` did with
 * `get_weights_topo` / `get_weights_view`: one patch per hidden unit (or conv output channel),
 * shaped by the training data's view.
 */
export interface FilterSet extends PatchSet {
  layer: DrawableLayer;
  /** The grid to draw in, when the layout fixes one (conv kernels: a row per output channel). */
  grid?: { rows: number; cols: number };
  /** L2 norm of each unit's whole filter (all input channels), as pylearn2 printed. */
  norms: Float64Array;
  /** How many units the layer has (tiles can be more: one per (out, in) channel pair). */
  units: number;
  /** Set when the model recorded no view and the patch shape was inferred from the input size. */
  viewGuessed: boolean;
}

/** The layers `show-weights` can draw: the model's `layers` list, or its `W` tensor as pylearn2's default. */
export function drawableLayers(m: ModelFileContents): DrawableLayer[] {
  if (m.layers && m.layers.length > 0) return m.layers;
  if (m.tensors.W) return [{ name: "W", tensor: "W", layout: "vis_by_hid" }];
  return [];
}

/** Picks `name` (a layer name, or a tensor name) or the first drawable layer. */
export function selectLayer(m: ModelFileContents, file: string, name?: string): DrawableLayer {
  const layers = drawableLayers(m);
  if (name === undefined) {
    if (layers.length === 0) {
      const names = Object.keys(m.tensors);
      throw new UsageError(
        `${file}: no drawable weights: the model lists no layers and has no tensor named W ` +
          `(its tensors: ${names.length ? names.join(", ") : "none"}); pick one with --layer`,
      );
    }
    return layers[0];
  }
  const byName = layers.find((l) => l.name === name) ?? layers.find((l) => l.tensor === name);
  if (byName) return byName;
  // A bare 2-D tensor can be drawn as pylearn2's W (input x units) even when no layer names it.
  const t = m.tensors[name];
  if (t && t.shape.length === 2) return { name, tensor: name, layout: "vis_by_hid" };
  const known = [...layers.map((l) => l.name), ...Object.keys(m.tensors).filter((k) => m.tensors[k].shape.length === 2)];
  throw new UsageError(
    `${file}: no layer or 2-D tensor named \`${name}\`.${suggestionSuffix(name, known)} ` +
      `Drawable: ${known.length ? known.join(", ") : "none"}`,
  );
}

/**
 * The patches of `layer`. `transform`, when given, maps each vis_by_hid / local_units filter
 * vector (length D) to the vector drawn (used to undo ZCA whitening).
 */
export function extractFilters(
  m: ModelFileContents,
  file: string,
  layer: DrawableLayer,
  transform?: (f: Float64Array) => Float64Array,
): FilterSet {
  const t = m.tensors[layer.tensor];
  if (!t) {
    throw new FileFormatError(`${file}: layer ${layer.name} names tensor ${layer.tensor}, which the file does not hold`);
  }
  const shape = t.shape;
  if (layer.layout === "conv_oihw") {
    if (shape.length !== 4) throw badShape(file, layer, shape, "4-D (out x in x rows x cols)");
    if (transform) {
      throw new UsageError(`--unwhiten applies to filters over the whole input vector; layer ${layer.name} holds convolution kernels`);
    }
    return convFilters(t.data, shape as [number, number, number, number], layer);
  }
  if (shape.length !== 2) throw badShape(file, layer, shape, "2-D");
  // vis_by_hid is input x units (a column per filter); local_units is units x field (a row per filter).
  const [dim, units] = layer.layout === "vis_by_hid" ? [shape[0], shape[1]] : [shape[1], shape[0]];
  const at = layer.layout === "vis_by_hid" ? (u: number, i: number) => t.data[i * units + u] : (u: number, i: number) => t.data[u * dim + i];

  let view = layer.view ?? (layer.layout === "vis_by_hid" ? m.view : undefined) ?? m.view;
  let viewGuessed = false;
  if (view && view.rows * view.cols * view.channels !== dim) {
    throw new FileFormatError(
      `${file}: layer ${layer.name} has filters of ${dim} values, but the view ${view.rows}x${view.cols}x${view.channels} holds ` +
        `${view.rows * view.cols * view.channels}; is it a later layer? Name the first layer with --layer`,
    );
  }
  if (!view) {
    view = guessView(dim);
    viewGuessed = true;
  }
  const norms = new Float64Array(units);
  const filters: Float64Array[] = [];
  for (let u = 0; u < units; u++) {
    let f: Float64Array = new Float64Array(dim);
    for (let i = 0; i < dim; i++) f[i] = at(u, i);
    let s = 0;
    for (let i = 0; i < dim; i++) s += f[i] * f[i];
    norms[u] = Math.sqrt(s);
    if (transform) f = transform(f);
    filters.push(f);
  }
  const { rows, cols, channels } = view;
  if (channels === 1 || channels === 3) {
    const data = new Float64Array(units * dim);
    filters.forEach((f, u) => data.set(f, u * dim));
    return { count: units, rows, cols, channels, data, layer, norms, units, viewGuessed };
  }
  // Neither grey nor RGB (e.g. 2 or 4 channels): one grey tile per (unit, channel), a row per unit.
  const plane = rows * cols;
  const data = new Float64Array(units * channels * plane);
  filters.forEach((f, u) => {
    for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) data[(u * channels + c) * plane + p] = f[p * channels + c];
  });
  return { count: units * channels, rows, cols, channels: 1, data, layer, norms, units, viewGuessed, grid: { rows: units, cols: channels } };
}

/** Conv kernels: one colour tile per output channel when there are 3 input channels, else a grey tile per (out, in). */
function convFilters(w: Float32Array, [o, inC, kr, kc]: [number, number, number, number], layer: DrawableLayer): FilterSet {
  const plane = kr * kc;
  const norms = new Float64Array(o);
  for (let a = 0; a < o; a++) {
    let s = 0;
    for (let i = a * inC * plane; i < (a + 1) * inC * plane; i++) s += w[i] * w[i];
    norms[a] = Math.sqrt(s);
  }
  const base = { rows: kr, cols: kc, layer, norms, units: o, viewGuessed: false };
  if (inC === 3) {
    const data = new Float64Array(o * plane * 3);
    for (let a = 0; a < o; a++) {
      for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) data[(a * plane + p) * 3 + c] = w[(a * 3 + c) * plane + p];
    }
    return { ...base, count: o, channels: 3, data };
  }
  return {
    ...base,
    count: o * inC,
    channels: 1,
    data: Float64Array.from(w),
    grid: inC === 1 ? undefined : { rows: o, cols: inC },
  };
}

/**
 * A patch shape for D inputs when the model recorded none, as pylearn2's `make_viewer` guessed:
 * a square grey image, else a square RGB image, else the most square rows x cols factorisation.
 */
export function guessView(dim: number): DatasetView {
  const s = Math.round(Math.sqrt(dim));
  if (s * s === dim) return { rows: s, cols: s, channels: 1 };
  if (dim % 3 === 0) {
    const c = Math.round(Math.sqrt(dim / 3));
    if (c * c * 3 === dim) return { rows: c, cols: c, channels: 3 };
  }
  let best = 1;
  for (let r = 1; r * r <= dim; r++) if (dim % r === 0) best = r;
  return { rows: best, cols: dim / best, channels: 1 };
}

export interface WeightStats {
  /** Over every value drawn: min, mean and max of |w|. */
  magnitude: { min: number; mean: number; max: number };
  /** Over units: min, mean and max of the L2 norm of each unit's filter. */
  norms: { min: number; mean: number; max: number };
}

export function weightStats(f: FilterSet): WeightStats {
  let min = Infinity, max = 0, sum = 0;
  for (let i = 0; i < f.data.length; i++) {
    const a = Math.abs(f.data[i]);
    if (a < min) min = a;
    if (a > max) max = a;
    sum += a;
  }
  let nmin = Infinity, nmax = 0, nsum = 0;
  for (const n of f.norms) {
    if (n < nmin) nmin = n;
    if (n > nmax) nmax = n;
    nsum += n;
  }
  return {
    magnitude: { min: f.data.length ? min : 0, mean: f.data.length ? sum / f.data.length : 0, max },
    norms: { min: f.norms.length ? nmin : 0, mean: f.norms.length ? nsum / f.norms.length : 0, max: nmax },
  };
}

function badShape(file: string, layer: DrawableLayer, shape: number[], expected: string): FileFormatError {
  return new FileFormatError(
    `${file}: layer ${layer.name} (tensor ${layer.tensor}, layout ${layer.layout}) has shape [${shape.join(", ")}]; expected ${expected}`,
  );
}
