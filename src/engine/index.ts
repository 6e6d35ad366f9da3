// The tensor engine: float32 tensors, primitive ops with one gradient rule each, reverse-mode autodiff.
export { Tensor, where, type TensorLike, type Prim } from "./tensor.js";
export { gradients, backward } from "./autodiff.js";
export { noGrad, setDefaultBackend, defaultBackend, withDefaultBackend, engineState } from "./context.js";
export { cpuBackend, float64Backend, ReferenceBackend } from "./backends/reference.js";
export type { Backend } from "./backend.js";
export { checkGradients } from "./gradcheck.js";
export { installCpuKernels, activeCpuKernels } from "./backends/cpu-kernels.js";
export { runInStepScope, keepBeyondStep } from "./step-scope.js";
