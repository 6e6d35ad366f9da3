import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tensor, cpuBackend, defaultBackend } from "../engine/index.js";
import { readModelFile } from "../io/model-file.js";
import { DlError } from "../util/errors.js";
import { findNonFinite, findNonFiniteAsync } from "./finite.js";
import { readBack, readScalars } from "./readback.js";
import type { TrainReporter } from "./reporter.js";
import { explainGpuError, trainFile, type GpuBackendHandle, type TrainFileOptions } from "./run.js";
import { GPU_ATOL, expectGpuRunClose, grbmTutorialYaml, openTestGpu } from "../../test/helpers/webgpu.js";

/**
 * `dl train --device webgpu` against `--device cpu`: the same experiment from the same seed on
 * both, parameters and monitor channels compared. Every random draw (order, init, noise) is made
 * on the host by the same Rng, so the runs differ only by float rounding on the device: GPU
 * exp/log are a few ulps off and its sums add in another order.
 *
 * Tolerance: |gpu - cpu| <= 1e-5 + 1e-4 |cpu| for every parameter and channel after 2 epochs
 * (measured on lavapipe: about 3e-7 at most). misclass, a count, must agree exactly.
 *
 * Runs wherever Dawn finds an adapter (CI: Mesa's lavapipe); otherwise the GPU tests are skipped
 * and say why. The missing-device error is checked everywhere with an injected opener.
 */
const { gpu, why } = await openTestGpu("webgpu training tests");
const dir = mkdtempSync(join(tmpdir(), "dl-train-webgpu-"));
afterAll(() => {
  gpu?.destroy();
  rmSync(dir, { recursive: true, force: true });
});


/** The test's backend, handed to trainFile (one device for the file; trainFile's own opener is covered by the CLI test). */
const shared = (): Promise<GpuBackendHandle> => Promise.resolve({ backend: gpu!, description: "test adapter", destroy() {} });

const logs: string[] = [];
const reporter: TrainReporter = {
  paramSummary() {},
  progress() {},
  epochTrained() {},
  monitor() {},
  log: (m) => void logs.push(m),
};

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const MLP = (save: string, device = "") => `!obj:pylearn2.train.Train {
  dataset: &train !obj:dl.datasets.Digits { which_set: train, start: 0, stop: 200 },
  model: !obj:pylearn2.models.mlp.MLP {
    nvis: 64,
    layers: [
      !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: 'h0', dim: 32, irange: 0.05 },
      !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: 0.05 }
    ]
  },
  algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
    batch_size: 20, learning_rate: .05, monitoring_dataset: { 'train': *train },
    learning_rule: !obj:pylearn2.training_algorithms.learning_rule.Momentum { init_momentum: .5 },
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 2 }
  },
  save_path: "${save}",
  ${device}
}`;

/** A small conv net on the 8x8 digits: im2col, max pooling and a max kernel norm on the device. */
const CONV = (save: string) => `!obj:pylearn2.train.Train {
  dataset: &train !obj:dl.datasets.Digits { which_set: train, start: 0, stop: 100 },
  model: !obj:pylearn2.models.mlp.MLP {
    input_space: !obj:pylearn2.space.Conv2DSpace { shape: [8, 8], num_channels: 1 },
    layers: [
      !obj:pylearn2.models.mlp.ConvRectifiedLinear { layer_name: 'h0', output_channels: 4, irange: .05, kernel_shape: [3, 3],
        pool_shape: [2, 2], pool_stride: [2, 2], max_kernel_norm: 0.5 },
      !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: .05 }
    ]
  },
  algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
    batch_size: 20, learning_rate: .05, monitoring_dataset: { 'train': *train },
    learning_rule: !obj:pylearn2.training_algorithms.learning_rule.Momentum { init_momentum: .5 },
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 2 }
  },
  save_path: "${save}"
}`;

/** The GRBM tutorial on 100 centred digits. */
const GRBM = (save: string, stop = 100) => grbmTutorialYaml(save, { stop });

type ModelFile = ReturnType<typeof readModelFile>;

async function trainOn(yaml: string, device: "cpu" | "webgpu", opts: TrainFileOptions = {}): Promise<ModelFile> {
  const [r] = await trainFile(yaml, { device, reporter, openGpu: shared, ...opts });
  return readModelFile(r.savePath);
}


