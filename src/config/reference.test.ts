import { describe, expect, test } from "vitest";
import { UsageError } from "../util/errors.js";
import { fieldsOf, typeLabel } from "./describe.js";
import { REGISTRY } from "./components/index.js";
import { renderComponentHelp, renderComponentList, renderYamlReference } from "./reference.js";
import { COMPONENT_KINDS } from "./registry.js";
import { z } from "zod";

describe("registry contents", () => {
  test("every component has a description, a strict object schema and a described keyword list", () => {
    for (const d of REGISTRY.all()) {
      expect(d.description.length, d.name).toBeGreaterThan(10);
      expect(COMPONENT_KINDS).toContain(d.kind);
      // Unknown keywords must be errors, so every schema is a strict object.
      expect(d.schema.safeParse({ __surely_not_a_keyword__: 1 }).success, d.name).toBe(false);
      for (const f of fieldsOf(d)) expect(f.description, `${d.name}.${f.name}`).not.toBe("");
    }
  });

  test("the toolbox the issues name is registered under its pylearn2 paths", () => {
    for (const p of [
      "pylearn2.train.Train", "pylearn2.training_algorithms.sgd.SGD", "pylearn2.training_algorithms.bgd.BGD",
      "pylearn2.training_algorithms.learning_rule.Momentum", "pylearn2.training_algorithms.learning_rule.AdaDelta",
      "pylearn2.training_algorithms.learning_rule.RMSProp", "pylearn2.termination_criteria.EpochCounter",
      "pylearn2.termination_criteria.MonitorBased", "pylearn2.termination_criteria.And", "pylearn2.termination_criteria.Or",
      "pylearn2.termination_criteria.ChannelTarget", "pylearn2.training_algorithms.sgd.MonitorBasedLRAdjuster",
      "pylearn2.training_algorithms.learning_rule.MomentumAdjustor", "pylearn2.training_algorithms.sgd.LinearDecayOverEpoch",
      "pylearn2.training_algorithms.sgd.ExponentialDecay", "pylearn2.train_extensions.best_params.MonitorBasedSaveBest",
      "pylearn2.models.rbm.GaussianBinaryRBM", "pylearn2.models.rbm.RBM", "pylearn2.energy_functions.rbm_energy.grbm_type_1",
      "pylearn2.models.autoencoder.Autoencoder", "pylearn2.models.autoencoder.DenoisingAutoencoder",
      "pylearn2.models.autoencoder.ContractiveAutoencoder", "pylearn2.models.mlp.MLP", "pylearn2.models.mlp.Linear",
      "pylearn2.models.mlp.Sigmoid", "pylearn2.models.mlp.Tanh", "pylearn2.models.mlp.RectifiedLinear", "pylearn2.models.mlp.Softmax",
      "pylearn2.models.maxout.Maxout", "pylearn2.models.mlp.ConvElemwise", "pylearn2.models.mlp.ConvRectifiedLinear",
      "pylearn2.models.mlp.PretrainedLayer", "pylearn2.space.VectorSpace", "pylearn2.space.Conv2DSpace",
      "pylearn2.corruption.BinomialCorruptor", "pylearn2.corruption.GaussianCorruptor", "pylearn2.corruption.DropoutCorruptor",
      "pylearn2.corruption.SaltPepperCorruptor", "pylearn2.costs.ebm_estimation.SMD", "pylearn2.costs.ebm_estimation.CDk",
      "pylearn2.costs.ebm_estimation.SML", "pylearn2.costs.autoencoder.MeanSquaredReconstructionError",
      "pylearn2.costs.autoencoder.MeanBinaryCrossEntropy", "pylearn2.costs.mlp.Default", "pylearn2.costs.mlp.WeightDecay",
      "pylearn2.costs.mlp.L1WeightDecay", "pylearn2.costs.mlp.dropout.Dropout", "pylearn2.costs.cost.SumOfCosts",
      "pylearn2.costs.cost.MethodCost",
    ]) {
      expect(REGISTRY.lookup(p), p).toBeDefined();
    }
    for (const n of ["Adam", "LpPooling", "LocallyConnected", "SVM", "Hinge"]) expect(REGISTRY.lookup(n), n).toBeDefined();
  });

  test("pylearn2 defaults are the schemas' defaults", () => {
    const defaults = (name: string) => REGISTRY.lookup(name)!.schema.parse({ ...(name === "SGD" ? { learning_rate: 1 } : {}) });
    expect(defaults("MonitorBasedLRAdjuster")).toEqual({ high_trigger: 1, shrink_amt: 0.99, low_trigger: 0.99, grow_amt: 1.01, min_lr: 1e-7, max_lr: 1, dataset_name: null, channel_name: null });
    expect(defaults("MonitorBased")).toEqual({ prop_decrease: 0.01, N: 5, channel_name: null });
    expect(defaults("AdaDelta")).toEqual({ decay: 0.95 });
    expect(defaults("RMSProp")).toEqual({ decay: 0.9, max_scaling: 1e5 });
    expect(defaults("SGD")).toMatchObject({ monitor_iteration_mode: "sequential", set_batch_size: false, seed: [2012, 10, 5] });
  });
});

describe("type labels", () => {
  test("numbers, bounds, lists, unions", () => {
    expect(typeLabel(z.number().int().positive())).toBe("positive integer");
    expect(typeLabel(z.number().min(0).lt(1))).toBe("non-negative number < 1");
    expect(typeLabel(z.array(z.string()).nullable().default(null))).toBe("list of string or null");
    expect(typeLabel(z.union([z.number(), z.array(z.number())]))).toBe("number or list of number");
    expect(typeLabel(z.enum(["a", "b"]))).toBe("one of 'a', 'b'");
  });
});

describe("dl components output", () => {
  test("the list is grouped by kind and names each component once", () => {
    const text = renderComponentList();
    expect(text).toContain("Train objects:\n  Train");
    expect(text).toContain("Models:");
    for (const d of REGISTRY.all()) expect(text).toMatch(new RegExp(`\\n  ${d.name} +${d.description.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  });

  test("one component: its keywords with type, default and meaning; aliases work", () => {
    const text = renderComponentHelp("pylearn2.models.rbm.GaussianBinaryRBM");
    expect(text).toContain("GaussianBinaryRBM (model)");
    expect(text).toContain("!obj:pylearn2.models.rbm.GaussianBinaryRBM");
    expect(text).toMatch(/energy_function_class +energy function; required/);
    expect(text).toMatch(/init_sigma +positive number; default 2\n +initial sigma/);
    expect(text).toMatch(/learn_sigma +boolean; default False/);
  });

  test("an unknown name is a usage error with a suggestion", () => {
    expect(() => renderComponentHelp("GaussianBinaryRMB")).toThrow(UsageError);
    expect(() => renderComponentHelp("GaussianBinaryRMB")).toThrow(/Did you mean `GaussianBinaryRBM`\?/);
  });

  test("the Markdown reference has a table per component", () => {
    const md = renderYamlReference();
    expect(md).toContain("## YAML reference");
    expect(md).toContain("#### SGD");
    expect(md).toContain("| `learning_rate` | positive number | required | step size");
    expect(md).toContain("| `batch_size` | positive integer or null | `null` |");
    expect(md.match(/^#### /gm)?.length).toBe(REGISTRY.all().length);
  });
});
