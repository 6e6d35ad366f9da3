import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { affineRowRange, gramRowRange } from "./row-kernels.js";

/**
 * Row-parallel execution of the whitening kernels on worker threads, behind a synchronous API:
 * the rows are split into one contiguous range per thread, the workers run theirs while this
 * thread runs the first, and Atomics.wait blocks until every worker has stored its "done" flag.
 * Inputs travel in SharedArrayBuffers (copied there once if needed). Workers are started once,
 * lazily, and unref'd.
 *
 * The Gram matrix is summed over fixed chunks of GRAM_CHUNK rows, one partial matrix each, added
 * in chunk order whatever the thread count: the result (and so a whitened dataset file) is
 * bit-identical on 1 core or 64.
 *
 * Threads: DL_THREADS, else every core (as the compute kernels). Small inputs stay on this thread.
 */

/** Below this many input values the thread hand-off costs more than it saves. */
const MIN_PARALLEL_VALUES = 1 << 20;
/** Rows per Gram partial sum (a multiple of the kernel's 256-row block). */
const GRAM_CHUNK = 16384;

function threadCount(): number {
  const raw = process.env.DL_THREADS;
  const n = raw && /^\d+$/.test(raw.trim()) ? Number(raw) : availableParallelism();
  return Math.max(1, Math.min(16, n));
}

const WORKER_SOURCE = `
"use strict";
// Transpilers may wrap functions in a __name(...) helper to keep their names; make it harmless here.
var __name = (f) => f;
const gramRowRange = ${gramRowRange.toString()};
const affineRowRange = ${affineRowRange.toString()};
const { parentPort } = require("node:worker_threads");
parentPort.on("message", (m) => {
  const flag = new Int32Array(m.flag);
  try {
    const X = new Float32Array(m.X, m.xOffset, m.xLength);
    const mean = m.mean ? new Float64Array(m.mean) : null;
    if (m.op === "gram") {
      for (let c = m.c0; c < m.c1; c++) {
        const r1 = Math.min(m.n, (c + 1) * m.chunk);
        gramRowRange(X, m.d, c * m.chunk, r1, mean, new Float64Array(m.G, 8 * m.dp * m.dp * c, m.dp * m.dp), m.dp);
      }
    } else {
      affineRowRange(X, m.d, m.r0, m.r1, mean, new Float64Array(m.Pq), m.k, m.kp, new Float32Array(m.out));
    }
    Atomics.store(flag, m.slot, 1);
  } catch (e) {
    Atomics.store(flag, m.slot, 2);
  }
  Atomics.notify(flag, m.slot);
});
`;

let pool: Worker[] = [];

function workers(count: number): Worker[] {
  while (pool.length < count) {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    // A worker that dies is dropped from the pool; the call waiting on it reports the failure.
    w.on("error", () => (pool = pool.filter((x) => x !== w)));
    pool.push(w);
  }
  return pool.slice(0, count);
}

function shared<T extends Float32Array | Float64Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) return a;
  const s = new (a.constructor as { new (b: SharedArrayBuffer): T })(new SharedArrayBuffer(a.byteLength));
  s.set(a as never);
  return s;
}

interface GramArgs {
  X: Float32Array;
  d: number;
  mean: Float64Array | null;
  dp: number;
}
interface AffineArgs {
  X: Float32Array;
  d: number;
  mean: Float64Array | null;
  Pq: Float64Array;
  k: number;
  kp: number;
  out: Float32Array;
}

/** Runs `op` over rows [0, n): returns the Gram matrix (dp x dp) for "gram"; fills args.out for "affine". */
export function parallelRows(op: "gram", n: number, d: number, args: GramArgs): Float64Array;
export function parallelRows(op: "affine", n: number, d: number, args: AffineArgs): Float64Array;
export function parallelRows(op: "gram" | "affine", n: number, d: number, args: GramArgs | AffineArgs): Float64Array {
  const units = op === "gram" ? Math.max(1, Math.ceil(n / GRAM_CHUNK)) : Math.max(1, Math.ceil(n / 1024));
  const threads = n * d >= MIN_PARALLEL_VALUES ? Math.min(threadCount(), units) : 1;
  if (op === "gram") return gram(n, d, args as GramArgs, threads);
  affine(n, d, args as AffineArgs, threads);
  return new Float64Array(0);
}

