import { describe, expect, it } from "vitest";
import { Tensor, gradients } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { expectParamGradients, onFloat64, uniformValues } from "../../test/helpers/gradcheck.js";
import { Maxout, type MaxoutOptions } from "./maxout.js";
import { LpPooling } from "./lp-pooling.js";
import { VectorSpace } from "./space.js";

function maxoutLayer(opts: Partial<MaxoutOptions>, nin = 5): Maxout {
  const l = new Maxout({ layerName: "h0", numUnits: 3, numPieces: 2, irange: 0.8, initBias: 0, ...opts });
  l.setInputSpace(new VectorSpace(nin), new Rng(4));
  return l;
}

/** Maxout straight from its definition: z = xW + b, output k = max_i z[perm[k*stride + i]] (and 0 when min_zero). */
function maxoutRef(l: Maxout, x: Float64Array, n: number, nin: number, perm?: Int32Array): Float64Array {
  const W = l.params()[0].toArray();
  const b = l.params()[1].toArray();
  const D = l.detectorDim;
  const out = new Float64Array(n * l.outputDim);
  for (let r = 0; r < n; r++) {
    const z = new Float64Array(D);
    for (let j = 0; j < D; j++) {
      let s = b[j];
      for (let k = 0; k < nin; k++) s += x[r * nin + k] * W[k * D + j];
      z[j] = s;
    }
    for (let k = 0; k < l.outputDim; k++) {
      let m = l.opts.minZero ? 0 : -Infinity;
      for (let i = 0; i < l.poolSize; i++) {
        const col = k * l.poolStride + i;
        m = Math.max(m, z[perm ? perm[col] : col]);
      }
      out[r * l.outputDim + k] = m;
    }
  }
  return out;
}

describe("Maxout", () => {
  const cases: Array<[string, Partial<MaxoutOptions>]> = [
    ["disjoint pools", {}],
    ["overlapping pools (pool_stride 1)", { numUnits: 3, numPieces: 3, poolStride: 1 }],
    ["min_zero", { minZero: true }],
    ["one piece per unit", { numPieces: 1 }],
  ];
  for (const [name, opts] of cases) {
    it(`${name}: equals the direct definition, gradients match`, () => {
      onFloat64(() => {
        const l = maxoutLayer(opts);
        const x = uniformValues(4 * 5, 21, -2, 2);
        const got = l.fprop(Tensor.from(x, [4, 5])).toArray();
        const want = maxoutRef(l, x, 4, 5);
        expect(got.length).toBe(want.length);
        want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
        expectParamGradients(l, { shape: [4, 5] }, (xt) => l.fprop(xt));
      });
    });
  }

  it("overlapping pools give (units*pieces - pieces)/stride + 1 outputs", () => {
    const l = maxoutLayer({ numUnits: 4, numPieces: 3, poolStride: 1 });
    expect(l.outputDim).toBe(10);
    expect(l.outputSpace.totalDim).toBe(10);
  });

  it("randomize_pools: a fixed random selection of detector units, saved and restored", () => {
    onFloat64(() => {
      const l = maxoutLayer({ randomizePools: true, numUnits: 4, numPieces: 3 });
      const st = l.extraState();
      const perm = Int32Array.from(st.h0_permute.data);
      expect(perm.length).toBe(12);
      const x = uniformValues(2 * 5, 8);
      const want = maxoutRef(l, x, 2, 5, perm);
      const got = l.fprop(Tensor.from(x, [2, 5])).toArray();
      want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
      // A fresh layer loading the state computes the same function.
      const l2 = maxoutLayer({ randomizePools: true, numUnits: 4, numPieces: 3 });
      l2.setParams(l.params());
      l2.loadExtraState({ h0_permute: { shape: [12], data: Float32Array.from([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]) } });
      const rev = Int32Array.from([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      const want2 = maxoutRef(l2, x, 2, 5, rev);
      const got2 = l2.fprop(Tensor.from(x, [2, 5])).toArray();
      want2.forEach((v, i) => expect(got2[i]).toBeCloseTo(v, 12));
    });
  });

  it("rejects pools that do not tile the detector units", () => {
    expect(() => new Maxout({ layerName: "m", numUnits: 3, numPieces: 2, poolStride: 3, irange: 0.1 })).toThrow(ConfigError);
  });

  it("channels carry pylearn2's p_ prefix and dotted names", () => {
    const l = maxoutLayer({});
    const X = Tensor.from(uniformValues(10, 1), [2, 5]);
    const ch = l.monitorChannels(X, l.fprop(X));
    expect(Object.keys(ch)).toEqual(expect.arrayContaining(["p_max_x.max_u", "p_mean_x.mean_u", "p_range_x.min_u", "col_norms_mean"]));
  });
});

/** Lp pooling from its definition: (sum over each group of |x|^p)^(1/p). */
function lpRef(x: Float64Array, n: number, D: number, size: number, stride: number, p: number): Float64Array {
  const K = (D - size) / stride + 1;
  const out = new Float64Array(n * K);
  for (let r = 0; r < n; r++)
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let i = 0; i < size; i++) s += Math.abs(x[r * D + k * stride + i]) ** p;
      out[r * K + k] = s ** (1 / p);
    }
  return out;
}

describe("LpPooling", () => {
  for (const [p, size, stride] of [[1, 3, 3], [2, 2, 2], [3, 3, 1], [2.5, 4, 2]] as const) {
    it(`p=${p}, pool ${size}, stride ${stride}: equals the definition, gradient matches`, () => {
      onFloat64(() => {
        const D = 10 - ((10 - size) % stride);
        const l = new LpPooling({ layerName: "lp", poolSize: size, poolStride: stride, p });
        l.setInputSpace(new VectorSpace(D), new Rng(1));
        const x = uniformValues(3 * D, 17, -2, 2);
        const got = l.fprop(Tensor.from(x, [3, D])).toArray();
        const want = lpRef(x, 3, D, size, stride, p);
        expect(got.length).toBe(want.length);
        want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
        expectParamGradients(l, { shape: [3, D] }, (xt) => l.fprop(xt));
      });
    });
  }

  it("a group of zeros gives output 0 and a finite (zero) gradient instead of NaN", () => {
    onFloat64(() => {
      const l = new LpPooling({ layerName: "lp", poolSize: 2, p: 2 });
      l.setInputSpace(new VectorSpace(4), new Rng(1));
      const x = Tensor.from([0, 0, 3, 4], [1, 4]);
      x.requiresGrad = true;
      const y = l.fprop(x);
      expect(Array.from(y.toArray())).toEqual([0, 5]);
      const [g] = gradients(y.sum(), [x]);
      const ga = Array.from(g.toArray());
      expect(ga.slice(0, 2)).toEqual([0, 0]);
      expect(ga[2]).toBeCloseTo(0.6, 12);
      expect(ga[3]).toBeCloseTo(0.8, 12);
    });
  });

  it("rejects inputs that do not split into whole pools", () => {
    const l = new LpPooling({ layerName: "lp", poolSize: 3 });
    expect(() => l.setInputSpace(new VectorSpace(10), new Rng(1))).toThrow(/do not split into pools of 3/);
  });
});
