import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readModelFile } from "../src/io/model-file.js";
import { DL_BIN, ROOT, SHARED_DATA, type CliResult } from "./helpers/cli.js";

/**
 * Every example in configs/ validates (`dl train X --print-config`) and trains for one short epoch
 * on a small slice of real data (MNIST and CIFAR-10 from ../shared/data, the bundled digits, a
 * generated sine wave), through the real CLI. Sizes shrink through the files' %(name)s template
 * parameters and key-path overrides; nothing else about the files changes.
 */

const CONFIGS = join(ROOT, "configs");
/** Each run takes a few CPU seconds; the tests queue for two process slots, so allow for the wait on a busy machine. */
const LONG = 400_000;
let tmp: string;
let dataDir: string;

/** Child processes running now, and those waiting: two at a time, as many as CI has cores. */
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** `dl ARGS` as a child process that does not block the event loop, so two run side by side. */
function dl(args: string[], cwd: string): Promise<CliResult> {
  return slot(() => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DL_BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", DL_DATA_PATH: dataDir, PYLEARN2_DATA_PATH: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  }));
}

/** A fresh folder holding a copy of the config, so its relative save paths and !pkl: files land there. */
function workdir(name: string, ...configs: string[]): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const c of configs) copyFileSync(join(CONFIGS, c), join(dir, c));
  return dir;
}

