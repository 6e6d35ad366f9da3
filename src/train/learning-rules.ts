import { Tensor } from "../engine/index.js";

/**
 * pylearn2's learning rules (training_algorithms/learning_rule.py): given a learning rate,
 * per-parameter scales and gradients, update the parameters in place. Each rule keeps its slots
 * (velocities, running averages) as tensors named `<slot>_<param>` so a checkpoint can save and
 * restore them exactly. `lr_p = learning_rate * lr_scale(p)` throughout.
 */
export type SavedTensors = Record<string, { shape: number[]; data: Float32Array }>;

export interface LearningRuleState {
  tensors: SavedTensors;
  scalars: Record<string, number>;
}

export interface LearningRule {
  readonly className: string;
  /** Allocates the slots for `params` (called once by the algorithm's setup). */
  setup(params: readonly Tensor[]): void;
  update(params: readonly Tensor[], grads: readonly Tensor[], lr: number, scales: readonly number[]): void;
  /** Non-data monitor channels (pylearn2's add_channels_to_monitor): `momentum`, RMSProp's averages. */
  monitorChannels?(): Record<string, number>;
  state(): LearningRuleState;
  loadState(s: LearningRuleState): void;
}

/** A copy of a tensor's values, for saving. */
export function snapshot(t: Tensor): { shape: number[]; data: Float32Array } {
  return { shape: [...t.shape], data: Float32Array.from(t.toArray()) };
}

/** Zero tensors shaped like each parameter. */
function zerosLike(params: readonly Tensor[]): Tensor[] {
  return params.map((p) => Tensor.zeros(p.shape, p.backend));
}

/** Slots saved as `<prefix>_<param name>` (pylearn2's own naming, e.g. `vel_W`). */
abstract class SlotRule implements LearningRule {
  abstract readonly className: string;
  protected names: string[] = [];
  protected slots: Record<string, Tensor[]> = {};
  protected abstract readonly slotNames: readonly string[];

  setup(params: readonly Tensor[]): void {
    this.names = params.map((p, i) => p.name ?? `param${i}`);
    for (const s of this.slotNames) this.slots[s] = zerosLike(params);
  }

  abstract update(params: readonly Tensor[], grads: readonly Tensor[], lr: number, scales: readonly number[]): void;

  protected scalars(): Record<string, number> {
    return {};
  }

  protected loadScalars(_s: Record<string, number>): void {}

  state(): LearningRuleState {
    const tensors: SavedTensors = {};
    for (const s of this.slotNames) this.slots[s].forEach((t, i) => (tensors[`${s}_${this.names[i]}`] = snapshot(t)));
    return { tensors, scalars: this.scalars() };
  }

  loadState(st: LearningRuleState): void {
    for (const s of this.slotNames) {
      this.slots[s].forEach((t, i) => {
        const key = `${s}_${this.names[i]}`;
        const saved = st.tensors[key];
        if (!saved || saved.data.length !== t.size) throw new Error(`checkpoint: ${this.className} state ${key} is missing or has the wrong size`);
        t.data = t.backend.fromArray(saved.data);
      });
    }
    this.loadScalars(st.scalars);
  }
}

/**
 * Hinton's momentum: v <- m v - lr_p g; p <- p + v. With Nesterov (Bengio et al. 2013) the step
 * is m v_new - lr_p g instead of v_new. `momentum` is public so MomentumAdjustor can move it.
 */
export class Momentum extends SlotRule {
  readonly className = "Momentum";
  protected readonly slotNames = ["vel"] as const;
  constructor(
    public momentum: number,
    readonly nesterov = false,
  ) {
    super();
  }

  update(params: readonly Tensor[], grads: readonly Tensor[], lr: number, scales: readonly number[]): void {
    const vel = this.slots.vel;
    const m = this.momentum;
    for (let i = 0; i < params.length; i++) {
      const lrp = lr * scales[i];
      const v = vel[i];
      const p = params[i];
      const b = p.backend;
      if (b.momentumInPlace && v.backend === b && grads[i].backend === b && grads[i].size === p.size) {
        // One pass over p, v and g instead of three, in the parameters' precision (pylearn2's float32 graph).
        b.momentumInPlace(p.data, v.data, grads[i].data, p.size, m, lrp, this.nesterov);
        continue;
      }
      // v <- m v, in place as v += (m - 1) v: a new weight-sized array every step cost more than the update.
      v.axpyInPlace(v, m - 1);
      v.axpyInPlace(grads[i], -lrp);
      if (this.nesterov) {
        params[i].axpyInPlace(v, m);
        params[i].axpyInPlace(grads[i], -lrp);
      } else {
        params[i].axpyInPlace(v, 1);
      }
    }
  }

  monitorChannels(): Record<string, number> {
    return { momentum: this.momentum };
  }

  protected override scalars(): Record<string, number> {
    return { momentum: this.momentum };
  }

