import { beforeAll, describe, expect, test } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "../io/safetensors.js";
import { ConfigError } from "../util/errors.js";
import { loadConfig, loadConfigText, loadExperiment, parseOverride, type LoadOptions } from "./index.js";
import { scratchDir, tutorialRegistry, writeDlFile } from "./testing.js";

/**
 * Bad input, one case each: the error must be a ConfigError (exit code 2) whose message names the
 * file and line, the key path, what was expected and what was found, and a suggestion where one fits.
 */

let dir: string;
let file: string;
let opts: LoadOptions;

beforeAll(() => {
  dir = scratchDir();
  file = join(dir, "bad.yaml");
  writeDlFile(join(dir, "data.pkl"), "dl-dataset/1");
  writeDlFile(join(dir, "model.pkl"), "dl-model/1");
  writeFileSync(join(dir, "pickle.pkl"), "\x80\x04\x95 this is a Python pickle, not safetensors");
  writeSafetensors(join(dir, "other.safetensors"), { W: { shape: [1], data: new Float32Array([1]) } }, { note: "not dl" });
  opts = { cwd: dir, registry: tutorialRegistry(), env: { HOME: "/home/t", MY_DATA: "/d" }, dataPath: "/data" };
});

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const ce = e as ConfigError;
    expect(ce.exitCode).toBe(2);
    return ce;
  }
  throw new Error("expected a ConfigError, but loading succeeded");
}

function bad(text: string, extra: LoadOptions = {}): ConfigError {
  return errorOf(() => loadConfigText(text, file, { ...opts, ...extra }));
}

/** Asserts file:line (and col when given), the key path and message fragments. */
function expectAt(e: ConfigError, line: number | undefined, keyPath: string | undefined, ...parts: (string | RegExp)[]): void {
  if (line !== undefined) {
    expect(e.location.file).toBe(file);
    expect(e.location.line).toBe(line);
    expect(e.message.startsWith(`${file}:${line}:`)).toBe(true);
  }
  expect(e.location.keyPath).toBe(keyPath);
  if (keyPath) expect(e.message).toContain(`${keyPath}: `);
  for (const p of parts) {
    if (typeof p === "string") expect(e.message).toContain(p);
    else expect(e.message).toMatch(p);
  }
}

const TRAIN_HEAD = `!obj:pylearn2.train.Train {
    dataset: !pkl: "data.pkl",
`;

describe("class names and keywords", () => {
  test("unknown keyword gets did-you-mean over the component's keywords", () => {
    const e = bad(`${TRAIN_HEAD}    model: !obj:pylearn2.models.rbm.GaussianBinaryRBM {
        energy_function_class: !obj:pylearn2.energy_functions.rbm_energy.grbm_type_1 {},
        nvsi: 192,
        nhid: 400
    }
}`);
    expectAt(e, 5, "model.nvsi", "GaussianBinaryRBM does not take `nvsi`; did you mean `nvis`?");
    expect(e.location.col).toBe(9);
  });

  test("unknown keyword without a near match lists the keywords", () => {
    const e = bad(`!obj:EpochCounter {max_epochs: 3, zzzzzz: 1}`);
    expectAt(e, 1, "zzzzzz", "EpochCounter does not take `zzzzzz`; it takes: max_epochs, new_epochs");
  });

  test("misspelt pylearn2 path suggests the registered alias", () => {
    const e = bad(`${TRAIN_HEAD}    model: !obj:pylearn2.models.rbm.GausianBinaryRBM {nvis: 3}\n}`);
    expectAt(e, 3, "model", "unknown class `pylearn2.models.rbm.GausianBinaryRBM`", "Did you mean `pylearn2.models.rbm.GaussianBinaryRBM`?", "dl components");
    expect(e.location.col).toBe(12);
  });

  test("misspelt dl name suggests the canonical name", () => {
    expectAt(bad(`!obj:GaussianCorruptr {stdev: 1}`), 1, undefined, "Did you mean `GaussianCorruptor`?");
  });

  test("a pylearn2 class dl does not implement lists what it supports of that kind", () => {
    const e = bad(`${TRAIN_HEAD}    model: !obj:pylearn2.models.s3c.S3C {}\n}`);
    expectAt(e, 3, "model", "pylearn2.models.s3c.S3C is not supported by dl; supported models: RBM, GaussianBinaryRBM, Autoencoder");
  });

  test("an unsupported cost lists the supported costs", () => {
    const e = bad(`!obj:pylearn2.training_algorithms.sgd.SGD {learning_rate: 1, cost: !obj:pylearn2.costs.ebm_estimation.NCE {}}`);
    expectAt(e, 1, "cost", "pylearn2.costs.ebm_estimation.NCE is not supported by dl; supported costs: SMD, CDk, SML");
  });

  test("missing required keyword names it, its type and meaning, at the component", () => {
    const e = bad(`${TRAIN_HEAD}    model: !obj:pylearn2.models.autoencoder.Autoencoder {nvis: 4, nhid: 2, act_enc: null},\n}`);
    expectAt(e, 3, "model.act_dec", "Autoencoder needs `act_dec`", "and it is not given");
  });

  test("missing learning_rate on SGD", () => {
    const e = bad(`\n\n  !obj:SGD {\n    batch_size: 5\n  }`);
    expectAt(e, 3, "learning_rate", "SGD needs `learning_rate` (positive number: step size");
  });
});

