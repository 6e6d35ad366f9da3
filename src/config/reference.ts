import { UsageError } from "../util/errors.js";
import { didYouMean } from "../util/suggest.js";
import { fieldsOf } from "./describe.js";
import { REGISTRY } from "./components/index.js";
import { COMPONENT_KINDS, KIND_NOUN, type AnyComponentDef, type Registry } from "./registry.js";

/**
 * What `dl components` prints and the README's YAML reference, both generated from the registry so
 * they cannot drift from what the validator accepts.
 */

function heading(kind: string): string {
  const noun = KIND_NOUN[kind as keyof typeof KIND_NOUN];
  return `${noun.charAt(0).toUpperCase()}${noun.slice(1)}s`;
}

function status(d: AnyComponentDef): string {
  return d.build ? "" : " (validates; not buildable yet)";
}

/** `dl components`: every component grouped by kind, one line each. */
export function renderComponentList(registry: Registry = REGISTRY): string {
  const out: string[] = [];
  for (const kind of COMPONENT_KINDS) {
    const defs = registry.byKind(kind);
    if (defs.length === 0) continue;
    out.push(`${heading(kind)}:`);
    const w = Math.max(...defs.map((d) => d.name.length));
    for (const d of defs) out.push(`  ${d.name.padEnd(w)}  ${d.description}${status(d)}`);
    out.push("");
  }
  out.push("Run `dl components NAME` for a component's keywords.");
  return out.join("\n") + "\n";
}

/** The definition for a name or alias, or a UsageError with a suggestion. */
export function findComponent(name: string, registry: Registry = REGISTRY): AnyComponentDef {
  const def = registry.lookup(name);
  if (def) return def;
  const hint = didYouMean(name, registry.names());
  throw new UsageError(`no component named \`${name}\`.${hint ? ` Did you mean \`${hint}\`?` : ""} Run \`dl components\` for the list.`);
}

/** `dl components NAME`: the component's keywords with type, default and meaning. */
export function renderComponentHelp(name: string, registry: Registry = REGISTRY): string {
  const d = findComponent(name, registry);
  const out = [`${d.name} (${KIND_NOUN[d.kind]})${status(d)}`, `  ${d.description}`];
  if (d.aliases.length) out.push(`  YAML: ${[...d.aliases.map((a: string) => `!obj:${a}`), `!obj:${d.name}`].join(", ")}`);
  const fields = fieldsOf(d);
  if (fields.length === 0) {
    out.push("", "  (no keywords: write !obj:" + d.name + " {})");
  } else {
    out.push("", "  Keywords:");
    const w = Math.max(...fields.map((f) => f.name.length));
    for (const f of fields) {
      const dflt = f.required ? "required" : `default ${f.default}`;
      out.push(`    ${f.name.padEnd(w)}  ${f.type}; ${dflt}`);
      if (f.description) out.push(`    ${"".padEnd(w)}  ${f.description}`);
    }
  }
  return out.join("\n") + "\n";
}

function md(s: string): string {
  return s.replace(/\|/g, "\\|");
}

/** Markdown for the README: a section per kind, a table of keywords per component. */
export function renderYamlReference(registry: Registry = REGISTRY): string {
  const out: string[] = [
    "## YAML reference",
    "",
    "Generated from dl's component registry (`dl components NAME` prints the same). Write a component as",
    "`!obj:NAME {keyword: value, ...}` with NAME its dl name or pylearn2 path, or as a mapping with a",
    "`type: NAME` key. Keywords not given take the default shown; `null` is pylearn2's `None`.",
    "",
  ];
  for (const kind of COMPONENT_KINDS) {
    const defs = registry.byKind(kind);
    if (defs.length === 0) continue;
    out.push(`### ${heading(kind)}`, "");
    for (const d of defs) {
      out.push(`#### ${d.name}${status(d)}`, "", md(d.description), "");
      if (d.aliases.length) out.push(`pylearn2: ${d.aliases.map((a: string) => `\`${a}\``).join(", ")}`, "");
      const fields = fieldsOf(d);
      if (fields.length === 0) {
        out.push("No keywords.", "");
        continue;
      }
      out.push("| keyword | type | default | meaning |", "|---|---|---|---|");
      for (const f of fields) {
        out.push(`| \`${f.name}\` | ${md(f.type)} | ${f.required ? "required" : `\`${md(f.default ?? "")}\``} | ${md(f.description)} |`);
      }
      out.push("");
    }
  }
  return out.join("\n");
}
