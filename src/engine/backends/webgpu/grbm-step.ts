/// <reference types="@webgpu/types" />
import type { GpuBuffer, GpuRuntime, KernelSpec } from "./runtime.js";
import { MAX_GROUPS_X } from "./runtime.js";
import {
  GRBM_UPDATE_WG, grbmRowsKernel, grbmRowsSharedBytes, grbmUpdateCount, grbmUpdateKernel, grbmWorkLayout,
} from "./wgsl/grbm.js";

/** Steps whose inputs (noise, row indices) are staged on the host and written with one writeBuffer. */
const STEPS_PER_BLOCK = 512;

/** Kernel dispatches per fused step (the rows kernel, then the update kernel). */
export const GRBM_DISPATCHES_PER_STEP = 2;

export interface GrbmStepGeometry {
  nvis: number;
  nhid: number;
  /** The largest batch (a last, smaller batch also runs). */
  batch: number;
}

/** The model's parameter buffers (read every step: a resumed run may have replaced them). */
export interface GrbmStepParams {
  W: GpuBuffer;
  biasVis: GpuBuffer;
  biasHid: GpuBuffer;
  sigmaDriver: GpuBuffer;
}

/** What one step needs besides the data: step sizes and sigma's parameterisation. */
export interface GrbmStepSettings {
  /** -lr * lr_scale for W, bias_vis, bias_hid, sigma_driver. */
  alpha: [number, number, number, number];
  learnSigma: boolean;
  /** Clip bounds of sigma_driver (min_sigma / sigma_lr_scale, max_sigma / sigma_lr_scale). */
  driverMin: number;
  driverMax: number;
  sigmaLrScale: number;
  /** The Gaussian corruptor's stdev. */
  noiseStdev: number;
}

/** Why the fused step cannot run this geometry on this device, or null when it can. */
export function grbmStepUnfit(rt: GpuRuntime, g: GrbmStepGeometry, numExamples: number): string | null {
  const lim = rt.device.limits;
  if (grbmRowsSharedBytes(g.nvis, g.nhid) > lim.maxComputeWorkgroupStorageSize) return `nvis + nhid too large for workgroup memory`;
  if (numExamples * g.nvis * 4 > lim.maxStorageBufferBindingSize) return "the dataset is larger than one storage binding";
  if (g.batch > lim.maxComputeWorkgroupsPerDimension) return "batch too large";
  if (Math.ceil(grbmUpdateCount(g.nvis, g.nhid) / GRBM_UPDATE_WG) > MAX_GROUPS_X * MAX_GROUPS_X) return "model too large";
  return null;
}

/** Marks a collected step's submit hook for removal. */
const collected = new FinalizationRegistry<{ collected: boolean }>((life) => (life.collected = true));

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function bits(v: number): number {
  f32[0] = v;
  return u32[0];
}

/**
 * Runs GRBM + SMD + SGD steps on the device (kernels: ./wgsl/grbm.ts) on a dataset kept there. A step records two dispatches and copies its noise and row indices into a host block; the
 * block goes to the device in one write just before the runtime's next submit (which happens when
 * the training loop paces itself, a read-back needs it, or the block is full), so nothing is
 * submitted or read per step. The rows of the step are gathered on the device from the indices.
 */
export class GrbmSmdStep {
  private readonly X: GpuBuffer;
  private readonly work: GpuBuffer;
  private readonly slotWords: number;
  private readonly host: ArrayBuffer;
  private readonly hostF: Float32Array;
  private readonly hostU: Uint32Array;
  private readonly steps: GpuBuffer;
  /** Slots [0, filled) are staged on the host, not yet written to `steps`. */
  private readonly pending = { filled: 0 };
  private readonly rowsSpec: KernelSpec;
  private readonly updateSpec: KernelSpec;
  private readonly updateGroups: [number, number];

