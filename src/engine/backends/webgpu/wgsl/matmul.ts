import type { KernelSpec } from "../runtime.js";
import { memo } from "./prelude.js";

/**
 * Tiled SGEMM, C[b] = op(A[b]) op(B[b]) for row-major A, B, C, with op an optional transpose
 * (a uniform flag) and per-batch strides (0 = shared operand). Each workgroup computes a BM x BN tile
 * of C, staging BK-deep slices of A and B in workgroup memory; each invocation accumulates a
 * TM x TN block in registers, on rows ty + i*TY and columns tx + j*TX so that neighbouring
 * invocations touch neighbouring columns (coalesced writes, conflict-free reads of the B tile).
 * Words: 0 M, 1 N, 2 K, 3 A batch stride, 4 B batch stride, 5 transA, 6 transB.
 *
 * The tile shapes are data, not code: a GPU session tunes them with `npm run bench -- gpu`.
 */
export interface GemmTile {
  name: string;
  BM: number;
  BN: number;
  BK: number;
  TM: number;
  TN: number;
  /** Runs `matmulVec4Kernel` (vec4 loads, stores and workgroup reads; shapes `vec4Eligible` accepts). */
  vec4?: boolean;
  /**
   * Tiles of C in groups of this many tile rows, walked column by column within a group, instead
   * of row by row across all of C: workgroups that run at the same time then share panels of A and
   * B in the L2 cache (at 8192^3 a row-by-row walk streams all of B from memory once per tile row).
   * Default 1: row by row.
   */
  group?: number;
}

export const GEMM_TILES = {
  /** Big squares (the 4096^3 / 8192^3 bench, MLP layers with large batches). */
  large: { name: "large", BM: 128, BN: 128, BK: 8, TM: 8, TN: 8 },
  medium: { name: "medium", BM: 64, BN: 64, BK: 16, TM: 4, TN: 4 },
  small: { name: "small", BM: 32, BN: 32, BK: 32, TM: 2, TN: 2 },
  /** A handful of rows (the GRBM tutorial's batch of 5). */
  skinny: { name: "skinny", BM: 8, BN: 128, BK: 8, TM: 1, TN: 4 },
  // The vec4 kernels (wgsl/matmul-vec4.ts), in the shapes GPU SGEMMs are usually built from; which
  // wins on which GPU is for `npm run bench -- gpu --tiles all` to say.
  v4_128x128x8: { name: "v4_128x128x8", BM: 128, BN: 128, BK: 8, TM: 8, TN: 8, vec4: true, group: 8 },
  v4_128x128x16: { name: "v4_128x128x16", BM: 128, BN: 128, BK: 16, TM: 8, TN: 8, vec4: true, group: 8 },
  /** v4_128x128x16 walking C row by row: the bench's measure of what the grouped walk gains. */
  v4_128x128x16r: { name: "v4_128x128x16r", BM: 128, BN: 128, BK: 16, TM: 8, TN: 8, vec4: true },
  v4_128x64x16: { name: "v4_128x64x16", BM: 128, BN: 64, BK: 16, TM: 8, TN: 4, vec4: true, group: 8 },
  v4_64x64x16: { name: "v4_64x64x16", BM: 64, BN: 64, BK: 16, TM: 4, TN: 4, vec4: true, group: 8 },
  // 16 x 8 and 8 x 16 per invocation (128 accumulators): twice the multiply-adds per workgroup-memory
  // read of the 8 x 8 tiles, if the driver keeps them all in registers; the bench says whether it does.
  v4_256x128x8: { name: "v4_256x128x8", BM: 256, BN: 128, BK: 8, TM: 16, TN: 8, vec4: true, group: 8 },
  v4_128x256x8: { name: "v4_128x256x8", BM: 128, BN: 256, BK: 8, TM: 8, TN: 16, vec4: true, group: 8 },
} as const satisfies Record<string, GemmTile>;

/**
 * Picks a tile for an m x n output (a heuristic until measured on real GPUs); `vec4` says whether
 * the operands allow the vec4 kernels (`vec4Eligible`).
 */
export function chooseTile(m: number, n: number, vec4 = false): GemmTile {
  if (m <= 8 && n >= 64) return GEMM_TILES.skinny;
  if (m >= 512 && n >= 512) return vec4 ? GEMM_TILES.v4_128x128x8 : GEMM_TILES.large;
  if (m * n >= 128 * 128) return vec4 ? GEMM_TILES.v4_64x64x16 : GEMM_TILES.medium;
  return GEMM_TILES.small;
}

