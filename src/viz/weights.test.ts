import { describe, expect, it } from "vitest";
import type { ModelFileContents } from "../io/model-file.js";
import { UsageError } from "../util/errors.js";
import { extractFilters, guessView, selectLayer, weightStats } from "./weights.js";

const t = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });

describe("extractFilters", () => {
  it("vis_by_hid: filter j is column j of W (input x units), shaped by the model's view", () => {
    // W is 4 inputs x 3 units, W[i][j] = 10 * i + j; view 2x2 grey.
    const W = [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32];
    const m: ModelFileContents = { className: "RBM", tensors: { W: t([4, 3], W) }, view: { rows: 2, cols: 2, channels: 1 } };
    const f = extractFilters(m, "m.pkl", selectLayer(m, "m.pkl"));
    expect([f.count, f.rows, f.cols, f.channels, f.viewGuessed]).toEqual([3, 2, 2, 1, false]);
    expect(Array.from(f.data)).toEqual([0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32]);
    expect(f.norms[1]).toBeCloseTo(Math.sqrt(1 + 121 + 441 + 961), 10);
  });

  it("local_units: a row per unit, with the layer's own view", () => {
    const m: ModelFileContents = {
      className: "MLP",
      tensors: { "layers.0.W": t([2, 3], [1, 2, 3, 4, 5, 6]) },
      layers: [{ name: "h0", tensor: "layers.0.W", layout: "local_units", view: { rows: 1, cols: 3, channels: 1 } }],
    };
    const f = extractFilters(m, "m.pkl", selectLayer(m, "m.pkl"));
    expect([f.count, f.rows, f.cols]).toEqual([2, 1, 3]);
    expect(Array.from(f.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("conv_oihw with 3 input channels: one colour tile per output channel, channels moved last", () => {
    // 2 out x 3 in x 1 x 2: value = 100 o + 10 i + k.
    const v: number[] = [];
    for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) v.push(100 * o + 10 * i + k);
    const m: ModelFileContents = { className: "MLP", tensors: { K: t([2, 3, 1, 2], v) }, layers: [{ name: "conv", tensor: "K", layout: "conv_oihw" }] };
    const f = extractFilters(m, "m.pkl", selectLayer(m, "m.pkl", "conv"));
    expect([f.count, f.rows, f.cols, f.channels, f.units]).toEqual([2, 1, 2, 3, 2]);
    expect(Array.from(f.data.subarray(0, 6))).toEqual([0, 10, 20, 1, 11, 21]);
    expect(Array.from(f.data.subarray(6))).toEqual([100, 110, 120, 101, 111, 121]);
  });

  it("conv_oihw with 2 input channels: a grey tile per (out, in), a grid row per output channel", () => {
    const m: ModelFileContents = {
      className: "MLP",
      tensors: { K: t([3, 2, 2, 2], Array.from({ length: 24 }, (_, i) => i)) },
      layers: [{ name: "conv", tensor: "K", layout: "conv_oihw" }],
    };
    const f = extractFilters(m, "m.pkl", selectLayer(m, "m.pkl"));
    expect([f.count, f.channels, f.grid]).toEqual([6, 1, { rows: 3, cols: 2 }]);
    expect(Array.from(f.data.subarray(4, 8))).toEqual([4, 5, 6, 7]); // (out 0, in 1)
    expect(f.norms.length).toBe(3);
  });

  it("applies a transform to each filter vector before shaping it", () => {
    const m: ModelFileContents = { className: "RBM", tensors: { W: t([4, 1], [1, 2, 3, 4]) } };
    const f = extractFilters(m, "m.pkl", selectLayer(m, "m.pkl"), (v) => v.map((x) => -x));
    expect(Array.from(f.data)).toEqual([-1, -2, -3, -4]);
    expect(f.norms[0]).toBeCloseTo(Math.sqrt(30), 12); // norms are of the stored weights
  });

  it("rejects a view that does not match the filter size, naming the layer", () => {
    const m: ModelFileContents = { className: "RBM", tensors: { W: t([5, 1], [1, 2, 3, 4, 5]) }, view: { rows: 2, cols: 2, channels: 1 } };
    expect(() => extractFilters(m, "m.pkl", selectLayer(m, "m.pkl"))).toThrow(/filters of 5 values, but the view 2x2x1 holds 4/);
  });
});

describe("guessView (pylearn2 make_viewer's guess)", () => {
  it("square grey, then square colour, then the most square factorisation", () => {
    expect(guessView(784)).toEqual({ rows: 28, cols: 28, channels: 1 });
    expect(guessView(64)).toEqual({ rows: 8, cols: 8, channels: 1 });
    expect(guessView(192)).toEqual({ rows: 8, cols: 8, channels: 3 });
    expect(guessView(3072)).toEqual({ rows: 32, cols: 32, channels: 3 });
    expect(guessView(12)).toEqual({ rows: 2, cols: 2, channels: 3 });
    expect(guessView(24)).toEqual({ rows: 4, cols: 6, channels: 1 });
    expect(guessView(7)).toEqual({ rows: 1, cols: 7, channels: 1 });
  });
});

describe("selectLayer", () => {
  const m: ModelFileContents = {
    className: "MLP",
    tensors: { "layers.0.W": t([4, 2], new Array(8).fill(0)), "layers.1.W": t([2, 2], new Array(4).fill(0)), b: t([2], [0, 0]) },
    layers: [
      { name: "h0", tensor: "layers.0.W", layout: "vis_by_hid" },
      { name: "y", tensor: "layers.1.W", layout: "vis_by_hid" },
    ],
  };
  it("defaults to the first layer and finds others by layer or tensor name", () => {
    expect(selectLayer(m, "m.pkl").name).toBe("h0");
    expect(selectLayer(m, "m.pkl", "y").tensor).toBe("layers.1.W");
    expect(selectLayer(m, "m.pkl", "layers.1.W").name).toBe("y");
  });
  it("an unknown name is a usage error with a suggestion", () => {
    expect(() => selectLayer(m, "m.pkl", "h1")).toThrow(UsageError);
    expect(() => selectLayer(m, "m.pkl", "h1")).toThrow(/no layer or 2-D tensor named `h1`\. Did you mean `h0`\?/);
  });
  it("a model with no layers and no W says what it has", () => {
    const bare: ModelFileContents = { className: "X", tensors: { b: t([2], [0, 0]) } };
    expect(() => selectLayer(bare, "x.pkl")).toThrow(/no drawable weights.*its tensors: b/);
  });
});

describe("weightStats", () => {
  it("min / mean / max of |w| over values and of the filter norms", () => {
    const m: ModelFileContents = { className: "RBM", tensors: { W: t([2, 2], [3, -1, -4, 0]) } };
    const s = weightStats(extractFilters(m, "m.pkl", selectLayer(m, "m.pkl")));
    expect(s.magnitude).toEqual({ min: 0, mean: 2, max: 4 });
    // columns (3, -4) and (-1, 0): norms 5 and 1
    expect(s.norms).toEqual({ min: 1, mean: 3, max: 5 });
  });
});
