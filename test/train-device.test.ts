import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probeAdapter } from "../src/engine/backends/webgpu/probe.js";
import { readModelFile } from "../src/io/model-file.js";
import { runDl } from "./helpers/cli.js";

/**
 * `dl train --device cpu|webgpu` as a user runs it: a real process that trains on the GPU (here
 * Mesa's lavapipe) and exits promptly, resumes there exactly, and the errors for a bad device
 * name and for a machine without a GPU (every Vulkan driver hidden from Dawn).
 */
const root = mkdtempSync(join(tmpdir(), "dl-train-device-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const probe = await probeAdapter();
if (!probe.found) console.log(`dl train --device webgpu CLI tests skipped: ${probe.why}`);

const YAML = (epochs: number, extra = "") => `!obj:pylearn2.train.Train {
  dataset: &train !obj:dl.datasets.Digits { which_set: train, start: 0, stop: 100 },
  model: !obj:pylearn2.models.mlp.MLP {
    nvis: 64,
    layers: [
      !obj:pylearn2.models.mlp.Sigmoid { layer_name: 'h0', dim: 16, irange: 0.1 },
      !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: 0.1 }
    ]
  },
  algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
    batch_size: 10, learning_rate: .1, monitoring_dataset: { 'train': *train },
    learning_rule: !obj:pylearn2.training_algorithms.learning_rule.Momentum { init_momentum: .5 },
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: ${epochs} }
  },
  save_freq: 1,
  ${extra}
}
`;

function workdir(name: string, text: string): string {
  const d = join(root, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "m.yaml"), text);
  return d;
}

const paramHex = (file: string) =>
  Object.entries(readModelFile(file).tensors).map(([k, t]) => `${k}:${Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString("hex")}`).join();

describe("dl train --device", () => {
  it.skipIf(!probe.found)("webgpu: trains, saves, exits promptly; 1 epoch then --resume gives bit-identical parameters to 2 straight", () => {
    const d = workdir("gpu", YAML(2));
    const t0 = Date.now();
    const straight = runDl(["train", "m.yaml", "--device", "webgpu"], { cwd: d, timeout: 90_000 });
    expect(straight.code, straight.stderr).toBe(0);
    // Dawn + lavapipe start in ~1-3 s; a device left open would hold the process until the timeout.
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(straight.stdout).toMatch(/Device: webgpu on \S/);
    expect(straight.stdout).toMatch(/Training complete: 2 epochs, 20 batches, 200 examples/);
    const want = paramHex(join(d, "m.pkl"));

    const r = workdir("gpu-resume", YAML(1, "device: webgpu"));
    expect(runDl(["train", "m.yaml", "--quiet"], { cwd: r, timeout: 90_000 }).code).toBe(0);
    const resumed = runDl(["train", "m.yaml", "--resume", "--quiet", "algorithm.termination_criterion.max_epochs=2"], { cwd: r, timeout: 90_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(paramHex(join(r, "m.pkl"))).toBe(want);
  }, 240_000);

  it("a bad device name is a usage error with a suggestion; the YAML key is validated too", () => {
    const d = workdir("bad", YAML(1));
    const a = runDl(["train", "m.yaml", "--device", "webgpus"], { cwd: d });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^dl: error: --device must be one of cpu, webgpu, got 'webgpus'\. Did you mean `webgpu`\?/);
    const b = runDl(["train", "m.yaml", "device=cuda"], { cwd: d });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/device: expected one of 'cpu', 'webgpu', got 'cuda'/);
  });

  it("without a GPU, --device webgpu says so (exit 2) and --device cpu trains a YAML that asks for webgpu", () => {
    const d = workdir("nogpu", YAML(1, "device: webgpu"));
    // Pointing the Vulkan loader at no driver hides every adapter from Dawn.
    const env = { VK_ICD_FILENAMES: "/nonexistent.json", VK_DRIVER_FILES: "/nonexistent.json" };
    const a = runDl(["train", "m.yaml"], { cwd: d, env });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^dl: error: --device webgpu: no WebGPU adapter found \(.+\)$/m);
    expect(a.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    const b = runDl(["train", "m.yaml", "--device", "cpu", "--quiet"], { cwd: d, env });
    expect(b.code, b.stderr).toBe(0);
    expect(readModelFile(join(d, "m.pkl")).monitor!.channels.train_y_misclass.val).toHaveLength(2);
  }, 60_000);
});
