import { describe, expect, it } from "vitest";
import type { TrainingAlgorithm } from "./algorithm.js";
import { adjustLearningRate, LinearDecayOverEpoch, MomentumAdjustor, MonitorBasedLRAdjuster, MonitorBasedSaveBest, OneOverEpoch, type TrainContext } from "./extensions.js";
import { Momentum } from "./learning-rules.js";
import { Monitor } from "./monitor.js";
import { ExponentialDecay, LinearDecay } from "./update-callbacks.js";
import { LinearRegression, regressionData } from "./testing/fixtures.js";

/** A stand-in algorithm holding only what extensions touch. */
function fakeAlgorithm(lr: number, rule: Momentum | null = null): TrainingAlgorithm {
  return { learningRate: lr, learningRule: rule } as unknown as TrainingAlgorithm;
}

function context(alg: TrainingAlgorithm, monitor = new Monitor(), saved: string[] = []): TrainContext {
  const model = new LinearRegression(2, 1);
  return { model, dataset: regressionData(4, 2, 1), algorithm: alg, monitor, saveModelTo: (p) => saved.push(p), log: () => {} };
}

const f32 = Math.fround;

describe("MonitorBasedLRAdjuster (pylearn2 defaults: high 1, shrink .99, low .99, grow 1.01, clip [1e-7, 1])", () => {
  const d = { highTrigger: 1, shrinkAmt: 0.99, lowTrigger: 0.99, growAmt: 1.01, minLr: 1e-7, maxLr: 1 };
  it("shrinks when the channel rose, grows when it fell by less than 1%, keeps it otherwise, and clips", () => {
    expect(adjustLearningRate(0.1, 1.1, 1.0, d)).toBeCloseTo(0.099, 12); // rose: * .99
    expect(adjustLearningRate(0.1, 0.995, 1.0, d)).toBeCloseTo(0.101, 12); // fell 0.5%: * 1.01
    expect(adjustLearningRate(0.1, 0.9, 1.0, d)).toBe(0.1); // fell 10%: unchanged
    expect(adjustLearningRate(0.999, 0.995, 1.0, d)).toBe(1); // grown past max_lr: clipped
    expect(adjustLearningRate(1e-7, 2, 1, d)).toBe(1e-7); // shrunk below min_lr: clipped
  });

  it("does nothing after the first monitoring step, then follows the objective channel", () => {
    const alg = fakeAlgorithm(0.1);
    const m = new Monitor();
    const ctx = context(alg, m);
    const ext = new MonitorBasedLRAdjuster();
    m.record({ objective: 1, learning_rate: 0.1 });
    ext.onMonitor(ctx);
    expect(alg.learningRate).toBe(0.1);
    m.record({ objective: 1.5, learning_rate: 0.1 });
    ext.onMonitor(ctx);
    expect(alg.learningRate).toBeCloseTo(0.099, 12);
  });

  it("dataset_name watches <name>_objective; two objectives without a name is an error", () => {
    const m = new Monitor();
    m.record({ train_objective: 1, valid_objective: 1 });
    expect(() => new MonitorBasedLRAdjuster().onMonitor(context(fakeAlgorithm(0.1), m))).toThrow(/several channels end with 'objective'/);
    const alg = fakeAlgorithm(0.1);
    const ext = new MonitorBasedLRAdjuster(1, 0.5, 0.99, 1.01, 1e-7, 1, "valid");
    ext.onMonitor(context(alg, m));
    m.record({ train_objective: 1, valid_objective: 3 });
    ext.onMonitor(context(alg, m));
    expect(alg.learningRate).toBeCloseTo(0.05, 12);
  });
});

describe("MomentumAdjustor", () => {
  it("moves momentum linearly from its initial value to final_momentum between start and saturate", () => {
    const rule = new Momentum(f32(0.5));
    const alg = fakeAlgorithm(0.1, rule);
    const m = new Monitor();
    const ctx = context(alg, m);
    const ext = new MomentumAdjustor(0.7, 1, 5);
    ext.setup(ctx); // count 0
    expect(rule.momentum).toBe(f32(0.5));
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) {
      ext.onMonitor(ctx); // count 1..7
      seen.push(rule.momentum);
    }
    const m0 = f32(0.5);
    const expected = [1, 2, 3, 4, 5, 6, 7].map((c) => {
      const a = Math.min(1, Math.max(0, (c - 1) / 4));
      return f32(m0 * (1 - a) + a * 0.7);
    });
    expect(seen).toEqual(expected);
    expect(seen[0]).toBe(f32(0.5));
    expect(seen[4]).toBe(f32(0.7));
  });

  it("start == saturate jumps to the final value at start; no Momentum rule is a clear error", () => {
    const ext = new MomentumAdjustor(0.9, 2, 2);
    expect(ext.valueAt(1, 0.5)).toBe(0.5);
    expect(ext.valueAt(2, 0.5)).toBe(0.9);
    expect(() => new MomentumAdjustor(0.9, 1, 2).setup(context(fakeAlgorithm(0.1)))).toThrow(/learning_rule: .*Momentum/);
  });
});

