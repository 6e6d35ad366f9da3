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
 * OpenBLAS chooses for itself.
 */
export function torchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  let avx512 = false;
  try {
    avx512 = /^flags\s*:.*\bavx512f\b/m.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    avx512 = false;
  }
  if (avx512) env.OPENBLAS_CORETYPE = "SKYLAKEX";
  else delete env.OPENBLAS_CORETYPE;
  return env;
}
