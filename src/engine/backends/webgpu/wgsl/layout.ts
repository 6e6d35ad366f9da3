import type { KernelSpec } from "../runtime.js";
import { entry1d } from "./prelude.js";

/**
 * Data-movement kernels. permute and slice read through a stride table (`strided_read`; the
 * table layout is the elementwise one: word 0 count, 1 rank, 2 base offset, dims at 8.., strides
 * at 16..); pad reads per output element (`pad`).
 */
const OFFSET = /* wgsl */ `
fn offset_of(i: u32) -> u32 {
  var rem = i;
  var off = pu(2u);
  for (var d = i32(pu(1u)) - 1; d >= 0; d--) {
    let dim = pu(8u + u32(d));
    off += (rem % dim) * pu(16u + u32(d));
    rem = rem / dim;
  }
  return off;
}
`;

export const stridedReadKernel: KernelSpec = {
  key: "strided_read",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `${OFFSET}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  Y[i] = X[offset_of(i)];
}`,
};

/**
 * pad in one pass: each output element reads its input element, or writes 0 outside the block
 * (a zero fill then a strided write was two launches). Words: 0 count, 1 rank, out dims at 8..,
 * block starts at 16.., input dims at 24.., input strides at 32...
 */
export const padKernel: KernelSpec = {
  key: "pad",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  var rem = i;
  var off = 0u;
  var inside = true;
  for (var d = i32(pu(1u)) - 1; d >= 0; d--) {
    let dim = pu(8u + u32(d));
    let k = i32(rem % dim) - pi(16u + u32(d));
    rem = rem / dim;
    if (k < 0 || k >= pi(24u + u32(d))) { inside = false; } else { off += u32(k) * pu(32u + u32(d)); }
  }
  if (inside) { Y[i] = X[off]; } else { Y[i] = 0.0; }
}`,
};

/** x viewed as [outer, len, inner]; out [outer, m, inner]. Words: 0 count, 1 m, 2 inner, 3 len. */
export const gatherKernel: KernelSpec = {
  key: "gather",
  inputs: 2,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> I: array<i32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let m = pu(1u);
  let inner = pu(2u);
  let j = i % inner;
  let r = (i / inner) % m;
  let o = i / (inner * m);
  Y[i] = X[(o * pu(3u) + u32(I[r])) * inner + j];
}`,
};

/**
 * The adjoint of gather without atomics: out [outer, len, inner]; for target row l, the source
 * rows r with indices[r] == l are listed (ascending, as the CPU adds them) in
 * ROWS[START[l] .. START[l + 1]]. Words: 0 count, 1 m, 2 inner, 3 len.
 */
export const scatterAddKernel: KernelSpec = {
  key: "scatter_add",
  inputs: 3,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> START: array<i32>;
@group(0) @binding(3) var<storage, read> ROWS: array<i32>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let m = pu(1u);
  let inner = pu(2u);
  let len = pu(3u);
  let j = i % inner;
  let l = (i / inner) % len;
  let o = i / (inner * len);
  var s = 0.0;
  for (var t = START[l]; t < START[l + 1u]; t++) {
    s += G[(o * m + u32(ROWS[t])) * inner + j];
  }
  Y[i] = s;
}`,
};

/** out [count / depth, depth]: 1 where the column equals the row's index. Words: 0 count, 1 depth. */
export const oneHotKernel: KernelSpec = {
  key: "one_hot",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> I: array<i32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let depth = pu(1u);
  Y[i] = select(0.0, 1.0, u32(I[i / depth]) == i % depth);
}`,
};

/** Index of the first maximum along the middle axis of [outer, len, inner], as f32. Words: 0 count, 1 len, 2 inner. */
export const argmaxKernel: KernelSpec = {
  key: "argmax",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let len = pu(1u);
  let inner = pu(2u);
  let base = (i / inner) * len * inner + i % inner;
  var best = -inf();
  var bi = 0u;
  for (var r = 0u; r < len; r++) {
    let v = X[base + r * inner];
    if (v > best) { best = v; bi = r; }
  }
  Y[i] = f32(bi);
}`,
};
