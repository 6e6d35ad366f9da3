import { Tensor } from "../engine/index.js";
import { ConfigError } from "../util/errors.js";

/**
 * pylearn2's spatial pooling (models/mlp.py max_pool / mean_pool) on NCHW batches. Its output
 * covers every input pixel: pools start at 0, s, 2s, ... up to the last start that still
 * reaches new pixels, and pools that hang over the bottom or right edge see only the pixels
 * inside (the outside is -inf for max, and left out of the count for mean). So an image of 7
 * rows pooled 4 by stride 2 gives 3 rows (starts 0, 2, 4), where floor-style pooling gives 2.
 */

/** Index of the last pool along one axis (pylearn2's `last_pool`). */
function lastPool(image: number, pool: number, stride: number): number {
  let r = Math.ceil((image - pool) / stride);
  // A stride larger than the pool could place the last pool entirely outside the image.
  if (stride * r >= image) r -= 1;
  return r;
}

export interface PoolGeometry {
  /** Output rows and cols. */
  oh: number;
  ow: number;
  /** Rows and cols the padded input needs so that every pool fits. */
  requiredH: number;
  requiredW: number;
}

export function poolGeometry(H: number, W: number, pool: readonly [number, number], stride: readonly [number, number], layerName = "pooling"): PoolGeometry {
  const [pr, pc] = pool;
  const [sr, sc] = stride;
  if (pr > H || pc > W) {
    throw new ConfigError(`layer ${layerName}: pool_shape [${pr}, ${pc}] is larger than its ${H}x${W} input (the detector layer)`);
  }
  const lr = lastPool(H, pr, sr);
  const lc = lastPool(W, pc, sc);
  return { oh: lr + 1, ow: lc + 1, requiredH: lr * sr + pr, requiredW: lc * sc + pc };
}

/**
 * 0 where the padded (requiredH x requiredW) grid lies inside the image, -Infinity outside, shape
 * (1,1,rh,rw). Added to the zero-padded batch it gives the outside -inf (a plain broadcast add, far
 * cheaper than a broadcast `where`); the add passes gradients through unchanged, and no pool picks
 * an outside pixel, since every pool holds at least one inside pixel.
 */
function outsideMask(H: number, W: number, g: PoolGeometry, like: Tensor): Tensor {
  const m = new Float32Array(g.requiredH * g.requiredW).fill(-Infinity);
  for (let i = 0; i < Math.min(H, g.requiredH); i++) for (let j = 0; j < Math.min(W, g.requiredW); j++) m[i * g.requiredW + j] = 0;
  return Tensor.from(m, [1, 1, g.requiredH, g.requiredW], like.backend);
}

/** Crops or pads (bottom/right) an NCHW batch to the grid the pools need. */
function fitTo(x: Tensor, g: PoolGeometry): Tensor {
  const [, , H, W] = x.shape;
  let t = x;
  if (g.requiredH < H || g.requiredW < W) t = t.slice([0, 0, 0, 0], [undefined, undefined, Math.min(H, g.requiredH), Math.min(W, g.requiredW)]);
  const padH = Math.max(0, g.requiredH - H);
  const padW = Math.max(0, g.requiredW - W);
  if (padH > 0 || padW > 0) t = t.pad([0, 0, 0, 0], [0, 0, padH, padW]);
  return t;
}

export function maxPool(x: Tensor, pool: readonly [number, number], stride: readonly [number, number], layerName?: string): Tensor {
  const [, , H, W] = x.shape;
  const g = poolGeometry(H, W, pool, stride, layerName);
  let t = fitTo(x, g);
  if (g.requiredH > H || g.requiredW > W) t = t.add(outsideMask(H, W, g, x));
  return t.maxPool2d([pool[0], pool[1]], [stride[0], stride[1]]);
}

export function meanPool(x: Tensor, pool: readonly [number, number], stride: readonly [number, number], layerName?: string): Tensor {
  const [, , H, W] = x.shape;
  const g = poolGeometry(H, W, pool, stride, layerName);
  const t = fitTo(x, g);
  const avg = t.avgPool2d([pool[0], pool[1]], [stride[0], stride[1]]);
  if (g.requiredH <= H && g.requiredW <= W) return avg;
  // avgPool2d divided by the whole window; pylearn2 divides by the pixels inside the image.
  const scale = new Float32Array(g.oh * g.ow);
  const area = pool[0] * pool[1];
  for (let i = 0; i < g.oh; i++) {
    const rows = Math.min(H, i * stride[0] + pool[0]) - i * stride[0];
    for (let j = 0; j < g.ow; j++) {
      const cols = Math.min(W, j * stride[1] + pool[1]) - j * stride[1];
      scale[i * g.ow + j] = area / (rows * cols);
    }
  }
  return avg.mul(Tensor.from(scale, [1, 1, g.oh, g.ow], x.backend));
}
