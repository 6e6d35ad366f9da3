import { noGrad, type Tensor } from "../engine/index.js";
import type { LayerChannels } from "./layer.js";

/**
 * Monitor channels shared by layers, named exactly as pylearn2's layers name them (the MLP adds
 * the `<layer_name>_` prefix): weight norms and per-unit activation statistics over the batch.
 */

/** row_norms_{min,mean,max} and col_norms_{min,mean,max} of a (input x units) W. */
export function weightNormChannels(W: Tensor): LayerChannels {
  return noGrad(() => {
    const sq = W.square();
    const rows = sq.sum(1).sqrt();
    const cols = sq.sum(0).sqrt();
    return {
      row_norms_min: rows.min(),
      row_norms_mean: rows.mean(),
      row_norms_max: rows.max(),
      col_norms_min: cols.min(),
      col_norms_mean: cols.mean(),
      col_norms_max: cols.max(),
    };
  });
}

/** kernel_norms_{min,mean,max} of (out, in, rows, cols) kernels. */
export function kernelNormChannels(W: Tensor): LayerChannels {
  return noGrad(() => {
    const k = W.square().sum([1, 2, 3]).sqrt();
    return { kernel_norms_min: k.min(), kernel_norms_mean: k.mean(), kernel_norms_max: k.max() };
  });
}

/**
 * pylearn2's twelve activation statistics: for each unit (every axis but the batch) the max, min,
 * mean and range over examples, then the max, mean and min of each over units. `sep` is "_" for
 * Linear-family and conv layers (`max_x_max_u`) and "." for Maxout (`max_x.max_u`, prefixed `p_`).
 */
export function activationChannels(state: Tensor, sep: "_" | "." = "_", prefix = ""): LayerChannels {
  return noGrad(() => {
    const s = state.shape.length === 2 ? state : state.reshape([state.shape[0], -1]);
    const mx = s.max(0);
    const mn = s.min(0);
    const mean = s.mean(0);
    const rg = mx.sub(mn);
    const out: LayerChannels = {};
    const put = (stat: string, v: Tensor) => {
      out[`${prefix}${stat}_x${sep}max_u`] = v.max();
      out[`${prefix}${stat}_x${sep}mean_u`] = v.mean();
      out[`${prefix}${stat}_x${sep}min_u`] = v.min();
    };
    put("range", rg);
    put("max", mx);
    put("mean", mean);
    put("min", mn);
    return out;
  });
}
