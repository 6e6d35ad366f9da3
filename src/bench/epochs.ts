import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveDataDir } from "../data/data-dir.js";
import { CIFAR10_TRAIN_FILES, cifar10Folder, cifar10RecordCount } from "../data/cifar10.js";
import { fetchCifar10 } from "../data/fetch-cifar10.js";
import { makePresetDataset } from "../data/make-dataset.js";
import { loadMnist, mnistFolder, findIdxFile } from "../data/mnist.js";
import { UsageError } from "../util/errors.js";
import { findTorchPython, torchEnv } from "./torch.js";

/**
 * `npm run bench -- grbm` and `npm run bench -- mlp`: one training epoch of the tutorial models
 * with `dl train` (a real child process, as a user runs it) and with an equivalent PyTorch script
 * (bench/torch_*.py) on the same data, one after the other in the same run, and their ratio.
 * Times are the training loop only (dl's `training_seconds_this_epoch`; PyTorch's loop).
 */
const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const DL = join(ROOT, "bin/dl.js");
const SHARED = resolve(ROOT, "../shared/data");

export interface EpochResult {
  bench: string;
  tool: "dl" | "pytorch";
  examples: number;
  seconds: number;
  threads: number;
  /** PyTorch only: the threads of OpenBLAS's own pool, when not `threads`. */
  blasThreads?: number;
  /** GRBM only, when the data folder holds part of CIFAR-10: where the patches came from (see cifarSubsetNote). */
  data?: string;
}

interface EpochOptions {
  json: boolean;
  examples?: number;
  torch: boolean;
  keep: boolean;
  /** PyTorch's intra-op threads and OpenBLAS threads (default: dl's thread count for both). */
  torchThreads?: { intra: number; blas: number };
}

function parseArgs(name: string, args: string[]): EpochOptions {
  const o: EpochOptions = { json: false, torch: true, keep: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") o.json = true;
    else if (a === "--no-torch") o.torch = false;
    else if (a === "--keep") o.keep = true;
    else if (a === "--examples" && args[i + 1]) o.examples = Number(args[++i]);
    else if (a === "--torch-threads" && args[i + 1]) o.torchThreads = parseTorchThreads(name, args[++i]);
    else throw new UsageError(`${name}: unknown option '${a}'. Options: --json --no-torch --keep --examples N --torch-threads N[,B]`);
  }
  return o;
}

/**
 * `--torch-threads N[,B]`: PyTorch with N intra-op threads and B OpenBLAS threads (default N). On
 * this 2-core machine PyTorch's fastest setting is 1,2: with 2,2 its OpenMP and OpenBLAS pools
 * (both spinning) fight over the cores and an MLP epoch takes 3x longer.
 */
function parseTorchThreads(name: string, v: string): { intra: number; blas: number } {
  const [intra, blas = intra] = v.split(",").map(Number);
  if (!Number.isInteger(intra) || !Number.isInteger(blas) || intra < 1 || blas < 1 || v.split(",").length > 2) {
    throw new UsageError(`${name}: --torch-threads takes N or N,B (intra-op threads, OpenBLAS threads), got '${v}'`);
  }
  return { intra, blas };
}

/** The folder holding CIFAR-10's batches: the user's data folder, else a copy of ../shared/data made for the bench. */
export function cifarDataDir(work: string, log: (s: string) => void): Promise<string> | string {
  const mine = resolveDataDir();
  if (existsSync(join(mine, "cifar10/cifar-10-batches-bin/data_batch_5.bin"))) return mine;
  const shared = join(SHARED, "cifar-10/cifar-10-batches-bin");
  if (!existsSync(join(shared, "data_batch_5.bin"))) {
    throw new UsageError(`CIFAR-10 not found in ${mine} nor ${shared}; run \`dl download-cifar10\` first`);
  }
  const dir = join(work, "data");
  return fetchCifar10({ dataDir: dir, from: shared, log }).then(() => dir);
}

/** CIFAR-10's training images: the GRBM benches' patches come from all of them unless the data folder holds a subset. */
export const CIFAR10_TRAIN_IMAGES = 50000;

/**
 * The training images the CIFAR-10 batches in `dataDir` hold. loadCifar10 reads batch files of any
 * whole number of records, so a data folder may hold a subset (the GPU device kit carries the first
 * 1000 records of each batch: all 50000 do not fit in what travels to the device machine).
 */
export function cifarTrainImages(dataDir: string): number {
  const folder = cifar10Folder(dataDir);
  return CIFAR10_TRAIN_FILES.reduce((sum, f) => sum + cifar10RecordCount(join(folder, f)), 0);
}

