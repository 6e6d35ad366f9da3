import type { DenseDesignMatrix } from "../data/dataset.js";
import type { Model } from "../models/model.js";
import type { LearningRule } from "./learning-rules.js";
import type { Monitor } from "./monitor.js";

/** What an algorithm hands a checkpoint: JSON-able scalars plus named float tensors. */
export interface AlgorithmState {
  json: Record<string, unknown>;
  tensors: Record<string, { shape: number[]; data: Float32Array | Int32Array }>;
}

/** Where the algorithm is inside a pass, for progress bars. */
export interface EpochProgress {
  batch: number;
  numBatches: number;
  examples: number;
  numExamples: number;
}

/**
 * pylearn2's TrainingAlgorithm, split so the Train loop can interleave steps with progress,
 * signal checks and mid-epoch checkpoints: `beginEpoch` starts a pass over the data, each
 * `step()` trains on one batch (false once the pass is over).
 */
export interface TrainingAlgorithm {
  readonly className: string;
  learningRate: number;
  readonly learningRule: LearningRule | null;
  /** Checks and prepares everything; returns the parameter summary lines (name, shape, initial lr). */
  setup(model: Model, dataset: DenseDesignMatrix, monitor: Monitor): string[];
  beginEpoch(): void;
  step(): boolean;
  progress(): EpochProgress;
  /** One value per monitor channel, from the monitoring datasets; `pause` is awaited between batches. */
  monitorValues(pause?: () => Promise<void>): Promise<Record<string, number>>;
  continueLearning(monitor: Monitor): boolean;
  /** Whether an epoch is under way (begun, not finished). */
  readonly inEpoch: boolean;
  state(): AlgorithmState;
  loadState(s: AlgorithmState): void;
}