describe("values", () => {
  test("the issue's example: a negative stdev deep in the tree", () => {
    const e = bad(`${TRAIN_HEAD}    model: !obj:pylearn2.models.rbm.RBM {nvis: 3, nhid: 2},
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: 0.1,
        cost: !obj:pylearn2.costs.ebm_estimation.SMD {
            corruptor: !obj:pylearn2.corruption.GaussianCorruptor {
                stdev: -0.4
            }
        }
    }
}`);
    expectAt(e, 8, "algorithm.cost.corruptor.stdev", "expected a non-negative number (>= 0), got -0.4");
    expect(e.location.col).toBe(24);
  });

  test("a string where a number is wanted", () => {
    expectAt(bad(`!obj:RBM {\n  nvis: 3,\n  nhid: "many"\n}`), 3, "nhid", "expected a positive integer or null, got 'many'");
  });

  test("a fraction where an integer is wanted", () => {
    expectAt(bad(`!obj:EpochCounter {max_epochs: 2.5}`), 1, "max_epochs", "expected a non-negative integer, got 2.5");
  });

  test("an upper bound", () => {
    expectAt(bad(`!obj:Momentum {init_momentum: 1.5}`), 1, "init_momentum", "(< 1), got 1.5");
  });

  test("an enum value with a suggestion", () => {
    expectAt(
      bad(`!obj:SGD {learning_rate: 1, monitor_iteration_mode: 'sequental'}`),
      1,
      "monitor_iteration_mode",
      "expected one of 'sequential', 'shuffled_sequential', 'random_uniform', got 'sequental'. Did you mean 'sequential'?",
    );
  });

  test("a tuple with the wrong length", () => {
    expectAt(
      bad(`!obj:ConvRectifiedLinear {output_channels: 2, kernel_shape: [5], pool_shape: [2, 2], pool_stride: [1, 1], layer_name: c, irange: .1}`),
      1,
      "kernel_shape",
      "expected at least 2 items, got 1",
    );
  });

  test("a boolean keyword given a number", () => {
    expectAt(bad(`!obj:Momentum {init_momentum: 0.5,\n nesterov_momentum: 3}`), 2, "nesterov_momentum", "expected a boolean, got 3");
    expectAt(bad(`!obj:Momentum {init_momentum: 0.5,\n nesterov_momentum: -1}`), 2, "nesterov_momentum", "expected a boolean, got -1");
  });

  test("0 and 1 are pylearn2's false and true for a boolean keyword (its dropout paper files write shuffle: 0)", () => {
    for (const [written, want] of [["0", false], ["1", true], ["False", false], ["True", true]] as const) {
      const exp = loadConfigText(`!obj:Momentum {init_momentum: 0.5, nesterov_momentum: ${written}}`, file, opts);
      expect((exp.tree as { args: Record<string, unknown> }).args.nesterov_momentum, written).toBe(want);
    }
  });

  test("a component of the wrong kind", () => {
    const e = bad(`${TRAIN_HEAD}    model: !obj:SMD {corruptor: !obj:GaussianCorruptor {stdev: 1}}\n}`);
    expectAt(e, 3, "model", "expected a model, got a cost (SMD)");
  });

  test("a plain mapping where a component is wanted", () => {
    const e = bad(`!obj:SGD {learning_rate: 1,\n  cost: {corruptor: 1}}`);
    expectAt(e, 2, "cost", "expected a cost, got a mapping with keys corruptor", "!obj:NAME");
  });

  test("inside a dict of monitoring datasets", () => {
    const e = bad(`!obj:SGD {learning_rate: 1, monitoring_dataset: {\n  valid: !obj:EpochCounter {max_epochs: 1}}}`);
    expectAt(e, 2, "monitoring_dataset.valid", "expected a dataset, got a termination criterion (EpochCounter)");
  });

  test("a single component where a list is wanted", () => {
    const e = bad(`${TRAIN_HEAD}    model: !pkl: "model.pkl",\n    extensions: !obj:MonitorBasedLRAdjuster {}\n}`);
    expectAt(e, 4, "extensions", "expected a list of extension or null, got an extension (MonitorBasedLRAdjuster)");
  });

  test("a cross-keyword rule (saturate before start) points at the keyword", () => {
    const e = bad(`${TRAIN_HEAD}    model: !pkl: "model.pkl",\n    extensions: [!obj:MomentumAdjustor {start: 10,\n       saturate: 2, final_momentum: .9}]\n}`);
    expectAt(e, 5, "extensions[0].saturate", "saturate must be >= start");
  });

  test("exactly one initialisation scheme for a layer", () => {
    expectAt(bad(`!obj:RectifiedLinear {dim: 3, layer_name: h0, irange: .1, sparse_init: 15}`), 1, "irange", "give exactly one of irange, istdev, sparse_init");
  });
});

