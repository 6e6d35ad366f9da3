import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../util/errors.js";
import { availableKernels, getCpuKernels, selectKernels, threadCount } from "./index.js";
import { loadAddon } from "./native-kernels.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const names = availableKernels().map((k) => k.name);
const hasNative = names.some((n) => n.startsWith("native"));

describe("kernel selection", () => {
  it("lists every path, fastest first, always ending with js", () => {
    expect(names[names.length - 1]).toBe("js");
    const order = ["native-avx512", "native-avx2", "native-generic", "wasm-relaxed", "wasm-simd128", "js"];
    expect([...names].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual(names);
    // Node 20 runs both WebAssembly builds (relaxed SIMD behind a flag this module sets)
    expect(names).toContain("wasm-relaxed");
    expect(names).toContain("wasm-simd128");
  });

  it("picks the first available path by default and says why", () => {
    const k = selectKernels({});
    expect(k.name).toBe(names[0]);
    expect(k.why.length).toBeGreaterThan(10);
    expect(k.threads).toBe(availableParallelism());
    expect(getCpuKernels()).toBe(getCpuKernels()); // cached
  });

  it("obeys DL_KERNELS for a path or a family", () => {
    expect(selectKernels({ DL_KERNELS: "js" }).name).toBe("js");
    expect(selectKernels({ DL_KERNELS: "wasm" }).name).toBe("wasm-relaxed");
    const simd = selectKernels({ DL_KERNELS: "wasm-simd128" });
    expect(simd.name).toBe("wasm-simd128");
    expect(simd.why).toBe("DL_KERNELS=wasm-simd128");
    if (hasNative) expect(selectKernels({ DL_KERNELS: "native" }).name).toBe(names[0]);
  });

  it("falls back from an unavailable forced path with the reason in `why`", () => {
    const dir = mkdtempSync(join(tmpdir(), "dl-addon-"));
    try {
      const garbage = join(dir, "garbage.node");
      writeFileSync(garbage, "not a shared object");
      const k = selectKernels({ DL_KERNELS: "native", DL_NATIVE_ADDON: garbage });
      expect(k.name).toBe("wasm-relaxed");
      expect(k.why).toMatch(/^DL_KERNELS=native unavailable \(native addon failed to load: .*\); using wasm-relaxed$/);
      const wrong = selectKernels({ DL_NATIVE_ADDON: join(ROOT, "package.json") });
      expect(wrong.why).toMatch(/package.json lacks sgemm, .* \(not the dl kernels addon\?\); using wasm-relaxed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const missing = selectKernels({ DL_NATIVE_ADDON: "/nonexistent/dl_native.node" });
    expect(missing.name).toBe("wasm-relaxed");
    expect(missing.why).toMatch(/native addon \/nonexistent\/dl_native.node not found; using wasm-relaxed/);
  });

  it("rejects unknown DL_KERNELS and bad DL_THREADS with usage errors", () => {
    expect(() => selectKernels({ DL_KERNELS: "wasm-simd" })).toThrow(UsageError);
    expect(() => selectKernels({ DL_KERNELS: "wasm-simd" })).toThrow(/did you mean `wasm-simd128`/i);
    expect(() => threadCount({ DL_THREADS: "0" })).toThrow(/DL_THREADS must be a whole number from 1 to 256, got '0'/);
    expect(() => threadCount({ DL_THREADS: "two" })).toThrow(UsageError);
    expect(threadCount({ DL_THREADS: "3" })).toBe(3);
    expect(selectKernels({ DL_KERNELS: "wasm", DL_THREADS: "3" }).threads).toBe(3);
  });

  it.runIf(hasNative)("native addon rejects what the JS checks would (defence in depth)", () => {
    const addon = loadAddon();
    expect(() => addon.sgemm(0, false, false, 2, 2, 2, 1, new Float32Array(3), 2, new Float32Array(4), 2, 0, new Float32Array(4), 2, 1)).toThrow(/too short/);
    expect(() => addon.sgemm(9, false, false, 1, 1, 1, 1, new Float32Array(1), 1, new Float32Array(1), 1, 0, new Float32Array(1), 1, 1)).toThrow(/not supported/);
    expect(() => addon.biasAct(1, new Float64Array(4) as unknown as Float32Array, null, 2, 2, new Float32Array(4))).toThrow(/Float32Array/);
  });
});

describe("worker threads", () => {
  it("leave no handle that keeps the process alive, and the process exits promptly", () => {
    // A child process runs a threaded GEMM on every threaded path through dist/ (built by the
    // test setup) and then simply ends: unref'd workers sleeping in Atomics.wait must not hold it.
    const dir = mkdtempSync(join(tmpdir(), "dl-kernels-"));
    try {
      const script = join(dir, "run.mjs");
      writeFileSync(script, `
        import { createWasmKernels, createNativeKernels, availableKernels } from ${JSON.stringify(join(ROOT, "dist/engine/kernels/index.js"))};
        const paths = [createWasmKernels({ variant: "relaxed", threads: 2, threadMinFlops: 0 }),
                       createWasmKernels({ variant: "simd128", threads: 2, threadMinFlops: 0 })];
        if (availableKernels()[0].name.startsWith("native")) paths.push(createNativeKernels({ isa: "generic", threads: 2, threadMinFlops: 0 }));
        const n = 96, a = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
        for (const k of paths) { c.fill(0); k.sgemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n); if (c[n * n - 1] !== n) throw new Error(k.name); }
        const held = process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap");
        console.log(JSON.stringify({ ok: paths.length, held }));
      `);
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 30_000 });
      const seconds = (Date.now() - t0) / 1000;
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as { ok: number; held: string[] };
      expect(out.ok).toBeGreaterThanOrEqual(2);
      expect(out.held.filter((h) => /worker/i.test(h))).toEqual([]);
      expect(seconds).toBeLessThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