/** Splits [0, count) into `parts` contiguous ranges of near-equal size. */
function split(count: number, parts: number, align = 1): Array<[number, number]> {
  const per = Math.ceil(count / parts / align) * align;
  const out: Array<[number, number]> = [];
  for (let s = 0; s < count; s += per) out.push([s, Math.min(count, s + per)]);
  return out;
}

/** Waits for workers 1..count-1 of `flag`, throwing if one failed. */
function join(flag: Int32Array, count: number): void {
  for (let i = 1; i < count; i++) {
    // Ten minutes is far beyond any real run; it turns a crashed worker into an error instead of a hang.
    const r = Atomics.wait(flag, i, 0, 600_000);
    if (r === "timed-out" || Atomics.load(flag, i) !== 1) {
      throw new Error(`whitening worker thread ${i} failed (${r === "timed-out" ? "no answer" : "it threw"}); run with DL_THREADS=1 to avoid threads`);
    }
  }
}

function gram(n: number, d: number, a: GramArgs, threads: number): Float64Array {
  const dp = a.dp;
  const chunks = Math.max(1, Math.ceil(n / GRAM_CHUNK));
  const size = dp * dp;
  const par = threads > 1;
  const partials = par ? new Float64Array(new SharedArrayBuffer(8 * size * chunks)) : new Float64Array(size * chunks);
  const runChunk = (X: Float32Array, mean: Float64Array | null, c: number) =>
    gramRowRange(X, d, c * GRAM_CHUNK, Math.min(n, (c + 1) * GRAM_CHUNK), mean, partials.subarray(c * size, (c + 1) * size), dp);
  if (!par) {
    for (let c = 0; c < chunks; c++) runChunk(a.X, a.mean, c);
  } else {
    const X = shared(a.X);
    const mean = a.mean ? shared(a.mean) : null;
    const ranges = split(chunks, threads);
    const flag = new Int32Array(new SharedArrayBuffer(4 * ranges.length));
    const team = workers(ranges.length - 1);
    for (let i = 1; i < ranges.length; i++) {
      team[i - 1].postMessage({
        op: "gram", slot: i, flag: flag.buffer, X: X.buffer, xOffset: X.byteOffset, xLength: X.length, d, n, dp,
        mean: mean?.buffer ?? null, G: partials.buffer, chunk: GRAM_CHUNK, c0: ranges[i][0], c1: ranges[i][1],
      });
    }
    for (let c = ranges[0][0]; c < ranges[0][1]; c++) runChunk(X, mean, c);
    join(flag, ranges.length);
  }
  // Partials are added in chunk order, so the sum does not depend on how chunks were shared out.
  const G = new Float64Array(size);
  for (let c = 0; c < chunks; c++) {
    const p = partials.subarray(c * size, (c + 1) * size);
    for (let j = 0; j < size; j++) G[j] += p[j];
  }
  return G;
}

function affine(n: number, d: number, a: AffineArgs, threads: number): void {
  if (threads <= 1) {
    affineRowRange(a.X, d, 0, n, a.mean, a.Pq, a.k, a.kp, a.out);
    return;
  }
  // Each row is computed by one thread in the same order, so the split cannot change a value.
  const ranges = split(n, threads, 4);
  const X = shared(a.X);
  const mean = a.mean ? shared(a.mean) : null;
  const Pq = shared(a.Pq);
  const out = shared(a.out);
  const flag = new Int32Array(new SharedArrayBuffer(4 * ranges.length));
  const team = workers(ranges.length - 1);
  for (let i = 1; i < ranges.length; i++) {
    team[i - 1].postMessage({
      op: "affine", slot: i, flag: flag.buffer, X: X.buffer, xOffset: X.byteOffset, xLength: X.length, d,
      mean: mean?.buffer ?? null, r0: ranges[i][0], r1: ranges[i][1], Pq: Pq.buffer, k: a.k, kp: a.kp, out: out.buffer,
    });
  }
  affineRowRange(X, d, ranges[0][0], ranges[0][1], mean, Pq, a.k, a.kp, out);
  join(flag, ranges.length);
  if (out !== a.out) a.out.set(out);
}
