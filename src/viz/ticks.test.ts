import { describe, expect, it } from "vitest";
import { formatNumber, linearTicks, logTicks, niceStep } from "./ticks.js";

const labels = (ts: { label: string }[]) => ts.map((t) => t.label);

describe("ticks", () => {
  it("steps are 1, 2 or 5 times a power of ten", () => {
    expect(niceStep(10, 5).step).toBe(2);
    expect(niceStep(1, 5).step).toBeCloseTo(0.2, 15);
    expect(niceStep(100, 4).step).toBe(20); // 25 -> 2 x 10
    expect(niceStep(7, 10).step).toBeCloseTo(0.5, 15); // 0.7 -> 0.5
    expect(niceStep(0.009, 3).step).toBeCloseTo(0.002, 15); // 0.003 -> 0.002
    expect(niceStep(80, 10).step).toBe(10); // 8 rounds up to the next decade
  });

  it("linear ticks are round values inside the range, labelled with the decimals the step needs", () => {
    expect(labels(linearTicks(-0.3, 10.4, 5))).toEqual(["0", "2", "4", "6", "8", "10"]);
    // integer axes (epochs) never tick at halves
    expect(labels(linearTicks(0, 4, 9))).toContain("0.5");
    expect(labels(linearTicks(0, 4, 9, true))).toEqual(["0", "1", "2", "3", "4"]);
    expect(labels(linearTicks(0.31, 1.58, 6))).toEqual(["0.4", "0.6", "0.8", "1.0", "1.2", "1.4"]);
    // 0.1 * 3 must not print as 0.30000000000000004
    expect(labels(linearTicks(0, 0.35, 4))).toEqual(["0.0", "0.1", "0.2", "0.3"]);
    expect(labels(linearTicks(-1.05, 1.05, 4))).toEqual(["-1.0", "-0.5", "0.0", "0.5", "1.0"]);
  });

  it("large values use k / M suffixes, tiny ones exponents", () => {
    expect(labels(linearTicks(0, 4_600_000, 5))).toEqual(["0", "1M", "2M", "3M", "4M"]);
    expect(labels(linearTicks(0, 1_600_000, 4))).toEqual(["0", "0.5M", "1.0M", "1.5M"]);
    expect(labels(linearTicks(0, 45_000, 5))).toEqual(["0", "10k", "20k", "30k", "40k"]);
    expect(labels(linearTicks(0, 0.00045, 5))).toEqual(["0", "1e-4", "2e-4", "3e-4", "4e-4"]);
  });

  it("log ticks at powers of ten, with 2 and 5 when the axis is short enough for them", () => {
    expect(labels(logTicks(0.0008, 120, 8))).toEqual(["0.001", "0.01", "0.1", "1", "10", "100"]);
    expect(labels(logTicks(0.15, 6, 8))).toEqual(["0.2", "0.5", "1", "2", "5"]);
    expect(labels(logTicks(0.022, 3.1, 6))).toEqual(["0.05", "0.1", "0.2", "0.5", "1", "2"]);
    expect(labels(logTicks(1e-9, 1e3, 4))).toEqual(["1e-9", "1e-6", "0.001", "1", "1000"]);
  });

  it("formatNumber never prints -0", () => {
    expect(formatNumber(-0.00001, 2)).toBe("0.00");
    expect(formatNumber(-1.5, 1)).toBe("-1.5");
  });
});