describe("YAML and the dialect", () => {
  test("duplicate key in a flow mapping", () => {
    expectAt(bad(`!obj:RBM {\n  nvis: 3,\n  nhid: 2,\n  nvis: 4\n}`), 4, "nvis", "duplicate key `nvis` (first given at line 2)");
  });

  test("duplicate key in a block mapping", () => {
    expectAt(bad(`a: 1\nb: 2\na: 3\n`), 3, "a", "duplicate key `a` (first given at line 1)");
  });

  test("YAML syntax error has a line", () => {
    const e = bad(`!obj:RBM {\n  nvis: 3,\n  nhid: [2, 3\n}`);
    expect(e.message).toContain("YAML syntax error");
    expect(e.location.line).toBeGreaterThanOrEqual(3);
  });

  test("empty file", () => {
    expect(bad("# only a comment\n").message).toContain("holds no YAML value");
  });

  test("unknown tag with a suggestion", () => {
    expectAt(bad(`x: !ob:pylearn2.train.Train {}`), 1, "x", "unknown tag `!ob:pylearn2.train.Train`", "Did you mean `!obj:`?");
  });

  test("!pkl: without a space before the file name", () => {
    expectAt(bad(`x: !pkl:data.pkl`), 1, "x", "put a space between `!pkl:` and the file name");
  });

  test("!float that is not a number", () => {
    expectAt(bad(`a: 1\nx: !float 'abc'`), 2, "x", `!float needs a number, got "abc"`);
  });

  test("!obj: followed by a list", () => {
    expectAt(bad(`x: !obj:RBM [1, 2]`), 1, "x", "!obj:RBM must be followed by a mapping of keyword arguments");
  });

  test("a `type:` that is not a name", () => {
    expectAt(bad(`x: {type: 5, stdev: 1}`), 1, "x.type", "`type:` names a component and must be a string");
  });

  test("a non-string mapping key", () => {
    expectAt(bad(`? [1, 2]\n: 3\n`), 1, undefined, "a mapping key must be a plain name");
  });

  test("alias to an anchor that does not exist", () => {
    const e = bad(`a: 1\nb: *nope\n`);
    expect(e.location.line).toBe(2);
    expect(e.message).toMatch(/nope/);
  });
});

