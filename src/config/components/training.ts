import { z } from "zod";
import { component, defineComponent, type AnyComponentDef } from "../registry.js";
import * as B from "../../train/builders.js";

/**
 * The training toolbox: Train, the algorithms (SGD, BGD), learning rules, termination criteria,
 * Train extensions and SGD update callbacks. Schemas follow pylearn2's constructor signatures
 * (pylearn2/train.py, training_algorithms/{sgd,bgd,learning_rule}.py, termination_criteria/__init__.py,
 * train_extensions/best_params.py) with their defaults; `None` defaults are `null`.
 * Build functions live in src/train/builders.ts.
 */

const TA = "pylearn2.training_algorithms";

/** A dataset, or pylearn2's dict of named monitoring datasets ({valid: ..., test: ...}). */
const monitoringDatasets = z.union([component("dataset"), z.record(z.string(), component("dataset"))]);

export const Train = defineComponent({
  name: "Train",
  build: B.buildTrain,
  aliases: ["pylearn2.train.Train"],
  kind: "train",
  description: "The main loop: trains `model` on `dataset` with `algorithm`, calling extensions and saving.",
  schema: z
    .object({
      dataset: component("dataset").describe("the training dataset"),
      model: component("model").describe("the model to train"),
      algorithm: component("algorithm").nullable().default(null).describe("the training algorithm (null: the model trains itself)"),
      save_path: z.string().nullable().default(null).describe("where to save the model (null: the YAML's stem + .pkl)"),
      save_freq: z.number().int().min(0).default(0).describe("save every this many epochs (0: only at the end)"),
      extensions: z.array(component("extension")).nullable().default(null).describe("Train extensions, called on each monitor step"),
      allow_overwrite: z.boolean().default(true).describe("whether an existing save_path may be overwritten"),
      device: z
        .enum(["cpu", "webgpu"])
        .default("cpu")
        .describe("where the tensors live and training runs: cpu, or webgpu (a GPU through Dawn; `dl doctor` shows the adapter); dl train --device overrides it"),
    })
    .strict(),
});

export const SGD = defineComponent({
  name: "SGD",
  build: B.buildSGD,
  aliases: [`${TA}.sgd.SGD`],
  kind: "algorithm",
  description: "Minibatch stochastic gradient descent: p <- p - lr * lr_scale(p) * grad (or a learning rule).",
  schema: z
    .object({
      learning_rate: z.number().positive().describe("step size; extensions and update callbacks may change it"),
      cost: component("cost").nullable().default(null).describe("objective to minimise (null: the model's default cost)"),
      batch_size: z.number().int().positive().nullable().default(null).describe("examples per step (null: the model's batch size)"),
      monitoring_batch_size: z.number().int().positive().nullable().default(null).describe("examples per monitoring batch"),
      monitoring_batches: z.number().int().positive().nullable().default(null).describe("batches drawn from each monitoring dataset"),
      monitoring_dataset: monitoringDatasets.nullable().default(null).describe("dataset, or {name: dataset}, to monitor (channels prefixed name_)"),
      monitor_iteration_mode: z.enum(["sequential", "shuffled_sequential", "random_uniform"]).default("sequential").describe("order of monitoring examples"),
      termination_criterion: component("termination").nullable().default(null).describe("when to stop (null: never)"),
      update_callbacks: z
        .union([component("update_callback"), z.array(component("update_callback"))])
        .nullable()
        .default(null)
        .describe("callables run after every step (e.g. ExponentialDecay)"),
      learning_rule: component("learning_rule").nullable().default(null).describe("update rule (null: plain SGD)"),
      set_batch_size: z.boolean().default(false).describe("force the model's batch size to batch_size"),
      train_iteration_mode: z
        .enum(["sequential", "shuffled_sequential", "random_uniform", "batchwise_shuffled_sequential"])
        .nullable()
        .default(null)
        .describe("order of training examples (null: shuffled_sequential)"),
      batches_per_iter: z.number().int().positive().nullable().default(null).describe("batches per epoch (null: the whole dataset)"),
      theano_function_mode: z.null().default(null).describe("accepted for compatibility; must be null"),
      monitoring_costs: z.record(z.string(), component("cost")).nullable().default(null).describe("extra {name: cost} to monitor"),
      seed: z
        .union([z.number().int(), z.array(z.number().int())])
        .default([2012, 10, 5])
        .describe("seed for the training-set iterator"),
    })
    .strict(),
});

