import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { createWebGpuBackend, describeAdapter, type WebGpuBackend } from "../engine/backends/webgpu/index.js";
import { makePresetDataset } from "../data/make-dataset.js";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadMnist } from "../data/mnist.js";
import { GRBM_YAML, MLP_YAML, cifarDataDir, cifarSubsetNote, cifarTrainImages, mnistDataDir, runDlTrain } from "./epochs.js";
import { findTorchPython, torchEnv } from "./torch.js";
import { GEMM_TILES, chooseTile, type GemmTile } from "../engine/backends/webgpu/wgsl/matmul.js";
import type { GpuBuffer } from "../engine/backends/webgpu/runtime.js";
import { UsageError } from "../util/errors.js";
import { suggestionSuffix } from "../util/suggest.js";
import { Rng } from "../util/rng.js";
import { trainFile, type GpuBackendHandle } from "../train/run.js";
import type { TrainReporter } from "../train/reporter.js";
import { SGD } from "../train/sgd.js";

/**
 * `npm run bench -- gpu`: the WebGPU backend's SGEMM throughput at the issue's sizes (4096^3 and
 * 8192^3; smaller on a software adapter, with a note), every result spot-checked against float64;
 * then one epoch of the GRBM tutorial and of the MNIST MLP with `dl train --device webgpu` (a
 * slice of it with --steps N, the default on a software adapter). The issue's targets (H200:
 * >= 40 TFLOP/s at 8192^3; the epochs against PyTorch CUDA) are measured on a machine with a GPU.
 */
export interface GpuGemmResult {
  what: "gemm";
  adapter: string;
  m: number;
  k: number;
  n: number;
  tile: string;
  /** Median over timed batches. */
  gflops: number;
  /** Largest |C - C_float64| / (k * 2^-24 * sum |a b|) over the checked entries (must be <= 1). */
  errorBound: number;
}

export interface GpuBenchOptions {
  sizes?: number[];
  /** Tile names to time (default: the one `matmul` picks for the size). */
  tiles?: string[];
  quick?: boolean;
  onResult?: (r: GpuGemmResult) => void;
  onNote?: (note: string) => void;
}

const HARDWARE_SIZES = [4096, 8192];
const SOFTWARE_SIZES = [512, 1024];

/** The epoch benches the issue asks for, run as `dl train --device webgpu` on the YAML of `npm run bench -- grbm|mlp`. */
export const EPOCHS = {
  grbm: {
    describe: "one epoch of the GRBM tutorial (150000 CIFAR-10 patches, batch 5: 30000 steps); target: faster than PyTorch CUDA (38 s on an H200)",
    batch: 5,
    fullSteps: 30000,
  },
  mlp: {
    describe: "one MNIST epoch of the MLP 784-500-500-10 (ReLU, softmax, momentum; batch 100: 600 steps); target: within 1.5x of PyTorch CUDA (0.88 s on an H200)",
    batch: 100,
    fullSteps: 600,
  },
} as const;
export type EpochBench = keyof typeof EPOCHS;

/** Steps per epoch bench on a software adapter unless --steps says otherwise (a full GRBM epoch would take hours). */
const SOFTWARE_STEPS = 100;

export interface GpuEpochResult {
  what: "epoch";
  bench: EpochBench;
  /** dl's --device, or "pytorch-cuda" for the PyTorch twin (bench/torch_*.py) on CUDA. */
  device: "webgpu" | "cpu" | "pytorch-cuda";
  /** The adapter `--device webgpu` used ("cpu" for the CPU run). */
  adapter: string;
  steps: number;
  examples: number;
  /** dl's training_seconds_this_epoch: the training loop only (no start-up, no monitoring). */
  seconds: number;
  /** Whether this was the whole epoch the issue names (not a --steps slice). */
  full: boolean;
  /** webgpu, from a short in-process run (`profileSteps`): kernel dispatches one training step records, */
  dispatchesPerStep?: number;
  /** new bind groups and new GPU buffers a warm step makes (0 when the step reuses its own), */
  bindGroupsPerStep?: number;
  buffersPerStep?: number;
  /** host-to-GPU writes a warm step makes (0 when its batches are cut on the device from a dataset uploaded once), */
  uploadsPerStep?: number;
  /** and the median host time a warm step takes to record (the GPU may still be running it). */
  hostMsPerStep?: number;
  /** GRBM only, when the data folder holds part of CIFAR-10: how many training images the patches came from. */
  data?: string;
}

