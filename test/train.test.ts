import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveDataset } from "../src/data/dataset-file.js";
import { DenseDesignMatrix } from "../src/data/dataset.js";
import { readModelFile } from "../src/io/model-file.js";
import { Rng } from "../src/util/rng.js";
import { DL_BIN, runDl } from "./helpers/cli.js";

/**
 * `dl train` as a user runs it: a real child process on the real registry (GaussianBinaryRBM +
 * SMD, as in pylearn2's grbm_smd tutorial, small), checking resume and Ctrl-C end to end.
 */
const root = mkdtempSync(join(tmpdir(), "dl-train-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const YAML = `!obj:pylearn2.train.Train {
    dataset: !pkl: "data.pkl",
    model: !obj:pylearn2.models.rbm.GaussianBinaryRBM {
        nvis : 12, nhid : 8, irange : 0.05,
        energy_function_class : !obj:pylearn2.energy_functions.rbm_energy.grbm_type_1 {},
        learn_sigma : True, init_sigma : .4, init_bias_hid : -2., mean_vis : False, sigma_lr_scale : 1e-3
    },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate : 1e-1, batch_size : 5, monitoring_batches : 4,
        monitoring_dataset : !pkl: "data.pkl",
        cost : !obj:pylearn2.costs.ebm_estimation.SMD { corruptor : !obj:pylearn2.corruption.GaussianCorruptor { stdev : 0.4 } },
        learning_rule: !obj:pylearn2.training_algorithms.learning_rule.Momentum { init_momentum: 0.5 },
        termination_criterion : !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 2 },
    },
    extensions : [!obj:pylearn2.training_algorithms.sgd.MonitorBasedLRAdjuster {},
                  !obj:pylearn2.training_algorithms.learning_rule.MomentumAdjustor { start: 1, saturate: 3, final_momentum: 0.9 }],
    save_freq : 1
}
`;

/** A folder with the experiment and its data (each run gets its own, so files never mix). */
function workdir(name: string, examples: number): string {
  const d = join(root, name);
  mkdirSync(d);
  writeFileSync(join(d, "g.yaml"), YAML);
  const data = join(root, `data-${examples}.pkl`);
  if (!existsSync(data)) {
    const r = new Rng(1);
    const dim = 12;
    const X = new Float32Array(examples * dim);
    for (let i = 0; i < examples; i++) {
      const z = r.normal();
      for (let j = 0; j < dim; j++) X[i * dim + j] = 0.5 * z * Math.sin(j) + 0.3 * r.normal();
    }
    saveDataset(data, new DenseDesignMatrix({ X, numExamples: examples, dim, view: { rows: 2, cols: 2, channels: 3 } }));
  }
  copyFileSync(data, join(d, "data.pkl"));
  return d;
}

function params(dir: string): string {
  const f = readModelFile(join(dir, "g.pkl"));
  return Object.keys(f.tensors)
    .sort()
    .map((k) => `${k}:${Buffer.from(f.tensors[k].data.buffer, f.tensors[k].data.byteOffset, f.tensors[k].data.byteLength).toString("hex")}`)
    .join("|");
}

let straight: string;
beforeAll(() => {
  const d = workdir("straight", 600);
  const r = runDl(["train", "g.yaml", "--quiet"], { cwd: d });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  straight = params(d);
});

describe("dl train (child process)", () => {
  it("prints the summary and monitor blocks, and --log-json writes a line per monitoring step", () => {
    const d = workdir("out", 600);
    const r = runDl(["train", "g.yaml", "--log-json", "log.jsonl", "algorithm.termination_criterion.max_epochs=1"], { cwd: d });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Parameter and initial learning rate summary:\n\tW \[12x8\]: 0\.1\n/);
    expect(r.stdout).toMatch(/Monitoring step:\n\tEpochs seen: 1\n\tBatches seen: 120\n\tExamples seen: 600\n\tbias_hid_max: /);
    for (const ch of ["objective", "learning_rate", "momentum", "reconstruction_error", "training_seconds_this_epoch", "total_seconds_last_epoch"]) {
      expect(r.stdout).toContain(`\t${ch}: `);
    }
    const lines = readFileSync(join(d, "log.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([0, 1]);
    expect(r.stderr).toBe(""); // not a terminal: no progress bar
  });

  it("1 epoch, then --resume to 2, gives bit-identical parameters to 2 epochs straight", () => {
    const d = workdir("resume", 600);
    expect(runDl(["train", "g.yaml", "--quiet", "algorithm.termination_criterion.max_epochs=1"], { cwd: d }).code).toBe(0);
    expect(params(d)).not.toBe(straight);
    const r = runDl(["train", "g.yaml", "--resume", "--quiet"], { cwd: d });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(params(d)).toBe(straight);
    expect(readModelFile(join(d, "g.pkl")).monitor!.channels.objective.epoch).toEqual([0, 1, 2]);
  });

  it("Ctrl-C mid-epoch saves a checkpoint and exits 130; --resume then finishes bit-identically", async () => {
    const d = workdir("sigint", 6000);
    const child = spawn(process.execPath, [DL_BIN, "train", "g.yaml", "algorithm.monitoring_batches=1"], { cwd: d, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += String(c)));
    const code = await new Promise<number | null>((resolveExit) => {
      let sent = false;
      child.stdout.on("data", (c) => {
        stdout += String(c);
        // The epoch-0 monitoring block has been printed: training is under way.
        if (!sent && stdout.includes("total_seconds_last_epoch")) {
          sent = true;
          setTimeout(() => child.kill("SIGINT"), 300);
        }
      });
      child.on("exit", (c) => resolveExit(c));
    });
    expect(stderr).toMatch(/SIGINT received/);
    expect(stderr).toMatch(/interrupted by SIGINT; training state saved to .*g\.pkl\.ckpt \(continue with --resume\)/);
    expect(code).toBe(130);
    expect(existsSync(join(d, "g.pkl.ckpt"))).toBe(true);

    const r = runDl(["train", "g.yaml", "--resume", "--quiet", "algorithm.monitoring_batches=1"], { cwd: d });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const ref = workdir("sigint-ref", 6000);
    expect(runDl(["train", "g.yaml", "--quiet", "algorithm.monitoring_batches=1"], { cwd: ref }).code).toBe(0);
    expect(params(d)).toBe(params(ref));
  });

  it("user errors: --resume with no checkpoint, a bad --seed, a missing experiment", () => {
    const d = workdir("errors", 600);
    const a = runDl(["train", "g.yaml", "--resume"], { cwd: d });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^dl: error: no checkpoint to resume from: .*g\.pkl\.ckpt does not exist/);
    const b = runDl(["train", "g.yaml", "--seed", "x"], { cwd: d });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--seed must be a whole number/);
    const c = runDl(["train", "nope.yaml"], { cwd: d });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/cannot read the experiment file .*nope\.yaml: no such file/);
  });

  it("--print-config prints the resolved experiment without training", () => {
    const d = workdir("print", 600);
    const r = runDl(["train", "g.yaml", "--print-config", "algorithm.learning_rate=0.05"], { cwd: d });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/learning_rate: 0\.05/);
    expect(r.stdout).toMatch(/batches_per_iter: null/);
    expect(existsSync(join(d, "g.pkl"))).toBe(false);
  });
});
