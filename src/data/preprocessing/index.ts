import type { DenseDesignMatrix, FittedParams, PreprocessingRecord } from "../dataset.js";
import { FileFormatError } from "../../util/errors.js";
import { suggestionSuffix } from "../../util/suggest.js";
import { GlobalContrastNormalization } from "./gcn.js";
import { ExtractGridPatches, ExtractPatches, type ExtractGridPatchesOptions, type ExtractPatchesOptions } from "./patches.js";
import { PCA } from "./pca.js";
import { Pipeline } from "./pipeline.js";
import type { Preprocessor } from "./preprocessor.js";
import { Binarize, ZeroOneScaler } from "./scaling.js";
import { SlidingWindow, type SlidingWindowOptions } from "./sliding-window.js";
import { Standardize } from "./standardize.js";
import { ZCA } from "./zca.js";

export type { Preprocessor } from "./preprocessor.js";
export { GlobalContrastNormalization, globalContrastNormalize, type GcnOptions } from "./gcn.js";
export { ExtractGridPatches, ExtractPatches, DEFAULT_PATCH_SEED } from "./patches.js";
export { PCA } from "./pca.js";
export { Pipeline } from "./pipeline.js";
export { Binarize, ZeroOneScaler } from "./scaling.js";
export { SlidingWindow } from "./sliding-window.js";
export { Standardize } from "./standardize.js";
export { ZCA, fitZca, type ZcaFit, type ZcaOptions } from "./zca.js";

type Restore = (settings: Record<string, unknown>, fitted: FittedParams) => Preprocessor;

/** How each recorded step is rebuilt (fitted steps take their stored parameters). */
const RESTORE: Record<string, Restore> = {
  ExtractPatches: (s) => new ExtractPatches(s as unknown as ExtractPatchesOptions),
  ExtractGridPatches: (s) => new ExtractGridPatches(s as unknown as ExtractGridPatchesOptions),
  SlidingWindow: (s) => new SlidingWindow(s as unknown as SlidingWindowOptions),
  GlobalContrastNormalization: (s) => GlobalContrastNormalization.fromSettings(s),
  ZCA: (s, f) => ZCA.fromSettings(s, f),
  PCA: (s, f) => PCA.fromSettings(s, f),
  Standardize: (s, f) => Standardize.fromSettings(s, f),
  Binarize: (s) => new Binarize(s as { threshold?: number }),
  ZeroOneScaler: (s, f) => ZeroOneScaler.fromSettings(s, f),
};

/**
 * The fitted pipeline that made a dataset, rebuilt from its records and stored parameters, to
 * apply to new data (e.g. the test set) with `apply(test, false)`. Steps before `from` are skipped
 * (use it to leave out patch extraction when the new data are already patches).
 */
export function restorePipeline(
  ds: Pick<DenseDesignMatrix, "preprocessing" | "fitted">,
  opts: { from?: number } = {},
): Pipeline {
  const items = ds.preprocessing.slice(opts.from ?? 0).map((rec: PreprocessingRecord) => {
    const make = RESTORE[rec.name];
    if (!make) {
      throw new FileFormatError(
        `cannot rebuild preprocessing step \`${rec.name}\`.${suggestionSuffix(rec.name, Object.keys(RESTORE))} Known: ${Object.keys(RESTORE).join(", ")}`,
      );
    }
    return make(rec.settings, ds.fitted);
  });
  return new Pipeline(items);
}
