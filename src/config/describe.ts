import { KIND_NOUN, type AnyComponentDef, type ComponentIssueParams, type ComponentKind } from "./registry.js";

/**
 * Reading zod schemas back for people: a field's type in words ("positive integer", "dataset",
 * "list of layer"), its default and its description. Used by error messages, `dl components`
 * and the README's YAML reference, so all three say the same thing.
 */

// zod 4 keeps what we need in `_zod.def`; these are the parts we read.
interface Def {
  type: string;
  innerType?: Schema;
  defaultValue?: unknown;
  element?: Schema;
  valueType?: Schema;
  items?: Schema[];
  options?: Schema[];
  values?: unknown[];
  entries?: Record<string, unknown>;
  shape?: Record<string, Schema>;
  checks?: { _zod: { def: CheckDef } }[];
  params?: Partial<ComponentIssueParams>;
  in?: Schema;
  out?: Schema;
}
interface CheckDef {
  check: string;
  value?: number;
  inclusive?: boolean;
  format?: string;
  minimum?: number;
  maximum?: number;
  length?: number;
}
type Schema = { _zod: { def: Def }; description?: string };

function def(s: unknown): Def {
  return (s as Schema)._zod.def;
}

export interface Unwrapped {
  inner: Schema;
  nullable: boolean;
  optional: boolean;
  hasDefault: boolean;
  defaultValue?: unknown;
  description?: string;
}

/** Peels default / optional / nullable / pipe wrappers, collecting what they say. */
export function unwrap(schema: unknown): Unwrapped {
  let s = schema as Schema;
  const out: Unwrapped = { inner: s, nullable: false, optional: false, hasDefault: false };
  for (let guard = 0; guard < 20; guard++) {
    if (out.description === undefined && s.description !== undefined) out.description = s.description;
    const d = def(s);
    if (d.type === "default" || d.type === "prefault") {
      if (!out.hasDefault) {
        out.hasDefault = true;
        const v = d.defaultValue;
        out.defaultValue = typeof v === "function" ? (v as () => unknown)() : v;
      }
      s = d.innerType!;
    } else if (d.type === "optional") {
      out.optional = true;
      s = d.innerType!;
    } else if (d.type === "nullable") {
      out.nullable = true;
      s = d.innerType!;
    } else if (d.type === "readonly" || d.type === "catch" || d.type === "nonoptional") {
      s = d.innerType!;
    } else if (d.type === "pipe") {
      s = d.in!;
    } else break;
  }
  out.inner = s;
  return out;
}

function kindsOf(d: Def): ComponentKind[] | undefined {
  const k = d.params?.dlComponentKinds;
  return Array.isArray(k) ? k : undefined;
}

function numberLabel(d: Def): string {
  let isInt = false;
  const bounds: string[] = [];
  let positive = false;
  let nonNegative = false;
  for (const c of d.checks ?? []) {
    const cd = c._zod.def;
    if (cd.check === "number_format" && (cd.format === "safeint" || cd.format === "int32")) isInt = true;
    else if (cd.check === "greater_than") {
      if (cd.value === 0 && !cd.inclusive) positive = true;
      else if (cd.value === 0 && cd.inclusive) nonNegative = true;
      else bounds.push(`${cd.inclusive ? ">=" : ">"} ${cd.value}`);
    } else if (cd.check === "less_than") bounds.push(`${cd.inclusive ? "<=" : "<"} ${cd.value}`);
  }
  const base = isInt ? "integer" : "number";
  const sign = positive ? "positive " : nonNegative ? "non-negative " : "";
  return `${sign}${base}${bounds.length ? ` ${bounds.join(" and ")}` : ""}`;
}

function lit(v: unknown): string {
  return typeof v === "string" ? `'${v}'` : String(v);
}

/** A schema's type in words, e.g. "positive integer", "list of layer", "dataset or mapping of dataset". */
export function typeLabel(schema: unknown): string {
  const u = unwrap(schema);
  const d = def(u.inner);
  let label: string;
  switch (d.type) {
    case "number":
      label = numberLabel(d);
      break;
    case "string":
      label = "string";
      break;
    case "boolean":
      label = "boolean";
      break;
    case "null":
      label = "null";
      break;
    case "literal":
      label = (d.values ?? []).map(lit).join(" or ");
      break;
    case "enum":
      label = `one of ${Object.values(d.entries ?? {}).map(lit).join(", ")}`;
      break;
    case "array": {
      const el = typeLabel(d.element);
      let n = "";
      for (const c of d.checks ?? []) {
        const cd = c._zod.def;
        if (cd.check === "length_equals") n = ` (${cd.length} items)`;
        else if (cd.check === "min_length" && cd.minimum) n = ` (at least ${cd.minimum})`;
      }
      label = `list of ${el}${n}`;
      break;
    }
    case "tuple":
      label = `[${(d.items ?? []).map(typeLabel).join(", ")}]`;
      break;
    case "record":
      label = `mapping of name to ${typeLabel(d.valueType)}`;
      break;
    case "union":
      label = (d.options ?? []).map(typeLabel).join(" or ");
      break;
    case "object":
      label = "mapping";
      break;
    case "custom": {
      const k = kindsOf(d);
      label = k ? k.map((x) => KIND_NOUN[x]).join(" or ") : "value";
      break;
    }
    default:
      label = d.type;
  }
  return u.nullable && d.type !== "null" ? `${label} or null` : label;
}

/** The schema of the value at `path` inside `schema` (through objects, arrays, records, tuples), if unambiguous. */
export function schemaAt(schema: unknown, path: readonly PropertyKey[]): unknown {
  let s: unknown = schema;
  for (const seg of path) {
    const d = def(unwrap(s).inner);
    if (d.type === "object" && typeof seg === "string") s = d.shape?.[seg];
    else if (d.type === "array") s = d.element;
    else if (d.type === "record") s = d.valueType;
    else if (d.type === "tuple" && typeof seg === "number") s = d.items?.[seg];
    else return undefined;
    if (s === undefined) return undefined;
  }
  return s;
}

/** The keyword names a component's schema takes. */
export function keywordsOf(schema: unknown): string[] {
  const d = def(unwrap(schema).inner);
  return d.type === "object" ? Object.keys(d.shape ?? {}) : [];
}

export interface FieldInfo {
  name: string;
  type: string;
  required: boolean;
  /** The default as YAML would write it (`null`, `0.01`, `'sequential'`), when there is one. */
  default?: string;
  description: string;
}

/** YAML-ish text for a default value. */
export function formatDefault(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return `'${v}'`;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (Array.isArray(v)) return `[${v.map(formatDefault).join(", ")}]`;
  return String(v);
}

export function fieldsOf(c: AnyComponentDef): FieldInfo[] {
  const d = def(unwrap(c.schema).inner);
  if (d.type !== "object") return [];
  return Object.entries(d.shape ?? {}).map(([name, s]) => {
    const u = unwrap(s);
    return {
      name,
      type: typeLabel(s),
      required: !u.hasDefault && !u.optional,
      default: u.hasDefault ? formatDefault(u.defaultValue) : undefined,
      description: u.description ?? "",
    };
  });
}
