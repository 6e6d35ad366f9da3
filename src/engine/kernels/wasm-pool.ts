import { Worker } from "node:worker_threads";

/**
 * Worker threads over one shared WebAssembly memory, driven synchronously from the calling
 * thread. Control words live in that memory (Int32 indices below, from `ctrlIndex`):
 *   GEN      bumped once per job; idle workers sleep in Atomics.wait on it (no spinning)
 *   PENDING  workers still busy with the current job; the caller sleeps on it after its own part
 *   READY    workers that have instantiated the module (start-up handshake)
 *   QUIT     set with a final GEN bump to end the workers
 *   FAILED   workers whose part threw (the job is then reported as failed)
 * Workers are unref()'d, so an idle pool never keeps the process alive.
 */
const GEN = 0, PENDING = 1, READY = 2, QUIT = 3, FAILED = 4;
export const POOL_CTRL_INTS = 8;

// Runs inside each worker (CommonJS, evaluated from this string so src/ and dist/ need no
// separate worker file). `dl_sgemm_task(args, part)` computes part `part` of the job in `args`.
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, ctrlIndex, argsPtr, part } = workerData;
const run = new WebAssembly.Instance(module, { env: { memory } }).exports.dl_sgemm_task;
const ctl = new Int32Array(memory.buffer, ctrlIndex * 4, ${POOL_CTRL_INTS});
let gen = Atomics.load(ctl, ${GEN});
Atomics.add(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
for (;;) {
  Atomics.wait(ctl, ${GEN}, gen);
  const g = Atomics.load(ctl, ${GEN});
  if (g === gen) continue;
  gen = g;
  if (Atomics.load(ctl, ${QUIT}) !== 0) break;
  try { run(argsPtr, part); } catch (e) { Atomics.add(ctl, ${FAILED}, 1); }
  if (Atomics.sub(ctl, ${PENDING}, 1) === 1) Atomics.notify(ctl, ${PENDING});
}
`;

export class WasmPool {
  private readonly ctl: Int32Array;
  private readonly workers: Worker[] = [];

  /**
   * Starts `workers` threads and waits (synchronously, up to `startTimeoutMs`) until each has
   * instantiated the module; throws if they do not come up, after stopping them.
   */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrlIndex: number, argsPtr: number,
              workers: number, startTimeoutMs = 30_000) {
    this.ctl = new Int32Array(memory.buffer, ctrlIndex * 4, POOL_CTRL_INTS);
    this.ctl.fill(0);
    for (let i = 0; i < workers; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctrlIndex, argsPtr, part: i + 1 } });
      w.unref();
      w.on("error", () => { /* reported through READY/FAILED; an unhandled event would crash the caller */ });
      this.workers.push(w);
    }
    const deadline = Date.now() + startTimeoutMs;
    for (let r = Atomics.load(this.ctl, READY); r < workers; r = Atomics.load(this.ctl, READY)) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.ctl, READY, r, left) === "timed-out") {
        this.close();
        throw new Error(`only ${Atomics.load(this.ctl, READY)} of ${workers} kernel worker threads started within ${startTimeoutMs} ms`);
      }
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Runs one job: wakes the workers (parts 1..size), runs part 0 here via `runOwnPart`, then
   * sleeps until every worker is done. Returns false when a worker's part failed.
   */
  run(runOwnPart: () => void): boolean {
    const ctl = this.ctl;
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, PENDING, this.workers.length);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    try {
      runOwnPart();
    } finally {
      for (let p = Atomics.load(ctl, PENDING); p !== 0; p = Atomics.load(ctl, PENDING)) Atomics.wait(ctl, PENDING, p);
    }
    return Atomics.load(ctl, FAILED) === 0;
  }

  /** Ends the workers (they also end with the process). */
  close(): void {
    Atomics.store(this.ctl, QUIT, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
