import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readModelFile } from "../src/io/model-file.js";
import { ROOT, SHARED_DATA, runDl } from "./helpers/cli.js";

/**
 * The check issue 7 names: pylearn2's cifar_grbm_smd.yaml, unchanged, trains on a dataset made by
 * `dl make-dataset cifar10-patches --num-patches 15000` from the real CIFAR-10 files, and its
 * objective falls. Epochs are shortened on the command line (200 batches of 5) so it takes seconds.
 */
const dir = mkdtempSync(join(tmpdir(), "dl-grbm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  const data = join(dir, "data");
  mkdirSync(join(data, "cifar10"), { recursive: true });
  symlinkSync(join(SHARED_DATA, "cifar-10", "cifar-10-batches-bin"), join(data, "cifar10", "cifar-10-batches-bin"));
  const r = runDl(["make-dataset", "cifar10-patches", "--num-patches", "15000", "--data-dir", data], { cwd: dir, timeout: 180_000 });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  copyFileSync(join(ROOT, "configs", "cifar_grbm_smd.yaml"), join(dir, "cifar_grbm_smd.yaml"));
}, 200_000);

describe("the grbm_smd tutorial", () => {
  it("trains from pylearn2's YAML text and the SMD objective falls", () => {
    const yaml = readFileSync(join(dir, "cifar_grbm_smd.yaml"), "utf8");
    expect(yaml).toContain("!obj:pylearn2.models.rbm.GaussianBinaryRBM");
    expect(yaml).toContain('dataset: !pkl: "cifar10_preprocessed_train.pkl"');
    const r = runDl(
      ["train", "cifar_grbm_smd.yaml", "algorithm.batches_per_iter=200", "algorithm.monitoring_batch_size=25", "--time-budget", "8", "--quiet"],
      { cwd: dir, timeout: 180_000 },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);

    const m = readModelFile(join(dir, "cifar_grbm_smd.pkl"));
    expect(m.className).toBe("GaussianBinaryRBM");
    expect(m.tensors.W.shape).toEqual([192, 400]);
    expect(m.view).toEqual({ rows: 8, cols: 8, channels: 3 });
    expect(m.metadata.dataset_path).toBe(join(dir, "cifar10_preprocessed_train.pkl"));
    expect(m.layers?.[0]).toMatchObject({ tensor: "W", layout: "vis_by_hid" });
    const ch = m.monitor!.channels;
    // DESIGN section 4's list for the GRBM, exactly.
    expect(Object.keys(ch).sort()).toEqual(
      [
        "bias_hid_max", "bias_hid_mean", "bias_hid_min", "bias_vis_max", "bias_vis_mean", "bias_vis_min",
        "h_max", "h_mean", "h_min", "learning_rate", "objective", "reconstruction_error",
        "total_seconds_last_epoch", "training_seconds_this_epoch",
      ].sort(),
    );
    const obj = ch.objective.val;
    expect(obj.length).toBeGreaterThanOrEqual(3);
    expect(obj[1]).toBeLessThan(obj[0]);
    expect(obj[obj.length - 1]).toBeLessThan(obj[0] * 0.95);
    // Each epoch is 200 batches of 5 examples.
    expect(ch.objective.example.slice(0, 3)).toEqual([0, 1000, 2000]);
  });
});