export async function runGpuBench(opts: GpuBenchOptions = {}): Promise<GpuGemmResult[]> {
  const gpu = await createWebGpuBackend();
  try {
    const adapter = gpu.rt.handle.adapter;
    const name = describeAdapter(adapter);
    let sizes = opts.sizes;
    if (!sizes) {
      sizes = adapter.software ? SOFTWARE_SIZES : HARDWARE_SIZES;
      if (adapter.software) opts.onNote?.(`gpu: ${name} is a software adapter: measuring ${sizes.join(", ")} instead of ${HARDWARE_SIZES.join(", ")} (--sizes overrides)`);
    }
    const results: GpuGemmResult[] = [];
    for (const s of sizes) {
      if (!gpu.rt.fitsOneBinding(s * s)) {
        const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
        opts.onNote?.(`gpu: ${s}^3 skipped: each matrix is ${mib(s * s * 4)}, more than ${name}'s largest storage binding (maxStorageBufferBindingSize ${mib(gpu.rt.device.limits.maxStorageBufferBindingSize)})`);
        continue;
      }
      const tiles = opts.tiles ? opts.tiles.map((t) => GEMM_TILES[t as keyof typeof GEMM_TILES]) : [chooseTile(s, s)];
      for (const tile of tiles) {
        const r = await timeGemm(gpu, name, s, tile, opts.quick ?? false);
        results.push(r);
        opts.onResult?.(r);
      }
    }
    return results;
  } finally {
    gpu.destroy();
  }
}

async function timeGemm(gpu: WebGpuBackend, adapter: string, s: number, tile: GemmTile, quick: boolean): Promise<GpuGemmResult> {
  const rng = new Rng(s);
  const a = rng.fillUniform(new Float32Array(s * s), -1, 1) as Float32Array;
  const b = rng.fillUniform(new Float32Array(s * s), -1, 1) as Float32Array;
  const A = gpu.fromArray(a);
  const B = gpu.fromArray(b);
  // Each call writes the buffer the last one wrote (recycled at once: the queue orders the
  // writes), so the timing holds GEMMs alone, not a fresh 256 MiB buffer's allocation and clear.
  let C: GpuBuffer | null = null;
  const run = () => {
    if (C) gpu.rt.recycle(C);
    return (C = gpu.matmulWith(tile, A, B, 1, s, s, s, false, false, 0, 0));
  };
  run(); // compiles the pipeline
  await gpu.sync();
  // Enough calls per batch to cover ~0.3 s (0.05 s quick), from one timed call.
  let t0 = performance.now();
  run();
  await gpu.sync();
  const one = Math.max(1e-6, (performance.now() - t0) / 1000);
  const calls = Math.max(1, Math.min(50, Math.round((quick ? 0.05 : 0.3) / one)));
  const times: number[] = [];
  for (let batch = 0; batch < (quick ? 2 : 5); batch++) {
    t0 = performance.now();
    for (let c = 0; c < calls; c++) run();
    await gpu.sync();
    times.push((performance.now() - t0) / 1000 / calls);
  }
  times.sort((x, y) => x - y);
  const sec = times[times.length >> 1];
  const c = (await gpu.read(run(), s * s)) as Float32Array;
  return { what: "gemm", adapter, m: s, k: s, n: s, tile: tile.name, gflops: (2 * s ** 3) / sec / 1e9, errorBound: spotCheck(a, b, c, s) };
}

/** Checks 64 entries spread over C against float64 dot products; returns the worst error / bound. */
function spotCheck(a: Float32Array, b: Float32Array, c: Float32Array, s: number): number {
  let worst = 0;
  for (let t = 0; t < 64; t++) {
    const i = (t * 7919) % s;
    const j = (t * 104729 + s - 1) % s;
    let sum = 0;
    let mag = 0;
    for (let p = 0; p < s; p++) {
      const v = a[i * s + p] * b[p * s + j];
      sum += v;
      mag += Math.abs(v);
    }
    worst = Math.max(worst, Math.abs(c[i * s + j] - sum) / ((s + 2) * 2 ** -24 * mag));
  }
  return worst;
}

export const GPU_TABLE_HEADER = "m x k x n            tile           GFLOP/s  check";

export function gpuTableLine(r: GpuGemmResult): string {
  return `${`${r.m} x ${r.k} x ${r.n}`.padEnd(20)} ${r.tile.padEnd(14)} ${r.gflops.toFixed(1).padStart(8)}  ${r.errorBound <= 1 ? "ok" : `WRONG (error ${r.errorBound.toFixed(1)}x the float32 bound)`}`;
}

