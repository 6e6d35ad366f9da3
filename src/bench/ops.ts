import { Tensor } from "../engine/tensor.js";
import { Momentum } from "../train/learning-rules.js";
import { gradients } from "../engine/autodiff.js";
import { noGrad } from "../engine/context.js";
import { activeCpuKernels } from "../engine/backends/cpu-kernels.js";
import { Rng } from "../util/rng.js";
import { timeCalls } from "./timing.js";

/**
 * `npm run bench -- ops [--json]`: what one engine op costs at the tutorial's sizes (batch 5,
 * 192 visible, 400 hidden), autodiff bookkeeping included. The GRBM tutorial runs 30000 steps
 * of a few dozen such ops per epoch, so this per-op overhead decides its speed.
 */
export interface OpTiming {
  op: string;
  shape: string;
  /** Median microseconds per call. */
  us: number;
  best_us: number;
}

/** The target for a 5x192 add with autodiff bookkeeping, in microseconds. */
export const ADD_TARGET_US = 3;

export function runOpsBench(onResult: (r: OpTiming) => void, quick = false): OpTiming[] {
  const rng = new Rng(1);
  const rand = (shape: number[], grad = false) => {
    const t = Tensor.from(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape);
    t.requiresGrad = grad;
    return t;
  };
  const x = rand([5, 192], true);
  const y = rand([5, 192]);
  const W = rand([192, 400], true);
  const c = rand([400], true);
  const h = rand([5, 400]);
  // The MNIST MLP's sizes (batch 100, 784-500-500-10): its non-GEMM ops and its Momentum update.
  const z = rand([100, 500], true);
  const b500 = rand([500], true);
  const W0 = rand([784, 500], true);
  const gW0 = rand([784, 500]);
  const rule = new Momentum(0.5);
  rule.setup([W0]);
  const opts = quick ? { warmupSeconds: 0.05, batches: 3, batchSeconds: 0.03 } : {};
  const cases: Array<[string, string, () => unknown]> = [
    ["add (grad)", "5x192 + 5x192", () => x.add(y)],
    ["add (no grad)", "5x192 + 5x192", () => noGrad(() => x.add(y))],
    ["mul scalar (grad)", "5x192 * s", () => x.mul(0.5)],
    ["add row (grad)", "5x400 + 400", () => h.add(c)],
    ["sigmoid (grad)", "5x400", () => h.sigmoid()],
    ["sum all (grad)", "5x192", () => x.sum()],
    ["sum axis 0 (grad)", "5x400 -> 400", () => h.sum(0)],
    ["matmul (grad)", "5x192 @ 192x400", () => x.matmul(W)],
    ["matmul transB", "5x400 @ (192x400)^T", () => h.matmul(W, false, true)],
    ["matmul transA", "(5x192)^T @ 5x400", () => x.matmul(h, true, false)],
    ["forward+backward", "sigmoid(xW + c) summed", () => gradients(x.matmul(W).add(c).sigmoid().sum(), [x, W, c])],
    ["add row (grad)", "100x500 + 500", () => z.add(b500)],
    ["relu (grad)", "100x500", () => z.relu()],
    ["relu mask * g", "100x500", () => noGrad(() => z.mul(z.gt(0)))],
    ["sum axis 0 (grad)", "100x500 -> 500", () => z.sum(0)],
    ["Momentum update", "784x500 in place", () => noGrad(() => rule.update([W0], [gW0], 0.01, [1]))],
  ];
  const out: OpTiming[] = [];
  for (const [op, shape, fn] of cases) {
    const t = timeCalls(() => void fn(), opts);
    const r = { op, shape, us: t.median * 1e6, best_us: t.best * 1e6 };
    out.push(r);
    onResult(r);
  }
  return out;
}

export function opsMain(args: string[]): number {
  const json = args.includes("--json");
  const quick = args.includes("--quick");
  const kern = activeCpuKernels();
  if (!json) {
    process.stdout.write(`engine ops on the CPU backend (kernels: ${kern.name}, ${kern.threads} threads); median of timed batches\n`);
    process.stdout.write(`${"op".padEnd(20)} ${"shape".padEnd(24)} ${"median µs".padStart(10)} ${"best µs".padStart(9)}\n`);
  }
  const results = runOpsBench((r) => {
    process.stdout.write(json ? `${JSON.stringify(r)}\n`
      : `${r.op.padEnd(20)} ${r.shape.padEnd(24)} ${r.us.toFixed(2).padStart(10)} ${r.best_us.toFixed(2).padStart(9)}\n`);
  }, quick);
  if (!json) {
    const add = results[0];
    process.stdout.write(`\ntarget: 5x192 add with autodiff bookkeeping < ${ADD_TARGET_US} µs median: ${add.us.toFixed(2)} µs — ${add.us < ADD_TARGET_US ? "met" : "NOT met"}\n`);
  }
  return 0;
}