describe("variables and templates", () => {
  test("unset ${VAR} names the variable and how to set it", () => {
    const e = bad(`!obj:MonitorBasedSaveBest {channel_name: v,\n   save_path: "\${NOPE}/best.pkl"}`);
    expectAt(e, 2, "save_path", "environment variable `${NOPE}` is not set", "export NOPE=...");
  });

  test("unset ${VAR} suggests a set variable with a similar name", () => {
    expectAt(bad(`x: "\${MY_DAT}/a"`), 1, "x", "`${MY_DAT}` is not set", "Did you mean `${MY_DATA}`?");
  });

  test("a PYLEARN2_TRAIN_* variable outside dl train explains who sets it", () => {
    const e = bad(`x: "\${PYLEARN2_TRAIN_PHASE_X}"`);
    expect(e.message).toContain("is not set");
  });

  test("`${` without `}`", () => {
    expectAt(bad(`x: "\${HOME/a"`), 1, "x", "without a closing `}`");
  });

  test("a %(name)i template with no value", () => {
    const e = bad(`a: 1\nstop: %(train_stop)i\n`);
    expectAt(e, 2, undefined, "template parameter `%(train_stop)i`", "train_stop=VALUE");
  });

  test("a %(name)i template given a word", () => {
    const e = bad(`stop: %(train_stop)i\n`, { overrides: ["train_stop=lots"] });
    expectAt(e, 1, undefined, "`%(train_stop)i` needs an integer, got train_stop=\"lots\"");
  });
});

describe("!pkl: files", () => {
  test("missing file says where it looked", () => {
    const e = bad(`${TRAIN_HEAD}    model: !pkl: "nothere.pkl"\n}`);
    expectAt(e, 3, "model", "!pkl: file not found: nothere.pkl", join(dir, "nothere.pkl"));
  });

  test("a Python pickle is not a dl file", () => {
    const e = bad(`${TRAIN_HEAD}    model: !pkl: "pickle.pkl"\n}`);
    expectAt(e, 3, "model", "!pkl: pickle.pkl is not a dl file", "remake the file with dl");
  });

  test("a safetensors file dl did not write is not a dl file", () => {
    expectAt(bad(`${TRAIN_HEAD}    model: !pkl: "other.safetensors"\n}`), 3, "model", "is not a dl file", "not one dl wrote");
  });

  test("a model file where a dataset is wanted", () => {
    const e = bad(`!obj:pylearn2.train.Train {\n  dataset: !pkl: "model.pkl",\n  model: !pkl: "model.pkl"}`);
    expectAt(e, 2, "dataset", "expected a dataset, got the model file model.pkl");
  });
});

describe("overrides and files", () => {
  const train = `${TRAIN_HEAD}    model: !pkl: "model.pkl",\n    algorithm: !obj:SGD {learning_rate: 0.1}\n}`;

  test("a missing path suggests the nearest key", () => {
    const e = bad(train, { overrides: ["algorithm.learning_rat=0.05"] });
    expectAt(e, undefined, "algorithm.learning_rat", "command line", "`algorithm` (SGD) has no `learning_rat`. Did you mean `algorithm.learning_rate`?");
  });

  test("an override value of the wrong type is checked by the schema", () => {
    const e = bad(train, { overrides: ["algorithm.learning_rate=fast"] });
    expectAt(e, undefined, "algorithm.learning_rate", "command line (algorithm.learning_rate=fast)", "expected a positive number, got 'fast'");
  });

  test("an override inside a keyword the file leaves unset", () => {
    const e = bad(train, { overrides: ["algorithm.learning_rule.init_momentum=0.5"] });
    expect(e.message).toContain("leaves `learning_rule` unset");
  });

  test("an override without =", () => {
    expect(errorOf(() => parseOverride("algorithm.learning_rate")).message).toContain("must look like key.path=value");
  });

  test("an override index past the end of a list", () => {
    const e = bad(`${TRAIN_HEAD}    model: !pkl: "model.pkl",\n    extensions: [!obj:MonitorBasedLRAdjuster {}]\n}`, { overrides: ["extensions[3].min_lr=1"] });
    expect(e.message).toContain("`extensions` is a list of 1 item(s)");
  });

  test("a Train experiment must have a Train at the top", () => {
    const p = join(dir, "notrain.yaml");
    writeFileSync(p, "!obj:EpochCounter {max_epochs: 1}\n");
    expect(errorOf(() => loadExperiment(p, opts)).message).toContain("top level of an experiment must be !obj:pylearn2.train.Train");
  });

  test("a missing experiment file", () => {
    expect(errorOf(() => loadConfig(join(dir, "nope.yaml"), opts)).message).toContain("cannot read the experiment file");
  });
});
