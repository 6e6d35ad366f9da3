import { afterAll, describe, expect, it } from "vitest";
import { Tensor } from "../../tensor.js";
import { Rng } from "../../../util/rng.js";
import { GrbmSmdStep, type GrbmStepSettings } from "./grbm-step.js";
import { openTestGpu } from "../../../../test/helpers/webgpu.js";

/**
 * The fused GRBM step's staging (grbm-step.ts): each step's noise and row indices wait in a host
 * block that is written just before the next submit. However the submits fall (after every step;
 * every 3 steps, the block wrapping; once the runtime's parameter ring is full, 2048 steps in, or
 * at a step's first dispatch),
 * the same steps must give bit-identical parameters: a slot overwritten before the step that reads
 * it ran would change them. (Agreement with the CPU's step: src/train/fused-grbm.test.ts.)
 */
const { gpu, why } = await openTestGpu("fused GRBM step staging tests");
afterAll(() => gpu?.destroy());

const G = { nvis: 8, nhid: 6, batch: 3 };
const EXAMPLES = 20;
const STEPS = 4200;

/**
 * `offset`: unrelated dispatches recorded first (as a monitoring pass records them), so that the
 * ring fills at the first step's first dispatch, in slot 0, which the next step would reuse.
 */
async function run(stepsPerBlock: number, flushEveryStep: boolean, offset = 0): Promise<Float32Array[]> {
  const rt = gpu!.rt;
  const x = Tensor.from([1, 2], [2], gpu!);
  rt.flush();
  for (let i = 0; i < offset; i++) x.neg();
  const init = new Rng(7);
  const normal = (n: number, std: number) => {
    const a = new Float32Array(n);
    init.fillNormal(a, 0, std);
    return a;
  };
  const data = normal(EXAMPLES * G.nvis, 1);
  const up = (a: Float32Array) => rt.upload(a, a.length);
  const p = { W: up(normal(G.nvis * G.nhid, 0.3)), biasVis: up(normal(G.nvis, 0.1)), biasHid: up(normal(G.nhid, 0.1)), sigmaDriver: up(Float32Array.of(1)) };
  const s: GrbmStepSettings = { alpha: [-1e-3, -1e-3, -1e-3, -1e-3], learnSigma: true, driverMin: 0.5, driverMax: 2, sigmaLrScale: 1, noiseStdev: 0.5 };
  const step = new GrbmSmdStep(rt, G, up(data), stepsPerBlock);
  const noise = new Rng(11);
  const order = new Rng(13);
  for (let t = 0; t < STEPS; t++) {
    // Batches of 1 to 3 rows, as a range or as indices.
    const n = 1 + (t % G.batch);
    const rows = t % 2 === 0 ? { start: t % (EXAMPLES - n), stop: (t % (EXAMPLES - n)) + n } : Array.from({ length: n }, () => order.nextU32() % EXAMPLES);
    step.step(p, rows, (out) => noise.fillNormal(out, 0, s.noiseStdev), s);
    if (flushEveryStep) rt.flush();
  }
  return Promise.all([rt.read(p.W, G.nvis * G.nhid), rt.read(p.biasVis, G.nvis), rt.read(p.biasHid, G.nhid), rt.read(p.sigmaDriver, 1)]);
}

describe.skipIf(!gpu)(`GrbmSmdStep staging${why ? ` (skipped: ${why})` : ""}`, () => {
  it(`${STEPS} steps give the same parameters whether submitted each step, every 3 steps, or when the ring is full`, async () => {
    const submits = () => gpu!.rt.stats.submits;
    let before = submits();
    const each = await run(4096, true);
    expect(submits() - before).toBeGreaterThanOrEqual(STEPS);
    before = submits();
    const wrapped = await run(3, false);
    expect(submits() - before).toBeGreaterThanOrEqual(STEPS / 3);
    before = submits();
    const ring = await run(4096, false, 4096);
    expect(submits() - before).toBe(3 + 4); // ring-full submits (12496 dispatches from an empty ring), one per read
    for (let i = 0; i < each.length; i++) {
      expect(Array.from(wrapped[i]), `parameter ${i}, block of 3`).toEqual(Array.from(each[i]));
      expect(Array.from(ring[i]), `parameter ${i}, ring full`).toEqual(Array.from(each[i]));
    }
    // The steps moved every parameter (so a lost or misplaced step would show).
    expect(each[3][0]).not.toBe(1);
  }, 120_000);
});
