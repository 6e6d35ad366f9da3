import { z } from "zod";
import { Tensor } from "../../engine/index.js";
import type { Cost } from "../../costs/cost.js";
import { DenseDesignMatrix } from "../../data/dataset.js";
import type { Batch, Model } from "../../models/model.js";
import { defineComponent, Registry } from "../../config/registry.js";
import { TRAINING_COMPONENTS } from "../../config/components/training.js";
import { Rng } from "../../util/rng.js";

/**
 * A tiny model, cost and dataset for testing the training loop without the real models:
 * linear regression y = x W + b with the mean squared error, on data from a known linear map.
 */
export class LinearRegression implements Model {
  readonly className = "TestLinear";
  readonly W: Tensor;
  readonly b: Tensor;
  config?: Record<string, unknown>;
  constructor(
    readonly inputDim: number,
    readonly outputDim: number,
    seed = 1,
    private readonly scales: Record<string, number> = {},
  ) {
    const rng = new Rng(seed);
    this.W = Tensor.param(rng.fillUniform(new Float32Array(inputDim * outputDim), -0.1, 0.1), [inputDim, outputDim], "W");
    this.b = Tensor.param(new Float32Array(outputDim), [outputDim], "b");
  }
  params(): Tensor[] {
    return [this.W, this.b];
  }
  lrScalers(): Record<string, number> {
    return this.scales;
  }
  predict(X: Tensor): Tensor {
    return X.matmul(this.W).add(this.b);
  }
  monitorChannels(batch: Batch): Record<string, Tensor | number> {
    return { W_norm: this.W.square().sum().sqrt(), batch_rows: batch.size };
  }
  defaultCost(): Cost {
    return new MeanSquaredError();
  }
}

/** mean over the batch of sum over outputs of (prediction - target)^2. */
export class MeanSquaredError implements Cost {
  readonly className = "TestMSE";
  readonly supervised = true;
  expr(model: Model, batch: Batch): Tensor {
    const pred = (model as LinearRegression).predict(batch.X);
    return pred.sub(batch.targets!).square().sum(1).mean();
  }
  monitorChannels(model: Model, batch: Batch): Record<string, Tensor> {
    const pred = (model as LinearRegression).predict(batch.X);
    return { mae: pred.sub(batch.targets!).abs().mean() };
  }
}

/** n examples x ~ U(-1, 1)^dim (drawn from `seed`), targets x A + 0.5 + noise with one fixed map A for every seed. */
export function regressionData(n: number, dim: number, out: number, seed = 7, noise = 0.01): DenseDesignMatrix {
  const A = new Rng(4242).fillUniform(new Float32Array(dim * out), -1, 1);
  const rng = new Rng(seed);
  const X = rng.fillUniform(new Float32Array(n * dim), -1, 1) as Float32Array;
  const T = new Float32Array(n * out);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < out; o++) {
      let s = 0.5;
      for (let j = 0; j < dim; j++) s += X[i * dim + j] * A[j * out + o];
      T[i * out + o] = s + noise * rng.normal();
    }
  }
  return new DenseDesignMatrix({ X, numExamples: n, dim, targets: T, targetDim: out, description: "regression" });
}

/** dl's training components plus `TestLinear`, `TestMSE` and `TestData`, for YAML-level tests. */
export function testRegistry(): Registry {
  const TestLinear = defineComponent({
    name: "TestLinear",
    aliases: [],
    kind: "model",
    description: "test linear regression",
    schema: z
      .object({
        nvis: z.number().int(),
        nout: z.number().int().default(1),
        seed: z.number().int().default(1),
        W_lr_scale: z.number().default(1),
        batch_size: z.number().int().nullable().default(null),
      })
      .strict(),
    // Like the MLP's builder, it keeps no config: SGD learns the model's batch_size from the YAML.
    build: (a) => new LinearRegression(a.nvis, a.nout, a.seed, a.W_lr_scale !== 1 ? { W: a.W_lr_scale } : {}),
  });
  const TestMSE = defineComponent({
    name: "TestMSE",
    aliases: [],
    kind: "cost",
    description: "test mse",
    schema: z.object({}).strict(),
    build: () => new MeanSquaredError(),
  });
  const TestData = defineComponent({
    name: "TestData",
    aliases: [],
    kind: "dataset",
    description: "test regression data",
    schema: z.object({ n: z.number().int(), dim: z.number().int(), nout: z.number().int().default(1), seed: z.number().int().default(7) }).strict(),
    build: (a) => regressionData(a.n, a.dim, a.nout, a.seed),
  });
  return new Registry([...TRAINING_COMPONENTS, TestLinear, TestMSE, TestData]);
}
