// Training: pylearn2's Train loop, SGD and its learning rules, monitor, termination criteria,
// extensions, checkpoints, and loading saved files back (`!pkl:`).
export { Train, TrainingInterrupted, type TrainOptions, type RunOptions, type TrainResult, type TrainFileInfo } from "./train.js";
export { SGD, type SgdOptions } from "./sgd.js";
export type { TrainingAlgorithm, AlgorithmState, EpochProgress } from "./algorithm.js";
export { Momentum, AdaDelta, AdaGrad, RMSProp, Adam, type LearningRule } from "./learning-rules.js";
export { EpochCounter, MonitorBased, ChannelTarget, And, Or, type TerminationCriterion } from "./termination.js";
export {
  MonitorBasedLRAdjuster,
  MomentumAdjustor,
  LinearDecayOverEpoch,
  OneOverEpoch,
  MonitorBasedSaveBest,
  adjustLearningRate,
  type TrainExtension,
  type TrainContext,
} from "./extensions.js";
export { ExponentialDecay, LinearDecay, type UpdateCallback } from "./update-callbacks.js";
export { Monitor, sortChannelNames, formatChannelValue } from "./monitor.js";
export { planBatches, SubsetIterator, type IterationMode, type BatchPlan } from "./iterator.js";
export { makeBatch } from "./batch.js";
export { ConsoleReporter, SILENT, type TrainReporter } from "./reporter.js";
export { readCheckpoint, writeCheckpoint, checkpointPathFor, CHECKPOINT_FORMAT } from "./checkpoint.js";
export { loadModel, makePklLoader } from "./load.js";
export { trainFile, loadTrainExperiment, type TrainFileOptions } from "./run.js";
export { loadPhases, type PhasedExperiment } from "./phases.js";
