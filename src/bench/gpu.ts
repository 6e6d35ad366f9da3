import { createWebGpuBackend, describeAdapter, type WebGpuBackend } from "../engine/backends/webgpu/index.js";
import { GEMM_TILES, chooseTile, type GemmTile } from "../engine/backends/webgpu/wgsl/matmul.js";
import { UsageError } from "../util/errors.js";
import { suggestionSuffix } from "../util/suggest.js";
import { Rng } from "../util/rng.js";

/**
 * `npm run bench -- gpu`: the WebGPU backend's SGEMM throughput at the issue's sizes (4096^3 and
 * 8192^3; smaller on a software adapter, with a note), every result spot-checked against float64.
 * The issue's targets (H200: >= 40 TFLOP/s at 8192^3; MLP and GRBM epochs against PyTorch CUDA)
 * are measured on a machine with a GPU; see EPOCH_HOOKS for the epochs.
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

/**
 * The epoch benches the issue asks for with `--device webgpu`. They need `dl train --device
 * webgpu` (the trainer's per-step path without synchronous readback); until then each hook says
 * what is missing instead of printing a number.
 */
export const EPOCH_HOOKS: Record<"grbm" | "mlp", { describe: string; pending: string }> = {
  grbm: {
    describe: "one epoch of the GRBM tutorial (batch 5, 30000 steps) with --device webgpu; target: faster than PyTorch CUDA (38 s on an H200)",
    pending: "not measured: `dl train --device webgpu` is not wired yet (src/bench/epochs.ts grbmMain with the webgpu device)",
  },
  mlp: {
    describe: "one MNIST epoch of the MLP 784-500-500-10 (batch 100) with --device webgpu; target: within 1.5x of PyTorch CUDA (0.88 s on an H200)",
    pending: "not measured: `dl train --device webgpu` is not wired yet (src/bench/epochs.ts mlpMain with the webgpu device)",
  },
};

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
      const tiles = opts.tiles ? opts.tiles.map((t) => GEMM_TILES[t as keyof typeof GEMM_TILES]) : [chooseTile(s, s)];
      for (const tile of tiles) {
        const r = await timeGemm(gpu, name, s, tile, opts.quick ?? false);
        results.push(r);
        opts.onResult?.(r);
      }
    }
    for (const [k, h] of Object.entries(EPOCH_HOOKS)) opts.onNote?.(`gpu: ${k} epoch: ${h.pending}`);
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
  const run = () => gpu.matmulWith(tile, A, B, 1, s, s, s, false, false, 0, 0);
  let C = run(); // compiles the pipeline
  await gpu.sync();
  // Enough calls per batch to cover ~0.3 s (0.05 s quick), from one timed call.
  let t0 = performance.now();
  C = run();
  await gpu.sync();
  const one = Math.max(1e-6, (performance.now() - t0) / 1000);
  const calls = Math.max(1, Math.min(50, Math.round((quick ? 0.05 : 0.3) / one)));
  const times: number[] = [];
  for (let batch = 0; batch < (quick ? 2 : 5); batch++) {
    t0 = performance.now();
    for (let c = 0; c < calls; c++) C = run();
    await gpu.sync();
    times.push((performance.now() - t0) / 1000 / calls);
  }
  times.sort((x, y) => x - y);
  const sec = times[times.length >> 1];
  const c = (await gpu.read(C, s * s)) as Float32Array;
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

export const GPU_TABLE_HEADER = "m x k x n            tile     GFLOP/s  check";

export function gpuTableLine(r: GpuGemmResult): string {
  return `${`${r.m} x ${r.k} x ${r.n}`.padEnd(20)} ${r.tile.padEnd(8)} ${r.gflops.toFixed(1).padStart(8)}  ${r.errorBound <= 1 ? "ok" : `WRONG (error ${r.errorBound.toFixed(1)}x the float32 bound)`}`;
}

/** `gpu [--json] [--quick] [--sizes 4096,8192] [--tiles large,medium|all]` */
export async function gpuMain(args: string[]): Promise<number> {
  let json = false, quick = false;
  let sizes: number[] | undefined;
  let tiles: string[] | undefined;
  const options = ["--json", "--quick", "--sizes", "--tiles"];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") json = true;
    else if (a === "--quick") quick = true;
    else if (a === "--sizes" && args[i + 1]) {
      sizes = args[++i].split(",").map(Number);
      if (!sizes.every((x) => Number.isInteger(x) && x > 0)) throw new UsageError(`gpu: --sizes takes positive integers like 4096,8192, got '${args[i]}'`);
    } else if (a === "--tiles" && args[i + 1]) {
      tiles = args[++i] === "all" ? Object.keys(GEMM_TILES) : args[i].split(",");
      const bad = tiles.find((t) => !(t in GEMM_TILES));
      if (bad) throw new UsageError(`gpu: unknown tile '${bad}'.${suggestionSuffix(bad, Object.keys(GEMM_TILES))} Tiles: ${Object.keys(GEMM_TILES).join(", ")}, all`);
    } else throw new UsageError(`gpu: unknown option '${a}'.${suggestionSuffix(a, options)} Options: --json --quick --sizes N,N --tiles a,b|all`);
  }
  let header = false;
  let wrong = false;
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
    onNote: (note) => process.stderr.write(`${note}\n`),
  });
  return wrong ? 1 : 0;
}