async function ok(args: string[], cwd: string): Promise<CliResult> {
  const r = await dl(args, cwd);
  if (r.code !== 0) throw new Error(`dl ${args.join(" ")} exited ${r.code}:\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  return r;
}

/** --print-config, then one short training run; returns the trained model files' monitors, checked for epoch 1. */
async function validateAndTrain(dir: string, config: string, overrides: string[], models: string[]): Promise<void> {
  const printed = await ok(["train", config, "--print-config", ...overrides], dir);
  expect(printed.stdout).toMatch(/!obj:pylearn2\.train\.Train/);
  const trained = await ok(["train", config, "--quiet", ...overrides], dir);
  expect(trained.stderr).toBe("");
  for (const m of models) {
    const path = join(dir, m);
    expect(existsSync(path), `${config} should write ${m}`).toBe(true);
    const channels = readModelFile(path).monitor?.channels ?? {};
    const objective = channels.objective ?? channels.valid_objective;
    expect(objective, `${m} records an objective channel`).toBeDefined();
    expect(objective!.epoch.at(-1)).toBe(1); // trained one epoch and monitored after it
    expect(objective!.val.every((v) => Number.isFinite(Number(v)))).toBe(true);
  }
}

// Small MNIST slices: 200 training digits, 200 held-out ones (pylearn2's valid split starts at 50000).
const MNIST_SLICE = ["train_stop=200", "valid_stop=50200"];
const TEST_SLICE = "algorithm.monitoring_dataset.test.stop=200";

/** Each config with what a one-epoch run needs; every file in configs/ must be listed (checked below). */
const CASES: Record<string, { overrides: string[]; models: string[] }> = {
  // BGD's batches are 10000 examples; the slice has 200.
  "mlp_tutorial_part_2.yaml": { overrides: [...MNIST_SLICE, "dim_h0=20", "max_epochs=1", "algorithm.batch_size=100", TEST_SLICE], models: ["mlp_tutorial_part_2.pkl", "mlp_best.pkl"] },
  // No max_epochs: its MonitorBased rule gives way to one epoch.
  "softmax_regression.yaml": { overrides: [...MNIST_SLICE, "batch_size=100", "algorithm.termination_criterion=!obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 }", TEST_SLICE], models: ["softmax_regression.pkl", "softmax_regression_best.pkl"] },
  "mlp_tutorial_part_3.yaml": { overrides: [...MNIST_SLICE, "dim_h0=20", "dim_h1=20", "max_epochs=1", TEST_SLICE], models: ["mlp_tutorial_part_3.pkl", "mlp_2_best.pkl"] },
  "mlp_sigmoid.yaml": { overrides: [...MNIST_SLICE, "dim_h0=20", "max_epochs=1", TEST_SLICE], models: ["mlp_sigmoid.pkl"] },
  "mlp_relu.yaml": { overrides: [...MNIST_SLICE, "dim_h0=20", "dim_h1=20", "max_epochs=1", TEST_SLICE], models: ["mlp_relu.pkl"] },
  "conv.yaml": { overrides: [...MNIST_SLICE, "test_stop=200", "output_channels_h2=4", "output_channels_h3=4", "max_epochs=1"], models: ["conv.pkl"] },
  "maxout_dropout.yaml": { overrides: [...MNIST_SLICE, "num_units=20", "max_epochs=1"], models: ["maxout_dropout.pkl", "maxout_dropout_best.pkl"] },
  "lp_pooling.yaml": { overrides: [...MNIST_SLICE, "dim=40", "max_epochs=1"], models: ["lp_pooling.pkl"] },
  "locally_connected.yaml": { overrides: [...MNIST_SLICE, "channels=2", "max_epochs=1"], models: ["locally_connected.pkl"] },
  "cae.yaml": { overrides: ["train_stop=200", "nhid=20", "max_epochs=1"], models: ["cae.pkl"] },
  "sliding_window.yaml": { overrides: ["length=300", "max_epochs=1"], models: ["sliding_window.pkl"] },
  "rbm_svm.yaml": { overrides: [...MNIST_SLICE, "nhid=20", "rbm_epochs=1", "svm_epochs=1"], models: ["rbm_svm_l1.pkl", "rbm_svm.pkl"] },
  "rbm_stack_svm.yaml": {
    overrides: [...MNIST_SLICE, "nhid1=20", "nhid2=10", "rbm_epochs=1", "svm_epochs=1"],
    models: ["dbn_l1.pkl", "dbn_l2.pkl", "dbn_svm.pkl"],
  },
};
/** Configs that load a dataset file or an earlier model with !pkl:, run in the tests below after what they load. */
const CHAINED = ["cifar_grbm_smd.yaml", "digits_grbm_smd.yaml", "dae_l1.yaml", "dae_l2.yaml", "dae_mlp.yaml"];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "dl-configs-"));
  // dl's data folder layout, over the shared real data: <data>/mnist and <data>/cifar10/cifar-10-batches-bin.
  dataDir = join(tmp, "data");
  mkdirSync(join(dataDir, "cifar10"), { recursive: true });
  symlinkSync(join(SHARED_DATA, "mnist"), join(dataDir, "mnist"));
  symlinkSync(join(SHARED_DATA, "cifar-10", "cifar-10-batches-bin"), join(dataDir, "cifar10", "cifar-10-batches-bin"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("configs/", () => {
  it("every example is covered here and starts with a comment saying what it shows", () => {
    const files = readdirSync(CONFIGS).filter((f) => f.endsWith(".yaml")).sort();
    const covered = new Set([...Object.keys(CASES), ...CHAINED]);
    expect(files.filter((f) => !covered.has(f)), "configs with no test: add them to CASES in test/configs.test.ts").toEqual([]);
    expect([...covered].filter((f) => !files.includes(f)), "tested configs missing from configs/").toEqual([]);
    for (const f of files) {
      const text = readFileSync(join(CONFIGS, f), "utf8");
      expect(text.startsWith("#"), `${f} starts with a comment`).toBe(true);
      expect(text.split("\n").slice(0, 12).join("\n"), `${f}: a 'Shows:' line near the top`).toMatch(/^# Shows: /m);
    }
  });

  for (const [config, c] of Object.entries(CASES)) {
    it.concurrent(`${config} validates and trains one short epoch`, async () => {
      const dir = workdir(config.replace(/\.yaml$/, ""), config);
      await validateAndTrain(dir, config, c.overrides, c.models);
    }, LONG);
  }

  it.concurrent("the stacked denoising autoencoders: dae_l1 -> dae_l2 (on dae_l1's codes) -> dae_mlp (fine-tuning both)", async () => {
    const dir = workdir("dae", "dae_l1.yaml", "dae_l2.yaml", "dae_mlp.yaml");
    await validateAndTrain(dir, "dae_l1.yaml", ["train_stop=200", "nhid=20", "max_epochs=1"], ["dae_l1.pkl"]);
    await validateAndTrain(dir, "dae_l2.yaml", ["train_stop=200", "nvis=20", "nhid=10", "max_epochs=1"], ["dae_l2.pkl"]);
    await validateAndTrain(dir, "dae_mlp.yaml", [...MNIST_SLICE, "max_epochs=1"], ["dae_mlp.pkl"]);
  }, LONG);

  it.concurrent("the GRBM tutorials: cifar_grbm_smd on real CIFAR-10 patches and digits_grbm_smd on the digits", async () => {
    const dir = workdir("grbm", "cifar_grbm_smd.yaml", "digits_grbm_smd.yaml");
    // The tutorial's pipeline (patches, GCN, ZCA) on the first 500 CIFAR-10 images: a small stand-in for make-dataset.
    writeFileSync(
      join(dir, "patches.yaml"),
      `!obj:pylearn2.datasets.cifar10.CIFAR10 {
        which_set: 'train', stop: 500, fit_preprocessor: True,
        preprocessor: !obj:pylearn2.datasets.preprocessing.Pipeline { items: [
          !obj:pylearn2.datasets.preprocessing.ExtractPatches { patch_shape: [8, 8], num_patches: 1000 },
          !obj:pylearn2.datasets.preprocessing.GlobalContrastNormalization { sqrt_bias: 10, use_std: True },
          !obj:pylearn2.datasets.preprocessing.ZCA {} ] } }\n`,
    );
    await ok(["make-dataset", "patches.yaml", "--out", "cifar10_preprocessed_train.pkl"], dir);
    await ok(["make-dataset", "digits-patches", "--num-patches", "1000"], dir);
    const oneEpoch = ["algorithm.termination_criterion=!obj:pylearn2.termination_criteria.EpochCounter {max_epochs: 1}"];
    await validateAndTrain(dir, "cifar_grbm_smd.yaml", oneEpoch, ["cifar_grbm_smd.pkl"]);
    await validateAndTrain(dir, "digits_grbm_smd.yaml", oneEpoch, ["digits_grbm_smd.pkl"]);
  }, LONG);
});
