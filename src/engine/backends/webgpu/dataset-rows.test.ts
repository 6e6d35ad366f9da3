import { afterAll, describe, expect, it } from "vitest";
import { openTestGpu } from "../../../../test/helpers/webgpu.js";
import { Tensor } from "../../tensor.js";
import { runInStepScope } from "../../step-scope.js";
import { cpuBackend } from "../reference.js";
import { Rng } from "../../../util/rng.js";
import type { WebGpuBackend } from "./index.js";

/**
 * Batches cut on the device from datasets uploaded once (dataset-rows.ts): the same values as
 * cutting them on the host, whatever the submits between the steps. Runs wherever Dawn finds an
 * adapter (CI: lavapipe).
 */
const { gpu, why } = await openTestGpu("webgpu dataset-rows tests");
afterAll(() => gpu?.destroy());
const G = (): WebGpuBackend => gpu as WebGpuBackend;

const rows = 50;
const dim = 7;
const X = new Rng(3).fillUniform(new Float32Array(rows * dim), -1, 1) as Float32Array;
const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7) % 10);
const hostRows = (sel: ArrayLike<number>) => Float32Array.from({ length: sel.length * dim }, (_, j) => X[sel[Math.floor(j / dim)] * dim + (j % dim)]);
const hostOneHot = (sel: ArrayLike<number>) => cpuBackend.oneHot(Int32Array.from(sel, (i) => labels[i]), 10) as Float32Array;

describe.skipIf(!gpu)(`webgpu dataset rows${why ? ` (skipped: ${why})` : ""}`, () => {
  it("cuts index selections and ranges, rows and one-hot labels, exactly as the host does", async () => {
    const sels = [Int32Array.of(4, 0, 49, 4, 17), Int32Array.of(33), new Int32Array(0)];
    for (const sel of sels) {
      expect(await G().read(G().datasetRows(X, dim, sel)!, sel.length * dim)).toEqual(hostRows(sel));
      expect(await G().read(G().datasetOneHot(labels, 10, sel)!, sel.length * 10)).toEqual(hostOneHot(sel));
    }
    const range = Int32Array.from({ length: 12 }, (_, i) => 30 + i);
    expect(await G().read(G().datasetRows(X, dim, { start: 30, stop: 42 })!, 12 * dim)).toEqual(hostRows(range));
    expect(await G().read(G().datasetOneHot(labels, 10, { start: 30, stop: 42 })!, 120)).toEqual(hostOneHot(range));
  });

  it("uploads a dataset once; the indices of many steps go over in one write, and a submit between steps changes nothing", async () => {
    const rt = G().rt;
    await G().sync();
    const own = new Float32Array(X); // an array this test alone has shown the backend
    const before = { uploads: rt.stats.uploads, submits: rt.stats.submits };
    const rng = new Rng(9);
    const sels = Array.from({ length: 40 }, () => Int32Array.from({ length: 8 }, () => Math.floor(rng.uniform() * rows)));
    const outs = sels.map((sel, i) => {
      if (i === 25) rt.flush(); // steps 0-24 go out with their indices; 25-39 reuse the host block
      return G().datasetRows(own, dim, sel)!;
    });
    expect(rt.stats.uploads - before.uploads).toBe(1);
    expect(rt.stats.submits - before.submits).toBe(1);
    for (let i = 0; i < sels.length; i++) expect(await G().read(outs[i], 8 * dim)).toEqual(hostRows(sels[i]));
  });

  it("the device copy outlives the training step that first used it; the batches themselves are recycled", async () => {
    const own = new Float32Array(X);
    const sel = Int32Array.of(1, 2, 3);
    const uploads = G().rt.stats.uploads;
    runInStepScope(G(), () => new Tensor(G().datasetRows(own, dim, sel)!, [3, dim], G()).sum());
    // Steps that recycle every buffer of the first one: the dataset must not be among them.
    for (let step = 0; step < 3; step++) runInStepScope(G(), () => Tensor.full([rows * dim], 9, G()).add(1));
    expect(await G().read(G().datasetRows(own, dim, sel)!, 3 * dim)).toEqual(hostRows(sel));
    expect(G().rt.stats.uploads - uploads).toBe(1);
  });
});
