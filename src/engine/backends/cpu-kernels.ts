import { getCpuKernels, type CpuKernels } from "../kernels/index.js";
import { cpuBackend } from "./reference.js";

let installed: CpuKernels | null = null;

/**
 * Routes the float32 CPU backend's matrix products (and convolution's im2col/col2im) through the
 * fastest kernels this machine has (native addon, WebAssembly SIMD, or TypeScript). The choice is
 * made on the first product, not at import, so commands that never multiply never load a kernel.
 */
export function installCpuKernels(choose: () => CpuKernels = getCpuKernels): void {
  const pick = () => (installed ??= adopt(choose()));
  cpuBackend.setGemm((transA, transB, m, n, k, a, aOff, b, bOff, c, cOff) => {
    const kern = pick();
    const A = (aOff === 0 ? a : a.subarray(aOff)) as Float32Array;
    const B = (bOff === 0 ? b : b.subarray(bOff)) as Float32Array;
    const C = (cOff === 0 ? c : c.subarray(cOff, cOff + m * n)) as Float32Array;
    kern.sgemm(transA, transB, m, n, k, 1, A, transA ? m : k, B, transB ? k : n, 0, C, n);
  });
  cpuBackend.setActKernel((act, x, out, n) => pick().biasAct(act, x as Float32Array, null, 1, n, out as Float32Array));
  cpuBackend.setConvKernels({
    im2col: (x, g, out) => pick().im2col(x as Float32Array, g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, out as Float32Array),
    col2im: (cols, g, dx) => pick().col2im(cols as Float32Array, g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, dx as Float32Array),
  });
}

/**
 * Kernels just chosen: their elementwise kernels (native only) take over the backend's loops from
 * here on. Before the first product the loops run in TypeScript; both give the same bits.
 */
function adopt(k: CpuKernels): CpuKernels {
  cpuBackend.setElementwiseKernels(k.elementwise ?? null);
  return k;
}

/** The kernels the CPU backend uses now (loads them if no product has run yet). */
export function activeCpuKernels(): CpuKernels {
  return (installed ??= adopt(getCpuKernels()));
}
