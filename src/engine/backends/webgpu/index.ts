import { WebGpuBackend } from "./backend.js";
import { openGpu } from "./device.js";
import { GpuRuntime } from "./runtime.js";

export { WebGpuBackend } from "./backend.js";
export { describeAdapter, type AdapterSummary } from "./device.js";
export { gpuDoctorRows, probeAdapter, type AdapterProbe } from "./probe.js";

/**
 * Opens the GPU (loading Dawn on first use) and returns a backend on it. Throws a DlError
 * starting "--device webgpu: no WebGPU adapter found (...)" when the `webgpu` package or an
 * adapter is missing. Call `backend.destroy()` when finished.
 */
export async function createWebGpuBackend(): Promise<WebGpuBackend> {
  return new WebGpuBackend(new GpuRuntime(await openGpu()));
}
