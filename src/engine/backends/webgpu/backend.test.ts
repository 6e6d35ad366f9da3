import { afterAll, describe, expect, it } from "vitest";
import type { BinaryOp, CompareOp, Conv2dGeometry, ReduceOp, Storage, UnaryOp } from "../../backend.js";
import { cpuBackend, float64Backend } from "../reference.js";
import { broadcastShapes, sizeOf } from "../../shape.js";
import { convGeometry, Tensor } from "../../tensor.js";
import { Rng } from "../../../util/rng.js";
import { DlError } from "../../../util/errors.js";
import type { WebGpuBackend } from "./index.js";
import { openTestGpu } from "../../../../test/helpers/webgpu.js";
import { GEMM_TILES } from "./wgsl/matmul.js";

/**
 * The op suite on the WebGPU backend: every Backend method against the float32 reference backend
 * (or float64 where rounding order differs), on random shapes with odd sizes. Runs wherever Dawn
 * finds an adapter (CI: Mesa's lavapipe); otherwise every test is skipped and the reason printed.
 *
 * Tolerances: data movement, comparisons, argmax, pooling selection and the gather-style
 * backward kernels are exact (same arithmetic in the same order). Transcendentals: 4e-6 relative
 * plus 1e-7 absolute (GPU exp/log are a few ulps off). Sums and products: the float32 error
 * bound (terms + 2) * 2^-24 * sum |terms| against float64.
 */
const { gpu, why } = await openTestGpu("webgpu backend tests");
afterAll(() => gpu?.destroy());

const rng = new Rng(20240611);
const rand = (n: number, lo = -2, hi = 2): Float32Array => rng.fillUniform(new Float32Array(n), lo, hi) as Float32Array;
const G = (): WebGpuBackend => gpu as WebGpuBackend;
const up = (v: ArrayLike<number>): Storage => G().fromArray(v);
const down = (s: Storage, n: number): Promise<Float32Array> => G().read(s, n) as Promise<Float32Array>;
const ref = (s: Storage): Float32Array => s as Float32Array;

function expectExact(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(got[i] === want[i])) {
      expect.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
    }
  }
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol: number, atol: number | ArrayLike<number>): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= rtol * Math.abs(w) + (typeof atol === "number" ? atol : atol[i])) continue;
    expect.fail(`${what}: element ${i} is ${g}, expected ${w}`);
  }
}

