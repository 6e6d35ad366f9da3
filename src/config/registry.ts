import { z } from "zod";
import type { SourceLocation } from "../util/errors.js";
import type { DlFormat } from "../io/model-file.js";

/**
 * The component registry: every class a YAML file may name (`!obj:NAME`, `type: NAME`, `!import NAME`)
 * is a `ComponentDef` listed in components/index.ts. A name is looked up in a map we own and its keyword
 * arguments are validated by the entry's zod schema — it is never resolved to an import path.
 */

export type ComponentKind =
  | "train"
  | "algorithm"
  | "model"
  | "layer"
  | "space"
  | "cost"
  | "corruptor"
  | "dataset"
  | "preprocessor"
  | "termination"
  | "extension"
  | "update_callback"
  | "learning_rule"
  | "energy"
  | "other";

/** Listing order for `dl components` and the README reference. */
export const COMPONENT_KINDS: readonly ComponentKind[] = [
  "train",
  "algorithm",
  "learning_rule",
  "termination",
  "extension",
  "update_callback",
  "model",
  "layer",
  "space",
  "energy",
  "cost",
  "corruptor",
  "dataset",
  "preprocessor",
  "other",
];

/** How a kind reads in a sentence: "expected a dataset, got a cost". */
export const KIND_NOUN: Record<ComponentKind, string> = {
  train: "Train object",
  algorithm: "training algorithm",
  model: "model",
  layer: "layer",
  space: "space",
  cost: "cost",
  corruptor: "corruptor",
  dataset: "dataset",
  preprocessor: "preprocessor",
  termination: "termination criterion",
  extension: "extension",
  update_callback: "SGD update callback",
  learning_rule: "learning rule",
  energy: "energy function",
  other: "component",
};

export interface BuildContext {
  /** The YAML file being built (absolute), or "<override>" etc. */
  file: string;
  /** Resolved data folder (for PYLEARN2_DATA_PATH). */
  dataPath: string;
  /** Loads a `!pkl:` path (already resolved to absolute) into a model or dataset object. */
  loadPkl(path: string): unknown;
}

export interface ComponentDef<S extends z.ZodType = z.ZodType, T = unknown> {
  /** Canonical, e.g. "GaussianBinaryRBM". */
  name: string;
  /** pylearn2 paths, e.g. ["pylearn2.models.rbm.GaussianBinaryRBM"]. */
  aliases: string[];
  kind: ComponentKind;
  /** One line, shown by `dl components`. */
  description: string;
  /** z.object({...}).strict() of the keyword arguments, with pylearn2's defaults; each field .describe()d. */
  schema: S;
  /** Absent => building reports "X is recognised but not implemented yet". */
  build?: (args: z.output<S>, ctx: BuildContext) => T;
}

// `any` here is deliberate: a registry holds definitions of many schema/result types, and a build
// function's parameter type is contravariant, so no single concrete type admits them all.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyComponentDef = ComponentDef<any, any>;

/** Identity with inference: `export const SGD = defineComponent({ ... })` keeps the schema's types for `build`. */
export function defineComponent<S extends z.ZodType, T>(def: ComponentDef<S, T>): ComponentDef<S, T> {
  return def;
}

// ---------------------------------------------------------------------------------------------
// Values that stand in for components between validation and build.

/**
 * A validated `!obj:` (or `type:` mapping) that has not been built. Schema fields made with
 * `component(kind)` hold these while validating; `build()` replaces each with the built object,
 * building every node once (so anchors/aliases share one instance).
 */
export class ComponentNode {
  /** The YAML anchor it was written with (`&train`), kept for printing. */
  anchor?: string;
  constructor(
    readonly def: AnyComponentDef,
    /** The keyword arguments after validation (defaults filled; nested components are ComponentNode etc.). */
    public args: Record<string, unknown>,
    readonly loc: SourceLocation,
  ) {}
}

