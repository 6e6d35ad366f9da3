import { readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { ConfigError } from "../util/errors.js";
import { resolveDataDir } from "../data/data-dir.js";
import { buildTree, noPklLoader } from "./build.js";
import { REGISTRY, UNSUPPORTED_PYLEARN2 } from "./components/index.js";
import { applyOverride, parseOverride, type Override } from "./overrides.js";
import { parseConfigText } from "./parse.js";
import { printConfig } from "./print.js";
import { ComponentNode, type BuildContext, type Registry } from "./registry.js";
import { fillTemplates, templateNames } from "./templates.js";
import { validateTree } from "./validate.js";

/**
 * The experiment language: pylearn2's YAML dialect, validated by the component registry.
 *
 *     const exp = loadExperiment("cifar_grbm_smd.yaml", { overrides: ["algorithm.learning_rate=0.05"] });
 *     process.stdout.write(exp.print());      // --print-config
 *     const train = exp.build({ loadPkl });    // objects, built bottom-up
 */

export interface LoadOptions {
  /** `key.path=value` strings applied before validation; `name=value` also fills a `%(name)i` template. */
  overrides?: readonly string[];
  /** Variables for `${VAR}` (default: process.env). The PYLEARN2_TRAIN_* variables are added from the path. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The data folder, for `${PYLEARN2_DATA_PATH}` when the environment does not set it (default: resolved as DESIGN says). */
  dataPath?: string;
  /** The working folder, second place a relative `!pkl:` path is looked for (default: process.cwd()). */
  cwd?: string;
  /** Defaults to dl's registry; tests may pass their own. */
  registry?: Registry;
}

export interface Experiment {
  /** Absolute path of the YAML file (or the name given to `loadConfigText`). */
  file: string;
  /** The validated tree: ComponentNodes with defaults filled, plain lists/mappings, scalars, PklRefs. */
  tree: unknown;
  /** The variables `${VAR}` expanded from (environment plus PYLEARN2_TRAIN_* and PYLEARN2_DATA_PATH). */
  env: Readonly<Record<string, string | undefined>>;
  dataPath: string;
  /** The fully resolved YAML (defaults filled, pylearn2 tags): `--print-config`, and what model files store. */
  print(): string;
  /** Builds every component, children first; aliases share one instance. */
  build(ctx?: Partial<BuildContext>): unknown;
}

/** A loaded file whose top level is a Train, or a list of Trains run in turn (layer-wise pretraining). */
export interface TrainExperiment extends Experiment {
  trains: ComponentNode[];
}

/** pylearn2's train.py variables for `path` (`foo/bar.yaml`: foo/bar, foo, bar.yaml, bar). */
export function trainFileVars(path: string): Record<string, string> {
  const abs = resolve(path);
  const ext = extname(abs);
  const stem = ext ? abs.slice(0, -ext.length) : abs;
  return {
    PYLEARN2_TRAIN_FILE_FULL_STEM: stem,
    PYLEARN2_TRAIN_DIR: dirname(abs),
    PYLEARN2_TRAIN_BASE_NAME: basename(abs),
    PYLEARN2_TRAIN_FILE_STEM: basename(stem),
  };
}

/** A config parsed, its templates filled, its ${VAR}s expanded and its overrides applied — not yet validated. */
export interface PreparedConfig {
  root: ReturnType<typeof parseConfigText>;
  env: Record<string, string | undefined>;
  dataPath: string;
  registry: Registry;
}

/**
 * The steps before validation, shared by `loadConfigText` and the trainer's phase-by-phase loading
 * (a later phase may `!pkl:` a file an earlier phase makes, so it cannot be validated up front).
 */
export function prepareConfigText(text: string, file: string, opts: LoadOptions = {}): PreparedConfig {
  const registry = opts.registry ?? REGISTRY;
  const dataPath = opts.dataPath ?? resolveDataDir({ env: { ...process.env, ...(opts.env ?? {}) } });
  const base = opts.env ?? process.env;
  const env: Record<string, string | undefined> = {
    ...trainFileVars(file),
    ...base,
    PYLEARN2_DATA_PATH: base.PYLEARN2_DATA_PATH && base.PYLEARN2_DATA_PATH.trim() !== "" ? base.PYLEARN2_DATA_PATH : dataPath,
  };

  // Single names that the file uses as %(name)i templates fill the template; the rest edit the tree.
  const names = new Set(templateNames(text));
  const params: Record<string, string> = {};
  const edits: Override[] = [];
  for (const o of opts.overrides ?? []) {
    const ov = parseOverride(o);
    if (ov.path.length === 1 && typeof ov.path[0] === "string" && names.has(ov.path[0])) params[ov.path[0]] = ov.valueText;
    else edits.push(ov);
  }
  const filled = fillTemplates(text, params, file);
  const root = parseConfigText(filled, { file, env });
  for (const ov of edits) applyOverride(root, ov, env, registry);
  return { root, env, dataPath, registry };
}

/** Any YAML config (a Train, a list of them, a dataset pipeline, ...) from text; `file` names it in messages and anchors relative paths. */
export function loadConfigText(text: string, file: string, opts: LoadOptions = {}): Experiment {
  const { root, env, dataPath, registry } = prepareConfigText(text, file, opts);
  const tree = validateTree(root, {
    registry,
    unsupported: UNSUPPORTED_PYLEARN2,
    pklDirs: [dirname(resolve(file)), opts.cwd ?? process.cwd()],
  });
  return {
    file,
    tree,
    env,
    dataPath,
    print: () => printConfig(tree),
    build: (ctx = {}) =>
      buildTree(tree, {
        file: ctx.file ?? file,
        dataPath: ctx.dataPath ?? dataPath,
        loadPkl: ctx.loadPkl ?? noPklLoader,
      }),
  };
}

/** Any YAML config file (see loadConfigText). A missing or unreadable file is a ConfigError. */
export function loadConfig(path: string, opts: LoadOptions = {}): Experiment {
  const file = resolve(opts.cwd ?? process.cwd(), path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : (e as Error).message;
    throw new ConfigError(`cannot read the experiment file ${file}: ${why}`);
  }
  return loadConfigText(text, file, opts);
}

/** An experiment file for `dl train`: its top level must be a Train or a list of Trains. */
export function loadExperiment(path: string, opts: LoadOptions = {}): TrainExperiment {
  const exp = loadConfig(path, opts);
  return { ...exp, trains: trainsOf(exp.tree, exp.file) };
}

function trainsOf(tree: unknown, file: string): ComponentNode[] {
  const isTrain = (v: unknown): v is ComponentNode => v instanceof ComponentNode && v.def.kind === "train";
  if (isTrain(tree)) return [tree];
  if (Array.isArray(tree) && tree.length > 0 && tree.every(isTrain)) return tree;
  const got = tree instanceof ComponentNode ? `a ${tree.def.name}` : Array.isArray(tree) ? "a list that is not all Train objects" : "no Train object";
  throw new ConfigError(
    `the top level of an experiment must be !obj:pylearn2.train.Train {...} or a list of them (layer-wise pretraining); this file has ${got}`,
    { file },
  );
}

export { parseOverride, applyOverride, type Override } from "./overrides.js";
export { printConfig } from "./print.js";
export { parseConfigText } from "./parse.js";
export { validateTree } from "./validate.js";
export { buildTree } from "./build.js";
export { renderYamlReference, renderComponentList, renderComponentHelp } from "./reference.js";
export { fieldsOf, typeLabel } from "./describe.js";
export { REGISTRY, UNSUPPORTED_PYLEARN2 } from "./components/index.js";
export * from "./registry.js";
