import { describe, expect, it } from "vitest";
import { EPOCH_HOOKS, gpuMain, gpuTableLine, runGpuBench } from "./gpu.js";
import { probeAdapter } from "../engine/backends/webgpu/probe.js";
import { UsageError } from "../util/errors.js";

const probe = await probeAdapter();
if (!probe.found) console.log(`gpu bench tests skipped: ${probe.why}`);

describe("npm run bench -- gpu", () => {
  it("rejects unknown options and tiles before touching the GPU", async () => {
    await expect(gpuMain(["--tiles", "larg"])).rejects.toThrow(/unknown tile 'larg'\. Did you mean `large`\?/);
    await expect(gpuMain(["--sizes", "4096,x"])).rejects.toThrow(UsageError);
    await expect(gpuMain(["--jsn"])).rejects.toThrow(/Did you mean `--json`\?/);
  });

  it.skipIf(!probe.found)("times each requested tile and size, checks C against float64, and says the epochs are not measured", async () => {
    const notes: string[] = [];
    const rows = await runGpuBench({ sizes: [33, 64], tiles: ["small", "skinny"], quick: true, onNote: (n) => notes.push(n) });
    expect(rows.map((r) => `${r.m}/${r.tile}`)).toEqual(["33/small", "33/skinny", "64/small", "64/skinny"]);
    for (const r of rows) {
      expect(r.gflops).toBeGreaterThan(0);
      expect(r.errorBound).toBeLessThanOrEqual(1);
      expect(gpuTableLine(r)).toMatch(/ ok$/);
    }
    for (const k of Object.keys(EPOCH_HOOKS)) expect(notes.some((n) => n.startsWith(`gpu: ${k} epoch: not measured`))).toBe(true);
  }, 120_000);
});
