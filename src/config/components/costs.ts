import { z } from "zod";
import { component, defineComponent, type AnyComponentDef } from "../registry.js";
import type { Corruptor } from "../../models/corruptors.js";
import { SMD as SMDCost } from "../../costs/smd.js";
import { CDk as CDkCost } from "../../costs/cd.js";
import { SML as SMLCost } from "../../costs/sml.js";
import { MeanBinaryCrossEntropy as BCECost, MeanSquaredReconstructionError as MSECost } from "../../costs/reconstruction.js";
import type { Cost } from "../../costs/cost.js";
import { Default as DefaultCost } from "../../costs/mlp-default.js";
import { Hinge as HingeCost } from "../../costs/hinge.js";
import { L1WeightDecay as L1WeightDecayCost, WeightDecay as WeightDecayCost } from "../../costs/weight-decay.js";
import { Dropout as DropoutCost } from "../../costs/dropout.js";
import { SumOfCosts as SumOfCostsCost } from "../../costs/sum-of-costs.js";
import { COST_METHODS, MethodCost as MethodCostCost } from "../../costs/method-cost.js";
import { L1ActivationCost } from "../../costs/l1-activation.js";

/**
 * Costs (objectives). Keyword arguments follow pylearn2's costs/{ebm_estimation,autoencoder,cost}.py and
 * costs/mlp/{__init__,dropout}.py. Hinge is dl's own (the SVM layer's cost). Build functions are
 * attached by src/costs as it lands.
 */

const C = "pylearn2.costs";

export const SMD = defineComponent({
  name: "SMD",
  aliases: [`${C}.ebm_estimation.SMD`],
  kind: "cost",
  description: "Denoising score matching: mean of (score(x~) - (x - x~)/stdev^2)^2 with x~ = corruptor(x).",
  schema: z.object({ corruptor: component<Corruptor>("corruptor").describe("noise process producing x~ (a GaussianCorruptor)") }).strict(),
  build: (a) => new SMDCost(a.corruptor),
});

export const CDk = defineComponent({
  name: "CDk",
  aliases: [`${C}.ebm_estimation.CDk`],
  kind: "cost",
  description: "Contrastive divergence with nsteps Gibbs steps starting at the data.",
  schema: z
    .object({
      nsteps: z.number().int().positive().describe("Gibbs steps k"),
      seed: z.number().int().default(42).describe("seed of the sampling noise"),
      sample_visibles: z
        .boolean()
        .default(true)
        .describe("dl: false hands on the visibles' means, not samples, at each Gibbs step (mean-field reconstruction, Hinton 2010)"),
    })
    .strict(),
  build: (a) => new CDkCost(a.nsteps, a.seed, a.sample_visibles),
});

export const SML = defineComponent({
  name: "SML",
  aliases: [`${C}.ebm_estimation.SML`],
  kind: "cost",
  description: "Stochastic maximum likelihood (persistent CD): batch_size persistent chains, nsteps Gibbs steps per update.",
  schema: z
    .object({
      batch_size: z.number().int().positive().describe("number of persistent chains"),
      nsteps: z.number().int().positive().describe("Gibbs steps per update"),
    })
    .strict(),
  build: (a) => new SMLCost(a.batch_size, a.nsteps),
});

export const L1_ActivationCost = defineComponent({
  name: "L1_ActivationCost",
  aliases: ["pylearn2.models.rbm.L1_ActivationCost"],
  kind: "cost",
  description: "Sparsity of an RBM's hidden units: coeff * mean_j max(|mean_n P(h_j=1|v_n) - target| - eps, 0); add it to CDk in a SumOfCosts.",
  schema: z
    .object({
      target: z.number().min(0).max(1).describe("the wanted mean activation of each hidden unit"),
      eps: z.number().min(0).describe("half-width of the dead zone around target"),
      coeff: z.number().min(0).describe("the penalty's weight"),
    })
    .strict(),
  build: (a) => new L1ActivationCost(a.target, a.eps, a.coeff),
});

export const MeanSquaredReconstructionError = defineComponent({
  name: "MeanSquaredReconstructionError",
  aliases: [`${C}.autoencoder.MeanSquaredReconstructionError`],
  kind: "cost",
  description: "Mean over the batch of the sum of squared reconstruction errors.",
  schema: z.object({}).strict(),
  build: () => new MSECost(),
});

export const MeanBinaryCrossEntropy = defineComponent({
  name: "MeanBinaryCrossEntropy",
  aliases: [`${C}.autoencoder.MeanBinaryCrossEntropy`],
  kind: "cost",
  description: "Mean over the batch of the summed binary cross-entropy of the reconstruction.",
  schema: z.object({}).strict(),
  build: () => new BCECost(),
});

