import { describe, expect, it } from "vitest";
import { checkGradients } from "./gradcheck.js";
import { Tensor } from "./tensor.js";
import { gradients } from "./autodiff.js";
import { cpuBackend, float64Backend } from "./backends/reference.js";
import { noGrad } from "./context.js";
import { Rng } from "../util/rng.js";
import { ShapeError } from "../util/errors.js";

type Inp = { shape: number[]; values?: ArrayLike<number> };

/**
 * One line per op: the gradient against float64 central differences, the output shape, and —
 * when `ref` is given — the values against an independent elementwise float64 definition.
 */
function checkOp(inputs: Inp[], fn: (...xs: Tensor[]) => Tensor, expectShape?: number[], ref?: (...vals: Float64Array[]) => ArrayLike<number>) {
  const r = checkGradients(fn, inputs);
  expect(r.maxError, `gradient mismatch at input ${r.worst.input}[${r.worst.index}]: ${r.worst.analytic} vs ${r.worst.numeric}`).toBeLessThan(1e-6);
  if (expectShape) expect([...r.shape]).toEqual(expectShape);
  if (ref) {
    const rng = new Rng(1);
    const vals = inputs.map((inp) => (inp.values ? Float64Array.from(inp.values) : (rng.fillNormal(new Float64Array(inp.shape.reduce((a, b) => a * b, 1))) as Float64Array)));
    const want = ref(...vals);
    for (let i = 0; i < want.length; i++) expect(r.value[i]).toBeCloseTo(want[i], 10);
  }
}

const pos = (shape: number[], seed = 3) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Rng(seed).fillUniform(new Float64Array(n), 0.5, 2);
  return { shape, values: v };
};
const distinct = (shape: number[], seed = 5) => {
  // Values far apart so max/min/relu/abs kinks are never within the finite-difference step.
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = new Rng(seed).permutation(n);
  return { shape, values: Float64Array.from(perm, (p) => (p - n / 2 + 0.37) * 0.1) };
};
const map = (f: (x: number) => number) => (x: Float64Array) => Array.from(x, f);

describe("unary primitives", () => {
  it("neg", () => checkOp([{ shape: [3, 4] }], (x) => x.neg(), [3, 4], map((x) => -x)));
  it("exp", () => checkOp([{ shape: [3, 4] }], (x) => x.exp(), [3, 4], map(Math.exp)));
  it("log", () => checkOp([pos([3, 4])], (x) => x.log(), [3, 4], map(Math.log)));
  it("log1p", () => checkOp([pos([3, 4])], (x) => x.log1p(), [3, 4], map(Math.log1p)));
  it("sqrt", () => checkOp([pos([3, 4])], (x) => x.sqrt(), [3, 4], map(Math.sqrt)));
  it("square", () => checkOp([{ shape: [3, 4] }], (x) => x.square(), [3, 4], map((x) => x * x)));
  it("abs", () => checkOp([distinct([3, 4])], (x) => x.abs(), [3, 4], map(Math.abs)));
  it("step", () => {
    checkOp([distinct([3, 4])], (x) => x.step(), [3, 4], map((x) => (x > 0 ? 1 : 0)));
    expect(Array.from(Tensor.from([0, -0, Number.NaN, 1e-30, -Infinity], [5]).step().toArray())).toEqual([0, 0, 0, 1, 0]);
  });
  it("tanh", () => checkOp([{ shape: [3, 4] }], (x) => x.tanh(), [3, 4], map(Math.tanh)));
  it("sigmoid", () => checkOp([{ shape: [3, 4] }], (x) => x.sigmoid(), [3, 4], map((x) => 1 / (1 + Math.exp(-x)))));
  it("softplus", () => checkOp([{ shape: [3, 4] }], (x) => x.softplus(), [3, 4], map((x) => Math.log(1 + Math.exp(x)))));
  it("relu", () => checkOp([distinct([3, 4])], (x) => x.relu(), [3, 4], map((x) => Math.max(x, 0))));
  it("clip", () => checkOp([distinct([4, 5])], (x) => x.clip(-0.5, 0.6), [4, 5], map((x) => Math.min(Math.max(x, -0.5), 0.6))));
  it("stable at extremes", () => {
    const x = Tensor.from([-1000, -50, 0, 50, 1000], [5], float64Backend);
    const want = [0, 1 / (1 + Math.exp(50)), 0.5, 1 / (1 + Math.exp(-50)), 1];
    x.sigmoid().toArray().forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-15 * Math.abs(want[i])));
    const sp = Array.from(x.softplus().toArray());
    expect(sp[0]).toBe(0);
    expect(sp[4]).toBe(1000);
    expect(sp[2]).toBeCloseTo(Math.LN2, 15);
  });
});

