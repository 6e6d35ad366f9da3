import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tensor } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { ContractiveAutoencoder } from "../models/cae.js";
import { Autoencoder } from "../models/autoencoder.js";
import type { Batch, StepContext } from "../models/model.js";
import { loadConfigText } from "../config/index.js";
import { trainFile } from "../train/run.js";
import { readModelFile } from "../io/model-file.js";
import { MethodCost } from "./method-cost.js";

const ctx: StepContext = { rng: new Rng(1), training: true };
const batch = (): Batch => ({ X: Tensor.from(new Rng(2).fillUniform(new Float32Array(6 * 4), 0, 1), [6, 4]), size: 6 });

describe("MethodCost { method: contraction_penalty }", () => {
  it("is the ContractiveAutoencoder's penalty on the batch, unsupervised, and builds from YAML", () => {
    const m = new ContractiveAutoencoder({ nvis: 4, nhid: 3, actEnc: "sigmoid", actDec: "sigmoid", irange: 0.5 });
    const b = batch();
    const cost = new MethodCost("contraction_penalty");
    expect(cost.expr(m, b, ctx).item()).toBe(m.contractionPenalty(b.X).item());
    expect([cost.supervised, new MethodCost("cost_from_X").supervised]).toEqual([false, true]);
    const built = loadConfigText("!obj:pylearn2.costs.cost.MethodCost { method: 'contraction_penalty' }", "/tmp/c.yaml", { env: {}, dataPath: "/tmp" }).build();
    expect(built).toBeInstanceOf(MethodCost);
    expect((built as MethodCost).method).toBe("contraction_penalty");
  });

  it("says which model lacks the method, and which methods exist", () => {
    const plain = new Autoencoder({ nvis: 4, nhid: 3, actEnc: "sigmoid", actDec: "sigmoid" });
    expect(() => new MethodCost("contraction_penalty").expr(plain, batch(), ctx)).toThrow(/the model \(Autoencoder\) has no method contraction_penalty \(a ContractiveAutoencoder has\)/);
    expect(() => loadConfigText("!obj:pylearn2.costs.cost.MethodCost { method: 'contraction_penaltyy' }", "/tmp/c.yaml", { env: {}, dataPath: "/tmp" }).build())
      .toThrow(/cost_from_X.*contraction_penalty|contraction_penalty.*cost_from_X/);
  });

  describe("trained from a YAML as pylearn2 wrote it: [coeff, MethodCost] beside the reconstruction cost", () => {
    const dir = mkdtempSync(join(tmpdir(), "dl-cae-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const yaml = (coeff: number, save: string) => `!obj:pylearn2.train.Train {
  dataset: &train !obj:dl.datasets.Digits { which_set: train, start: 0, stop: 300 },
  model: !obj:pylearn2.models.autoencoder.ContractiveAutoencoder { nvis: 64, nhid: 32, irange: 0.3, act_enc: sigmoid, act_dec: null },
  algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
    batch_size: 20, learning_rate: .05, monitoring_dataset: *train,
    cost: !obj:pylearn2.costs.cost.SumOfCosts { costs: [
      !obj:pylearn2.costs.autoencoder.MeanSquaredReconstructionError {},
      [${coeff}, !obj:pylearn2.costs.cost.MethodCost { method: contraction_penalty }]
    ] },
    termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 8 }
  },
  save_path: "${save}"
}`;
    const run = async (coeff: number) => {
      const p = join(dir, `cae-${coeff}.yaml`);
      writeFileSync(p, yaml(coeff, join(dir, `cae-${coeff}.pkl`)));
      const [r] = await trainFile(p);
      return readModelFile(r.savePath).monitor!.channels;
    };

    it("the penalty shrinks the encoder's Jacobian, and the objective is the weighted sum", async () => {
      const free = await run(0);
      const penalized = await run(2);
      const last = (c: { val: number[] }) => c.val[c.val.length - 1];
      // Same start (same seed), same data: only the penalty's gradient differs.
      expect(free.contraction_penalty.val[0]).toBe(penalized.contraction_penalty.val[0]);
      expect(last(penalized.contraction_penalty)).toBeLessThan(0.5 * last(free.contraction_penalty));
      // Without a corruptor the reconstruction channel is the MSE term itself: objective = mse + 2 * penalty.
      for (const [c, coeff] of [[free, 0], [penalized, 2]] as const) {
        c.objective.val.forEach((v, i) => {
          const want = c.reconstruction_error.val[i] + coeff * c.contraction_penalty.val[i];
          expect(Math.abs(v - want), `epoch ${i}`).toBeLessThanOrEqual(1e-5 * want);
        });
      }
    }, 60_000);
  });
});
