import { resolve } from "node:path";
import { DenseDesignMatrix } from "./dataset.js";
import { saveDataset } from "./dataset-file.js";
import { loadCifar10 } from "./cifar10.js";
import { loadDigits } from "./digits.js";
import { ExtractPatches, GlobalContrastNormalization, ZCA, type Preprocessor } from "./preprocessing/index.js";
import { UsageError } from "../util/errors.js";
import { suggestionSuffix } from "../util/suggest.js";

/** One timed stage of a make-dataset run, for the progress lines and the report. */
export interface StageTiming {
  stage: string;
  seconds: number;
}

export interface PresetOptions {
  dataDir?: string;
  /** Output file (default: the preset's pylearn2 name in the current folder). */
  out?: string;
  numPatches?: number;
  seed?: number | number[];
  /** Called as each stage finishes (the CLI prints it). */
  onStage?: (t: StageTiming) => void;
}

export interface MadeDataset {
  out: string;
  dataset: DenseDesignMatrix;
  stages: StageTiming[];
  seconds: number;
}

interface Preset {
  description: string;
  defaultOut: string;
  defaultPatches: number;
  load(opts: PresetOptions): DenseDesignMatrix;
  steps(opts: { numPatches: number; seed?: number | number[] }): Preprocessor[];
}

/**
 * Presets: pylearn2's grbm_smd make_dataset.py on CIFAR-10, and the same chain on the bundled
 * digits for offline use. The steps are exactly the library preprocessors YAML pipelines use.
 */
export const PRESETS: Record<string, Preset> = {
  "cifar10-patches": {
    description: "CIFAR-10 train (50000) -> ExtractPatches 8x8 x 150000 -> GCN(sqrt_bias 10, use_std) -> ZCA (pylearn2's grbm_smd make_dataset.py)",
    defaultOut: "cifar10_preprocessed_train.pkl",
    defaultPatches: 150000,
    load: (o) => loadCifar10({ which_set: "train", dataDir: o.dataDir }),
    steps: ({ numPatches, seed }) => [
      new ExtractPatches({ patch_shape: [8, 8], num_patches: numPatches, rng: seed }),
      new GlobalContrastNormalization({ sqrt_bias: 10, use_std: true }),
      new ZCA(),
    ],
  },
  "digits-patches": {
    description: "bundled digits (1797, pixel values 0..16) -> ExtractPatches 6x6 x 20000 -> GCN(sqrt_bias 10, use_std) -> ZCA (offline stand-in)",
    defaultOut: "digits_preprocessed_train.pkl",
    defaultPatches: 20000,
    // Unscaled 0..16 values keep the per-patch variance well above sqrt_bias, as CIFAR's 0..255 do.
    load: () => loadDigits({ which_set: "all", scale: false }),
    steps: ({ numPatches, seed }) => [
      new ExtractPatches({ patch_shape: [6, 6], num_patches: numPatches, rng: seed }),
      new GlobalContrastNormalization({ sqrt_bias: 10, use_std: true }),
      new ZCA(),
    ],
  },
};

/** Runs a preset and writes its dataset file (atomically). */
export function makePresetDataset(name: string, opts: PresetOptions = {}): MadeDataset {
  const preset = PRESETS[name];
  if (!preset) {
    throw new UsageError(
      `unknown preset '${name}'.${suggestionSuffix(name, Object.keys(PRESETS))} Presets: ${Object.keys(PRESETS).join(", ")}; or give a pipeline .yaml file`,
    );
  }
  const numPatches = opts.numPatches ?? preset.defaultPatches;
  if (!Number.isInteger(numPatches) || numPatches < 1) throw new UsageError(`--num-patches must be a positive integer, got ${opts.numPatches}`);
  const t0 = performance.now();
  const stages: StageTiming[] = [];
  const timed = <T>(stage: string, f: () => T): T => {
    const s = performance.now();
    const r = f();
    const t = { stage, seconds: (performance.now() - s) / 1000 };
    stages.push(t);
    opts.onStage?.(t);
    return r;
  };
  let ds = timed("load", () => preset.load(opts));
  for (const step of preset.steps({ numPatches, seed: opts.seed })) ds = timed(step.name, () => step.apply(ds, true));
  const out = resolve(opts.out ?? preset.defaultOut);
  timed("save", () => saveDataset(out, ds));
  return { out, dataset: ds, stages, seconds: (performance.now() - t0) / 1000 };
}

/**
 * What a make-dataset YAML file builds to: a dataset (its own `preprocessor` applied as it says),
 * or a mapping `{dataset, preprocessor, save_path, can_fit}` in the manner of make_dataset.py.
 */
export function datasetFromBuiltConfig(built: unknown, file: string): { dataset: DenseDesignMatrix; savePath?: string } {
  if (built instanceof DenseDesignMatrix) return { dataset: built };
  const m = built as { dataset?: unknown; preprocessor?: Preprocessor | null; save_path?: unknown; can_fit?: unknown } | null;
  if (m && typeof m === "object" && !Array.isArray(m) && m.dataset instanceof DenseDesignMatrix) {
    const extra = Object.keys(m).filter((k) => !["dataset", "preprocessor", "save_path", "can_fit"].includes(k));
    if (extra.length) throw new UsageError(`${file}: unknown key '${extra[0]}'.${suggestionSuffix(extra[0], ["dataset", "preprocessor", "save_path", "can_fit"])} A make-dataset file takes dataset, preprocessor, save_path, can_fit`);
    if (m.save_path !== undefined && m.save_path !== null && typeof m.save_path !== "string") throw new UsageError(`${file}: save_path must be a file name`);
    const canFit = m.can_fit === undefined ? true : m.can_fit === true;
    const p = m.preprocessor;
    if (p !== undefined && p !== null && typeof (p as Preprocessor).apply !== "function") throw new UsageError(`${file}: preprocessor must be a preprocessor (e.g. !obj:pylearn2.datasets.preprocessing.Pipeline)`);
    const dataset = p ? p.apply(m.dataset, canFit) : m.dataset;
    return { dataset, savePath: (m.save_path as string | null | undefined) ?? undefined };
  }
  throw new UsageError(
    `${file} must describe a dataset (e.g. !obj:pylearn2.datasets.cifar10.CIFAR10 {..., preprocessor: ...}) ` +
      "or a mapping {dataset: ..., preprocessor: ..., save_path: ...}",
  );
}
