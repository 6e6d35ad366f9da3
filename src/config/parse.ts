import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YNode, type Pair } from "yaml";
import { ConfigError } from "../util/errors.js";
import { didYouMean } from "../util/suggest.js";
import { joinKeyPath, type CfgNode, type Loc, type MapEntry, type MapNode, type ObjNode } from "./nodes.js";
import { expandVars, parsePythonFloat, resolvePlain } from "./scalars.js";

/**
 * YAML text -> CfgNode tree, in pylearn2's dialect. The `yaml` package parses with the failsafe
 * schema (every scalar a string, so we resolve types ourselves, PyYAML-style) and keeps offsets; tags
 * are read off the nodes: `!obj:NAME`, `!pkl:`, `!import`, `!import:NAME`, `!float`, and the `!!` core tags.
 */

export interface ParseOptions {
  /** Shown in messages: the file's absolute path, or e.g. `override 'a=1'`. */
  file: string;
  /** Variables for `${VAR}`. */
  env: Readonly<Record<string, string | undefined>>;
  /** Prefix for key paths in messages (overrides parse a value that lives at a path). */
  keyPath?: string;
  /** Line numbers are meaningless for command-line values: leave them out of locations. */
  noPositions?: boolean;
}

const CORE = "tag:yaml.org,2002:";
const KNOWN_TAGS = ["!obj:", "!pkl:", "!import", "!import:", "!float"];

export function parseConfigText(text: string, opts: ParseOptions): CfgNode {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, schema: "failsafe", uniqueKeys: false, prettyErrors: false });
  const locAt = (offset: number | undefined): Loc => {
    if (opts.noPositions || offset === undefined) return { file: opts.file };
    const p = lc.linePos(offset);
    return { file: opts.file, line: p.line, col: p.col };
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const first = e.message.split("\n")[0];
    throw new ConfigError(`YAML syntax error: ${first}`, { ...locAt(e.pos?.[0]), keyPath: opts.keyPath || undefined });
  }
  if (doc.contents === null) throw new ConfigError("the file holds no YAML value (empty, or only comments)", { file: opts.file });
  return new Converter(doc, text, opts, locAt).convert(doc.contents, opts.keyPath ?? "");
}

class Converter {
  private readonly done = new Map<YNode, CfgNode>();
  private readonly inProgress = new Set<YNode>();

  constructor(
    private readonly doc: Document,
    private readonly text: string,
    private readonly opts: ParseOptions,
    private readonly locAt: (offset: number | undefined) => Loc,
  ) {}

  private err(detail: string, loc: Loc, keyPath: string): ConfigError {
    return new ConfigError(detail, { ...loc, keyPath: keyPath || undefined });
  }