describe("binary primitives with broadcasting", () => {
  const cases: Array<[string, number[], number[], number[]]> = [
    ["same", [3, 4], [3, 4], [3, 4]],
    ["row", [3, 4], [4], [3, 4]],
    ["column", [3, 4], [3, 1], [3, 4]],
    ["scalar", [3, 4], [], [3, 4]],
    ["both", [3, 1, 5], [4, 1], [3, 4, 5]],
    ["left scalar", [], [2, 3], [2, 3]],
  ];
  for (const [name, a, b, out] of cases) {
    it(`add ${name}`, () => checkOp([{ shape: a }, { shape: b }], (x, y) => x.add(y), out));
    it(`sub ${name}`, () => checkOp([{ shape: a }, { shape: b }], (x, y) => x.sub(y), out));
    it(`mul ${name}`, () => checkOp([{ shape: a }, { shape: b }], (x, y) => x.mul(y), out));
    it(`div ${name}`, () => checkOp([{ shape: a }, pos(b)], (x, y) => x.div(y), out));
    it(`pow ${name}`, () => checkOp([pos(a, 7), { shape: b }], (x, y) => x.pow(y), out));
    it(`maximum ${name}`, () => checkOp([distinct(a, 1), distinct(b, 2)], (x, y) => x.maximum(y.add(0.013)), out));
    it(`minimum ${name}`, () => checkOp([distinct(a, 1), distinct(b, 2)], (x, y) => x.minimum(y.add(0.013)), out));
  }
  it("values of broadcast add", () => {
    const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = Tensor.from([10, 20], [2, 1]);
    expect(Array.from(a.add(b).toArray())).toEqual([11, 12, 13, 24, 25, 26]);
    expect(Array.from(a.sub(Tensor.from([1, 1, 1], [3])).toArray())).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(Tensor.from([2], [1, 1, 1]).mul(a).toArray())).toEqual([2, 4, 6, 8, 10, 12]);
  });
  it("comparisons produce masks without gradient", () => {
    const a = Tensor.from([1, 2, 3], [3]);
    const b = Tensor.from([2, 2, 2], [3]);
    expect(Array.from(a.gt(b).toArray())).toEqual([0, 0, 1]);
    expect(Array.from(a.ge(b).toArray())).toEqual([0, 1, 1]);
    expect(Array.from(a.lt(b).toArray())).toEqual([1, 0, 0]);
    expect(Array.from(a.le(b).toArray())).toEqual([1, 1, 0]);
    expect(Array.from(a.eq(b).toArray())).toEqual([0, 1, 0]);
    expect(Array.from(a.ne(2).toArray())).toEqual([1, 0, 1]);
    const p = Tensor.param([1, 2, 3], [3]);
    expect(p.gt(1).requiresGrad).toBe(false);
  });
  it("broadcast errors name the op and shapes", () => {
    const a = Tensor.zeros([3, 4]);
    expect(() => a.add(Tensor.zeros([3]))).toThrow(ShapeError);
    expect(() => a.add(Tensor.zeros([3]))).toThrow("add: shapes [3, 4] and [3] cannot be broadcast together");
  });
  it("where", () => {
    const cond = Tensor.from([1, 0, 1, 0, 0, 1], [2, 3], float64Backend);
    checkOp([{ shape: [2, 3] }, { shape: [3] }], (a, b) => a.where(cond, b), [2, 3]);
    const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    const c = Tensor.from([1, 0, 1, 0, 0, 1], [2, 3]);
    expect(Array.from(a.where(c, -1).toArray())).toEqual([1, -1, 3, -1, -1, 6]);
  });
});

