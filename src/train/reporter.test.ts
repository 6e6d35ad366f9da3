import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { ConsoleReporter, formatDuration } from "./reporter.js";
import { formatChannelValue, sortChannelNames } from "./monitor.js";

function sink(isTTY: boolean): Writable & { text: string; isTTY: boolean; columns: number } {
  const w = new Writable({ write: (c, _e, cb) => ((w.text += String(c)), cb()) }) as Writable & { text: string; isTTY: boolean; columns: number };
  w.text = "";
  w.isTTY = isTTY;
  w.columns = 100;
  return w;
}

describe("ConsoleReporter", () => {
  it("draws a progress bar with examples/s and ETA on a terminal, and clears it when the epoch ends", () => {
    const out = sink(false);
    const err = sink(true);
    const r = new ConsoleReporter({ stdout: out, stderr: err });
    r.progress(3, { batch: 15000, numBatches: 30000, examples: 75000, numExamples: 150000 }, 2500);
    // 75000 examples left at 2500/s: 30 s.
    expect(err.text).toMatch(/^\repoch 3 █+░+ +50% 15000\/30000 batches {2}2\.5k ex\/s {2}ETA 30\.0 s\x1b\[K$/);
    r.epochTrained(3, 61);
    expect(err.text.endsWith("\r\x1b[K")).toBe(true);
    expect(out.text).toBe("Time this epoch: 1m01s\n");
  });

  it("draws nothing when stderr is not a terminal, and nothing at all with quiet", () => {
    const err = sink(false);
    new ConsoleReporter({ stdout: sink(false), stderr: err }).progress(1, { batch: 1, numBatches: 2, examples: 5, numExamples: 10 }, 100);
    expect(err.text).toBe("");
    const out = sink(false);
    const tty = sink(true);
    const q = new ConsoleReporter({ stdout: out, stderr: tty, quiet: true });
    q.progress(1, { batch: 1, numBatches: 2, examples: 5, numExamples: 10 }, 100);
    q.monitor({ epochs: 1, batches: 2, examples: 10, seconds: 1 }, { objective: 1 });
    expect(out.text + tty.text).toBe("");
  });

  it("writes the monitor block in pylearn2's layout, channels in number-aware order", () => {
    const out = sink(false);
    new ConsoleReporter({ stdout: out, stderr: sink(false) }).monitor(
      { epochs: 2, batches: 60000, examples: 300000, seconds: 5 },
      { objective: 0.25, layer_10_max: 3, layer_2_max: 12345.678, h_mean: 4.410443e-6 },
    );
    expect(out.text).toBe(
      "Monitoring step:\n\tEpochs seen: 2\n\tBatches seen: 60000\n\tExamples seen: 300000\n" +
        "\th_mean: 4.410443e-6\n\tlayer_2_max: 1.235e+4\n\tlayer_10_max: 3\n\tobjective: 0.25\n",
    );
  });
});

describe("formatting helpers", () => {
  it("sorts channel names with numbers compared as numbers", () => {
    expect(sortChannelNames(["h10", "h2", "h1_b", "a"])).toEqual(["a", "h1_b", "h2", "h10"]);
  });
  it("formats values and durations", () => {
    expect(formatChannelValue(0.1234567891)).toBe("0.1234568");
    expect(formatChannelValue(NaN)).toBe("NaN");
    expect(formatDuration(3725)).toBe("1h02m");
    expect(formatDuration(NaN)).toBe("--");
  });
});
