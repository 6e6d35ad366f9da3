import { gradients as autodiff, noGrad, type Tensor } from "../engine/index.js";
import type { Batch, Channels, Model, StepContext } from "../models/model.js";
import type { Cost } from "./cost.js";

type StateArrays = Record<string, { shape: number[]; data: Float32Array }>;

/**
 * pylearn2's costs.cost.SumOfCosts: sum_i coeff_i * cost_i (coefficient 1 unless given as
 * [coeff, cost]). Supervised when any term is. When some term supplies its gradients directly
 * (CD, PCD), the sum does too — those terms' gradients plus the autodiff gradients of the others,
 * each times its coefficient — as pylearn2's get_gradients adds the terms' gradients.
 *
 * Monitor channels: each term's own channels, plus its value as `term_<i>` (`term_<i>_<name>` for
 * named terms such as weight_decay), as pylearn2 reports them.
 */
export class SumOfCosts implements Cost {
  readonly className = "SumOfCosts";
  readonly supervised: boolean;
  readonly costs: readonly Cost[];
  readonly coeffs: readonly number[];
  readonly gradients?: (model: Model, batch: Batch, ctx: StepContext) => { grads: Tensor[]; objective?: Tensor };

  constructor(terms: ReadonlyArray<Cost | readonly [number, Cost]>) {
    if (terms.length === 0) throw new Error("SumOfCosts needs at least one cost");
    this.costs = terms.map((t) => (Array.isArray(t) ? (t as readonly [number, Cost])[1] : (t as Cost)));
    this.coeffs = terms.map((t) => (Array.isArray(t) ? (t as readonly [number, Cost])[0] : 1));
    this.supervised = this.costs.some((c) => c.supervised);
    if (this.costs.some((c) => c.gradients)) this.gradients = (m, b, ctx) => this.sumGradients(m, b, ctx);
  }

  expr(model: Model, batch: Batch, ctx: StepContext): Tensor {
    let total: Tensor | null = null;
    this.costs.forEach((c, i) => {
      const term = scaled(c.expr(model, batch, ctx), this.coeffs[i]);
      total = total ? total.add(term) : term;
    });
    return total!;
  }

  private sumGradients(model: Model, batch: Batch, ctx: StepContext): { grads: Tensor[]; objective?: Tensor } {
    const params = model.params();
    let grads: Tensor[] | null = null;
    let objective: Tensor | null = null;
    this.costs.forEach((c, i) => {
      const coeff = this.coeffs[i];
      let g: Tensor[];
      let value: Tensor | undefined;
      if (c.gradients) {
        const r = c.gradients(model, batch, ctx);
        g = r.grads;
        value = r.objective;
      } else {
        const e = c.expr(model, batch, ctx);
        g = autodiff(e, params);
        value = e.detach();
      }
      const gs = g.map((t) => scaled(t, coeff));
      grads = grads ? grads.map((acc, j) => acc.add(gs[j])) : gs;
      if (value) {
        const v = scaled(value, coeff);
        objective = objective ? objective.add(v) : v;
      }
    });
    return { grads: grads!, ...(objective ? { objective } : {}) };
  }

  monitorChannels(model: Model, batch: Batch, ctx: StepContext): Channels {
    const out: Channels = {};
    this.costs.forEach((c, i) => {
      Object.assign(out, c.monitorChannels?.(model, batch, ctx) ?? {});
      const name = (c as { termName?: string }).termName;
      out[`term_${i}${name ? `_${name}` : ""}`] = noGrad(() => c.expr(model, batch, ctx));
    });
    return out;
  }

  /** Each term's state, prefixed `costs.<i>.` so terms cannot collide. */
  extraState(): StateArrays {
    const out: StateArrays = {};
    this.costs.forEach((c, i) => {
      for (const [k, v] of Object.entries(c.extraState?.() ?? {})) out[`costs.${i}.${k}`] = v;
    });
    return out;
  }

  loadExtraState(state: StateArrays): void {
    this.costs.forEach((c, i) => {
      const prefix = `costs.${i}.`;
      const mine: StateArrays = {};
      for (const [k, v] of Object.entries(state)) if (k.startsWith(prefix)) mine[k.slice(prefix.length)] = v;
      if (Object.keys(mine).length > 0) c.loadExtraState?.(mine);
    });
  }
}

function scaled(t: Tensor, c: number): Tensor {
  return c === 1 ? t : t.mul(c);
}
