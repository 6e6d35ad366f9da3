import { describe, expect, it } from "vitest";
import { Tensor } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { AdaDelta, AdaGrad, Adam, Momentum, RMSProp, type LearningRule } from "./learning-rules.js";

/**
 * Each rule against its formula written out in float64 on plain arrays (pylearn2's
 * learning_rule.py; Adam from Kingma & Ba), over several steps with changing gradients and
 * per-parameter learning-rate scales.
 */
/** One step of the rule on one parameter; `t` counts steps from 1. */
type Ref = (p: number[], g: number[], lr: number, s: Record<string, number[]>, t: number) => void;

const refs: Record<string, { make: () => LearningRule; init: string[]; step: Ref }> = {
  momentum: {
    make: () => new Momentum(0.9),
    init: ["v"],
    step: (p, g, lr, s) => p.forEach((_, i) => {
      s.v[i] = 0.9 * s.v[i] - lr * g[i];
      p[i] += s.v[i];
    }),
  },
  nesterov: {
    make: () => new Momentum(0.5, true),
    init: ["v"],
    step: (p, g, lr, s) => p.forEach((_, i) => {
      s.v[i] = 0.5 * s.v[i] - lr * g[i];
      p[i] += 0.5 * s.v[i] - lr * g[i];
    }),
  },
  adadelta: {
    make: () => new AdaDelta(0.95),
    init: ["eg", "edx"],
    step: (p, g, lr, s) => p.forEach((_, i) => {
      s.eg[i] = 0.95 * s.eg[i] + 0.05 * g[i] * g[i];
      const dx = (-Math.sqrt(s.edx[i] + lr) / Math.sqrt(s.eg[i] + lr)) * g[i];
      s.edx[i] = 0.95 * s.edx[i] + 0.05 * dx * dx;
      p[i] += dx;
    }),
  },
  adagrad: {
    make: () => new AdaGrad(1e5),
    init: ["sum"],
    step: (p, g, lr, s) => p.forEach((_, i) => {
      s.sum[i] += g[i] * g[i];
      p[i] -= (lr * g[i]) / Math.max(1e-5, Math.sqrt(s.sum[i]));
    }),
  },
  rmsprop: {
    make: () => new RMSProp(0.9, 1e5),
    init: ["ms"],
    step: (p, g, lr, s) => p.forEach((_, i) => {
      s.ms[i] = 0.9 * s.ms[i] + 0.1 * g[i] * g[i];
      p[i] -= (lr * g[i]) / Math.max(Math.sqrt(s.ms[i]), 1e-5);
    }),
  },
  adam: {
    make: () => new Adam(0.9, 0.999, 1e-8),
    init: ["m", "v"],
    step: (p, g, lr, s, t) => p.forEach((_, i) => {
      s.m[i] = 0.9 * s.m[i] + 0.1 * g[i];
      s.v[i] = 0.999 * s.v[i] + 0.001 * g[i] * g[i];
      p[i] -= (lr * (s.m[i] / (1 - 0.9 ** t))) / (Math.sqrt(s.v[i] / (1 - 0.999 ** t)) + 1e-8);
    }),
  },
};

describe.each(Object.keys(refs))("%s", (name) => {
  const r = refs[name];
  it("matches its formula over 5 steps, with a per-parameter lr scale", () => {
    const rng = new Rng(11);
    const init = [Array.from(rng.fillUniform(new Float32Array(6), -1, 1)), Array.from(rng.fillUniform(new Float32Array(3), -1, 1))];
    const params = [Tensor.param(init[0], [2, 3], "W"), Tensor.param(init[1], [3], "b")];
    const scales = [1, 0.25];
    const rule = r.make();
    rule.setup(params);
    const ref = init.map((p) => [...p]);
    const slots = init.map((p) => Object.fromEntries(r.init.map((k) => [k, new Array(p.length).fill(0)])));
    for (let step = 0; step < 5; step++) {
      const g = init.map((p) => Array.from(rng.fillUniform(new Float32Array(p.length), -2, 2)));
      rule.update(params, g.map((x, i) => Tensor.from(x, params[i].shape)), 0.05, scales);
      ref.forEach((p, i) => r.step(p, g[i], 0.05 * scales[i], slots[i], step + 1));
    }
    params.forEach((p, i) => {
      const got = Array.from(p.toArray());
      got.forEach((v, j) => expect(v).toBeCloseTo(ref[i][j], 5));
    });
  });

  it("continues identically after saving and loading its state", () => {
    const make = () => [Tensor.param([0.5, -0.25, 1], [3], "w")];
    const grads = [[0.3, -0.2, 0.1], [-0.5, 0.4, 0.2], [0.1, 0.1, -0.3]].map((g) => [Tensor.from(g, [3])]);
    const a = make();
    const ra = r.make();
    ra.setup(a);
    grads.forEach((g) => ra.update(a, g, 0.1, [1]));

    const b = make();
    const rb1 = r.make();
    rb1.setup(b);
    rb1.update(b, grads[0], 0.1, [1]);
    const saved = rb1.state();
    const rb2 = r.make();
    rb2.setup(b);
    rb2.loadState(saved);
    grads.slice(1).forEach((g) => rb2.update(b, g, 0.1, [1]));
    expect(Array.from(b[0].toArray())).toEqual(Array.from(a[0].toArray()));
  });
});

it("Momentum reports its coefficient as a monitor channel", () => {
  expect(new Momentum(0.5).monitorChannels()).toEqual({ momentum: 0.5 });
});