describe("reductions", () => {
  it("sum all", () => checkOp([{ shape: [3, 4] }], (x) => x.sum(), [], (x) => [x.reduce((a, b) => a + b, 0)]));
  it("sum axis 0", () => checkOp([{ shape: [3, 4] }], (x) => x.sum(0), [4]));
  it("sum axis 1 keepdims", () => checkOp([{ shape: [3, 4] }], (x) => x.sum(1, true), [3, 1]));
  it("sum non-contiguous axes", () => checkOp([{ shape: [2, 3, 4] }], (x) => x.sum([0, 2]), [3]));
  it("sum middle axis", () => checkOp([{ shape: [2, 3, 4] }], (x) => x.sum(-2), [2, 4]));
  it("mean", () => checkOp([{ shape: [2, 3, 4] }], (x) => x.mean([1, 2]), [2]));
  it("max", () => checkOp([distinct([3, 5])], (x) => x.max(1), [3]));
  it("max non-contiguous", () => checkOp([distinct([2, 3, 4])], (x) => x.max([0, 2]), [3]));
  it("min", () => checkOp([distinct([3, 5])], (x) => x.min(0, true), [1, 5]));
  it("logsumexp", () => checkOp([{ shape: [3, 5] }], (x) => x.logsumexp(1), [3], (x) => {
    const out: number[] = [];
    for (let i = 0; i < 3; i++) out.push(Math.log([0, 1, 2, 3, 4].reduce((a, j) => a + Math.exp(x[i * 5 + j]), 0)));
    return out;
  }));
  it("logsumexp does not overflow", () => {
    const x = Tensor.from([1000, 1000], [1, 2]);
    expect(x.logsumexp(1).item()).toBeCloseTo(1000 + Math.LN2, 3);
  });
  it("softmax and logSoftmax", () => {
    checkOp([{ shape: [3, 4] }], (x) => x.softmax(1), [3, 4]);
    checkOp([{ shape: [3, 4] }], (x) => x.logSoftmax(1), [3, 4]);
  });
  // Along the last axis logSoftmax is one fused primitive; other axes take the composite ops.
  const logSoftmaxRef = (cols: number) => (x: Float64Array) => {
    const out: number[] = [];
    for (let r = 0; r < x.length / cols; r++) {
      const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
      const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      out.push(...row.map((v) => v - lse));
    }
    return out;
  };
  it("logSoftmax fused along the last axis: values and gradient, 2-D and 3-D, one column, long rows", () => {
    checkOp([{ shape: [3, 5] }], (x) => x.logSoftmax(1), [3, 5], logSoftmaxRef(5));
    checkOp([{ shape: [2, 3, 4] }], (x) => x.logSoftmax(-1), [2, 3, 4], logSoftmaxRef(4));
    checkOp([{ shape: [4, 1] }], (x) => x.logSoftmax(1), [4, 1], map(() => 0));
    checkOp([{ shape: [2, 70] }], (x) => x.logSoftmax(1), [2, 70], logSoftmaxRef(70));
    // A weighted sum, so the gradient's row-sum term is not the trivial one of a plain sum.
    checkOp([{ shape: [3, 6] }, { shape: [3, 6] }], (x, w) => x.logSoftmax(1).mul(w).sum(), []);
    checkOp([{ shape: [3, 6] }], (x) => x.softmax(1), [3, 6], (x) => logSoftmaxRef(6)(x).map(Math.exp));
  });
  it("logSoftmax over a leading axis (the composite path)", () => {
    checkOp([{ shape: [4, 3] }], (x) => x.logSoftmax(0), [4, 3], (x) => {
      const t = new Float64Array(12);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) t[j * 4 + i] = x[i * 3 + j];
      const r = logSoftmaxRef(4)(t);
      return Array.from({ length: 12 }, (_, k) => r[(k % 3) * 4 + Math.floor(k / 3)]);
    });
  });
  it("logSoftmax in float32: no overflow, the largest entry exactly -log(sum), NaN only in its own row", () => {
    const x = Tensor.from([1000, 1000, 1000, -1000, 0, 0, 1, Number.NaN, 2, 3, 3.5, -2], [4, 3]);
    const y = x.logSoftmax(1).toArray();
    expect(y[0]).toBe(Math.fround(-Math.log(3)));
    expect(y[2]).toBe(y[0]);
    expect(y[3]).toBe(Math.fround(-1000 - Math.log(2)));
    expect(y[4]).toBe(Math.fround(-Math.log(2)));
    expect(Array.from(y.subarray(6, 9)).map(Number.isNaN)).toEqual([true, true, true]);
    const e = [3, 3.5, -2].map((v) => Math.exp(v - 3.5));
    const lse = Math.log(e.reduce((a, b) => a + b));
    expect(Array.from(y.subarray(9))).toEqual([3 - 3.5 - lse, -lse, -2 - 3.5 - lse].map(Math.fround));
  });
  it("values of sum and max over axes", () => {
    const x = Tensor.from([1, 5, 2, 4, 3, 6], [2, 3]);
    expect(Array.from(x.sum(0).toArray())).toEqual([5, 8, 8]);
    expect(Array.from(x.max(1).toArray())).toEqual([5, 6]);
    expect(Array.from(x.min(0).toArray())).toEqual([1, 3, 2]);
    expect(Array.from(x.argmax(1))).toEqual([1, 2]);
    expect(Array.from(x.argmax(0))).toEqual([1, 0, 1]);
  });
  it("max gradient splits ties", () => {
    const x = Tensor.param([2, 2, 1], [3], undefined, float64Backend);
    const [g] = gradients(x.max(), [x]);
    expect(Array.from(g.toArray())).toEqual([0.5, 0.5, 0]);
  });
});