  /**
   * `X`: the dataset on the device (rows of nvis values; the backend's copy, which the monitor
   * shares). `stepsPerBlock`: how many steps' inputs a host block stages (tests make it small).
   */
  constructor(private readonly rt: GpuRuntime, private readonly g: GrbmStepGeometry, X: GpuBuffer, private readonly stepsPerBlock = STEPS_PER_BLOCK) {
    this.X = X;
    this.work = rt.alloc(grbmWorkLayout(g.nvis, g.nhid, g.batch).size);
    this.slotWords = g.batch * g.nvis + g.batch;
    this.host = new ArrayBuffer(stepsPerBlock * this.slotWords * 4);
    this.hostF = new Float32Array(this.host);
    this.hostU = new Uint32Array(this.host);
    this.steps = rt.alloc(stepsPerBlock * this.slotWords);
    this.rowsSpec = grbmRowsKernel(g.nvis, g.nhid, g.batch);
    this.updateSpec = grbmUpdateKernel(g.nvis, g.nhid, g.batch);
    rt.prepare(this.rowsSpec);
    rt.prepare(this.updateSpec);
    const groups = Math.ceil(grbmUpdateCount(g.nvis, g.nhid) / GRBM_UPDATE_WG);
    this.updateGroups = groups <= MAX_GROUPS_X ? [groups, 1] : [MAX_GROUPS_X, Math.ceil(groups / MAX_GROUPS_X)];
    // Before each submit the hook writes the staged slots; the submit then carries every step
    // that reads them, and any later write queues behind it, so the next step starts the block
    // again. The hook holds only what it writes, not this object: once a finished run's step is
    // collected (its dataset buffer with it), it removes itself.
    const { pending, steps, host, slotWords } = this;
    const queue = rt.device.queue;
    const life = { collected: false };
    const remove = rt.beforeSubmit(() => {
      if (pending.filled > 0) queue.writeBuffer(steps.buffer, 0, host, 0, pending.filled * slotWords * 4);
      pending.filled = 0;
      if (life.collected) remove();
    });
    collected.register(this, life);
  }

  /**
   * Records one step on the rows `rows` (dataset indices, or a range), `n` of them. `fillNoise`
   * writes the step's n x nvis noise values into the array it is given.
   */
  step(p: GrbmStepParams, rows: { start: number; stop: number } | ArrayLike<number>, fillNoise: (out: Float32Array) => void, s: GrbmStepSettings): void {
    const { nvis, batch } = this.g;
    const n = "start" in rows ? rows.stop - rows.start : rows.length;
    if (n < 1 || n > batch) throw new Error(`GrbmSmdStep: batch of ${n} rows, expected 1..${batch}`);
    // A full block is written and submitted first; so is everything recorded when the runtime
    // could not take this step's two dispatches without submitting between them.
    if (this.pending.filled === this.stepsPerBlock) this.rt.flush();
    this.rt.reserve(GRBM_DISPATCHES_PER_STEP);
    const slot = this.pending.filled++;
    const base = slot * this.slotWords;
    fillNoise(this.hostF.subarray(base, base + n * nvis));
    const idx = base + batch * nvis;
    if ("start" in rows) for (let r = 0; r < n; r++) this.hostU[idx + r] = rows.start + r;
    else for (let r = 0; r < n; r++) this.hostU[idx + r] = rows[r];
    // The runtime caches the two bind groups: made again only when a parameter's buffer changed
    // (e.g. a checkpoint was loaded).
    const params = [p.W, p.biasVis, p.biasHid, p.sigmaDriver];
    this.rt.dispatch(this.rowsSpec, [base, bits(s.sigmaLrScale), bits(1 / (s.noiseStdev * s.noiseStdev)), bits(2 / (n * nvis))],
      [this.X, this.steps, ...params, this.work], [n]);
    this.rt.dispatch(this.updateSpec, [
      n, bits(s.alpha[0]), bits(s.alpha[1]), bits(s.alpha[2]), bits(s.alpha[3]),
      s.learnSigma ? 1 : 0, bits(s.driverMin), bits(s.driverMax), bits(s.sigmaLrScale),
    ], [this.work, ...params], this.updateGroups);
  }
}
