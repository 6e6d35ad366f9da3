import { Tensor, gradients, noGrad, runInStepScope } from "../engine/index.js";
import type { DenseDesignMatrix } from "../data/dataset.js";
import type { Batch, Model, StepContext } from "../models/model.js";
import { ConfigError, DlError } from "../util/errors.js";
import type { AlgorithmState } from "./algorithm.js";
import { makeBatch } from "./batch.js";
import type { BatchSelection } from "./iterator.js";
import type { Monitor } from "./monitor.js";
import { SGD, type SgdOptions } from "./sgd.js";

export interface BgdOptions extends Omit<SgdOptions, "learningRate" | "learningRule" | "updateCallbacks" | "trainIterationMode"> {
  /** Line-search iterations on each batch (pylearn2's updates_per_batch, the optimizer's max_iter). */
  updatesPerBatch?: number;
  /** Start each batch's search from init_alpha again (else from where the last batch's search ended). */
  resetAlpha?: boolean;
  /** Nonlinear conjugate gradient directions instead of steepest descent. */
  conjugate?: boolean;
  /** Forget the conjugate direction at each new batch. */
  resetConjugate?: boolean;
  /** The exhaustive search's smallest starting step is at least twice this. */
  minInitAlpha?: number;
  lineSearchMode?: "exhaustive" | null;
  initAlpha?: readonly number[] | null;
  /** After each batch, parameters = (1 - s) * before + s * after. */
  scaleStep?: number;
  /** Log each line-search step. */
  verbose?: boolean;
  log?: (line: string) => void;
}

/** pylearn2's tolerance on step sizes for a float32 objective. */
const TOL = 1e-6;

/**
 * pylearn2's BGD (training_algorithms/bgd.py with optimization/batch_gradient_descent.py): on each
 * batch, `updates_per_batch` times, a search along the normalised gradient (or a nonlinear
 * conjugate direction) for the step that lowers the batch's cost most, the model's constraints
 * applied at every point tried. Everything else (batches, monitoring, stopping, checkpoints) is
 * SGD's; there is no learning rate. The search compares cost values, so it reads them back each
 * time: it runs on the CPU.
 *
 * Two searches, as pylearn2 has them. The default tries the steps in `init_alpha` (.001 .. .1),
 * keeps the best, and rescales the list (shrinks it when no step helped, grows it when the largest
 * won, spreads or narrows it otherwise). `exhaustive` evaluates 0 and each step in `init_alpha`
 * (.5, 1), then bisects towards the best (or doubles past the largest) until a new point improves
 * by less than 1% of the previous improvement or 11 points are known; the next search starts from
 * [x/2, x] around the step chosen.
 *
 * The conjugate direction follows pylearn2's formula: with d the previous search direction (not the
 * previous gradient) and g the new gradient, beta = max(0, (g.g - g.d) / (1e-7 + d.d)), direction
 * g + beta d.
 */
export class BGD extends SGD {
  override readonly className: string = "BGD";
  private readonly updatesPerBatch: number;
  private readonly resetAlpha: boolean;
  private readonly conjugate: boolean;
  private readonly resetConjugate: boolean;
  private readonly minInitAlpha: number;
  private readonly lineSearchMode: "exhaustive" | null;
  private readonly scaleStep: number;
  private readonly log: ((line: string) => void) | null;
  private initAlpha: number[];
  /** Parameters where the current search started, and the search direction (normalised). */
  private cached: Tensor[] = [];
  private direction: Tensor[] = [];
  /** The monitor's running averages (pylearn2's ave_step_size, ave_grad_size, ave_grad_mult). */
  private aveStepSize = 0;
  private aveGradSize = 0;
  private aveGradMult = 0;
  private newWeight = 1;
  /** What the cost sees at every point of a search (deterministic costs ignore the noise stream). */
  private readonly searchCtx: StepContext;

  constructor(opts: BgdOptions) {
    super({ ...opts, learningRate: 0, seed: opts.seed ?? [2012, 10, 16] });
    this.updatesPerBatch = opts.updatesPerBatch ?? 10;
    this.resetAlpha = opts.resetAlpha ?? true;
    this.conjugate = opts.conjugate ?? false;
    this.resetConjugate = opts.resetConjugate ?? true;
    this.minInitAlpha = opts.minInitAlpha ?? 0.001;
    this.lineSearchMode = opts.lineSearchMode ?? null;
    this.scaleStep = opts.scaleStep ?? 1;
    this.log = opts.verbose ? (opts.log ?? ((l) => process.stderr.write(`${l}\n`))) : null;
    const init = opts.initAlpha ?? (this.lineSearchMode === null ? [0.001, 0.005, 0.01, 0.05, 0.1] : [0.5, 1]);
    if (init.length === 0 || init.some((a, i) => i > 0 && !(a > init[i - 1]))) {
      throw new ConfigError(`BGD: init_alpha must be increasing step sizes, got [${init.join(", ")}]`);
    }
    this.initAlpha = [...init];
    this.searchCtx = { rng: this.stepRng, training: true };
  }

  /** BGD has no learning rate: an extension or callback that sets one has nothing to act on. */
  override get learningRate(): number {
    return 0;
  }