export const BGD = defineComponent({
  name: "BGD",
  build: B.buildBGD,
  aliases: [`${TA}.bgd.BGD`],
  kind: "algorithm",
  description: "Batch gradient descent with line search (optionally nonlinear conjugate gradient).",
  schema: z
    .object({
      cost: component("cost").nullable().default(null).describe("objective (null: the model's default cost)"),
      batch_size: z.number().int().positive().nullable().default(null).describe("examples per batch"),
      batches_per_iter: z.number().int().positive().nullable().default(null).describe("batches per epoch"),
      updates_per_batch: z.number().int().positive().default(10).describe("line-search updates on each batch"),
      monitoring_batch_size: z.number().int().positive().nullable().default(null).describe("examples per monitoring batch"),
      monitoring_batches: z.number().int().positive().nullable().default(null).describe("batches drawn from each monitoring dataset"),
      monitoring_dataset: monitoringDatasets.nullable().default(null).describe("dataset, or {name: dataset}, to monitor"),
      termination_criterion: component("termination").nullable().default(null).describe("when to stop"),
      set_batch_size: z.boolean().default(false).describe("force the model's batch size to batch_size"),
      reset_alpha: z.boolean().default(true).describe("restart the step size search each batch"),
      conjugate: z.boolean().default(false).describe("use nonlinear conjugate gradient directions"),
      min_init_alpha: z.number().positive().default(0.001).describe("smallest initial step size"),
      reset_conjugate: z.boolean().default(true).describe("restart conjugate directions each batch"),
      line_search_mode: z.enum(["exhaustive"]).nullable().default(null).describe("null (default search) or exhaustive"),
      verbose_optimization: z.boolean().default(false).describe("log each line-search step"),
      scale_step: z.number().positive().default(1).describe("multiply the step found by this"),
      theano_function_mode: z.null().default(null).describe("accepted for compatibility; must be null"),
      init_alpha: z.array(z.number().positive()).nullable().default(null).describe("step sizes tried first"),
      seed: z.union([z.number().int(), z.array(z.number().int())]).nullable().default(null).describe("iterator seed"),
    })
    .strict(),
});

// --- learning rules ---------------------------------------------------------------------------

export const Momentum = defineComponent({
  name: "Momentum",
  build: B.buildMomentum,
  aliases: [`${TA}.learning_rule.Momentum`],
  kind: "learning_rule",
  description: "Classical momentum: v <- m v - lr g; p <- p + v (Nesterov optional).",
  schema: z
    .object({
      init_momentum: z.number().min(0).lt(1).describe("momentum coefficient m in [0, 1)"),
      nesterov_momentum: z.boolean().default(false).describe("use Nesterov's accelerated momentum"),
    })
    .strict(),
});

export const AdaDelta = defineComponent({
  name: "AdaDelta",
  build: B.buildAdaDelta,
  aliases: [`${TA}.learning_rule.AdaDelta`],
  kind: "learning_rule",
  description: "AdaDelta (Zeiler 2012): steps scaled by running RMS of updates over running RMS of gradients.",
  schema: z.object({ decay: z.number().min(0).lt(1).default(0.95).describe("decay of the running averages, in [0, 1)") }).strict(),
});

export const AdaGrad = defineComponent({
  name: "AdaGrad",
  build: B.buildAdaGrad,
  aliases: [`${TA}.learning_rule.AdaGrad`],
  kind: "learning_rule",
  description: "AdaGrad: steps divided by the root of the summed squared gradients.",
  schema: z.object({ max_scaling: z.number().positive().default(1e5).describe("largest gradient scaling (eps = 1/max_scaling)") }).strict(),
});

export const RMSProp = defineComponent({
  name: "RMSProp",
  build: B.buildRMSProp,
  aliases: [`${TA}.learning_rule.RMSProp`],
  kind: "learning_rule",
  description: "RMSProp: steps divided by a running RMS of recent gradients.",
  schema: z
    .object({
      decay: z.number().min(0).lt(1).default(0.9).describe("decay of the running mean square, in [0, 1)"),
      max_scaling: z.number().positive().default(1e5).describe("largest gradient scaling"),
    })
    .strict(),
});

export const Adam = defineComponent({
  name: "Adam",
  build: B.buildAdam,
  aliases: [`${TA}.learning_rule.Adam`],
  kind: "learning_rule",
  description: "Adam (Kingma & Ba 2015): bias-corrected first and second moment estimates.",
  schema: z
    .object({
      beta1: z.number().min(0).lt(1).default(0.9).describe("decay of the first moment"),
      beta2: z.number().min(0).lt(1).default(0.999).describe("decay of the second moment"),
      epsilon: z.number().positive().default(1e-8).describe("added to the denominator"),
    })
    .strict(),
});

