import { describe, expect, it } from "vitest";
import type { BinaryOp, Conv2dGeometry, ReduceOp } from "../backend.js";
import { broadcastShapes, sizeOf, stridesOf, type Shape } from "../shape.js";
import { Rng } from "../../util/rng.js";
import { cpuBackend, float64Backend, type ReferenceBackend } from "./reference.js";
import { collapseDims } from "./strided.js";

// The collapsed strided loops against direct per-element index arithmetic, on odd shapes, for both
// the float32 and the float64 backend.

const rng = new Rng(7);
/** Values on a coarse grid so that max pooling meets ties. */
const values = (n: number, grid = 0): number[] =>
  Array.from({ length: n }, () => (grid ? Math.floor(rng.uniform() * grid) : rng.uniformRange(-2, 2)));

/** Multi-index of flat position i in `shape`. */
function unravel(i: number, shape: Shape): number[] {
  const st = stridesOf(shape);
  return shape.map((_, d) => Math.floor(i / st[d]) % shape[d]);
}
/** Flat position in `shape` of a multi-index of a broadcast target (broadcast dims read 0). */
function ravelBroadcast(idx: number[], shape: Shape): number {
  const st = stridesOf(shape);
  const off = idx.length - shape.length;
  let k = 0;
  for (let d = 0; d < shape.length; d++) k += (shape[d] === 1 ? 0 : idx[d + off]) * st[d];
  return k;
}

const backends: [string, ReferenceBackend][] = [["float32", cpuBackend], ["float64", float64Backend]];
const F: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, maximum: (a, b) => Math.max(a, b),
};

describe("strided elementwise loops", () => {
  it("collapseDims merges dims contiguous for every operand and drops size-1 dims", () => {
    // (N, C, H, W) + (1, C, 1, 1): N*C rows of H*W, the bias one scalar per row
    const c = collapseDims([5, 3, 4, 2], [[24, 8, 2, 1], [24, 8, 2, 1], [0, 1, 0, 0]]);
    expect(c.shape).toEqual([5, 3, 8]);
    expect(c.strides).toEqual([[24, 8, 1], [24, 8, 1], [0, 1, 0]]);
    // (N, C, H, W) + (1, C, H, W): N rows of C*H*W
    expect(collapseDims([5, 3, 4, 2], [[24, 8, 2, 1], [0, 8, 2, 1]]).shape).toEqual([5, 24]);
    expect(collapseDims([1, 1], [[1, 1]]).shape).toEqual([]);
  });

  const pairs: [Shape, Shape][] = [
    [[5, 3, 7, 6], [1, 3, 1, 1]], // tied conv bias
    [[5, 3, 7, 6], [1, 3, 7, 6]], // untied conv bias
    [[1, 3, 1, 1], [5, 3, 7, 6]], // bias on the left (sub/div take the other loop)
    [[5, 1, 7, 1], [1, 3, 1, 6]], // both broadcast
    [[3, 1], [1, 17]],
    [[17, 5, 1], [5, 3]],
    [[2, 3, 5], [3, 1]],
    [[4, 1, 1], [1]],
  ];
  for (const [name, be] of backends) {
    for (const [as, bs] of pairs) {
      it(`${name}: binary ops of (${as}) and (${bs}) equal the per-element definition`, () => {
        const out = broadcastShapes("test", as, bs);
        const a = values(sizeOf(as));
        const b = values(sizeOf(bs)).map((v) => v + 3); // keep divisors away from 0
        for (const op of Object.keys(F) as BinaryOp[]) {
          const got = be.readSync(be.binary(op, be.fromArray(a), as, be.fromArray(b), bs, out));
          const want = new Float64Array(sizeOf(out));
          for (let i = 0; i < want.length; i++) {
            const idx = unravel(i, out);
            want[i] = F[op](a[ravelBroadcast(idx, as)], b[ravelBroadcast(idx, bs)]);
          }
          const tol = name === "float32" ? 1e-5 : 1e-12;
          for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(tol * (1 + Math.abs(want[i])));
        }
      });
    }

    const reductions: [Shape, number[]][] = [[[5, 3, 7, 6], [0, 2, 3]], [[5, 3, 7, 6], [0, 2]], [[3, 4, 5], [0, 2]], [[2, 1, 5, 1], [1, 3]]];
    for (const [shape, axes] of reductions) {
      it(`${name}: sum/max/min of (${shape}) over axes ${axes} equal the per-element definition`, () => {
        const x = values(sizeOf(shape));
        const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        for (const op of ["sum", "max", "min"] as ReduceOp[]) {
          const got = be.readSync(be.reduce(op, be.fromArray(x), shape, axes));
          const want = new Float64Array(sizeOf(kept)).fill(op === "sum" ? 0 : op === "max" ? -Infinity : Infinity);
          for (let i = 0; i < x.length; i++) {
            const k = ravelBroadcast(unravel(i, shape), kept);
            want[k] = op === "sum" ? want[k] + x[i] : op === "max" ? Math.max(want[k], x[i]) : Math.min(want[k], x[i]);
          }
          for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], name === "float32" ? 4 : 10);
        }
      });
    }

    it(`${name}: permutes of odd shapes equal the per-element definition`, () => {
      const cases: [Shape, number[]][] = [[[7, 5, 3, 6], [1, 0, 2, 3]], [[7, 5, 3, 6], [0, 2, 1, 3]], [[2, 3, 5], [2, 0, 1]], [[4, 1, 3], [1, 2, 0]]];
      for (const [shape, perm] of cases) {
        const x = values(sizeOf(shape));
        const outShape = perm.map((p) => shape[p]);
        const got = be.readSync(be.permute(be.fromArray(x), shape, perm));
        const st = stridesOf(shape);
        for (let i = 0; i < got.length; i++) {
          const idx = unravel(i, outShape);
          let src = 0;
          perm.forEach((p, d) => (src += idx[d] * st[p]));
          expect(got[i]).toBe(be === cpuBackend ? Math.fround(x[src]) : x[src]);
        }
      }
    });
  }
});