/** The adapter `--device webgpu` would use (opens and frees the device). */
export async function adapterName(): Promise<{ name: string; software: boolean }> {
  const gpu = await createWebGpuBackend();
  try {
    return { name: describeAdapter(gpu.rt.handle.adapter), software: gpu.rt.handle.adapter.software };
  } finally {
    gpu.destroy();
  }
}

export interface GpuEpochOptions {
  benches?: EpochBench[];
  /** Steps per bench (a slice of the epoch); default: the whole epoch, or SOFTWARE_STEPS on a software adapter. */
  steps?: number;
  /** Also time `--device cpu` on the same slice, side by side. */
  cpu?: boolean;
  /** Also time the PyTorch twin (bench/torch_*.py) on CUDA, on the same data, in the same run. */
  torch?: boolean;
  onResult?: (r: GpuEpochResult) => void;
  onNote?: (note: string) => void;
}

/**
 * One epoch (or its first `steps` batches' worth of data) of each bench, as `dl train --device
 * webgpu` in a child process, as a user runs it; the time is the training loop's own.
 */
export async function runGpuEpochs(opts: GpuEpochOptions = {}): Promise<GpuEpochResult[]> {
  const adapter = await adapterName();
  let steps = opts.steps;
  if (steps === undefined && adapter.software) {
    steps = SOFTWARE_STEPS;
    opts.onNote?.(`gpu: ${adapter.name} is a software adapter: timing ${steps} steps of each epoch, not the whole epoch (--steps overrides)`);
  }
  const results: GpuEpochResult[] = [];
  const work = mkdtempSync(join(tmpdir(), "dl-bench-gpu-"));
  const log = (s: string) => opts.onNote?.(`gpu: ${s}`);
  try {
    for (const bench of opts.benches ?? (Object.keys(EPOCHS) as EpochBench[])) {
      const e = EPOCHS[bench];
      const n = Math.min(e.fullSteps, steps ?? e.fullSteps) * e.batch;
      const yaml = join(work, `${bench}.yaml`);
      const env: Record<string, string> = {};
      let torchArgs: string[];
      let data: string | undefined;
      if (bench === "grbm") {
        const dataDir = await cifarDataDir(work, log);
        data = cifarSubsetNote(cifarTrainImages(dataDir), n);
        log(`preparing ${n} CIFAR-10 patches${data ? ` (${data})` : ""} ...`);
        const made = makePresetDataset("cifar10-patches", { dataDir, out: join(work, "patches.pkl"), numPatches: n });
        writeFileSync(yaml, GRBM_YAML(join(work, "patches.pkl"), join(work, "grbm.pkl")));
        if (opts.torch) writeFileSync(join(work, "X.f32"), made.dataset.X);
        torchArgs = ["torch_grbm.py", join(work, "X.f32"), String(n)];
      } else {
        const dataDir = mnistDataDir();
        env.DL_DATA_PATH = dataDir;
        writeFileSync(yaml, MLP_YAML(dataDir, n, join(work, "mlp.pkl")));
        if (opts.torch) {
          const ds = loadMnist({ which_set: "train", dataDir, stop: n });
          writeFileSync(join(work, "X.f32"), ds.X);
          writeFileSync(join(work, "y.i32"), ds.labels!);
        }
        torchArgs = ["torch_mlp.py", join(work, "X.f32"), join(work, "y.i32"), String(n)];
      }
      for (const device of opts.cpu ? (["webgpu", "cpu"] as const) : (["webgpu"] as const)) {
        log(`${bench}: dl train --device ${device} (${n / e.batch} steps) ...`);
        const seconds = runDlTrain(yaml, join(work, `${bench}-${device}.jsonl`), work, env, ["--device", device]);
        const r: GpuEpochResult = {
          what: "epoch", bench, device, adapter: device === "cpu" ? "cpu" : adapter.name,
          steps: n / e.batch, examples: n, seconds, full: n / e.batch === e.fullSteps, ...(data && { data }),
        };
        // The same experiment again, in-process and a few steps long (its save replaces the timed run's, unread).
        if (device === "webgpu") Object.assign(r, await profileSteps(yaml, Math.min(PROFILE_STEPS, n / e.batch), env));
        results.push(r);
        opts.onResult?.(r);
      }
      if (opts.torch) {
        log(`${bench}: PyTorch on CUDA (bench/${torchArgs[0]}) ...`);
        const t = runTorchCuda(torchArgs);
        if ("skipped" in t) log(`${bench}: PyTorch CUDA skipped: ${t.skipped}`);
        else {
          const r: GpuEpochResult = {
            what: "epoch", bench, device: "pytorch-cuda", adapter: t.device,
            steps: n / e.batch, examples: n, seconds: t.seconds, full: n / e.batch === e.fullSteps, ...(data && { data }),
          };
          results.push(r);
          opts.onResult?.(r);
        }
      }
    }
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const quiet: TrainReporter = { paramSummary() {}, progress() {}, epochTrained() {}, monitor() {}, log() {} };

/** Steps `profileSteps` trains in-process; the counts come from the second half (warm caches and pools). */
const PROFILE_STEPS = 40;

/**
 * What one training step of `yaml` costs the host on the GPU, trained in-process for `steps`
 * steps (the timed run is a child process): the most kernel dispatches a step records (the GRBM
 * tutorial's fused step records 2), and over the second half of the steps, the mean new bind
 * groups and new buffers a step makes (each costs Dawn several dispatches' worth of time; a warm
 * step should make none) and the median host time a step takes to record.
 */
async function profileSteps(yaml: string, steps: number, env: Record<string, string>): Promise<Pick<GpuEpochResult, "dispatchesPerStep" | "bindGroupsPerStep" | "buffersPerStep" | "uploadsPerStep" | "hostMsPerStep">> {
  const gpu = await createWebGpuBackend();
  const proto = SGD.prototype;
  const step = proto.step;
  const stats = gpu.rt.stats;
  const rows: Array<{ dispatches: number; bindGroups: number; buffers: number; uploads: number; ms: number }> = [];
  proto.step = function (this: SGD): boolean {
    const before = { ...stats };
    const t0 = performance.now();
    const more = step.call(this);
    const ms = performance.now() - t0;
    if (more) rows.push({ dispatches: stats.dispatches - before.dispatches, bindGroups: stats.bindGroups - before.bindGroups, buffers: stats.allocations - before.allocations, uploads: stats.uploads - before.uploads, ms });
    return more;
  };
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  try {
    const handle: GpuBackendHandle = { backend: gpu, description: "bench", destroy() {} };
    await trainFile(yaml, { device: "webgpu", reporter: quiet, openGpu: () => Promise.resolve(handle), overrides: [`algorithm.batches_per_iter=${steps}`] });
  } finally {
    proto.step = step;
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    gpu.destroy();
  }
  const warm = rows.slice(rows.length >> 1);
  const mean = (f: (r: (typeof rows)[number]) => number) => warm.reduce((a, r) => a + f(r), 0) / Math.max(1, warm.length);
  const ms = warm.map((r) => r.ms).sort((a, b) => a - b);
  return {
    dispatchesPerStep: Math.max(0, ...rows.map((r) => r.dispatches)),
    bindGroupsPerStep: mean((r) => r.bindGroups),
    buffersPerStep: mean((r) => r.buffers),
    uploadsPerStep: mean((r) => r.uploads),
    hostMsPerStep: ms[ms.length >> 1] ?? 0,
  };
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The PyTorch twin on CUDA: { seconds, device name }, or why it did not run. */
function runTorchCuda(args: string[]): { seconds: number; device: string } | { skipped: string } {
  const py = findTorchPython();
  if (!py) return { skipped: "no python3 with torch (set DL_BENCH_PYTHON)" };
  const probe = spawnSync(py, ["-c", "import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"], { encoding: "utf8", env: torchEnv() });
  const name = probe.stdout?.trim();
  if (probe.status !== 0 || !name) return { skipped: "this PyTorch has no CUDA device" };
  const [script, ...rest] = args;
  const threads = String(availableParallelism());
  const r = spawnSync(py, [join(ROOT, "bench", script), ...rest, threads, "cuda"], { encoding: "utf8", env: torchEnv(), maxBuffer: 1 << 24 });
  if (r.status !== 0) return { skipped: `${script} failed: ${r.stderr.trim().split("\n").slice(-3).join(" ")}` };
  const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { seconds: number };
  return { seconds: out.seconds, device: `${name} (PyTorch CUDA)` };
}

export function epochLine(r: GpuEpochResult): string {
  const what = `${r.bench} ${r.full ? "epoch" : "slice"}`.padEnd(11);
  return `${what} ${r.device.padEnd(12)} ${String(r.steps).padStart(6)} steps ${r.seconds.toFixed(2).padStart(9)} s  ${((r.seconds / r.steps) * 1000).toFixed(2).padStart(8)} ms/step` +
    `${r.dispatchesPerStep === undefined ? "" : `  ${r.dispatchesPerStep} dispatches/step`}` +
    `${r.hostMsPerStep === undefined ? "" : ` (host ${r.hostMsPerStep.toFixed(3)} ms, ${r.bindGroupsPerStep!.toFixed(1)} new bind groups, ${r.buffersPerStep!.toFixed(1)} new buffers${r.uploadsPerStep === undefined ? "" : `, ${r.uploadsPerStep.toFixed(1)} uploads`})`}` +
    `${r.full ? "" : `  (whole epoch ~${((r.seconds / r.steps) * EPOCHS[r.bench].fullSteps).toFixed(0)} s at this rate)`}  [${r.adapter}]` +
    `${r.data ? `  data: ${r.data}` : ""}`;
}

/** `gpu [--json] [--quick] [--sizes 4096,8192] [--tiles large,medium|all] [--epochs grbm,mlp|none] [--steps N] [--cpu] [--torch] [--no-gemm]` */
export async function gpuMain(args: string[]): Promise<number> {
  let json = false, quick = false, cpu = false, gemm = true;
  let sizes: number[] | undefined;
  let tiles: string[] | undefined;
  let benches: EpochBench[] | undefined;
  let steps: number | undefined;
  let torch = false;
  const options = ["--json", "--quick", "--sizes", "--tiles", "--epochs", "--steps", "--cpu", "--torch", "--no-gemm"];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") json = true;
    else if (a === "--quick") quick = true;
    else if (a === "--cpu") cpu = true;
    else if (a === "--torch") torch = true;
    else if (a === "--no-gemm") gemm = false;
    else if (a === "--sizes" && args[i + 1]) {
      sizes = args[++i].split(",").map(Number);
      if (!sizes.every((x) => Number.isInteger(x) && x > 0)) throw new UsageError(`gpu: --sizes takes positive integers like 4096,8192, got '${args[i]}'`);
    } else if (a === "--tiles" && args[i + 1]) {
      tiles = args[++i] === "all" ? Object.keys(GEMM_TILES) : args[i].split(",");
      const bad = tiles.find((t) => !(t in GEMM_TILES));
      if (bad) throw new UsageError(`gpu: unknown tile '${bad}'.${suggestionSuffix(bad, Object.keys(GEMM_TILES))} Tiles: ${Object.keys(GEMM_TILES).join(", ")}, all`);
    } else if (a === "--epochs" && args[i + 1]) {
      const list = args[++i] === "none" ? [] : args[i].split(",");
      const bad = list.find((b) => !(b in EPOCHS));
      if (bad) throw new UsageError(`gpu: unknown epoch bench '${bad}'.${suggestionSuffix(bad, Object.keys(EPOCHS))} Epochs: ${Object.keys(EPOCHS).join(", ")}, none`);
      benches = list as EpochBench[];
    } else if (a === "--steps" && args[i + 1]) {
      steps = Number(args[++i]);
      if (!Number.isInteger(steps) || steps <= 0) throw new UsageError(`gpu: --steps takes a positive whole number of training steps, got '${args[i]}'`);
    } else throw new UsageError(`gpu: unknown option '${a}'.${suggestionSuffix(a, options)} Options: ${options.join(" ")} (--sizes N,N --tiles a,b|all --epochs grbm,mlp|none --steps N)`);
  }
  let header = false;
  let wrong = false;
  const onNote = (note: string) => process.stderr.write(`${note}\n`);
  if (gemm) {
    await runGpuBench({
      sizes,
      tiles,
      quick,
      onResult: (r) => {
        if (r.errorBound > 1) wrong = true;
        if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else {
          if (!header) process.stdout.write(`${r.adapter}\n${GPU_TABLE_HEADER}\n`);
          header = true;
          process.stdout.write(`${gpuTableLine(r)}\n`);
        }
      },
      onNote,
    });
  }
  if (benches?.length !== 0) {
    await runGpuEpochs({
      benches,
      steps,
      cpu,
      torch,
      onResult: (r) => process.stdout.write(json ? `${JSON.stringify(r)}\n` : `${epochLine(r)}\n`),
      onNote,
    });
  }
  return wrong ? 1 : 0;
}