/** A `!pkl: "path"` reference: an existing dl file, checked to exist and to be a dl file at load time. */
export class PklRef {
  anchor?: string;
  constructor(
    /** Absolute path. */
    readonly path: string,
    /** The path as written (after ${VAR} expansion), for printing. */
    readonly written: string,
    readonly format: DlFormat,
    readonly loc: SourceLocation,
  ) {}
}

/** `!import NAME`: the component itself, not called. Builds to a `ComponentFactory`. */
export class ImportRef {
  constructor(
    readonly def: AnyComponentDef,
    readonly written: string,
    readonly loc: SourceLocation,
  ) {}
}

/** What `!import NAME` builds to: a component you can create later with keyword arguments. */
export interface ComponentFactory<T = unknown> {
  readonly name: string;
  readonly kind: ComponentKind;
  /** Validates `kwargs` with the component's schema (defaults filled) and builds it. */
  create(kwargs?: Record<string, unknown>): T;
}

/** The kinds a `!pkl:` file of each format can stand for. */
export function pklKinds(format: DlFormat): ComponentKind[] {
  if (format === "dl-dataset/1") return ["dataset"];
  // A saved model can be trained further, wrapped as a layer (PretrainedLayer) or used as a transformer.
  return ["model"];
}

/** Parameters attached to the custom issue `component()` raises, read back by the error formatter. */
export interface ComponentIssueParams {
  dlComponentKinds: ComponentKind[];
}

/** The kinds a (validated, unbuilt) value stands for, or undefined if it is no component. */
export function kindOfValue(v: unknown): ComponentKind | undefined {
  if (v instanceof ComponentNode) return v.def.kind;
  if (v instanceof ImportRef) return v.def.kind;
  if (v instanceof PklRef) return pklKinds(v.format)[0];
  return undefined;
}

/**
 * A schema field that takes a component of one of `kinds` (a nested `!obj:`, a `!pkl:` file of
 * the right format, or an `!import`). `T` is what the field holds after build, e.g.
 * `component<Dataset>("dataset")`. A mismatch reads "expected a dataset, got a cost (SMD)".
 */
export function component<T = unknown>(...kinds: ComponentKind[]): z.ZodType<T> {
  const params: ComponentIssueParams = { dlComponentKinds: kinds };
  return z.custom<T>(
    (v) => {
      if (v instanceof ComponentNode || v instanceof ImportRef) return kinds.includes(v.def.kind);
      if (v instanceof PklRef) return pklKinds(v.format).some((k) => kinds.includes(k));
      return false;
    },
    { params },
  );
}

export function isComponentSchema(s: unknown): boolean {
  const p = (s as { _zod?: { def?: { params?: Partial<ComponentIssueParams> } } })?._zod?.def?.params;
  return Array.isArray(p?.dlComponentKinds);
}

// ---------------------------------------------------------------------------------------------
// The registry map.

export class Registry {
  private readonly byName = new Map<string, AnyComponentDef>();
  private readonly defs: AnyComponentDef[] = [];

  constructor(defs: Iterable<AnyComponentDef>) {
    for (const d of defs) this.add(d);
  }

  /** Adds a definition; a name or alias already taken is a programming error. */
  add(def: AnyComponentDef): void {
    for (const n of [def.name, ...def.aliases]) {
      const prev = this.byName.get(n);
      if (prev && prev !== def) throw new Error(`component name ${n} registered twice (${prev.name} and ${def.name})`);
      this.byName.set(n, def);
    }
    this.defs.push(def);
  }

  /** By canonical name or any alias, exactly as written. */
  lookup(name: string): AnyComponentDef | undefined {
    return this.byName.get(name);
  }

  /** Every definition, in registration order. */
  all(): readonly AnyComponentDef[] {
    return this.defs;
  }

  /** Canonical names and aliases: the candidates for "did you mean". */
  names(): string[] {
    return [...this.byName.keys()];
  }

  byKind(kind: ComponentKind): AnyComponentDef[] {
    return this.defs.filter((d) => d.kind === kind);
  }
}
