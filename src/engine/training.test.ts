import { describe, expect, it } from "vitest";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Tensor } from "./tensor.js";
import { gradients } from "./autodiff.js";
import { noGrad } from "./context.js";
import { Rng } from "../util/rng.js";

/** A two-layer tanh/softmax network trained with plain SGD, using nothing but the engine. */
function trainTwoLayer(X: Float32Array, labels: Int32Array, n: number, d: number, hidden: number, classes: number,
  epochs: number, lr: number, batch: number, seed: number) {
  const rng = new Rng(seed);
  const W1 = Tensor.param(rng.fillUniform(new Float32Array(d * hidden), -1 / Math.sqrt(d), 1 / Math.sqrt(d)), [d, hidden], "W1");
  const b1 = Tensor.param(new Float32Array(hidden), [hidden], "b1");
  const W2 = Tensor.param(rng.fillUniform(new Float32Array(hidden * classes), -1 / Math.sqrt(hidden), 1 / Math.sqrt(hidden)), [hidden, classes], "W2");
  const b2 = Tensor.param(new Float32Array(classes), [classes], "b2");
  const params = [W1, b1, W2, b2];
  const forward = (x: Tensor) => x.matmul(W1).add(b1).tanh().matmul(W2).add(b2);
  for (let e = 0; e < epochs; e++) {
    const perm = rng.permutation(n);
    for (let s = 0; s + batch <= n; s += batch) {
      const idx = perm.subarray(s, s + batch);
      const x = Tensor.from(X, [n, d]).gather(idx);
      const y = Tensor.oneHot(Int32Array.from(idx, (i) => labels[i]), classes);
      const nll = forward(x).logSoftmax(1).mul(y).sum(1).mean().neg();
      const grads = gradients(nll, params);
      noGrad(() => params.forEach((p, i) => p.axpyInPlace(grads[i], -lr)));
    }
  }
  return (x: Tensor) => noGrad(() => forward(x).argmax(1));
}

describe("a two-layer network trained with the engine", () => {
  it("solves XOR", () => {
    const X = Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);
    const labels = Int32Array.from([0, 1, 1, 0]);
    const predict = trainTwoLayer(X, labels, 4, 2, 8, 2, 400, 0.5, 4, 3);
    expect(Array.from(predict(Tensor.from(X, [4, 2])))).toEqual([0, 1, 1, 0]);
  });

  it("reaches >= 95% test accuracy on the digits (8x8, 1797 images)", () => {
    const csv = gunzipSync(readFileSync(resolve(__dirname, "../../../shared/data/sklearn-digits/digits.csv.gz"))).toString("utf8");
    const rows = csv.trim().split("\n").map((l) => l.split(",").map(Number));
    const n = rows.length;
    const X = new Float32Array(n * 64);
    const labels = new Int32Array(n);
    // A seeded shuffle before splitting: the file is ordered by writer, so its tail is not a fair test set.
    const order = new Rng(42).permutation(n);
    order.forEach((src, i) => {
      const r = rows[src];
      for (let j = 0; j < 64; j++) X[i * 64 + j] = r[j] / 16;
      labels[i] = r[64];
    });
    const nTrain = 1400; // the remaining 397 are held out
    const predict = trainTwoLayer(X.subarray(0, nTrain * 64), labels.subarray(0, nTrain), nTrain, 64, 32, 10, 20, 0.1, 10, 1);
    const pred = predict(Tensor.from(X.subarray(nTrain * 64), [n - nTrain, 64]));
    let correct = 0;
    for (let i = 0; i < n - nTrain; i++) if (pred[i] === labels[nTrain + i]) correct++;
    expect(correct / (n - nTrain)).toBeGreaterThanOrEqual(0.95);
  });
});
