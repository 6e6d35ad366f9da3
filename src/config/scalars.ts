import { ConfigError } from "../util/errors.js";
import { didYouMean } from "../util/suggest.js";
import type { Loc } from "./nodes.js";

/**
 * The scalar side of pylearn2's YAML dialect: how an unquoted scalar becomes a value (PyYAML's
 * YAML 1.1 resolvers plus pylearn2's scientific-notation float resolver, plus `None`), and `${VAR}`
 * expansion (pylearn2's `string_utils.preprocess`).
 */

const NULLS = new Set(["", "~", "null", "Null", "NULL", "None"]);
// PyYAML (YAML 1.1) bools; `True`/`False` are what pylearn2's files write.
const TRUES = new Set(["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"]);
const FALSES = new Set(["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"]);

const DEC_INT = /^[-+]?(0|[1-9][0-9_]*)$/;
const OCT_INT = /^[-+]?0[0-7_]+$/; // YAML 1.1: a leading zero means octal, as in PyYAML
const HEX_INT = /^[-+]?0x[0-9a-fA-F_]+$/;
const BIN_INT = /^[-+]?0b[01_]+$/;
const OCT_INT_12 = /^[-+]?0o[0-7_]+$/;
// YAML 1.1 floats need a dot: `.4`, `-2.`, `1.5e-3`; pylearn2 adds `1e-3` (SCIENTIFIC_NOTATION_REGEXP).
const DOT_FLOAT = /^[-+]?([0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)([eE][-+]?[0-9]+)?$/;
const SCI_FLOAT = /^[-+]?(\d+\.?\d*|\d*\.?\d+)[eE][-+]?\d+$/;
const INF = /^([-+]?)\.(inf|Inf|INF)$/;
const NAN = /^\.(nan|NaN|NAN)$/;

function signed(s: string, radix: number, prefixLen: number): number {
  const neg = s.startsWith("-");
  const body = s.replace(/^[-+]/, "").slice(prefixLen).replace(/_/g, "");
  const v = parseInt(body, radix);
  return neg ? -v : v;
}

/** The value of an unquoted (plain) scalar. */
export function resolvePlain(s: string): string | number | boolean | null {
  if (NULLS.has(s)) return null;
  if (TRUES.has(s)) return true;
  if (FALSES.has(s)) return false;
  if (DEC_INT.test(s)) return Number(s.replace(/_/g, ""));
  if (HEX_INT.test(s)) return signed(s, 16, 2);
  if (BIN_INT.test(s)) return signed(s, 2, 2);
  if (OCT_INT_12.test(s)) return signed(s, 8, 2);
  if (OCT_INT.test(s)) return signed(s, 8, 1);
  if (DOT_FLOAT.test(s) || SCI_FLOAT.test(s)) return Number(s.replace(/_/g, ""));
  const inf = INF.exec(s);
  if (inf) return inf[1] === "-" ? -Infinity : Infinity;
  if (NAN.test(s)) return NaN;
  return s;
}

/** Python's float(): what `!float 'x'` accepts. Undefined when it is not a number. */
export function parsePythonFloat(s: string): number | undefined {
  const t = s.trim();
  if (/^[-+]?(inf|infinity)$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[-+]?nan$/i.test(t)) return NaN;
  if (/^[-+]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][-+]?\d+)?$/.test(t)) return Number(t.replace(/_/g, ""));
  return undefined;
}

/** Variables `dl train` sets (pylearn2's train.py did the same), for the unset-variable message. */
const TRAIN_VARS = new Set([
  "PYLEARN2_TRAIN_FILE_FULL_STEM",
  "PYLEARN2_TRAIN_DIR",
  "PYLEARN2_TRAIN_BASE_NAME",
  "PYLEARN2_TRAIN_FILE_STEM",
]);

/**
 * Replaces each `${NAME}` in `s` from `env`. An unset name, an empty name or a `${` without `}` is a
 * ConfigError at `loc` naming the variable and how to set it.
 */
export function expandVars(s: string, env: Readonly<Record<string, string | undefined>>, loc: Loc, keyPath?: string): string {
  if (!s.includes("${")) return s;
  const parts = s.split("${");
  let out = parts[0];
  for (const part of parts.slice(1)) {
    const close = part.indexOf("}");
    if (close < 0) {
      throw new ConfigError(`\`\${\` without a closing \`}\` in "${s}"`, { ...loc, keyPath });
    }
    const name = part.slice(0, close);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ConfigError(`\`\${${name}}\` is not a variable name (letters, digits and _) in "${s}"`, { ...loc, keyPath });
    }
    const v = env[name];
    if (v === undefined) throw new ConfigError(unsetMessage(name, env), { ...loc, keyPath });
    out += v + part.slice(close + 1);
  }
  return out;
}

function unsetMessage(name: string, env: Readonly<Record<string, string | undefined>>): string {
  let how: string;
  if (TRAIN_VARS.has(name)) {
    how = `\`dl train\` sets it when it runs a YAML file; elsewhere set it in the environment (export ${name}=...)`;
  } else {
    how = `set it in the environment (export ${name}=...) before running dl`;
  }
  const set = Object.keys(env).filter((k) => env[k] !== undefined);
  const s = didYouMean(name, set);
  const hint = s ? ` Did you mean \`\${${s}}\`?` : "";
  return `environment variable \`\${${name}}\` is not set: ${how}.${hint}`;
}
