import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GRBM_DISPATCHES_PER_STEP } from "../engine/backends/webgpu/grbm-step.js";
import { readModelFile } from "../io/model-file.js";
import type { TrainReporter } from "./reporter.js";
import { trainFile, type GpuBackendHandle, type TrainFileOptions } from "./run.js";
import { SGD } from "./sgd.js";
import { TrainingInterrupted } from "./train.js";
import { GPU_ATOL, expectGpuRunClose, grbmTutorialYaml, openTestGpu } from "../../test/helpers/webgpu.js";

/**
 * The fused GRBM step (fused-grbm.ts; kernels in src/engine/backends/webgpu/wgsl/grbm.ts) against
 * the CPU's generic step on the same YAML from the same seed: every parameter and monitor channel
 * within |gpu - cpu| <= 1e-5 + 1e-4 |cpu| after 2 epochs (webgpu.test.ts's tolerance), with each
 * step counted through the runtime's stats: GRBM_DISPATCHES_PER_STEP (2) dispatches, no submit,
 * no read. Outside its scope (a Momentum rule) the generic step runs and still matches. A GPU run
 * resumed from its 1-epoch checkpoint, or from one written at an interrupt inside epoch 2, ends bit
 * for bit where a straight 2-epoch run does.
 *
 * Runs wherever Dawn finds an adapter (CI: Mesa's lavapipe); otherwise skipped, saying why.
 */
const { gpu, why } = await openTestGpu("fused GRBM step tests");
const dir = mkdtempSync(join(tmpdir(), "dl-fused-grbm-"));
afterAll(() => {
  gpu?.destroy();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => void vi.restoreAllMocks());

const shared = (): Promise<GpuBackendHandle> => Promise.resolve({ backend: gpu!, description: "test adapter", destroy() {} });
const reporter: TrainReporter = { paramSummary() {}, progress() {}, epochTrained() {}, monitor() {}, log() {} };

/** The GRBM tutorial on 98 centred digits: batches of 5, and a last one of 3. */
const GRBM = (save: string, extra = "") => grbmTutorialYaml(save, { stop: 98, extra });

type ModelFile = ReturnType<typeof readModelFile>;

/** What each training step did on the device: dispatches, submits and reads it caused. */
interface StepCounts {
  dispatches: number[];
  submits: number[];
  reads: number[];
}

/** `afterStep(n)`: called after the run's n-th step (1-based). */
async function trainOn(name: string, yaml: string, device: "cpu" | "webgpu", opts: TrainFileOptions = {}, afterStep?: (n: number) => void): Promise<{ file: ModelFile; steps: StepCounts }> {
  const steps: StepCounts = { dispatches: [], submits: [], reads: [] };
  let count = 0;
  const step = SGD.prototype.step;
  vi.spyOn(SGD.prototype, "step").mockImplementation(function (this: SGD) {
    const s = gpu!.rt.stats;
    const before = { ...s };
    const more = step.call(this);
    if (more && device === "webgpu") {
      steps.dispatches.push(s.dispatches - before.dispatches);
      steps.submits.push(s.submits - before.submits);
      steps.reads.push(s.reads - before.reads);
    }
    if (more) afterStep?.(++count);
    return more;
  });
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, yaml);
  const [r] = await trainFile(path, { device, reporter, openGpu: shared, ...opts }).finally(() => vi.restoreAllMocks());
  return { file: readModelFile(r.savePath), steps };
}

/** The largest change of any parameter value between two files: the comparison has teeth only if training moved them well beyond the tolerance. */
function moved(a: ModelFile, b: ModelFile): number {
  let m = 0;
  for (const [k, t] of Object.entries(a.tensors)) t.data.forEach((v, i) => (m = Math.max(m, Math.abs(v - b.tensors[k].data[i]))));
  return m;
}

/**
 * The tutorial's settings leave the hiddens nearly off (bias -2, s = 0.4), so the terms through
 * dZ = (Gu W) H (1 - H) are tiny there, and sigma_lr_scale 1e-3 keeps sigma nearly still; this
 * variant turns the hiddens on (bias 0, larger weights, s = 1) and learns sigma fast, between
 * clip bounds `lo` and `hi`.
 */
const ACTIVE = (save: string, lo: number, hi: number) => GRBM(save)
  .replace("irange: 0.05", "irange: 0.3")
  .replace("init_sigma: .4, init_bias_hid: -2.", "init_sigma: 1., init_bias_hid: 0.")
  .replace("sigma_lr_scale: 1e-3", `sigma_lr_scale: 1., min_sigma: ${lo}, max_sigma: ${hi}`);

