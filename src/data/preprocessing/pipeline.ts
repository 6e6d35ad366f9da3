import type { DenseDesignMatrix } from "../dataset.js";
import type { Preprocessor } from "./preprocessor.js";

/** Applies its items in order, passing can_fit to each (pylearn2's Pipeline). */
export class Pipeline implements Preprocessor {
  readonly name = "Pipeline";
  constructor(readonly items: Preprocessor[] = []) {}

  apply(ds: DenseDesignMatrix, canFit = false): DenseDesignMatrix {
    let out = ds;
    for (const item of this.items) out = item.apply(out, canFit);
    return out;
  }
}
