import { describe, expect, it } from "vitest";
import { Rng } from "../../util/rng.js";
import { ShapeError } from "../../util/errors.js";
import { availableKernels, createNativeKernels, createWasmKernels, type CpuKernels } from "./index.js";
import { nativeIsas } from "./native-kernels.js";
import { loadWasmModule, unsharedMemoryImport } from "./wasm-kernels.js";

/**
 * Every kernel path against a float64 triple loop. Tolerance (per entry):
 *   |c - ref| <= (k + 2) * 2^-24 * (|alpha| * sum_p |a_ip||b_pj| + |beta * c_ij|)
 * the classical worst-case bound for a float32 dot product in any summation order, FMA or not.
 * A wrong index or a dropped term breaks it by orders of magnitude (one term is ~1/k of the sum).
 */

// Threaded variants with the threshold forced to 0, and 3 parts (more than this machine's
// cores) so the split leaves uneven and empty blocks.
function threadedKernels(): CpuKernels[] {
  const list: CpuKernels[] = [];
  for (const variant of ["relaxed", "simd128"] as const) {
    try {
      list.push(createWasmKernels({ variant, threads: 3, threadMinFlops: 0 }));
    } catch { /* not supported by this runtime: availableKernels() says so too */ }
  }
  try {
    for (const isa of nativeIsas()) list.push(createNativeKernels({ isa, threads: 3, threadMinFlops: 0 }));
  } catch { /* no addon */ }
  return list;
}

const PATHS: Array<[string, CpuKernels]> = [
  ...availableKernels().map((k): [string, CpuKernels] => [k.name, k]),
  ...threadedKernels().map((k): [string, CpuKernels] => [`${k.name} x${k.threads} threads`, k]),
];

interface Case {
  tA: boolean; tB: boolean; m: number; n: number; k: number; alpha: number; beta: number;
  padA?: number; padB?: number; padC?: number;
}

function randomArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

interface Prepared {
  lda: number; ldb: number; ldc: number; a: Float32Array; b: Float32Array; c: Float32Array;
  ref: Float64Array; bound: Float64Array;
}

// Operands and float64 answers are made once per case and shared by every path (the float64
// loops, not the kernels, are what take time here).
const prepared = new Map<string, Prepared>();

function prepare(cs: Case): Prepared {
  const key = JSON.stringify(cs);
  const hit = prepared.get(key);
  if (hit) return hit;
  const rng = new Rng(prepared.size + 1);
  const { tA, tB, m, n, k, alpha, beta } = cs;
  const lda = (tA ? m : k) + (cs.padA ?? 0), ldb = (tB ? k : n) + (cs.padB ?? 0), ldc = n + (cs.padC ?? 0);
  const a = randomArray(rng, Math.max(1, (tA ? k : m) * lda));
  const b = randomArray(rng, Math.max(1, (tB ? n : k) * ldb));
  const c = randomArray(rng, Math.max(1, m * ldc));
  // beta = 0 must not read C: poison it (a NaN would survive 0 * NaN)
  if (beta === 0) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * ldc + j] = NaN;
  const ref = new Float64Array(m * n), bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, mag = 0;
      for (let p = 0; p < k; p++) {
        const x = (tA ? a[p * lda + i] : a[i * lda + p]) * (tB ? b[j * ldb + p] : b[p * ldb + j]);
        s += x;
        mag += Math.abs(x);
      }
      const old = c[i * ldc + j];
      ref[i * n + j] = beta === 0 ? alpha * s : alpha * s + beta * old;
      bound[i * n + j] = (k + 2) * 2 ** -24 * (Math.abs(alpha) * mag + (beta === 0 ? 0 : Math.abs(beta * old))) + 1e-30;
    }
  }
  const p: Prepared = { lda, ldb, ldc, a, b, c, ref, bound };
  prepared.set(key, p);
  return p;
}

/** Runs one case on `kern` and returns the worst error / bound ratio (must be <= 1). */
function check(kern: CpuKernels, cs: Case): number {
  const { tA, tB, m, n, k, alpha, beta } = cs;
  const { lda, ldb, ldc, a, b, c: c0, ref, bound } = prepare(cs);
  const c = Float32Array.from(c0);
  kern.sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const got = c[i * ldc + j];
      if (!Number.isFinite(got)) return Infinity;
      worst = Math.max(worst, Math.abs(got - ref[i * n + j]) / bound[i * n + j]);
    }
    // the gap between rows (ldc > n) is not C's: it must come back untouched
    for (let j = n; j < ldc && i < m - 1; j++) if (!Object.is(c[i * ldc + j], c0[i * ldc + j])) return Infinity;
  }
  return worst;
}

const SIZES = [1, 5, 17, 193];
// The bench shapes scaled down, plus the shapes the GRBM tutorial runs every step.
const SHAPES: Array<[number, number, number]> = [
  [5, 400, 192], [5, 192, 400], [192, 400, 5], [25, 125, 98], [32, 64, 128], [128, 64, 64], [100, 50, 78],
];
// Past every cache block of every build (kc 256, mc up to 120, nc 2048, direct-B up to 24 rows).
const BLOCKING: Array<[number, number, number]> = [[7, 600, 40], [130, 300, 33], [3, 5, 2100], [26, 9, 50]];

