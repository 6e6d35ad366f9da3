import { describe, expect, it } from "vitest";
import { Tensor, gradients } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { expectParamGradients, onFloat64, uniformValues } from "../../test/helpers/gradcheck.js";
import { applyNonlinearity, ConvElemwise, ConvRectifiedLinear, convOutputSize, type ConvOptions } from "./conv.js";
import { LocallyConnected } from "./locally-connected.js";
import { maxPool, meanPool, poolGeometry } from "./pooling.js";
import { Conv2DSpace, VectorSpace } from "./space.js";
import { norms } from "./constraints.js";

/** Value of channels-last rows x[n][(r*W + c)*C + ch]. */
const at = (x: Float64Array, n: number, r: number, c: number, ch: number, H: number, W: number, C: number) =>
  r < 0 || r >= H || c < 0 || c >= W ? 0 : x[n * H * W * C + (r * W + c) * C + ch];

describe("convolution geometry", () => {
  it("valid and full output sizes", () => {
    expect(convOutputSize(28, 5, 1, "valid")).toBe(24);
    expect(convOutputSize(28, 5, 1, "full")).toBe(32);
    expect(convOutputSize(28, 5, 2, "valid")).toBe(12);
    expect(convOutputSize(7, 3, 2, "full")).toBe(5); // padded to 11: windows start at 0, 2, 4, 6, 8
  });

  it("pooling covers every pixel as pylearn2's max_pool does (7 rows, pool 4 stride 2 -> 3)", () => {
    expect(poolGeometry(24, 24, [4, 4], [2, 2])).toMatchObject({ oh: 11, ow: 11 });
    expect(poolGeometry(7, 7, [4, 4], [2, 2])).toMatchObject({ oh: 3, ow: 3, requiredH: 8 });
    expect(poolGeometry(6, 5, [2, 2], [2, 2])).toMatchObject({ oh: 3, ow: 3 });
    // stride > pool: the last pool may not start outside the image.
    expect(poolGeometry(5, 5, [1, 1], [3, 3])).toMatchObject({ oh: 2, ow: 2 });
  });

  it("pylearn2's convolutional tutorial network: 28x28 -> 11x11 -> 3x3", () => {
    const rng = new Rng(1);
    const h2 = new ConvRectifiedLinear({ layerName: "h2", outputChannels: 4, kernelShape: [5, 5], poolShape: [4, 4], poolStride: [2, 2], irange: 0.05 });
    h2.setInputSpace(new Conv2DSpace(28, 28, 1), rng);
    expect(h2.outputSpace).toMatchObject({ rows: 11, cols: 11, channels: 4 });
    const h3 = new ConvRectifiedLinear({ layerName: "h3", outputChannels: 6, kernelShape: [5, 5], poolShape: [4, 4], poolStride: [2, 2], irange: 0.05 });
    h3.setInputSpace(h2.outputSpace, rng);
    expect(h3.outputSpace).toMatchObject({ rows: 3, cols: 3, channels: 6 });
    const y = h3.fprop(h2.fprop(Tensor.zeros([2, 784])));
    expect([...y.shape]).toEqual([2, 6, 3, 3]);
  });

  it("a conv layer needs a Conv2DSpace input", () => {
    const l = new ConvElemwise({ layerName: "c", outputChannels: 2, kernelShape: [2, 2], nonlinearity: "linear", irange: 0.1 });
    expect(() => l.setInputSpace(new VectorSpace(16), new Rng(1))).toThrow(ConfigError);
  });
});

describe("pooling against its definition", () => {
  const N = 2, C = 2, H = 7, W = 6;
  const x = uniformValues(N * C * H * W, 31, -3, 3);
  const pool: [number, number] = [3, 2];
  const stride: [number, number] = [2, 2];
  const g = poolGeometry(H, W, pool, stride);
  const ref = (mean: boolean) => {
    const out = new Float64Array(N * C * g.oh * g.ow);
    for (let p = 0; p < N * C; p++)
      for (let i = 0; i < g.oh; i++)
        for (let j = 0; j < g.ow; j++) {
          let m = -Infinity, s = 0, cnt = 0;
          for (let a = i * stride[0]; a < Math.min(H, i * stride[0] + pool[0]); a++)
            for (let b = j * stride[1]; b < Math.min(W, j * stride[1] + pool[1]); b++) {
              const v = x[p * H * W + a * W + b];
              m = Math.max(m, v);
              s += v;
              cnt++;
            }
          out[(p * g.oh + i) * g.ow + j] = mean ? s / cnt : m;
        }
    return out;
  };
  for (const mean of [false, true]) {
    it(mean ? "mean pooling divides by the pixels inside the image" : "max pooling ignores the padding", () => {
      onFloat64(() => {
        const f = (t: Tensor) => (mean ? meanPool(t, pool, stride) : maxPool(t, pool, stride));
        const got = f(Tensor.from(x, [N, C, H, W])).toArray();
        const want = ref(mean);
        expect(got.length).toBe(want.length);
        want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
        expectParamGradients({ params: () => [], setParams: () => {} }, { shape: [N, C, H, W], values: x }, f);
      });
    });
  }
});