/** What a GRBM result's patches came from when that is fewer than CIFAR-10's 50000 training images; else undefined. */
export function cifarSubsetNote(images: number, patches: number): string | undefined {
  return images < CIFAR10_TRAIN_IMAGES ? `${patches} patches from ${images} of CIFAR-10's ${CIFAR10_TRAIN_IMAGES} training images` : undefined;
}

export function mnistDataDir(): string {
  for (const d of [resolveDataDir(), SHARED]) {
    if (findIdxFile(mnistFolder(d), "train-images-idx3-ubyte")) return d;
  }
  throw new UsageError("MNIST not found; run `dl download-mnist` first");
}

export function runDlTrain(yamlPath: string, logPath: string, cwd: string, env: Record<string, string>, args: string[] = []): number {
  const r = spawnSync(process.execPath, [DL, "train", yamlPath, "--quiet", "--log-json", logPath, ...args], {
    cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`dl train failed (exit ${r.status}):\n${r.stderr}`);
  const lines = readFileSync(logPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = lines[lines.length - 1];
  const channels = (last.channels ?? last) as Record<string, number>;
  const secs = channels.training_seconds_this_epoch;
  if (typeof secs !== "number") throw new Error(`dl train's log has no training_seconds_this_epoch: ${JSON.stringify(last).slice(0, 300)}`);
  return secs;
}

function runTorch(script: string, args: string[], threads: { intra: number; blas: number }):
    { seconds: number; threads: number; blasThreads: number } | { skipped: string } {
  const py = findTorchPython();
  if (!py) return { skipped: "Debian's python3 with python3-torch not found" };
  const env = { ...torchEnv(threads.intra), OPENBLAS_NUM_THREADS: String(threads.blas) };
  const r = spawnSync(py, [join(ROOT, "bench", script), ...args, String(threads.intra)], {
    encoding: "utf8", env, maxBuffer: 1 << 24,
  });
  if (r.status !== 0) return { skipped: `${script} failed: ${r.stderr.trim().split("\n").slice(-3).join(" ")}` };
  const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { seconds: number; threads: number };
  return { ...out, blasThreads: threads.blas };
}

function report(o: EpochOptions, results: EpochResult[], name: string, note?: string): void {
  for (const r of results) {
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      const blas = r.blasThreads !== undefined && r.blasThreads !== r.threads ? `, OpenBLAS ${r.blasThreads}` : "";
      process.stdout.write(`${r.tool.padEnd(8)} ${String(r.examples).padStart(7)} examples  ${r.seconds.toFixed(2).padStart(8)} s  (${(r.examples / r.seconds).toFixed(0)} examples/s, ${r.threads} threads${blas})\n`);
    }
  }
  const dl = results.find((r) => r.tool === "dl");
  const pt = results.find((r) => r.tool === "pytorch");
  if (dl && pt && !o.json) process.stdout.write(`${name}: dl is ${(pt.seconds / dl.seconds).toFixed(2)}x PyTorch's speed (PyTorch time / dl time)\n`);
  if (dl && pt && o.json) process.stdout.write(`${JSON.stringify({ bench: name, speedup_vs_pytorch: pt.seconds / dl.seconds })}\n`);
  if (note) process.stderr.write(`${note}\n`);
}

export const GRBM_YAML = (dataset: string, save: string) => `# bench: the grbm_smd tutorial for one epoch
!obj:pylearn2.train.Train {
  dataset: &data !pkl: "${dataset}",
  model: !obj:pylearn2.models.rbm.GaussianBinaryRBM {
    nvis: 192, nhid: 400, irange: 0.05,
    energy_function_class: !obj:pylearn2.energy_functions.rbm_energy.grbm_type_1 {},
    learn_sigma: True, init_sigma: .4, init_bias_hid: -2., mean_vis: False, sigma_lr_scale: 1e-3
  },
  algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
    learning_rate: 1e-1, batch_size: 5, monitoring_batches: 1, monitoring_dataset: *data,
    cost: !obj:pylearn2.costs.ebm_estimation.SMD {
      corruptor: !obj:pylearn2.corruption.GaussianCorruptor { stdev: 0.4 }
    },
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 }
  },
  save_path: "${save}"
}
`;

/** The GRBM tutorial's epoch: 150000 whitened CIFAR-10 patches, batch 5 (30000 steps). */
export async function grbmMain(args: string[]): Promise<number> {
  const o = parseArgs("grbm", args);
  const n = o.examples ?? 150000;
  const work = mkdtempSync(join(tmpdir(), "dl-bench-grbm-"));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  try {
    const dataDir = await cifarDataDir(work, log);
    const data = cifarSubsetNote(cifarTrainImages(dataDir), n);
    log(`preparing ${n} patches (dl make-dataset cifar10-patches)${data ? `: ${data}` : ""} ...`);
    const made = makePresetDataset("cifar10-patches", { dataDir, out: join(work, "patches.pkl"), numPatches: n });
    writeFileSync(join(work, "X.f32"), made.dataset.X);
    writeFileSync(join(work, "grbm.yaml"), GRBM_YAML(join(work, "patches.pkl"), join(work, "grbm.pkl")));
    const threads = Number(process.env.DL_THREADS) || (await import("node:os")).availableParallelism();
    const results: EpochResult[] = [];
    log("dl train (1 epoch) ...");
    results.push({ bench: "grbm", tool: "dl", examples: n, seconds: runDlTrain(join(work, "grbm.yaml"), join(work, "log.jsonl"), work, {}), threads, ...(data && { data }) });
    let note: string | undefined;
    if (o.torch) {
      log("PyTorch (bench/torch_grbm.py) ...");
      const t = runTorch("torch_grbm.py", [join(work, "X.f32"), String(n)], o.torchThreads ?? { intra: threads, blas: threads });
      if ("skipped" in t) note = `PyTorch skipped: ${t.skipped}`;
      else results.push({ bench: "grbm", tool: "pytorch", examples: n, seconds: t.seconds, threads: t.threads, blasThreads: t.blasThreads, ...(data && { data }) });
    }
    report(o, results, "grbm", [note, data && `grbm: ${data}`].filter(Boolean).join("\n") || undefined);
    return 0;
  } finally {
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
}

export const MLP_YAML = (dataDir: string, n: number, save: string) => `# bench: MLP 784-500-500-10 for one MNIST epoch
!obj:pylearn2.train.Train {
  dataset: &train !obj:pylearn2.datasets.mnist.MNIST { which_set: 'train', start: 0, stop: ${n} },
  model: !obj:pylearn2.models.mlp.MLP {
    nvis: 784,
    layers: [
      !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: 'h0', dim: 500, irange: 0.05 },
      !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: 'h1', dim: 500, irange: 0.05 },
      !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: 0.05 }
    ]
  },
  algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
    batch_size: 100, learning_rate: .01, monitoring_batches: 1, monitoring_dataset: { 'train': *train },
    learning_rule: !obj:pylearn2.training_algorithms.learning_rule.Momentum { init_momentum: .5 },
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 }
  },
  save_path: "${save}"
}
`;

/** MLP 784-500-500-10 (ReLU, softmax, batch 100) for one MNIST epoch (60000 images, 600 steps). */
export async function mlpMain(args: string[]): Promise<number> {
  const o = parseArgs("mlp", args);
  const n = o.examples ?? 60000;
  const work = mkdtempSync(join(tmpdir(), "dl-bench-mlp-"));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  try {
    const dataDir = mnistDataDir();
    const ds = loadMnist({ which_set: "train", dataDir, stop: n });
    writeFileSync(join(work, "X.f32"), ds.X);
    writeFileSync(join(work, "y.i32"), ds.labels!);
    writeFileSync(join(work, "mlp.yaml"), MLP_YAML(dataDir, n, join(work, "mlp.pkl")));
    const threads = Number(process.env.DL_THREADS) || (await import("node:os")).availableParallelism();
    const results: EpochResult[] = [];
    log("dl train (1 epoch) ...");
    results.push({ bench: "mlp", tool: "dl", examples: n, seconds: runDlTrain(join(work, "mlp.yaml"), join(work, "log.jsonl"), work, { DL_DATA_PATH: dataDir }), threads });
    let note: string | undefined;
    if (o.torch) {
      log("PyTorch (bench/torch_mlp.py) ...");
      const t = runTorch("torch_mlp.py", [join(work, "X.f32"), join(work, "y.i32"), String(n)], o.torchThreads ?? { intra: threads, blas: threads });
      if ("skipped" in t) note = `PyTorch skipped: ${t.skipped}`;
      else results.push({ bench: "mlp", tool: "pytorch", examples: n, seconds: t.seconds, threads: t.threads, blasThreads: t.blasThreads });
    }
    report(o, results, "mlp", note);
    return 0;
  } finally {
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
}
