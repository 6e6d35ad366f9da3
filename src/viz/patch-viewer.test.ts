import { describe, expect, it } from "vitest";
import { BACKGROUND_LEVEL, gridFor, level, tilePatches, type PatchSet } from "./patch-viewer.js";

// Expected grey levels computed by hand with pylearn2's formula uint8(255 * (v * 0.5 + 0.5)).
describe("PatchViewer levels", () => {
  it("maps -1, 0, 1 to black, pylearn2's grey 127 and white", () => {
    expect(level(-1)).toBe(0);
    expect(level(0)).toBe(127);
    expect(level(1)).toBe(255);
    expect(level(0.5)).toBe(191); // 0.75 * 255 = 191.25
    expect(level(-0.5)).toBe(63); // 0.25 * 255 = 63.75
    expect(BACKGROUND_LEVEL).toBe(127);
  });
});

describe("gridFor", () => {
  it("is ceil(sqrt(n)) wide with as many rows as needed", () => {
    expect(gridFor(400)).toEqual({ rows: 20, cols: 20 });
    expect(gridFor(10)).toEqual({ rows: 3, cols: 4 });
    expect(gridFor(1)).toEqual({ rows: 1, cols: 1 });
    expect(gridFor(500)).toEqual({ rows: 22, cols: 23 }); // 22 * 23 = 506 >= 500
  });
});

/** n grey patches of r x c whose values are given per patch. */
function grey(r: number, c: number, patches: number[][]): PatchSet {
  return { count: patches.length, rows: r, cols: c, channels: 1, data: Float64Array.from(patches.flat()) };
}

const px = (img: { width: number; channels: number; data: Uint8Array }, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x + 1) * img.channels));

describe("tilePatches", () => {
  it("gives the tutorial GRBM's 265 x 265 picture for 400 filters of 8x8x3", () => {
    const p: PatchSet = { count: 400, rows: 8, cols: 8, channels: 3, data: new Float64Array(400 * 192) };
    const img = tilePatches(p);
    expect([img.width, img.height, img.channels]).toEqual([265, 265, 3]);
    expect(img.grid).toEqual({ rows: 20, cols: 20 });
  });

  // Two 2x2 patches: A = [[0.5, -1], [0.25, 0]] (max |x| 1), B = [[2, -2], [1, 0]] (max |x| 2).
  const A = [0.5, -1, 0.25, 0];
  const B = [2, -2, 1, 0];
  // Grid for 2 patches: 2 wide, 1 row; pad 5: width 5+2+5+2+5 = 19, height 5+2+5 = 12.
  // Patch A's top-left pixel is at (5, 5), patch B's at (12, 5).

  it("individual: each patch divided by its own max |x|", () => {
    const img = tilePatches(grey(2, 2, [A, B]), { rescale: "individual" });
    expect([img.width, img.height, img.channels]).toEqual([19, 12, 1]);
    expect([px(img, 5, 5), px(img, 6, 5), px(img, 5, 6), px(img, 6, 6)].flat()).toEqual([191, 0, 159, 127]);
    // B / 2 = [1, -1, 0.5, 0]
    expect([px(img, 12, 5), px(img, 13, 5), px(img, 12, 6), px(img, 13, 6)].flat()).toEqual([255, 0, 191, 127]);
    expect(px(img, 0, 0)).toEqual([127]); // background
    expect(px(img, 9, 5)).toEqual([127]); // pad between patches
  });

  it("global: every patch divided by the overall max |x| (2)", () => {
    const img = tilePatches(grey(2, 2, [A, B]), { rescale: "global" });
    // A / 2 = [0.25, -0.5, 0.125, 0] -> 159.375, 63.75, 143.4375, 127.5
    expect([px(img, 5, 5), px(img, 6, 5), px(img, 5, 6), px(img, 6, 6)].flat()).toEqual([159, 63, 143, 127]);
    expect([px(img, 12, 5), px(img, 13, 5), px(img, 12, 6), px(img, 13, 6)].flat()).toEqual([255, 0, 191, 127]);
  });

  it("none: values as they are, clipped to [-1, 1], and the clipped count reported", () => {
    const img = tilePatches(grey(2, 2, [A, B]), { rescale: "none" });
    expect([px(img, 5, 5), px(img, 6, 5), px(img, 5, 6), px(img, 6, 6)].flat()).toEqual([191, 0, 159, 127]);
    expect([px(img, 12, 5), px(img, 13, 5), px(img, 12, 6), px(img, 13, 6)].flat()).toEqual([255, 0, 255, 127]);
    expect(img.clipped).toBe(2);
  });

  it("colour patches keep their channels (channels last) and are scaled by the max over all three", () => {
    // One 1x2 colour patch: pixel 0 = (0.5, -0.25, 0), pixel 1 = (0, 0, -1); max |x| = 1.
    const p: PatchSet = { count: 1, rows: 1, cols: 2, channels: 3, data: Float64Array.from([0.5, -0.25, 0, 0, 0, -1]) };
    const ind = tilePatches(p, { rescale: "individual" });
    expect([ind.width, ind.height, ind.channels]).toEqual([12, 11, 3]);
    expect(px(ind, 5, 5)).toEqual([191, 95, 127]); // -0.25 -> 0.375 * 255 = 95.6
    expect(px(ind, 6, 5)).toEqual([127, 127, 0]);
    expect(px(ind, 0, 0)).toEqual([127, 127, 127]);
    // Scaled by 4 in global mode (one patch: global = individual), by nothing in none.
    const q: PatchSet = { ...p, data: p.data.map((v) => v * 4) };
    expect(px(tilePatches(q, { rescale: "global" }), 5, 5)).toEqual([191, 95, 127]);
    expect(px(tilePatches(q, { rescale: "none" }), 5, 5)).toEqual([255, 0, 127]);
  });

  it("an all-zero patch is drawn grey, not divided by zero", () => {
    const img = tilePatches(grey(1, 1, [[0]]), { rescale: "individual" });
    expect(px(img, 5, 5)).toEqual([127]);
  });

  it("--border draws a black 1-pixel frame just outside each patch", () => {
    const img = tilePatches(grey(2, 2, [A]), { border: true });
    expect(px(img, 4, 4)).toEqual([0]);
    expect(px(img, 7, 7)).toEqual([0]);
    expect(px(img, 4, 6)).toEqual([0]);
    expect(px(img, 3, 3)).toEqual([127]);
    expect(px(img, 5, 5)).toEqual([191]); // the patch itself is untouched
  });

  it("--scale magnifies with nearest neighbour", () => {
    const one = tilePatches(grey(2, 2, [A, B]));
    const three = tilePatches(grey(2, 2, [A, B]), { scale: 3 });
    expect([three.width, three.height]).toEqual([57, 36]);
    const expected: number[] = [];
    for (let y = 0; y < three.height; y++) for (let x = 0; x < three.width; x++) expected.push(...px(one, Math.floor(x / 3), Math.floor(y / 3)));
    expect(Array.from(three.data)).toEqual(expected);
  });

  it("places patches left to right, then top to bottom", () => {
    // 5 one-pixel patches in a 3-wide grid: patch 3 starts the second row.
    const img = tilePatches(grey(1, 1, [[1], [1], [1], [-1], [1]]));
    expect(img.grid).toEqual({ rows: 2, cols: 3 });
    expect(px(img, 5, 11)).toEqual([0]); // row 1, col 0: 5 + 1 * (1 + 5) = 11
    expect(px(img, 17, 11)).toEqual([127]); // the sixth slot is empty
  });
});
