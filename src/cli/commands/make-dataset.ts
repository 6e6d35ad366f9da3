import { existsSync, statSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig, REGISTRY, Registry } from "../../config/index.js";
import { DATA_COMPONENTS } from "../../config/components/data.js";
import { resolveDataDir } from "../../data/data-dir.js";
import { saveDataset } from "../../data/dataset-file.js";
import { makePklLoader } from "../../train/load.js";
import type { DenseDesignMatrix } from "../../data/dataset.js";
import { datasetFromBuiltConfig, makePresetDataset, PRESETS, type StageTiming } from "../../data/make-dataset.js";
import { formatBytes } from "../../io/download-progress.js";
import { UsageError } from "../../util/errors.js";

interface Opts {
  out?: string;
  dataDir?: string;
  numPatches?: string;
  seed?: string;
}

/** `dl make-dataset PRESET|PIPELINE.yaml`: build a preprocessed dataset file. */
export function makeDatasetCommand(program: Command): void {
  program
    .command("make-dataset")
    .description("build a preprocessed dataset file from a preset or a YAML pipeline (pylearn2's make_dataset.py)")
    .argument("<preset|pipeline.yaml>", `preset (${Object.keys(PRESETS).join(", ")}) or a YAML file describing a dataset and its preprocessing`)
    .option("--out <file>", "output dataset file (default: the preset's name, or the YAML's save_path or stem + .pkl, in the current folder)")
    .option("--data-dir <dir>", "data folder (default: DL_DATA_PATH, PYLEARN2_DATA_PATH, $XDG_CACHE_HOME/dl, ~/.cache/dl)")
    .option("--num-patches <n>", "patches to extract (presets only)")
    .option("--seed <s>", "seed of the patch extraction, e.g. 42 or 1,2,3 (presets only; default [1, 2, 3] as pylearn2)")
    .addHelpText(
      "after",
      "\nPresets:\n" + Object.entries(PRESETS).map(([k, p]) => `  ${k}: ${p.description}`).join("\n") +
        "\n\nA pipeline file is a dataset (with its preprocessor and fit_preprocessor: True), or a mapping\n" +
        "  {dataset: !obj:..., preprocessor: !obj:...Pipeline {items: [...]}, save_path: out.pkl}\n",
    )
    .action((target: string, o: Opts) => {
      const stageLine = (t: StageTiming) => process.stdout.write(`  ${t.stage.padEnd(28)} ${t.seconds.toFixed(2)} s\n`);
      const isYaml = /\.ya?ml$/i.test(target) || (existsSync(target) && statSync(target).isFile());
      if (isYaml) {
        if (o.numPatches !== undefined || o.seed !== undefined) {
          throw new UsageError("--num-patches and --seed apply to presets; for a YAML pipeline, set num_patches and rng in the file");
        }
        const t0 = performance.now();
        const dataPath = resolveDataDir({ dataDir: o.dataDir });
        process.stdout.write(`make-dataset ${target}\n`);
        const registry = registryWithData();
        const exp = loadConfig(target, { dataPath, registry });
        const s = performance.now();
        // !pkl: may name dataset files and trained models (a TransformerDataset's transformer).
        const built = exp.build({ loadPkl: makePklLoader({ registry }) });
        const { dataset, savePath } = datasetFromBuiltConfig(built, exp.file);
        stageLine({ stage: "build", seconds: (performance.now() - s) / 1000 });
        const out = resolve(o.out ?? savePath ?? `${basename(target, extname(target))}.pkl`);
        const s2 = performance.now();
        saveDataset(out, dataset);
        stageLine({ stage: "save", seconds: (performance.now() - s2) / 1000 });
        report(out, dataset, (performance.now() - t0) / 1000);
        return;
      }
      const seed = o.seed === undefined ? undefined : parseSeed(o.seed);
      const numPatches = o.numPatches === undefined ? undefined : parsePositiveInt(o.numPatches, "--num-patches");
      if (PRESETS[target]) process.stdout.write(`make-dataset ${target}: ${PRESETS[target].description}\n`);
      const r = makePresetDataset(target, {
        dataDir: resolveDataDir({ dataDir: o.dataDir }),
        out: o.out,
        numPatches,
        seed,
        onStage: stageLine,
      });
      report(r.out, r.dataset, r.seconds);
    });
}

/** dl's registry, plus the data components if components/index.ts does not list them yet. */
function registryWithData(): Registry {
  const missing = DATA_COMPONENTS.filter((d) => !REGISTRY.lookup(d.name));
  return missing.length ? new Registry([...REGISTRY.all(), ...missing]) : REGISTRY;
}

function report(out: string, ds: DenseDesignMatrix, seconds: number): void {
  const view = ds.view ? `, view ${ds.view.rows}x${ds.view.cols}x${ds.view.channels}` : "";
  process.stdout.write(`wrote ${out}: ${ds.numExamples} x ${ds.dim}${view}, ${formatBytes(statSync(out).size)}, in ${seconds.toFixed(1)} s\n`);
}

function parsePositiveInt(s: string, flag: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`${flag} must be a positive integer, got '${s}'`);
  return Number(s);
}

function parseSeed(s: string): number | number[] {
  const parts = s.split(",").map((p) => p.trim());
  if (!parts.every((p) => /^-?\d+$/.test(p))) throw new UsageError(`--seed must be an integer or a comma-separated list of integers, got '${s}'`);
  const nums = parts.map(Number);
  return nums.length === 1 ? nums[0] : nums;
}
