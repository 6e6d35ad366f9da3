import { describe, expect, it } from "vitest";
import { DenseDesignMatrix } from "../data/dataset.js";
import { makeBatch } from "./batch.js";

describe("makeBatch", () => {
  const dim = 3;
  const ds = new DenseDesignMatrix({
    X: Float32Array.from({ length: 5 * dim }, (_, i) => i),
    numExamples: 5,
    dim,
    labels: Int32Array.from([0, 1, 2, 1, 0]),
    numClasses: 3,
  });

  it("copies the rows and labels a shuffled selection names, in its order", () => {
    const b = makeBatch(ds, Int32Array.from([4, 1, 3]));
    expect(b.X.shape).toEqual([3, dim]);
    expect(Array.from(b.X.toArray())).toEqual([12, 13, 14, 3, 4, 5, 9, 10, 11]);
    expect(Array.from(b.labels!)).toEqual([0, 1, 1]);
    expect(Array.from(b.y!.toArray())).toEqual([1, 0, 0, 0, 1, 0, 0, 1, 0]);
  });

  it("takes a contiguous slice as rows start..stop", () => {
    const b = makeBatch(ds, { start: 1, stop: 3 });
    expect(Array.from(b.X.toArray())).toEqual([3, 4, 5, 6, 7, 8]);
    expect(b.size).toBe(2);
  });
});
