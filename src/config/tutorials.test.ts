import { beforeAll, describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ConfigError } from "../util/errors.js";
import { loadConfigText, loadExperiment, type LoadOptions } from "./index.js";
import { ComponentNode, PklRef, Registry, defineComponent, component } from "./registry.js";
import { CONFIGS, scratchDir, tutorialRegistry, writeDlFile } from "./testing.js";

let dir: string;
let opts: LoadOptions;

beforeAll(() => {
  // The !pkl: files the tutorials expect, next to the working folder used for lookup.
  dir = scratchDir();
  writeDlFile(join(dir, "cifar10_preprocessed_train.pkl"), "dl-dataset/1");
  writeDlFile(join(dir, "dae_l1.pkl"), "dl-model/1");
  writeDlFile(join(dir, "dae_l2.pkl"), "dl-model/1");
  opts = { cwd: dir, registry: tutorialRegistry(), env: { HOME: "/home/test" }, dataPath: "/data" };
});

/** Structure of a validated tree, for comparing two trees (components by name and args; files by path). */
function plain(v: unknown): unknown {
  if (v instanceof ComponentNode) return { $obj: v.def.name, args: plain(v.args) };
  if (v instanceof PklRef) return { $pkl: v.path };
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const TUTORIALS = ["cifar_grbm_smd.yaml", "dae_l1.yaml", "dae_l2.yaml", "dae_mlp.yaml", "mlp_tutorial_part_2.yaml", "mlp_tutorial_part_3.yaml", "softmax_regression.yaml", "conv.yaml"];

describe("pylearn2 tutorial configs", () => {
  test.each(TUTORIALS)("%s parses, validates, prints and re-parses to the same tree", (name) => {
    const exp = loadExperiment(join(CONFIGS, name), opts);
    expect(exp.trains).toHaveLength(1);
    expect(exp.trains[0].def.name).toBe("Train");
    const printed = exp.print();
    expect(printed.startsWith("!obj:pylearn2.train.Train\n")).toBe(true);
    const again = loadConfigText(printed, join(dir, "printed.yaml"), opts);
    expect(plain(again.tree)).toEqual(plain(exp.tree));
    // Printing is a fixed point: the printed text prints to itself.
    expect(again.print()).toBe(printed);
  });

  test("cifar_grbm_smd: values from pylearn2's Python-isms and defaults filled", () => {
    const t = loadExperiment(join(CONFIGS, "cifar_grbm_smd.yaml"), opts).trains[0];
    const model = t.args.model as ComponentNode;
    expect(model.def.name).toBe("GaussianBinaryRBM");
    // `.4`, `-2.`, `1e-3` and `True` are numbers and a boolean, as PyYAML + pylearn2's float resolver read them.
    expect(model.args).toMatchObject({ nvis: 192, nhid: 400, irange: 0.05, learn_sigma: true, init_sigma: 0.4, init_bias_hid: -2, sigma_lr_scale: 1e-3, mean_vis: false });
    // pylearn2 defaults that the file leaves out.
    expect(model.args).toMatchObject({ min_sigma: 0.1, max_sigma: 10 });
    const alg = t.args.algorithm as ComponentNode;
    expect(alg.args).toMatchObject({ learning_rate: 0.1, batch_size: 5, monitoring_batches: 20, monitor_iteration_mode: "sequential", seed: [2012, 10, 5] });
    const stop = alg.args.termination_criterion as ComponentNode;
    expect(stop.args).toEqual({ prop_decrease: 0.01, N: 1, channel_name: null });
    const adj = (t.args.extensions as ComponentNode[])[0];
    expect(adj.args).toMatchObject({ high_trigger: 1, shrink_amt: 0.99, low_trigger: 0.99, grow_amt: 1.01, min_lr: 1e-7, max_lr: 1 });
    expect(t.args.save_freq).toBe(1);
    const ds = t.args.dataset as PklRef;
    expect(ds.path).toBe(join(dir, "cifar10_preprocessed_train.pkl"));
    expect(ds.format).toBe("dl-dataset/1");
  });

  test("dae_l1: templates filled from the file's defaults; &train is one node in two places", () => {
    const t = loadExperiment(join(CONFIGS, "dae_l1.yaml"), opts).trains[0];
    const alg = t.args.algorithm as ComponentNode;
    expect(alg.args.monitoring_dataset).toBe(t.args.dataset);
    expect((t.args.dataset as ComponentNode).args).toMatchObject({ which_set: "train", start: 0, stop: 50000 });
    expect((t.args.model as ComponentNode).args).toMatchObject({ nhid: 500, act_enc: "tanh", act_dec: null });
    expect(t.args.save_path).toBe("./dae_l1.pkl");
    // The alias survives printing as an anchor.
    const printed = loadExperiment(join(CONFIGS, "dae_l1.yaml"), opts).print();
    expect(printed).toContain("dataset: &train !obj:pylearn2.datasets.mnist.MNIST");
    expect(printed).toContain("monitoring_dataset: *train");
  });

  test("template values and key-path overrides from the command line", () => {
    const exp = loadExperiment(join(CONFIGS, "dae_l1.yaml"), {
      ...opts,
      // save_path is a %(save_path)s template in this file, so `save_path=` fills the template.
      overrides: ["nhid=200", "train_stop=1000", "algorithm.learning_rate=0.05", "save_path=/tmp/out", "model.tied_weights=True"],
    });
    const t = exp.trains[0];
    const model = t.args.model as ComponentNode;
    expect(model.args.nhid).toBe(200);
    expect(model.args.tied_weights).toBe(true);
    expect((t.args.dataset as ComponentNode).args.stop).toBe(1000);
    expect((t.args.algorithm as ComponentNode).args.learning_rate).toBe(0.05);
    expect(t.args.save_path).toBe("/tmp/out/dae_l1.pkl");
  });

  test("an override value that reads as a number becomes a string where the schema wants one", () => {
    const exp = loadExperiment(join(CONFIGS, "cifar_grbm_smd.yaml"), { ...opts, overrides: ["save_path=123", "algorithm.batch_size=7"] });
    expect(exp.trains[0].args.save_path).toBe("123");
    expect((exp.trains[0].args.algorithm as ComponentNode).args.batch_size).toBe(7);
  });

  test("mlp_tutorial_part_3: dict of monitoring datasets with an alias", () => {
    const t = loadExperiment(join(CONFIGS, "mlp_tutorial_part_3.yaml"), opts).trains[0];
    const md = (t.args.algorithm as ComponentNode).args.monitoring_dataset as Record<string, ComponentNode>;
    expect(Object.keys(md)).toEqual(["train", "valid", "test"]);
    expect(md.train).toBe(t.args.dataset);
    const layers = (t.args.model as ComponentNode).args.layers as ComponentNode[];
    expect(layers.map((l) => l.def.name)).toEqual(["RectifiedLinear", "RectifiedLinear", "Softmax"]);
    expect(layers[1].args).toMatchObject({ dim: 1000, sparse_init: 15, left_slope: 0 });
  });

  test("dae_mlp: PretrainedLayer takes a !pkl: model file", () => {
    const t = loadExperiment(join(CONFIGS, "dae_mlp.yaml"), opts).trains[0];
    const layers = (t.args.model as ComponentNode).args.layers as ComponentNode[];
    const content = layers[0].args.layer_content as PklRef;
    expect(content.format).toBe("dl-model/1");
    expect(content.written).toBe("./dae_l1.pkl");
  });

  test("conv: tuples, Conv2DSpace and SumOfCosts", () => {
    const t = loadExperiment(join(CONFIGS, "conv.yaml"), opts).trains[0];
    const model = t.args.model as ComponentNode;
    expect((model.args.input_space as ComponentNode).args).toMatchObject({ shape: [28, 28], num_channels: 1 });
    expect((model.args.layers as ComponentNode[])[0].args).toMatchObject({ kernel_shape: [5, 5], pool_shape: [4, 4], pool_stride: [2, 2], output_channels: 64 });
    const cost = (t.args.algorithm as ComponentNode).args.cost as ComponentNode;
    expect((cost.args.costs as ComponentNode[]).map((c) => c.def.name)).toEqual(["MethodCost", "WeightDecay"]);
  });

  test("the configs in configs/ are pylearn2's files unchanged below their header", () => {
    for (const name of TUTORIALS) {
      const text = readFileSync(join(CONFIGS, name), "utf8");
      const body = text.slice(text.indexOf("!obj:pylearn2.train.Train") - (name === "cifar_grbm_smd.yaml" ? 0 : 0));
      expect(body.startsWith("!obj:pylearn2.train.Train {")).toBe(true);
      expect(text.split("\n")[0]).toMatch(/^# dl copy of pylearn2's /);
    }
  });
});

describe("build", () => {
  test("children are built first, aliases share one instance, !pkl: goes through loadPkl", () => {
    const made: string[] = [];
    const Leaf = defineComponent({
      name: "Leaf",
      aliases: [],
      kind: "dataset",
      description: "test",
      schema: z.object({ n: z.number().default(1) }).strict(),
      build: (a) => {
        made.push("Leaf");
        return { leaf: a.n };
      },
    });
    const Pair = defineComponent({
      name: "Pair",
      aliases: [],
      kind: "model",
      description: "test",
      schema: z.object({ a: component<{ leaf: number }>("dataset"), b: component<{ leaf: number }>("dataset"), f: component("dataset") }).strict(),
      build: (a) => {
        made.push("Pair");
        return a;
      },
    });
    const registry = new Registry([Leaf, Pair]);
    const pkl = writeDlFile(join(dir, "leaf.pkl"), "dl-dataset/1");
    const exp = loadConfigText(`!obj:Pair { a: &x !obj:Leaf {n: 3}, b: *x, f: !pkl: "${pkl}" }`, join(dir, "x.yaml"), { ...opts, registry });
    const loaded: string[] = [];
    const out = exp.build({ loadPkl: (p) => (loaded.push(p), { file: p }) }) as { a: unknown; b: unknown; f: unknown };
    expect(made).toEqual(["Leaf", "Pair"]);
    expect(out.a).toBe(out.b);
    expect(out.a).toEqual({ leaf: 3 });
    expect(out.f).toEqual({ file: pkl });
    expect(loaded).toEqual([pkl]);
  });

  test("a component without a build function: recognised but not implemented yet (exit 2, located)", () => {
    const Unbuilt = defineComponent({
      name: "Unbuilt",
      aliases: ["pkg.Unbuilt"],
      kind: "model",
      description: "test: a schema with no build function",
      schema: z.object({ n: z.number().default(1) }).strict(),
    });
    const registry = new Registry([Unbuilt]);
    const exp = loadConfigText("# a comment\n!obj:pkg.Unbuilt { n: 2 }\n", join(dir, "unbuilt.yaml"), { ...opts, registry });
    const err = (() => {
      try {
        exp.build({ loadPkl: () => ({}) });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.exitCode).toBe(2);
    expect(ce.message).toMatch(/Unbuilt is recognised but not implemented yet/);
    expect(ce.message).toContain("unbuilt.yaml:2");
  });

  test("!import builds to a factory that validates its keyword arguments", () => {
    const Thing = defineComponent({
      name: "Thing",
      aliases: ["pkg.Thing"],
      kind: "energy",
      description: "test",
      schema: z.object({ k: z.number().positive().default(2) }).strict(),
      build: (a) => ({ k: a.k }),
    });
    const Holder = defineComponent({
      name: "Holder",
      aliases: [],
      kind: "model",
      description: "test",
      schema: z.object({ cls: component("energy") }).strict(),
      build: (a) => a.cls,
    });
    const registry = new Registry([Thing, Holder]);
    const exp = loadConfigText(`!obj:Holder { cls: !import 'pkg.Thing' }`, join(dir, "i.yaml"), { ...opts, registry });
    const f = exp.build() as { name: string; create(k?: Record<string, unknown>): unknown };
    expect(f.name).toBe("Thing");
    expect(f.create()).toEqual({ k: 2 });
    expect(f.create({ k: 5 })).toEqual({ k: 5 });
    expect(() => f.create({ k: -1 })).toThrow(/creating Thing from !import: expected a positive number \(> 0\), got -1/);
    expect(exp.print()).toContain(`cls: !import "Thing"`);
  });
});

describe("top level", () => {
  test("a list of Train objects (layer-wise pretraining) is an experiment", () => {
    const one = readFileSync(join(CONFIGS, "cifar_grbm_smd.yaml"), "utf8");
    const body = one.slice(one.indexOf("!obj:pylearn2.train.Train"));
    const indented = body.split("\n").map((l) => `  ${l}`).join("\n");
    const text = `- ${indented.trimStart()}\n- ${indented.trimStart()}\n`;
    const exp = loadConfigText(text, join(dir, "two.yaml"), opts);
    expect(Array.isArray(exp.tree)).toBe(true);
    expect((exp.tree as ComponentNode[]).map((t) => t.def.name)).toEqual(["Train", "Train"]);
    const printed = exp.print();
    expect(printed.startsWith("- !obj:pylearn2.train.Train\n")).toBe(true);
    expect(plain(loadConfigText(printed, join(dir, "two.yaml"), opts).tree)).toEqual(plain(exp.tree));
  });

  test("`type:` mappings are the JSON-friendly spelling of !obj:", () => {
    const a = loadConfigText(`{type: GaussianCorruptor, stdev: 0.5}`, join(dir, "a.yaml"), opts);
    const b = loadConfigText(`!obj:pylearn2.corruption.GaussianCorruptor {stdev: 0.5}`, join(dir, "b.yaml"), opts);
    expect(plain(a.tree)).toEqual(plain(b.tree));
    expect(plain(a.tree)).toEqual({ $obj: "GaussianCorruptor", args: { stdev: 0.5, rng: 2001 } });
  });

  test("${VAR} expansion from the environment, PYLEARN2_DATA_PATH and the PYLEARN2_TRAIN_* variables", () => {
    const text = `!obj:MonitorBasedSaveBest { channel_name: "\${CH}_y_misclass", save_path: "\${PYLEARN2_TRAIN_FILE_FULL_STEM}_best.pkl", tag_key: "\${PYLEARN2_DATA_PATH}/\${PYLEARN2_TRAIN_FILE_STEM}" }`;
    const exp = loadConfigText(text, "/exp/run/mlp.yaml", { ...opts, env: { CH: "valid" }, dataPath: "/data/dl" });
    expect((exp.tree as ComponentNode).args).toMatchObject({
      channel_name: "valid_y_misclass",
      save_path: "/exp/run/mlp_best.pkl",
      tag_key: "/data/dl/mlp",
    });
    // An environment PYLEARN2_DATA_PATH wins over the resolved data folder.
    const exp2 = loadConfigText(text, "/exp/run/mlp.yaml", { ...opts, env: { CH: "v", PYLEARN2_DATA_PATH: "/p2" }, dataPath: "/data/dl" });
    expect((exp2.tree as ComponentNode).args.tag_key).toBe("/p2/mlp");
    // A plain scalar is typed after expansion, as pylearn2 did (it expanded the text first).
    const exp3 = loadConfigText("!obj:EpochCounter\nmax_epochs: ${N}\n", "/x.yaml", { ...opts, env: { N: "7" } });
    expect((exp3.tree as ComponentNode).args.max_epochs).toBe(7);
  });
});
