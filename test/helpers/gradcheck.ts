import { expect } from "vitest";
import { checkGradients, float64Backend, withDefaultBackend, type Tensor } from "../../src/engine/index.js";
import { Rng } from "../../src/util/rng.js";

/** Runs `fn` with float64 as the default backend, so layers and models built inside hold float64 parameters. */
export function onFloat64<T>(fn: () => T): T {
  return withDefaultBackend(float64Backend, fn);
}

/** Something with swappable parameters: a Layer or an MLP. */
export interface HasParams {
  params(): Tensor[];
  setParams(ts: readonly Tensor[]): void;
}

/**
 * The float64 finite-difference check of `run(x)` with respect to x and every parameter of
 * `target` (built on float64, see onFloat64): the checker's own leaves are swapped in for the
 * parameters while it runs. Parameter values are the target's current ones, plus `jitter`
 * normal noise so zero-initialised biases and weights do not hide terms.
 */
export function expectParamGradients(
  target: HasParams,
  x: { shape: readonly number[]; values?: ArrayLike<number> },
  run: (x: Tensor) => Tensor,
  opts: { tol?: number; jitter?: number; seed?: number } = {},
): ReturnType<typeof checkGradients> {
  const saved = target.params();
  const rng = new Rng(opts.seed ?? 7);
  const jitter = opts.jitter ?? 0.3;
  const inputs = [
    x,
    ...saved.map((p) => {
      const v = Float64Array.from(p.toArray());
      for (let i = 0; i < v.length; i++) v[i] += jitter * rng.normal();
      return { shape: p.shape, values: v };
    }),
  ];
  try {
    const r = checkGradients((xt, ...ps) => {
      target.setParams(ps);
      // The check is vacuous unless the checker's leaves really are the parameters now.
      const now = target.params();
      if (now.length !== ps.length || now.some((t, i) => t !== ps[i])) throw new Error("setParams did not install the checker's tensors");
      return run(xt);
    }, inputs, opts.seed ?? 1);
    const names = ["x", ...saved.map((p) => p.name ?? "?")];
    expect(r.maxError, `gradient of ${names[r.worst.input]}[${r.worst.index}]: autodiff ${r.worst.analytic} vs numeric ${r.worst.numeric}`).toBeLessThan(opts.tol ?? 1e-6);
    return r;
  } finally {
    target.setParams(saved);
  }
}

/** Deterministic float64 values in [lo, hi). */
export function uniformValues(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  return new Rng(seed).fillUniform(new Float64Array(n), lo, hi) as Float64Array;
}
