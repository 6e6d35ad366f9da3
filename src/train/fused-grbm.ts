import type { Tensor } from "../engine/index.js";
import { WebGpuBackend } from "../engine/backends/webgpu/backend.js";
import { GRBM_DISPATCHES_PER_STEP, GrbmSmdStep, grbmStepUnfit, type GrbmStepSettings } from "../engine/backends/webgpu/grbm-step.js";
import type { GpuBuffer } from "../engine/backends/webgpu/runtime.js";
import type { Cost } from "../costs/cost.js";
import { SMD } from "../costs/smd.js";
import type { DenseDesignMatrix } from "../data/dataset.js";
import { GaussianCorruptor } from "../models/corruptors.js";
import { GaussianBinaryRBM } from "../models/grbm.js";
import { GrbmType1 } from "../models/grbm-energy.js";
import type { Model } from "../models/model.js";
import type { BatchSelection } from "./iterator.js";
import type { LearningRule } from "./learning-rules.js";
import { ExponentialDecay, LinearDecay, type UpdateCallback } from "./update-callbacks.js";

/** A training step that replaces SGD's generic one: the batch, gradients, update and constraints. */
export interface FusedStep {
  /** Kernel dispatches one step records. */
  readonly dispatchesPerStep: number;
  /** One step on the rows `sel` with learning rate `lr` (the SGD's, read every step). */
  step(sel: BatchSelection, lr: number): void;
}

export interface FusedStepSetup {
  model: Model;
  cost: Cost;
  dataset: DenseDesignMatrix;
  learningRule: LearningRule | null;
  updateCallbacks: readonly UpdateCallback[];
  /** SGD's parameters and their learning-rate scales, in the model's params() order. */
  params: readonly Tensor[];
  scales: readonly number[];
  batchSize: number;
}

/**
 * The fused GRBM tutorial step (two kernels, see src/engine/backends/webgpu/wgsl/grbm.ts) when the
 * experiment is exactly what it computes, else null and SGD takes its generic step:
 * - the webgpu backend;
 * - a GaussianBinaryRBM (the class itself) with the grbm_type_1 energy;
 * - SMD (the class itself) with a GaussianCorruptor;
 * - plain SGD (no learning rule); update callbacks only ExponentialDecay / LinearDecay, which
 *   change the learning rate, read here every step;
 * - a geometry that fits the device (grbmStepUnfit), and a dataset that fits one storage binding.
 * The corruptor's noise is still drawn on the host by its own generator, exactly as
 * GaussianCorruptor.corrupt draws it, so CPU and GPU runs see the same noise, the monitor after
 * a step finds the generator where it would be, and --resume stays exact.
 */
export function fusedGrbmStep(s: FusedStepSetup): FusedStep | null {
  const { model, cost } = s;
  if (s.learningRule !== null) return null;
  if (!s.updateCallbacks.every((c) => c instanceof ExponentialDecay || c instanceof LinearDecay)) return null;
  if (!(model instanceof GaussianBinaryRBM) || model.constructor !== GaussianBinaryRBM) return null;
  if (model.energyFunction.constructor !== GrbmType1) return null;
  if (!(cost instanceof SMD) || cost.constructor !== SMD) return null;
  const corruptor = cost.corruptor;
  if (!(corruptor instanceof GaussianCorruptor) || corruptor.constructor !== GaussianCorruptor) return null;
  const backend = model.W.backend;
  if (!(backend instanceof WebGpuBackend)) return null;
  const mine = model.params();
  if (mine.length !== s.params.length || mine.some((p, i) => p !== s.params[i])) return null;
  const geometry = { nvis: model.W.shape[0], nhid: model.W.shape[1], batch: s.batchSize };
  if (s.dataset.dim !== geometry.nvis || grbmStepUnfit(backend.rt, geometry) !== null) return null;
  const X = backend.datasetOnDevice(s.dataset.X); // null: the dataset is larger than one storage binding
  if (!X) return null;

  const kernels = new GrbmSmdStep(backend.rt, geometry, X);
  const scales = [...s.scales, 0]; // sigma_driver's scale is unused when sigma is not learned
  // GaussianCorruptor.corrupt's draw, from the corruptor's own generator.
  const fillNoise = (out: Float32Array) => void corruptor.fillNoise(out);
  const settings: GrbmStepSettings = {
    alpha: [0, 0, 0, 0],
    learnSigma: model.learnSigma,
    driverMin: model.minSigma / model.sigmaLrScale,
    driverMax: model.maxSigma / model.sigmaLrScale,
    sigmaLrScale: model.sigmaLrScale,
    noiseStdev: corruptor.stdev,
  };
  return {
    dispatchesPerStep: GRBM_DISPATCHES_PER_STEP,
    step(sel, lr) {
      for (let i = 0; i < 4; i++) settings.alpha[i] = -lr * scales[i];
      const buf = (t: Tensor) => t.data as GpuBuffer;
      const p = { W: buf(model.W), biasVis: buf(model.biasVis), biasHid: buf(model.biasHid), sigmaDriver: buf(model.sigmaDriver) };
      kernels.step(p, sel, fillNoise, settings);
    },
  };
}
