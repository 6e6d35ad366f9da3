import { beforeAll, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { loadConfigText, type LoadOptions } from "./index.js";
import { fieldsOf } from "./describe.js";
import { CONFIGS, scratchDir, tutorialRegistry, writeDlFile } from "./testing.js";

/**
 * Property: whatever the text, loading either succeeds (and then printing and re-loading succeed and
 * agree) or throws a ConfigError — never a TypeError, RangeError or anything else that would reach
 * the user as an "internal error". Inputs: random documents built from the dialect's pieces, and
 * random character- and token-level mutations of the tutorial files. Seeded, so a failure replays.
 */

const CASES_RANDOM = 250;
const CASES_MUTATED = 250;

let dir: string;
let opts: LoadOptions;
let tutorials: string[];
let classNames: string[];

beforeAll(() => {
  dir = scratchDir();
  writeDlFile(join(dir, "cifar10_preprocessed_train.pkl"), "dl-dataset/1");
  writeDlFile(join(dir, "dae_l1.pkl"), "dl-model/1");
  writeDlFile(join(dir, "dae_l2.pkl"), "dl-model/1");
  const registry = tutorialRegistry();
  opts = { cwd: dir, registry, env: { HOME: "/h", X: "7", P: "dae_l1.pkl" }, dataPath: "/data" };
  tutorials = ["cifar_grbm_smd.yaml", "dae_l1.yaml", "dae_l2.yaml", "dae_mlp.yaml", "mlp_tutorial_part_3.yaml", "conv.yaml"].map((f) =>
    readFileSync(join(CONFIGS, f), "utf8"),
  );
  classNames = registry.all().flatMap((d) => [d.name, ...d.aliases]);
});

const TOKENS = [
  "!obj:", "!pkl: ", "!import ", "!float ", "!!str ", "!!int ", "&a ", "*a", "${X}", "${", "}", "{", "[", "]", ",", ": ",
  "- ", "\n", "\n  ", "'", '"', "#", "%(train_stop)i", "%(", "True", "None", ".4", "1e-3", "-2.", "type: ", "<<: ", "?", "|", ">",
  "\t", "nvis", "dataset", "!obj:pylearn2.models.rbm.RBM {}", "!obj:Nope {}", "!pkl: \"dae_l1.pkl\"", "\\", "__proto__: 1", "constructor: 2",
];

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.randint(xs.length)];
}

function randomScalar(rng: Rng): string {
  return pick(rng, ["0", "1", "-1", "2.5", ".4", "1e-3", "True", "False", "None", "null", "'s'", '"${X}"', "${X}", "[8, 8]", "[]", "{}", "abc", "'sequential'", "1e400", ".nan", "-.inf", "0x1f", "0o7", "'%(train_stop)i'"]);
}

/** A random document: components with mostly-real keywords, lists, mappings, tags and aliases. */
function randomValue(rng: Rng, depth: number): string {
  const r = rng.uniform();
  if (depth > 3 || r < 0.35) return randomScalar(rng);
  if (r < 0.65) {
    const name = pick(rng, classNames);
    const def = opts.registry!.lookup(name);
    const fields = def ? fieldsOf(def).map((f) => f.name) : [];
    const keys = fields.length > 0 ? fields : ["a"];
    const n = rng.randint(4);
    const kw: string[] = [];
    for (let i = 0; i < n; i++) kw.push(`${rng.uniform() < 0.85 ? pick(rng, keys) : "bogus"}: ${randomValue(rng, depth + 1)}`);
    const anchor = rng.uniform() < 0.1 ? "&a " : "";
    return `${anchor}!obj:${name} {${kw.join(", ")}}`;
  }
  if (r < 0.75) return `[${Array.from({ length: rng.randint(3) }, () => randomValue(rng, depth + 1)).join(", ")}]`;
  if (r < 0.85) return `{${Array.from({ length: rng.randint(3) }, (_, i) => `k${i}: ${randomValue(rng, depth + 1)}`).join(", ")}}`;
  if (r < 0.9) return pick(rng, ['!pkl: "dae_l1.pkl"', '!pkl: "missing.pkl"', '!pkl: "${P}"', "!import 'pylearn2.models.rbm.RBM'", "!float '1e-2'"]);
  return rng.uniform() < 0.5 ? "*a" : `{type: ${pick(rng, classNames)}}`;
}

