/// <reference types="@webgpu/types" />
import { DlError } from "../../../util/errors.js";

/**
 * Finding a WebGPU device through Dawn (the optional npm package `webgpu`). Nothing here runs at
 * import time: the package is loaded by the first `openGpu()`, so importing the engine never loads
 * Dawn and a machine without it trains on the CPU as before.
 */

/** What the adapter says about itself (for `dl doctor` and the bench). */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a CPU implementation (Mesa's lavapipe / llvmpipe, SwiftShader, WARP). */
  software: boolean;
}

export interface GpuHandle {
  /**
   * Dawn's instance. It must stay reachable while the device lives: if the GC collects it, Dawn
   * frees the instance under the device and the next event poll crashes the process.
   */
  gpu: GPU;
  device: GPUDevice;
  adapter: AdapterSummary;
  limits: GPUSupportedLimits;
  /** Destroys the device (idempotent); the process can then exit without waiting on Dawn. */
  destroy(): void;
}

interface DawnModule {
  create(options: string[]): GPU;
}

/** Loads `webgpu` by a computed name so TypeScript and bundlers never require it to exist. */
async function loadDawn(): Promise<DawnModule> {
  const name = "webgpu";
  try {
    return (await import(name)) as DawnModule;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND"
      ? "the optional npm package 'webgpu' is not installed; run `npm install webgpu`"
      : `the npm package 'webgpu' failed to load: ${(err as Error).message}`;
    throw new DlError(`--device webgpu: no WebGPU adapter found (${why})`);
  }
}

export function summarizeAdapter(info: GPUAdapterInfo): AdapterSummary {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: /llvmpipe|lavapipe|swiftshader|software|warp|cpu/.test(text),
  };
}

export function describeAdapter(a: AdapterSummary): string {
  const name = a.description || [a.vendor, a.device].filter(Boolean).join(" ") || "unnamed adapter";
  return `${name}${a.software ? " (software: runs on the CPU)" : ""}`;
}

// The limits a deep-learning workload runs into first: big buffers (an 8192 x 8192 float matrix is
// 256 MiB, twice the default binding size) and workgroup memory for GEMM tiles.
const WANTED_LIMITS = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxStorageBuffersPerShaderStage",
] as const;

/**
 * Dawn's create() options from DL_WEBGPU_DAWN_TOGGLES, a comma-separated list of Dawn toggles to
 * enable (e.g. `disable_robustness`, which drops the bounds clamps Tint adds to every array access:
 * the GPU bench measures GEMM with and without it). Names are Dawn's own and pass through as they are.
 */
export function dawnCreateOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  const toggles = (env.DL_WEBGPU_DAWN_TOGGLES ?? "").split(",").map((t) => t.trim()).filter(Boolean);
  if (!toggles.length) return [];
  const bad = toggles.find((t) => !/^[a-z0-9_]+$/.test(t));
  if (bad) throw new DlError(`DL_WEBGPU_DAWN_TOGGLES: '${bad}' is not a Dawn toggle name (lower-case words joined by '_', e.g. disable_robustness)`);
  return [`enable-dawn-features=${toggles.join(",")}`];
}

/**
 * Opens the first high-performance adapter and a device on it with the adapter's own limits.
 * Throws a DlError naming what was missing: the package, an adapter, or a device.
 */
export async function openGpu(): Promise<GpuHandle> {
  const options = dawnCreateOptions();
  const dawn = await loadDawn();
  let gpu: GPU;
  try {
    gpu = dawn.create(options);
  } catch (err) {
    throw new DlError(`--device webgpu: no WebGPU adapter found (Dawn failed to start: ${(err as Error).message})`);
  }
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    throw new DlError(
      "--device webgpu: no WebGPU adapter found (Dawn found no Vulkan, Metal or D3D12 driver; on Linux install the GPU's Vulkan driver, or Mesa's lavapipe for a CPU one: apt-get install mesa-vulkan-drivers)",
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) requiredLimits[k] = adapter.limits[k];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits });
  } catch (err) {
    throw new DlError(`--device webgpu: the adapter refused a device (${(err as Error).message})`);
  }
  let destroyed = false;
  const handle: GpuHandle = {
    gpu,
    device,
    adapter: summarizeAdapter(adapter.info),
    limits: device.limits,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      process.off("exit", onExit);
      device.destroy();
    },
  };
  // Dawn's event polling can hold the event loop open; a device left alive at exit is destroyed.
  const onExit = (): void => handle.destroy();
  process.on("exit", onExit);
  return handle;
}