  override set learningRate(_v: number) {
    throw new DlError("BGD has no learning rate (its line search picks each step): remove the extension or update callback that sets one, or train with SGD");
  }

  override setup(model: Model, dataset: DenseDesignMatrix, monitor: Monitor): string[] {
    const lines = super.setup(model, dataset, monitor);
    if (this.cost.gradients) {
      throw new ConfigError(`BGD: ${this.cost.className} has no tractable value to search along (its gradient is estimated by sampling); train it with SGD`);
    }
    if (this.cost.className === "Dropout") throw new ConfigError("BGD: the Dropout cost is stochastic, and line searches need the same cost at every point; train it with SGD");
    if (!this.params[0].backend.syncRead) {
      throw new DlError("BGD reads the cost back at every point of its line search, which the GPU cannot do synchronously; train it with --device cpu");
    }
    this.cached = this.params.map((p) => Tensor.zeros(p.shape, p.backend));
    this.direction = this.params.map((p) => Tensor.zeros(p.shape, p.backend));
    return lines;
  }

  /** No learning rate to show: name and shape only. */
  protected override summaryLine(name: string, p: Tensor): string {
    return `\t${name} [${p.shape.join("x")}]`;
  }

  protected override trainOnBatch(sel: BatchSelection): void {
    // The batch lives through every evaluation of the search; each evaluation's tensors are a step of their own.
    const batch = makeBatch(this.dataset, sel);
    const before = this.scaleStep !== 1 ? this.params.map((p) => Float32Array.from(p.toArray())) : null;
    this.minimize(batch);
    if (before) {
      noGrad(() => this.params.forEach((p, i) => p.assign(Tensor.from(before[i], p.shape, p.backend).mul(1 - this.scaleStep).add(p.mul(this.scaleStep)))));
    }
  }

  override async monitorValues(pause?: () => Promise<void>): Promise<Record<string, number>> {
    const out = await super.monitorValues(pause);
    delete out.learning_rate;
    if (this.monitoringDatasets.length > 0) {
      out.ave_step_size = this.aveStepSize;
      out.ave_grad_size = this.aveGradSize;
      out.ave_grad_mult = this.aveGradMult;
    }
    return out;
  }

  override state(): AlgorithmState {
    const s = super.state();
    s.json.bgd = {
      initAlpha: this.initAlpha,
      aveStepSize: this.aveStepSize,
      aveGradSize: this.aveGradSize,
      aveGradMult: this.aveGradMult,
      newWeight: this.newWeight,
    };
    // Only a search that goes on across batches (reset_conjugate false) needs the last direction.
    if (this.conjugate && !this.resetConjugate) {
      this.direction.forEach((d, i) => (s.tensors[`bgd.direction.${i}`] = { shape: [...d.shape], data: Float32Array.from(d.toArray()) }));
    }
    return s;
  }

  override loadState(s: AlgorithmState): void {
    super.loadState(s);
    const b = s.json.bgd as { initAlpha: number[]; aveStepSize: number; aveGradSize: number; aveGradMult: number; newWeight: number } | undefined;
    if (!b) throw new DlError("checkpoint: it was written by another training algorithm than BGD");
    this.initAlpha = b.initAlpha;
    this.aveStepSize = b.aveStepSize;
    this.aveGradSize = b.aveGradSize;
    this.aveGradMult = b.aveGradMult;
    this.newWeight = b.newWeight;
    this.direction.forEach((d, i) => {
      const t = s.tensors[`bgd.direction.${i}`];
      if (t) d.assign(Tensor.from(t.data, d.shape, d.backend));
    });
  }

  /** The batch cost at the current parameters. */
  private objective(batch: Batch): number {
    return runInStepScope(this.params[0].backend, () => noGrad(() => this.cost.expr(this.model, batch, this.searchCtx).item()));
  }

  /** Parameters = the search's start - alpha * lr_scale * direction, then the model's constraints. */
  private goto(alpha: number): void {
    runInStepScope(this.params[0].backend, () =>
      noGrad(() => {
        this.params.forEach((p, i) => p.assign(this.cached[i].sub(this.direction[i].mul(alpha * this.scales[i]))));
        this.model.afterUpdate?.();
      }),
    );
  }

  private dot(a: Tensor[], b: Tensor[]): number {
    let s = 0;
    runInStepScope(this.params[0].backend, () => noGrad(() => a.forEach((x, i) => (s += x.mul(b[i]).sum().item()))));
    return s;
  }

