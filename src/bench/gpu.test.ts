import { describe, expect, it } from "vitest";
import { epochLine, gpuMain, gpuTableLine, runGpuBench, runGpuEpochs } from "./gpu.js";
import { probeAdapter } from "../engine/backends/webgpu/probe.js";
import { UsageError } from "../util/errors.js";

const probe = await probeAdapter();
if (!probe.found) console.log(`gpu bench tests skipped: ${probe.why}`);

describe("npm run bench -- gpu", () => {
  it("rejects unknown options and tiles before touching the GPU", async () => {
    await expect(gpuMain(["--tiles", "larg"])).rejects.toThrow(/unknown tile 'larg'\. Did you mean `large`\?/);
    await expect(gpuMain(["--sizes", "4096,x"])).rejects.toThrow(UsageError);
    await expect(gpuMain(["--jsn"])).rejects.toThrow(/Did you mean `--json`\?/);
    await expect(gpuMain(["--epochs", "mlpp"])).rejects.toThrow(/unknown epoch bench 'mlpp'\. Did you mean `mlp`\?/);
    await expect(gpuMain(["--steps", "0"])).rejects.toThrow(/--steps takes a positive whole number/);
  });

  it.skipIf(!probe.found)("skips, with a note, a size whose matrices exceed the adapter's largest storage binding", async () => {
    const notes: string[] = [];
    // 32768^2 floats are 4 GiB: more than any adapter binds (lavapipe: 128 MiB).
    const rows = await runGpuBench({ sizes: [32768, 16], tiles: ["small"], quick: true, onNote: (n) => void notes.push(n) });
    expect(rows.map((r) => r.m)).toEqual([16]);
    expect(notes.join("\n")).toMatch(/gpu: 32768\^3 skipped: each matrix is 4096 MiB, more than .+'s largest storage binding \(maxStorageBufferBindingSize \d+ MiB\)/);
  });

  it.skipIf(!probe.found)("times each requested tile and size and checks C against float64", async () => {
    const rows = await runGpuBench({ sizes: [33, 64], tiles: ["small", "skinny"], quick: true });
    expect(rows.map((r) => `${r.m}/${r.tile}`)).toEqual(["33/small", "33/skinny", "64/small", "64/skinny"]);
    for (const r of rows) {
      expect(r.gflops).toBeGreaterThan(0);
      expect(r.errorBound).toBeLessThanOrEqual(1);
      expect(gpuTableLine(r)).toMatch(/ ok$/);
    }
  }, 120_000);

  it.skipIf(!probe.found)("times a slice of the MNIST MLP epoch with dl train --device webgpu and --device cpu, naming the adapter", async () => {
    const rows = await runGpuEpochs({ benches: ["mlp"], steps: 3, cpu: true });
    expect(rows.map((r) => `${r.bench}/${r.device}/${r.steps}/${r.examples}/${r.full}`)).toEqual(["mlp/webgpu/3/300/false", "mlp/cpu/3/300/false"]);
    expect(rows[0].adapter).toMatch(/\S/);
    for (const r of rows) expect(r.seconds).toBeGreaterThan(0);
    expect(rows[0].dispatchesPerStep).toBeGreaterThan(20); // forward, backward and momentum updates of 3 layers, op by op
    expect(rows[1].dispatchesPerStep).toBeUndefined();
    // 300 images fit one binding: the batches are cut on the device, nothing is written per step.
    expect(rows[0].uploadsPerStep).toBe(0);
    expect(epochLine(rows[0])).toMatch(/^mlp slice +webgpu +3 steps .* ms\/step +\d+ dispatches\/step \(host \d+\.\d{3} ms, [\d.]+ new bind groups, [\d.]+ new buffers, [\d.]+ uploads\) +\(whole epoch ~\d+ s at this rate\) +\[.+\]$/);
  }, 180_000);

  it.skipIf(!probe.found)("times a slice of the GRBM epoch on the fused step and prints what a step costs the host (2 dispatches, nothing new)", async () => {
    const rows = await runGpuEpochs({ benches: ["grbm"], steps: 3 });
    expect(rows.map((r) => `${r.bench}/${r.device}/${r.steps}/${r.dispatchesPerStep}`)).toEqual(["grbm/webgpu/3/2"]);
    // The fused step binds its buffers once, at setup.
    expect([rows[0].bindGroupsPerStep, rows[0].buffersPerStep, rows[0].uploadsPerStep]).toEqual([0, 0, 0]);
    expect(epochLine(rows[0])).toMatch(/^grbm slice +webgpu +3 steps .* ms\/step +2 dispatches\/step \(host \d+\.\d{3} ms, 0\.0 new bind groups, 0\.0 new buffers, 0\.0 uploads\) +\(whole epoch ~\d+ s at this rate\) +\[.+\]$/);
  }, 180_000);
});
