import { ShapeError } from "../../util/errors.js";
import { ACT_CODE, type ActKind } from "./types.js";

/**
 * Argument checks shared by every kernel path, so a wrong shape is the same clear ShapeError on
 * all of them (and never a native crash or a silent wasm read past the data). They are a handful
 * of comparisons; messages are only built on failure.
 */

/** Floats a row-major `rows x cols` matrix with row stride `ld` spans. */
export function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

function isDim(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;
}

export function checkSgemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, lda: number, b: Float32Array, ldb: number, c: Float32Array, ldc: number,
): void {
  const ra = transA ? k : m, ca = transA ? m : k, rb = transB ? n : k, cb = transB ? k : n;
  if (
    isDim(m) && isDim(n) && isDim(k) && isDim(lda) && isDim(ldb) && isDim(ldc) &&
    lda >= ca && ldb >= cb && ldc >= n &&
    a.length >= span(ra, ca, lda) && b.length >= span(rb, cb, ldb) && c.length >= span(m, n, ldc)
  ) return;
  const what = (name: string, rows: number, cols: number, ld: number, arr: Float32Array): string => {
    if (!isDim(ld) || ld < cols) return `${name}: row stride ${ld} is less than its ${cols} columns`;
    if (arr.length < span(rows, cols, ld)) return `${name} (${rows} x ${cols}, row stride ${ld}) needs ${span(rows, cols, ld)} floats but has ${arr.length}`;
    return "";
  };
  const problems = !(isDim(m) && isDim(n) && isDim(k))
    ? [`sizes must be non-negative integers, got m=${m} n=${n} k=${k}`]
    : [what(transA ? "A (stored k x m)" : "A", ra, ca, lda, a), what(transB ? "B (stored n x k)" : "B", rb, cb, ldb, b), what("C", m, n, ldc, c)].filter(Boolean);
  throw new ShapeError(`sgemm(transA=${transA}, transB=${transB}, m=${m}, n=${n}, k=${k}): ${problems.join("; ")}`);
}

/** Output size of a convolution window along one axis: floor((size + 2 pad - kernel) / stride) + 1. */
export function convOut(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

export function checkConv(
  op: "im2col" | "col2im", N: number, C: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, img: Float32Array, cols: Float32Array,
): void {
  const dims = [N, C, H, W, kh, kw, sh, sw, ph, pw];
  const ok = dims.every(isDim) && H > 0 && W > 0 && kh > 0 && kw > 0 && sh > 0 && sw > 0 &&
    H + 2 * ph >= kh && W + 2 * pw >= kw;
  if (ok) {
    const oh = convOut(H, kh, sh, ph), ow = convOut(W, kw, sw, pw);
    const nImg = N * C * H * W, nCols = C * kh * kw * N * oh * ow;
    if (img.length >= nImg && cols.length >= nCols) return;
    throw new ShapeError(
      `${op}(N=${N}, C=${C}, H=${H}, W=${W}, kernel ${kh}x${kw}, stride ${sh}x${sw}, pad ${ph}x${pw}): ` +
      `image needs ${nImg} floats (has ${img.length}), columns need ${C * kh * kw} x ${N * oh * ow} = ${nCols} (have ${cols.length})`,
    );
  }
  throw new ShapeError(
    `${op}(N=${N}, C=${C}, H=${H}, W=${W}, kernel ${kh}x${kw}, stride ${sh}x${sw}, pad ${ph}x${pw}): ` +
    "sizes must be integers, strides and kernel >= 1, and the padded image at least as large as the kernel",
  );
}

export function checkBiasAct(act: ActKind, x: Float32Array, bias: Float32Array | null, m: number, n: number, out: Float32Array): void {
  if (ACT_CODE[act] !== undefined && isDim(m) && isDim(n) && x.length >= m * n && out.length >= m * n && (bias === null || bias.length >= n)) return;
  if (ACT_CODE[act] === undefined) throw new ShapeError(`biasAct: unknown activation '${act}' (expected ${Object.keys(ACT_CODE).join(", ")})`);
  throw new ShapeError(
    `biasAct(${act}, ${m} x ${n}): x has ${x.length} floats, out ${out.length}` +
    (bias ? `, bias ${bias.length} (needs ${n})` : "") + `; each needs ${m * n}`,
  );
}

export function checkActBackward(act: ActKind, y: Float32Array, gy: Float32Array, gx: Float32Array, len: number): void {
  if (ACT_CODE[act] !== undefined && isDim(len) && y.length >= len && gy.length >= len && gx.length >= len) return;
  if (ACT_CODE[act] === undefined) throw new ShapeError(`actBackward: unknown activation '${act}' (expected ${Object.keys(ACT_CODE).join(", ")})`);
  throw new ShapeError(`actBackward(${act}, len=${len}): y has ${y.length} floats, gy ${gy.length}, gx ${gx.length}`);
}