describe.skipIf(!gpu)(`the fused GRBM + SMD step on webgpu${why ? ` (skipped: ${why})` : ""}`, () => {
  it(`matches the CPU's step for 2 epochs, in ${GRBM_DISPATCHES_PER_STEP} dispatches a step, with no submit or read in a step`, async () => {
    const cpu = await trainOn("cpu", GRBM(join(dir, "cpu.pkl")), "cpu");
    const g = await trainOn("gpu", GRBM(join(dir, "gpu.pkl")), "webgpu");
    expectGpuRunClose(g.file, cpu.file);
    expect(g.steps.dispatches).toHaveLength(2 * 20); // 19 batches of 5 and one of 3, twice
    expect(new Set(g.steps.dispatches)).toEqual(new Set([GRBM_DISPATCHES_PER_STEP]));
    expect(g.steps.submits.every((n) => n === 0)).toBe(true);
    expect(g.steps.reads.every((n) => n === 0)).toBe(true);
    // sigma was learned and moved, and so did the weights.
    const init = await trainOn("init", GRBM(join(dir, "init.pkl")), "cpu", { overrides: ["algorithm.termination_criterion.max_epochs=0"] });
    expect(moved(cpu.file, init.file)).toBeGreaterThan(100 * GPU_ATOL);
    expect(cpu.file.tensors.sigma_driver.data[0]).not.toBe(init.file.tensors.sigma_driver.data[0]);
  }, 120_000);

  it("matches the CPU with active hiddens and a fast-learned sigma, free and held at its clip", async () => {
    const cpu = await trainOn("act-cpu", ACTIVE(join(dir, "act-cpu.pkl"), 0.1, 10), "cpu");
    const g = await trainOn("act-gpu", ACTIVE(join(dir, "act-gpu.pkl"), 0.1, 10), "webgpu");
    expectGpuRunClose(g.file, cpu.file);
    expect(new Set(g.steps.dispatches)).toEqual(new Set([GRBM_DISPATCHES_PER_STEP]));
    expect(Math.abs(cpu.file.tensors.sigma_driver.data[0] - 1)).toBeGreaterThan(0.03); // moved beyond the clip below
    const clipCpu = await trainOn("clip-cpu", ACTIVE(join(dir, "clip-cpu.pkl"), 0.98, 1.02), "cpu");
    const clipGpu = await trainOn("clip-gpu", ACTIVE(join(dir, "clip-gpu.pkl"), 0.98, 1.02), "webgpu");
    expectGpuRunClose(clipGpu.file, clipCpu.file);
    expect([Math.fround(0.98), Math.fround(1.02)]).toContain(clipCpu.file.tensors.sigma_driver.data[0]);
    expect(clipGpu.file.tensors.sigma_driver.data[0]).toBe(clipCpu.file.tensors.sigma_driver.data[0]);
  }, 120_000);

  it("is not taken outside its scope (a Momentum rule): the generic step runs, and still matches the CPU", async () => {
    const rule = "learning_rule: !obj:pylearn2.training_algorithms.learning_rule.Momentum { init_momentum: .5 },";
    const cpu = await trainOn("mom-cpu", GRBM(join(dir, "mom-cpu.pkl"), rule), "cpu");
    const g = await trainOn("mom-gpu", GRBM(join(dir, "mom-gpu.pkl"), rule), "webgpu");
    expectGpuRunClose(g.file, cpu.file);
    const perStep = Math.min(...g.steps.dispatches);
    console.log(`generic GRBM step on webgpu (Momentum): ${perStep}-${Math.max(...g.steps.dispatches)} dispatches a step`);
    expect(perStep).toBeGreaterThan(10 * GRBM_DISPATCHES_PER_STEP);
  }, 120_000);

  it("--resume from the 1-epoch checkpoint, or from an interrupt inside epoch 2, ends bit for bit where a straight 2-epoch run does", async () => {
    const straight = await trainOn("straight", GRBM(join(dir, "straight.pkl")), "webgpu");
    const path = join(dir, "resumed.pkl");
    await trainOn("resumed", GRBM(path), "webgpu", { overrides: ["algorithm.termination_criterion.max_epochs=1"] });
    const resumed = await trainOn("resumed", GRBM(path), "webgpu", { resume: true });
    expect(resumed.steps.dispatches).toHaveLength(20);
    expect(new Set(resumed.steps.dispatches)).toEqual(new Set([GRBM_DISPATCHES_PER_STEP]));
    for (const [k, t] of Object.entries(straight.file.tensors)) expect(Array.from(resumed.file.tensors[k].data), k).toEqual(Array.from(t.data));
    expect(resumed.file.monitor!.channels.objective.val).toEqual(straight.file.monitor!.channels.objective.val);

    // Interrupted in the middle of epoch 2 (a signal after its 7th step): the checkpoint holds the
    // iterator and the corruptor's generator there, and the resumed run still ends on the same bits.
    const midPath = join(dir, "mid.pkl");
    const stop = { requested: null as string | null };
    const err = await trainOn("mid", GRBM(midPath), "webgpu", { stop }, (n) => {
      if (n !== 27) return;
      stop.requested = "SIGINT";
      for (const t0 = performance.now(); performance.now() - t0 < 60; ); // past the loop's 50 ms yield, where it checks for signals
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingInterrupted);
    const mid = await trainOn("mid", GRBM(midPath), "webgpu", { resume: true });
    expect(mid.steps.dispatches).toHaveLength(40 - 27); // resumed inside epoch 2, after its 7th step
    for (const [k, t] of Object.entries(straight.file.tensors)) expect(Array.from(mid.file.tensors[k].data), k).toEqual(Array.from(t.data));
  }, 120_000);
});
