import { basename, dirname, extname, join } from "node:path";
import type { ChannelHistory, MonitorHistory } from "../io/model-file.js";
import { UsageError } from "../util/errors.js";
import { didYouMean } from "../util/suggest.js";
import { formatValue } from "./ticks.js";

/**
 * Choosing monitor channels the way pylearn2's plot_monitor.py did: every channel of every model
 * gets a letter code (A..Z, BA, BB, ... in number-aware sorted order), and a selection is a comma
 * list of codes, code ranges (`C-F`), `<channel name>`, plus what dl adds: bare names and globs
 * (`valid_*`). With several models a channel is `name:model`, as pylearn2 showed it.
 */
export type XAxis = "epochs" | "examples" | "batches" | "seconds" | "hours";
export const X_AXES: readonly XAxis[] = ["epochs", "examples", "batches", "seconds", "hours"];

export interface ChannelRef {
  code: string;
  /** Channel name in the model's monitor. */
  channel: string;
  modelIndex: number;
  modelLabel: string;
  /** `channel` for one model, `channel:modelLabel` for several (pylearn2's naming). */
  key: string;
  history: ChannelHistory;
}

/** theano.printing.char_from_number: base 26 with capital letters as digits (0 -> A, 25 -> Z, 26 -> BA). */
export function charFromNumber(n: number): string {
  if (n === 0) return "A";
  let s = "";
  while (n !== 0) {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26);
  }
  return s;
}