describe("matmul", () => {
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`2-D transA=${tA} transB=${tB}`, () =>
      checkOp([{ shape: tA ? [4, 3] : [3, 4] }, { shape: tB ? [5, 4] : [4, 5] }], (a, b) => a.matmul(b, tA, tB), [3, 5]));
    it(`3-D batched transA=${tA} transB=${tB}`, () =>
      checkOp([{ shape: tA ? [2, 4, 3] : [2, 3, 4] }, { shape: tB ? [2, 5, 4] : [2, 4, 5] }], (a, b) => a.matmul(b, tA, tB), [2, 3, 5]));
  }
  it("3-D by shared 2-D", () => checkOp([{ shape: [2, 3, 4] }, { shape: [4, 5] }], (a, b) => a.matmul(b), [2, 3, 5]));
  it("values", () => {
    const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = Tensor.from([7, 8, 9, 10, 11, 12], [3, 2]);
    expect(Array.from(a.matmul(b).toArray())).toEqual([58, 64, 139, 154]);
    expect(Array.from(b.matmul(a, true, true).toArray())).toEqual([58, 139, 64, 154]);
  });
  it("shape errors", () => {
    expect(() => Tensor.zeros([2, 3]).matmul(Tensor.zeros([2, 3]))).toThrow("matmul: cannot multiply [2, 3] by [2, 3]: inner dimensions 3 and 2 differ");
  });
});

