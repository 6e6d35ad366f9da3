type Arr = Float32Array | Float64Array;

/**
 * Plain row-major GEMM, C(m x n) (+)= op(A) op(B), written for clarity and decent cache use: the
 * inner loop always walks contiguous memory. It is the reference the fast kernels are tested
 * against, and the float64 path of the gradient checker.
 */
export function referenceGemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Arr, aOff: number, b: Arr, bOff: number, c: Arr, cOff: number, accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, cOff, cOff + m * n);
  if (!transB) {
    // C[i,:] += A[i,p] * B[p,:]
    for (let i = 0; i < m; i++) {
      const ci = cOff + i * n;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
        if (av === 0) continue;
        const bp = bOff + p * n;
        for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
      }
    }
  } else if (!transA) {
    // C[i,j] = dot(A[i,:], B[j,:])
    for (let i = 0; i < m; i++) {
      const ai = aOff + i * k;
      for (let j = 0; j < n; j++) {
        const bj = bOff + j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        c[cOff + i * n + j] += s;
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const bj = bOff + j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[aOff + p * m + i] * b[bj + p];
        c[cOff + i * n + j] += s;
      }
    }
  }
}
