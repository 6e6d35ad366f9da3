import { existsSync } from "node:fs";
import { extname, resolve } from "node:path";
import { DenseDesignMatrix, type DatasetView } from "./dataset.js";
import { loadDataset } from "./dataset-file.js";
import { readNpy } from "./npy.js";
import { ConfigError, FileFormatError } from "../util/errors.js";
import { detectFormat } from "../io/model-file.js";

/** Rows as nested lists, a flat list (one value per example), or a file path (`.npy` or a dl dataset file). */
export type MatrixSource = number[][] | number[] | string;

export interface DesignMatrixOptions {
  X: MatrixSource;
  /** Class labels (with y_labels) or real-valued targets (without), as rows, a list, or a `.npy` path. */
  y?: MatrixSource | null;
  /** Number of classes: y holds integer labels 0..y_labels-1 (pylearn2's `y_labels`). */
  y_labels?: number | null;
  /** [rows, cols, channels] of one example seen as an image (channels last). */
  view?: [number, number, number] | null;
  /** Folder that relative paths are resolved against (the YAML file's folder). */
  baseDir?: string;
  description?: string;
}

interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
  /** Image shape implied by an N x r x c (x ch) array. */
  view?: DatasetView;
}

function fromNested(src: number[][] | number[], what: string): Matrix {
  if (src.length === 0) throw new ConfigError(`DenseDesignMatrix: ${what} is empty`);
  if (!Array.isArray(src[0])) {
    const flat = src as number[];
    if (!flat.every((v) => typeof v === "number" && Number.isFinite(v))) throw new ConfigError(`DenseDesignMatrix: ${what} must hold finite numbers`);
    return { data: Float32Array.from(flat), rows: flat.length, cols: 1 };
  }
  const rows = src as number[][];
  const cols = rows[0].length;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== cols) {
      throw new ConfigError(`DenseDesignMatrix: ${what} row ${i} has ${Array.isArray(row) ? row.length : "no"} values, row 0 has ${cols}`);
    }
    row.forEach((v, j) => {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new ConfigError(`DenseDesignMatrix: ${what}[${i}][${j}] is ${JSON.stringify(v)}, expected a number`);
      data[i * cols + j] = v;
    });
  });
  return { data, rows: rows.length, cols };
}

function fromFile(path: string, what: string): Matrix | DenseDesignMatrix {
  if (!existsSync(path)) throw new FileFormatError(`DenseDesignMatrix: ${what} file ${path} does not exist`);
  if (extname(path).toLowerCase() === ".npy") {
    const a = readNpy(path);
    const [n, ...rest] = a.shape.length ? a.shape : [1];
    const cols = rest.reduce((x, y) => x * y, 1);
    let view: DatasetView | undefined;
    if (rest.length === 2) view = { rows: rest[0], cols: rest[1], channels: 1 };
    if (rest.length === 3) view = { rows: rest[0], cols: rest[1], channels: rest[2] };
    if (rest.length > 3) throw new FileFormatError(`${path}: a ${a.shape.length}-dimensional array cannot be a design matrix`);
    return { data: a.data, rows: n, cols, view };
  }
  detectFormat(path); // a clear error for anything that is neither .npy nor a dl file
  return loadDataset(path);
}

/**
 * pylearn2's `DenseDesignMatrix(X, y, view_converter)`: a dataset from literal rows, a `.npy`
 * file (an N x r x c [x ch] array gives the view), or a dl dataset file (taken whole, with its
 * labels, view and fitted parameters, unless y / view are given here).
 */
export function buildDesignMatrix(opts: DesignMatrixOptions): DenseDesignMatrix {
  const path = (p: string) => resolve(opts.baseDir ?? process.cwd(), p);
  const x = typeof opts.X === "string" ? fromFile(path(opts.X), "X") : fromNested(opts.X, "X");
  if (x instanceof DenseDesignMatrix && (opts.y === undefined || opts.y === null) && !opts.view) return x;
  const X: Matrix = x instanceof DenseDesignMatrix ? { data: x.X, rows: x.numExamples, cols: x.dim, view: x.view } : x;
  let labels: Int32Array | undefined;
  let numClasses: number | undefined;
  let targets: Float32Array | undefined;
  let targetDim: number | undefined;
  if (opts.y !== undefined && opts.y !== null) {
    const yy = typeof opts.y === "string" ? fromFile(path(opts.y), "y") : fromNested(opts.y, "y");
    const Y: Matrix = yy instanceof DenseDesignMatrix ? { data: yy.X, rows: yy.numExamples, cols: yy.dim } : yy;
    if (Y.rows !== X.rows) throw new ConfigError(`DenseDesignMatrix: y has ${Y.rows} rows but X has ${X.rows}`);
    if (opts.y_labels) {
      if (Y.cols !== 1) throw new ConfigError(`DenseDesignMatrix: with y_labels, y must be one label per example, got ${Y.cols} columns`);
      labels = new Int32Array(Y.rows);
      for (let i = 0; i < Y.rows; i++) {
        const v = Y.data[i];
        if (!Number.isInteger(v) || v < 0 || v >= opts.y_labels) {
          throw new ConfigError(`DenseDesignMatrix: label ${i} is ${v}, expected an integer 0..${opts.y_labels - 1} (y_labels = ${opts.y_labels})`);
        }
        labels[i] = v;
      }
      numClasses = opts.y_labels;
    } else {
      targets = Y.data;
      targetDim = Y.cols;
    }
  }
  let view = X.view;
  if (opts.view) {
    const [r, c, ch] = opts.view;
    if (r * c * ch !== X.cols) throw new ConfigError(`DenseDesignMatrix: view ${r}x${c}x${ch} = ${r * c * ch} values, but X rows have ${X.cols}`);
    view = { rows: r, cols: c, channels: ch };
  }
  return new DenseDesignMatrix({
    X: X.data,
    numExamples: X.rows,
    dim: X.cols,
    labels,
    numClasses,
    targets,
    targetDim,
    view,
    description: opts.description ?? (typeof opts.X === "string" ? `DenseDesignMatrix(${opts.X})` : "DenseDesignMatrix"),
  });
}
