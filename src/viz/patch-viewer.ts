import type { PixelImage } from "../io/png.js";

/**
 * How patch values become grey levels (pylearn2's `show_weights.py --rescale`):
 * - `individual`: each patch is divided by its own largest |value|, so every filter uses the full
 *   range and its largest weight is pure black or white;
 * - `global`: every patch is divided by the largest |value| over all patches, so filters keep
 *   their relative strength;
 * - `none`: values are drawn as they are, clipped to [-1, 1].
 * In every mode 0 is mid grey: a value v in [-1, 1] is the level floor((v * 0.5 + 0.5) * 255).
 */
export type Rescale = "individual" | "global" | "none";
export const RESCALE_MODES: readonly Rescale[] = ["individual", "global", "none"];

/** A batch of image patches, `count x rows x cols x channels`, channels last. */
export interface PatchSet {
  count: number;
  rows: number;
  cols: number;
  channels: 1 | 3;
  data: Float32Array | Float64Array;
}

export interface TileOptions {
  rescale?: Rescale;
  /** A 1-pixel black frame around each patch (pylearn2's `--border`). */
  border?: boolean;
  /** Pixels between patches and around the edge (pylearn2: 5). */
  pad?: number;
  /** Grid shape; by default `gridFor(count)`. */
  grid?: { rows: number; cols: number };
  /** Integer nearest-neighbour magnification of the whole picture. */
  scale?: number;
}

export interface TiledImage extends PixelImage {
  grid: { rows: number; cols: number };
  /** Values outside [-1, 1] that `none` clipped. */
  clipped: number;
}

/** PatchViewer's background value 0 drawn as 0 * 0.5 + 0.5, truncated to 8 bits as pylearn2 does. */
export const BACKGROUND_LEVEL = 127;

/** pylearn2's grid for n filters: ceil(sqrt(n)) patches wide, as many rows as needed (400 -> 20 x 20). */
export function gridFor(n: number): { rows: number; cols: number } {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  return { rows: Math.max(1, Math.ceil(n / cols)), cols };
}

/** The grey level of a value already scaled to [-1, 1] (pylearn2: uint8(255 * (v * 0.5 + 0.5))). */
export function level(v: number): number {
  const l = Math.floor((v * 0.5 + 0.5) * 255);
  return l < 0 ? 0 : l > 255 ? 255 : l;
}

/**
 * Tiles patches into one picture with PatchViewer's layout: `pad` pixels of grey between patches
 * and around the border, patches left to right then top to bottom. Greyscale patches give a
 * greyscale image (1 channel), colour patches an RGB image.
 */
export function tilePatches(p: PatchSet, opts: TileOptions = {}): TiledImage {
  const pad = opts.pad ?? 5;
  const rescale = opts.rescale ?? "individual";
  const grid = opts.grid ?? gridFor(p.count);
  if (grid.rows * grid.cols < p.count) {
    throw new Error(`tilePatches: a ${grid.rows}x${grid.cols} grid cannot hold ${p.count} patches`);
  }
  const { rows, cols, channels: ch } = p;
  const size = rows * cols * ch;
  if (p.data.length !== p.count * size) {
    throw new Error(`tilePatches: ${p.data.length} values for ${p.count} patches of ${rows}x${cols}x${ch}`);
  }
  const width = pad * (grid.cols + 1) + grid.cols * cols;
  const height = pad * (grid.rows + 1) + grid.rows * rows;
  const img = new Uint8Array(width * height * ch).fill(BACKGROUND_LEVEL);

  let globalScale = 1;
  if (rescale === "global") globalScale = maxAbs(p.data, 0, p.data.length) || 1;

  let clipped = 0;
  for (let n = 0; n < p.count; n++) {
    const base = n * size;
    let s = globalScale;
    if (rescale === "individual") s = maxAbs(p.data, base, base + size) || 1; // an all-zero patch stays grey
    const r0 = pad + Math.floor(n / grid.cols) * (rows + pad);
    const c0 = pad + (n % grid.cols) * (cols + pad);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        for (let k = 0; k < ch; k++) {
          let v = p.data[base + (r * cols + c) * ch + k] / s;
          if (rescale === "none" && (v > 1 || v < -1)) {
            clipped++;
            v = v > 1 ? 1 : -1;
          }
          img[((r0 + r) * width + c0 + c) * ch + k] = level(v);
        }
      }
    }
    if (opts.border) drawFrame(img, width, ch, r0 - 1, c0 - 1, rows + 2, cols + 2);
  }
  const scale = opts.scale ?? 1;
  const out = scale === 1 ? img : upscale(img, width, height, ch, scale);
  return { width: width * scale, height: height * scale, channels: ch, data: out, grid, clipped };
}

function maxAbs(a: ArrayLike<number>, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) {
    const v = Math.abs(a[i]);
    if (v > m) m = v;
  }
  return m;
}

/** pylearn2's border is an activation shell of value 0 drawn in black just outside the patch. */
function drawFrame(img: Uint8Array, width: number, ch: number, r0: number, c0: number, h: number, w: number): void {
  const set = (r: number, c: number) => img.fill(0, (r * width + c) * ch, (r * width + c) * ch + ch);
  for (let c = c0; c < c0 + w; c++) {
    set(r0, c);
    set(r0 + h - 1, c);
  }
  for (let r = r0; r < r0 + h; r++) {
    set(r, c0);
    set(r, c0 + w - 1);
  }
}

function upscale(img: Uint8Array, w: number, h: number, ch: number, k: number): Uint8Array {
  const W = w * k;
  const out = new Uint8Array(W * h * k * ch);
  for (let y = 0; y < h * k; y++) {
    const sy = Math.floor(y / k);
    for (let x = 0; x < W; x++) {
      const src = (sy * w + Math.floor(x / k)) * ch;
      const dst = (y * W + x) * ch;
      for (let c = 0; c < ch; c++) out[dst + c] = img[src + c];
    }
  }
  return out;
}
