import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fetchCifar10 } from "../data/fetch-cifar10.js";
import { resolveDataDirWithSource, describeDataDirSource } from "../data/data-dir.js";
import { makePresetDataset, PRESETS } from "../data/make-dataset.js";
import { readModelFile } from "../io/model-file.js";
import { SILENT, type TrainReporter } from "../train/reporter.js";
import { trainFile } from "../train/run.js";
import { buildCodebook, defaultSelection } from "../viz/channels.js";
import { loadMonitors, monitorChart, writeChart } from "../viz/plot-monitor.js";
import { showWeights } from "../viz/show-weights.js";
import { UsageError } from "../util/errors.js";
import { listFiles, type MadeFile } from "./files.js";

/**
 * `dl quickstart`: pylearn2's grbm_smd tutorial in one call, into a fresh folder —
 * download-cifar10 -> make-dataset cifar10-patches -> train cifar_grbm_smd.yaml -> show-weights
 * -> plot-monitor — calling the same library functions as those commands. Offline (or when
 * CIFAR-10 cannot be had) the same chain runs on the digits bundled with dl.
 */
export interface QuickstartOptions {
  /** Output folder (default ./dl-quickstart); created if missing. */
  dir?: string;
  /** Use the bundled digits, never the network. */
  offline?: boolean;
  /** A quick look: fewer patches and at most SMALL_MAX_EPOCHS epochs. */
  small?: boolean;
  /** Where CIFAR-10 is, or goes (default: the data folder of `dl download-cifar10`). */
  dataDir?: string;
  /** Another source of CIFAR-10, as `dl download-cifar10 --from` (URL, archive, or folder). */
  from?: string;
  /** Patches to extract (overrides the default and --small). */
  numPatches?: number;
  /** Cap on training epochs (overrides --small's cap); the tutorial's own stopping rule still applies. */
  maxEpochs?: number;
  /** Retries of the CIFAR-10 download before falling back to digits (default 2: an offline machine should not wait long). */
  downloadRetries?: number;
  /** One line per step: what it is doing, then what it made and how long it took. */
  log?: (line: string) => void;
  /** Training output (the monitor blocks of `dl train`); default silent. */
  reporter?: TrainReporter;
}

export type QuickstartData = "cifar10" | "digits";

export interface QuickstartStep {
  name: "data" | "make-dataset" | "train" | "show-weights" | "plot-monitor";
  seconds: number;
  /** One line of what came out (file, shape, epochs...). */
  summary: string;
}

export interface QuickstartResult {
  dir: string;
  data: QuickstartData;
  /** Why the digits were used when CIFAR-10 was wanted (download failed), if so. */
  fallbackReason?: string;
  steps: QuickstartStep[];
  /** Every file in the output folder at the end, sorted by name. */
  files: MadeFile[];
  model: string;
  weightsPng: string;
  monitorPng: string;
  /** The last value of each monitor channel. */
  finalChannels: Record<string, number>;
  epochs: number;
  seconds: number;
}

/** Patches in --small runs, and the epoch cap (the tutorial's MonitorBased rule may stop it sooner). */
export const SMALL_PATCHES = { cifar10: 20000, digits: 5000 } as const;
export const SMALL_MAX_EPOCHS = 5;

/** What each data source runs: the make-dataset preset and the tutorial YAML (in configs/). */
const CHAINS: Record<QuickstartData, { preset: string; config: string; label: string }> = {
  cifar10: { preset: "cifar10-patches", config: "cifar_grbm_smd.yaml", label: "CIFAR-10" },
  digits: { preset: "digits-patches", config: "digits_grbm_smd.yaml", label: "the bundled digits" },
};

/** configs/ of the dl package: two folders above this file, in src/ and in dist/ alike. */
export function configsDir(): string {
  return resolve(import.meta.dirname, "../../configs");
}

/** The tutorial's stopping rule with an epoch cap added: And keeps going while both say go. */
function cappedCriterion(maxEpochs: number): string {
  return (
    "algorithm.termination_criterion=!obj:pylearn2.termination_criteria.And {criteria: [" +
    "!obj:pylearn2.termination_criteria.MonitorBased {prop_decrease: 0.01, N: 1}, " +
    `!obj:pylearn2.termination_criteria.EpochCounter {max_epochs: ${maxEpochs}}]}`
  );
}