describe.skipIf(!gpu)(`webgpu backend${why ? ` (skipped: ${why})` : ""}`, () => {
  it("uploads, fills, copies and reads back; readSync says to await", async () => {
    const v = rand(1000);
    expectExact(await down(up(v), 1000), v, "fromArray");
    expectExact(await down(G().copy(up(v), 1000), 1000), v, "copy");
    expectExact(await down(G().full(17, -2.5), 17), new Float32Array(17).fill(-2.5), "full");
    expectExact(await down(G().fromArray([]), 0), [], "empty");
    expect(() => G().readSync()).toThrow(DlError);
    expect(() => G().readSync()).toThrow(/await tensor\.read\(\)/);
  });

  it("unary ops match the reference, special values included", async () => {
    const special = [0, -0, 1e-8, -1e-8, 1e-3, -0.5, 0.5, 1, -1, 3, -3, 10, -10, 20, -20, 50, -50, 88, -88, 100, -100, 1e30, -1e30, Infinity, -Infinity, NaN];
    const x = Float32Array.from([...special, ...rand(1000, -30, 30), ...rand(300, -1e-3, 1e-3)]);
    const ops: UnaryOp[] = ["neg", "exp", "log", "log1p", "sqrt", "square", "abs", "tanh", "sigmoid", "softplus", "relu", "sign", "step"];
    const exact = new Set<UnaryOp>(["neg", "square", "abs", "relu", "sign", "step", "sqrt"]);
    for (const op of ops) {
      const want = ref(cpuBackend.unary(op, x, x.length));
      const got = await down(G().unary(op, up(x), x.length), x.length);
      if (exact.has(op)) expectClose(got, want, op, 2 ** -23, 0);
      else expectClose(got, want, op, 4e-6, 1e-7);
    }
  });

  const shapePairs: Array<[number[], number[]]> = [
    [[193], [193]], [[17], []], [[], [6]], [[5, 1, 3], [4, 1]], [[2, 3, 4], [2, 3, 4]], [[193, 5], [5]],
    [[1, 7], [6, 1]], [[3, 1, 5, 1], [1, 4, 1, 2]], [[2, 1, 2, 1, 2, 1, 2, 1], [1, 2, 1, 2, 1, 2, 1, 2]],
  ];

  it("binary and compare ops broadcast like the reference", async () => {
    const ops: Array<BinaryOp | CompareOp> = ["add", "sub", "mul", "div", "maximum", "minimum", "gt", "ge", "lt", "le", "eq", "ne"];
    for (const [as, bs] of shapePairs) {
      const out = broadcastShapes("test", as, bs);
      const a = rand(sizeOf(as));
      const b = rand(sizeOf(bs));
      // Some equal pairs and NaNs so eq/ne and NaN propagation are exercised.
      if (a.length > 2 && b.length > 2) { a[0] = b[0]; a[1] = NaN; b[2] = NaN; }
      for (const op of ops) {
        const want = ref(cpuBackend.binary(op, a, as, b, bs, out));
        const got = await down(G().binary(op, up(a), as, up(b), bs, out), sizeOf(out));
        if (op === "div") expectClose(got, want, `${op} ${as}|${bs}`, 3e-7, 0);
        else expectExact(got, want, `${op} ${as}|${bs}`);
      }
    }
  });

  it("says which op and shape when a broadcast needs more than 8 unmergeable dims", () => {
    const as = [2, 1, 2, 1, 2, 1, 2, 1, 2];
    const bs = [1, 2, 1, 2, 1, 2, 1, 2, 1];
    const out = broadcastShapes("t", as, bs);
    expect(() => G().binary("add", up(rand(16)), as, up(rand(16)), bs, out)).toThrow(/binary add: \[2, 2, 2, 2, 2, 2, 2, 2, 2\] has more than 8/);
  });

  it("pow follows Math.pow for negative bases, zeros and integer exponents", async () => {
    const a = Float32Array.from([-2, -2, -2, -1.5, 0, 0, 0, 2, 3, 0.5, -0.5, 1, NaN, 4, -3, 1e-3]);
    const b = Float32Array.from([2, 3, 0.5, -2, 0, 2, -1, 0.5, -1.5, 10, 3, NaN, 0, 2.5, 7, 1.2]);
    const want = ref(cpuBackend.binary("pow", a, [16], b, [16], [16]));
    expectClose(await down(G().binary("pow", up(a), [16], up(b), [16], [16]), 16), want, "pow", 4e-6, 0);
  });

  it("where broadcasts condition and both branches", async () => {
    const cases: Array<[number[], number[], number[]]> = [[[7], [7], [7]], [[4, 1], [1, 5], []], [[3, 1, 2], [2], [5, 3, 1, 1]]];
    for (const [cs, as, bs] of cases) {
      const out = broadcastShapes("t", broadcastShapes("t", cs, as), bs);
      const c = Float32Array.from(rand(sizeOf(cs)), (v) => (v > 0 ? 1 : 0));
      const a = rand(sizeOf(as));
      const b = rand(sizeOf(bs));
      const want = ref(cpuBackend.where(c, cs, a, as, b, bs, out));
      expectExact(await down(G().where(up(c), cs, up(a), as, up(b), bs, out), sizeOf(out)), want, `where ${cs}|${as}|${bs}`);
    }
  });

  it("reductions over every axis subset, short and long, with NaN propagation", async () => {
    const shapes: number[][] = [[5, 17, 3], [193, 37], [3, 1000], [2000], [1, 5, 1, 7]];
    for (const shape of shapes) {
      const x = rand(sizeOf(shape));
      const r = shape.length;
      for (let mask = 1; mask < 1 << r; mask++) {
        const axes = [...Array(r).keys()].filter((i) => mask & (1 << i));
        for (const op of ["sum", "max", "min"] as ReduceOp[]) {
          const want = ref(float64Backend.reduce(op, Float64Array.from(x), shape, axes));
          const got = await down(G().reduce(op, up(x), shape, axes), want.length);
          if (op === "sum") {
            const terms = sizeOf(shape) / want.length;
            const mag = ref(float64Backend.reduce("sum", Float64Array.from(x, Math.abs), shape, axes));
            expectClose(got, want, `sum ${shape} over ${axes}`, 0, Array.from(mag, (m) => (terms + 2) * 2 ** -24 * m));
          } else expectExact(got, Float32Array.from(want), `${op} ${shape} over ${axes}`);
        }
      }
    }
    const withNaN = rand(600);
    withNaN[437] = NaN;
    for (const op of ["max", "min"] as ReduceOp[]) {
      expect(Number.isNaN((await down(G().reduce(op, up(withNaN), [600], [0]), 1))[0]), `${op} of a NaN`).toBe(true);
      const rows = await down(G().reduce(op, up(withNaN), [6, 100], [1]), 6);
      expect(rows.map((v) => (Number.isNaN(v) ? 1 : 0))).toEqual(Float32Array.from([0, 0, 0, 0, 1, 0]));
    }
  });

  it("logSoftmax and its adjoint, row by row: short and long rows, more rows than one grid dimension, NaN kept to its row", async () => {
    for (const [rows, cols] of [[5, 4], [100, 10], [3, 1], [7, 200], [70000, 2]]) {
      const n = rows * cols;
      const x = rand(n, -30, 30);
      if (rows === 7) x[3 * cols + 150] = NaN;
      const g = rand(n);
      const want = ref(float64Backend.logSoftmax(Float64Array.from(x), rows, cols));
      const y = G().logSoftmax(up(x), rows, cols);
      // exp, the row sum and log each round in float32; their error grows with the row length.
      expectClose(await down(y, n), want, `logSoftmax ${rows}x${cols}`, 2 ** -22, (cols + 16) * 2 ** -22);
      if (rows === 7) expect(Array.from(await down(y, n), Number.isNaN).filter(Boolean).length).toBe(cols);
      const wantDx = ref(float64Backend.logSoftmaxBackward(Float64Array.from(await down(y, n)), Float64Array.from(g), rows, cols));
      const gAbsRowSum = (i: number) => { let s = 0; for (let j = 0; j < cols; j++) s += Math.abs(g[Math.floor(i / cols) * cols + j]); return s; };
      const dx = await down(G().logSoftmaxBackward(y, up(g), rows, cols), n);
      expectClose(dx, wantDx, `logSoftmax backward ${rows}x${cols}`, 2 ** -22, Array.from({ length: n }, (_, i) => (cols + 16) * 2 ** -22 * gAbsRowSum(i)));
    }
  });

  it("argmax picks the first maximum along any axis", async () => {
    const shape = [5, 17, 3];
    const x = Float32Array.from(rand(sizeOf(shape)), (v) => Math.round(v * 2)); // many ties
    for (let axis = 0; axis < 3; axis++) {
      const want = ref(cpuBackend.argmax(x, shape, axis));
      expectExact(await down(G().argmax(up(x), shape, axis), want.length), want, `argmax axis ${axis}`);
    }
  });

  async function checkMatmul(batch: number, m: number, n: number, k: number, tA: boolean, tB: boolean, sharedB: boolean, tile?: keyof typeof GEMM_TILES): Promise<void> {
    const a = rand(batch * m * k);
    const b = rand((sharedB ? 1 : batch) * k * n);
    const bStride = sharedB ? 0 : k * n;
    const want = ref(float64Backend.matmul(Float64Array.from(a), Float64Array.from(b), batch, m, n, k, tA, tB, m * k, bStride));
    const mag = ref(float64Backend.matmul(Float64Array.from(a, Math.abs), Float64Array.from(b, Math.abs), batch, m, n, k, tA, tB, m * k, bStride));
    const out = tile
      ? G().matmulWith(GEMM_TILES[tile], up(a), up(b), batch, m, n, k, tA, tB, m * k, bStride)
      : G().matmul(up(a), up(b), batch, m, n, k, tA, tB, m * k, bStride);
    const got = await down(out, batch * m * n);
    expectClose(got, want, `matmul b${batch} ${m}x${k}x${n} ${tA ? "T" : "N"}${tB ? "T" : "N"} ${tile ?? "auto"}`, 0,
      Array.from(mag, (v) => (k + 2) * 2 ** -24 * v));
  }

  it("matmul: every transpose, odd sizes, batches with shared and strided operands, every tile", async () => {
    for (const [m, n, k] of [[1, 1, 1], [5, 17, 193], [17, 5, 1], [193, 37, 65], [5, 400, 192]]) {
      for (const tA of [false, true]) for (const tB of [false, true]) await checkMatmul(1, m, n, k, tA, tB, false);
    }
    await checkMatmul(3, 17, 9, 33, false, true, false);
    await checkMatmul(3, 17, 9, 33, true, false, true);
    for (const tile of Object.keys(GEMM_TILES) as Array<keyof typeof GEMM_TILES>) {
      if ("vec4" in GEMM_TILES[tile]) continue;
      await checkMatmul(2, 131, 133, 45, false, false, false, tile);
      await checkMatmul(1, 9, 130, 17, true, true, false, tile);
    }
    expectExact(await down(G().matmul(up([]), up([]), 1, 2, 3, 0, false, false, 0, 0), 6), new Float32Array(6), "k = 0");
  });

  it("matmul, vec4 tiles: every transpose, ragged edges in m, n and k, batch strides, grouped tile walks; auto picks them; others refused", async () => {
    // 132 x 136 spills past every tile in m and n; k = 44 ends inside a 16-deep slice and past an 8-deep one.
    for (const tile of Object.keys(GEMM_TILES) as Array<keyof typeof GEMM_TILES>) {
      if (!("vec4" in GEMM_TILES[tile])) continue;
      await checkMatmul(2, 132, 136, 44, false, false, false, tile);
      for (const [tA, tB] of [[true, false], [false, true], [true, true]]) await checkMatmul(1, 12, 132, 20, tA, tB, false, tile);
      await checkMatmul(3, 8, 4, 4, true, false, true, tile);
      // 10 tile rows: a whole group of 8 and a short last one, for the tiles that walk C in groups.
      await checkMatmul(1, 9 * GEMM_TILES[tile].BM + 4, 136, 8, false, false, false, tile);
    }
    const picked: string[] = [];
    const gpu = G();
    const matmulWith = gpu.matmulWith;
    gpu.matmulWith = function (tile, ...rest) {
      picked.push(tile.name);
      return matmulWith.call(this, tile, ...rest);
    };
    try {
      await checkMatmul(1, 132, 136, 44, false, true, false); // 132 x 136 >= 128^2, all multiples of 4
      await checkMatmul(1, 132, 136, 45, false, true, false); // k = 45: B's rows are not whole vec4s
    } finally {
      gpu.matmulWith = matmulWith;
    }
    expect(picked.map((t) => "vec4" in GEMM_TILES[t as keyof typeof GEMM_TILES])).toEqual([true, false]);
    expect(() => G().matmulWith(GEMM_TILES.v4_64x64x16, up(rand(6)), up(rand(6)), 1, 2, 2, 3, false, false, 0, 0)).toThrow(/needs whole vec4 rows/);
  });

  it("broadcastTo repeats values along size-1 and missing leading axes, exactly, -0 kept", async () => {
    for (const [shape, out] of [[[3, 1], [3, 5]], [[4], [2, 3, 4]], [[2, 1, 3], [2, 4, 3]], [[1, 1], [6, 7]], [[5], [5]]] as const) {
      const x = rand(sizeOf(shape));
      const want = ref(cpuBackend.binary("add", x, shape, Float32Array.of(0), [], out)); // x + 0, broadcast
      expectExact(await down(G().broadcastTo(up(x), shape, out), want.length), want, `broadcastTo ${shape} -> ${out}`);
    }
    const signed = await down(G().broadcastTo(up([-0, 2]), [2, 1], [2, 2]), 4);
    expect([...signed].map((v) => Object.is(v, -0))).toEqual([true, true, false, false]); // x + 0 would give +0
    expect([...signed]).toEqual([-0, -0, 2, 2]);
  });

  it("permute, slice and pad move data exactly", async () => {
    const shape = [2, 3, 5, 7];
    const x = rand(sizeOf(shape));
    for (const perm of [[3, 2, 1, 0], [0, 2, 1, 3], [1, 0, 3, 2], [2, 3, 0, 1]]) {
      expectExact(await down(G().permute(up(x), shape, perm), x.length), ref(cpuBackend.permute(x, shape, perm)), `permute ${perm}`);
    }
    const t = rand(193 * 17);
    expectExact(await down(G().permute(up(t), [193, 17], [1, 0]), t.length), ref(cpuBackend.permute(t, [193, 17], [1, 0])), "transpose");
    const starts = [1, 0, 2, 3];
    const outShape = [1, 3, 2, 4];
    const sliced = ref(cpuBackend.slice(x, shape, starts, outShape));
    expectExact(await down(G().slice(up(x), shape, starts, outShape), sliced.length), sliced, "slice");
    const padded = ref(cpuBackend.pad(sliced, outShape, starts, shape));
    expectExact(await down(G().pad(up(sliced), outShape, starts, shape), x.length), padded, "pad");
    // Pad (one pass) beyond the rank limit when size-1 dims are dropped, of an empty input, and a
    // concat (built from pads) along a middle axis; the pooled output buffer holds old values.
    const inner = rand(6);
    const deep = [1, 1, 1, 2, 1, 1, 1, 3, 1, 1];
    const deepOut = [1, 1, 1, 4, 1, 1, 1, 5, 1, 1];
    const deepStarts = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0];
    expectExact(await down(G().pad(up(inner), deep, deepStarts, deepOut), 20), ref(cpuBackend.pad(inner, deep, deepStarts, deepOut)), "pad, rank 10");
    G().full(64, 7);
    expectExact(await down(G().pad(up([]), [0, 3], [1, 0], [2, 3]), 6), new Float32Array(6), "pad of an empty input");
    const a = rand(2 * 3 * 4);
    const b = rand(2 * 5 * 4);
    const cat = Tensor.concat([Tensor.from(a, [2, 3, 4], G()), Tensor.from(b, [2, 5, 4], G())], 1);
    const want = Tensor.concat([Tensor.from(a, [2, 3, 4], cpuBackend), Tensor.from(b, [2, 5, 4], cpuBackend)], 1);
    expectExact(await cat.read(), want.toArray(), "concat");
  });

  it("gather, scatterAdd (repeated indices) and oneHot", async () => {
    const shape = [7, 5, 3];
    const x = rand(sizeOf(shape));
    const idx = Int32Array.from([4, 0, 4, 2, 4, 1]);
    for (const axis of [0, 1]) {
      const out = [...shape];
      out[axis] = idx.length;
      expectExact(await down(G().gather(up(x), shape, axis, idx), sizeOf(out)), ref(cpuBackend.gather(x, shape, axis, idx)), `gather axis ${axis}`);
      const g = rand(sizeOf(out));
      const want = ref(cpuBackend.scatterAdd(g, out, axis, idx, shape));
      expectExact(await down(G().scatterAdd(up(g), out, axis, idx, shape), x.length), want, `scatterAdd axis ${axis}`);
    }
    const labels = Int32Array.from([3, 0, 9, 9, 1]);
    expectExact(await down(G().oneHot(labels, 10), 50), ref(cpuBackend.oneHot(labels, 10)), "oneHot");
  });

  const geometries: Array<[number[], number, number, [number, number], [number, number]]> = [
    [[2, 3, 7, 9], 3, 3, [1, 1], [0, 0]],
    [[1, 2, 8, 8], 3, 2, [2, 3], [1, 1]],
    [[3, 1, 5, 6], 2, 2, [2, 2], [0, 0]],
    [[2, 2, 6, 5], 3, 3, [2, 1], [1, 2]],
  ];

  it("im2col and col2im match the reference layouts", async () => {
    for (const [shape, kh, kw, s, p] of geometries) {
      const g: Conv2dGeometry = convGeometry("test", shape, kh, kw, s, p);
      const x = rand(sizeOf(shape));
      const cols = ref(cpuBackend.im2col(x, g));
      expectExact(await down(G().im2col(up(x), g), cols.length), cols, `im2col ${shape} k${kh}x${kw} s${s} p${p}`);
      const c = rand(cols.length);
      const want = ref(float64Backend.col2im(Float64Array.from(c), g));
      // A sum of at most kh * kw overlapping patch values: the float32 error bound against float64.
      const mag = ref(float64Backend.col2im(Float64Array.from(c, Math.abs), g));
      expectClose(await down(G().col2im(up(c), g), x.length), want, `col2im ${shape}`, 0, Array.from(mag, (v) => (kh * kw + 2) * 2 ** -24 * v));
    }
  });

  it("max and average pooling, forward and backward, overlapping windows and ties", async () => {
    for (const [shape, kh, kw, s, p] of geometries) {
      const g = convGeometry("test", shape, kh, kw, s, p);
      for (const x of [rand(sizeOf(shape)), new Float32Array(sizeOf(shape)).fill(1)]) {
        const nOut = g.N * g.C * g.oh * g.ow;
        const cpu = cpuBackend.maxPool2d(x, g);
        const gpuPool = G().maxPool2d(up(x), g);
        expectExact(await down(gpuPool.out, nOut), ref(cpu.out), `maxPool ${shape}`);
        const gy = rand(nOut);
        const wantDx = ref(cpuBackend.maxPool2dBackward(gy, cpu.argmax, x.length));
        expectExact(await down(G().maxPool2dBackward(up(gy), gpuPool.argmax, x.length), x.length), wantDx, `maxPool backward ${shape}`);
        expectClose(await down(G().avgPool2d(up(x), g), nOut), ref(cpuBackend.avgPool2d(x, g)), `avgPool ${shape}`, 3e-7, 1e-7);
        expectClose(await down(G().avgPool2dBackward(up(gy), g), x.length), ref(cpuBackend.avgPool2dBackward(gy, g)), `avgPool backward ${shape}`, 3e-7, 1e-7);
      }
    }
  });

  it("axpy and assign update in place", async () => {
    const y = rand(301);
    const x = rand(301);
    const ys = up(y);
    G().axpyInPlace(ys, up(x), -0.37, 301);
    const want = Float32Array.from(y, (v, i) => v + -0.37 * x[i]);
    expectClose(await down(ys, 301), want, "axpy", 2 ** -23, 1e-7);
    G().assignInPlace(ys, up(x), 301);
    expectExact(await down(ys, 301), x, "assign");
  });

  it("momentum updates parameter and velocity in one pass like the CPU's, with and without Nesterov", async () => {
    for (const nesterov of [false, true]) {
      const n = 1001;
      const [p, v] = [rand(n), rand(n)];
      const [ps, vs] = [up(p), up(v)];
      for (let step = 0; step < 3; step++) {
        const g = rand(n);
        cpuBackend.momentumInPlace(p, v, g, n, 0.9, 0.05, nesterov);
        G().momentumInPlace(ps, vs, up(g), n, 0.9, 0.05, nesterov);
      }
      // A GPU compiler may fuse m v - lr g into one rounding: a few float32 ulps over 3 steps.
      expectClose(await down(vs, n), v, `velocity, nesterov ${nesterov}`, 2 ** -20, 1e-7);
      expectClose(await down(ps, n), p, `parameter, nesterov ${nesterov}`, 2 ** -20, 1e-7);
    }
  });

  it("trains through Tensor and autodiff: one MLP step equals the CPU's", async () => {
    const X = rand(5 * 12);
    const W1 = rand(12 * 9, -0.5, 0.5);
    const W2 = rand(9 * 4, -0.5, 0.5);
    const labels = Int32Array.from([0, 3, 1, 1, 2]);
    const step = (be: typeof cpuBackend | WebGpuBackend) => {
      const w1 = Tensor.param(W1, [12, 9], "W1", be);
      const w2 = Tensor.param(W2, [9, 4], "W2", be);
      const h = Tensor.from(X, [5, 12], be).matmul(w1).tanh();
      const logits = h.matmul(w2);
      const loss = logits.logSoftmax(1).mul(Tensor.oneHot(labels, 4, be)).sum().mul(-1 / 5);
      loss.backward();
      w1.axpyInPlace(w1.grad as Tensor, -0.1);
      return { loss, w1 };
    };
    const c = step(cpuBackend);
    const g = step(G());
    expectClose(await g.loss.read(), c.loss.toArray(), "loss", 1e-5, 1e-6);
    expectClose(await g.w1.read(), c.w1.toArray(), "updated W1", 1e-5, 1e-6);
    expect(() => g.loss.toArray()).toThrow(/await t\.read\(\)/);
  });

  it("recycles the buffers of dead tensors instead of allocating new ones", async () => {
    const x = up(rand(4096));
    const before = { ...G().rt.stats };
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 50; i++) G().unary("exp", x, 4096);
      await G().sync();
      await new Promise((r) => setTimeout(r, 0));
      (globalThis as { gc?: () => void }).gc?.();
    }
    const s = G().rt.stats;
    expect(s.dispatches - before.dispatches).toBe(1000);
    // Without a forced GC the collector may keep a few rounds alive; without reuse it would be 1000.
    if ((globalThis as { gc?: () => void }).gc) expect(s.allocations - before.allocations).toBeLessThan(200);
  });
});
