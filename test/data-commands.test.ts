import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { c as tarCreate } from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { writeModelFile } from "../src/io/model-file.js";
import { loadDataset } from "../src/data/dataset-file.js";
import { loadDigits } from "../src/data/digits.js";
import { DL_BIN, runDl, SHARED_DATA } from "./helpers/cli.js";
import { startRangeServer } from "./helpers/range-server.js";

const dir = mkdtempSync(join(tmpdir(), "dl-data-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A data folder whose CIFAR-10 batches are the shared copy, linked. */
function linkedDataDir(): string {
  const d = join(dir, "linked");
  if (!existsSync(d)) {
    mkdirSync(join(d, "cifar10"), { recursive: true });
    symlinkSync(resolve(SHARED_DATA, "cifar-10/cifar-10-batches-bin"), join(d, "cifar10", "cifar-10-batches-bin"));
  }
  return d;
}

describe("dl make-dataset", () => {
  it("cifar10-patches on real CIFAR-10: patches, GCN, ZCA, written as a dataset file", () => {
    const out = join(dir, "patches.pkl");
    const r = runDl(["make-dataset", "cifar10-patches", "--data-dir", linkedDataDir(), "--num-patches", "3000", "--seed", "7", "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ExtractPatches\s+\d+\.\d\d s/);
    expect(r.stdout).toMatch(/ZCA\s+\d+\.\d\d s/);
    expect(r.stdout).toContain(`wrote ${out}: 3000 x 192, view 8x8x3`);
    const ds = loadDataset(out);
    expect(ds.preprocessing[0].settings).toEqual({ patch_shape: [8, 8], num_patches: 3000, rng: 7 });
    // Whitened: every feature has mean 0 and the covariance is close to the identity (filter_bias shrinks it a little).
    let m = 0;
    let v = 0;
    for (let i = 0; i < 3000; i++) {
      m += ds.X[i * 192 + 100] / 3000;
      v += ds.X[i * 192 + 100] ** 2 / 3000;
    }
    expect(Math.abs(m)).toBeLessThan(1e-4);
    expect(v).toBeGreaterThan(0.3);
    expect(v).toBeLessThan(1);
  });

  it("says where it looked and how to fetch when CIFAR-10 is missing; suggests a preset name", () => {
    const r = runDl(["make-dataset", "cifar10-patches", "--data-dir", join(dir, "nothing-here")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dl: error: CIFAR-10 not found: .*nothing-here\/cifar10\/cifar-10-batches-bin has no data_batch_1\.bin.*`dl download-cifar10`/);
    const typo = runDl(["make-dataset", "cifar10-patchs"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("Did you mean `cifar10-patches`?");
    const bad = runDl(["make-dataset", "digits-patches", "--num-patches", "many"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--num-patches must be a positive integer");
  });

  it("runs a YAML pipeline ({dataset, preprocessor}) and dl info describes the result", () => {
    const yaml = join(dir, "digits_pca.yaml");
    writeFileSync(
      yaml,
      `# digits -> GCN -> PCA(10)
dataset: !obj:dl.datasets.Digits { which_set: 'train' }
preprocessor: !obj:pylearn2.datasets.preprocessing.Pipeline {
  items: [
    !obj:pylearn2.datasets.preprocessing.GlobalContrastNormalization { sqrt_bias: 10., use_std: True },
    !obj:pylearn2.datasets.preprocessing.PCA { num_components: 10 },
  ]
}
`,
    );
    const r = runDl(["make-dataset", yaml], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = join(dir, "digits_pca.pkl");
    expect(r.stdout).toContain(`wrote ${out}: 1500 x 10`);

    const info = runDl(["info", out]);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain("examples:      1500 x 10 features");
    expect(info.stdout).toContain("view:          none");
    expect(info.stdout).toMatch(/labels:\s+10 classes: 0 15\d, 1 15\d/);
    expect(info.stdout).toContain("1. GlobalContrastNormalization(scale=1, subtract_mean=true, use_std=true, sqrt_bias=10, min_divisor=1e-8)");
    expect(info.stdout).toContain("2. PCA(num_components=10, whiten=false, prefix=\"pca\")");
    expect(info.stdout).toContain("fitted:        pca_W [64, 10], pca_mean [64], pca_v [10]");
    const json = JSON.parse(runDl(["info", out, "--json"]).stdout);
    expect(json.numExamples).toBe(1500);
    expect(json.labels.counts.reduce((a: number, b: number) => a + b, 0)).toBe(1500);
    expect(json.fitted.pca_W).toEqual([64, 10]);

    const badYaml = join(dir, "bad.yaml");
    writeFileSync(badYaml, "dataset: !obj:dl.datasets.Digits { which_sett: 'train' }\n");
    const e = runDl(["make-dataset", badYaml], { cwd: dir });
    expect(e.stderr).toContain("did you mean `which_set`");
    expect(e.code).toBe(2);
  });
});

describe("dl make-dataset with a trained model (stacking)", () => {
  it("writes a TransformerDataset: digits encoded by a saved autoencoder", () => {
    // A model file as dl train writes it: the resolved YAML of the model plus its parameters.
    const rng = (i: number) => Math.sin(i * 12.9898) * 0.3;
    const W = Float32Array.from({ length: 64 * 5 }, (_, i) => rng(i));
    const b = Float32Array.from({ length: 5 }, (_, i) => 0.1 * i);
    const model = join(dir, "ae.pkl");
    writeModelFile(model, {
      className: "Autoencoder",
      config: "!obj:pylearn2.models.autoencoder.Autoencoder { nvis: 64, nhid: 5, act_enc: 'sigmoid', act_dec: null, irange: 0.1 }\n",
      tensors: {
        weights: { shape: [64, 5], data: W },
        hidbias: { shape: [5], data: b },
        visbias: { shape: [64], data: new Float32Array(64) },
        w_prime: { shape: [5, 64], data: new Float32Array(320) },
      },
    });
    const yaml = join(dir, "stack.yaml");
    writeFileSync(
      yaml,
      `!obj:pylearn2.datasets.transformer_dataset.TransformerDataset {
  raw: !obj:dl.datasets.Digits { which_set: 'test', stop: 20 },
  transformer: !pkl: "ae.pkl",
}
`,
    );
    const r = runDl(["make-dataset", yaml, "--out", join(dir, "codes.pkl")], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const codes = loadDataset(join(dir, "codes.pkl"));
    expect(codes.dim).toBe(5);
    expect(codes.numExamples).toBe(20);
    // First code by hand: sigmoid(x W + b) on the first test digit.
    expect(codes.labels).toHaveLength(20);
    const d = loadDigits({ which_set: "test", stop: 1 });
    let z = b[2];
    for (let i = 0; i < 64; i++) z += d.X[i] * W[i * 5 + 2];
    expect(codes.X[2]).toBeCloseTo(1 / (1 + Math.exp(-z)), 5);
  });
});

describe("dl info on models", () => {
  it("shows class, parameter shapes, metadata and each channel's last value; --json has the full history", () => {
    const path = join(dir, "model.pkl");
    const monitor = {
      channels: {
        objective: { val: [3, 2, 1.5], batch: [0, 10, 20], example: [0, 50, 100], epoch: [0, 1, 2], time: [0, 1, 2] },
        learning_rate: { val: [0.1, 0.1, 0.05], batch: [0, 10, 20], example: [0, 50, 100], epoch: [0, 1, 2], time: [0, 1, 2] },
      },
    };
    writeModelFile(path, {
      className: "GaussianBinaryRBM",
      tensors: { W: { shape: [192, 400], data: new Float32Array(192 * 400) }, bias_hid: { shape: [400], data: new Float32Array(400) } },
      monitor,
      view: { rows: 8, cols: 8, channels: 3 },
      config: "!obj:pylearn2.models.rbm.GaussianBinaryRBM {\n  nvis: 192,\n  nhid: 400,\n}\n",
      extra: { dataset_path: "cifar10_preprocessed_train.pkl" },
    });
    const r = runDl(["info", path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("dl model file (dl-model/1");
    expect(r.stdout).toContain("class:       GaussianBinaryRBM");
    expect(r.stdout).toContain("parameters:  77,200 values");
    expect(r.stdout).toMatch(/W\s+\[192, 400\]/);
    expect(r.stdout).toContain("dataset_path: cifar10_preprocessed_train.pkl");
    expect(r.stdout).toContain("monitor:     2 channels, last values (epoch 2):");
    expect(r.stdout).toMatch(/objective\s+1\.5\n/);
    expect(r.stdout).toMatch(/learning_rate\s+0\.05\n/);
    expect(r.stdout).toContain("    nhid: 400,");
    const json = JSON.parse(runDl(["info", path, "--json"]).stdout);
    expect(json.monitor.channels.objective.val).toEqual([3, 2, 1.5]);
    expect(json.parameters.bias_hid).toEqual([400]);

    writeFileSync(join(dir, "junk.pkl"), "junk");
    const bad = runDl(["info", join(dir, "junk.pkl")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/dl: error: .*junk\.pkl is not a readable dl file/);
  });
});

/** Runs dl without blocking this process's event loop (the HTTP server below lives here). */
function runDlAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [DL_BIN, ...args], { env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (c) => (stdout += c));
    p.stderr.on("data", (c) => (stderr += c));
    p.on("close", (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

describe("dl download-cifar10 / download-mnist", () => {
  it("installs from a folder (offline), then reports it present", () => {
    const data = join(dir, "dl-data");
    const r = runDl(["download-cifar10", "--data-dir", data, "--from", resolve(SHARED_DATA, "cifar-10/cifar-10-batches-bin")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`data folder: ${data} (from --data-dir)`);
    expect(r.stdout).toContain("CIFAR-10 copied and verified (5 files, sha256)");
    expect(r.stderr).toContain("dl: warning:");
    const again = runDl(["download-cifar10", "--data-dir", data]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already present and verified");

    const m = runDl(["download-mnist", "--data-dir", data, "--from", resolve(SHARED_DATA, "mnist")]);
    expect(m.code).toBe(0);
    expect(m.stdout).toContain("MNIST copied and verified (4 files)");
  });

  it("downloads over HTTP with one progress line, and refuses an archive that does not verify", async () => {
    const staging = join(dir, "stage", "cifar-10-batches-bin");
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, "batches.meta.txt"), readFileSync(resolve(SHARED_DATA, "cifar-10/cifar-10-batches-bin/batches.meta.txt")));
    await tarCreate({ gzip: true, file: join(dir, "fake.tar.gz"), cwd: join(dir, "stage") }, ["cifar-10-batches-bin"]);
    const server = await startRangeServer();
    try {
      server.serve("/cifar-10-binary.tar.gz", readFileSync(join(dir, "fake.tar.gz")));
      const data = join(dir, "http-data");
      const r = await runDlAsync(["download-cifar10", "--data-dir", data, "--from", server.url("/cifar-10-binary.tar.gz")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^cifar-10-binary\.tar\.gz: \d+ B in \d+\.\d s/m); // not a TTY: one line
      expect(r.stderr).toMatch(/dl: error: .*does not contain CIFAR-10's data_batch_1\.bin/);
      expect(existsSync(join(data, "cifar10", "cifar-10-batches-bin"))).toBe(false);
    } finally {
      await server.close();
    }
  });
});
