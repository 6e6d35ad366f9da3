import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { readSafetensorsHeader } from "../io/safetensors.js";
import { DlError, FileFormatError } from "../util/errors.js";

/**
 * `show-weights --unwhiten`: a model trained on ZCA-whitened data has filters in whitened
 * coordinates, which look like edge detectors of the whitening rather than of the images. The
 * dataset file keeps the fitted ZCA (`fitted.zca_inv_P`, D x D, and `fitted.zca_mean`), and the
 * preprocessor's inverse maps a whitened row x to x @ inv_P + mean. A filter is a direction, not
 * a point, so the mean cancels and the filter drawn in pixel space is f @ inv_P.
 */
export interface ZcaInverse {
  dim: number;
  /** D x D, row-major. */
  invP: Float32Array;
  datasetPath: string;
}

/** Where the model's training dataset is: as recorded (relative to the current folder), else beside the model. */
export function resolveDatasetPath(modelPath: string, metadata: Record<string, string>): string {
  const recorded = metadata.dataset_path;
  if (!recorded) {
    throw new DlError(
      `--unwhiten needs the training dataset's ZCA, but ${modelPath} does not record its dataset (metadata key dataset_path)`,
      2,
    );
  }
  if (isAbsolute(recorded) || existsSync(recorded)) {
    if (!existsSync(recorded)) throw new FileFormatError(`${recorded} (the dataset ${modelPath} was trained on): no such file`);
    return recorded;
  }
  const beside = resolve(dirname(modelPath), recorded);
  if (existsSync(beside)) return beside;
  throw new FileFormatError(
    `${recorded} (the dataset ${modelPath} was trained on): no such file, looked in the current folder and in ${dirname(modelPath) || "."}`,
  );
}

/** Reads `fitted.zca_inv_P` from a dl dataset file, without loading the (large) design matrix. */
export function readZcaInverse(datasetPath: string): ZcaInverse {
  const { header, dataStart } = readSafetensorsHeader(datasetPath);
  const meta = (header.__metadata__ ?? {}) as Record<string, string>;
  if (meta.format !== "dl-dataset/1") {
    throw new FileFormatError(`${datasetPath} is not a dl dataset file (format ${meta.format ?? "missing"})`);
  }
  const entry = header["fitted.zca_inv_P"] as { dtype: string; shape: number[]; data_offsets: [number, number] } | undefined;
  if (!entry) {
    const fitted = Object.keys(header).filter((k) => k.startsWith("fitted."));
    throw new DlError(
      `--unwhiten: ${datasetPath} was not ZCA-whitened (no fitted.zca_inv_P; ` +
        `its fitted preprocessing: ${fitted.length ? fitted.join(", ") : "none"}), so its filters are already in pixel space`,
      2,
    );
  }
  const [d0, d1] = entry.shape;
  if (entry.shape.length !== 2 || d0 !== d1 || entry.dtype !== "F32") {
    throw new FileFormatError(`${datasetPath}: fitted.zca_inv_P should be a square F32 matrix, found ${entry.dtype} [${entry.shape}]`);
  }
  const [begin, end] = entry.data_offsets;
  const bytes = new Uint8Array(end - begin);
  const fd = openSync(datasetPath, "r");
  try {
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, dataStart + begin + got);
      if (n === 0) throw new FileFormatError(`${datasetPath}: fitted.zca_inv_P is truncated`);
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return { dim: d0, invP: new Float32Array(bytes.buffer), datasetPath };
}

/** The map f -> f @ inv_P (f a row vector of length D), in float64. */
export function unwhitenTransform(z: ZcaInverse, layerName: string): (f: Float64Array) => Float64Array {
  const D = z.dim;
  return (f) => {
    if (f.length !== D) {
      throw new DlError(
        `--unwhiten: layer ${layerName} has filters of ${f.length} values but the ZCA of ${z.datasetPath} is ${D} x ${D}; ` +
          "only first-layer filters live in the whitened input space",
        2,
      );
    }
    const out = new Float64Array(D);
    for (let i = 0; i < D; i++) {
      const fi = f[i];
      if (fi === 0) continue;
      const row = i * D;
      for (let j = 0; j < D; j++) out[j] += fi * z.invP[row + j];
    }
    return out;
  };
}
