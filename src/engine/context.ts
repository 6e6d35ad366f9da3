import type { Backend } from "./backend.js";
import { cpuBackend } from "./backends/reference.js";
import { installCpuKernels } from "./backends/cpu-kernels.js";
import type { StepScope } from "./step-scope.js";

// Tensors on the CPU use the fast kernels by default (chosen lazily, at the first matrix product);
// DL_KERNELS=js forces plain TypeScript.
installCpuKernels();

/**
 * Engine-wide switches: whether ops record the graph, which backend new tensors live on, and the
 * training step whose buffers are reused when it ends (step-scope.ts).
 */
export const engineState = {
  gradEnabled: true,
  backend: cpuBackend as Backend,
  scope: null as StepScope | null,
};

/** Runs `fn` without recording the graph (optimizer updates, monitoring, inference). */
export function noGrad<T>(fn: () => T): T {
  const prev = engineState.gradEnabled;
  engineState.gradEnabled = false;
  try {
    return fn();
  } finally {
    engineState.gradEnabled = prev;
  }
}

export function setDefaultBackend(b: Backend): void {
  engineState.backend = b;
}

export function defaultBackend(): Backend {
  return engineState.backend;
}

/** Runs `fn` with `backend` as the default (tensors, layers and models made inside live there), then restores the previous one. */
export function withDefaultBackend<T>(backend: Backend, fn: () => T): T {
  const prev = engineState.backend;
  engineState.backend = backend;
  try {
    return fn();
  } finally {
    engineState.backend = prev;
  }
}
