import type { KernelSpec } from "../runtime.js";
import { memo } from "./prelude.js";

/**
 * The GRBM tutorial's training step (GaussianBinaryRBM, grbm_type_1, SMD with Gaussian noise,
 * plain SGD, sigma clipped) as two kernels, so a step is two dispatches instead of ~51. They
 * compute exactly what GrbmType1.scoreMatchingGradients defines (src/models/grbm-energy.ts):
 * with V = x + noise, T = (x - V) / stdev^2, u = 1/s^2, A = V W + c, H = sigmoid(A u),
 * R = H W^T + b, D = (R - V) u - T, G = 2 D / (n d), Gu = G u, dZ = (Gu W) * H * (1 - H):
 *
 *   dW = Gu^T H + V^T (dZ u)   db = sum_n Gu   dc = sum_n dZ u
 *   dJ/ds = -2 s^-3 (sum G * (R - V) + sum dZ * A)
 *
 * `grbmRowsKernel`: one workgroup per batch row computes that row's V, H, Gu, dZ u and its share
 * of dJ/du, in workgroup memory (each stage needs the whole row of the one before). Its results go
 * to one scratch buffer, laid out by `grbmWorkLayout`.
 * `grbmUpdateKernel`: one invocation per parameter value sums the rows' contributions and applies
 * p <- p + alpha * g (alpha = -lr * lr_scale), and the last one moves sigma_driver and clips it to
 * [min_sigma, max_sigma] / sigma_lr_scale (GaussianBinaryRBM.afterUpdate). The rows kernel reads
 * every parameter before the update kernel writes any (dispatches in one pass are ordered).
 *
 * The step's inputs come from one u32 buffer holding blocks of steps ("slots"): a slot is the
 * batch's noise (batch x nvis floats, as bits) then its dataset row indices (batch words).
 */

/** Threads per workgroup of the rows kernel. */
export const GRBM_ROWS_WG = 256;
/** Threads per workgroup of the update kernel. */
export const GRBM_UPDATE_WG = 256;

/** Where each array of the scratch buffer starts (in floats), for a batch of at most `batch` rows. */
export function grbmWorkLayout(nvis: number, nhid: number, batch: number) {
  const V = 0;
  const H = V + batch * nvis;
  const Gu = H + batch * nhid;
  const dA = Gu + batch * nvis;
  const du = dA + batch * nhid;
  return { V, H, Gu, dA, du, size: du + batch };
}

/** Lanes that share one row of W in the rows kernel's H W^T. */
const GRBM_ROWS_LANES = 8;

/** Workgroup memory the rows kernel needs, in bytes (V, Gu rows; A, H rows; H W^T partials; the reduction). */
export function grbmRowsSharedBytes(nvis: number, nhid: number): number {
  return 4 * (2 * nvis + 2 * nhid + GRBM_ROWS_LANES * nvis + GRBM_ROWS_WG);
}

function constants(nvis: number, nhid: number, batch: number): string {
  const L = grbmWorkLayout(nvis, nhid, batch);
  return /* wgsl */ `
const D: u32 = ${nvis}u;
const HN: u32 = ${nhid}u;
const NB: u32 = ${batch}u;
const OFF_V: u32 = ${L.V}u;
const OFF_H: u32 = ${L.H}u;
const OFF_GU: u32 = ${L.Gu}u;
const OFF_DA: u32 = ${L.dA}u;
const OFF_DU: u32 = ${L.du}u;
`;
}

/**
 * Params: word 0 the slot's first word in the step buffer, 1 sigma_lr_scale, 2 1/stdev^2 (the
 * Parzen score's factor), 3 2/(n nvis) (the mean's factor); groups: n (rows in this batch).
 * Bindings: X (the dataset), the step buffer, W, bias_vis, bias_hid, sigma_driver; out: scratch.
 */
