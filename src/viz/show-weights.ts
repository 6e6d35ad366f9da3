import { basename, extname } from "node:path";
import { readModelFile } from "../io/model-file.js";
import { writePng } from "../io/png.js";
import { UsageError } from "../util/errors.js";
import { tilePatches, type Rescale, type TiledImage } from "./patch-viewer.js";
import { readZcaInverse, resolveDatasetPath, unwhitenTransform } from "./unwhiten.js";
import { extractFilters, selectLayer, weightStats, type FilterSet, type WeightStats } from "./weights.js";

export interface ShowWeightsOptions {
  out?: string;
  rescale?: Rescale;
  border?: boolean;
  layer?: string;
  scale?: number;
  unwhiten?: boolean;
}

export interface ShowWeightsResult {
  out: string;
  image: TiledImage;
  filters: FilterSet;
  stats: WeightStats;
  className: string;
  /** The dataset whose ZCA was undone, with --unwhiten. */
  unwhitenedWith?: string;
}

/** `<model stem>_weights.png` in the current folder (cifar_grbm_smd.pkl -> cifar_grbm_smd_weights.png). */
export function defaultWeightsPath(modelPath: string): string {
  return `${basename(modelPath, extname(modelPath))}_weights.png`;
}

/** Draws a model's filters as pylearn2's show_weights did and writes the PNG. */
export function showWeights(modelPath: string, opts: ShowWeightsOptions = {}): ShowWeightsResult {
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1 || scale > 64) {
    throw new UsageError(`--scale must be a whole number from 1 to 64, got ${opts.scale}`);
  }
  const out = opts.out ?? defaultWeightsPath(modelPath);
  if (extname(out).toLowerCase() !== ".png") throw new UsageError(`--out ${out}: show-weights writes PNG files; name it *.png`);
  const model = readModelFile(modelPath);
  const layer = selectLayer(model, modelPath, opts.layer);
  let transform: ((f: Float64Array) => Float64Array) | undefined;
  let unwhitenedWith: string | undefined;
  if (opts.unwhiten) {
    const zca = readZcaInverse(resolveDatasetPath(modelPath, model.metadata));
    transform = unwhitenTransform(zca, layer.name);
    unwhitenedWith = zca.datasetPath;
  }
  const filters = extractFilters(model, modelPath, layer, transform);
  const image = tilePatches(filters, { rescale: opts.rescale, border: opts.border, grid: filters.grid, scale });
  writePng(out, image);
  return { out, image, filters, stats: weightStats(filters), className: model.className, unwhitenedWith };
}
