import { describe, expect, it } from "vitest";
import { ShapeError } from "../../util/errors.js";
import { Rng } from "../../util/rng.js";
import { availableKernels, type ActKind } from "./index.js";

/**
 * Fused bias + activation and the activation backward, every path against float64 Math.
 * Tolerance: |got - ref| <= 3e-7 * |ref| + FLT_MIN (2.5 float32 ulp; below FLT_MIN, in the
 * denormal range the C kernels flush to 0, the comparison is absolute). relu and linear are exact.
 * Measured worst on this machine: 1.5e-7 (tanh) forward, 1.8e-7 (softplus) backward.
 */
const FLT_MIN = 1.1754943508222875e-38;
const RTOL: Record<ActKind, number> = { sigmoid: 3e-7, tanh: 3e-7, softplus: 3e-7, relu: 0, linear: 0 };

const F: Record<ActKind, (x: number) => number> = {
  linear: (x) => x,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  relu: (x) => (x < 0 ? 0 : x),
  softplus: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
};
const DF: Record<ActKind, (y: number) => number> = {
  linear: () => 1,
  sigmoid: (y) => y * (1 - y),
  tanh: (y) => 1 - y * y,
  relu: (y) => (y > 0 ? 1 : 0),
  softplus: (y) => -Math.expm1(-y),
};
const ACTS = Object.keys(F) as ActKind[];

/** Inputs from 1e-6 to 120 in magnitude, both signs, log-spaced, plus 0, tiny and the far tails
 *  (a multiple of 4 long, for the bias test's 4-row matrix). */
function inputs(): Float32Array {
  const n = 8000;
  const x = new Float32Array(n + 8);
  for (let i = 0; i < n; i++) {
    const t = (i % (n / 2)) / (n / 2);
    x[i] = (i < n / 2 ? -1 : 1) * Math.exp(Math.log(1e-6) + t * Math.log(1.2e8));
  }
  x.set([0, -0, -100, 100, -87.5, 88.5, 1e-30, -1e-30], n);
  return x;
}

function worstRatio(got: Float32Array, ref: (i: number) => number, rtol: number): { ratio: number; at: number } {
  let ratio = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const r = ref(i);
    const err = Math.abs(got[i] - r);
    const q = err === 0 ? 0 : err / (rtol * Math.abs(r) + FLT_MIN);
    if (!(q <= ratio)) { ratio = q; at = i; }
  }
  return { ratio, at };
}

describe.each(availableKernels().map((k) => [k.name, k] as const))("elementwise on %s", (_name, kern) => {
  const x = inputs();

  it.each(ACTS)("biasAct %s matches float64 without bias, with bias, and in place", (act) => {
    const out = new Float32Array(x.length);
    kern.biasAct(act, x, null, 1, x.length, out);
    const plain = worstRatio(out, (i) => F[act](x[i]), RTOL[act]);
    expect(plain.ratio, `x = ${x[plain.at]}`).toBeLessThanOrEqual(1);

    // as a 4 x (len/4) matrix with a bias per column, computed in place
    const m = 4, n = x.length / 4;
    const rng = new Rng(1);
    const bias = new Float32Array(n).map(() => rng.uniform() * 4 - 2);
    const inPlace = Float32Array.from(x);
    kern.biasAct(act, inPlace, bias, m, n, inPlace);
    const biased = worstRatio(inPlace, (i) => F[act](Math.fround(x[i] + bias[i % n])), RTOL[act]);
    expect(biased.ratio, `x = ${x[biased.at]}`).toBeLessThanOrEqual(1);
  });

  it.each(ACTS)("actBackward %s matches float64 through the output y", (act) => {
    const y = new Float32Array(x.length);
    kern.biasAct(act, x, null, 1, x.length, y);
    const rng = new Rng(2);
    const gy = new Float32Array(x.length).map(() => rng.uniform() * 2 - 1);
    const gx = new Float32Array(x.length);
    kern.actBackward(act, y, gy, gx, x.length);
    const w = worstRatio(gx, (i) => gy[i] * DF[act](y[i]), RTOL[act]);
    expect(w.ratio, `y = ${y[w.at]}`).toBeLessThanOrEqual(1);
    // in place over gy gives the same
    const g2 = Float32Array.from(gy);
    kern.actBackward(act, y, g2, g2, x.length);
    expect(g2).toEqual(gx);
  });

  it("keeps NaN visible through relu, and leaves elements past len alone", () => {
    const out = new Float32Array(3);
    kern.biasAct("relu", new Float32Array([NaN, -1, 2]), null, 1, 3, out);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(Array.from(out.subarray(1))).toEqual([0, 2]);
    const gx = new Float32Array([7, 7, 7]);
    kern.actBackward("sigmoid", new Float32Array([0.5, 0.5, 0.5]), new Float32Array([1, 1, 1]), gx, 2);
    expect(Array.from(gx)).toEqual([0.25, 0.25, 7]);
  });

  it("rejects short arrays and unknown activations with a ShapeError", () => {
    expect(() => kern.biasAct("tanh", new Float32Array(5), null, 2, 3, new Float32Array(6))).toThrow(ShapeError);
    expect(() => kern.biasAct("tanh", new Float32Array(6), new Float32Array(2), 2, 3, new Float32Array(6))).toThrow(/bias 2 \(needs 3\)/);
    expect(() => kern.actBackward("relu", new Float32Array(4), new Float32Array(3), new Float32Array(4), 4)).toThrow(ShapeError);
    expect(() => kern.biasAct("gelu" as ActKind, new Float32Array(1), null, 1, 1, new Float32Array(1))).toThrow(/unknown activation 'gelu'/);
  });
});
