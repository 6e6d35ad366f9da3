import { float64Backend } from "./backends/reference.js";
import { gradients } from "./autodiff.js";
import { Tensor } from "./tensor.js";
import { Rng } from "../util/rng.js";

export interface GradCheckResult {
  /** Largest |analytic - numeric| / max(1, |numeric|) over every input entry. */
  maxError: number;
  /** Where that happened: input index and flat entry. */
  worst: { input: number; index: number; analytic: number; numeric: number };
  /** The forward value, for value checks. */
  value: Float64Array;
  shape: readonly number[];
}

/**
 * Checks an op's gradient rule in float64: runs `fn` on the float64 reference backend, reduces its
 * output to a scalar with fixed random weights (so every output entry's gradient matters), and
 * compares the autodiff gradient of each input with central differences (h = 1e-6).
 */
export function checkGradients(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: ReadonlyArray<{ shape: readonly number[]; values?: ArrayLike<number> }>,
  seed = 1,
): GradCheckResult {
  const rng = new Rng(seed);
  const xs = inputs.map((inp) => {
    const n = inp.shape.reduce((a, b) => a * b, 1);
    const v = inp.values ? Float64Array.from(inp.values) : rng.fillNormal(new Float64Array(n)) as Float64Array;
    const t = Tensor.from(v, inp.shape, float64Backend);
    t.requiresGrad = true;
    return t;
  });
  const out = fn(...xs);
  const weights = Tensor.from(rng.fillNormal(new Float64Array(out.size)), out.shape, float64Backend);
  const scalarOf = (o: Tensor) => o.mul(weights).sum();
  const analytic = gradients(scalarOf(out), xs).map((g) => g.toArray() as Float64Array);

  const h = 1e-6;
  let maxError = 0;
  let worst = { input: -1, index: -1, analytic: 0, numeric: 0 };
  xs.forEach((x, i) => {
    const data = x.data as Float64Array;
    for (let k = 0; k < x.size; k++) {
      const orig = data[k];
      data[k] = orig + h;
      const fp = scalarOf(fn(...xs.map((t) => t.detach()))).item();
      data[k] = orig - h;
      const fm = scalarOf(fn(...xs.map((t) => t.detach()))).item();
      data[k] = orig;
      const numeric = (fp - fm) / (2 * h);
      const err = Math.abs(analytic[i][k] - numeric) / Math.max(1, Math.abs(numeric));
      if (err > maxError || worst.input < 0) {
        if (err >= maxError) worst = { input: i, index: k, analytic: analytic[i][k], numeric };
        maxError = Math.max(maxError, err);
      }
    }
  });
  return { maxError, worst, value: out.toArray() as Float64Array, shape: out.shape };
}
