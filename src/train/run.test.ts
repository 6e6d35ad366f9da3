import { afterAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readModelFile } from "../io/model-file.js";
import { loadModel, makePklLoader } from "./load.js";
import { loadTrainExperiment, trainFile } from "./run.js";
import { testRegistry } from "./testing/fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dl-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const registry = testRegistry();

const train = (extra = "", epochs = 2) => `!obj:pylearn2.train.Train {
    dataset: &d !obj:TestData { n: 40, dim: 3 },
    model: !obj:TestLinear { nvis: 3, W_lr_scale: 0.5 },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: .1,
        batch_size: 8,
        monitoring_dataset: { 'valid': *d },
        cost: !obj:TestMSE {},
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: ${epochs} },
    },
    extensions: [!obj:pylearn2.training_algorithms.sgd.MonitorBasedLRAdjuster { dataset_name: valid }],
    ${extra}
}`;

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe("trainFile (dl train as a function)", () => {
  it("trains a YAML Train, saves to the YAML's stem + .pkl, and the file loads back as the same model", async () => {
    const yaml = write("exp.yaml", train());
    const [r] = await trainFile(yaml, { registry });
    expect(r.epochs).toBe(2);
    expect(r.savePath).toBe(join(dir, "exp.pkl"));
    const f = readModelFile(r.savePath);
    expect(f.config).toMatch(/^!obj:TestLinear/);
    expect(f.metadata.train_config).toMatch(/pylearn2.train.Train/);
    expect(Object.keys(f.monitor!.channels)).toContain("valid_objective");
    const m = loadModel(r.savePath, { registry });
    expect(m.className).toBe("TestLinear");
    expect(Array.from(m.params()[0].toArray())).toEqual(Array.from(f.tensors.W.data));
    expect(m.lrScalers?.()).toEqual({ W: 0.5 });
  });

  it("overrides and --seed change the run; the same seed repeats it exactly", async () => {
    const yaml = write("seeded.yaml", train("save_path: seeded.pkl"));
    const cwd = dir;
    const run = async (seed: number | null, overrides: string[] = []) => {
      const [r] = await trainFile(yaml, { registry, seed, overrides, cwd });
      return Buffer.from(readModelFile(r.savePath).tensors.W.data.buffer).toString("hex");
    };
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    const [r] = await trainFile(yaml, { registry, overrides: ["algorithm.termination_criterion.max_epochs=1"], cwd });
    expect(r.epochs).toBe(1);
  });

  it("the maxout paper's second stage: push_monitor sets the saved model's monitor aside, MatchChannel stops at its last train objective", async () => {
    const digits = (stop: number) => `!obj:dl.datasets.Digits { which_set: train, start: 0, stop: ${stop} }`;
    const algorithm = (data: string, stop: string) => `algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: .05, batch_size: 20,
        monitoring_dataset: { 'train': ${data}, 'valid': !obj:dl.datasets.Digits { which_set: train, start: 300, stop: 400 } },
        termination_criterion: ${stop} }`;
    const stage0 = write("stage0.yaml", `!obj:pylearn2.train.Train {
        dataset: ${digits(300)},
        model: !obj:pylearn2.models.mlp.MLP { nvis: 64, layers: [
          !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: h0, dim: 16, irange: .1 },
          !obj:pylearn2.models.mlp.Softmax { layer_name: y, n_classes: 10, irange: .1 } ] },
        ${algorithm(digits(300), "!obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 4 }")} }`);
    await trainFile(stage0);
    const old = readModelFile(join(dir, "stage0.pkl")).monitor!.channels;
    const target = old.train_objective.val.at(-1)!;
    const stage1 = (push: string) => `!obj:pylearn2.train.Train {
        dataset: ${digits(400)},
        model: !obj:pylearn2.monitor.push_monitor { model: !pkl: "stage0.pkl", name: "monitor_stage_0"${push} },
        ${algorithm(digits(400), `!obj:pylearn2.termination_criteria.MatchChannel {
          channel_name: "valid_objective", prev_channel_name: "train_objective", prev_monitor_name: "monitor_stage_0" }`)} }`;
    const [r] = await trainFile(write("stage1.yaml", stage1("")));
    const f = readModelFile(r.savePath);
    const valid = f.monitor!.channels.valid_objective;
    // A new monitor: its records start at epoch 0 of this stage; it stopped at the first value at or below the target.
    expect(valid.epoch[0]).toBe(0);
    expect(valid.val.length).toBeGreaterThan(1);
    expect(valid.val.at(-1)!).toBeLessThanOrEqual(target);
    expect(valid.val.slice(0, -1).every((v) => v > target)).toBe(true);
    // The file holds the model's own config, so it loads back like any model.
    expect(f.config).toMatch(/^!obj:pylearn2.models.mlp.MLP/);
    expect(loadModel(r.savePath).className).toBe("MLP");
    // transfer_experience: the counters go on from stage 0's; save_records: so do its records.
    const [t] = await trainFile(write("stage1t.yaml", stage1(", transfer_experience: True")), { overrides: ["save_path=stage1t.pkl"], cwd: dir });
    const tv = readModelFile(t.savePath).monitor!.channels.valid_objective;
    expect([tv.epoch[0], tv.val.length]).toEqual([4, valid.val.length]);
    const [k] = await trainFile(write("stage1k.yaml", stage1(", transfer_experience: True, save_records: True")), { overrides: ["save_path=stage1k.pkl"], cwd: dir });
    const kv = readModelFile(k.savePath).monitor!.channels.valid_objective;
    expect(kv.val.slice(0, 5)).toEqual(old.valid_objective.val);
    // A model built in the file has no monitor to set aside.
    const inline = stage1("").replace(`!pkl: "stage0.pkl"`, "!obj:pylearn2.models.mlp.MLP { nvis: 64, layers: [ !obj:pylearn2.models.mlp.Softmax { layer_name: y, n_classes: 10, irange: .1 } ] }");
    await expect(trainFile(write("stage1i.yaml", inline))).rejects.toThrow(/push_monitor needs a saved model \(model: !pkl: "file.pkl"\)/);
  }, 60_000);

  it("a top-level list runs phase after phase; a later phase loads an earlier phase's file with !pkl:", async () => {
    const yaml = write(
      "phases.yaml",
      `[${train(`save_path: "${join(dir, "p1.pkl")}"`)},
        !obj:pylearn2.train.Train {
          dataset: !obj:TestData { n: 40, dim: 3 },
          model: !pkl: "p1.pkl",
          algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
            learning_rate: .1, batch_size: 8, cost: !obj:TestMSE {},
            termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 } } }]`,
    );
    expect(loadTrainExperiment(yaml, { registry }).count).toBe(2);
    const rs = await trainFile(yaml, { registry });
    // Epochs seen by each phase's model: phase 2 trains p1.pkl one epoch further.
    expect(rs.map((r) => r.epochs)).toEqual([2, 3]);
    // Phase 2 has no save_path: the YAML stem + .phase2.pkl (PYLEARN2_TRAIN_PHASE).
    expect(rs[1].savePath).toBe(join(dir, "phases.phase2.pkl"));
    const p1 = readModelFile(join(dir, "p1.pkl")).tensors.W.data;
    const p2 = readModelFile(rs[1].savePath).tensors.W.data;
    expect(Array.from(p2)).not.toEqual(Array.from(p1)); // trained further from p1's weights
    // As pylearn2's model.monitor: the saved model's history and counters continue (epochs 0-2, then 3).
    const h = readModelFile(rs[1].savePath).monitor!.channels.learning_rate;
    expect(h.epoch).toEqual([0, 1, 2, 2, 3]);
    expect(h.example).toEqual([0, 40, 80, 80, 120]);
    expect(process.env.PYLEARN2_TRAIN_PHASE).toBeUndefined();
  });

  it("a time budget stops between epochs once it is spent, and still saves", async () => {
    const yaml = write("budget.yaml", train("", 100000));
    const [r] = await trainFile(yaml, { registry, timeBudget: 0.3 });
    expect(r.reason).toBe("time_budget");
    expect(r.epochs).toBeGreaterThan(0);
    expect(r.seconds).toBeGreaterThanOrEqual(0.3);
    expect(r.seconds).toBeLessThan(5);
    expect(readModelFile(r.savePath).monitor!.channels.valid_objective.val).toHaveLength(r.epochs + 1);
  });

  it("a damaged or truncated model file is a clear error", async () => {
    const yaml = write("dmg.yaml", train());
    const [r] = await trainFile(yaml, { registry });
    const bytes = (await import("node:fs")).readFileSync(r.savePath);
    const cut = write("cut.pkl", "");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    expect(() => loadModel(cut, { registry })).toThrow(/cut\.pkl/);
    writeFileSync(cut, "not a model at all");
    expect(() => makePklLoader({ registry })(cut)).toThrow(/cut\.pkl/);
    expect(existsSync(r.savePath)).toBe(true);
  });
});