export const matmulKernel = memo((t: GemmTile): KernelSpec => {
  const { BM, BN, BK, TM, TN } = t;
  const TX = BN / TN;
  const TY = BM / TM;
  const T = TX * TY;
  // Loads walk the operand's contiguous axis with consecutive invocations; the transposes are
  // uniform flags (words 5, 6), not compile-time variants, so each tile is one pipeline (lavapipe
  // needs seconds per GEMM pipeline). e - q * X, not e % X: lavapipe compiled the modulo far slower.
  const loadA = `var mm: u32; var kk: u32;
      if (tA) { kk = e / ${BM}u; mm = e - kk * ${BM}u; } else { mm = e / ${BK}u; kk = e - mm * ${BK}u; }`;
  const addrA = "select(gm * K + gk, gk * M + gm, tA)";
  const loadB = `var nn: u32; var kk: u32;
      if (tB) { nn = e / ${BK}u; kk = e - nn * ${BK}u; } else { kk = e / ${BN}u; nn = e - kk * ${BN}u; }`;
  const addrB = "select(gk * N + gn, gn * K + gk, tB)";
  return {
    key: `matmul_${t.name}`,
    inputs: 2,
    outputs: 1,
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
var<workgroup> As: array<f32, ${BK * BM}>;
var<workgroup> Bs: array<f32, ${BK * BN}>;
${gemmEntry(t)}
${regs("var acc", TM * TN, " = 0.0")}
  for (var k0 = 0u; k0 < K; k0 += ${BK}u) {
    for (var e = tid; e < ${BM * BK}u; e += ${T}u) {
      ${loadA}
      let gm = m0 + mm; let gk = k0 + kk;
      var v = 0.0;
      if (gm < M && gk < K) { v = A[aOff + ${addrA}]; }
      As[kk * ${BM}u + mm] = v;
    }
    for (var e = tid; e < ${BN * BK}u; e += ${T}u) {
      ${loadB}
      let gn = n0 + nn; let gk = k0 + kk;
      var v = 0.0;
      if (gn < N && gk < K) { v = B[bOff + ${addrB}]; }
      Bs[kk * ${BN}u + nn] = v;
    }
    workgroupBarrier();
    // Not unrolled here: a driver unrolls what pays; lavapipe's compiler took minutes over BK copies.
    let kend = min(${BK}u, K - k0);
    for (var kk = 0u; kk < kend; kk++) {
${range(TM).map((i) => `      let a${i} = As[kk * ${BM}u + ty + ${i * TY}u];`).join("\n")}
${range(TN).map((j) => `      let b${j} = Bs[kk * ${BN}u + tx + ${j * TX}u];`).join("\n")}
${range(TM).flatMap((i) => range(TN).map((j) => `      acc${i * TN + j} = fma(a${i}, b${j}, acc${i * TN + j});`)).join("\n")}
    }
    workgroupBarrier();
  }
${range(TM).map((i) => `  if (m0 + ty + ${i * TY}u < M) {
    let row = cOff + (m0 + ty + ${i * TY}u) * N;
${range(TN).map((j) => `    if (n0 + tx + ${j * TX}u < N) { C[row + n0 + tx + ${j * TX}u] = acc${i * TN + j}; }`).join("\n")}
  }`).join("\n")}
}`,
  };
});

/**
 * The entry point both GEMM kernels share: a TX x TY workgroup per BM x BN tile of C (batch item
 * wg.z), reading the parameter words into M, N, K, the transpose flags, the batch offsets of A, B
 * and C (in floats), the tile's corner m0, n0 and the invocation's tx, ty and flat tid.
 */
export function gemmEntry(t: GemmTile): string {
  const TX = t.BN / t.TN;
  const G = t.group ?? 1;
  // Grouped walk (`group`): workgroup p (in launch order) takes tile row first + p' % rows, tile
  // column p' / rows, where first is its group's first tile row, rows the group's height (the
  // last group may be shorter) and p' its place in the group.
  const corner = G === 1 ? `  let m0 = wg.y * ${t.BM}u;
  let n0 = wg.x * ${t.BN}u;` : `  let p = wg.y * nwg.x + wg.x;
  let per = ${G}u * nwg.x;
  let first = (p / per) * ${G}u;
  let rows = min(nwg.y - first, ${G}u);
  let q = p - (p / per) * per;
  let m0 = (first + q % rows) * ${t.BM}u;
  let n0 = (q / rows) * ${t.BN}u;`;
  return /* wgsl */ `@compute @workgroup_size(${TX}, ${t.BM / t.TM})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = pu(0u); let N = pu(1u); let K = pu(2u);
  let tA = pu(5u) != 0u; let tB = pu(6u) != 0u;
  let aOff = wg.z * pu(3u);
  let bOff = wg.z * pu(4u);
  let cOff = wg.z * M * N;
${corner}
  let tx = lid.x; let ty = lid.y;
  let tid = ty * ${TX}u + tx;`;
}

/** 0 .. n-1: the unrolled registers and statements the GEMM generators write out. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** `n` scalar declarations `prefix0 .. prefix{n-1}` (registers, not an indexable array). */
function regs(prefix: string, n: number, init: string): string {
  return range(n).map((i) => `  ${prefix}${i}${init};`).join("\n");
}
