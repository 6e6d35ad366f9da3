import { describe, expect, it } from "vitest";
import { Monitor } from "./monitor.js";
import { And, ChannelTarget, EpochCounter, MatchChannel, MonitorBased, Or, type TerminationCriterion } from "./termination.js";

/** Feeds the criterion one monitoring step per value (epochs 0, 1, 2, ...) and collects its answers. */
function answers(c: TerminationCriterion, values: number[], channel = "objective"): boolean[] {
  const m = new Monitor();
  return values.map((v, i) => {
    if (i > 0) m.reportEpoch();
    m.record({ [channel]: v });
    return c.continueLearning(m);
  });
}

describe("EpochCounter", () => {
  it("continues while fewer than max_epochs epochs have passed since the first check", () => {
    expect(answers(new EpochCounter(3), [9, 9, 9, 9, 9])).toEqual([true, true, true, false, false]);
    expect(answers(new EpochCounter(0), [9])).toEqual([false]);
  });

  it("new_epochs: false counts from the model's first epoch", () => {
    const m = new Monitor();
    m.epochsSeen = 5;
    expect(new EpochCounter(6, false).continueLearning(m)).toBe(true);
    expect(new EpochCounter(5, false).continueLearning(m)).toBe(false);
    expect(new EpochCounter(1, true).continueLearning(m)).toBe(true); // offset 5
  });
});

describe("MonitorBased", () => {
  it("N=1, prop 0.01 (the GRBM tutorial): stops at the first epoch that improves the best by less than 1%", () => {
    // best: 10 -> 9 (>1% better) -> 8.95 is only 0.56% better: stop.
    expect(answers(new MonitorBased(0.01, 1), [10, 9, 8.95, 1])).toEqual([true, true, false, true]);
  });

  it("N=3: the countdown resets on improvement and runs out after 3 checks without", () => {
    const c = new MonitorBased(0.1, 3, "valid_y_misclass");
    // 1.0 (reset) 0.95 (<10%: 2) 0.95 (1) 0.8 (reset, best .8) 0.79 (2) 0.78 (1) 0.77 (0: stop)
    expect(answers(c, [1, 0.95, 0.95, 0.8, 0.79, 0.78, 0.77], "valid_y_misclass")).toEqual([true, true, true, true, true, true, false]);
  });

  it("prop_decrease 0 means any decrease below the best resets", () => {
    expect(answers(new MonitorBased(0, 2), [5, 4.999, 4.999, 4.999])).toEqual([true, true, true, false]);
  });

  it("a channel that does not exist is an error naming the channels", () => {
    const m = new Monitor();
    m.record({ valid_y_misclass: 0.5, objective: 1 });
    expect(() => new MonitorBased(0.01, 1, "valid_y_misclas").continueLearning(m)).toThrow(/no monitor channel named 'valid_y_misclas'. Did you mean 'valid_y_misclass'/);
  });

  it("its countdown and best survive state() / loadState()", () => {
    const a = new MonitorBased(0.1, 3);
    const m = new Monitor();
    for (const v of [1, 0.95]) {
      m.record({ objective: v });
      a.continueLearning(m);
    }
    const b = new MonitorBased(0.1, 3);
    b.loadState(JSON.parse(JSON.stringify(a.state())));
    for (const v of [0.95, 0.94]) {
      m.record({ objective: v });
      expect(b.continueLearning(m)).toBe(a.continueLearning(m));
    }
  });
  it("resumed with a larger N, stops where an uninterrupted run with that N stops", () => {
    const values = [1, 0.95, 0.94, 0.93, 0.92, 0.91];
    const short = new MonitorBased(0.1, 3);
    const m = new Monitor();
    for (const v of values.slice(0, 3)) {
      m.record({ objective: v });
      short.continueLearning(m);
    }
    const resumed = new MonitorBased(0.1, 5);
    resumed.loadState(JSON.parse(JSON.stringify(short.state())));
    const straight = answers(new MonitorBased(0.1, 5), values);
    const after: boolean[] = [];
    for (const v of values.slice(3)) {
      m.record({ objective: v });
      after.push(resumed.continueLearning(m));
    }
    expect(after).toEqual(straight.slice(3));
    expect(straight).toEqual([true, true, true, true, true, false]);
  });

  it("an older checkpoint's countdown still resumes as written", () => {
    const c = new MonitorBased(0.1, 30);
    c.loadState({ countdown: 1, best: 0.5 });
    const m = new Monitor();
    m.record({ objective: 0.6 });
    expect(c.continueLearning(m)).toBe(false);
  });
});