describe.each(PATHS)("sgemm on %s", (_label, kern) => {
  it("matches float64 on all transposes, sizes 1/5/17/193 and alpha/beta", () => {
    let worst = 0;
    for (const tA of [false, true])
      for (const tB of [false, true])
        for (const m of SIZES)
          for (const n of SIZES)
            for (const k of [1, 17, 193]) {
              // vary alpha/beta and strides across the grid instead of multiplying the cases
              const v = (m + 2 * n + 3 * k) % 4;
              const alpha = [1, 0.7, -1.3, 1][v], beta = [0, 1, -0.4, 0][v];
              const cs: Case = { tA, tB, m, n, k, alpha, beta, padA: v, padB: (v + 1) % 3, padC: v % 2 * 3 };
              const r = check(kern, cs);
              if (!(r <= 1)) throw new Error(`${kern.name} ${JSON.stringify(cs)}: error ${r} x bound`);
              worst = Math.max(worst, r);
            }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("matches float64 on the bench and tutorial shapes and past every cache block (m, k, n)", () => {
    for (const [m, k, n] of [...SHAPES, ...BLOCKING])
      for (const tA of [false, true])
        for (const tB of [false, true]) {
          const cs: Case = { tA, tB, m, n, k, alpha: 1, beta: tA ? 1 : 0, padA: 1, padC: 2 };
          const r = check(kern, cs);
          if (!(r <= 1)) throw new Error(`${kern.name} ${JSON.stringify(cs)}: error ${r} x bound`);
        }
  });

  it("handles k = 0 and alpha = 0 as C = beta * C, and empty m or n", () => {
    const c = new Float32Array([NaN, 2, 3, 4]);
    kern.sgemm(false, false, 2, 2, 0, 1, new Float32Array(0), 0, new Float32Array(0), 2, 0, c, 2);
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
    const d = new Float32Array([1, 2, 3, 4]);
    kern.sgemm(false, false, 2, 2, 2, 0, new Float32Array([NaN, 1, 1, 1]), 2, new Float32Array(4), 2, 0.5, d, 2);
    expect(Array.from(d)).toEqual([0.5, 1, 1.5, 2]);
    kern.sgemm(false, false, 0, 3, 4, 1, new Float32Array(0), 4, new Float32Array(12), 3, 0, new Float32Array(0), 3);
  });

  it("rejects arrays too short for their shape with a ShapeError naming sgemm", () => {
    const c = new Float32Array(6);
    expect(() => kern.sgemm(false, false, 2, 3, 4, 1, new Float32Array(7), 4, new Float32Array(12), 3, 0, c, 3)).toThrow(ShapeError);
    expect(() => kern.sgemm(false, true, 2, 3, 4, 1, new Float32Array(8), 4, new Float32Array(12), 3, 0, c, 3)).toThrow(/sgemm.*B \(stored n x k\).*row stride 3 is less than its 4 columns/);
    expect(() => kern.sgemm(false, false, 2, 3, 4, 1, new Float32Array(8), 4, new Float32Array(12), 3, 0, new Float32Array(5), 3)).toThrow(/C \(2 x 3, row stride 3\) needs 6 floats but has 5/);
  });
});

describe("sgemm threading", () => {
  it("splits along n and along m with identical results to one thread", () => {
    const rng = new Rng(9);
    for (const [m, n, k] of [[300, 40, 70], [40, 300, 70], [7, 1000, 30]]) {
      const a = randomArray(rng, m * k), b = randomArray(rng, k * n);
      for (const multi of threadedKernels()) {
        const single = availableKernels().find((x) => x.name === multi.name)!;
        const c1 = new Float32Array(m * n), c2 = new Float32Array(m * n);
        single.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c1, n);
        multi.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c2, n);
        // Each block is the same serial code on a sub-problem, so results agree to the bit.
        expect(c2).toEqual(c1);
      }
    }
  });
});

describe("unsharedMemoryImport (the calling thread's private memory)", () => {
  // A module importing a function, a global and then a shared memory (flags 3: max + shared).
  const str = (t: string): number[] => [t.length, ...Buffer.from(t)];
  const section = (id: number, body: number[]): number[] => [id, body.length, ...body];
  const tiny = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 0]), // type 0: () -> ()
    ...section(2, [3, ...str("env"), ...str("f"), 0x00, 0, ...str("env"), ...str("g"), 0x03, 0x7f, 0x00,
      ...str("env"), ...str("memory"), 0x02, 0x03, 1, 2]),
  ]);

  it("clears the shared flag of the memory import only, past function and global imports", () => {
    const out = unsharedMemoryImport(tiny)!;
    const diff = [...out.keys()].filter((i) => out[i] !== tiny[i]);
    expect(diff).toEqual([tiny.length - 3]);
    expect(out[tiny.length - 3]).toBe(0x01);
    const imports = { env: { f() {}, g: new WebAssembly.Global({ value: "i32" }, 0), memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }) } };
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(tiny), imports)).toThrow(WebAssembly.LinkError);
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(out), imports)).not.toThrow();
    expect(unsharedMemoryImport(out)).toBeNull(); // nothing shared left to clear
  });

  it("gives builds of wasm/ that run over a private memory", () => {
    let ran = 0;
    for (const variant of ["relaxed", "simd128"] as const) {
      let mod: WebAssembly.Module;
      try {
        mod = loadWasmModule(variant, false);
      } catch {
        continue; // this runtime lacks the variant (availableKernels() says so too)
      }
      const memory = new WebAssembly.Memory({ initial: 64, maximum: 32768 });
      const ex = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as { dl_scratch_floats(): number };
      expect(ex.dl_scratch_floats()).toBeGreaterThan(0);
      ran++;
    }
    expect(ran).toBeGreaterThan(0);
  });
});
