import { describe, expect, it } from "vitest";
import { ShapeError } from "../../util/errors.js";
import { Rng } from "../../util/rng.js";
import { availableKernels } from "./index.js";

/**
 * im2col is a copy, so every path must match the definition exactly. col2im sums at most
 * kh*kw*... overlapping windows per pixel in float32; the float64 reference bounds its error by
 * (terms + 1) * 2^-24 * sum |terms|, and <im2col(x), y> = <x, col2im(y)> checks it is the adjoint.
 */
interface Geo { N: number; C: number; H: number; W: number; kh: number; kw: number; sh: number; sw: number; ph: number; pw: number }

const GEOMETRIES: Geo[] = [
  { N: 2, C: 3, H: 8, W: 8, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 },
  { N: 1, C: 1, H: 5, W: 7, kh: 5, kw: 7, sh: 1, sw: 1, ph: 0, pw: 0 }, // kernel = image: one column
  { N: 3, C: 2, H: 9, W: 6, kh: 4, kw: 2, sh: 2, sw: 3, ph: 2, pw: 1 }, // strides, padding > 1
  { N: 2, C: 4, H: 17, W: 5, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0 }, // 1 x 1
  { N: 1, C: 2, H: 3, W: 3, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2 }, // kernel larger than the image
  { N: 5, C: 3, H: 8, W: 8, kh: 8, kw: 8, sh: 2, sw: 2, ph: 3, pw: 1 },
];

const outSize = (s: number, k: number, st: number, p: number): number => Math.floor((s + 2 * p - k) / st) + 1;

/** im2col straight from its definition: out[row, col] with row = (c*kh + i)*kw + j, col = (n*oh + y)*ow + x. */
function im2colDef(x: Float32Array, g: Geo): Float64Array {
  const oh = outSize(g.H, g.kh, g.sh, g.ph), ow = outSize(g.W, g.kw, g.sw, g.pw);
  const out = new Float64Array(g.C * g.kh * g.kw * g.N * oh * ow);
  for (let c = 0; c < g.C; c++) for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++)
    for (let n = 0; n < g.N; n++) for (let y = 0; y < oh; y++) for (let q = 0; q < ow; q++) {
      const iy = y * g.sh - g.ph + i, ix = q * g.sw - g.pw + j;
      const v = iy >= 0 && iy < g.H && ix >= 0 && ix < g.W ? x[((n * g.C + c) * g.H + iy) * g.W + ix] : 0;
      out[(((c * g.kh + i) * g.kw + j) * g.N + n) * oh * ow + y * ow + q] = v;
    }
  return out;
}

function random(rng: Rng, n: number): Float32Array {
  return new Float32Array(n).map(() => rng.uniform() * 2 - 1);
}

describe.each(availableKernels().map((k) => [k.name, k] as const))("im2col / col2im on %s", (_name, kern) => {
  it.each(GEOMETRIES.map((g, i) => [i, g] as const))("geometry %i matches the definition", (_i, g) => {
    const rng = new Rng(7);
    const oh = outSize(g.H, g.kh, g.sh, g.ph), ow = outSize(g.W, g.kw, g.sw, g.pw);
    const nImg = g.N * g.C * g.H * g.W, nCols = g.C * g.kh * g.kw * g.N * oh * ow;
    const x = random(rng, nImg);
    const cols = new Float32Array(nCols).fill(NaN); // every entry must be written, padding included
    kern.im2col(x, g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, cols);
    expect(Array.from(cols)).toEqual(Array.from(im2colDef(x, g)));

    // col2im accumulates into dx: start from a known dx and compare with a float64 scatter-add
    const y = random(rng, nCols);
    const dx0 = random(rng, nImg);
    const dx = Float32Array.from(dx0);
    kern.col2im(y, g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, dx);
    const ref = Float64Array.from(dx0), mag = Float64Array.from(dx0, Math.abs), terms = new Float64Array(nImg).fill(1);
    // the adjoint of the definition: route y back through the same index map with x = unit vectors
    for (let c = 0; c < g.C; c++) for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++)
      for (let n = 0; n < g.N; n++) for (let yy = 0; yy < oh; yy++) for (let q = 0; q < ow; q++) {
        const iy = yy * g.sh - g.ph + i, ix = q * g.sw - g.pw + j;
        if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
        const at = ((n * g.C + c) * g.H + iy) * g.W + ix;
        const v = y[(((c * g.kh + i) * g.kw + j) * g.N + n) * oh * ow + yy * ow + q];
        ref[at] += v;
        mag[at] += Math.abs(v);
        terms[at]++;
      }
    for (let t = 0; t < nImg; t++) {
      const bound = (terms[t] + 1) * 2 ** -24 * mag[t];
      if (!(Math.abs(dx[t] - ref[t]) <= bound)) throw new Error(`col2im at ${t}: ${dx[t]} vs ${ref[t]} (bound ${bound})`);
    }

    // adjointness: <im2col(x), y> == <x, col2im(y)> (col2im into zeros)
    const back = new Float32Array(nImg);
    kern.col2im(y, g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, back);
    let lhs = 0, rhs = 0, scale = 0;
    for (let t = 0; t < nCols; t++) { lhs += cols[t] * y[t]; scale += Math.abs(cols[t] * y[t]); }
    for (let t = 0; t < nImg; t++) rhs += x[t] * back[t];
    expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-5 * scale);
  });

  it("rejects impossible geometry and short arrays with a ShapeError", () => {
    expect(() => kern.im2col(new Float32Array(9), 1, 1, 3, 3, 5, 5, 1, 1, 0, 0, new Float32Array(25))).toThrow(/padded image at least as large as the kernel/);
    expect(() => kern.im2col(new Float32Array(9), 1, 1, 3, 3, 2, 2, 0, 1, 0, 0, new Float32Array(25))).toThrow(ShapeError);
    expect(() => kern.im2col(new Float32Array(8), 1, 1, 3, 3, 2, 2, 1, 1, 0, 0, new Float32Array(16))).toThrow(/image needs 9 floats \(has 8\)/);
    expect(() => kern.col2im(new Float32Array(15), 1, 1, 3, 3, 2, 2, 1, 1, 0, 0, new Float32Array(9))).toThrow(/columns need 4 x 4 = 16 \(have 15\)/);
  });
});