describe("ChannelTarget", () => {
  it("continues while the channel is above the target", () => {
    expect(answers(new ChannelTarget("objective", 0.5), [2, 0.6, 0.5, 0.4])).toEqual([true, true, false, false]);
  });
});

describe("MatchChannel", () => {
  const stage0 = { channels: { train_objective: { val: [0.9, 0.4, 0.3], batch: [0, 1, 2], example: [0, 9, 18], epoch: [0, 1, 2], time: [0, 1, 2] } } };
  const monitor = () => {
    const m = new Monitor();
    m.earlier.set("monitor_stage_0", stage0);
    return m;
  };

  it("continues while the channel is above the earlier monitor's last value of its channel, and keeps that target", () => {
    const c = new MatchChannel("valid_objective", "train_objective", "monitor_stage_0");
    const m = monitor();
    const got = [0.8, 0.31, 0.3, 0.1].map((v, i) => {
      if (i > 0) m.reportEpoch();
      m.record({ valid_objective: v });
      return c.continueLearning(m);
    });
    expect(got).toEqual([true, true, false, false]);
    // A resumed run decides with the saved target, even where the earlier monitor is not set aside again.
    const resumed = new MatchChannel("valid_objective", "train_objective", "monitor_stage_0");
    resumed.loadState(c.state());
    const bare = new Monitor();
    bare.record({ valid_objective: 0.31 });
    expect(resumed.continueLearning(bare)).toBe(true);
  });

  it("names what is missing: the earlier monitor, or its channel (with a suggestion)", () => {
    const m = monitor();
    m.record({ valid_objective: 1 });
    expect(() => new MatchChannel("valid_objective", "train_objective", "stage_0").continueLearning(m))
      .toThrow(/no earlier monitor named 'stage_0' \(push_monitor names one.*Earlier monitors: monitor_stage_0$/);
    expect(() => new MatchChannel("valid_objective", "train_objectiv", "monitor_stage_0").continueLearning(m))
      .toThrow(/the earlier monitor 'monitor_stage_0' has no values for channel 'train_objectiv'\. Did you mean 'train_objective'\? Its channels: train_objective$/);
  });
});

describe("And / Or", () => {
  it("And stops when any criterion stops; Or only when all do", () => {
    const vals = [1, 1, 1, 1, 1];
    expect(answers(new And([new EpochCounter(2), new EpochCounter(4)]), vals)).toEqual([true, true, false, false, false]);
    expect(answers(new Or([new EpochCounter(4), new MonitorBased(0.5, 1)]), [10, 1, 1, 1, 1, 1])).toEqual([true, true, true, true, true, false]);
    // pylearn2's any() short-circuits and EpochCounter starts counting at its first call: the
    // second counter is first asked at epoch 2, so it runs 4 epochs from there.
    expect(answers(new Or([new EpochCounter(2), new EpochCounter(4)]), [1, 1, 1, 1, 1, 1, 1])).toEqual([true, true, true, true, true, true, false]);
  });

  it("And short-circuits like pylearn2's all(): a criterion after a 'stop' is not consulted", () => {
    const later = new MonitorBased(0.01, 1);
    const and = new And([new EpochCounter(0), later]);
    answers(and, [1, 1]);
    expect(later.state()).toEqual({ sinceImprovement: 0, best: null });
  });
});
