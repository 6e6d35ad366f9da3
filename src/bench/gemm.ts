import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { availableKernels, type CpuKernels } from "../engine/kernels/index.js";
import { Rng } from "../util/rng.js";
import { UsageError } from "../util/errors.js";
import { timeCalls, type TimingOptions } from "./timing.js";
import { torchEnv } from "./torch.js";

/** (m, k, n): the tutorial's GRBM step, an MNIST MLP layer, and two large squares. */
export const GEMM_SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [5, 192, 400], [100, 784, 500], [128, 1024, 1024], [1024, 1024, 1024],
];

/** The plain TypeScript path only runs shapes up to this many flops (1024^3 would take minutes). */
const JS_MAX_FLOPS = 1e8;

export interface GemmResult {
  kernel: string;
  m: number;
  k: number;
  n: number;
  threads: number;
  gflops: number;
}

export interface GemmBenchOptions {
  shapes?: ReadonlyArray<readonly [number, number, number]>;
  /** Kernel path names to run (default: every available one). */
  kernels?: string[];
  /** Measure PyTorch too (default true; skipped with a note when it is not installed). */
  torch?: boolean;
  /** Short timings, for tests. */
  quick?: boolean;
  /** Called with each result as it is measured, and with notes (e.g. why PyTorch is absent). */
  onResult?: (r: GemmResult) => void;
  onNote?: (note: string) => void;
}

/** Measures C = A B (row-major, no transposes) for every shape: PyTorch, then every kernel path. */
export function runGemmBench(opts: GemmBenchOptions = {}): GemmResult[] {
  const shapes = opts.shapes ?? GEMM_SHAPES;
  const all = availableKernels();
  const wanted = opts.kernels;
  if (wanted) {
    const unknown = wanted.filter((w) => !all.some((k) => k.name === w));
    if (unknown.length) throw new UsageError(`kernel path ${unknown.join(", ")} is not available here (available: ${all.map((k) => k.name).join(", ")})`);
  }
  const kernels = wanted ? all.filter((k) => wanted.includes(k.name)) : all;
  const timing: TimingOptions = opts.quick ? { warmupSeconds: 0.05, batches: 3, batchSeconds: 0.02 } : {};
  const results: GemmResult[] = [];
  const emit = (r: GemmResult): void => {
    results.push(r);
    opts.onResult?.(r);
  };
  const rng = new Rng(0);
  const notes = new Set<string>();
  for (const [m, k, n] of shapes) {
    // PyTorch right before our kernels on the same shape: this VM's speed drifts by tens of percent
    // over minutes, so a ratio is only fair between measurements taken close together. (Its line
    // first, so each of ours can carry the ratio as soon as it is measured.)
    if (opts.torch !== false) {
      const torch = runTorch([[m, k, n]], kernels[0]?.threads ?? 1, opts.quick ?? false);
      for (const note of torch.notes) {
        if (!notes.has(note)) opts.onNote?.(note);
        notes.add(note);
      }
      for (const r of torch.results) emit(r);
    }
    const a = rng.fillUniform(new Float32Array(m * k)) as Float32Array;
    const b = rng.fillUniform(new Float32Array(k * n)) as Float32Array;
    const c = new Float32Array(m * n);
    for (const kern of kernels) {
      if (kern.name === "js" && 2 * m * n * k > JS_MAX_FLOPS) continue;
      emit(measure(kern, m, k, n, a, b, c, timing));
    }
  }
  return results;
}

function measure(kern: CpuKernels, m: number, k: number, n: number, a: Float32Array, b: Float32Array, c: Float32Array,
                 timing: TimingOptions): GemmResult {
  const t = timeCalls(() => kern.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n), timing);
  return { kernel: kern.name, m, k, n, threads: kern.threads, gflops: (2 * m * n * k) / t.median / 1e9 };
}

const TORCH_SCRIPT = fileURLToPath(new URL("../../bench/torch_gemm.py", import.meta.url));

/** Debian's python3 with python3-torch (the pyenv python first on PATH has no torch). */
function torchPythons(): string[] {
  return [process.env.DL_BENCH_PYTHON, "/usr/bin/python3"].filter((p): p is string => !!p && existsSync(p));
}

export function runTorch(shapes: ReadonlyArray<readonly [number, number, number]>, threads: number, quick: boolean):
    { results: GemmResult[]; notes: string[] } {
  const notes: string[] = [];
  const env = torchEnv(threads);
  const args = [TORCH_SCRIPT, String(threads), quick ? "1" : "0", ...shapes.map((s) => s.join(","))];
  // Each candidate python runs the script itself (importing torch takes seconds: no separate probe).
  let r: SpawnSyncReturns<string> | null = null, py = "";
  for (const candidate of torchPythons()) {
    py = candidate;
    r = spawnSync(py, args, { encoding: "utf8", env, timeout: 600_000 });
    if (!/No module named '?torch/.test(r.stderr ?? "")) break;
    r = null;
  }
  if (!r) {
    return { results: [], notes: ["pytorch: not measured (no python3 with torch found; Debian: apt-get install python3-torch, or set DL_BENCH_PYTHON)"] };
  }
  if (!env.OPENBLAS_CORETYPE) notes.push("pytorch: OPENBLAS_CORETYPE=SKYLAKEX not set: this CPU has no AVX-512 (OpenBLAS would crash); it picks its kernels itself");
  const results: GemmResult[] = [];
  for (const line of (r.stdout ?? "").split("\n")) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as { m?: number; k?: number; n?: number; threads?: number; gflops?: number; blas?: string[]; torch?: string };
    if (o.blas) notes.push(`pytorch ${o.torch}: BLAS ${o.blas.length ? o.blas.map((p) => p.split("/").pop()).join(", ") : "unknown"}`);
    else results.push({ kernel: "pytorch", m: o.m!, k: o.k!, n: o.n!, threads: o.threads!, gflops: o.gflops! });
  }
  if (r.status !== 0) notes.push(`pytorch: ${py} exited ${r.status ?? r.signal}: ${(r.stderr ?? "").trim().split("\n").pop() ?? ""}`);
  return { results, notes };
}

export const GEMM_TABLE_HEADER = `${"m x k x n".padEnd(18)} ${"kernel".padEnd(15)} ${"threads".padStart(7)} ${"GFLOP/s".padStart(9)}  vs PyTorch`;

/** One line of the table: GFLOP/s of `r`, and our/PyTorch ratio when PyTorch ran that shape. */
export function gemmTableLine(r: GemmResult, all: readonly GemmResult[]): string {
  const torch = all.find((t) => t.kernel === "pytorch" && t.m === r.m && t.k === r.k && t.n === r.n);
  const ratio = torch && r.kernel !== "pytorch" ? `${(r.gflops / torch.gflops).toFixed(2)}x` : "";
  return `${`${r.m} x ${r.k} x ${r.n}`.padEnd(18)} ${r.kernel.padEnd(15)} ${String(r.threads).padStart(7)} ${r.gflops.toFixed(1).padStart(9)}  ${ratio}`.trimEnd();
}
