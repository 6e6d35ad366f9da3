/**
 * The parsed form of an experiment file: YAML with pylearn2's tags resolved into typed nodes, every
 * node carrying its line:col. Overrides edit this tree; validation turns it into component values.
 * A node reached through an alias (`*d`) is the same object as its anchor (`&d`), so sharing survives.
 */

export interface Loc {
  /** File name as shown in messages (absolute path, or e.g. `override 'a.b=1'`). */
  file: string;
  /** 1-based; absent for values given on the command line. */
  line?: number;
  col?: number;
}

interface Base {
  loc: Loc;
  /** The YAML anchor name, if the node had one (`&train`). */
  anchor?: string;
}

export interface MapEntry {
  key: string;
  keyLoc: Loc;
  value: CfgNode;
}

/** `!obj:NAME {kwargs}` or `{type: NAME, kwargs...}`. */
export interface ObjNode extends Base {
  type: "obj";
  className: string;
  args: MapNode;
}

export interface MapNode extends Base {
  type: "map";
  entries: MapEntry[];
}

export interface SeqNode extends Base {
  type: "seq";
  items: CfgNode[];
}

export interface ScalarNode extends Base {
  type: "scalar";
  value: string | number | boolean | null;
  /** For a value given as an override, its text: lets validation fall back to the string when a field wants one. */
  overrideText?: string;
}

/** `!pkl: "path"` (path after ${VAR} expansion, not yet resolved against a folder). */
export interface PklNode extends Base {
  type: "pkl";
  path: string;
}

/** `!import NAME`. */
export interface ImportNode extends Base {
  type: "import";
  name: string;
}

export type CfgNode = ObjNode | MapNode | SeqNode | ScalarNode | PklNode | ImportNode;

export function getEntry(map: MapNode, key: string): MapEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/** `a.b[0].c`: how key paths read in messages. */
export function joinKeyPath(prefix: string, seg: string | number): string {
  if (typeof seg === "number") return `${prefix}[${seg}]`;
  return prefix ? `${prefix}.${seg}` : seg;
}
