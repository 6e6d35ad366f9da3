import type { KernelSpec } from "../runtime.js";
import { gemmEntry, range, type GemmTile } from "./matmul.js";
import { memo } from "./prelude.js";

/**
 * SGEMM for operands whose rows are whole vec4s: the tiles that big GEMMs (the 4096^3 / 8192^3
 * bench, wide MLP layers) run on. Same contract and parameter words as `matmulKernel` (0 M, 1 N,
 * 2 K, 3 A batch stride, 4 B batch stride, 5 transA, 6 transB); what differs is the memory traffic:
 *
 * - global loads are 16-byte vec4s along each operand's contiguous axis, staged in registers
 *   while the previous slice is multiplied (one barrier pair per slice, global latency hidden);
 * - each invocation owns TM rows and TN columns as runs of 4 (rows (g*TY + ty)*4 + r, columns
 *   (h*TX + tx)*4 + c), so a k step reads TM/4 + TN/4 vec4s from workgroup memory for TM*TN
 *   multiply-adds (the scalar kernel reads TM + TN scalars), neighbours read neighbouring vec4s
 *   of the B slice (no bank conflicts) and the same A vec4 (a broadcast);
 * - results are written as vec4s, a row segment of 16 * TX bytes per row of invocations.
 *
 * Only for shapes `vec4Eligible` accepts: edges need no partial vectors, because every
 * contiguous extent is a multiple of 4. Slices past K are zero in both operands (0 * 0 adds
 * nothing), so the k loop always runs BK steps and the compiler can unroll it.
 */
export function vec4Eligible(m: number, n: number, k: number, transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number): boolean {
  const contiguousA = transA ? m : k;
  const contiguousB = transB ? k : n;
  return contiguousA % 4 === 0 && contiguousB % 4 === 0 && n % 4 === 0 && aBatchStride % 4 === 0 && bBatchStride % 4 === 0;
}

