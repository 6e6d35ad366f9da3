import type { BinaryOp, CompareOp, UnaryOp } from "../../../backend.js";
import type { KernelSpec } from "../runtime.js";
import { entry1d, memo } from "./prelude.js";

/**
 * Elementwise kernels. Unary math follows the reference backend's definitions, written so no
 * intermediate overflows (sigmoid, softplus, tanh) and with explicit NaN/Inf where a GPU's
 * builtins are undefined (log and sqrt of negatives, pow of negative bases).
 *
 * Broadcasting: the host collapses shapes to at most MAX_RANK dims and passes, per operand, the
 * strides it is read with (0 on broadcast dims): out dims at words 8.., operand k's strides at
 * words 16 + 8k... Word 0 is the element count, word 1 the rank.
 */
export const MAX_RANK = 8;

/** Helper functions the unary ops use (accurate log1p/expm1 from exp and log, after Kahan). */
const MATH = /* wgsl */ `
fn log1p_(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0 || u == inf()) { return x; }
  if (u == 0.0) { return -inf(); }
  if (u < 0.0) { return nan(); }
  return log(u) * x / (u - 1.0);
}
fn expm1_(x: f32) -> f32 {
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  if (u == inf()) { return u; }
  return um1 * x / log(u);
}
fn sigmoid_(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn softplus_(x: f32) -> f32 {
  if (x > 0.0) { return x + log1p_(exp(-x)); }
  return log1p_(exp(x));
}
fn tanh_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let e = expm1_(-2.0 * abs(x));
  return sign(x) * (-e / (2.0 + e));
}
fn log_(x: f32) -> f32 {
  if (x < 0.0) { return nan(); }
  if (x == 0.0) { return -inf(); }
  return log(x);
}
fn sqrt_(x: f32) -> f32 {
  if (x < 0.0) { return nan(); }
  return sqrt(x);
}
fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return nan(); }
  if (a == 0.0) {
    if (b < 0.0) { return inf(); }
    return 0.0;
  }
  if (a < 0.0) {
    // Defined only for integer exponents, where the sign follows the exponent's parity.
    if (floor(b) != b) { return nan(); }
    let m = exp2(b * log2(-a));
    if (abs(b) < 16777216.0 && (i32(b) & 1) == 1) { return -m; }
    return m;
  }
  if (a == 1.0) { return 1.0; }
  return exp2(b * log2(a));
}
fn sign_(x: f32) -> f32 { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
fn maximum_(a: f32, b: f32) -> f32 { return select(b, a, is_nan(a) || a >= b); }
fn minimum_(a: f32, b: f32) -> f32 { return select(b, a, is_nan(a) || a <= b); }
fn b2f(c: bool) -> f32 { return select(0.0, 1.0, c); }
`;

const UNARY_EXPR: Record<UnaryOp, string> = {
  neg: "-x",
  exp: "exp(x)",
  log: "log_(x)",
  log1p: "log1p_(x)",
  sqrt: "sqrt_(x)",
  square: "x * x",
  abs: "abs(x)",
  tanh: "tanh_(x)",
  sigmoid: "sigmoid_(x)",
  softplus: "softplus_(x)",
  relu: "select(0.0, x, x > 0.0)",
  sign: "sign_(x)",
  step: "select(0.0, 1.0, x > 0.0)",
};

const BINARY_EXPR: Record<BinaryOp | CompareOp, string> = {
  add: "a + b",
  sub: "a - b",
  mul: "a * b",
  div: "a / b",
  pow: "pow_(a, b)",
  maximum: "maximum_(a, b)",
  minimum: "minimum_(a, b)",
  gt: "b2f(a > b)",
  ge: "b2f(a >= b)",
  lt: "b2f(a < b)",
  le: "b2f(a <= b)",
  eq: "b2f(a == b)",
  // An unordered compare spelled out: drivers may compile a != b as ordered (false for NaN).
  ne: "b2f(is_nan(a) || is_nan(b) || a != b)",
};