export async function runQuickstart(opts: QuickstartOptions = {}): Promise<QuickstartResult> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  const dir = resolve(opts.dir ?? "dl-quickstart");
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--dir ${dir} is a file, not a folder`);
  for (const [flag, v] of [["--num-patches", opts.numPatches], ["--max-epochs", opts.maxEpochs]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UsageError(`${flag} must be a positive integer, got ${v}`);
  }
  mkdirSync(dir, { recursive: true });
  log(`dl quickstart into ${dir}${opts.small ? " (--small: a quick look)" : ""}`);
  const steps: QuickstartStep[] = [];
  const step = async <T>(name: QuickstartStep["name"], doing: string, f: () => T | Promise<T>, summary: (r: T) => string): Promise<T> => {
    log(`[${steps.length + 1}/5] ${doing}`);
    const s = performance.now();
    const r = await f();
    const st: QuickstartStep = { name, seconds: (performance.now() - s) / 1000, summary: summary(r) };
    steps.push(st);
    log(`      ${st.summary} (${formatSeconds(st.seconds)})`);
    return r;
  };

  // 1. Data: CIFAR-10 from the data folder (or downloaded), else the bundled digits.
  const where = resolveDataDirWithSource({ dataDir: opts.dataDir });
  let data: QuickstartData = "digits";
  let fallbackReason: string | undefined;
  await step(
    "data",
    opts.offline
      ? "data: --offline, using the digits bundled with dl (no network)"
      : `data: CIFAR-10 in ${where.dir} (${describeDataDirSource(where)}); fetching it if missing (dl download-cifar10)`,
    async () => {
      if (opts.offline) return "digits (bundled)";
      try {
        const r = await fetchCifar10({
          dataDir: where.dir,
          from: opts.from,
          download: { retries: opts.downloadRetries ?? 2, log: (l) => log(`      ${l}`) },
          log: (l) => log(`      ${l}`),
        });
        data = "cifar10";
        return r.status === "present" ? `CIFAR-10 present and verified in ${r.folder}` : `CIFAR-10 ${r.status} and verified: ${r.folder}`;
      } catch (e) {
        fallbackReason = e instanceof Error ? e.message : String(e);
        log(`      could not get CIFAR-10: ${fallbackReason}`);
        return "falling back to the digits bundled with dl (the same chain, offline)";
      }
    },
    (s) => s,
  );
  const chain = CHAINS[data];

  // 2. make-dataset: patches, GCN, ZCA.
  const numPatches = opts.numPatches ?? (opts.small ? SMALL_PATCHES[data] : undefined);
  const made = await step(
    "make-dataset",
    `make-dataset ${chain.preset}${numPatches ? ` --num-patches ${numPatches}` : ""}: patches of ${chain.label}, contrast normalisation, ZCA whitening`,
    // The preset's own file name: the tutorial YAML's !pkl: expects it.
    () => makePresetDataset(chain.preset, { dataDir: where.dir, out: join(dir, PRESETS[chain.preset].defaultOut), numPatches }),
    (r) => {
      const v = r.dataset.view;
      return `wrote ${basename(r.out)}: ${r.dataset.numExamples} x ${r.dataset.dim}${v ? ` (${v.rows}x${v.cols}x${v.channels} patches)` : ""}`;
    },
  );

  // 3. train: the tutorial YAML, copied beside the dataset so its !pkl: and save path land in `dir`.
  const yaml = join(dir, chain.config);
  copyFileSync(join(configsDir(), chain.config), yaml);
  const maxEpochs = opts.maxEpochs ?? (opts.small ? SMALL_MAX_EPOCHS : undefined);
  const overrides = maxEpochs !== undefined ? [cappedCriterion(maxEpochs)] : [];
  const trained = await step(
    "train",
    `train ${chain.config}: a Gaussian-binary RBM by denoising score matching (SGD, batch 5), stopping when the objective falls less than 1% in an epoch${maxEpochs !== undefined ? ` or after ${maxEpochs} epochs` : ""}`,
    () => trainFile(yaml, { overrides, reporter: opts.reporter ?? SILENT }),
    (r) => {
      const last = r[r.length - 1];
      return `wrote ${basename(last.savePath)} after ${last.epochs} epochs (${last.examples} examples)`;
    },
  );
  const result = trained[trained.length - 1];
  const model = result.savePath;

  // 4. show-weights: the filters as a grid of patches.
  const stem = basename(model).replace(/\.[^.]+$/, "");
  const weightsPng = join(dir, `${stem}_weights.png`);
  await step(
    "show-weights",
    `show-weights ${basename(model)}: the ${made.dataset.view ? `${made.dataset.view.rows}x${made.dataset.view.cols}` : ""} filters of the hidden units as a picture`,
    () => showWeights(model, { out: weightsPng, scale: 2 }),
    (r) => `wrote ${basename(r.out)} (${r.image.width}x${r.image.height}, ${r.filters.count} filters)`,
  );

  // 5. plot-monitor: the objective-like channels over the epochs.
  const monitorPng = join(dir, `${stem}_monitor.png`);
  await step(
    "plot-monitor",
    `plot-monitor ${basename(model)}: the monitor channels over the epochs`,
    () => {
      const sources = loadMonitors([model]);
      const refs = defaultSelection(buildCodebook(sources)).refs;
      const { spec } = monitorChart(sources, refs, { x: "epochs", width: 960, height: 600, panels: "auto" });
      writeChart(spec, monitorPng);
      return refs.map((r) => r.channel);
    },
    (chs) => `wrote ${basename(monitorPng)} (960x600; ${chs.join(", ")})`,
  );

  return {
    dir,
    data,
    fallbackReason,
    steps,
    files: listFiles(dir),
    model,
    weightsPng,
    monitorPng,
    finalChannels: lastValues(model),
    epochs: result.epochs,
    seconds: (performance.now() - t0) / 1000,
  };
}

function lastValues(model: string): Record<string, number> {
  const channels = readModelFile(model).monitor?.channels ?? {};
  const out: Record<string, number> = {};
  for (const [k, h] of Object.entries(channels)) if (h.val.length > 0) out[k] = Number(h.val[h.val.length - 1]);
  return out;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}
