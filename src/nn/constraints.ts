import { noGrad, type Tensor } from "../engine/index.js";

/**
 * pylearn2's ConstrainFilterL2Norm (MaxL2FilterNorm), applied after every update: the L2 norm of
 * W over `axes` (keepdims) is clipped to [minNorm, maxNorm] and W rescaled to match,
 *
 *     W <- W * clip(|W|, min, max) / max(1e-7, |W|)
 *
 * `max_col_norm` on a (input x units) W uses axes [0] (one norm per unit), `max_row_norm` axes [1],
 * `max_kernel_norm` on (out, in, rows, cols) kernels axes [1, 2, 3] (one norm per output kernel).
 * A null bound leaves that side free.
 */
export function constrainNorms(W: Tensor, axes: readonly number[], maxNorm: number | null, minNorm: number | null = null): void {
  if (maxNorm === null && minNorm === null) return;
  noGrad(() => {
    const norms = W.square().sum(axes, true).sqrt();
    let desired = norms;
    if (minNorm !== null) desired = desired.maximum(minNorm);
    if (maxNorm !== null) desired = desired.minimum(maxNorm);
    W.assign(W.mul(desired.div(norms.maximum(1e-7))));
  });
}

/** L2 norms of W over `axes` as plain numbers (monitor channels and tests). */
export function norms(W: Tensor, axes: readonly number[]): Float64Array {
  return noGrad(() => Float64Array.from(W.square().sum(axes).sqrt().toArray()));
}