describe("LinearDecayOverEpoch", () => {
  it("lr0 before start, then steps of (lr0 - lr0*decay)/(saturate-start+1), then lr0*decay", () => {
    const alg = fakeAlgorithm(1);
    const ctx = context(alg);
    const ext = new LinearDecayOverEpoch(2, 4, 0.1);
    ext.setup(ctx);
    const lrs = [alg.learningRate];
    for (let i = 0; i < 5; i++) {
      ext.onMonitor(ctx);
      lrs.push(alg.learningRate);
    }
    const step = (1 - 0.1) / 3;
    const want = [1, 1, 1 - step, 1 - 2 * step, 0.1, 0.1].map(f32);
    lrs.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });
});

describe("OneOverEpoch", () => {
  it("lr0 * half_life / (count - start + half_life) from start on, clipped at min_lr", () => {
    const alg = fakeAlgorithm(0.2);
    const ctx = context(alg);
    const ext = new OneOverEpoch(2, 3, 0.05);
    const lrs: number[] = [];
    for (let i = 0; i < 6; i++) {
      ext.onMonitor(ctx);
      lrs.push(alg.learningRate);
    }
    const want = [1, 2, 3, 4, 5, 6].map((c) => Math.max(0.05, c < 2 ? 0.2 : (0.2 * 3) / (c - 2 + 3)));
    lrs.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });
});

describe("MonitorBasedSaveBest", () => {
  it("saves on each new minimum at or after start_epoch, and keeps the best parameters", () => {
    const m = new Monitor();
    const saved: string[] = [];
    const ctx = context(fakeAlgorithm(0.1), m, saved);
    const ext = new MonitorBasedSaveBest("valid_y_misclass", "/tmp/best.pkl", true, 1);
    const vals = [0.5, 0.4, 0.45, 0.3, 0.3];
    const bestAfter: number[] = [];
    vals.forEach((v, i) => {
      if (i > 0) m.reportEpoch();
      m.record({ valid_y_misclass: v });
      ext.onMonitor(ctx);
      bestAfter.push(ext.bestCost);
    });
    // epoch 0 is before start_epoch 1: not saved; 0.4 (epoch 1) and 0.3 (epoch 3) are new bests.
    expect(bestAfter).toEqual([Infinity, 0.4, 0.4, 0.3, 0.3]);
    expect(saved).toEqual(["/tmp/best.pkl", "/tmp/best.pkl"]);
    expect(ext.bestEpoch).toBe(3);
    expect(Object.keys(ext.bestParams ?? {})).toEqual(["W", "b"]);
  });

  it("higher_is_better keeps the maximum", () => {
    const m = new Monitor();
    const ext = new MonitorBasedSaveBest("acc", null, true, 0, true);
    const ctx = context(fakeAlgorithm(0.1), m);
    for (const v of [0.5, 0.7, 0.6]) {
      m.record({ acc: v });
      ext.onMonitor(ctx);
    }
    expect(ext.bestCost).toBe(0.7);
  });
});

describe("update callbacks", () => {
  it("ExponentialDecay: lr_t = lr0 / decay^t until min_lr, then min_lr for good", () => {
    const alg = { learningRate: 0.05 };
    const cb = new ExponentialDecay(1.5, 0.01);
    const lrs: number[] = [];
    for (let i = 0; i < 6; i++) {
      cb.afterStep(alg);
      lrs.push(alg.learningRate);
    }
    const want = [1, 2, 3, 4, 5, 6].map((t) => Math.max(0.01, 0.05 / 1.5 ** t));
    // 0.05/1.5^4 = 0.00988 < 0.01: clipped from step 4 on.
    lrs.forEach((v, i) => expect(v).toBeCloseTo(want[i], 8));
    expect(lrs[3]).toBe(f32(0.01));
  });

  it("LinearDecay: lr0 until step start, linear to lr0*decay at saturate", () => {
    const alg = { learningRate: 1 };
    const cb = new LinearDecay(2, 5, 0.2);
    const lrs: number[] = [];
    for (let i = 0; i < 7; i++) {
      cb.afterStep(alg);
      lrs.push(alg.learningRate);
    }
    const step = 0.8 / 4;
    const want = [1, 1 - step, 1 - 2 * step, 1 - 3 * step, 0.2, 0.2, 0.2];
    lrs.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });
});