describe("shape ops", () => {
  it("reshape", () => checkOp([{ shape: [3, 4] }], (x) => x.reshape([2, -1]).mul(x.reshape([2, 6])), [2, 6]));
  it("permute", () => checkOp([{ shape: [2, 3, 4] }], (x) => x.permute([2, 0, 1]), [4, 2, 3]));
  it("transpose values", () => {
    const x = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(Array.from(x.T.toArray())).toEqual([1, 4, 2, 5, 3, 6]);
    const y = Tensor.from(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]).permute([2, 0, 1]);
    // y[k, i, j] = x[i, j, k] = i*12 + j*4 + k
    expect(y.toArray()[1 * 6 + 1 * 3 + 2]).toBe(1 * 12 + 2 * 4 + 1);
  });
  it("expand", () => checkOp([{ shape: [3, 1] }], (x) => x.expand([2, 3, 4]), [2, 3, 4]));
  it("slice", () => checkOp([{ shape: [4, 5] }], (x) => x.slice([1, 2], [3, undefined]), [2, 3]));
  it("slice negative", () => {
    const x = Tensor.from([0, 1, 2, 3, 4, 5], [6]);
    expect(Array.from(x.slice([-3]).toArray())).toEqual([3, 4, 5]);
  });
  it("pad", () => checkOp([{ shape: [2, 3] }], (x) => x.pad([1, 0], [0, 2]), [3, 5]));
  it("concat", () => {
    checkOp([{ shape: [2, 3] }, { shape: [1, 3] }], (a, b) => Tensor.concat([a, b, a], 0), [5, 3]);
    checkOp([{ shape: [2, 3] }, { shape: [2, 1] }], (a, b) => Tensor.concat([a, b], 1), [2, 4]);
    const c = Tensor.concat([Tensor.from([1, 2], [1, 2]), Tensor.from([3, 4, 5, 6], [2, 2])]);
    expect(Array.from(c.toArray())).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it("gather and scatterAdd", () => {
    const idx = Int32Array.from([2, 0, 2]);
    checkOp([{ shape: [3, 4] }], (x) => x.gather(idx, 0), [3, 4]);
    checkOp([{ shape: [3, 4] }], (x) => x.gather(Int32Array.from([3, 1]), 1), [3, 2]);
    checkOp([{ shape: [3, 4] }], (x) => x.scatterAdd(idx, 0, [5, 4]), [5, 4]);
    const x = Tensor.from([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(Array.from(x.gather(Int32Array.from([2, 0])).toArray())).toEqual([5, 6, 1, 2]);
    expect(() => x.gather(Int32Array.from([3]))).toThrow("gather: index 3 is outside [0, 3)");
  });
  it("oneHot", () => {
    expect(Array.from(Tensor.oneHot(Int32Array.from([2, 0]), 3).toArray())).toEqual([0, 0, 1, 1, 0, 0]);
  });
});

describe("convolution and pooling", () => {
  it("im2col layout", () => {
    const x = Tensor.from(Array.from({ length: 9 }, (_, i) => i + 1), [1, 1, 3, 3]);
    const cols = x.im2col(2, 2);
    expect(cols.shape).toEqual([4, 4]);
    // row (i=0,j=0): top-left of each 2x2 window, windows in row-major order
    expect(Array.from(cols.toArray().slice(0, 4))).toEqual([1, 2, 4, 5]);
    expect(Array.from(cols.toArray().slice(12, 16))).toEqual([5, 6, 8, 9]);
  });
  it("conv2d gradient (stride, padding, channels)", () =>
    checkOp([{ shape: [2, 3, 5, 6] }, { shape: [4, 3, 3, 2] }], (x, w) => x.conv2d(w, [2, 1], [1, 0]), [2, 4, 3, 5]));
  it("conv2d against direct definition", () => {
    const rng = new Rng(9);
    const x = Tensor.from(rng.fillNormal(new Float64Array(2 * 2 * 4 * 4)), [2, 2, 4, 4], float64Backend);
    const w = Tensor.from(rng.fillNormal(new Float64Array(3 * 2 * 3 * 3)), [3, 2, 3, 3], float64Backend);
    const y = x.conv2d(w, [1, 1], [1, 1]).toArray();
    const X = x.toArray();
    const Wt = w.toArray();
    for (let n = 0; n < 2; n++)
      for (let o = 0; o < 3; o++)
        for (let r = 0; r < 4; r++)
          for (let c = 0; c < 4; c++) {
            let s = 0;
            for (let ch = 0; ch < 2; ch++)
              for (let i = 0; i < 3; i++)
                for (let j = 0; j < 3; j++) {
                  const rr = r - 1 + i;
                  const cc = c - 1 + j;
                  if (rr >= 0 && rr < 4 && cc >= 0 && cc < 4) s += X[((n * 2 + ch) * 4 + rr) * 4 + cc] * Wt[((o * 2 + ch) * 3 + i) * 3 + j];
                }
            expect(y[((n * 3 + o) * 4 + r) * 4 + c]).toBeCloseTo(s, 12);
          }
  });
  it("maxPool2d", () => checkOp([distinct([2, 2, 5, 5])], (x) => x.maxPool2d([2, 2], [2, 2]), [2, 2, 2, 2]));
  it("maxPool2d overlapping with padding", () => checkOp([distinct([1, 2, 5, 5])], (x) => x.maxPool2d([3, 3], [2, 2], [1, 1]), [1, 2, 3, 3]));
  it("avgPool2d", () => checkOp([{ shape: [2, 2, 4, 6] }], (x) => x.avgPool2d([2, 3], [1, 2]), [2, 2, 3, 2]));
  it("pool values", () => {
    const x = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 1, 4, 4]);
    expect(Array.from(x.maxPool2d([2, 2]).toArray())).toEqual([6, 8, 14, 16]);
    expect(Array.from(x.avgPool2d([2, 2]).toArray())).toEqual([3.5, 5.5, 11.5, 13.5]);
  });
  it("geometry errors", () => {
    expect(() => Tensor.zeros([1, 1, 2, 2]).maxPool2d([3, 3])).toThrow("maxPool2d: a 3x3 window");
  });
});

describe("autodiff", () => {
  it("accumulates gradients of reused values", () => {
    const x = Tensor.param([3], [1], "x", float64Backend);
    const y = x.mul(x).add(x.mul(2)); // y = x^2 + 2x; dy/dx = 2x + 2 = 8
    y.sum().backward();
    expect(x.grad!.item()).toBe(8);
    y.sum().backward(); // accumulates
    expect(x.grad!.item()).toBe(16);
  });
  it("walks very deep graphs without overflowing the stack", () => {
    let x = Tensor.param([1], [1], "x", float64Backend);
    const x0 = x;
    for (let i = 0; i < 100_000; i++) x = x.add(1e-6);
    const [g] = gradients(x.sum(), [x0]);
    expect(g.item()).toBe(1);
  });
  it("noGrad records nothing", () => {
    const x = Tensor.param([1, 2], [2]);
    const y = noGrad(() => x.mul(2));
    expect(y.node).toBeNull();
    expect(y.requiresGrad).toBe(false);
  });
  it("gradients of unrelated inputs are zero", () => {
    const a = Tensor.param([1, 2], [2]);
    const b = Tensor.param([3, 4], [2]);
    const [ga, gb] = gradients(a.sum(), [a, b]);
    expect(Array.from(ga.toArray())).toEqual([1, 1]);
    expect(Array.from(gb.toArray())).toEqual([0, 0]);
  });
  it("a composite (softplus written from primitives) matches the primitive", () => {
    const x = Tensor.from([-3, -0.5, 0, 0.5, 3], [5], float64Backend);
    const viaPrims = x.maximum(0).add(x.abs().neg().exp().log1p());
    const a = viaPrims.toArray();
    const b = x.softplus().toArray();
    for (let i = 0; i < 5; i++) expect(a[i]).toBeCloseTo(b[i], 14);
  });
  it("activations of large float32 arrays (the SIMD kernel path) agree with float64, NaN and extremes included", () => {
    const rng = new Rng(4);
    const v = rng.fillNormal(new Float64Array(1000), 0, 8);
    v[0] = NaN;
    v[1] = 1000;
    v[2] = -1000;
    for (const op of ["sigmoid", "tanh", "softplus", "relu"] as const) {
      const got = Tensor.from(v, [1000], cpuBackend)[op]().toArray();
      const want = Tensor.from(v, [1000], float64Backend)[op]().toArray();
      expect(Number.isNaN(got[0])).toBe(Number.isNaN(want[0]));
      for (let i = 1; i < 1000; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i])));
    }
  });
  it("float32 CPU backend agrees with float64", () => {
    const rng = new Rng(2);
    const v = rng.fillNormal(new Float64Array(12));
    const f = (t: Tensor) => t.reshape([3, 4]).sigmoid().matmul(t.reshape([4, 3])).logsumexp(1).sum();
    const a = f(Tensor.from(v, [12], cpuBackend)).item();
    const b = f(Tensor.from(v, [12], float64Backend)).item();
    expect(Math.abs(a - b) / Math.abs(b)).toBeLessThan(1e-6);
  });
});