  /** pylearn2's BatchGradientDescent.minimize on one batch: `updates_per_batch` searches. */
  private minimize(batch: Batch): void {
    let alphas = [...this.initAlpha];
    // The scale of the stored direction: 0 forgets it (steepest descent on this batch's first search).
    let norm = this.resetConjugate ? 0 : 1;
    for (let iter = 0; iter < this.updatesPerBatch; iter++) {
      noGrad(() => this.params.forEach((p, i) => this.cached[i].assign(p)));
      const old = this.conjugate ? noGrad(() => this.direction.map((d) => d.mul(norm).detach())) : null;
      runInStepScope(this.params[0].backend, () => {
        const g = gradients(this.cost.expr(this.model, batch, this.searchCtx), this.params);
        noGrad(() => this.direction.forEach((d, i) => d.assign(g[i])));
      });
      if (old) {
        const gg = this.dot(this.direction, this.direction);
        const go = this.dot(this.direction, old);
        const oo = this.dot(old, old);
        const beta = Math.max((gg - go) / (1e-7 + oo), 0);
        noGrad(() => this.direction.forEach((d, i) => d.assign(d.add(old[i].mul(beta)))));
      }
      norm = Math.sqrt(this.dot(this.direction, this.direction));
      noGrad(() => this.direction.forEach((d) => d.assign(d.div(norm))));
      this.aveGradSize = this.newWeight * norm + (1 - this.newWeight) * this.aveGradSize;

      const found = this.lineSearchMode === null ? this.stepSearch(batch, alphas) : this.exhaustiveSearch(batch, alphas);
      alphas = found.next;
      // pylearn2 leaves the loop here, before the averages, when the steps have shrunk to nothing.
      if (found.converged) break;
      const step = found.step;
      this.aveStepSize = this.newWeight * step + (1 - this.newWeight) * this.aveStepSize;
      this.aveGradMult = this.newWeight * (step / norm) + (1 - this.newWeight) * this.aveGradMult;
      if (this.newWeight === 1) this.newWeight = 0.01;
    }
    if (!this.resetAlpha) this.initAlpha = alphas;
  }

  /** The default search: the best of a list of steps, then the list rescaled. */
  private stepSearch(batch: Batch, alphas: number[]): { step: number; next: number[]; converged: boolean } {
    let best = this.objective(batch);
    const start = best;
    let bestAlpha = 0;
    let bestInd = -1;
    alphas.forEach((alpha, ind) => {
      this.goto(alpha);
      const obj = this.objective(batch);
      this.log?.(`\t${alpha} ${obj}`);
      // <=: on ties the larger step wins.
      if (obj <= best) {
        best = obj;
        bestAlpha = alpha;
        bestInd = ind;
      }
    });
    if (Number.isNaN(best) || best > start) throw new DlError(`BGD: the line search found no usable step (objective ${best})`);
    this.goto(bestAlpha);
    let next = alphas;
    let converged = false;
    if (bestInd < 1 && alphas[0] > TOL) next = alphas.map((a) => a / 3);
    else if (bestInd > alphas.length - 2) next = alphas.map((a) => a * 2);
    else if (bestInd === -1 && alphas[0] <= TOL) {
      if (alphas[alphas.length - 1] > 1) converged = true;
      else {
        next = [...alphas];
        for (let i = 0; i < next.length; i++) for (let j = i; j < next.length; j++) next[j] *= 1.5;
      }
    } else {
      // A step in the middle won: narrow the gaps between the steps towards it.
      let maxGap = 0;
      for (let i = 1; i < alphas.length; i++) maxGap = Math.max(maxGap, alphas[i] / alphas[i - 1]);
      if (maxGap > 5) next = alphas.map((a) => a ** 0.99 * bestAlpha ** 0.01);
    }
    return { step: bestAlpha, next, converged };
  }

  /** The exhaustive search: 0 and the given steps, then bisection towards the best point. */
  private exhaustiveSearch(batch: Batch, alphas: number[]): { step: number; next: number[]; converged: boolean } {
    const finite = (v: number) => (Number.isNaN(v) ? Infinity : v);
    const results: [number, number][] = [[0, finite(this.objective(batch))]];
    for (const alpha of alphas) {
      this.goto(alpha);
      results.push([alpha, finite(this.objective(batch))]);
    }
    let prevImprovement = 0;
    for (;;) {
      const xs = results.map((r) => r[0]);
      const objs = results.map((r) => r[1]);
      const mn = Math.min(...objs);
      const idx = objs.indexOf(mn);
      let x: number;
      if (idx === 0) x = (xs[0] + xs[1]) / 2;
      else if (idx === xs.length - 1) x = 2 * xs[xs.length - 1];
      else x = objs[idx + 1] < objs[idx - 1] ? (xs[idx] + xs[idx + 1]) / 2 : (xs[idx] + xs[idx - 1]) / 2;
      if (x < 1e-20) break;
      this.goto(x);
      const res = finite(this.objective(batch));
      this.log?.(`\t${x} ${res}`);
      const at = results.findIndex((r) => r[0] > x);
      results.splice(at < 0 ? results.length : at, 0, [x, res]);
      const improvement = mn - res;
      if ((improvement > 0 && improvement < 0.01 * prevImprovement) || objs.length > 10) break;
      prevImprovement = improvement;
    }
    const objs = results.map((r) => r[1]);
    const idx = objs.indexOf(Math.min(...objs));
    const step = results[idx][0];
    this.goto(step);
    if (!Number.isFinite(objs[idx])) throw new DlError("BGD: every point of the line search gave a NaN or infinite objective");
    let x = idx === 0 ? results[1][0] : step;
    x = Math.max(x, 2 * this.minInitAlpha);
    return { step, next: [x / 2, x], converged: false };
  }
}
