import { resolvePlain } from "./scalars.js";
import { ComponentNode, ImportRef, PklRef } from "./registry.js";

/**
 * Validated tree -> YAML in pylearn2's dialect, every default written out: what `--print-config`
 * shows and what model files store. Components print as `!obj:<pylearn2 path>` (dl's own name
 * where pylearn2 has none), files as `!pkl: "<absolute path>"`, and a component or file used in
 * several places is written once with an anchor and then referred to by alias, so re-parsing
 * gives the same tree with the same sharing.
 */

type Ref = ComponentNode | PklRef | ImportRef;

function isRef(v: unknown): v is Ref {
  return v instanceof ComponentNode || v instanceof PklRef || v instanceof ImportRef;
}

function tagName(c: ComponentNode | ImportRef): string {
  return c.def.aliases.find((a: string) => a.startsWith("pylearn2.")) ?? c.def.name;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return ".nan";
    if (v === Infinity) return ".inf";
    if (v === -Infinity) return "-.inf";
    return String(v);
  }
  return JSON.stringify(String(v));
}

function key(k: string): string {
  // Plain when it reads back as the same string (not `True`, `null`, `1e3`, ...).
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && resolvePlain(k) === k ? k : JSON.stringify(k);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isRef(v);
}

export function printConfig(root: unknown): string {
  // Pass 1: how often each component/file is referenced (children counted once per component).
  const count = new Map<Ref, number>();
  const visit = (v: unknown): void => {
    if (isRef(v)) {
      const n = (count.get(v) ?? 0) + 1;
      count.set(v, n);
      if (n === 1 && v instanceof ComponentNode) visit(v.args);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (isPlainObject(v)) Object.values(v).forEach(visit);
  };
  visit(root);

  const anchors = new Map<Ref, string>();
  const used = new Set<string>();
  for (const [ref, n] of count) {
    if (n < 2) continue;
    let name = (ref instanceof ComponentNode || ref instanceof PklRef ? ref.anchor : undefined) ?? "ref";
    if (!/^[A-Za-z0-9_-]+$/.test(name)) name = "ref";
    let unique = name;
    for (let i = 2; used.has(unique); i++) unique = `${name}${i}`;
    used.add(unique);
    anchors.set(ref, unique);
  }
  const emitted = new Set<Ref>();

  /** Text after `key:` / `- ` on the same line, plus the lines below it, indented by `ind`. */
  const render = (v: unknown, ind: string): { head: string; body: string[] } => {
    if (isRef(v)) {
      const a = anchors.get(v);
      if (a !== undefined && emitted.has(v)) return { head: `*${a}`, body: [] };
      emitted.add(v);
      const prefix = a !== undefined ? `&${a} ` : "";
      if (v instanceof PklRef) return { head: `${prefix}!pkl: ${JSON.stringify(v.path)}`, body: [] };
      if (v instanceof ImportRef) return { head: `${prefix}!import ${JSON.stringify(tagName(v))}`, body: [] };
      const keys = Object.keys(v.args).filter((k) => v.args[k] !== undefined);
      if (keys.length === 0) return { head: `${prefix}!obj:${tagName(v)} {}`, body: [] };
      return { head: `${prefix}!obj:${tagName(v)}`, body: mapping(v.args, keys, ind) };
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return { head: "[]", body: [] };
      if (v.every((x) => !isRef(x) && !Array.isArray(x) && !isPlainObject(x))) return { head: `[${v.map(scalar).join(", ")}]`, body: [] };
      const body: string[] = [];
      for (const item of v) {
        const r = render(item, `${ind}  `);
        body.push(`${ind}- ${r.head}`.trimEnd(), ...r.body);
      }
      return { head: "", body };
    }
    if (isPlainObject(v)) {
      const keys = Object.keys(v).filter((k) => v[k] !== undefined);
      if (keys.length === 0) return { head: "{}", body: [] };
      return { head: "", body: mapping(v, keys, ind) };
    }
    return { head: scalar(v), body: [] };
  };

  const mapping = (obj: Record<string, unknown>, keys: string[], ind: string): string[] => {
    const lines: string[] = [];
    for (const k of keys) {
      const r = render(obj[k], `${ind}  `);
      lines.push(`${ind}${key(k)}:${r.head ? ` ${r.head}` : ""}`, ...r.body);
    }
    return lines;
  };

  const r = render(root, "");
  return [r.head, ...r.body].filter((l, i) => i > 0 || l !== "").join("\n") + "\n";
}
