import { afterAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readModelFile } from "../io/model-file.js";
import { readCheckpoint } from "./checkpoint.js";
import { Momentum } from "./learning-rules.js";
import { SGD, type SgdOptions } from "./sgd.js";
import { EpochCounter, MonitorBased } from "./termination.js";
import { MonitorBasedLRAdjuster, MomentumAdjustor } from "./extensions.js";
import { ExponentialDecay } from "./update-callbacks.js";
import { Train, TrainingInterrupted } from "./train.js";
import { LinearRegression, MeanSquaredError, regressionData } from "./testing/fixtures.js";
import { ConsoleReporter } from "./reporter.js";
import { Writable } from "node:stream";

const dir = mkdtempSync(join(tmpdir(), "dl-train-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = regressionData(64, 5, 2, 7);
const valid = regressionData(32, 5, 2, 8);

/** A Train over the regression fixture with momentum, an LR adjuster, a momentum schedule and a per-step decay. */
function makeTrain(savePath: string, maxEpochs: number, over: Partial<SgdOptions> = {}): Train {
  const model = new LinearRegression(5, 2, 3, { b: 0.5 });
  const algorithm = new SGD({
    learningRate: 0.05,
    batchSize: 10,
    cost: new MeanSquaredError(),
    learningRule: new Momentum(0.5),
    monitoringDataset: { train: data, valid },
    terminationCriterion: new EpochCounter(maxEpochs),
    updateCallbacks: [new ExponentialDecay(1.001, 1e-4)],
    seed: [1, 2, 3],
    ...over,
  });
  return new Train({
    dataset: data,
    model,
    algorithm,
    savePath,
    saveFreq: 1,
    extensions: [new MonitorBasedLRAdjuster(1, 0.9, 0.99, 1.05, 1e-7, 1, "valid"), new MomentumAdjustor(0.9, 1, 4)],
  });
}

function paramBytes(t: Train): Buffer {
  return Buffer.concat(t.model.params().map((p) => Buffer.from((p.toArray() as Float32Array).slice().buffer)));
}

describe("Train with SGD", () => {
  it("learns the regression, monitors every channel per dataset, and writes model + checkpoint files", async () => {
    const path = join(dir, "straight.pkl");
    const t = makeTrain(path, 6);
    const r = await t.mainLoop();
    expect(r).toMatchObject({ epochs: 6, batches: 6 * 7, examples: 6 * 64, reason: "criterion" });
    const h = t.monitor.history().channels;
    expect(Object.keys(h)).toEqual([
      "learning_rate",
      "momentum",
      "total_seconds_last_epoch",
      "train_W_norm",
      "train_batch_rows",
      "train_mae",
      "train_objective",
      "training_seconds_this_epoch",
      "valid_W_norm",
      "valid_batch_rows",
      "valid_mae",
      "valid_objective",
    ]);
    const obj = h.valid_objective.val;
    expect(obj).toHaveLength(7); // epoch 0 and six more
    expect(obj[6]).toBeLessThan(obj[0] * 0.2);
    expect(h.valid_objective.epoch).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(h.valid_objective.batch).toEqual([0, 7, 14, 21, 28, 35, 42]);
    expect(h.valid_objective.example).toEqual([0, 64, 128, 192, 256, 320, 384]);
    // The monitor averages over examples: 7 batches of 10,10,...,4 rows give a mean row count of (6*10*10 + 4*4)/64.
    expect(h.train_batch_rows.val[0]).toBeCloseTo((6 * 10 * 10 + 4 * 4) / 64, 10);
    // MomentumAdjustor(0.9, start 1, saturate 4): the count is 1 after the epoch-0 monitor, and the
    // monitor records the momentum before the extension moves it.
    expect(h.momentum.val.slice(0, 6)).toEqual([0.5, 0.5, 0.5 + 0.4 / 3, 0.5 + 0.8 / 3, 0.9, 0.9].map(Math.fround));
    expect(h.training_seconds_this_epoch.val[0]).toBe(0);
    expect(h.training_seconds_this_epoch.val[1]).toBeGreaterThan(0);

    const f = readModelFile(path);
    expect(f.format).toBe("dl-model/1");
    expect(f.className).toBe("TestLinear");
    expect(f.tensors.W.shape).toEqual([5, 2]);
    expect(Buffer.from(f.tensors.W.data.buffer, f.tensors.W.data.byteOffset, f.tensors.W.data.byteLength)).toEqual(
      Buffer.from((t.model.params()[0].toArray() as Float32Array).slice().buffer),
    );
    expect(f.monitor?.channels.valid_objective.val).toEqual(obj);
    const c = readCheckpoint(t.checkpointPath);
    expect(c.json.position).toBe("boundary");
    // Between epochs there is no pass under way, so no iterator order: only the momentum velocities.
    expect(Object.keys(c.state).sort()).toEqual(["@alg/rule.vel_W", "@alg/rule.vel_b"]);
  });

  it("resume is bit-exact: 6 epochs straight equal 2 epochs, then a fresh process state resumed to 6", async () => {
    const straight = makeTrain(join(dir, "a.pkl"), 6);
    await straight.mainLoop();

    const path = join(dir, "b.pkl");
    await makeTrain(path, 2).mainLoop();
    const resumed = makeTrain(path, 6); // new objects, as a new process would build them
    const r = await resumed.mainLoop({ resume: true });
    expect(r.epochs).toBe(6);
    expect(paramBytes(resumed).equals(paramBytes(straight))).toBe(true);
    expect(resumed.algorithm.learningRate).toBe(straight.algorithm.learningRate);
    expect(resumed.monitor.history().channels.valid_objective.val).toEqual(straight.monitor.history().channels.valid_objective.val);
  });

  it("a stop request mid-epoch checkpoints after the step; resuming from there is bit-exact too", async () => {
    const straight = makeTrain(join(dir, "c.pkl"), 3);
    await straight.mainLoop();

    const path = join(dir, "d.pkl");
    const stop = { requested: null as string | null };
    let steps = 0;
    const first = makeTrain(path, 3);
    const origStep = first.algorithm.step.bind(first.algorithm);
    first.algorithm.step = () => {
      // Call 8 ends epoch 1 (7 batches); call 11 trains epoch 2's third batch, the 10th in all.
      if (++steps === 11) stop.requested = "SIGINT";
      return origStep();
    };
    await expect(first.mainLoop({ stop, yieldMs: 0 })).rejects.toBeInstanceOf(TrainingInterrupted);
    const c = readCheckpoint(first.checkpointPath);
    expect(c.json.position).toBe("in_epoch");
    expect((c.json.monitor as { batchesSeen: number }).batchesSeen).toBe(10);

    const resumed = makeTrain(path, 3);
    await resumed.mainLoop({ resume: true });
    expect(paramBytes(resumed).equals(paramBytes(straight))).toBe(true);
    expect(resumed.monitor.batchesSeen).toBe(21);
  });

  it("a NaN parameter stops training, names the parameter and epoch, and keeps the last good file", async () => {
    const path = join(dir, "nan.pkl");
    const t = makeTrain(path, 50, { learningRate: 5, learningRule: null, updateCallbacks: [], batchSize: 64 });
    // The extensions would shrink the rate; without them a rate this large diverges.
    (t as unknown as { extensions: unknown[] }).extensions.length = 0;
    const err = await t.mainLoop().catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^(parameter (W|b) became (NaN|Inf) during epoch \d+|the monitored \w*objective became (NaN|infinite) at epoch \d+)/);
    expect((err as Error).message).toContain(`The last good model is still in ${path}`);
    const saved = readModelFile(path);
    expect(saved.tensors.W.data.every((v) => Number.isFinite(v))).toBe(true);
  });

  it("stops on MonitorBased and allows no overwrite when told so", async () => {
    const path = join(dir, "mb.pkl");
    const t = makeTrain(path, 1000, { terminationCriterion: new MonitorBased(0.5, 1, "valid_objective") });
    const r = await t.mainLoop();
    expect(r.reason).toBe("criterion");
    expect(r.epochs).toBeLessThan(20);
    const t2 = new Train({ dataset: data, model: new LinearRegression(5, 2), algorithm: new SGD({ learningRate: 0.1, batchSize: 8, cost: new MeanSquaredError() }), savePath: path, allowOverwrite: false });
    await expect(t2.mainLoop()).rejects.toThrow(/exists and allow_overwrite is False/);
  });

  it("prints pylearn2's monitor block and writes --log-json lines", async () => {
    let out = "";
    const stdout = new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) });
    const logJson = join(dir, "log.jsonl");
    const t = makeTrain(join(dir, "log.pkl"), 2);
    await t.mainLoop({ reporter: new ConsoleReporter({ stdout, stderr: stdout as never, logJson }) });
    expect(out).toMatch(/Parameter and initial learning rate summary:\n\tW \[5x2\]: 0.05\n\tb \[2\]: 0.025\n/);
    expect(out).toMatch(/Monitoring step:\n\tEpochs seen: 1\n\tBatches seen: 7\n\tExamples seen: 64\n\tlearning_rate: /);
    const lines = readFileSync(logJson, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([0, 1, 2]);
    expect(typeof lines[2].channels.valid_objective).toBe("number");
  });
});

describe("errors before training", () => {
  it("a dataset with the wrong width or without labels for a supervised cost is a clear error", async () => {
    const model = new LinearRegression(4, 2);
    const t = new Train({ dataset: data, model, algorithm: new SGD({ learningRate: 0.1, batchSize: 8, cost: new MeanSquaredError() }), savePath: join(dir, "x.pkl") });
    await expect(t.mainLoop()).rejects.toThrow(/5 features per example but TestLinear expects 4/);
    expect(existsSync(join(dir, "x.pkl"))).toBe(false);
  });

  it("no batch size anywhere is a config error", async () => {
    const t = new Train({ dataset: data, model: new LinearRegression(5, 2), algorithm: new SGD({ learningRate: 0.1, cost: new MeanSquaredError() }), savePath: join(dir, "y.pkl") });
    await expect(t.mainLoop()).rejects.toThrow(/no batch_size given/);
  });

  it("resuming without a checkpoint says so", async () => {
    await expect(makeTrain(join(dir, "none.pkl"), 1).mainLoop({ resume: true })).rejects.toThrow(/no checkpoint to resume from/);
  });
});


