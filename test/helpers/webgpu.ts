import { expect } from "vitest";
import { createWebGpuBackend, type WebGpuBackend } from "../../src/engine/backends/webgpu/index.js";
import type { readModelFile } from "../../src/io/model-file.js";

/**
 * The GPU for a test file, or null and why not: files that need one run wherever Dawn finds an
 * adapter (CI: Mesa's lavapipe) and otherwise skip, saying so once under `what`.
 */
export async function openTestGpu(what: string): Promise<{ gpu: WebGpuBackend | null; why: string }> {
  try {
    return { gpu: await createWebGpuBackend(), why: "" };
  } catch (err) {
    const why = (err as Error).message;
    console.log(`${what} skipped: ${why}`);
    return { gpu: null, why };
  }
}

/** How close a GPU run's files must be to the CPU run's: |gpu - cpu| <= atol + rtol |cpu|. */
export const GPU_ATOL = 1e-5;
export const GPU_RTOL = 1e-4;

type ModelFile = ReturnType<typeof readModelFile>;

/**
 * Every parameter and monitor channel (times excepted) of a GPU run within the tolerance of the
 * CPU run's; misclass channels, counts, exactly. Returns the worst |gpu - cpu| as a fraction of
 * its allowance, so a test can show how much room there was.
 */
export function expectGpuRunClose(gpuFile: ModelFile, cpuFile: ModelFile): number {
  let worst = 0;
  const check = (what: string, g: ArrayLike<number>, c: ArrayLike<number>) => {
    expect(g.length, what).toBe(c.length);
    for (let i = 0; i < c.length; i++) {
      const err = Math.abs(g[i] - c[i]);
      const allowed = GPU_ATOL + GPU_RTOL * Math.abs(c[i]);
      worst = Math.max(worst, err / allowed);
      if (!(err <= allowed)) expect.fail(`${what}[${i}]: webgpu ${g[i]}, cpu ${c[i]}`);
    }
  };
  expect(Object.keys(gpuFile.tensors).sort()).toEqual(Object.keys(cpuFile.tensors).sort());
  for (const [k, t] of Object.entries(cpuFile.tensors)) check(`parameter ${k}`, gpuFile.tensors[k].data, t.data);
  const gch = gpuFile.monitor!.channels;
  const cch = cpuFile.monitor!.channels;
  expect(Object.keys(gch)).toEqual(Object.keys(cch));
  for (const [k, ch] of Object.entries(cch)) {
    if (k.includes("seconds")) continue;
    if (k.endsWith("misclass")) expect(gch[k].val, k).toEqual(ch.val);
    else check(`channel ${k}`, gch[k].val, ch.val);
    expect(gch[k].batch, k).toEqual(ch.batch);
  }
  return worst;
}

/**
 * The GRBM tutorial's model, cost, sigma learning and LR adjuster on `stop` centred digits (batch 5,
 * 2 epochs, saved every epoch); `extra` goes into the SGD (e.g. a learning rule).
 */
export function grbmTutorialYaml(save: string, opts: { stop?: number; extra?: string } = {}): string {
  return `!obj:pylearn2.train.Train {
  dataset: &d !obj:dl.datasets.Digits { which_set: train, start: 0, stop: ${opts.stop ?? 100}, center: True },
  model: !obj:pylearn2.models.rbm.GaussianBinaryRBM {
    nvis: 64, nhid: 20, irange: 0.05,
    energy_function_class: !obj:pylearn2.energy_functions.rbm_energy.grbm_type_1 {},
    learn_sigma: True, init_sigma: .4, init_bias_hid: -2., mean_vis: False, sigma_lr_scale: 1e-3
  },
  algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
    learning_rate: 1e-1, batch_size: 5, monitoring_batches: 4, monitoring_dataset: *d,
    cost: !obj:pylearn2.costs.ebm_estimation.SMD { corruptor: !obj:pylearn2.corruption.GaussianCorruptor { stdev: 0.4 } },
    ${opts.extra ?? ""}
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 2 }
  },
  extensions: [!obj:pylearn2.training_algorithms.sgd.MonitorBasedLRAdjuster {}],
  save_freq: 1,
  save_path: "${save}"
}`;
}
