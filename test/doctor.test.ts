import { describe, expect, it } from "vitest";
import { runDl } from "./helpers/cli.js";

describe("dl doctor", () => {
  it("reports Node, the active kernels with the reason, a passing self-test and the threads", () => {
    const t0 = Date.now();
    const r = runDl(["doctor"]);
    // the threaded self-test leaves sleeping workers; they must not hold the process open
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}node +v\d+\.\d+\.\d+ \(V8 /m);
    expect(r.stdout).toMatch(/^ {6}kernels +(native-(avx512|avx2|generic)|wasm-relaxed|wasm-simd128|js): \S.+$/m);
    expect(r.stdout).toMatch(/^ok {4}self-test +\S+ GEMM \(threaded\) and sigmoid agree with float64$/m);
    expect(r.stdout).toMatch(/^ {6}threads +\d+ \(all cores; DL_THREADS sets it\)$/m);
    expect(r.stdout).toMatch(/^ {6}available +.*wasm-relaxed, wasm-simd128, js$/m);
  });

  it("follows DL_KERNELS and DL_THREADS, and --json gives the rows", () => {
    const r = runDl(["doctor", "--json"], { env: { DL_KERNELS: "wasm-simd128", DL_THREADS: "2" } });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ label: string; value: string; ok: boolean | null }>;
    const row = (label: string) => rows.find((x) => x.label === label);
    expect(row("kernels")?.value).toBe("wasm-simd128: DL_KERNELS=wasm-simd128");
    expect(row("self-test")?.ok).toBe(true);
    expect(row("threads")?.value).toBe("2 (from DL_THREADS)");
  });

  it("shows a bad DL_KERNELS as a failed check with a suggestion, exit code 1", () => {
    const r = runDl(["doctor"], { env: { DL_KERNELS: "wasm-relaxd" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}kernels +DL_KERNELS='wasm-relaxd' is not a kernel path\. Did you mean `wasm-relaxed`\?/m);
  });
});
