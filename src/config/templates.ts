import { ConfigError } from "../util/errors.js";
import { didYouMean } from "../util/suggest.js";

/**
 * pylearn2's tutorials keep hyper-parameters out of their YAML as Python %-templates
 * (`stop: %(train_stop)i`) and fill them in from a notebook with `yaml_text % hyper_params`.
 * dl fills them before parsing, from values given as `name=value` on the command line or, failing
 * that, from a comment line in the file itself:
 *
 *     # dl-template: train_stop=50000 nhid=500 save_path=.
 *
 * Only `%(name)c` placeholders are touched (a lone `%`, as in a comment's "1% decrease", is left
 * alone, where Python would reject it). Substitution keeps line numbers: a value may not hold a newline.
 */

const PLACEHOLDER = /%\(([A-Za-z_][A-Za-z0-9_]*)\)([-#0 +]*\d*(?:\.\d+)?)([sdifgeEr])/g;
const DEFAULTS_LINE = /^\s*#\s*dl-template:(.*)$/gm;

/** The parameter names the text uses, in first-use order. */
export function templateNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(PLACEHOLDER)) names.add(m[1]);
  return [...names];
}

/** `name=value` pairs from `# dl-template:` comment lines. */
export function templateDefaults(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(DEFAULTS_LINE)) {
    for (const pair of m[1].trim().split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return out;
}

function lineOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: offset - last };
}

function format(value: string, conv: string, spec: string, where: () => ConfigError): string {
  if (conv === "s" || conv === "r") return value;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw where();
  const precision = /\.(\d+)/.exec(spec)?.[1];
  switch (conv) {
    case "d":
    case "i":
      return String(Math.trunc(n));
    case "f":
      return n.toFixed(precision === undefined ? 6 : Number(precision));
    case "e":
    case "E": {
      const s = n.toExponential(precision === undefined ? 6 : Number(precision));
      return conv === "E" ? s.toUpperCase() : s;
    }
    default:
      return String(n);
  }
}

/**
 * Fills `%(name)c` placeholders from `params` (then the file's `# dl-template:` defaults). Returns
 * the text unchanged when it has none. Unknown parameters in `params` are left for the caller.
 */
export function fillTemplates(text: string, params: Readonly<Record<string, string>>, file: string): string {
  if (!PLACEHOLDER.test(text)) return text;
  PLACEHOLDER.lastIndex = 0;
  const values = { ...templateDefaults(text), ...params };
  const out = text.replace(PLACEHOLDER, (whole: string, name: string, spec: string, conv: string, offset: number) => {
    const pos = lineOf(text, offset);
    const v = values[name];
    if (v === undefined) {
      const hint = didYouMean(name, Object.keys(values));
      throw new ConfigError(
        `the file uses the template parameter \`${whole}\` (pylearn2's tutorials fill these in from Python) and no value was given: ` +
          `add \`${name}=VALUE\` to the command line or a \`# dl-template: ${name}=VALUE\` line to the file.` +
          (hint ? ` Did you mean \`${hint}\`?` : ""),
        { file, ...pos },
      );
    }
    if (v.includes("\n")) throw new ConfigError(`template parameter ${name} may not contain a newline`, { file, ...pos });
    const numeric = conv === "s" || conv === "r" ? "" : conv === "d" || conv === "i" ? "an integer" : "a number";
    return format(v, conv, spec, () => new ConfigError(`\`${whole}\` needs ${numeric}, got ${name}=${JSON.stringify(v)}`, { file, ...pos }));
  });
  return out;
}
