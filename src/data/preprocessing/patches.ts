import type { DenseDesignMatrix } from "../dataset.js";
import { ConfigError, ShapeError } from "../../util/errors.js";
import { Rng } from "../../util/rng.js";
import { derive, requireView, type Preprocessor } from "./preprocessor.js";

/** pylearn2's ExtractPatches seeds its generator with [1, 2, 3] when given none. */
export const DEFAULT_PATCH_SEED: readonly number[] = [1, 2, 3];

export interface ExtractPatchesOptions {
  /** [rows, cols] of each patch. */
  patch_shape: [number, number];
  num_patches: number;
  /** Seed (number or list of numbers); default [1, 2, 3] as pylearn2. */
  rng?: number | readonly number[];
}

function checkShape(step: string, patch: [number, number], view: { rows: number; cols: number }): void {
  if (!Array.isArray(patch) || patch.length !== 2 || !patch.every((v) => Number.isInteger(v) && v > 0)) {
    throw new ConfigError(`${step}: patch_shape must be two positive integers [rows, cols], got ${JSON.stringify(patch)}`);
  }
  if (patch[0] > view.rows || patch[1] > view.cols) {
    throw new ShapeError(`${step}: patch ${patch[0]}x${patch[1]} does not fit in ${view.rows}x${view.cols} images`);
  }
}

/**
 * Random patches, as pylearn2's ExtractPatches: for each of num_patches, draw an image index, then a
 * row and a column offset (each uniform over the valid positions, in that order), and copy the
 * patch with all channels. The generator restarts from its seed on every apply, so the same
 * settings always give the same patches. Labels are dropped (a patch has no class).
 */
export class ExtractPatches implements Preprocessor {
  readonly name = "ExtractPatches";
  constructor(readonly options: ExtractPatchesOptions) {
    if (!Number.isInteger(options.num_patches) || options.num_patches < 1) {
      throw new ConfigError(`ExtractPatches: num_patches must be a positive integer, got ${options.num_patches}`);
    }
  }

  apply(ds: DenseDesignMatrix): DenseDesignMatrix {
    const view = requireView(ds, this.name);
    const [pr, pc] = this.options.patch_shape;
    checkShape(this.name, this.options.patch_shape, view);
    if (ds.numExamples < 1) throw new ShapeError("ExtractPatches: the dataset is empty");
    const seed = this.options.rng ?? DEFAULT_PATCH_SEED;
    const rng = Rng.fromSeed(seed);
    const ch = view.channels;
    const rowLen = view.cols * ch; // values in one image row
    const patchRowLen = pc * ch;
    const pdim = pr * patchRowLen;
    const n = this.options.num_patches;
    const out = new Float32Array(n * pdim);
    for (let i = 0; i < n; i++) {
      const img = rng.randint(ds.numExamples);
      const r0 = rng.randint(view.rows - pr + 1);
      const c0 = rng.randint(view.cols - pc + 1);
      const src = img * ds.dim + r0 * rowLen + c0 * ch;
      const dst = i * pdim;
      // Channels are last, so each patch row is one contiguous run.
      for (let r = 0; r < pr; r++) out.set(ds.X.subarray(src + r * rowLen, src + r * rowLen + patchRowLen), dst + r * patchRowLen);
    }
    return derive(
      ds,
      { X: out, numExamples: n, dim: pdim, view: { rows: pr, cols: pc, channels: ch }, labels: undefined, numClasses: undefined, targets: undefined, targetDim: undefined, labelNames: undefined },
      { name: this.name, settings: { patch_shape: [pr, pc], num_patches: n, rng: seed } },
    );
  }
}

export interface ExtractGridPatchesOptions {
  patch_shape: [number, number];
  /** Step between patch origins; smaller than patch_shape gives overlapping patches. */
  patch_stride: [number, number];
}

/**
 * Patches on a regular grid, as pylearn2's ExtractGridPatches: origins at multiples of the stride
 * that leave the whole patch inside the image (floor((size - patch) / stride) + 1 per axis),
 * ordered image by image, then row, then column. Each patch keeps its image's label.
 */
export class ExtractGridPatches implements Preprocessor {
  readonly name = "ExtractGridPatches";
  constructor(readonly options: ExtractGridPatchesOptions) {
    const s = options.patch_stride;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => Number.isInteger(v) && v > 0)) {
      throw new ConfigError(`ExtractGridPatches: patch_stride must be two positive integers, got ${JSON.stringify(s)}`);
    }
  }

  apply(ds: DenseDesignMatrix): DenseDesignMatrix {
    const view = requireView(ds, this.name);
    const [pr, pc] = this.options.patch_shape;
    const [sr, sc] = this.options.patch_stride;
    checkShape(this.name, this.options.patch_shape, view);
    const nr = Math.floor((view.rows - pr) / sr) + 1;
    const nc = Math.floor((view.cols - pc) / sc) + 1;
    const per = nr * nc;
    const ch = view.channels;
    const rowLen = view.cols * ch;
    const patchRowLen = pc * ch;
    const pdim = pr * patchRowLen;
    const n = ds.numExamples * per;
    const out = new Float32Array(n * pdim);
    let i = 0;
    for (let img = 0; img < ds.numExamples; img++) {
      for (let gr = 0; gr < nr; gr++) {
        for (let gc = 0; gc < nc; gc++, i++) {
          const src = img * ds.dim + gr * sr * rowLen + gc * sc * ch;
          for (let r = 0; r < pr; r++) out.set(ds.X.subarray(src + r * rowLen, src + r * rowLen + patchRowLen), i * pdim + r * patchRowLen);
        }
      }
    }
    const repeat = <T extends Int32Array | Float32Array>(a: T | undefined, width: number, make: (len: number) => T): T | undefined => {
      if (!a) return undefined;
      const r = make(n * width);
      for (let img = 0; img < ds.numExamples; img++)
        for (let p = 0; p < per; p++) r.set(a.subarray(img * width, img * width + width), (img * per + p) * width);
      return r;
    };
    return derive(
      ds,
      {
        X: out,
        numExamples: n,
        dim: pdim,
        view: { rows: pr, cols: pc, channels: ch },
        labels: repeat(ds.labels, 1, (l) => new Int32Array(l)),
        targets: repeat(ds.targets, ds.targetDim ?? 1, (l) => new Float32Array(l)),
      },
      { name: this.name, settings: { patch_shape: [pr, pc], patch_stride: [sr, sc] } },
    );
  }
}
