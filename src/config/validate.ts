import { existsSync, statSync } from "node:fs";
import { basename, isAbsolute, resolve } from "node:path";
import { ConfigError, type SourceLocation } from "../util/errors.js";
import { didYouMean } from "../util/suggest.js";
import { detectFormat } from "../io/model-file.js";
import { reportIssues } from "./issues.js";
import { joinKeyPath, type CfgNode, type Loc, type MapEntry, type MapNode, type ObjNode } from "./nodes.js";
import { ComponentNode, ImportRef, KIND_NOUN, PklRef, type AnyComponentDef, type ComponentKind, type Registry } from "./registry.js";

/**
 * CfgNode tree -> validated value tree. Every `!obj:` becomes a ComponentNode whose keyword arguments
 * have passed its zod schema (defaults filled); `!pkl:` becomes a PklRef to an existing dl file;
 * `!import` an ImportRef. Children are validated before parents, and a node shared through an alias
 * is validated once, so the tree keeps YAML's sharing.
 */

export interface ValidateOptions {
  registry: Registry;
  /** pylearn2 classes dl knows of but does not implement. */
  unsupported: ReadonlySet<string>;
  /** Folders a relative `!pkl:` path is looked up in, in order (the YAML's folder, then the working folder). */
  pklDirs: string[];
}

export function validateTree(root: CfgNode, opts: ValidateOptions): unknown {
  return new Validator(opts).value(root, "");
}

function located(loc: Loc, keyPath: string): SourceLocation {
  return { file: loc.file, line: loc.line, col: loc.col, keyPath: keyPath || undefined };
}

/** Which kind of component a pylearn2 module holds, for listing the supported alternatives. */
function kindOfPylearn2Path(name: string): ComponentKind | undefined {
  const rules: [RegExp, ComponentKind][] = [
    [/^pylearn2\.models\.(mlp|maxout)\./, "layer"],
    [/^pylearn2\.models\./, "model"],
    [/^pylearn2\.costs\./, "cost"],
    [/^pylearn2\.datasets\.preprocessing\./, "preprocessor"],
    [/^pylearn2\.datasets\./, "dataset"],
    [/^pylearn2\.space\./, "space"],
    [/^pylearn2\.corruption\./, "corruptor"],
    [/^pylearn2\.termination_criteria\./, "termination"],
    [/^pylearn2\.training_algorithms\.learning_rule\./, "learning_rule"],
    [/^pylearn2\.training_algorithms\./, "algorithm"],
    [/^pylearn2\.train_extensions\./, "extension"],
    [/^pylearn2\.energy_functions\./, "energy"],
  ];
  return rules.find(([re]) => re.test(name))?.[1];
}

class Validator {
  /** Components, files and imports, by node: one value per node however often it is referenced. */
  private readonly memo = new Map<CfgNode, unknown>();

  constructor(private readonly opts: ValidateOptions) {}

  value(node: CfgNode, path: string): unknown {
    if (this.memo.has(node)) return this.memo.get(node);
    switch (node.type) {
      case "scalar":
        return node.value;
      case "seq":
        return node.items.map((it, i) => this.value(it, joinKeyPath(path, i)));
      case "map":
        return this.mapValue(node, path);
      case "obj": {
        const v = this.obj(node, path);
        this.memo.set(node, v);
        return v;
      }
      case "pkl": {
        const v = this.pkl(node.path, node.loc, path);
        if (node.anchor) v.anchor = node.anchor;
        this.memo.set(node, v);
        return v;
      }
      case "import": {
        const def = this.lookup(node.name, node.loc, path);
        const v = new ImportRef(def, node.name, located(node.loc, path));
        this.memo.set(node, v);
        return v;
      }
    }
  }

  private mapValue(node: MapNode, path: string): Record<string, unknown> {
    // fromEntries defines own properties, so a key such as `__proto__` stays an ordinary key.
    return Object.fromEntries(node.entries.map((e) => [e.key, this.value(e.value, joinKeyPath(path, e.key))]));
  }