function mutate(rng: Rng, text: string): string {
  let t = text;
  const edits = 1 + rng.randint(4);
  for (let e = 0; e < edits; e++) {
    const at = rng.randint(t.length + 1);
    const kind = rng.randint(4);
    if (kind === 0) t = t.slice(0, at) + t.slice(at + 1 + rng.randint(8)); // delete a few characters
    else if (kind === 1) t = t.slice(0, at) + pick(rng, TOKENS) + t.slice(at); // insert a token
    else if (kind === 2) t = t.slice(0, at) + String.fromCharCode(32 + rng.randint(95)) + t.slice(at + 1); // replace one
    else {
      const lines = t.split("\n"); // swap two lines
      const i = rng.randint(lines.length);
      const j = rng.randint(lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      t = lines.join("\n");
    }
  }
  return t;
}

function randomOverrides(rng: Rng): string[] {
  if (rng.uniform() < 0.7) return [];
  return [pick(rng, ["algorithm.learning_rate=0.05", "model.nhid=abc", "nhid=12", "a.b.c=1", "extensions[0].min_lr=2", "=3", "model..x=1", "save_path=", "model.layers[9]=1", "algorithm=!obj:SGD {learning_rate: 1}", "train_stop=x"])];
}

/** Load; on success print and reload. Any non-ConfigError is a failure naming the input. */
function check(text: string, overrides: string[], label: string): "ok" | "config-error" {
  try {
    const exp = loadConfigText(text, join(dir, "fuzz.yaml"), { ...opts, overrides });
    const printed = exp.print();
    const again = loadConfigText(printed, join(dir, "fuzz.yaml"), opts);
    expect(again.print(), `${label}: print is not a fixed point`).toBe(printed);
    return "ok";
  } catch (e) {
    if (e instanceof ConfigError) return "config-error";
    throw new Error(`${label}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n--- input ---\n${text}\n--- overrides: ${overrides.join(" ")}`);
  }
}

test("random dialect documents: success or ConfigError, never another exception", () => {
  const rng = new Rng(20240601);
  const seen = { ok: 0, "config-error": 0 };
  for (let i = 0; i < CASES_RANDOM; i++) {
    const doc = rng.uniform() < 0.5 ? randomValue(rng, 0) : `- ${randomValue(rng, 1)}\n- ${randomValue(rng, 1)}\n`;
    seen[check(doc, randomOverrides(rng), `random case ${i}`)]++;
  }
  // Both outcomes occur, so the generator explores valid and invalid input alike.
  expect(seen.ok).toBeGreaterThan(10);
  expect(seen["config-error"]).toBeGreaterThan(10);
});

test("mutated tutorial files: success or ConfigError, never another exception", () => {
  const rng = new Rng(7);
  const seen = { ok: 0, "config-error": 0 };
  for (let i = 0; i < CASES_MUTATED; i++) {
    const src = pick(rng, tutorials);
    seen[check(mutate(rng, src), randomOverrides(rng), `mutation case ${i}`)]++;
  }
  expect(seen.ok).toBeGreaterThan(10);
  expect(seen["config-error"]).toBeGreaterThan(10);
});

test("arbitrary bytes: success or ConfigError", () => {
  const rng = new Rng(99);
  for (let i = 0; i < 100; i++) {
    const n = rng.randint(60);
    let s = "";
    for (let j = 0; j < n; j++) s += rng.uniform() < 0.3 ? pick(rng, TOKENS) : String.fromCharCode(rng.randint(128));
    check(s, [], `bytes case ${i}`);
  }
});
