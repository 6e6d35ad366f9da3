import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { probeAdapter } from "../src/engine/backends/webgpu/probe.js";
import { ROOT } from "./helpers/cli.js";

/** Runs an ES module snippet in a fresh Node (against dist/, built by the global setup). */
function node(script: string, timeout = 60_000) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout, cwd: ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}
const dist = (p: string) => JSON.stringify(pathToFileURL(resolve(ROOT, "dist", p)).href);
const probe = await probeAdapter();

describe("the webgpu backend in a real process", () => {
  it("importing the library, the engine and the webgpu module does not load Dawn", () => {
    const r = node(`
      import { createRequire } from "node:module";
      await import(${dist("index.js")});
      await import(${dist("engine/index.js")});
      await import(${dist("engine/backends/webgpu/index.js")});
      const cache = Object.keys(createRequire(import.meta.url).cache);
      process.stdout.write(JSON.stringify(cache.filter((k) => k.includes("dawn") || k.includes("webgpu"))));`);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it.skipIf(!probe.found)("exits promptly after training steps, with or without an explicit destroy()", () => {
    for (const destroy of [true, false]) {
      const r = node(`
        import { createWebGpuBackend } from ${dist("engine/backends/webgpu/index.js")};
        import { Tensor } from ${dist("engine/index.js")};
        const be = await createWebGpuBackend();
        const w = Tensor.param(new Float32Array(64).fill(0.1), [8, 8], "w", be);
        const x = Tensor.from(new Float32Array(40).fill(1), [5, 8], be);
        for (let i = 0; i < 20; i++) { w.grad = null; x.matmul(w).sigmoid().sum().backward(); w.axpyInPlace(w.grad, -0.1); }
        const v = await w.read();
        process.stdout.write(String(v[0]));
        ${destroy ? "be.destroy();" : ""}`);
      expect(r.code, r.stderr).toBe(0);
      expect(Number(r.stdout)).toBeLessThan(0.1);
      // Start-up (Dawn + lavapipe) takes ~1-3 s; a process held open by Dawn would hit the timeout.
      expect(r.ms).toBeLessThan(30_000);
    }
  }, 120_000);

  it("without an adapter or the package, says so as a DlError naming --device webgpu", async () => {
    // VK_ICD_FILENAMES pointing nowhere hides every Vulkan driver from Dawn.
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", `
      import { createWebGpuBackend } from ${dist("engine/backends/webgpu/index.js")};
      try { await createWebGpuBackend(); process.stdout.write("opened"); }
      catch (e) { process.stdout.write(e.name + ": " + e.message); }`], { encoding: "utf8", cwd: ROOT, timeout: 60_000, env: { ...process.env, VK_ICD_FILENAMES: "/nonexistent.json", VK_DRIVER_FILES: "/nonexistent.json" } });
    expect(r.stdout).toMatch(/^DlError: --device webgpu: no WebGPU adapter found \(.+\)$/);
  }, 60_000);
});
