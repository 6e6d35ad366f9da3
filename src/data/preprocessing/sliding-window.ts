import type { DenseDesignMatrix } from "../dataset.js";
import { ConfigError, ShapeError } from "../../util/errors.js";
import { derive, type Preprocessor } from "./preprocessor.js";

export interface SlidingWindowOptions {
  /** Number of consecutive steps in one window. */
  window_size: number;
  /** Steps between window starts. Default 1. */
  stride?: number;
  /** Make the step right after each window the example's target (and drop windows that have none). Default false. */
  predict_next?: boolean;
}

/**
 * Windows over a 1-D sequence. The dataset's rows are the sequence's steps in order (a step may
 * have several features); each output example is `window_size` consecutive steps, flattened.
 * Size 3, stride 1 over A B C D E gives ABC, BCD, CDE; with predict_next the examples are
 * ABC -> D and BCD -> E (real-valued targets), the form a next-value regressor trains on.
 */
export class SlidingWindow implements Preprocessor {
  readonly name = "SlidingWindow";
  constructor(readonly options: SlidingWindowOptions) {
    const { window_size: w, stride = 1 } = options;
    if (!Number.isInteger(w) || w < 1) throw new ConfigError(`SlidingWindow: window_size must be a positive integer, got ${w}`);
    if (!Number.isInteger(stride) || stride < 1) throw new ConfigError(`SlidingWindow: stride must be a positive integer, got ${stride}`);
  }

  apply(ds: DenseDesignMatrix): DenseDesignMatrix {
    const w = this.options.window_size;
    const stride = this.options.stride ?? 1;
    const next = this.options.predict_next ?? false;
    const steps = ds.numExamples;
    const f = ds.dim;
    // Last valid start: the window (and its target, with predict_next) must lie inside the sequence.
    const lastStart = steps - w - (next ? 1 : 0);
    if (lastStart < 0) {
      throw new ShapeError(
        `SlidingWindow: a sequence of ${steps} steps is too short for windows of ${w}${next ? " plus a next value" : ""}`,
      );
    }
    const n = Math.floor(lastStart / stride) + 1;
    const X = new Float32Array(n * w * f);
    const targets = next ? new Float32Array(n * f) : undefined;
    for (let i = 0; i < n; i++) {
      const s = i * stride;
      X.set(ds.X.subarray(s * f, (s + w) * f), i * w * f);
      if (targets) targets.set(ds.X.subarray((s + w) * f, (s + w + 1) * f), i * f);
    }
    return derive(
      ds,
      {
        X,
        numExamples: n,
        dim: w * f,
        // A window of a 1-feature sequence is drawn as a 1 x w strip.
        view: { rows: 1, cols: w, channels: f },
        labels: undefined,
        numClasses: undefined,
        labelNames: undefined,
        targets,
        targetDim: targets ? f : undefined,
      },
      { name: this.name, settings: { window_size: w, stride, predict_next: next } },
    );
  }
}