/** Cross-correlation of channels-last rows with (O, C, kh, kw) kernels, plus bias, from the definition. */
function convRef(x: Float64Array, N: number, H: number, W: number, C: number, l: ConvElemwise, opts: ConvOptions): Float64Array {
  const Wt = l.params()[0].toArray();
  const b = l.params()[1].toArray();
  const [kh, kw] = opts.kernelShape;
  const [sh, sw] = opts.kernelStride ?? [1, 1];
  const full = opts.borderMode === "full";
  const oh = convOutputSize(H, kh, sh, opts.borderMode ?? "valid");
  const ow = convOutputSize(W, kw, sw, opts.borderMode ?? "valid");
  const O = opts.outputChannels;
  const out = new Float64Array(N * O * oh * ow);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let r = 0; r < oh; r++)
        for (let c = 0; c < ow; c++) {
          let s = opts.tiedB ? b[o] : b[(o * oh + r) * ow + c];
          for (let ch = 0; ch < C; ch++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const rr = r * sh + i - (full ? kh - 1 : 0);
                const cc = c * sw + j - (full ? kw - 1 : 0);
                s += Wt[((o * C + ch) * kh + i) * kw + j] * at(x, n, rr, cc, ch, H, W, C);
              }
          out[((n * O + o) * oh + r) * ow + c] = s;
        }
  return out;
}

describe("ConvElemwise", () => {
  const variants: Array<[string, Partial<ConvOptions>]> = [
    ["valid, untied bias", {}],
    ["full border, tied bias", { borderMode: "full", tiedB: true }],
    ["stride 2", { kernelStride: [2, 2] }],
  ];
  for (const [name, extra] of variants) {
    it(`${name}: equals the direct cross-correlation, gradients match`, () => {
      onFloat64(() => {
        const opts: ConvOptions = { layerName: "c", outputChannels: 3, kernelShape: [3, 2], nonlinearity: "linear", irange: 0.5, initBias: 0.2, ...extra };
        const l = new ConvElemwise(opts);
        const [N, H, W, C] = [2, 6, 5, 2];
        l.setInputSpace(new Conv2DSpace(H, W, C), new Rng(2));
        // Give the untied biases distinct values so a wrong bias layout shows.
        const b = l.params()[1];
        l.setParams([l.params()[0], Tensor.from(uniformValues(b.size, 4), b.shape)]);
        const x = uniformValues(N * H * W * C, 5, -1, 1);
        const got = l.fprop(Tensor.from(x, [N, H * W * C])).toArray();
        const want = convRef(x, N, H, W, C, l, opts);
        expect(got.length).toBe(want.length);
        want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
        expectParamGradients(l, { shape: [N, H * W * C] }, (t) => l.fprop(t));
      });
    });
  }

  it("ConvRectifiedLinear: relu then max pooling; gradients match", () => {
    onFloat64(() => {
      const l = new ConvRectifiedLinear({ layerName: "h", outputChannels: 2, kernelShape: [2, 2], poolShape: [2, 2], poolStride: [1, 1], irange: 0.6, initBias: 0.05 });
      l.setInputSpace(new Conv2DSpace(5, 5, 1), new Rng(3));
      expect(l.outputSpace).toMatchObject({ rows: 3, cols: 3, channels: 2 });
      expectParamGradients(l, { shape: [2, 25] }, (t) => l.fprop(t));
    });
  });

  it("max pooling runs before the (non-decreasing) nonlinearity: the same values and gradients as after it", () => {
    onFloat64(() => {
      for (const [nl, slope] of [["relu", 0], ["relu", 0.2], ["tanh", 0], ["sigmoid", 0]] as const) {
        // 7x7 detector maps: the pylearn2 edge pools hang over the border (padded with -inf)
        const l = new ConvElemwise({ layerName: "h", outputChannels: 3, kernelShape: [3, 3], nonlinearity: nl, leftSlope: slope, poolType: "max", poolShape: [4, 4], poolStride: [2, 2], irange: 0.8 });
        l.setInputSpace(new Conv2DSpace(9, 9, 2), new Rng(4));
        const x = Tensor.from(uniformValues(3 * 162, 9), [3, 162]);
        const direct = (t: Tensor) => maxPool(applyNonlinearity(l.linearPart(t), nl, slope), [4, 4], [2, 2]);
        const grads = (f: (t: Tensor) => Tensor) => {
          const y = f(x);
          const w = Tensor.from(uniformValues(y.size, 5), y.shape);
          return [y.toArray(), ...gradients(y.mul(w).sum(), l.params()).map((g) => g.toArray())];
        };
        const [got, want] = [grads((t) => l.fprop(t)), grads(direct)];
        got.forEach((a, i) => a.forEach((v, k) => expect(v).toBeCloseTo(want[i][k], 12)));
      }
    });
  });

  it("mean pooling with a tanh nonlinearity: gradients match", () => {
    onFloat64(() => {
      const l = new ConvElemwise({ layerName: "h", outputChannels: 2, kernelShape: [2, 2], nonlinearity: "tanh", poolType: "mean", poolShape: [2, 2], poolStride: [2, 2], irange: 0.6 });
      l.setInputSpace(new Conv2DSpace(6, 5, 2), new Rng(3));
      expect(l.outputSpace).toMatchObject({ rows: 3, cols: 2 });
      expectParamGradients(l, { shape: [2, 60] }, (t) => l.fprop(t));
    });
  });

  it("max_kernel_norm clips each output kernel's norm", () => {
    const l = new ConvElemwise({ layerName: "c", outputChannels: 5, kernelShape: [4, 4], nonlinearity: "relu", irange: 1, maxKernelNorm: 1.2 });
    l.setInputSpace(new Conv2DSpace(8, 8, 3), new Rng(1));
    const before = norms(l.W, [1, 2, 3]);
    expect(Math.min(...before)).toBeGreaterThan(1.2);
    l.afterUpdate();
    norms(l.W, [1, 2, 3]).forEach((n) => expect(n).toBeCloseTo(1.2, 5));
    expect(l.drawable()).toEqual({ name: "c", tensor: "c_W", layout: "conv_oihw" });
  });
});