// --- termination criteria ---------------------------------------------------------------------

export const EpochCounter = defineComponent({
  name: "EpochCounter",
  build: B.buildEpochCounter,
  aliases: ["pylearn2.termination_criteria.EpochCounter"],
  kind: "termination",
  description: "Stop after max_epochs epochs.",
  schema: z
    .object({
      max_epochs: z.number().int().min(0).describe("number of epochs to train"),
      new_epochs: z.boolean().default(true).describe("count from this run's start (false: from the model's total)"),
    })
    .strict(),
});

export const MonitorBased = defineComponent({
  name: "MonitorBased",
  build: B.buildMonitorBased,
  aliases: ["pylearn2.termination_criteria.MonitorBased"],
  kind: "termination",
  description: "Stop when a channel has not fallen below (1 - prop_decrease) * best for N epochs.",
  schema: z
    .object({
      prop_decrease: z.number().min(0).max(1).default(0.01).describe("required proportional improvement"),
      N: z.number().int().positive().default(5).describe("epochs allowed without improvement"),
      channel_name: z.string().nullable().default(null).describe("channel to watch (null: the objective)"),
    })
    .strict(),
});

export const ChannelTarget = defineComponent({
  name: "ChannelTarget",
  build: B.buildChannelTarget,
  aliases: ["pylearn2.termination_criteria.ChannelTarget"],
  kind: "termination",
  description: "Stop when a channel reaches target or below.",
  schema: z
    .object({
      channel_name: z.string().describe("channel to watch"),
      target: z.number().describe("stop when the channel is <= target"),
    })
    .strict(),
});

export const MatchChannel = defineComponent({
  name: "MatchChannel",
  build: B.buildMatchChannel,
  aliases: ["pylearn2.termination_criteria.MatchChannel"],
  kind: "termination",
  description: "Stop when a channel falls to the last value a channel had in an earlier monitor (one push_monitor set aside).",
  schema: z
    .object({
      channel_name: z.string().describe("channel to watch (e.g. valid_objective)"),
      prev_channel_name: z.string().describe("channel of the earlier monitor whose last value is the target (e.g. train_objective)"),
      prev_monitor_name: z.string().describe("the name push_monitor gave the earlier monitor"),
    })
    .strict(),
});

const criteria = z.array(component("termination")).min(1).describe("the criteria to combine");

export const And = defineComponent({
  name: "And",
  build: B.buildAnd,
  aliases: ["pylearn2.termination_criteria.And"],
  kind: "termination",
  description: "Keep learning while every criterion says continue (stop when any says stop).",
  schema: z.object({ criteria }).strict(),
});

export const Or = defineComponent({
  name: "Or",
  build: B.buildOr,
  aliases: ["pylearn2.termination_criteria.Or"],
  kind: "termination",
  description: "Keep learning while any criterion says continue.",
  schema: z.object({ criteria }).strict(),
});

// --- Train extensions -------------------------------------------------------------------------

export const MonitorBasedLRAdjuster = defineComponent({
  name: "MonitorBasedLRAdjuster",
  build: B.buildMonitorBasedLRAdjuster,
  aliases: [`${TA}.sgd.MonitorBasedLRAdjuster`],
  kind: "extension",
  description: "Each epoch: lr *= shrink_amt if the channel rose past high_trigger, *= grow_amt if it fell too little.",
  schema: z
    .object({
      high_trigger: z.number().positive().default(1).describe("shrink when v[-1] > high_trigger * v[-2]"),
      shrink_amt: z.number().positive().default(0.99).describe("factor applied when shrinking"),
      low_trigger: z.number().positive().default(0.99).describe("grow when v[-1] > low_trigger * v[-2]"),
      grow_amt: z.number().positive().default(1.01).describe("factor applied when growing"),
      min_lr: z.number().min(0).default(1e-7).describe("lower clip of the learning rate"),
      max_lr: z.number().positive().default(1).describe("upper clip of the learning rate"),
      dataset_name: z.string().nullable().default(null).describe("monitoring dataset whose objective to watch"),
      channel_name: z.string().nullable().default(null).describe("channel to watch (null: the objective)"),
    })
    .strict(),
});

export const MomentumAdjustor = defineComponent({
  name: "MomentumAdjustor",
  build: B.buildMomentumAdjustor,
  aliases: [`${TA}.learning_rule.MomentumAdjustor`],
  kind: "extension",
  description: "Moves the momentum linearly to final_momentum between epochs start and saturate.",
  schema: z
    .object({
      final_momentum: z.number().min(0).lt(1).describe("momentum reached at epoch saturate"),
      start: z.number().int().min(0).describe("epoch at which the momentum starts to change"),
      saturate: z.number().int().min(0).describe("epoch at which it reaches final_momentum (>= start)"),
    })
    .strict()
    .refine((a) => a.saturate >= a.start, { message: "saturate must be >= start", path: ["saturate"] }),
});