  convert(node: unknown, path: string, parentLoc?: Loc): CfgNode {
    if (node === null || node === undefined) {
      // `key:` with nothing after it is null in YAML.
      return { type: "scalar", value: null, loc: parentLoc ?? { file: this.opts.file } };
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc) as YNode | undefined;
      const loc = this.locAt(node.range?.[0]);
      if (!target) throw this.err(`alias *${node.source} has no anchor &${node.source} before it`, loc, path);
      if (this.inProgress.has(target)) throw this.err(`alias *${node.source} is inside the node anchored &${node.source} (a cycle)`, loc, path);
      const prev = this.done.get(target);
      if (prev) return prev;
      throw this.err(`alias *${node.source} refers to an anchor that is not defined before it`, loc, path);
    }
    const y = node as YNode;
    this.inProgress.add(y);
    try {
      const out = this.convertNode(y, path);
      if (y.anchor) out.anchor = y.anchor;
      this.done.set(y, out);
      return out;
    } finally {
      this.inProgress.delete(y);
    }
  }

  private convertNode(node: YNode, path: string): CfgNode {
    const loc = this.locAt(node.range?.[0]);
    const tag = node.tag;
    const env = this.opts.env;
    if (tag && !tag.startsWith(CORE)) return this.convertTagged(node, tag, path);
    if (isScalar(node)) {
      const raw = String(node.value ?? "");
      const s = expandVars(raw, env, loc, path);
      if (tag) return { type: "scalar", value: this.coreScalar(tag, s, loc, path), loc };
      const value = node.type === "PLAIN" ? resolvePlain(s) : s;
      return { type: "scalar", value, loc };
    }
    if (isSeq(node)) {
      return { type: "seq", items: node.items.map((it, i) => this.convert(it, joinKeyPath(path, i), loc)), loc };
    }
    if (isMap(node)) {
      const map = this.convertMap(node.items as Pair[], path, loc);
      return this.typeKeyObject(map, path) ?? map;
    }
    throw this.err("unsupported YAML node", loc, path);
  }

  private coreScalar(tag: string, s: string, loc: Loc, path: string): string | number | boolean | null {
    const kind = tag.slice(CORE.length);
    if (kind === "str") return s;
    const v = resolvePlain(s);
    const ok =
      (kind === "int" && typeof v === "number" && Number.isInteger(v)) ||
      (kind === "float" && typeof v === "number") ||
      (kind === "bool" && typeof v === "boolean") ||
      (kind === "null" && v === null);
    if (!ok) throw this.err(`!!${kind} needs a${kind === "int" ? "n" : ""} ${kind} value, got ${JSON.stringify(s)}`, loc, path);
    return v;
  }

  private convertMap(pairs: Pair[], path: string, loc: Loc): MapNode {
    const entries: MapEntry[] = [];
    const seen = new Map<string, Loc>();
    for (const pair of pairs) {
      const k = pair.key as YNode | null;
      const keyLoc = this.locAt(k?.range?.[0] ?? undefined) ?? loc;
      if (!k || !isScalar(k) || (k.tag && k.tag !== `${CORE}str`)) {
        throw this.err("a mapping key must be a plain name (a string), not a list, mapping or tagged value", keyLoc, path);
      }
      const key = String(k.value);
      const kp = joinKeyPath(path, key);
      const first = seen.get(key);
      if (first) {
        const where = first.line !== undefined ? ` (first given at line ${first.line})` : "";
        throw this.err(`duplicate key \`${key}\`${where}`, keyLoc, kp);
      }
      seen.set(key, keyLoc);
      entries.push({ key, keyLoc, value: this.convert(pair.value, kp, keyLoc) });
    }
    return { type: "map", entries, loc };
  }

  /** `{type: GaussianBinaryRBM, nvis: 192}` is the JSON-friendly spelling of `!obj:GaussianBinaryRBM {nvis: 192}`. */
  private typeKeyObject(map: MapNode, path: string): ObjNode | undefined {
    const t = map.entries.find((e) => e.key === "type");
    if (!t) return undefined;
    if (t.value.type !== "scalar" || typeof t.value.value !== "string") {
      throw this.err("`type:` names a component and must be a string (a class name such as GaussianBinaryRBM)", t.keyLoc, joinKeyPath(path, "type"));
    }
    const args: MapNode = { type: "map", entries: map.entries.filter((e) => e !== t), loc: map.loc };
    return { type: "obj", className: t.value.value, args, loc: t.value.loc };
  }

  private convertTagged(node: YNode, tag: string, path: string): CfgNode {
    const loc = this.locAt(node.range?.[0]);
    const env = this.opts.env;
    const scalarText = (what: string): string => {
      if (!isScalar(node)) throw this.err(`${what} must be followed by a quoted string`, loc, path);
      return expandVars(String(node.value ?? ""), env, loc, path);
    };
    if (tag.startsWith("!obj:")) {
      const className = tag.slice(5);
      const tagLoc = this.tagLoc(node, tag) ?? loc;
      if (!className) throw this.err("`!obj:` needs a class name right after the colon, e.g. !obj:pylearn2.train.Train {...}", tagLoc, path);
      if (isMap(node)) {
        return { type: "obj", className, args: this.convertMap(node.items as Pair[], path, loc), loc: tagLoc };
      }
      if (isScalar(node) && (node.value === "" || node.value === null)) {
        return { type: "obj", className, args: { type: "map", entries: [], loc }, loc: tagLoc };
      }
      throw this.err(`!obj:${className} must be followed by a mapping of keyword arguments, e.g. !obj:${className} { ... }`, tagLoc, path);
    }
    if (tag === "!pkl:") return { type: "pkl", path: scalarText("!pkl:"), loc };
    if (tag.startsWith("!pkl:")) {
      throw this.err(`put a space between \`!pkl:\` and the file name (got \`${tag}\`)`, this.tagLoc(node, tag) ?? loc, path);
    }
    if (tag === "!import") return { type: "import", name: scalarText("!import"), loc };
    if (tag.startsWith("!import:")) return { type: "import", name: tag.slice(8), loc };
    if (tag === "!float") {
      const s = scalarText("!float");
      const v = parsePythonFloat(s);
      if (v === undefined) throw this.err(`!float needs a number, got ${JSON.stringify(s)}`, loc, path);
      return { type: "scalar", value: v, loc };
    }
    const head = tag.includes(":") ? tag.slice(0, tag.indexOf(":") + 1) : tag;
    const s = didYouMean(head, KNOWN_TAGS);
    throw this.err(
      `unknown tag \`${tag}\`: dl understands !obj:NAME, !pkl:, !import and !float.${s ? ` Did you mean \`${s}\`?` : ""}`,
      this.tagLoc(node, tag) ?? loc,
      path,
    );
  }

  /** Where the tag itself was written (the node's range starts after it). */
  private tagLoc(node: YNode, tag: string): Loc | undefined {
    const start = node.range?.[0];
    if (start === undefined) return undefined;
    const at = this.text.lastIndexOf(tag, start);
    return at >= 0 ? this.locAt(at) : undefined;
  }
}