describe.skipIf(!gpu)(`dl train --device webgpu${why ? ` (skipped: ${why})` : ""}`, () => {
  it("an MLP (ReLU, softmax, momentum) on digits: the same parameters and channels as on the CPU", async () => {
    const cpu = await trainOn(write("mlp.yaml", MLP(join(dir, "mlp-cpu.pkl"))), "cpu");
    const g = await trainOn(write("mlp.yaml", MLP(join(dir, "mlp-gpu.pkl"))), "webgpu");
    expect(cpu.monitor!.channels.train_y_misclass.val).toHaveLength(3);
    expect(expectGpuRunClose(g, cpu)).toBeLessThanOrEqual(1);
    // Training moved the weights well beyond the tolerance, so the comparison has teeth.
    const init = await trainOn(write("mlp0.yaml", MLP(join(dir, "mlp-0.pkl"))), "cpu", { overrides: ["algorithm.termination_criterion.max_epochs=0"] });
    const moved = Math.max(...Array.from(cpu.tensors.h0_W.data, (v, i) => Math.abs(v - init.tensors.h0_W.data[i])));
    expect(moved).toBeGreaterThan(100 * GPU_ATOL);
    expect(defaultBackend()).toBe(cpuBackend);
  }, 60_000);

  it("the GaussianBinaryRBM with SMD, learned sigma, an LR adjuster and per-epoch saves: the same as on the CPU", async () => {
    const cpu = await trainOn(write("grbm.yaml", GRBM(join(dir, "grbm-cpu.pkl"))), "cpu");
    const g = await trainOn(write("grbm.yaml", GRBM(join(dir, "grbm-gpu.pkl"))), "webgpu");
    expect(expectGpuRunClose(g, cpu)).toBeLessThanOrEqual(1);
    expect(Object.keys(g.monitor!.channels)).toContain("reconstruction_error");
    // The checkpoint a GPU run writes holds the same optimizer state and counters.
    expect(readModelFile(join(dir, "grbm-gpu.pkl.ckpt")).metadata.format).toBe("dl-checkpoint/1");
  }, 60_000);

  it("reusing a step's buffers and bind groups in the next step changes no bit: an MLP with momentum, an RBM by SML with its persistent chains, a max-norm conv net", async () => {
    const sml = (save: string) => `!obj:pylearn2.train.Train {
  dataset: &train !obj:dl.datasets.Digits { which_set: train, start: 0, stop: 200 },
  model: !obj:pylearn2.models.rbm.RBM { nvis: 64, nhid: 16, irange: 0.05 },
  algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
    batch_size: 20, learning_rate: .05, monitoring_dataset: { 'train': *train },
    cost: !obj:pylearn2.costs.ebm_estimation.SML { batch_size: 20, nsteps: 2 },
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 2 }
  },
  save_path: "${save}"
}`;
    const files = (save: string) => [readModelFile(save), readModelFile(`${save}.ckpt`)];
    for (const [name, yaml] of [["mlp", MLP], ["sml", sml], ["conv", CONV]] as const) {
      const before = gpu!.rt.stats.reuses;
      await trainOn(write(`${name}-reuse.yaml`, yaml(join(dir, `${name}-reuse.pkl`))), "webgpu");
      expect(gpu!.rt.stats.reuses - before, name).toBeGreaterThan(100);
      // The step scope (src/engine/step-scope.ts) is off for a backend without `recycle`.
      Object.defineProperty(gpu!, "recycle", { value: undefined, configurable: true });
      try {
        await trainOn(write(`${name}-fresh.yaml`, yaml(join(dir, `${name}-fresh.pkl`))), "webgpu");
      } finally {
        delete (gpu as { recycle?: unknown }).recycle;
      }
      const [reused, fresh] = [files(join(dir, `${name}-reuse.pkl`)), files(join(dir, `${name}-fresh.pkl`))];
      for (let f = 0; f < 2; f++) {
        const names = Object.keys(fresh[f].tensors);
        expect(Object.keys(reused[f].tensors), name).toEqual(names);
        for (const t of names) expect(reused[f].tensors[t].data, `${name} ${t}`).toEqual(fresh[f].tensors[t].data);
      }
      if (name === "sml") expect(Object.keys(reused[1].tensors).some((t) => t.includes("particles"))).toBe(true);
    }
  }, 120_000);

  it("reads back a fixed number of times per epoch, however many steps and monitoring batches it has", async () => {
    const reads = async (stop: number, monitoringBatches: number) => {
      const yaml = write(`grbm-${stop}.yaml`, GRBM(join(dir, `grbm-${stop}.pkl`), stop));
      const before = gpu!.rt.stats.reads;
      await trainFile(yaml, { device: "webgpu", reporter, openGpu: shared, overrides: [`algorithm.monitoring_batches=${monitoringBatches}`] });
      return gpu!.rt.stats.reads - before;
    };
    const small = await reads(50, 2); // 10 steps an epoch, 2 monitoring batches
    const large = await reads(150, 6); // 30 steps an epoch, 6 monitoring batches
    expect(large).toBe(small);
    // 2 epochs: 3 monitoring passes (1 read each), 3 NaN/Inf checks (before training and after each
    // epoch), 2 saves of the 4 parameters (one read per buffer): a handful, none per step.
    expect(small).toBe(3 + 3 + 2 * 4);
  }, 60_000);

  it("device: webgpu in the YAML trains there; the flag (device: cpu) overrides it", async () => {
    const yaml = write("mlp-dev.yaml", MLP(join(dir, "mlp-dev.pkl"), "device: webgpu"));
    logs.length = 0;
    await trainFile(yaml, { reporter, openGpu: shared, overrides: ["algorithm.termination_criterion.max_epochs=1"] });
    expect(logs).toContain("Device: webgpu on test adapter");
    logs.length = 0;
    const never = (): Promise<GpuBackendHandle> => Promise.reject(new Error("the GPU must not be opened"));
    await trainFile(yaml, { reporter, device: "cpu", openGpu: never, overrides: ["algorithm.termination_criterion.max_epochs=1"] });
    expect(logs.some((l) => l.startsWith("Device:"))).toBe(false);
  }, 60_000);

  it("a conv net (im2col, max pooling, max kernel norm, momentum) trains there like on the CPU", async () => {
    const cpu = await trainOn(write("conv-cpu.yaml", CONV(join(dir, "conv-cpu.pkl"))), "cpu");
    const g = await trainOn(write("conv-gpu.yaml", CONV(join(dir, "conv-gpu.pkl"))), "webgpu");
    expect(expectGpuRunClose(g, cpu)).toBeLessThanOrEqual(1);
  }, 60_000);

  it("a Sigmoid output layer (detection channels: precision, recall, f1) trains there like on the CPU", async () => {
    const sig = (save: string) => MLP(save).replace(
      "!obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: 0.05 }",
      "!obj:pylearn2.models.mlp.Sigmoid { layer_name: 'y', dim: 10, irange: 0.05 }",
    );
    const cpu = await trainOn(write("sig-cpu.yaml", sig(join(dir, "sig-cpu.pkl"))), "cpu");
    const g = await trainOn(write("sig-gpu.yaml", sig(join(dir, "sig-gpu.pkl"))), "webgpu");
    expect(Object.keys(cpu.monitor!.channels)).toEqual(expect.arrayContaining(["train_y_precision", "train_y_recall", "train_y_f1"]));
    expect(expectGpuRunClose(g, cpu)).toBeLessThanOrEqual(1);
  }, 60_000);

  it("greedy stacking: a TransformerDataset over a !pkl: autoencoder encodes on the CPU and the next layer trains there like on the CPU", async () => {
    const dae = (data: string, nvis: number, save: string) => `!obj:pylearn2.train.Train {
  dataset: &train ${data},
  model: !obj:pylearn2.models.autoencoder.DenoisingAutoencoder {
    nvis: ${nvis}, nhid: 16, irange: 0.05, act_enc: "tanh", act_dec: null,
    corruptor: !obj:pylearn2.corruption.BinomialCorruptor { corruption_level: .2 }
  },
  algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
    batch_size: 20, learning_rate: .01, monitoring_dataset: *train,
    cost: !obj:pylearn2.costs.autoencoder.MeanSquaredReconstructionError {},
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 2 }
  },
  save_path: "${save}"
}`;
    const digits = "!obj:dl.datasets.Digits { which_set: train, start: 0, stop: 200 }";
    const l1 = join(dir, "dae-l1.pkl");
    await trainOn(write("dae-l1.yaml", dae(digits, 64, l1)), "cpu");
    const stacked = (transformer: string, save: string) => dae(`!obj:pylearn2.datasets.transformer_dataset.TransformerDataset { raw: ${digits}, transformer: ${transformer} }`, 16, save);
    const cpu = await trainOn(write("dae-l2-cpu.yaml", stacked(`!pkl: "${l1}"`, join(dir, "dae-l2-cpu.pkl"))), "cpu");
    const g = await trainOn(write("dae-l2-gpu.yaml", stacked(`!pkl: "${l1}"`, join(dir, "dae-l2-gpu.pkl"))), "webgpu");
    expect(expectGpuRunClose(g, cpu)).toBeLessThanOrEqual(1);
    expect(defaultBackend()).toBe(cpuBackend);
    // A transformer made in the experiment itself (no file to read again on the CPU) is refused, saying what to do.
    const inline = "!obj:pylearn2.models.autoencoder.Autoencoder { nvis: 64, nhid: 16, irange: 0.05, act_enc: tanh, act_dec: null }";
    const err = await trainOn(write("dae-l2-inline.yaml", stacked(inline, join(dir, "dae-l2-inline.pkl"))), "webgpu").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DlError);
    expect((err as DlError).message).toMatch(/TransformerDataset: its transformer lives on the GPU \(--device webgpu\) and did not come from a model file.*load it with !pkl: "model\.pkl" \(then it encodes on the CPU\) or train with --device cpu/);
  }, 60_000);

  it("every learning rule (AdaDelta, AdaGrad, RMSProp with its slot channels, Adam, Nesterov momentum) trains there like on the CPU", async () => {
    const rules = {
      adadelta: "AdaDelta { decay: .95 }",
      adagrad: "AdaGrad {}",
      rmsprop: "RMSProp { decay: .9 }",
      adam: "Adam {}",
      nesterov: "Momentum { init_momentum: .5, nesterov_momentum: true }",
    };
    for (const [name, rule] of Object.entries(rules)) {
      const yaml = (save: string) => MLP(save).replace("Momentum { init_momentum: .5 }", rule);
      const cpu = await trainOn(write(`${name}-cpu.yaml`, yaml(join(dir, `${name}-cpu.pkl`))), "cpu");
      const g = await trainOn(write(`${name}-gpu.yaml`, yaml(join(dir, `${name}-gpu.pkl`))), "webgpu");
      expect(expectGpuRunClose(g, cpu), name).toBeLessThanOrEqual(1);
      if (name === "rmsprop") expect(Object.keys(g.monitor!.channels)).toContain("mean_square_grad_h0_W_mean");
    }
  }, 120_000);

  it("a contractive autoencoder (its penalty through MethodCost, beside the reconstruction cost) trains there like on the CPU", async () => {
    const cae = (save: string) => `!obj:pylearn2.train.Train {
  dataset: &train !obj:dl.datasets.Digits { which_set: train, start: 0, stop: 200 },
  model: !obj:pylearn2.models.autoencoder.ContractiveAutoencoder { nvis: 64, nhid: 16, irange: 0.1, act_enc: sigmoid, act_dec: sigmoid },
  algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
    batch_size: 20, learning_rate: .05, monitoring_dataset: *train,
    cost: !obj:pylearn2.costs.cost.SumOfCosts { costs: [
      !obj:pylearn2.costs.autoencoder.MeanSquaredReconstructionError {},
      [0.5, !obj:pylearn2.costs.cost.MethodCost { method: contraction_penalty }]
    ] },
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 2 }
  },
  save_path: "${save}"
}`;
    const cpu = await trainOn(write("cae-cpu.yaml", cae(join(dir, "cae-cpu.pkl"))), "cpu");
    const g = await trainOn(write("cae-gpu.yaml", cae(join(dir, "cae-gpu.pkl"))), "webgpu");
    expect(Object.keys(g.monitor!.channels)).toContain("contraction_penalty");
    expect(expectGpuRunClose(g, cpu)).toBeLessThanOrEqual(1);
  }, 60_000);

  it("BGD, whose line searches read the cost back at every point, says to train on the CPU", async () => {
    const yaml = MLP(join(dir, "bgd.pkl")).replace(/algorithm: !obj:pylearn2\.training_algorithms\.sgd\.SGD \{[^]*?\n  \},/, `algorithm: !obj:pylearn2.training_algorithms.bgd.BGD {
    batch_size: 100, line_search_mode: 'exhaustive', conjugate: 1,
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 }
  },`);
    expect(yaml).toContain("bgd.BGD");
    await expect(trainOn(write("bgd.yaml", yaml), "webgpu")).rejects.toThrow(/BGD reads the cost back at every point of its line search, which the GPU cannot do synchronously; train it with --device cpu/);
  });

  it("a component that reads values synchronously during GPU training is a clear error naming where", () => {
    const t = Tensor.from([1, 2, 3], [3], gpu!);
    let err: unknown;
    try {
      t.toArray(); // stands for a component that reads synchronously: this line is the one named
    } catch (e) {
      err = explainGpuError(e);
    }
    expect(err).toBeInstanceOf(DlError);
    expect((err as DlError).message).toMatch(/^--device webgpu: a part of this experiment reads tensor values synchronously during training, which the webgpu backend cannot do yet \(at src\/train\/webgpu\.test\.ts:\d+\); train it with --device cpu$/);
  });

  it("finds a NaN or an infinity on the device, naming the parameter and the index, like the CPU check", async () => {
    const vals = new Float32Array(300).fill(0.5);
    const a = Tensor.from(vals, [300], gpu!);
    a.name = "a";
    const bad = vals.slice();
    bad[257] = Infinity;
    bad[280] = NaN;
    const b = Tensor.from(bad, [300], gpu!);
    b.name = "b";
    expect(await findNonFiniteAsync([a])).toBeNull();
    expect(await findNonFiniteAsync([a, b])).toEqual({ name: "b", what: "Inf", index: 257 });
    expect(await findNonFiniteAsync([a, b])).toEqual(findNonFinite([Tensor.from(vals, [300], cpuBackend), Tensor.from(bad, [300], cpuBackend)].map((t, i) => Object.assign(t, { name: "ab"[i] }))));
  });

  it("staged reads: synchronous code runs against one read-back; a kernel after it makes the copy stale", async () => {
    const t = Tensor.from([1, 2, 3], [3], gpu!);
    const u = Tensor.from([4], [], gpu!);
    let runs = 0;
    const got = await readBack(gpu!, () => {
      runs++;
      return [...t.toArray(), u.item()];
    });
    expect(runs).toBe(2);
    expect(got).toEqual([1, 2, 3, 4]);
    await expect(readBack(gpu!, () => {
      const v = t.toArray()[0];
      t.axpyInPlace(t, 1); // a kernel between the read-back and the use
      return t.toArray()[0] + v;
    })).rejects.toThrow(/stale/);
    expect(() => t.toArray()).toThrow(/await t\.read\(\)/);
    expect(await readScalars([u, Tensor.from([1, 2, 3.5], [3], gpu!).sum()])).toEqual([4, 6.5]);
  });
});

describe("dl train --device webgpu without a GPU", () => {
  it("is a clear error with exit code 2, and CPU training afterwards is unaffected", async () => {
    const yaml = write("mlp-missing.yaml", MLP(join(dir, "mlp-missing.pkl")));
    const missing = () => Promise.reject(new DlError("--device webgpu: no WebGPU adapter found (the optional npm package 'webgpu' is not installed; run `npm install webgpu`)"));
    const err = await trainFile(yaml, { device: "webgpu", openGpu: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DlError);
    expect((err as DlError).exitCode).toBe(2);
    expect((err as DlError).message).toMatch(/^--device webgpu: no WebGPU adapter found \(the optional npm package 'webgpu' is not installed/);
    expect(defaultBackend()).toBe(cpuBackend);
    const [r] = await trainFile(yaml, { device: "cpu", overrides: ["algorithm.termination_criterion.max_epochs=1"] });
    expect(r.epochs).toBe(1);
  }, 30_000);
});
