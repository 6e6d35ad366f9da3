import { describe, expect, it } from "vitest";
import { Rng } from "../util/rng.js";
import { planBatches, SubsetIterator, type BatchSelection, type IterationMode } from "./iterator.js";

function drain(it: SubsetIterator): BatchSelection[] {
  const out: BatchSelection[] = [];
  for (let s = it.next(); s !== null; s = it.next()) out.push(s instanceof Int32Array ? Int32Array.from(s) : s);
  return out;
}

function indices(sels: BatchSelection[]): number[] {
  return sels.flatMap((s) => (s instanceof Int32Array ? Array.from(s) : Array.from({ length: s.stop - s.start }, (_, i) => s.start + i)));
}

describe("planBatches (pylearn2's SubsetIterator sizing)", () => {
  it("derives the batch count from the size and the size from the count", () => {
    expect(planBatches(10, "sequential", 3, null, "t")).toEqual({ batchSize: 3, numBatches: 4, numExamples: 10 });
    // monitoring_batches: 20 with no batch size covers the whole set: ceil(150000 / 20) = 7500 per batch.
    expect(planBatches(150000, "sequential", null, 20, "t")).toEqual({ batchSize: 7500, numBatches: 20, numExamples: 150000 });
    expect(planBatches(10, "sequential", 3, 2, "t")).toEqual({ batchSize: 3, numBatches: 2, numExamples: 6 });
    expect(planBatches(10, "random_uniform", 4, null, "t")).toEqual({ batchSize: 4, numBatches: 2, numExamples: 8 });
  });

  it("rejects impossible requests with the numbers", () => {
    expect(() => planBatches(10, "sequential", 3, 5, "SGD")).toThrow(/10 examples can only provide 4 batches of 3, but 5/);
    expect(() => planBatches(10, "sequential", null, null, "SGD")).toThrow(/batch size or a number of batches/);
  });
});

describe("SubsetIterator", () => {
  it("sequential: contiguous slices, a short last one", () => {
    const it = new SubsetIterator("sequential", 10, planBatches(10, "sequential", 4, null, "t"), null);
    expect(drain(it)).toEqual([
      { start: 0, stop: 4 },
      { start: 4, stop: 8 },
      { start: 8, stop: 10 },
    ]);
  });

  it("shuffled_sequential: each example exactly once, a different order per pass from one stream", () => {
    const rng = new Rng(3);
    const plan = planBatches(23, "shuffled_sequential", 5, null, "t");
    const a = indices(drain(new SubsetIterator("shuffled_sequential", 23, plan, rng)));
    const b = indices(drain(new SubsetIterator("shuffled_sequential", 23, plan, rng)));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it("random_uniform: draws with replacement inside the range", () => {
    const it = new SubsetIterator("random_uniform", 7, planBatches(7, "random_uniform", 50, 3, "t"), new Rng(1));
    const sels = drain(it);
    expect(sels).toHaveLength(3);
    const all = indices(sels);
    expect(all.every((i) => i >= 0 && i < 7)).toBe(true);
    expect(new Set(all).size).toBe(7); // 150 draws from 7 values see them all
  });

  it("batchwise_shuffled_sequential: every slice once, in a shuffled order", () => {
    const it = new SubsetIterator("batchwise_shuffled_sequential", 10, planBatches(10, "batchwise_shuffled_sequential", 3, null, "t"), new Rng(5));
    const sels = drain(it) as { start: number; stop: number }[];
    expect(sels.map((s) => s.start).sort((x, y) => x - y)).toEqual([0, 3, 6, 9]);
    expect(sels.find((s) => s.start === 9)).toEqual({ start: 9, stop: 10 });
  });

  it.each<IterationMode>(["sequential", "shuffled_sequential", "random_uniform", "batchwise_shuffled_sequential"])(
    "%s: a pass restored from its saved state continues with the same batches",
    (mode) => {
      const plan = planBatches(17, mode, 4, mode === "random_uniform" ? 5 : null, "t");
      const rngA = new Rng(9);
      const straight = new SubsetIterator(mode, 17, plan, mode === "sequential" ? null : rngA);
      const first = [straight.next(), straight.next()];
      const st = straight.state();
      const rngState = rngA.getState();
      const rest = indices(drain(straight));

      const rngB = new Rng(0);
      rngB.setState(rngState);
      const restored = SubsetIterator.restore(st, mode === "sequential" ? null : rngB);
      expect(indices(drain(restored))).toEqual(rest);
      expect(first.every((s) => s !== null)).toBe(true);
    },
  );
});
