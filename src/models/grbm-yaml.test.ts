import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigText } from "../config/index.js";
import { DenseDesignMatrix } from "../data/dataset.js";
import { loadDataset, saveDataset } from "../data/dataset-file.js";
import { GaussianBinaryRBM } from "./grbm.js";
import { RBM, sizeFrom } from "./rbm.js";
import { DenoisingAutoencoder } from "./dae.js";
import { ContractiveAutoencoder } from "./cae.js";
import { Autoencoder } from "./autoencoder.js";
import { BinomialCorruptor, DropoutCorruptor, GaussianCorruptor, SaltPepperCorruptor } from "./corruptors.js";
import { SMD } from "../costs/smd.js";
import { CDk } from "../costs/cd.js";
import { SML } from "../costs/sml.js";
import { MeanBinaryCrossEntropy, MeanSquaredReconstructionError } from "../costs/reconstruction.js";

/** Builds one component from YAML text, as `dl train` would build it inside a Train. */
const build = (yaml: string) => loadConfigText(yaml, "/tmp/test.yaml", { env: {}, dataPath: "/tmp" }).build();

describe("YAML construction of the unsupervised components (pylearn2 names and defaults)", () => {
  it("the cifar_grbm_smd tutorial's model and cost", () => {
    const m = build(`!obj:pylearn2.models.rbm.GaussianBinaryRBM {
      nvis : 192, nhid : 400, irange : 0.05,
      energy_function_class : !obj:pylearn2.energy_functions.rbm_energy.grbm_type_1 {},
      learn_sigma : True, init_sigma : .4, init_bias_hid : -2., mean_vis : False, sigma_lr_scale : 1e-3 }`) as GaussianBinaryRBM;
    expect(m).toBeInstanceOf(GaussianBinaryRBM);
    expect([m.inputDim, m.outputDim]).toEqual([192, 400]);
    expect(m.sigmaValue()).toBeCloseTo(0.4, 6);
    expect(m.sigmaDriver.item()).toBeCloseTo(400, 2);
    expect([m.minSigma, m.maxSigma, m.meanVis]).toEqual([0.1, 10, false]);
    expect(m.params().map((p) => p.name)).toEqual(["W", "bias_vis", "bias_hid", "sigma_driver"]);
    expect(Math.max(...m.W.toArray().map(Math.abs))).toBeLessThanOrEqual(0.05);
    const c = build(`!obj:pylearn2.costs.ebm_estimation.SMD { corruptor : !obj:pylearn2.corruption.GaussianCorruptor { stdev : 0.4 } }`) as SMD;
    expect(c).toBeInstanceOf(SMD);
    expect((c.corruptor as GaussianCorruptor).stdev).toBe(0.4);
  });

  it("GaussianBinaryRBM defaults follow pylearn2 (init_sigma 2, sigma fixed, seed 1001)", () => {
    const m = build(`!obj:pylearn2.models.rbm.GaussianBinaryRBM { nvis: 4, nhid: 3, energy_function_class: !obj:pylearn2.energy_functions.rbm_energy.grbm_type_1 {} }`) as GaussianBinaryRBM;
    expect(m.sigmaValue()).toBe(2);
    expect(m.learnSigma).toBe(false);
    expect(Array.from(m.W.toArray())).toEqual(Array.from(new RBM({ nvis: 4, nhid: 3 }).W.toArray()));
  });

  it("a binary RBM with biases from a dataset's marginals and W from its examples", () => {
    const dir = mkdtempSync(join(tmpdir(), "dl-rbm-"));
    saveDataset(join(dir, "data.pkl"), new DenseDesignMatrix({ X: Float32Array.from([0, 1, 1, 1, 0, 1]), numExamples: 3, dim: 2 }));
    const m = loadConfigText(`!obj:pylearn2.models.rbm.RBM {
      nvis: 2, nhid: 2, irange: 0.1,
      init_bias_vis_marginals: !pkl: "data.pkl", random_patches_src: !pkl: "data.pkl" }`, join(dir, "rbm.yaml"), { env: {}, dataPath: dir })
      .build({ loadPkl: loadDataset }) as RBM;
    expect([m.inputDim, m.outputDim]).toEqual([2, 2]);
    const p0 = 0.01 + 0.98 / 3; // column 0 is on in one example of three
    expect(m.biasVis.toArray()[0]).toBeCloseTo(Math.log(p0 / (1 - p0)), 5);
    expect(m.biasVis.toArray()[1]).toBeCloseTo(Math.log(0.99 / 0.01), 4);
    // W's columns are 0.1 x two consecutive examples.
    const W = Array.from(m.W.toArray()).map((w) => Math.round(w * 10));
    const cols = [[W[0], W[2]], [W[1], W[3]]];
    const rows = [[0, 1], [1, 1], [0, 1]];
    expect([[rows[0], rows[1]], [rows[1], rows[2]]]).toContainEqual(cols);
  });

  it("sizes from a space when nvis/nhid are not given", () => {
    expect(sizeFrom(null, { dim: 7 }, "nvis")).toBe(7);
    expect(sizeFrom(null, { totalDim: 12 }, "nhid")).toBe(12);
    expect(sizeFrom(3, { dim: 7 }, "nvis")).toBe(3);
    expect(() => sizeFrom(null, null, "nvis")).toThrow(/give nvis/);
  });

  it("RBM costs: CDk (seed 42 default) and SML", () => {
    expect(build(`!obj:pylearn2.costs.ebm_estimation.CDk { nsteps: 1 }`)).toBeInstanceOf(CDk);
    const s = build(`!obj:pylearn2.costs.ebm_estimation.SML { batch_size: 20, nsteps: 3 }`) as SML;
    expect([s.nchains, s.nsteps]).toEqual([20, 3]);
  });

  it("the stacked-autoencoder tutorial's DAE and the contractive autoencoder test config", () => {
    const dae = build(`!obj:pylearn2.models.autoencoder.DenoisingAutoencoder {
      nvis : 784, nhid : 500, irange : 0.05,
      corruptor: !obj:pylearn2.corruption.BinomialCorruptor { corruption_level: .2 },
      act_enc: "tanh", act_dec: null }`) as DenoisingAutoencoder;
    expect(dae).toBeInstanceOf(DenoisingAutoencoder);
    expect([dae.actEnc, dae.actDec, dae.tiedWeights]).toEqual(["tanh", null, false]);
    expect((dae.corruptor as BinomialCorruptor).corruptionLevel).toBe(0.2);
    const cae = build(`!obj:pylearn2.models.autoencoder.ContractiveAutoencoder { nvis: 5, nhid: 5, irange: 0.05, act_enc: "sigmoid", act_dec: "sigmoid" }`);
    expect(cae).toBeInstanceOf(ContractiveAutoencoder);
    const ae = build(`!obj:pylearn2.models.autoencoder.Autoencoder { nvis: 5, nhid: 3, act_enc: sigmoid, act_dec: sigmoid, tied_weights: True }`) as Autoencoder;
    expect(ae.params().map((p) => p.name)).toEqual(["visbias", "hidbias", "weights"]);
    expect(build(`!obj:pylearn2.costs.autoencoder.MeanSquaredReconstructionError {}`)).toBeInstanceOf(MeanSquaredReconstructionError);
    expect(build(`!obj:pylearn2.costs.autoencoder.MeanBinaryCrossEntropy {}`)).toBeInstanceOf(MeanBinaryCrossEntropy);
  });

  it("every corruptor", () => {
    expect(build(`!obj:pylearn2.corruption.DropoutCorruptor { corruption_level: 0.5 }`)).toBeInstanceOf(DropoutCorruptor);
    expect(build(`!obj:pylearn2.corruption.SaltPepperCorruptor { corruption_level: 0.1, rng: [1, 2] }`)).toBeInstanceOf(SaltPepperCorruptor);
    expect(build(`!obj:pylearn2.corruption.GaussianCorruptor { stdev: 1 }`)).toBeInstanceOf(GaussianCorruptor);
  });

  it("SMD with a corruptor that has no density is a config error", () => {
    expect(() => build(`!obj:pylearn2.costs.ebm_estimation.SMD { corruptor: !obj:pylearn2.corruption.BinomialCorruptor { corruption_level: 0.5 } }`))
      .toThrow(/SMD needs a corruptor with a corruption density/);
  });
});
