import { noGrad, type Tensor } from "../engine/index.js";
import { ConfigError } from "../util/errors.js";
import type { Batch, Channels, StepContext } from "./model.js";
import { Autoencoder, type Activation, type AutoencoderOptions } from "./autoencoder.js";

/** d act(a) / da as an expression of a (so the penalty's own gradient comes from autodiff). */
function activationDerivative(act: Activation, a: Tensor): Tensor {
  switch (act) {
    case "sigmoid": {
      const h = a.sigmoid();
      return h.mul(h.rsub(1));
    }
    case "tanh": return a.tanh().square().rsub(1);
    case "softplus": return a.sigmoid();
    case "relu": return noGrad(() => a.step()); // piecewise constant: no gradient through it
    case "linear":
    case null: return a.mul(0).add(1);
  }
}

/**
 * pylearn2's ContractiveAutoencoder: an autoencoder whose cost adds the contraction penalty, the
 * squared Frobenius norm of the encoder's Jacobian dh/dx averaged over the batch. For an
 * elementwise act_enc, J_ji = act'(a_j) W_ij, so
 *
 *   penalty = (1/N) sum_n sum_j act'(a_nj)^2 sum_i W_ij^2      (a = x W + hidbias)
 *
 * with act' = h(1-h) for sigmoid, 1-h^2 for tanh, sigmoid(a) for softplus, [a>0] for relu, 1 for linear.
 * A YAML adds it as `[coeff, !obj:pylearn2.costs.cost.MethodCost {method: contraction_penalty}]`.
 */
export class ContractiveAutoencoder extends Autoencoder {
  override readonly className: string = "ContractiveAutoencoder";

  constructor(o: AutoencoderOptions) {
    super(o);
    if (!["sigmoid", "tanh", "softplus", "relu", "linear", null].includes(o.actEnc)) {
      throw new ConfigError(`ContractiveAutoencoder needs an elementwise act_enc, got ${String(o.actEnc)}`);
    }
  }

  /** The batch-mean squared Frobenius norm of dh/dx (a scalar in the graph of the parameters). */
  contractionPenalty(X: Tensor): Tensor {
    const d = activationDerivative(this.actEnc, this.hiddenInput(X));
    const colNormsSq = this.weights.square().sum(0); // sum_i W_ij^2, per hidden unit
    return d.square().mul(colNormsSq).sum().mul(1 / X.shape[0]);
  }

  override monitorChannels(batch: Batch, ctx: StepContext): Channels {
    const base = super.monitorChannels(batch, ctx);
    return { ...base, contraction_penalty: noGrad(() => this.contractionPenalty(batch.X)) };
  }
}
