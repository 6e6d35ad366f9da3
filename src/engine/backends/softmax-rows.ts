type Arr = Float32Array | Float64Array;

/**
 * log(softmax) of each contiguous row, in double precision and rounded once when stored:
 * (x - max) - log(sum(exp(x - max))). Subtracting the max first keeps exp from overflowing, and
 * taking (x - max) before the log term makes the row's largest entry exactly -log(sum).
 */
export function logSoftmaxRows(x: Arr, out: Arr, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = x[base + j];
      // NaN wins the max, so a row holding one comes out all NaN (as the unfused ops gave).
      if (v > max || v !== v) max = v;
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[base + j] - max);
    const logSum = Math.log(sum);
    for (let j = 0; j < cols; j++) out[base + j] = x[base + j] - max - logSum;
  }
}

/** The adjoint of logSoftmaxRows from its output y: dx = g - softmax(x) * sum(g) per row. */
export function logSoftmaxRowsBackward(y: Arr, g: Arr, out: Arr, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let gSum = 0;
    for (let j = 0; j < cols; j++) gSum += g[base + j];
    for (let j = 0; j < cols; j++) out[base + j] = g[base + j] - Math.exp(y[base + j]) * gSum;
  }
}
