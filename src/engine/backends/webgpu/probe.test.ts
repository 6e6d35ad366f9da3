import { describe, expect, it } from "vitest";
import { gpuDoctorRows, probeAdapter } from "./probe.js";
import { openGpu } from "./device.js";

describe("webgpu adapter probe (dl doctor's gpu row)", () => {
  it("agrees with opening the device in-process, and keeps driver chatter out of the row", async () => {
    let inProcess: string;
    try {
      const h = await openGpu();
      inProcess = h.adapter.description;
      h.destroy();
    } catch (err) {
      inProcess = `none: ${(err as Error).message}`;
    }
    const p = await probeAdapter();
    if (p.found) expect(p.adapter.description).toBe(inProcess);
    else expect(inProcess).toMatch(/^none: --device webgpu: no WebGPU adapter found \(/);
    const [row] = await gpuDoctorRows();
    expect(row.label).toBe("gpu");
    expect(row.ok).toBeNull();
    expect(row.value).toMatch(p.found ? /^webgpu: \S.*$/ : /^webgpu: no adapter \(.+\)$/);
    expect(row.value).not.toMatch(/Warning/);
  }, 60_000);
});