export const LinearDecayOverEpoch = defineComponent({
  name: "LinearDecayOverEpoch",
  build: B.buildLinearDecayOverEpoch,
  aliases: [`${TA}.sgd.LinearDecayOverEpoch`],
  kind: "extension",
  description: "Scales the learning rate linearly to decay_factor * initial between epochs start and saturate.",
  schema: z
    .object({
      start: z.number().int().positive().describe("epoch at which decay starts"),
      saturate: z.number().int().positive().describe("epoch at which decay_factor is reached (> start)"),
      decay_factor: z.number().positive().describe("final learning rate / initial learning rate"),
    })
    .strict()
    .refine((a) => a.saturate > a.start, { message: "saturate must be > start", path: ["saturate"] }),
});

export const OneOverEpoch = defineComponent({
  name: "OneOverEpoch",
  build: B.buildOneOverEpoch,
  aliases: [`${TA}.sgd.OneOverEpoch`],
  kind: "extension",
  description: "Scales the learning rate like half_life / (epoch - start + half_life) after epoch start.",
  schema: z
    .object({
      start: z.number().int().min(0).describe("epoch at which shrinking starts"),
      half_life: z.number().int().positive().nullable().default(null).describe("epochs to lose half (null: start + 1)"),
      min_lr: z.number().min(0).default(1e-6).describe("lower clip of the learning rate"),
    })
    .strict(),
});

export const MonitorBasedSaveBest = defineComponent({
  name: "MonitorBasedSaveBest",
  build: B.buildMonitorBasedSaveBest,
  aliases: ["pylearn2.train_extensions.best_params.MonitorBasedSaveBest"],
  kind: "extension",
  description: "Saves the model each time a channel reaches a new best value.",
  schema: z
    .object({
      channel_name: z.string().describe("channel to watch"),
      save_path: z.string().nullable().default(null).describe("where to save the best model"),
      store_best_model: z.boolean().default(false).describe("also keep a copy of the best model in memory"),
      start_epoch: z.number().int().min(0).default(0).describe("ignore epochs before this one"),
      higher_is_better: z.boolean().default(false).describe("maximise the channel instead of minimising"),
      tag_key: z.string().nullable().default(null).describe("model tag under which to record the best epoch"),
    })
    .strict()
    .refine((a) => a.save_path !== null || a.store_best_model, {
      message: "give save_path or set store_best_model: True (otherwise the best model goes nowhere)",
      path: ["save_path"],
    }),
});

// --- SGD update callbacks (run after every step) ----------------------------------------------

export const ExponentialDecay = defineComponent({
  name: "ExponentialDecay",
  build: B.buildExponentialDecay,
  aliases: [`${TA}.sgd.ExponentialDecay`],
  kind: "update_callback",
  description: "After step t the learning rate is init_lr / decay_factor^t, not below min_lr.",
  schema: z
    .object({
      decay_factor: z.number().positive().describe("divide the learning rate by this after every step"),
      min_lr: z.number().min(0).describe("lower clip of the learning rate"),
    })
    .strict(),
});

export const LinearDecay = defineComponent({
  name: "LinearDecay",
  build: B.buildLinearDecay,
  aliases: [`${TA}.sgd.LinearDecay`],
  kind: "update_callback",
  description: "Scales the learning rate linearly to decay_factor * initial between steps start and saturate.",
  schema: z
    .object({
      start: z.number().positive().describe("step at which decay starts"),
      saturate: z.number().positive().describe("step at which decay_factor is reached (> start)"),
      decay_factor: z.number().positive().describe("final learning rate / initial learning rate"),
    })
    .strict()
    .refine((a) => a.saturate > a.start, { message: "saturate must be > start", path: ["saturate"] }),
});

export const TRAINING_COMPONENTS: readonly AnyComponentDef[] = [
  Train,
  SGD,
  BGD,
  Momentum,
  AdaDelta,
  AdaGrad,
  RMSProp,
  Adam,
  EpochCounter,
  MonitorBased,
  ChannelTarget,
  MatchChannel,
  And,
  Or,
  MonitorBasedLRAdjuster,
  MomentumAdjustor,
  LinearDecayOverEpoch,
  OneOverEpoch,
  MonitorBasedSaveBest,
  ExponentialDecay,
  LinearDecay,
];