  protected override loadScalars(s: Record<string, number>): void {
    if (s.momentum !== undefined) this.momentum = s.momentum;
  }
}

/**
 * AdaDelta (Zeiler 2012) as pylearn2 writes it, with eps = lr_p:
 * E[g²] <- ρ E[g²] + (1-ρ) g²; Δ = -sqrt(E[Δ²] + eps) / sqrt(E[g²] + eps) g;
 * E[Δ²] <- ρ E[Δ²] + (1-ρ) Δ²; p <- p + Δ.
 */
export class AdaDelta extends SlotRule {
  readonly className = "AdaDelta";
  protected readonly slotNames = ["mean_square_grad", "mean_square_dx"] as const;
  constructor(readonly decay = 0.95) {
    super();
  }

  update(params: readonly Tensor[], grads: readonly Tensor[], lr: number, scales: readonly number[]): void {
    const rho = this.decay;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const eps = lr * scales[i];
      const msg = this.slots.mean_square_grad[i];
      const msdx = this.slots.mean_square_dx[i];
      const newMsg = msg.mul(rho).add(g.square().mul(1 - rho));
      const delta = msdx.add(eps).sqrt().div(newMsg.add(eps).sqrt()).mul(g).neg();
      msdx.data = msdx.mul(rho).add(delta.square().mul(1 - rho)).data;
      msg.data = newMsg.data;
      params[i].axpyInPlace(delta, 1);
    }
  }
}

/** AdaGrad (Duchi et al.): S <- S + g²; p <- p - lr_p g / max(eps, sqrt(S)), eps = 1 / max_scaling. */
export class AdaGrad extends SlotRule {
  readonly className = "AdaGrad";
  protected readonly slotNames = ["sum_square_grad"] as const;
  readonly eps: number;
  constructor(maxScaling = 1e5) {
    super();
    this.eps = 1 / maxScaling;
  }

  update(params: readonly Tensor[], grads: readonly Tensor[], lr: number, scales: readonly number[]): void {
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const s = this.slots.sum_square_grad[i];
      s.data = s.add(g.square()).data;
      params[i].axpyInPlace(g.div(s.sqrt().maximum(this.eps)), -lr * scales[i]);
    }
  }
}

/**
 * RMSProp (Hinton, lecture 6): E[g²] <- ρ E[g²] + (1-ρ) g²; p <- p - lr_p g / max(sqrt(E[g²]), eps),
 * eps = 1 / max_scaling. Reports min/mean/max of each running average, as pylearn2 does.
 */
export class RMSProp extends SlotRule {
  readonly className = "RMSProp";
  protected readonly slotNames = ["mean_square_grad"] as const;
  readonly eps: number;
  constructor(
    readonly decay = 0.9,
    maxScaling = 1e5,
  ) {
    super();
    this.eps = 1 / maxScaling;
  }

  update(params: readonly Tensor[], grads: readonly Tensor[], lr: number, scales: readonly number[]): void {
    const rho = this.decay;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const msg = this.slots.mean_square_grad[i];
      msg.data = msg.mul(rho).add(g.square().mul(1 - rho)).data;
      params[i].axpyInPlace(g.div(msg.sqrt().maximum(this.eps)), -lr * scales[i]);
    }
  }

  monitorChannels(): Record<string, number> {
    const out: Record<string, number> = {};
    this.slots.mean_square_grad.forEach((t, i) => {
      const a = t.toArray();
      let lo = Infinity;
      let hi = -Infinity;
      let sum = 0;
      for (let j = 0; j < a.length; j++) {
        const v = a[j];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        sum += v;
      }
      const base = `mean_square_grad_${this.names[i]}`;
      out[`${base}_min`] = lo;
      out[`${base}_max`] = hi;
      out[`${base}_mean`] = sum / a.length;
    });
    return out;
  }
}

/**
 * Adam (Kingma & Ba 2015): m <- β1 m + (1-β1) g; v <- β2 v + (1-β2) g²; t <- t + 1;
 * p <- p - lr_p (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε).
 */
export class Adam extends SlotRule {
  readonly className = "Adam";
  protected readonly slotNames = ["m", "v"] as const;
  private t = 0;
  constructor(
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    super();
  }

  update(params: readonly Tensor[], grads: readonly Tensor[], lr: number, scales: readonly number[]): void {
    this.t++;
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const m = this.slots.m[i];
      const v = this.slots.v[i];
      m.data = m.mul(this.beta1).add(g.mul(1 - this.beta1)).data;
      v.data = v.mul(this.beta2).add(g.square().mul(1 - this.beta2)).data;
      const step = m.div(c1).div(v.div(c2).sqrt().add(this.epsilon));
      params[i].axpyInPlace(step, -lr * scales[i]);
    }
  }

  protected override scalars(): Record<string, number> {
    return { t: this.t };
  }

  protected override loadScalars(s: Record<string, number>): void {
    this.t = s.t ?? 0;
  }
}