// pylearn2.utils.string_utils.find_number: the first (signed, decimal or exponent) number in a string.
const NUMBER = /[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;

function tokens(s: string): (string | number)[] {
  const out: (string | number)[] = [];
  let rest = s;
  for (;;) {
    const m = NUMBER.exec(rest);
    if (!m) {
      out.push(...rest);
      return out;
    }
    out.push(...rest.slice(0, m.index), Number.parseFloat(m[0]));
    rest = rest.slice(m.index + m[0].length);
  }
}

/**
 * pylearn2's number_aware_alphabetical_cmp: characters compare by code point, numbers by value,
 * a number sorts before a character, and a prefix before the longer string (`h1 < h2 < h10`).
 */
export function numberAwareCompare(a: string, b: string): number {
  const s1 = tokens(a);
  const s2 = tokens(b);
  const l = Math.min(s1.length, s2.length);
  for (let i = 0; i < l; i++) {
    const x = s1[i], y = s2[i];
    if (typeof x === "number" && typeof y === "string") return -1;
    if (typeof x === "string" && typeof y === "number") return 1;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return s1.length - s2.length;
}

/**
 * Short labels that tell model files apart: the file name without extension, with as many parent
 * folders as it takes when two files share a name (runs/a/model.pkl, runs/b/model.pkl -> a/model, b/model).
 */
export function modelLabels(paths: readonly string[]): string[] {
  const parts = paths.map((p) => {
    const segs: string[] = [];
    let d = dirname(p);
    while (d !== "." && d !== "/" && d !== dirname(d)) {
      segs.unshift(basename(d));
      d = dirname(d);
    }
    segs.push(basename(p, extname(p)));
    return segs;
  });
  const depth = parts.map(() => 1);
  const label = (i: number) => join(...parts[i].slice(-depth[i]));
  for (let round = 0; round < 64; round++) {
    const seen = new Map<string, number[]>();
    parts.forEach((_, i) => seen.set(label(i), [...(seen.get(label(i)) ?? []), i]));
    let changed = false;
    for (const idx of seen.values()) {
      if (idx.length < 2) continue;
      for (const i of idx) {
        if (depth[i] < parts[i].length) {
          depth[i]++;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  const labels = parts.map((_, i) => label(i));
  // The same file given twice: number the repeats so their series stay apart.
  return labels.map((l, i) => (labels.indexOf(l) === i ? l : `${l} (${labels.slice(0, i).filter((x) => x === l).length + 1})`));
}

/** Every channel of every model, sorted and coded as plot_monitor.py listed them. */
export function buildCodebook(models: readonly { label: string; monitor?: MonitorHistory }[]): ChannelRef[] {
  const many = models.length > 1;
  const refs: Omit<ChannelRef, "code">[] = [];
  models.forEach((m, modelIndex) => {
    for (const [channel, history] of Object.entries(m.monitor?.channels ?? {})) {
      refs.push({ channel, modelIndex, modelLabel: m.label, key: many ? `${channel}:${m.label}` : channel, history });
    }
  });
  refs.sort((a, b) => numberAwareCompare(a.key, b.key));
  return refs.map((r, i) => ({ ...r, code: charFromNumber(i) }));
}

/** The `--list` text: one `CODE. name` line per channel, as pylearn2 printed its codebook, plus point counts. */
export function formatCodebook(book: readonly ChannelRef[]): string {
  const w = Math.max(...book.map((r) => r.code.length), 1);
  const kw = Math.max(...book.map((r) => r.key.length), 1);
  return book
    .map((r) => {
      const n = r.history.val.length;
      const last = n > 0 ? r.history.val[n - 1] : undefined;
      const tail = n > 0 ? `  ${n} point${n === 1 ? "" : "s"}, last ${formatValue(Number(last ?? NaN))}` : "  no points";
      return `${r.code.padStart(w)}. ${r.key.padEnd(kw)}${tail}`;
    })
    .join("\n");
}

export interface Selection {
  refs: ChannelRef[];
  /** Set when the list held pylearn2's x-axis letters: e (epochs), b (batches), s (seconds), h (hours). */
  x?: XAxis;
}

const X_LETTERS: Record<string, XAxis> = { e: "epochs", b: "batches", s: "seconds", h: "hours" };

/** Glob to RegExp: `*` any run, `?` one character, `[...]` a class; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith("!")) body = "^" + body.slice(1);
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/**
 * Resolves a selection list against the codebook. Each comma-separated item is tried as: an exact
 * channel name or `name:model` key, `<name>`, pylearn2's x-axis letter, a glob, a code range, a code.
 * Unknown items are a UsageError naming the closest channel or code.
 */
export function selectChannels(book: readonly ChannelRef[], list: string): Selection {
  const chosen = new Set<ChannelRef>();
  let x: XAxis | undefined;
  const byCode = new Map(book.map((r) => [r.code, r]));
  for (const raw of list.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const name = item.startsWith("<") && item.endsWith(">") ? item.slice(1, -1) : item;
    const exact = book.filter((r) => r.key === name || r.channel === name);
    if (exact.length > 0) {
      exact.forEach((r) => chosen.add(r));
      continue;
    }
    if (name !== item) throw unknown(book, name);
    if (X_LETTERS[item]) {
      x = X_LETTERS[item];
      continue;
    }
    if (/[*?[]/.test(item)) {
      const re = globToRegExp(item);
      const hits = book.filter((r) => re.test(r.channel) || re.test(r.key));
      if (hits.length === 0) {
        throw new UsageError(`--channels: the pattern \`${item}\` matches no channel. Run with --list to see them`);
      }
      hits.forEach((r) => chosen.add(r));
      continue;
    }
    const range = /^([A-Z]+)-([A-Z]+)$/.exec(item);
    if (range && byCode.has(range[1]) && byCode.has(range[2])) {
      const i = book.indexOf(byCode.get(range[1])!);
      const j = book.indexOf(byCode.get(range[2])!);
      if (j < i) throw new UsageError(`--channels: the range ${item} runs backwards; write ${range[2]}-${range[1]}`);
      book.slice(i, j + 1).forEach((r) => chosen.add(r));
      continue;
    }
    const byC = byCode.get(item);
    if (byC) {
      chosen.add(byC);
      continue;
    }
    throw unknown(book, item);
  }
  // Keep the codebook's order, whatever order the list used.
  return { refs: book.filter((r) => chosen.has(r)), x };
}

function unknown(book: readonly ChannelRef[], item: string): UsageError {
  const candidates = [...new Set(book.flatMap((r) => [r.channel, r.key]))];
  const near = didYouMean(item, candidates);
  return new UsageError(
    `--channels: no channel or code \`${item}\`.${near ? ` Did you mean \`${near}\`?` : ""} Run with --list to see the channels and their codes`,
  );
}

// What a researcher looks at first: the training objective and error measures of every split.
const OBJECTIVE_LIKE = /(^|_)(objective|cost|loss|nll|misclass|misclassification|mse|err|error|reconstruction_error)$/i;

/** The channels plotted when none are asked for: objective-like ones, else all (up to 6). */
export function defaultSelection(book: readonly ChannelRef[]): { refs: ChannelRef[]; note?: string } {
  const hits = book.filter((r) => OBJECTIVE_LIKE.test(r.channel));
  if (hits.length > 0) return { refs: hits };
  if (book.length <= 6) return { refs: [...book] };
  return {
    refs: book.slice(0, 6),
    note: `no objective-like channel; plotting the first 6 of ${book.length} (choose with --channels, see --list)`,
  };
}

/** The x values of a channel for an x axis. */
export function xValues(h: ChannelHistory, x: XAxis): number[] {
  switch (x) {
    case "epochs":
      return h.epoch;
    case "examples":
      return h.example;
    case "batches":
      return h.batch;
    case "seconds":
      return h.time;
    case "hours":
      return h.time.map((t) => t / 3600);
  }
}
