import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BinaryOp, CompareOp, ReduceOp, UnaryOp } from "../backend.js";
import { ReferenceBackend } from "../backends/reference.js";
import { Rng } from "../../util/rng.js";
import { availableKernels } from "./index.js";
import { loadAddon } from "./native-kernels.js";
import { EW_BINARY, EW_MODE, EW_REDUCE, EW_UNARY, type ElementwiseKernels } from "./types.js";

/**
 * The native elementwise kernels (csrc/dl_elementwise.c) against the reference backend's
 * TypeScript loops: the results must be the same bits (NaN where NaN), so a value never depends
 * on which path ran. Inputs mix normal values with ties, ±0, ±Inf, NaN and denormals; sizes
 * 1, 5, 17 and 193 straight into the kernels (odd tails of every vector width), and larger ones
 * through a backend that uses the kernels above its size threshold.
 */
const ew0 = availableKernels().find((k) => k.elementwise)?.elementwise;
/** The addon picks its AVX2 build by CPUID; the baseline (SSE2) build is forced for a second run. */
const variants = ew0 ? ([["AVX2 where the CPU has it", ew0, false], ["the baseline build", ew0, true]] as const) : [];

/** Values with the awkward cases spread through them; `b` shares some values with `a` (ties). */
function values(n: number, seed: number, like?: Float32Array): Float32Array {
  const rng = new Rng(seed);
  const v = new Float32Array(n);
  rng.fillNormal(v);
  const special = [0, -0, Infinity, -Infinity, NaN, 1e-40, -1e-40, 3.4e38];
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    if (u < 0.12) v[i] = special[Math.floor(rng.uniform() * special.length)];
    else if (like && u < 0.25) v[i] = like[i % like.length];
    else if (u < 0.3) v[i] = Math.round(v[i]);
  }
  return v;
}

/** Element by element with Object.is, so NaN equals NaN and 0 differs from -0. */
function sameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect(`${what} [${i}]: ${got[i]}`).toBe(`${what} [${i}]: ${want[i]}`);
  }
}

const ODD = [1, 5, 17, 193];
const BINARY = Object.keys(EW_BINARY) as (BinaryOp | CompareOp)[];
const UNARY = Object.keys(EW_UNARY) as UnaryOp[];
const REDUCE = Object.keys(EW_REDUCE) as ReduceOp[];

