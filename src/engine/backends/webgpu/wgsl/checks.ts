import type { KernelSpec } from "../runtime.js";
import { entry1d } from "./prelude.js";

/**
 * 1.0 where x is NaN or ±Inf, else 0.0: the trainer's device-side non-finite check (summed, then
 * read back as one number per tensor). An exponent test on the bits, because a driver may assume
 * floats are finite and fold `x != x` or `x - x != 0` away.
 */
export const nonFiniteKernel: KernelSpec = {
  key: "non_finite",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  Y[i] = select(0.0, 1.0, (bitcast<u32>(X[i]) & 0x7f800000u) == 0x7f800000u);
}`,
};
