/// <reference types="@webgpu/types" />
import { MAX_GROUPS_X, grid1d, type GpuBuffer, type GpuRuntime, type KernelSpec } from "./runtime.js";
import { SubmitStage } from "./submit-stage.js";
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
export function grbmStepUnfit(rt: GpuRuntime, g: GrbmStepGeometry): string | null {
  const lim = rt.device.limits;
  if (grbmRowsSharedBytes(g.nvis, g.nhid) > lim.maxComputeWorkgroupStorageSize) return `nvis + nhid too large for workgroup memory`;
  if (g.batch > lim.maxComputeWorkgroupsPerDimension) return "batch too large";
  if (Math.ceil(grbmUpdateCount(g.nvis, g.nhid) / GRBM_UPDATE_WG) > MAX_GROUPS_X * MAX_GROUPS_X) return "model too large";
  return null;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function bits(v: number): number {
  f32[0] = v;
  return u32[0];
}

/**
 * Runs GRBM + SMD + SGD steps on the device (kernels: ./wgsl/grbm.ts) on a dataset kept there. A
 * step records two dispatches and copies its noise and row indices into a host block (a
 * SubmitStage: written to the device in one write just before the runtime's next submit, which
 * happens when the training loop paces itself, a read-back needs it, or the block is full), so
 * nothing is submitted or read per step. The rows of the step are gathered on the device from the
 * indices.
 */
export class GrbmSmdStep {
  private readonly work: GpuBuffer;
  /** Words of one step's slot in the stage: batch x nvis noise values, then batch row indices. */
  private readonly slotWords: number;
  private readonly stage: SubmitStage;
  private readonly rowsSpec: KernelSpec;
  private readonly updateSpec: KernelSpec;
  private readonly updateGroups: [number, number];

  /**
   * `X`: the dataset on the device (rows of nvis values; the backend's copy, which the monitor
   * shares). `stepsPerBlock`: how many steps' inputs a host block stages (tests make it small).
   */
  constructor(private readonly rt: GpuRuntime, private readonly g: GrbmStepGeometry, private readonly X: GpuBuffer, stepsPerBlock = STEPS_PER_BLOCK) {
    this.work = rt.alloc(grbmWorkLayout(g.nvis, g.nhid, g.batch).size);
    this.slotWords = g.batch * g.nvis + g.batch;
    this.stage = new SubmitStage(rt, stepsPerBlock * this.slotWords);
    this.rowsSpec = grbmRowsKernel(g.nvis, g.nhid, g.batch);
    this.updateSpec = grbmUpdateKernel(g.nvis, g.nhid, g.batch);
    rt.prepare(this.rowsSpec);
    rt.prepare(this.updateSpec);
    this.updateGroups = grid1d(Math.ceil(grbmUpdateCount(g.nvis, g.nhid) / GRBM_UPDATE_WG));
  }

  /**
   * Records one step on the rows `rows` (dataset indices, or a range), `n` of them. `fillNoise`
   * writes the step's n x nvis noise values into the array it is given.
   */
  step(p: GrbmStepParams, rows: { start: number; stop: number } | ArrayLike<number>, fillNoise: (out: Float32Array) => void, s: GrbmStepSettings): void {
    const { nvis, batch } = this.g;
    const n = "start" in rows ? rows.stop - rows.start : rows.length;
    if (n < 1 || n > batch) throw new Error(`GrbmSmdStep: batch of ${n} rows, expected 1..${batch}`);
    // Everything recorded is submitted first when the runtime could not take this step's two
    // dispatches without submitting between them; so is a full block (by `take`).
    this.rt.reserve(GRBM_DISPATCHES_PER_STEP);
    const base = this.stage.take(this.slotWords);
    fillNoise(this.stage.f32.subarray(base, base + n * nvis));
    const idx = base + batch * nvis;
    const u = this.stage.u32;
    if ("start" in rows) for (let r = 0; r < n; r++) u[idx + r] = rows.start + r;
    else for (let r = 0; r < n; r++) u[idx + r] = rows[r];
    // The runtime caches the two bind groups: made again only when a parameter's buffer changed
    // (e.g. a checkpoint was loaded).
    const params = [p.W, p.biasVis, p.biasHid, p.sigmaDriver];
    this.rt.dispatch(this.rowsSpec, [base, bits(s.sigmaLrScale), bits(1 / (s.noiseStdev * s.noiseStdev)), bits(2 / (n * nvis))],
      [this.X, this.stage.buffer, ...params, this.work], [n]);
    this.rt.dispatch(this.updateSpec, [
      n, bits(s.alpha[0]), bits(s.alpha[1]), bits(s.alpha[2]), bits(s.alpha[3]),
      s.learnSigma ? 1 : 0, bits(s.driverMin), bits(s.driverMax), bits(s.sigmaLrScale),
    ], [this.work, ...params], this.updateGroups);
  }
}