  lookup(name: string, loc: Loc, path: string): AnyComponentDef {
    const { registry, unsupported } = this.opts;
    const def = registry.lookup(name);
    if (def) return def;
    if (unsupported.has(name)) {
      const kind = kindOfPylearn2Path(name);
      const alts = (kind ? registry.byKind(kind) : registry.all()).map((d) => d.name);
      const noun = kind ? `${KIND_NOUN[kind]}s` : "components";
      throw new ConfigError(`${name} is not supported by dl; supported ${noun}: ${alts.join(", ") || "(none yet)"}`, located(loc, path));
    }
    const hint = didYouMean(name, registry.names());
    throw new ConfigError(
      `unknown class \`${name}\`.${hint ? ` Did you mean \`${hint}\`?` : ""} Run \`dl components\` to list the classes dl knows.`,
      located(loc, path),
    );
  }

  private obj(node: ObjNode, path: string): ComponentNode {
    const def = this.lookup(node.className, node.loc, path);
    let args = this.mapValue(node.args, path);
    let r = def.schema.safeParse(args, { reportInput: true });
    if (!r.success && this.coerce(node.args, r.error.issues)) {
      args = this.mapValue(node.args, path);
      r = def.schema.safeParse(args, { reportInput: true });
    }
    if (!r.success) {
      const rep = reportIssues(def, r.error.issues);
      let loc: Loc = node.loc;
      if (!rep.missing) {
        const at = nodeAt(node.args, rep.path);
        if (at) loc = rep.atKey ? at.keyLoc : at.valueLoc;
      }
      const keyPath = rep.path.reduce<string>((p, seg) => joinKeyPath(p, typeof seg === "number" ? seg : String(seg)), path);
      throw new ConfigError(rep.detail, located(loc, keyPath));
    }
    const cn = new ComponentNode(def, r.data as Record<string, unknown>, located(node.loc, path));
    if (node.anchor) cn.anchor = node.anchor;
    return cn;
  }

  /**
   * Second readings of scalars the schema refused, as pylearn2 would have taken them. A command-line
   * value is read as YAML, so `save_path=123` arrives as a number: where the schema wanted a string
   * (or one of several types), fall back to the text as written. And pylearn2 tested flags with
   * Python's truth (`if shuffle:`), so files write `shuffle: 0`: where a boolean is wanted, 0 and 1
   * are false and true (other numbers stay errors). True if any changed.
   */
  private coerce(args: MapNode, issues: readonly { code: string; path: PropertyKey[]; expected?: string; values?: unknown[] }[]): boolean {
    let changed = false;
    for (const issue of issues) {
      if (issue.code === "invalid_type" && issue.expected === "boolean") {
        const n = nodeAt(args, issue.path)?.node;
        if (n && n.type === "scalar" && (n.value === 0 || n.value === 1)) {
          n.value = n.value === 1;
          changed = true;
        }
        continue;
      }
      const wantsString =
        (issue.code === "invalid_type" && issue.expected === "string") ||
        (issue.code === "invalid_value" && (issue.values ?? []).some((v) => typeof v === "string")) ||
        issue.code === "invalid_union";
      if (!wantsString) continue;
      const at = nodeAt(args, issue.path);
      const n = at?.node;
      if (n && n.type === "scalar" && n.overrideText !== undefined && typeof n.value !== "string") {
        n.value = n.overrideText;
        changed = true;
      }
    }
    return changed;
  }

  private pkl(written: string, loc: Loc, path: string): PklRef {
    const candidates = isAbsolute(written) ? [written] : [...new Set(this.opts.pklDirs.map((d) => resolve(d, written)))];
    const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
    if (!found) {
      const hint = /preprocessed/.test(basename(written))
        ? " Make it with `dl make-dataset cifar10-patches`."
        : " (dl make-dataset writes dataset files; dl train writes model files.)";
      throw new ConfigError(`!pkl: file not found: ${written} (looked for ${candidates.join(" and ")}).${hint}`, located(loc, path));
    }
    try {
      return new PklRef(found, written, detectFormat(found), located(loc, path));
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new ConfigError(
        `!pkl: ${written} is not a dl file (${why}). dl reads the files it writes (safetensors with dl metadata); ` +
          "pylearn2's Python pickles cannot be loaded: remake the file with dl.",
        located(loc, path),
      );
    }
  }
}

/** The node at `path` under a component's keyword mapping, with where its key and value were written. */
function nodeAt(args: MapNode, path: readonly PropertyKey[]): { node: CfgNode; keyLoc: Loc; valueLoc: Loc } | undefined {
  let cur: CfgNode = args;
  let keyLoc: Loc = args.loc;
  for (const seg of path) {
    if (cur.type === "map" && typeof seg === "string") {
      const e: MapEntry | undefined = cur.entries.find((x) => x.key === seg);
      if (!e) return undefined;
      keyLoc = e.keyLoc;
      cur = e.value;
    } else if (cur.type === "seq" && typeof seg === "number" && seg < cur.items.length) {
      cur = cur.items[seg];
      keyLoc = cur.loc;
    } else return undefined;
  }
  // A value given on the command line has no line: its location names the override instead.
  return { node: cur, keyLoc, valueLoc: cur.loc };
}
