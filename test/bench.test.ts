import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PLANNED } from "../src/bench/main.js";
import { ROOT } from "./helpers/cli.js";

const BENCH = resolve(ROOT, "bin/bench.js");
const bench = (args: string[]) => {
  const r = spawnSync(process.execPath, [BENCH, ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
// Debian's python3-torch (checked by path: importing torch takes seconds)
const hasTorch = existsSync("/usr/bin/python3") && existsSync("/usr/lib/python3/dist-packages/torch");

describe("npm run bench -- gemm", () => {
  it("--json prints one {kernel, m, k, n, threads, gflops} object per path and shape", () => {
    const r = bench(["gemm", "--json", "--quick", "--no-torch", "--shapes", "5x192x400,33x17x9"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(["kernel", "m", "k", "n", "threads", "gflops"]);
      expect(row.gflops).toBeGreaterThan(0);
    }
    const kernels = [...new Set(rows.map((x) => x.kernel))];
    expect(kernels).toContain("wasm-relaxed");
    expect(kernels).toContain("js");
    expect(rows.filter((x) => x.m === 33 && x.k === 17 && x.n === 9)).toHaveLength(kernels.length);
  });

  it.skipIf(!hasTorch)("measures PyTorch in the same run, right before our kernels on each shape, and prints our/their ratio", () => {
    const r = bench(["gemm", "--quick", "--kernels", "wasm-simd128", "--shapes", "64x64x64,32x32x32"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^m x k x n +kernel +threads +GFLOP\/s {2}vs PyTorch$/m);
    expect(r.stdout).toMatch(/^64 x 64 x 64 +pytorch +\d+ +\d+\.\d$/m);
    expect(r.stdout).toMatch(/^64 x 64 x 64 +wasm-simd128 +\d+ +\d+\.\d {2}\d+\.\d\dx$/m);
    const order = r.stdout.split("\n").slice(1).filter(Boolean).map((l) => l.replace(/ +\d+ +\d+\.\d.*$/, "").replace(/ +/g, " "));
    expect(order).toEqual(["64 x 64 x 64 pytorch", "64 x 64 x 64 wasm-simd128", "32 x 32 x 32 pytorch", "32 x 32 x 32 wasm-simd128"]);
    // PyTorch's BLAS is named once, not once per shape.
    expect(r.stderr.match(/^pytorch \S+: BLAS /gm)).toHaveLength(1);
  }, 120_000);

  it("names unknown benches, options and the benches still to come", () => {
    const unknown = bench(["gem"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^bench: error: unknown bench 'gem'\. Did you mean `gemm`\? Available: gemm(, \w+)*\n$/);
    // a bench still to be written says so (while there is one)
    for (const name of Object.keys(PLANNED).slice(0, 1)) {
      const planned = bench([name]);
      expect(planned.code).toBe(2);
      expect(planned.stderr).toBe(`bench: error: bench '${name}' is not written yet: ${PLANNED[name]}\n`);
    }
    expect(bench(["gemm", "--jsn"]).stderr).toMatch(/unknown option '--jsn'\. Did you mean `--json`\?/);
    expect(bench(["gemm", "--kernels", "native-avx1024"]).stderr).toMatch(/kernel path native-avx1024 is not available here \(available: .*js\)/);
  });
});

describe("npm run bench -- mlp", () => {
  it.skipIf(!hasTorch)("runs dl and the PyTorch twin on a slice, PyTorch with the thread counts --torch-threads gives", () => {
    const r = bench(["mlp", "--json", "--examples", "300", "--torch-threads", "1,2"]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows[0]).toMatchObject({ bench: "mlp", tool: "dl", examples: 300 });
    expect(rows[1]).toMatchObject({ bench: "mlp", tool: "pytorch", examples: 300, threads: 1, blasThreads: 2 });
    expect(rows[2]).toHaveProperty("speedup_vs_pytorch");
  }, 120_000);

  it("rejects a malformed --torch-threads", () => {
    const r = bench(["mlp", "--torch-threads", "2,x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--torch-threads takes N or N,B \(intra-op threads, OpenBLAS threads\), got '2,x'/);
  });
});