describe("LocallyConnected", () => {
  it("equals a direct loop over positions with unshared filters; gradients match", () => {
    onFloat64(() => {
      const [N, H, W, C, O] = [2, 5, 4, 2, 3];
      const [kh, kw] = [3, 2];
      const l = new LocallyConnected({ layerName: "lc", outputChannels: O, kernelShape: [kh, kw], kernelStride: [1, 2], irange: 0.5, nonlinearity: "linear" });
      l.setInputSpace(new Conv2DSpace(H, W, C), new Rng(9));
      const oh = 3, ow = 2;
      expect(l.outputSpace).toMatchObject({ rows: oh, cols: ow, channels: O });
      const b = l.params()[1];
      l.setParams([l.W, Tensor.from(uniformValues(b.size, 2), b.shape)]);
      const Wt = l.W.toArray();
      const bt = l.params()[1].toArray();
      const x = uniformValues(N * H * W * C, 3);
      const got = l.fprop(Tensor.from(x, [N, H * W * C])).toArray();
      const field = kh * kw * C;
      for (let n = 0; n < N; n++)
        for (let o = 0; o < O; o++)
          for (let r = 0; r < oh; r++)
            for (let c = 0; c < ow; c++) {
              const unit = (r * ow + c) * O + o;
              let s = bt[(o * oh + r) * ow + c];
              for (let i = 0; i < kh; i++)
                for (let j = 0; j < kw; j++)
                  for (let ch = 0; ch < C; ch++) s += Wt[unit * field + (i * kw + j) * C + ch] * at(x, n, r + i, c * 2 + j, ch, H, W, C);
              expect(got[((n * O + o) * oh + r) * ow + c]).toBeCloseTo(s, 12);
            }
      expectParamGradients(l, { shape: [N, H * W * C] }, (t) => l.fprop(t));
      expect(l.drawable()).toEqual({ name: "lc", tensor: "lc_W", layout: "local_units", view: { rows: 3, cols: 2, channels: 2 } });
      expect([...l.W.shape]).toEqual([oh * ow * O, field]);
    });
  });
});