/** The direct max pooling loop: first winner in row-major window order; windows clipped to the image. */
function directMaxPool(x: ArrayLike<number>, g: Conv2dGeometry): { out: number[]; arg: number[] } {
  const out: number[] = [];
  const arg: number[] = [];
  for (let p = 0; p < g.N * g.C; p++)
    for (let y = 0; y < g.oh; y++)
      for (let xx = 0; xx < g.ow; xx++) {
        let best = -Infinity;
        let bi = -1;
        for (let i = 0; i < g.kh; i++)
          for (let j = 0; j < g.kw; j++) {
            const iy = y * g.sh - g.ph + i;
            const ix = xx * g.sw - g.pw + j;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
            const k = p * g.H * g.W + iy * g.W + ix;
            if (bi < 0 || x[k] > best) {
              best = x[k];
              bi = k;
            }
          }
        out.push(best);
        arg.push(bi);
      }
  return { out, arg };
}

function geometry(N: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph = 0, pw = 0): Conv2dGeometry {
  return { N, C, H, W, kh, kw, sh, sw, ph, pw, oh: Math.floor((H + 2 * ph - kh) / sh) + 1, ow: Math.floor((W + 2 * pw - kw) / sw) + 1 };
}

describe("max pooling", () => {
  const cases: [string, Conv2dGeometry][] = [
    ["the tutorial's 4x4 / 2 on 24x24 (shared stride blocks)", geometry(2, 3, 24, 24, 4, 4, 2, 2)],
    ["4x4 / 2 on 8x8 (the second layer, padded)", geometry(3, 2, 8, 8, 4, 4, 2, 2)],
    ["6x3 / 3x1 on 13x7, windows ending before the edge", geometry(2, 2, 13, 7, 6, 3, 3, 1)],
    ["3x6 / 1x3 on 5x14 (blocks three wide)", geometry(2, 2, 5, 14, 3, 6, 1, 3)],
    ["2x2 / 2 on odd 9x7 (last row and column unused)", geometry(1, 3, 9, 7, 2, 2, 2, 2)],
    ["3x3 / 2 (not whole blocks: direct loop)", geometry(2, 2, 9, 11, 3, 3, 2, 2)],
    ["3x3 / 1 with padding 1 (direct loop, clipped windows)", geometry(1, 2, 5, 6, 3, 3, 1, 1, 1, 1)],
  ];
  for (const [name, be] of backends) {
    for (const [what, g] of cases) {
      it(`${name}: ${what}: values, winners (ties: first in row-major order) and the backward pass`, () => {
        for (const grid of [0, 3]) {
          const x = values(g.N * g.C * g.H * g.W, grid);
          const want = directMaxPool(x, g);
          const { out, argmax } = be.maxPool2d(be.fromArray(x), g);
          expect(Array.from(be.readSync(out))).toEqual(want.out.map((v) => (be === cpuBackend ? Math.fround(v) : v)));
          expect(Array.from(argmax as Int32Array)).toEqual(want.arg);
          const gy = values(want.out.length);
          const dx = be.readSync(be.maxPool2dBackward(be.fromArray(gy), argmax, x.length));
          const wantDx = new Float64Array(x.length);
          want.arg.forEach((k, o) => (wantDx[k] += gy[o]));
          for (let i = 0; i < x.length; i++) expect(dx[i]).toBeCloseTo(wantDx[i], 5);
        }
      });
    }
  }
});
