import { UsageError, DlError } from "../util/errors.js";
import { suggestionSuffix } from "../util/suggest.js";
import { opsMain } from "./ops.js";
import { grbmMain, mlpMain } from "./epochs.js";
import { gpuMain } from "./gpu.js";
import { GEMM_SHAPES, GEMM_TABLE_HEADER, gemmTableLine, runGemmBench, type GemmResult } from "./gemm.js";

/**
 * `npm run bench -- NAME [options]`: the sub-benches, by name. A bench is a function from its
 * arguments to an exit code; it prints as it goes (one JSON object per line with --json).
 * Add a bench with one entry here (and drop its line from PLANNED).
 */
export type Bench = (args: string[]) => number | Promise<number>;

export const BENCHES: Record<string, { describe: string; run: Bench }> = {
  gemm: { describe: "SGEMM GFLOP/s of every kernel path and of PyTorch, (m,k,n) = (5,192,400) ... (1024,1024,1024)", run: gemmMain },
  ops: { describe: "per-op cost of the engine at the tutorial's sizes (batch 5), autodiff bookkeeping included", run: opsMain },
  grbm: { describe: "one epoch of the GRBM + SMD tutorial (150000 patches, batch 5) with dl train and with PyTorch", run: grbmMain },
  mlp: { describe: "one MNIST epoch of an MLP 784-500-500-10 (ReLU, softmax, batch 100) with dl train and with PyTorch", run: mlpMain },
  gpu: { describe: "WebGPU backend: SGEMM GFLOP/s at 4096^3 and 8192^3 (smaller on a software adapter), checked against float64; GRBM and MLP epochs with dl train --device webgpu (--steps N: a slice)", run: gpuMain },
};

/** Benches the issues ask for that need parts not written yet; named so the runner can say so. */
export const PLANNED: Record<string, string> = {
};

const USAGE = `usage: npm run bench -- <name> [options]\n${Object.entries(BENCHES).map(([n, b]) => `  ${n.padEnd(6)} ${b.describe}`).join("\n")}\n`;

/** Runs the bench named in argv (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (!name || name === "--help" || name === "-h") {
      process.stdout.write(USAGE);
      return name ? 0 : 2;
    }
    const bench = BENCHES[name];
    if (!bench) {
      if (PLANNED[name]) throw new DlError(`bench '${name}' is not written yet: ${PLANNED[name]}`, 2);
      throw new UsageError(`unknown bench '${name}'.${suggestionSuffix(name, Object.keys(BENCHES))} Available: ${Object.keys(BENCHES).join(", ")}`);
    }
    return await bench.run(rest);
  } catch (err) {
    if (err instanceof DlError) {
      process.stderr.write(`bench: error: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

/** `gemm [--json] [--quick] [--no-torch] [--kernels a,b] [--shapes MxKxN,...]` */
function gemmMain(args: string[]): number {
  let json = false, quick = false, torch = true;
  let kernels: string[] | undefined;
  let shapes: Array<[number, number, number]> | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") json = true;
    else if (a === "--quick") quick = true;
    else if (a === "--no-torch") torch = false;
    else if (a === "--kernels" && args[i + 1]) kernels = args[++i].split(",");
    else if (a === "--shapes" && args[i + 1]) shapes = args[++i].split(",").map(parseShape);
    else throw new UsageError(`gemm: unknown option '${a}'.${suggestionSuffix(a, ["--json", "--quick", "--no-torch", "--kernels", "--shapes"])} Options: --json --quick --no-torch --kernels a,b --shapes MxKxN,...`);
  }
  const seen: GemmResult[] = [];
  if (!json) process.stdout.write(`${GEMM_TABLE_HEADER}\n`);
  runGemmBench({
    shapes: shapes ?? GEMM_SHAPES,
    kernels,
    torch,
    quick,
    onResult: (r) => {
      seen.push(r);
      process.stdout.write(json ? `${JSON.stringify(r)}\n` : `${gemmTableLine(r, seen)}\n`);
    },
    onNote: (note) => process.stderr.write(`${note}\n`),
  });
  return 0;
}

function parseShape(s: string): [number, number, number] {
  const v = s.split("x").map(Number);
  if (v.length !== 3 || !v.every((x) => Number.isInteger(x) && x > 0)) {
    throw new UsageError(`gemm: --shapes takes MxKxN triples like 5x192x400, got '${s}'`);
  }
  return [v[0], v[1], v[2]];
}
