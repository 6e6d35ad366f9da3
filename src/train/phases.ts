import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  ComponentNode,
  loadExperiment,
  prepareConfigText,
  printConfig,
  UNSUPPORTED_PYLEARN2,
  validateTree,
  type Registry,
} from "../config/index.js";
import { ConfigError } from "../util/errors.js";

/**
 * An experiment file as a sequence of Train phases. A single Train is one phase. In a list
 * (layer-wise pretraining) a later phase may load, with `!pkl:`, a file an earlier phase writes;
 * such a phase cannot be validated before the earlier one has run, so when the only thing wrong
 * with it is a missing `!pkl:` file, its validation waits until its turn. Everything else in
 * every phase is checked before any training starts.
 */
export interface PhasedExperiment {
  file: string;
  dataPath: string;
  count: number;
  /** The validated Train of phase `i` (validated now if it had to wait). */
  phase(i: number): ComponentNode;
  /** The resolved YAML (phases that wait for files print as written). */
  print(): string;
}

export interface PhaseLoadOptions {
  overrides?: readonly string[];
  cwd?: string;
  registry?: Registry;
}

const MISSING_PKL = /^!pkl: file not found/;

export function loadPhases(path: string, opts: PhaseLoadOptions = {}): PhasedExperiment {
  let first: ConfigError;
  try {
    const exp = loadExperiment(path, { overrides: opts.overrides, cwd: opts.cwd, registry: opts.registry });
    return { file: exp.file, dataPath: exp.dataPath, count: exp.trains.length, phase: (i) => exp.trains[i], print: () => exp.print() };
  } catch (e) {
    if (!(e instanceof ConfigError) || !MISSING_PKL.test(e.detail)) throw e;
    first = e;
  }
  // The steps before validation (templates, ${VAR}s, overrides), then validation phase by phase.
  const file = resolve(opts.cwd ?? process.cwd(), path);
  const { root, dataPath, registry } = prepareConfigText(readFileSync(file, "utf8"), file, { overrides: opts.overrides, registry: opts.registry });
  if (root.type !== "seq") throw first;

  const validate = (i: number): ComponentNode => {
    const v = validateTree(root.items[i], { registry, unsupported: UNSUPPORTED_PYLEARN2, pklDirs: [dirname(file), opts.cwd ?? process.cwd()] });
    if (!(v instanceof ComponentNode) || v.def.kind !== "train") {
      throw new ConfigError(`item ${i} of the top-level list is not a Train object`, { file, keyPath: String(i) });
    }
    return v;
  };
  const nodes: (ComponentNode | null)[] = root.items.map((_, i) => {
    try {
      return validate(i);
    } catch (e) {
      if (i > 0 && e instanceof ConfigError && MISSING_PKL.test(e.detail)) return null; // an earlier phase writes it
      throw e;
    }
  });
  return {
    file,
    dataPath,
    count: nodes.length,
    phase: (i) => (nodes[i] ??= validate(i)),
    print: () =>
      nodes.map((n, i) => `# phase ${i + 1}\n${n ? printConfig(n) : "# (loads files an earlier phase writes: resolved once they exist)\n"}`).join(""),
  };
}
