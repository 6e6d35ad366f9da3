import { Tensor, noGrad } from "../engine/index.js";

/** The tensors an energy function reads: weights (nvis x nhid), biases, and the scalar sigma. */
export interface GrbmParams {
  W: Tensor;
  biasVis: Tensor;
  biasHid: Tensor;
  /** A 0-d tensor (sigma = sigma_driver * sigma_lr_scale, so gradients reach the driver). */
  sigma: Tensor;
}

/**
 * pylearn2's `grbm_type_1` energy (energy_functions/rbm_energy.py, GRBM_Type_1), with scalar sigma s:
 *
 *   E(v,h)     = -(v.b + v W h + c.h - v.v/2) / s^2
 *   P(h=1|v)   = sigmoid((c + v W) / s^2)
 *   E[v|h]     = b + h W^T
 *   F(v)       = (v.v/2 - v.b) / s^2 - sum_j softplus((v W + c)_j / s^2)
 *   score(v)   = -dF/dv = -(v - b - sigmoid((c + v W)/s^2) W^T) / s^2
 *
 * The whole score is divided by s^2, which is what makes denoising score matching with this model a
 * denoising autoencoder (J_SMD = J_DAE / s^4 when the corruption uses the same s).
 */
export class GrbmType1 {
  readonly name = "grbm_type_1";
  /** Like pylearn2's GRBM_Type_1.supports_vector_sigma(): one sigma shared by all visibles. */
  readonly supportsVectorSigma = false;

  /** E(v, h) per row: shape (N). */
  energy(p: GrbmParams, V: Tensor, H: Tensor): Tensor {
    const vb = V.matmul(p.biasVis.reshape([-1, 1])).reshape([-1]);
    const vWh = V.matmul(p.W).mul(H).sum(1);
    const hc = H.matmul(p.biasHid.reshape([-1, 1])).reshape([-1]);
    const vv = V.square().sum(1).mul(0.5);
    return vb.add(vWh).add(hc).sub(vv).div(p.sigma.square()).neg();
  }

  meanHGivenV(p: GrbmParams, V: Tensor): Tensor {
    return V.matmul(p.W).add(p.biasHid).div(p.sigma.square()).sigmoid();
  }

  meanVGivenH(p: GrbmParams, H: Tensor): Tensor {
    return H.matmul(p.W, false, true).add(p.biasVis);
  }

  /** F(v) per row: shape (N). */
  freeEnergy(p: GrbmParams, V: Tensor): Tensor {
    const s2 = p.sigma.square();
    const vb = V.matmul(p.biasVis.reshape([-1, 1])).reshape([-1]);
    const sq = V.square().sum(1).mul(0.5);
    const soft = V.matmul(p.W).add(p.biasHid).div(s2).softplus().sum(1);
    return sq.sub(vb).div(s2).sub(soft);
  }

  /** score(v) = -dF/dv, shape (N, nvis): one sigmoid, two matrix products, one scale. */
  score(p: GrbmParams, V: Tensor): Tensor {
    const invS2 = p.sigma.square().rdiv(1);
    const h = V.matmul(p.W).add(p.biasHid).mul(invS2).sigmoid();
    const recon = h.matmul(p.W, false, true).add(p.biasVis);
    return recon.sub(V).mul(invS2);
  }

  /**
   * J = mean((score(V) - T)^2) for a fixed target T, and its gradients in closed form — the SMD
   * step, which the GRBM tutorial takes 30000 times an epoch. With u = 1/s^2, A = V W + c,
   * H = sigmoid(A u), R = H W^T + b and D = (R - V) u - T:
   *
   *   G = 2 D / (N d)              dH = G u W          dZ = dH * H * (1 - H)
   *   dW = (G u)^T H + V^T (dZ u)  (one product over the stacked rows [G u; V] and [H; dZ u])
   *   db = sum_n G u               dc = sum_n dZ u
   *   dJ/du = sum G * (R - V) + sum dZ * A,   dJ/ds = -2 s^-3 dJ/du
   *
   * Autodiff gives the same numbers (tested) with two W-sized products and a W-sized sum where this
   * has one product: the W-sized traffic is most of a small-batch step.
   */
  scoreMatchingGradients(p: GrbmParams, V: Tensor, T: Tensor): ScoreMatchingGradients {
    return noGrad(() => {
      const [N, d] = V.shape;
      const s = p.sigma;
      const u = s.square().rdiv(1);
      const A = V.matmul(p.W).add(p.biasHid);
      const H = A.mul(u).sigmoid();
      const RmV = H.matmul(p.W, false, true).add(p.biasVis).sub(V);
      const D = RmV.mul(u).sub(T);
      const G = D.mul(2 / (N * d));
      const Gu = G.mul(u);
      const dZ = Gu.matmul(p.W).mul(H).mul(H.rsub(1));
      const dA = dZ.mul(u);
      const W = Tensor.concat([Gu, V], 0).matmul(Tensor.concat([H, dA], 0), true, false);
      const du = G.mul(RmV).sum().add(dZ.mul(A).sum());
      const sigma = du.mul(s.pow(3).rdiv(-2));
      return { objective: D.square().mean(), W, biasVis: Gu.sum(0), biasHid: dA.sum(0), sigma };
    });
  }
}

/** The score-matching objective and its gradients (see GrbmType1.scoreMatchingGradients). */
export interface ScoreMatchingGradients {
  objective: Tensor;
  W: Tensor;
  biasVis: Tensor;
  biasHid: Tensor;
  /** dJ/dsigma (0-d). */
  sigma: Tensor;
}

/** What the `grbm_type_1` YAML component builds to (pylearn2's `grbm_type_1()` returns the class). */
export const GRBM_TYPE_1 = new GrbmType1();
