import type { z } from "zod";
import { didYouMean } from "../util/suggest.js";
import { schemaAt, typeLabel, unwrap } from "./describe.js";
import { ComponentNode, ImportRef, KIND_NOUN, PklRef, type AnyComponentDef, type ComponentIssueParams } from "./registry.js";

/**
 * zod issues -> one sentence a person can act on: "expected a positive integer, got 'abc'",
 * "expected a dataset, got a cost (SMD)", "GaussianBinaryRBM does not take `nvsi`; did you mean `nvis`?".
 * We write these ourselves rather than show zod's text, which knows nothing of YAML or components.
 */

type Issue = z.core.$ZodIssue;

/** What a value is, in words: `'abc'`, `5`, `a cost (SMD)`, `a list of 3 items`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isNaN(v) ? ".nan" : String(v);
  if (typeof v === "string") return `'${v}'`;
  if (Array.isArray(v)) return `a list of ${v.length} item${v.length === 1 ? "" : "s"}`;
  if (v instanceof ComponentNode) return `${article(KIND_NOUN[v.def.kind])} (${v.def.name})`;
  if (v instanceof ImportRef) return `!import ${v.written} (${article(KIND_NOUN[v.def.kind])} class, not an instance)`;
  if (v instanceof PklRef) return `the ${v.format === "dl-dataset/1" ? "dataset" : "model"} file ${v.written}`;
  if (typeof v === "object") {
    const keys = Object.keys(v as object);
    return `a mapping${keys.length ? ` with keys ${keys.slice(0, 4).join(", ")}${keys.length > 4 ? ", ..." : ""}` : ""}`;
  }
  return String(v);
}

/** "a dataset", "an integer", "one of 'x', 'y'" (no article where none reads right). */
export function article(label: string): string {
  if (/^(one of|null|\[|'|-?\d|True|False)/.test(label)) return label;
  return /^[aeiou]/i.test(label) ? `an ${label}` : `a ${label}`;
}

export interface IssueReport {
  /** The sentence. */
  detail: string;
  /** Path of the value it concerns, relative to the component's keyword mapping. */
  path: PropertyKey[];
  /** The issue is about a key (an unknown keyword), not a value: point at the key. */
  atKey?: boolean;
  /** The issue is a missing keyword: point at the component. */
  missing?: boolean;
}

function pickPrimary(issues: readonly Issue[]): Issue {
  // A misspelt keyword also makes the real one "missing"; the misspelling is the thing to report.
  return issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
}

/** The report for the most useful of `issues`, raised validating `def`'s keyword arguments. */
export function reportIssues(def: AnyComponentDef, issues: readonly Issue[]): IssueReport {
  return report(def, pickPrimary(issues), def.schema, []);
}

function fieldLabel(root: unknown, rel: readonly PropertyKey[], fallback: string): string {
  const s = schemaAt(root, rel);
  return s === undefined ? fallback : typeLabel(s);
}

function report(def: AnyComponentDef, issue: Issue, root: unknown, prefix: PropertyKey[]): IssueReport {
  const path = [...prefix, ...issue.path];
  const rel = issue.path;
  const input = (issue as { input?: unknown }).input;
  if (input === undefined && rel.length > 0 && issue.code !== "unrecognized_keys") {
    // Nothing was given for a keyword without a default (zod's code depends on the field's type).
    const s = schemaAt(root, rel);
    const label = s === undefined ? "a value" : typeLabel(s);
    const desc = s === undefined ? undefined : unwrap(s).description;
    const key = String(path[path.length - 1]);
    return { detail: `${def.name} needs \`${key}\` (${label}${desc ? `: ${desc}` : ""}) and it is not given`, path, missing: true };
  }
  switch (issue.code) {
    case "unrecognized_keys": {
      const key = issue.keys[0];
      const s = schemaAt(root, rel);
      const keywords = s === undefined ? [] : objectKeys(s);
      const hint = didYouMean(key, keywords);
      const owner = rel.length === 0 && prefix.length === 0 ? def.name : "this mapping";
      const tail = hint ? `; did you mean \`${hint}\`?` : keywords.length ? `; it takes: ${keywords.join(", ")}` : "";
      return { detail: `${owner} does not take \`${key}\`${tail}`, path: [...path, key], atKey: true };
    }
    case "invalid_type": {
      const label = fieldLabel(root, rel, issue.expected);
      return { detail: `expected ${article(label)}, got ${describeValue(input)}`, path };
    }
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      if (issue.origin === "array") {
        const n = Array.isArray(input) ? input.length : "?";
        const want = issue.code === "too_small" ? "at least" : "at most";
        return { detail: `expected ${want} ${bound} item${Number(bound) === 1 ? "" : "s"}, got ${n}`, path };
      }
      const op = issue.code === "too_small" ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
      return { detail: `expected ${article(fieldLabel(root, rel, "number"))} (${op} ${bound}), got ${describeValue(input)}`, path };
    }
    case "invalid_value": {
      const values = issue.values.map((v) => (typeof v === "string" ? `'${v}'` : String(v)));
      const strings = issue.values.filter((v): v is string => typeof v === "string");
      const hint = typeof input === "string" ? didYouMean(input, strings) : undefined;
      const want = values.length === 1 ? values[0] : `one of ${values.join(", ")}`;
      return { detail: `expected ${want}, got ${describeValue(input)}${hint ? `. Did you mean '${hint}'?` : ""}`, path };
    }
    case "invalid_union": {
      // Follow the branch that got furthest into the value: its complaint is the specific one.
      let best: { issue: Issue; branch: number } | undefined;
      issue.errors.forEach((branchIssues, b) => {
        for (const bi of branchIssues) {
          if (bi.path.length > 0 && (!best || bi.path.length > best.issue.path.length)) best = { issue: bi, branch: b };
        }
      });
      const unionSchema = schemaAt(root, rel);
      if (best && unionSchema !== undefined) {
        const options = (unwrap(unionSchema).inner as unknown as { _zod: { def: { options?: unknown[] } } })._zod.def.options;
        const branchSchema = options?.[best.branch];
        if (branchSchema !== undefined) return report(def, best.issue, branchSchema, path);
      }
      return { detail: `expected ${article(fieldLabel(root, rel, "a different value"))}, got ${describeValue(input)}`, path };
    }
    case "custom": {
      const params = issue.params as Partial<ComponentIssueParams> | undefined;
      if (params?.dlComponentKinds) {
        const want = params.dlComponentKinds.map((k) => article(KIND_NOUN[k])).join(" or ");
        let got = describeValue(input);
        if (input !== null && typeof input === "object" && !(input instanceof ComponentNode) && !(input instanceof PklRef) && !(input instanceof ImportRef) && !Array.isArray(input)) {
          got += " (a component is written !obj:NAME {...}, or a mapping with a `type:` key)";
        }
        return { detail: `expected ${want}, got ${got}`, path };
      }
      return { detail: issue.message, path };
    }
    default:
      return { detail: issue.message, path };
  }
}

function objectKeys(s: unknown): string[] {
  const d = (unwrap(s).inner as unknown as { _zod: { def: { type: string; shape?: Record<string, unknown> } } })._zod.def;
  return d.type === "object" ? Object.keys(d.shape ?? {}) : [];
}
