import type { KernelSpec } from "../runtime.js";
import { entry1d } from "./prelude.js";

/**
 * Batches cut from a dataset kept on the device (../dataset-rows.ts). Row r of the batch is
 * dataset row IDX[base + r], or start + r for a contiguous range (word 3 = 1, start in word 0).
 */
const rowOf = /* wgsl */ `
fn row_of(r: u32) -> u32 {
  if (pu(3u) != 0u) { return pu(0u) + r; }
  return IDX[pu(0u) + r];
}`;

/** OUT [n, dim] = rows of X [*, dim]. Words: 0 base (or start), 1 n * dim, 2 dim, 3 contiguous. */
export const gatherRowsKernel: KernelSpec = {
  key: "gather_rows",
  inputs: 2,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> IDX: array<u32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;
${rowOf}
${entry1d("pu(1u)")}
  let dim = pu(2u);
  let r = i / dim;
  OUT[i] = X[row_of(r) * dim + (i - r * dim)];
}`,
};

/** OUT [n, depth] = one-hot of the rows' labels L. Words: 0 base (or start), 1 n * depth, 2 depth, 3 contiguous. */
export const oneHotRowsKernel: KernelSpec = {
  key: "one_hot_rows",
  inputs: 2,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> L: array<i32>;
@group(0) @binding(2) var<storage, read> IDX: array<u32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;
${rowOf}
${entry1d("pu(1u)")}
  let depth = pu(2u);
  let r = i / depth;
  OUT[i] = select(0.0, 1.0, u32(L[row_of(r)]) == i - r * depth);
}`,
};