export const unaryKernel = memo((op: UnaryOp): KernelSpec => {
  return {
    key: `unary_${op}`,
    inputs: 1,
    outputs: 1,
    code: /* wgsl */ `${MATH}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let x = X[i];
  Y[i] = ${UNARY_EXPR[op]};
}`,
  };
});

/** Offset of flat output index `i` in operand k, via the out dims and operand strides. */
const STRIDED = /* wgsl */ `
fn strided_offset(i: u32, k: u32) -> u32 {
  let rank = pu(1u);
  var rem = i;
  var off = 0u;
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let dim = pu(8u + u32(d));
    let c = rem % dim;
    rem = rem / dim;
    off += c * pu(16u + 8u * k + u32(d));
  }
  return off;
}
`;

/**
 * `mode`: "same" (both operands contiguous, same size), "scalar" (b is one value), or "strided"
 * (general broadcasting through the stride table).
 */
export const binaryKernel = memo((op: BinaryOp | CompareOp, mode: "same" | "scalar" | "strided"): KernelSpec => {
  const read =
    mode === "same" ? "let a = A[i]; let b = B[i];" :
      mode === "scalar" ? "let a = A[i]; let b = B[0];" :
        "let a = A[strided_offset(i, 0u)]; let b = B[strided_offset(i, 1u)];";
  return {
    key: `binary_${op}_${mode}`,
    inputs: 2,
    outputs: 1,
    code: /* wgsl */ `${MATH}${STRIDED}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  ${read}
  Y[i] = ${BINARY_EXPR[op]};
}`,
  };
});

export const whereKernel: KernelSpec = {
  key: "where",
  inputs: 3,
  outputs: 1,
  code: /* wgsl */ `${STRIDED}
@group(0) @binding(1) var<storage, read> C: array<f32>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let c = C[strided_offset(i, 0u)];
  Y[i] = select(B[strided_offset(i, 2u)], A[strided_offset(i, 1u)], c != 0.0);
}`,
};

/** Y[i] = value (word 2, as f32 bits). */
export const fillKernel: KernelSpec = {
  key: "fill",
  inputs: 0,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  Y[i] = pf(2u);
}`,
};

/** Y[i] = X[i]. */
export const copyKernel: KernelSpec = {
  key: "copy",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  Y[i] = X[i];
}`,
};

/** Y[i] += alpha * X[i] (alpha at word 2). */
export const axpyKernel: KernelSpec = {
  key: "axpy",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  Y[i] = Y[i] + pf(2u) * X[i];
}`,
};

/**
 * Momentum's whole update in one pass (the three axpys it replaces were three dispatches a
 * parameter): v <- m v - lr g, then p <- p + v, or with Nesterov p <- p + m v - lr g, rounding
 * where the float32 CPU loop does. Words: 0 n, 2 m, 3 lr, 4 nesterov.
 */
export const momentumKernel: KernelSpec = {
  key: "momentum",
  inputs: 1,
  outputs: 2,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> Pm: array<f32>;
@group(0) @binding(3) var<storage, read_write> V: array<f32>;
${entry1d("pu(0u)")}
  let m = pf(2u);
  let lg = pf(3u) * G[i];
  let v = m * V[i] - lg;
  V[i] = v;
  if (pu(4u) != 0u) { Pm[i] = (Pm[i] + m * v) - lg; } else { Pm[i] = Pm[i] + v; }
}`,
};

/**
 * Y[i] += alpha * Y[i]: axpy with x and y the same buffer (Momentum's v <- m v), which WebGPU
 * cannot bind both read-only and writable in one dispatch.
 */
export const axpySelfKernel: KernelSpec = {
  key: "axpy_self",
  inputs: 0,
  outputs: 1,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  Y[i] = Y[i] + pf(2u) * Y[i];
}`,
};