describe("BGD from YAML", () => {
  it("trains with its line searches, reports pylearn2's step-size channels and no learning rate, and stops by its criterion", async () => {
    const yaml = write(
      "bgd.yaml",
      `!obj:pylearn2.train.Train {
        dataset: &d !obj:TestData { n: 60, dim: 3 },
        model: !obj:TestLinear { nvis: 3 },
        algorithm: !obj:pylearn2.training_algorithms.bgd.BGD {
          cost: !obj:TestMSE {}, batch_size: 30, line_search_mode: 'exhaustive', conjugate: 1, updates_per_batch: 4,
          monitoring_dataset: { 'train': *d },
          termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 3 } } }`,
    );
    const [r] = await trainFile(yaml, { registry });
    expect([r.epochs, r.batches]).toEqual([3, 6]);
    const ch = readModelFile(r.savePath).monitor!.channels;
    expect(Object.keys(ch)).toEqual(expect.arrayContaining(["ave_step_size", "ave_grad_size", "ave_grad_mult", "train_objective"]));
    expect(Object.keys(ch)).not.toContain("learning_rate");
    const obj = ch.train_objective.val;
    expect(obj[3]).toBeLessThan(obj[0] / 10);
    expect(ch.ave_step_size.val[0]).toBe(0);
    expect(ch.ave_step_size.val[3]).toBeGreaterThan(0);
  });

  it("an extension that sets a learning rate is a clear error with BGD", async () => {
    const yaml = write(
      "bgd-lr.yaml",
      `!obj:pylearn2.train.Train {
        dataset: &d !obj:TestData { n: 20, dim: 3 },
        model: !obj:TestLinear { nvis: 3 },
        algorithm: !obj:pylearn2.training_algorithms.bgd.BGD { cost: !obj:TestMSE {}, batch_size: 10, monitoring_dataset: *d,
          termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 3 } },
        extensions: [!obj:pylearn2.training_algorithms.sgd.MonitorBasedLRAdjuster {}] }`,
    );
    await expect(trainFile(yaml, { registry })).rejects.toThrow(/BGD has no learning rate/);
  });
});

describe("SGD without batch_size", () => {
  it("uses the model's batch_size keyword, as pylearn2 did for the MLP tutorials", async () => {
    const yaml = write(
      "mbs.yaml",
      `!obj:pylearn2.train.Train {
        dataset: !obj:TestData { n: 30, dim: 3 },
        model: !obj:TestLinear { nvis: 3, batch_size: 6 },
        algorithm: !obj:pylearn2.training_algorithms.sgd.SGD { learning_rate: .1, cost: !obj:TestMSE {},
          termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 } } }`,
    );
    const [r] = await trainFile(yaml, { registry });
    expect(r.batches).toBe(5);
  });
});
