import { ConfigError, DlError } from "../util/errors.js";
import { reportIssues } from "./issues.js";
import { ComponentNode, ImportRef, PklRef, type BuildContext, type ComponentFactory } from "./registry.js";

/**
 * Validated tree -> objects. Children are built before their parent and passed to its `build` as
 * values; each ComponentNode and PklRef is built once, so YAML aliases share one instance
 * (pylearn2's `bindings` in yaml_parse._instantiate).
 */
export function buildTree(root: unknown, ctx: BuildContext): unknown {
  const built = new Map<object, unknown>();

  const walk = (v: unknown): unknown => {
    if (v instanceof ComponentNode) {
      if (built.has(v)) return built.get(v);
      if (!v.def.build) {
        throw new ConfigError(`${v.def.name} is recognised but not implemented yet (it validates, but dl cannot build it)`, v.loc);
      }
      const args = walk(v.args) as Record<string, unknown>;
      const out = v.def.build(args, ctx);
      built.set(v, out);
      return out;
    }
    if (v instanceof PklRef) {
      if (built.has(v)) return built.get(v);
      const out = ctx.loadPkl(v.path);
      built.set(v, out);
      return out;
    }
    if (v instanceof ImportRef) {
      if (built.has(v)) return built.get(v);
      const out = factory(v, ctx);
      built.set(v, out);
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(root);
}

function factory(ref: ImportRef, ctx: BuildContext): ComponentFactory {
  const def = ref.def;
  return {
    name: def.name,
    kind: def.kind,
    create(kwargs: Record<string, unknown> = {}) {
      const r = def.schema.safeParse(kwargs, { reportInput: true });
      if (!r.success) {
        const rep = reportIssues(def, r.error.issues);
        throw new ConfigError(`creating ${def.name} from !import: ${rep.detail}`, ref.loc);
      }
      if (!def.build) throw new ConfigError(`${def.name} is recognised but not implemented yet (it validates, but dl cannot build it)`, ref.loc);
      return def.build(r.data, ctx);
    },
  };
}

/** The `loadPkl` used when the caller gives none: says so rather than failing obscurely. */
export function noPklLoader(path: string): never {
  throw new DlError(`cannot load ${path}: this build() was given no loader for !pkl: files (pass loadPkl in the build context)`, 1);
}
