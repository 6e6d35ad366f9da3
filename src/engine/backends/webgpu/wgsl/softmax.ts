import type { KernelSpec } from "../runtime.js";

/** Threads that share one row: enough for the class counts softmax layers have, idle lanes are cheap. */
export const SOFTMAX_WG = 64;

/**
 * Row kernels for log(softmax) and its adjoint: one workgroup per contiguous row (params: word 0
 * rows, 1 cols), strided partials over the row, then trees in workgroup memory. NaN wins the max
 * as in the reduce kernels, so a row holding one comes out all NaN like on the CPU.
 */
const ROW_TREE = /* wgsl */ `
var<workgroup> part: array<f32, ${SOFTMAX_WG}>;
fn tree_max(v: f32, lid: u32) -> f32 {
  part[lid] = v;
  workgroupBarrier();
  for (var s = ${SOFTMAX_WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let o = part[lid + s];
      if (o > part[lid] || is_nan(o)) { part[lid] = o; }
    }
    workgroupBarrier();
  }
  let r = part[0];
  // Every lane has read the result before the next tree overwrites it.
  workgroupBarrier();
  return r;
}
fn tree_sum(v: f32, lid: u32) -> f32 {
  part[lid] = v;
  workgroupBarrier();
  for (var s = ${SOFTMAX_WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
  let r = part[0];
  workgroupBarrier();
  return r;
}
`;

const ROW_ENTRY = /* wgsl */ `
@compute @workgroup_size(${SOFTMAX_WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // The row is uniform across the workgroup, so returning early keeps the barriers uniform too.
  let row = wg.y * nwg.x + wg.x;
  if (row >= pu(0u)) { return; }
  let cols = pu(1u);
  let base = row * cols;`;

export const logSoftmaxKernel: KernelSpec = {
  key: "log_softmax_rows",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${ROW_TREE}
${ROW_ENTRY}
  var m = -inf();
  for (var j = lid; j < cols; j += ${SOFTMAX_WG}u) {
    let v = X[base + j];
    if (v > m || is_nan(v)) { m = v; }
  }
  m = tree_max(m, lid);
  var s = 0.0;
  for (var j = lid; j < cols; j += ${SOFTMAX_WG}u) { s += exp(X[base + j] - m); }
  let log_sum = log(tree_sum(s, lid));
  for (var j = lid; j < cols; j += ${SOFTMAX_WG}u) { Y[base + j] = (X[base + j] - m) - log_sum; }
}`,
};

export const logSoftmaxBackwardKernel: KernelSpec = {
  key: "log_softmax_rows_backward",
  inputs: 2,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> Yv: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
${ROW_TREE}
${ROW_ENTRY}
  var s = 0.0;
  for (var j = lid; j < cols; j += ${SOFTMAX_WG}u) { s += G[base + j]; }
  let g_sum = tree_sum(s, lid);
  for (var j = lid; j < cols; j += ${SOFTMAX_WG}u) { DX[base + j] = G[base + j] - exp(Yv[base + j]) * g_sum; }
}`,
};
