import type { ReduceOp } from "../../../backend.js";
import type { KernelSpec } from "../runtime.js";
import { entry1d, memo } from "./prelude.js";

/**
 * Reductions over any set of axes. The host splits the input's dims into kept and reduced lists
 * (collapsing neighbours) and passes: word 0 outputs, 1 reduced count, 2 kept rank, 3 reduced
 * rank, kept dims at 8.., their strides in x at 16.., reduced dims at 24.., their strides at 32...
 * max/min propagate NaN like the reference backend.
 */
const COMMON = (op: ReduceOp): string => /* wgsl */ `
fn base_of(o: u32) -> u32 {
  var rem = o;
  var off = 0u;
  for (var d = i32(pu(2u)) - 1; d >= 0; d--) {
    let dim = pu(8u + u32(d));
    off += (rem % dim) * pu(16u + u32(d));
    rem = rem / dim;
  }
  return off;
}
fn red_of(r: u32) -> u32 {
  var rem = r;
  var off = 0u;
  for (var d = i32(pu(3u)) - 1; d >= 0; d--) {
    let dim = pu(24u + u32(d));
    off += (rem % dim) * pu(32u + u32(d));
    rem = rem / dim;
  }
  return off;
}
fn init_() -> f32 { return ${op === "sum" ? "0.0" : op === "max" ? "-inf()" : "inf()"}; }
fn combine(acc: f32, v: f32) -> f32 {
  ${op === "sum" ? "return acc + v;" : `return select(acc, v, v ${op === "max" ? ">" : "<"} acc || is_nan(v));`}
}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
`;

/** One invocation per output, looping over the reduced elements (many outputs, short reductions). */
export const reduceThreadKernel = memo((op: ReduceOp): KernelSpec => {
  return {
    key: `reduce_thread_${op}`,
    inputs: 1,
    outputs: 1,
    code: /* wgsl */ `${COMMON(op)}
${entry1d("pu(0u)")}
  let base = base_of(i);
  var acc = init_();
  let n = pu(1u);
  for (var r = 0u; r < n; r++) { acc = combine(acc, X[base + red_of(r)]); }
  Y[i] = acc;
}`,
  };
});

export const REDUCE_GROUP = 256;

/** One workgroup per output: strided partials, then a tree in workgroup memory (long reductions). */
export const reduceGroupKernel = memo((op: ReduceOp): KernelSpec => {
  return {
    key: `reduce_group_${op}`,
    inputs: 1,
    outputs: 1,
    code: /* wgsl */ `${COMMON(op)}
var<workgroup> part: array<f32, ${REDUCE_GROUP}>;
@compute @workgroup_size(${REDUCE_GROUP})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = wg.y * nwg.x + wg.x;
  let live = o < pu(0u);
  var acc = init_();
  if (live) {
    let base = base_of(o);
    let n = pu(1u);
    for (var r = lid; r < n; r += ${REDUCE_GROUP}u) { acc = combine(acc, X[base + red_of(r)]); }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${REDUCE_GROUP / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { part[lid] = combine(part[lid], part[lid + s]); }
    workgroupBarrier();
  }
  if (live && lid == 0u) { Y[o] = part[0]; }
}`,
  };
});