describe.runIf(variants.length > 0).each(variants)("native elementwise kernels, %s", (_name, ew: ElementwiseKernels, base: boolean) => {
  beforeAll(() => loadAddon().ewForceBase?.(base));
  afterAll(() => loadAddon().ewForceBase?.(false));
  const ref = new ReferenceBackend("ref", Float32Array);
  const fast = new ReferenceBackend("fast", Float32Array);
  fast.setElementwiseKernels(ew);
  const f32 = (s: unknown) => s as Float32Array;

  it.each(BINARY)("binary %s: same shape, scalars, rows, columns", (op) => {
    const code = EW_BINARY[op];
    for (const d of ODD) {
      for (const rows of [1, 3]) {
        const n = rows * d;
        const a = values(n, n + 1);
        const b = values(n, n + 2, a);
        const out = new Float32Array(n);
        ew.binary(code, EW_MODE.same, a, b, out, rows, d);
        sameBits(out, f32(ref.binary(op, a, [rows, d], b, [rows, d], [rows, d])), `${op} same ${rows}x${d}`);
        for (const s of [a[0], NaN, -0, 2]) {
          const sc = Float32Array.of(s);
          ew.binary(code, EW_MODE.scalarB, a, sc, out, 1, n);
          sameBits(out, f32(ref.binary(op, a, [n], sc, [], [n])), `${op} scalar right ${s}`);
          ew.binary(code, EW_MODE.scalarA, sc, b, out, 1, n);
          sameBits(out, f32(ref.binary(op, sc, [], b, [n], [n])), `${op} scalar left ${s}`);
        }
        const row = values(d, d + 3, a);
        ew.binary(code, EW_MODE.row, a, row, out, rows, d);
        sameBits(out, f32(ref.binary(op, a, [rows, d], row, [d], [rows, d])), `${op} row ${rows}x${d}`);
        const col = values(rows, d + 4, a);
        ew.binary(code, EW_MODE.col, a, col, out, rows, d);
        sameBits(out, f32(ref.binary(op, a, [rows, d], col, [rows, 1], [rows, d])), `${op} column ${rows}x${d}`);
      }
    }
  });

  it.each([...BINARY, "pow"] as const)("the backend's %s through the kernels equals its loops at sizes over the threshold", (op) => {
    const cases: [number[], number[]][] = [
      [[7, 193], [7, 193]], [[50, 120], [50, 120]], [[7, 193], []], [[], [7, 193]], [[50, 120], [120]],
      [[40, 10], [40, 1]], [[2, 30, 9], [2, 30, 1]], [[2, 30, 9], [9]],
    ];
    for (const [as, bs] of cases) {
      const out = as.length >= bs.length ? as : bs;
      const a = values(as.reduce((x, y) => x * y, 1), 7);
      const b = values(bs.reduce((x, y) => x * y, 1), 8, a);
      sameBits(f32(fast.binary(op, a, as, b, bs, out)), f32(ref.binary(op, a, as, b, bs, out)), `${op} [${as}] [${bs}]`);
    }
  });

  it.each(UNARY)("unary %s", (op) => {
    for (const n of [...ODD, 1000, 5000]) {
      const x = values(n, n + 5);
      const out = new Float32Array(n);
      ew.unary(EW_UNARY[op], x, out, n);
      const want = f32(ref.unary(op, x, n));
      sameBits(out, want, `${op} n=${n}`);
      sameBits(f32(fast.unary(op, x, n)), want, `${op} via backend n=${n}`);
    }
  });

  it("where", () => {
    for (const n of [...ODD, 1000, 5000]) {
      const c = values(n, n + 6);
      const a = values(n, n + 7);
      const b = values(n, n + 8);
      const out = new Float32Array(n);
      ew.where(c, a, b, out, n);
      const want = f32(ref.where(c, [n], a, [n], b, [n], [n]));
      sameBits(out, want, `where n=${n}`);
      sameBits(f32(fast.where(c, [n], a, [n], b, [n], [n])), want, `where via backend n=${n}`);
    }
  });

  it.each(REDUCE)("reduce %s over leading, middle and trailing axes", (op) => {
    const cases: [number[], number[]][] = [
      [[193, 17], [0]], [[17, 193], [1]], [[5, 17, 193], [1]], [[5, 17, 193], [0, 1]], [[5, 17, 193], [1, 2]],
      [[1, 5], [0]], [[100, 500], [0]], [[100, 10], [1]],
    ];
    for (const [shape, axes] of cases) {
      const x = values(shape.reduce((p, q) => p * q, 1), shape.length * 31 + axes[0]);
      const want = f32(ref.reduce(op, x, shape, axes));
      sameBits(f32(fast.reduce(op, x, shape, axes)), want, `${op} [${shape}] axes [${axes}]`);
      // straight into the kernel, also below the backend's threshold
      let outer = 1, red = 1, inner = 1;
      shape.forEach((dim, i) => (i < axes[0] ? (outer *= dim) : i <= axes[axes.length - 1] ? (red *= dim) : (inner *= dim)));
      const out = new Float32Array(outer * inner);
      ew.reduce(EW_REDUCE[op], x, out, outer, red, inner);
      sameBits(out, want, `${op} kernel [${shape}] axes [${axes}]`);
    }
  });

  it("axpy computes in double and rounds once, like the loop (also in place onto itself)", () => {
    for (const n of [...ODD, 1000, 5000]) {
      for (const alpha of [-0.01 * 0.7, 1, -0.5, 1e-3]) {
        const x = values(n, n + 9);
        const y0 = values(n, n + 10);
        const want = Float32Array.from(y0);
        ref.axpyInPlace(want, x, alpha, n);
        const got = Float32Array.from(y0);
        ew.axpy(got, x, alpha, n);
        sameBits(got, want, `axpy n=${n} alpha=${alpha}`);
        const self = Float32Array.from(y0);
        const selfWant = Float32Array.from(y0);
        ew.axpy(self, self, alpha, n);
        ref.axpyInPlace(selfWant, selfWant, alpha, n);
        sameBits(self, selfWant, `axpy onto itself n=${n}`);
      }
    }
  });

  it.each([false, true])("momentum (nesterov %s) is the float32 formula with every operation rounded, native and TypeScript", (nesterov) => {
    const f = Math.fround;
    for (const n of [...ODD, 1000, 5000]) {
      const m = 0.55;
      const lr = 0.01 * 0.3;
      const g = values(n, n + 11);
      const p0 = values(n, n + 12);
      const v0 = values(n, n + 13);
      // v = m v - lr g; p = p + v (Nesterov: p = (p + m v) - lr g), in float32 with m and lr rounded to float32
      const p = Float32Array.from(p0), v = Float32Array.from(v0);
      for (let i = 0; i < n; i++) {
        v[i] = f(f(f(m) * v[i]) - f(f(lr) * g[i]));
        p[i] = nesterov ? f(f(p[i] + f(f(m) * v[i])) - f(f(lr) * g[i])) : f(p[i] + v[i]);
      }
      const pk = Float32Array.from(p0), vk = Float32Array.from(v0);
      ew.momentum(pk, vk, g, n, m, lr, nesterov);
      sameBits(vk, v, `momentum kernel v n=${n}`);
      sameBits(pk, p, `momentum kernel p n=${n}`);
      const pj = Float32Array.from(p0), vj = Float32Array.from(v0);
      ref.momentumInPlace(pj, vj, g, n, m, lr, nesterov);
      sameBits(vj, v, `momentum loop v n=${n}`);
      sameBits(pj, p, `momentum loop p n=${n}`);
      const pb = Float32Array.from(p0), vb = Float32Array.from(v0);
      fast.momentumInPlace(pb, vb, g, n, m, lr, nesterov);
      sameBits(pb, p, `momentum via backend p n=${n}`);
    }
  });

  it("rejects arrays shorter than the shape instead of reading past them", () => {
    const a = new Float32Array(10);
    expect(() => ew.binary(EW_BINARY.add, EW_MODE.same, a, new Float32Array(9), new Float32Array(10), 1, 10)).toThrow(/too short/);
    expect(() => ew.unary(EW_UNARY.relu, a, new Float32Array(9), 10)).toThrow(/too short/);
    expect(() => ew.reduce(EW_REDUCE.sum, a, new Float32Array(1), 2, 5, 1)).toThrow(/too short/);
    expect(() => ew.momentum(a, a, new Float32Array(10), 10, 0.5, 0.1, false)).toThrow(/distinct/);
  });
});

describe("float64 reference backend", () => {
  it("momentum in one pass is the formula in float64", () => {
    const b = new ReferenceBackend("f64", Float64Array);
    const n = 37;
    const rng = new Rng(3);
    const g = rng.fillNormal(new Float64Array(n));
    const p0 = rng.fillNormal(new Float64Array(n));
    const v0 = rng.fillNormal(new Float64Array(n));
    for (const nesterov of [false, true]) {
      const p = Float64Array.from(p0), v = Float64Array.from(v0);
      for (let i = 0; i < n; i++) {
        v[i] = 0.9 * v[i] - 0.05 * g[i];
        p[i] = nesterov ? p[i] + 0.9 * v[i] - 0.05 * g[i] : p[i] + v[i];
      }
      const pj = Float64Array.from(p0), vj = Float64Array.from(v0);
      b.momentumInPlace(pj, vj, g, n, 0.9, 0.05, nesterov);
      sameBits(vj, v, "v");
      sameBits(pj, p, "p");
    }
  });
});
