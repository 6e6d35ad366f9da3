import type { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";

/**
 * Weight initialisation as pylearn2's layers do it in `set_input_space`. Each scheme fills a
 * (fanIn x units) matrix, row-major — pylearn2's W is (input_dim, dim), a column per unit:
 *
 * - `irange`:      W ~ U(-irange, irange), each entry then kept with probability `includeProb`
 *                  (pylearn2 draws the mask as a second uniform matrix; so does this).
 * - `istdev`:      W ~ N(0, istdev^2).
 * - `sparse_init`: per unit (column), `sparse_init` distinct inputs drawn at random get
 *                  N(0, 1) weights, then everything is multiplied by `sparseStdev`.
 * - none given:    zeros (pylearn2 insists on one scheme for hidden layers; the schemas enforce it,
 *                  and a Softmax with none starts at zero, which is what `irange: 0.` gives there).
 */
export interface WeightInit {
  irange?: number | null;
  istdev?: number | null;
  sparseInit?: number | null;
  sparseStdev?: number;
  includeProb?: number;
}

export function initWeights(rng: Rng, fanIn: number, units: number, init: WeightInit, layerName: string): Float32Array {
  const W = new Float32Array(fanIn * units);
  const { irange, istdev, sparseInit } = init;
  if (irange !== null && irange !== undefined) {
    rng.fillUniform(W, -irange, irange);
    const p = init.includeProb ?? 1;
    // With p = 1 the mask keeps everything; skipping its draws changes no value.
    if (p < 1) for (let i = 0; i < W.length; i++) if (!(rng.uniform() < p)) W[i] = 0;
  } else if (istdev !== null && istdev !== undefined) {
    rng.fillNormal(W, 0, istdev);
  } else if (sparseInit !== null && sparseInit !== undefined) {
    if (sparseInit > fanIn) {
      throw new ConfigError(`layer ${layerName}: sparse_init is ${sparseInit} but the layer has only ${fanIn} inputs`);
    }
    const stdev = init.sparseStdev ?? 1;
    for (let u = 0; u < units; u++) {
      for (let j = 0; j < sparseInit; j++) {
        let idx = rng.randint(fanIn);
        while (W[idx * units + u] !== 0) idx = rng.randint(fanIn);
        // A normal draw of exactly 0 would let the loop pick the same input twice; it cannot matter in practice.
        W[idx * units + u] = rng.normal() * stdev;
      }
    }
  }
  return W;
}

/**
 * Convolution kernels (out, in, rows, cols): U(-irange, irange), or, with `sparseInit`, that many
 * N(0, 1) entries per output kernel (pylearn2's sparse conv initialiser was disabled there with
 * an assertion — "num_nonzero determines the total number ... investigate" — so dl reads
 * sparse_init per kernel, as the dense layers do per unit).
 */
export function initKernels(rng: Rng, shape: readonly [number, number, number, number], irange: number | null, sparseInit: number | null, layerName: string): Float32Array {
  const [O, C, kh, kw] = shape;
  const per = C * kh * kw;
  const W = new Float32Array(O * per);
  if (irange !== null) {
    rng.fillUniform(W, -irange, irange);
  } else if (sparseInit !== null) {
    if (sparseInit > per) throw new ConfigError(`layer ${layerName}: sparse_init is ${sparseInit} but each kernel has only ${per} weights`);
    for (let o = 0; o < O; o++) {
      for (let j = 0; j < sparseInit; j++) {
        let idx = rng.randint(per);
        while (W[o * per + idx] !== 0) idx = rng.randint(per);
        W[o * per + idx] = rng.normal();
      }
    }
  }
  return W;
}
