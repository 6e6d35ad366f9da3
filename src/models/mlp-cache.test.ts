import { describe, expect, it } from "vitest";
import { Tensor, noGrad } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { RectifiedLinear } from "../nn/linear.js";
import { Softmax } from "../nn/softmax.js";
import { MLP } from "./mlp.js";
import type { Batch, StepContext } from "./model.js";

// MLP.withForwardCache: inside it, the monitor's repeated passes over one batch (the cost, the cost's
// own channels, the model's channels) run the layers once and give the same numbers.

const ctx: StepContext = { rng: new Rng(1), training: false };

function setup(): { m: MLP; batch: Batch; calls: () => number } {
  const m = new MLP({
    nvis: 6,
    seed: 3,
    layers: [new RectifiedLinear({ layerName: "h0", dim: 5, irange: 0.5 }), new Softmax({ layerName: "y", nClasses: 4, irange: 0.3 })],
  });
  let n = 0;
  const h0 = m.layers[0];
  const fprop = h0.fprop.bind(h0);
  h0.fprop = (x: Tensor) => {
    n++;
    return fprop(x);
  };
  const rng = new Rng(2);
  const X = Tensor.from(Array.from({ length: 7 * 6 }, () => rng.uniformRange(-1, 1)), [7, 6]);
  const labels = Int32Array.from({ length: 7 }, (_, i) => i % 4);
  return { m, batch: { X, size: 7, labels, y: Tensor.from(Array.from({ length: 28 }, (_, k) => (k % 4 === labels[k >> 2] ? 1 : 0)), [7, 4]) }, calls: () => n };
}

function monitorPass(m: MLP, batch: Batch): Record<string, number> {
  const out: Record<string, number> = { cost: m.costFromX(batch).item(), again: m.costFromX(batch).item() };
  for (const [k, v] of Object.entries(m.monitorChannels(batch, ctx))) out[k] = typeof v === "number" ? v : v.item();
  out.encode = m.encode(batch.X).sum().item();
  return out;
}

describe("MLP forward cache", () => {
  it("gives the channels of uncached passes while running the first layer once per batch", () => {
    const a = setup();
    const plain = noGrad(() => monitorPass(a.m, a.batch));
    expect(a.calls()).toBe(4);
    const b = setup();
    const cached = noGrad(() => b.m.withForwardCache(() => monitorPass(b.m, b.batch)));
    expect(b.calls()).toBe(1);
    expect(cached).toEqual(plain);
  });

  it("is not used while gradients are recorded, for another batch, or after the scope ends", () => {
    const { m, batch, calls } = setup();
    m.withForwardCache(() => {
      noGrad(() => m.encode(batch.X));
      m.encode(batch.X); // gradients on: a fresh pass
      noGrad(() => m.encode(Tensor.from(batch.X.toArray(), batch.X.shape))); // another tensor
    });
    noGrad(() => m.encode(batch.X));
    expect(calls()).toBe(4);
  });
});