export const matmulVec4Kernel = memo((t: GemmTile): KernelSpec => {
  const { BM, BN, BK, TM, TN } = t;
  const TX = BN / TN;
  const TY = BM / TM;
  const T = TX * TY;
  const GM = TM / 4; // row runs per invocation
  const GN = TN / 4; // column runs per invocation
  const loadsA = (BM * BK) / 4 / T; // vec4s of A each invocation stages per slice
  const loadsB = (BN * BK) / 4 / T;
  if (TM % 4 || TN % 4 || !Number.isInteger(loadsA) || !Number.isInteger(loadsB) || BK % 4) {
    throw new Error(`matmul tile ${t.name}: TM, TN, BK must be multiples of 4 and each slice a whole number of vec4s per invocation`);
  }
  const BM4 = BM / 4;
  const BN4 = BN / 4;
  const BK4 = BK / 4;
  const acc = (g: number, r: number, h: number) => `acc_${g}_${r}_${h}`;

  // Element e of a slice (e = tid + l*T). Untransposed A is M x K: vec4s run along k, so a vec4
  // holds 4 k values of one row and lands in 4 rows of As. Transposed A is K x M: a vec4 is 4 rows
  // at one k, one vec4 of As. Likewise B (K x N, or N x K when transposed).
  const fetchA = (l: number) => `{
      let e = tid + ${l * T}u;
      var v = vec4<f32>(0.0);
      if (tA) {
        let kk = e / ${BM4}u; let mq = e - kk * ${BM4}u;
        let gk = k0 + kk; let gm = m0 + mq * 4u;
        if (gk < K && gm < M) { v = A[(aOff + gk * M + gm) / 4u]; }
      } else {
        let mm = e / ${BK4}u; let kq = e - mm * ${BK4}u;
        let gm = m0 + mm; let gk = k0 + kq * 4u;
        if (gm < M && gk < K) { v = A[(aOff + gm * K + gk) / 4u]; }
      }
      ra${l} = v;
    }`;
  const storeA = (l: number) => `{
      let e = tid + ${l * T}u;
      if (tA) {
        As[e] = ra${l};
      } else {
        let mm = e / ${BK4}u; let kq = e - mm * ${BK4}u;
        let col = mm / 4u; let lane = mm - col * 4u;
${range(4).map((c) => `        As[(kq * 4u + ${c}u) * ${BM4}u + col][lane] = ra${l}[${c}];`).join("\n")}
      }
    }`;
  const fetchB = (l: number) => `{
      let e = tid + ${l * T}u;
      var v = vec4<f32>(0.0);
      if (tB) {
        let nn = e / ${BK4}u; let kq = e - nn * ${BK4}u;
        let gn = n0 + nn; let gk = k0 + kq * 4u;
        if (gn < N && gk < K) { v = B[(bOff + gn * K + gk) / 4u]; }
      } else {
        let kk = e / ${BN4}u; let nq = e - kk * ${BN4}u;
        let gk = k0 + kk; let gn = n0 + nq * 4u;
        if (gk < K && gn < N) { v = B[(bOff + gk * N + gn) / 4u]; }
      }
      rb${l} = v;
    }`;
  const storeB = (l: number) => `{
      let e = tid + ${l * T}u;
      if (tB) {
        let nn = e / ${BK4}u; let kq = e - nn * ${BK4}u;
        let col = nn / 4u; let lane = nn - col * 4u;
${range(4).map((c) => `        Bs[(kq * 4u + ${c}u) * ${BN4}u + col][lane] = rb${l}[${c}];`).join("\n")}
      } else {
        Bs[e] = rb${l};
      }
    }`;
  const fetchAll = () => [...range(loadsA).map(fetchA), ...range(loadsB).map(fetchB)].join("\n    ");
  const storeAll = () => [...range(loadsA).map(storeA), ...range(loadsB).map(storeB)].join("\n    ");

  return {
    key: `matmul_vec4_${t.name}`,
    inputs: 2,
    outputs: 1,
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> C: array<vec4<f32>>;
var<workgroup> As: array<vec4<f32>, ${BK * BM4}>;
var<workgroup> Bs: array<vec4<f32>, ${BK * BN4}>;
${gemmEntry(t)}
${range(loadsA).map((l) => `  var ra${l}: vec4<f32>;`).join("\n")}
${range(loadsB).map((l) => `  var rb${l}: vec4<f32>;`).join("\n")}
${range(GM).flatMap((g) => range(4).flatMap((r) => range(GN).map((h) => `  var ${acc(g, r, h)} = vec4<f32>(0.0);`))).join("\n")}
  var k0 = 0u;
  ${fetchAll()}
  ${storeAll()}
  workgroupBarrier();
  loop {
    let next = k0 + ${BK}u;
    let more = next < K;
    if (more) {
      k0 = next;
      ${fetchAll()}
    }
    for (var kk = 0u; kk < ${BK}u; kk++) {
${range(GM).map((g) => `      let a${g} = As[kk * ${BM4}u + ${g * TY}u + ty];`).join("\n")}
${range(GN).map((h) => `      let b${h} = Bs[kk * ${BN4}u + ${h * TX}u + tx];`).join("\n")}
${range(GM).flatMap((g) => range(4).flatMap((r) => range(GN).map((h) =>
  `      ${acc(g, r, h)} = fma(vec4<f32>(a${g}[${r}]), b${h}, ${acc(g, r, h)});`))).join("\n")}
    }
    if (!more) { break; }
    workgroupBarrier();
    ${storeAll()}
    workgroupBarrier();
  }
${range(GM).flatMap((g) => range(4).map((r) => `  {
    let row = m0 + ${g * TY * 4}u + ty * 4u + ${r}u;
    if (row < M) {
${range(GN).map((h) => `      let col${h} = n0 + ${h * TX * 4}u + tx * 4u;
      if (col${h} < N) { C[(cOff + row * N + col${h}) / 4u] = ${acc(g, r, h)}; }`).join("\n")}
    }
  }`)).join("\n")}
}`,
  };
});
