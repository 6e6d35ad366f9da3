import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { DenseDesignMatrix } from "./dataset.js";
import { ConfigError, FileFormatError } from "../util/errors.js";

/**
 * scikit-learn's digits (UCI optical digits, test part): 1797 images of 8x8 pixels valued 0..16,
 * labels 0..9, bundled with dl as `data/digits.csv.gz` (see data/DIGITS-LICENSE.md) so examples
 * run offline. pylearn2 has no such class; ours is `dl.datasets.Digits`.
 */
export const DIGITS_COUNT = 1797;
/** The deterministic split: the first 1500 rows train, the remaining 297 test (the file's order mixes writers and digits). */
export const DIGITS_TRAIN_COUNT = 1500;

/** The bundled file: two folders up from this module, in src/ (tests) and dist/ (the CLI) alike. */
export function bundledDigitsPath(): string {
  return fileURLToPath(new URL("../../data/digits.csv.gz", import.meta.url));
}

/** Parses the CSV (gzipped or not): 64 pixel values then the label per line. */
export function readDigitsCsv(path: string): { pixels: Uint8Array; labels: Int32Array; count: number } {
  if (!existsSync(path)) throw new FileFormatError(`${path}: no such file`);
  let buf = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new FileFormatError(`${path}: gzip data is damaged (${(err as Error).message})`);
    }
  }
  const lines = buf.toString("utf8").split("\n").filter((l) => l.trim() !== "");
  const pixels = new Uint8Array(lines.length * 64);
  const labels = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const cells = line.split(",");
    if (cells.length !== 65) throw new FileFormatError(`${path}:${i + 1}: expected 65 comma-separated values (64 pixels + label), found ${cells.length}`);
    for (let j = 0; j < 65; j++) {
      const v = Number(cells[j]);
      if (!Number.isInteger(v) || v < 0 || v > (j < 64 ? 16 : 9)) {
        throw new FileFormatError(`${path}:${i + 1}: value ${j + 1} is '${cells[j].trim()}', expected an integer 0..${j < 64 ? 16 : 9}`);
      }
      if (j < 64) pixels[i * 64 + j] = v;
      else labels[i] = v;
    }
  });
  return { pixels, labels, count: lines.length };
}

export interface DigitsOptions {
  /** `train` (first 1500), `test` (last 297) or `all`. */
  which_set?: "train" | "test" | "all";
  /** Divide pixels by 16 so they lie in [0, 1] (default true); false keeps 0..16. */
  scale?: boolean;
  /** Subtract each pixel's mean over the chosen set. */
  center?: boolean;
  start?: number | null;
  stop?: number | null;
  /** Another copy of the CSV; default the bundled one. */
  path?: string;
}

export function loadDigits(opts: DigitsOptions = {}): DenseDesignMatrix {
  const which = opts.which_set ?? "train";
  if (which !== "train" && which !== "test" && which !== "all") {
    throw new ConfigError(`Digits: which_set must be 'train', 'test' or 'all', got '${String(which)}'`);
  }
  const { pixels, labels, count } = readDigitsCsv(opts.path ?? bundledDigitsPath());
  const [lo, hi] = which === "train" ? [0, Math.min(DIGITS_TRAIN_COUNT, count)] : which === "test" ? [Math.min(DIGITS_TRAIN_COUNT, count), count] : [0, count];
  const setSize = hi - lo;
  const start = opts.start ?? 0;
  const stop = opts.stop ?? setSize;
  if (!Number.isInteger(start) || !Number.isInteger(stop) || start < 0 || stop <= start || stop > setSize) {
    throw new ConfigError(`Digits: need 0 <= start < stop <= ${setSize} (the ${which} set's size), got start=${opts.start} stop=${opts.stop}`);
  }
  const n = stop - start;
  const X = new Float32Array(n * 64);
  const div = opts.scale === false ? 1 : 16;
  for (let i = 0; i < n * 64; i++) X[i] = pixels[(lo + start) * 64 + i] / div;
  if (opts.center) {
    const mean = new Float64Array(64);
    for (let r = 0; r < n; r++) for (let j = 0; j < 64; j++) mean[j] += X[r * 64 + j] / n;
    for (let r = 0; r < n; r++) for (let j = 0; j < 64; j++) X[r * 64 + j] -= mean[j];
  }
  let description = `Digits(${which})`;
  if (start !== 0 || stop !== setSize) description += `[${start}:${stop}]`;
  return new DenseDesignMatrix({
    X,
    numExamples: n,
    dim: 64,
    labels: labels.slice(lo + start, lo + stop),
    numClasses: 10,
    labelNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    view: { rows: 8, cols: 8, channels: 1 },
    description,
  });
}
