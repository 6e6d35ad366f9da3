import { ConfigError } from "../util/errors.js";
import { didYouMean } from "../util/suggest.js";
import { keywordsOf } from "./describe.js";
import { joinKeyPath, type CfgNode, type MapNode } from "./nodes.js";
import { parseConfigText } from "./parse.js";
import type { Registry } from "./registry.js";

/**
 * Command-line overrides, `algorithm.learning_rate=0.05 model.layers[0].dim=200`: applied to the
 * parsed tree before validation, so the schema checks (and coerces) them like values in the file.
 */

export interface Override {
  /** As typed, for messages. */
  text: string;
  /** Keys and list indices from the root. */
  path: (string | number)[];
  /** The right-hand side, read as YAML (so `[8, 8]`, `True`, `!obj:X {...}` work). */
  valueText: string;
}

const SOURCE = "command line";

/** `"algorithm.learning_rate=0.05"` -> `{path: ["algorithm", "learning_rate"], valueText: "0.05"}`. */
export function parseOverride(text: string): Override {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    throw new ConfigError(`override \`${text}\` must look like key.path=value (e.g. algorithm.learning_rate=0.05)`, { file: SOURCE });
  }
  const lhs = text.slice(0, eq).trim();
  const path: (string | number)[] = [];
  for (const part of lhs.split(".")) {
    // `layers[0]` and `layers.0` both index a list.
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === "" && m[2] === "")) {
      throw new ConfigError(`override \`${text}\`: \`${lhs}\` is not a key path (names separated by dots, list items as [0])`, { file: SOURCE });
    }
    if (m[1] !== "") path.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) path.push(Number(idx[1]));
  }
  return { text, path, valueText: text.slice(eq + 1) };
}

function pathText(path: readonly (string | number)[]): string {
  return path.reduce<string>((p, s) => joinKeyPath(p, s), "");
}

/** The override's value as a node (a bare scalar remembers its text, for string coercion). */
function valueNode(ov: Override, env: Readonly<Record<string, string | undefined>>): CfgNode {
  const file = `${SOURCE} (${ov.text})`;
  if (ov.valueText.trim() === "") return { type: "scalar", value: null, loc: { file }, overrideText: ov.valueText };
  const node = parseConfigText(ov.valueText, { file, env, keyPath: pathText(ov.path), noPositions: true });
  if (node.type === "scalar") node.overrideText = ov.valueText;
  return node;
}

/** Applies `ov` to `root` in place; an unknown path is a ConfigError with a suggestion. */
export function applyOverride(root: CfgNode, ov: Override, env: Readonly<Record<string, string | undefined>>, registry: Registry): void {
  const value = valueNode(ov, env);
  let cur: CfgNode = root;
  let at = "";
  const fail = (detail: string) => new ConfigError(`override \`${ov.text}\`: ${detail}`, { file: SOURCE, keyPath: pathText(ov.path) });
  for (let i = 0; i < ov.path.length; i++) {
    const seg = ov.path[i];
    const last = i === ov.path.length - 1;
    const owner = cur.type === "obj" ? cur.className : undefined;
    const container: CfgNode = cur.type === "obj" ? cur.args : cur;
    if (container.type === "map") {
      const key = String(seg);
      const entry = container.entries.find((e) => e.key === key);
      const keywords = owner ? keywordsOfClass(owner, registry) : undefined;
      if (entry) {
        if (last) entry.value = value;
        else cur = entry.value;
      } else if (last && (keywords === undefined || keywords.includes(key))) {
        // A keyword the file leaves at its default, or a new entry of a plain mapping.
        (container as MapNode).entries.push({ key, keyLoc: value.loc, value });
      } else {
        const candidates = [...container.entries.map((e) => e.key), ...(keywords ?? [])];
        const hint = didYouMean(key, candidates);
        const where = at ? `\`${at}\`${owner ? ` (${owner})` : ""}` : `the top level${owner ? ` (${owner})` : ""}`;
        if (keywords?.includes(key)) {
          throw fail(`${where} leaves \`${key}\` unset, so there is nothing to set inside it; set \`${joinKeyPath(at, key)}\` itself (e.g. to !obj:NAME {...})`);
        }
        throw fail(`${where} has no \`${key}\`.${hint ? ` Did you mean \`${joinKeyPath(at, hint)}\`?` : ""}`);
      }
      at = joinKeyPath(at, key);
    } else if (container.type === "seq") {
      if (typeof seg !== "number" || seg >= container.items.length) {
        throw fail(`\`${at}\` is a list of ${container.items.length} item(s); use an index 0..${container.items.length - 1}, e.g. ${joinKeyPath(at, 0)}`);
      }
      if (last) container.items[seg] = value;
      else cur = container.items[seg];
      at = joinKeyPath(at, seg);
    } else {
      throw fail(`\`${at || "the top level"}\` is a single value, not a mapping or list, so \`${seg}\` cannot be set inside it`);
    }
  }
}

function keywordsOfClass(className: string, registry: Registry): string[] | undefined {
  const def = registry.lookup(className);
  return def ? keywordsOf(def.schema) : undefined;
}
