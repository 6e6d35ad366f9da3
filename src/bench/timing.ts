/**
 * Timing for the benches: warm up, then time batches of calls and take the median batch, so one
 * slow batch (a GC, another process) moves nothing. Shared by every sub-bench.
 */
export interface TimingOptions {
  /** Seconds of warm-up calls before timing (JIT tier-up, caches, thread start). */
  warmupSeconds?: number;
  /** Timed batches; the median is reported. */
  batches?: number;
  /** Each batch runs at least this long (calls are repeated to fill it). */
  batchSeconds?: number;
}

export interface Timing {
  /** Median seconds per call. */
  median: number;
  /** Fastest batch's seconds per call. */
  best: number;
  calls: number;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Times `fn` (one call = one unit of work) and returns per-call seconds. */
export function timeCalls(fn: () => void, opts: TimingOptions = {}): Timing {
  const warmup = opts.warmupSeconds ?? 0.3, batches = opts.batches ?? 7, batchSeconds = opts.batchSeconds ?? 0.1;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  let t0 = now(), warmCalls = 0;
  do {
    fn();
    warmCalls++;
  } while (now() - t0 < warmup || warmCalls < 2);
  const perCall = (now() - t0) / warmCalls;
  const reps = Math.max(1, Math.ceil(batchSeconds / perCall));
  const times: number[] = [];
  for (let b = 0; b < batches; b++) {
    t0 = now();
    for (let r = 0; r < reps; r++) fn();
    times.push((now() - t0) / reps);
  }
  times.sort((x, y) => x - y);
  return { median: times[times.length >> 1], best: times[0], calls: warmCalls + reps * batches };
}