export const grbmRowsKernel = memo((nvis: number, nhid: number, batch: number): KernelSpec => ({
  key: `grbm_rows_${nvis}_${nhid}_${batch}`,
  inputs: 6,
  outputs: 1,
  code: constants(nvis, nhid, batch) + /* wgsl */ `
const WGR: u32 = ${GRBM_ROWS_WG}u;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> S: array<u32>;
@group(0) @binding(3) var<storage, read> W: array<f32>;
@group(0) @binding(4) var<storage, read> bv: array<f32>;
@group(0) @binding(5) var<storage, read> bh: array<f32>;
@group(0) @binding(6) var<storage, read> sd: array<f32>;
@group(0) @binding(7) var<storage, read_write> work: array<f32>;
var<workgroup> sv: array<f32, D>;
var<workgroup> sg: array<f32, D>;
var<workgroup> sa: array<f32, HN>;
var<workgroup> sh: array<f32, HN>;
var<workgroup> red: array<f32, WGR>;
const LANES: u32 = ${GRBM_ROWS_LANES}u;
var<workgroup> sp: array<f32, D * LANES>;

// As the elementwise sigmoid (no overflow for large |x|).
fn sigmoid_(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

@compute @workgroup_size(${GRBM_ROWS_WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wg.x;
  let base = pu(0u);
  let xoff = S[base + NB * D + r] * D;
  let s = sd[0] * pf(1u);
  let u = 1.0 / (s * s);
  let invVar = pf(2u);
  let gscale = pf(3u);
  // The corrupted row: the dataset row plus this step's noise (drawn on the host).
  for (var i = lid; i < D; i += WGR) {
    let v = X[xoff + i] + bitcast<f32>(S[base + r * D + i]);
    sv[i] = v;
    work[OFF_V + r * D + i] = v;
  }
  workgroupBarrier();
  // A = V W + c and H = sigmoid(A u): W is read along its rows, neighbours read neighbours.
  for (var j = lid; j < HN; j += WGR) {
    var acc = 0.0;
    for (var i = 0u; i < D; i++) { acc += sv[i] * W[i * HN + j]; }
    let a = acc + bh[j];
    let h = sigmoid_(a * u);
    sa[j] = a;
    sh[j] = h;
    work[OFF_H + r * HN + j] = h;
  }
  workgroupBarrier();
  // H W^T in two stages so that W is still read along its rows: lane k of 8 sums j = k, k+8, ...
  // of row i (a group of 8 lanes reads 32 contiguous bytes), then one thread per i adds the 8.
  let lane = lid % LANES;
  for (var i = lid / LANES; i < D; i += WGR / LANES) {
    var acc = 0.0;
    for (var j = lane; j < HN; j += LANES) { acc += sh[j] * W[i * HN + j]; }
    sp[i * LANES + lane] = acc;
  }
  workgroupBarrier();
  // R - V, D, G and Gu; the first half of dJ/du.
  var part = 0.0;
  for (var i = lid; i < D; i += WGR) {
    var acc = 0.0;
    for (var k = 0u; k < LANES; k++) { acc += sp[i * LANES + k]; }
    let v = sv[i];
    let rmv = (acc + bv[i]) - v;
    let t = (X[xoff + i] - v) * invVar;
    let g = (rmv * u - t) * gscale;
    let gu = g * u;
    sg[i] = gu;
    work[OFF_GU + r * D + i] = gu;
    part += g * rmv;
  }
  workgroupBarrier();
  // dZ = (Gu W) * H * (1 - H), stored as dZ u; the second half of dJ/du.
  for (var j = lid; j < HN; j += WGR) {
    var acc = 0.0;
    for (var i = 0u; i < D; i++) { acc += sg[i] * W[i * HN + j]; }
    let h = sh[j];
    let dz = acc * h * (1.0 - h);
    work[OFF_DA + r * HN + j] = dz * u;
    part += dz * sa[j];
  }
  red[lid] = part;
  workgroupBarrier();
  for (var k = WGR / 2u; k > 0u; k = k / 2u) {
    if (lid < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  if (lid == 0u) { work[OFF_DU + r] = red[0]; }
}
`,
}));

/**
 * Params: word 0 n (rows in this batch), 1-4 alpha (-lr * lr_scale) of W, bias_vis, bias_hid,
 * sigma_driver, 5 learn sigma (0/1), 6-7 the driver's clip bounds, 8 sigma_lr_scale. Invocations:
 * nvis*nhid + nvis + nhid + 1 (a 1-D launch that may wrap into y). Bindings: scratch; out: W,
 * bias_vis, bias_hid, sigma_driver.
 */
export const grbmUpdateKernel = memo((nvis: number, nhid: number, batch: number): KernelSpec => ({
  key: `grbm_update_${nvis}_${nhid}_${batch}`,
  inputs: 1,
  outputs: 4,
  code: constants(nvis, nhid, batch) + /* wgsl */ `
@group(0) @binding(1) var<storage, read> work: array<f32>;
@group(0) @binding(2) var<storage, read_write> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> bv: array<f32>;
@group(0) @binding(4) var<storage, read_write> bh: array<f32>;
@group(0) @binding(5) var<storage, read_write> sd: array<f32>;

@compute @workgroup_size(${GRBM_UPDATE_WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wg, nwg, lid, ${GRBM_UPDATE_WG}u);
  let n = pu(0u);
  if (i < D * HN) {
    let row = i / HN;
    let j = i - row * HN;
    var g = 0.0;
    for (var r = 0u; r < n; r++) { g += work[OFF_GU + r * D + row] * work[OFF_H + r * HN + j]; }
    for (var r = 0u; r < n; r++) { g += work[OFF_V + r * D + row] * work[OFF_DA + r * HN + j]; }
    W[i] += pf(1u) * g;
    return;
  }
  let k = i - D * HN;
  if (k < D) {
    var g = 0.0;
    for (var r = 0u; r < n; r++) { g += work[OFF_GU + r * D + k]; }
    bv[k] += pf(2u) * g;
    return;
  }
  if (k < D + HN) {
    let j = k - D;
    var g = 0.0;
    for (var r = 0u; r < n; r++) { g += work[OFF_DA + r * HN + j]; }
    bh[j] += pf(3u) * g;
    return;
  }
  if (k > D + HN || pu(5u) == 0u) { return; }
  // sigma: dJ/d driver = dJ/du * du/ds * sigma_lr_scale, then the clip.
  var du = 0.0;
  for (var r = 0u; r < n; r++) { du += work[OFF_DU + r]; }
  let scale = pf(8u);
  let s = sd[0] * scale;
  let gs = du * (-2.0 / (s * s * s)) * scale;
  sd[0] = clamp(sd[0] + pf(4u) * gs, pf(6u), pf(7u));
}
`,
}));

/** Invocations of the update kernel. */
export function grbmUpdateCount(nvis: number, nhid: number): number {
  return nvis * nhid + nvis + nhid + 1;
}
