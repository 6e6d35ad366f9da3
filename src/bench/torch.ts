import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

/** Debian's python3 with python3-torch (the pyenv python first on PATH has none), or DL_BENCH_PYTHON. */
export function findTorchPython(): string | undefined {
  for (const py of [process.env.DL_BENCH_PYTHON, "/usr/bin/python3"]) {
    if (!py || !existsSync(py)) continue;
    const r = spawnSync(py, ["-c", "import torch"], { encoding: "utf8", timeout: 120_000 });
    if (r.status === 0) return py;
  }
  return undefined;
}

/**
 * The environment PyTorch runs in for the benches: OpenBLAS 0.3.21 misdetects AVX-512 CPUs, so
 * OPENBLAS_CORETYPE=SKYLAKEX is set there; on a CPU without AVX-512 that kernel would crash, so
 * OpenBLAS chooses for itself. `threads` also caps OpenBLAS's own thread pool: `torch.set_num_threads`
 * does not reach it (Debian's pthreads OpenBLAS starts one thread per core), so without the cap a
 * "1-thread" PyTorch ran its products on every core. (A 2-thread PyTorch still runs its 2 OpenMP
 * threads next to 2 OpenBLAS threads, and on 2 cores they fight: see the benches' --torch-threads.)
 */
export function torchEnv(threads?: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (cpuHasAvx512()) env.OPENBLAS_CORETYPE = "SKYLAKEX";
  else delete env.OPENBLAS_CORETYPE;
  if (threads !== undefined) {
    env.OPENBLAS_NUM_THREADS = String(threads);
    env.OMP_NUM_THREADS = String(threads);
  }
  return env;
}

/** OpenBLAS's SKYLAKEX kernels are AVX-512 code: forcing them on a CPU without it would crash. */
export function cpuHasAvx512(): boolean {
  try {
    return /^flags\s*:.*\bavx512f\b/m.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}