export const Default = defineComponent({
  name: "Default",
  aliases: [`${C}.mlp.Default`],
  kind: "cost",
  description: "The MLP's own cost: its output layer's (e.g. Softmax: negative log-likelihood).",
  schema: z.object({}).strict(),
  build: () => new DefaultCost(),
});

export const Hinge = defineComponent({
  name: "Hinge",
  aliases: [],
  kind: "cost",
  description: "One-vs-rest multiclass hinge for an SVM output layer: batch mean of sum_k max(0, margin - t_k s_k), t_k = +1 for the true class, else -1.",
  schema: z
    .object({
      margin: z.number().positive().default(1).describe("the margin"),
      squared: z.boolean().default(false).describe("square each hinge (the L2-SVM: smooth, often better with SGD)"),
    })
    .strict(),
  build: (a) => new HingeCost(a.margin, a.squared),
});

/** A number per layer (list), per layer name (dict), or one for all. */
const coeffs = z
  .union([z.number().min(0), z.array(z.number().min(0)), z.record(z.string(), z.number().min(0))])
  .describe("coefficient per layer: a list in layer order, {layer_name: coeff}, or one number");

export const WeightDecay = defineComponent({
  name: "WeightDecay",
  aliases: [`${C}.mlp.WeightDecay`],
  kind: "cost",
  description: "L2 weight decay: sum over layers of coeff * sum of squared weights.",
  schema: z.object({ coeffs }).strict(),
  build: (a) => new WeightDecayCost(a.coeffs),
});

export const L1WeightDecay = defineComponent({
  name: "L1WeightDecay",
  aliases: [`${C}.mlp.L1WeightDecay`],
  kind: "cost",
  description: "L1 weight decay: sum over layers of coeff * sum of absolute weights.",
  schema: z.object({ coeffs }).strict(),
  build: (a) => new L1WeightDecayCost(a.coeffs),
});

export const Dropout = defineComponent({
  name: "Dropout",
  aliases: [`${C}.mlp.dropout.Dropout`],
  kind: "cost",
  description: "The MLP's cost with dropout on each layer's input (include probability, scale per layer).",
  schema: z
    .object({
      default_input_include_prob: z.number().gt(0).max(1).default(0.5).describe("probability of keeping an input"),
      input_include_probs: z.record(z.string(), z.number().gt(0).max(1)).nullable().default(null).describe("{layer_name: include prob}"),
      default_input_scale: z.number().positive().default(2).describe("multiply kept inputs by this"),
      input_scales: z.record(z.string(), z.number().positive()).nullable().default(null).describe("{layer_name: scale}"),
      per_example: z.boolean().default(true).describe("a fresh mask for each example (false: one per batch)"),
    })
    .strict(),
  build: (a) =>
    new DropoutCost({
      defaultInputIncludeProb: a.default_input_include_prob,
      inputIncludeProbs: a.input_include_probs,
      defaultInputScale: a.default_input_scale,
      inputScales: a.input_scales,
      perExample: a.per_example,
    }),
});

export const SumOfCosts = defineComponent({
  name: "SumOfCosts",
  aliases: [`${C}.cost.SumOfCosts`],
  kind: "cost",
  description: "Weighted sum of costs: each item is a cost or [coefficient, cost].",
  schema: z
    .object({
      costs: z
        .array(z.union([component("cost"), z.tuple([z.number(), component("cost")])]))
        .min(1)
        .describe("the costs, each optionally as [coefficient, cost]"),
    })
    .strict(),
  build: (a) => new SumOfCostsCost(a.costs as Array<Cost | [number, Cost]>),
});

export const MethodCost = defineComponent({
  name: "MethodCost",
  aliases: [`${C}.cost.MethodCost`],
  kind: "cost",
  description: "Calls a model method by name as the cost: cost_from_X (an MLP's own cost) or contraction_penalty (a ContractiveAutoencoder's).",
  schema: z
    .object({
      method: z.enum(COST_METHODS).describe("the model method to call"),
      data_specs: z.null().default(null).describe("accepted for compatibility; must be null"),
    })
    .strict(),
  build: (a) => new MethodCostCost(a.method),
});

export const COST_COMPONENTS: readonly AnyComponentDef[] = [
  SMD,
  CDk,
  SML,
  L1_ActivationCost,
  MeanSquaredReconstructionError,
  MeanBinaryCrossEntropy,
  Default,
  Hinge,
  WeightDecay,
  L1WeightDecay,
  Dropout,
  SumOfCosts,
  MethodCost,
];
