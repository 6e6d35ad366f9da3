/// <reference types="@webgpu/types" />
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { describeAdapter, summarizeAdapter, type AdapterSummary } from "./device.js";

/** The outcome of looking for a WebGPU adapter without opening a device. */
export type AdapterProbe = { found: true; adapter: AdapterSummary } | { found: false; why: string };

const PROBE_TIMEOUT_MS = 30_000;

/**
 * Asks Dawn for an adapter in a child process: drivers print to stderr (lavapipe warns about its
 * limits), can hang, or can crash, and none of that may reach the caller (`dl doctor`). The
 * child loads the same `webgpu` package this module would.
 */
export async function probeAdapter(): Promise<AdapterProbe> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve("webgpu");
  } catch {
    return { found: false, why: "the optional npm package 'webgpu' is not installed; run `npm install webgpu`" };
  }
  const script = `
const { create } = await import(${JSON.stringify(pathToFileURL(entry).href)});
const a = await create([]).requestAdapter({ powerPreference: "high-performance" });
const i = a && a.info;
process.stdout.write(JSON.stringify(i ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description } : null));
process.exit(0);`;
  return new Promise((resolve) => {
    execFile(process.execPath, ["--input-type=module", "-e", script], { timeout: PROBE_TIMEOUT_MS, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) {
        const detail = stderr.split("\n").find((l) => /error/i.test(l)) ?? (err.killed ? `no answer in ${PROBE_TIMEOUT_MS / 1000} s` : err.message);
        resolve({ found: false, why: `Dawn failed while looking for an adapter: ${detail.trim()}` });
        return;
      }
      const info = JSON.parse(stdout || "null") as GPUAdapterInfo | null;
      resolve(info
        ? { found: true, adapter: summarizeAdapter(info) }
        : { found: false, why: "Dawn found no Vulkan, Metal or D3D12 driver; on Linux install the GPU's Vulkan driver, or Mesa's lavapipe for a CPU one: apt-get install mesa-vulkan-drivers" });
    });
  });
}

/** The `dl doctor` row: the adapter `--device webgpu` would use, or why there is none. */
export async function gpuDoctorRows(): Promise<Array<{ label: string; value: string; ok: boolean | null }>> {
  const p = await probeAdapter();
  // CPU training works without a GPU, so a missing adapter is information, not a failed check.
  return [{ label: "gpu", value: p.found ? `webgpu: ${describeAdapter(p.adapter)}` : `webgpu: no adapter (${p.why})`, ok: null }];
}
