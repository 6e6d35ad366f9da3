/**
 * SGD update callbacks (pylearn2/training_algorithms/sgd.py): called after every step with the
 * algorithm, they may change its learning rate. Their counters are part of a checkpoint.
 */
export interface HasLearningRate {
  learningRate: number;
}

export interface UpdateCallback {
  readonly className: string;
  afterStep(algorithm: HasLearningRate): void;
  state(): unknown;
  loadState(s: unknown): void;
}

/** After step t the learning rate is lr0 / decay_factor^t, never below min_lr (and then it stays there). */
export class ExponentialDecay implements UpdateCallback {
  readonly className = "ExponentialDecay";
  private count = 0;
  private baseLr = 0;
  private minReached = false;
  constructor(
    readonly decayFactor: number,
    readonly minLr: number,
  ) {}

  afterStep(alg: HasLearningRate): void {
    if (this.count === 0) this.baseLr = alg.learningRate;
    this.count++;
    let lr = this.minLr;
    if (!this.minReached) {
      lr = this.baseLr / Math.pow(this.decayFactor, this.count);
      if (lr <= this.minLr) {
        this.minReached = true;
        lr = this.minLr;
      }
    }
    alg.learningRate = Math.fround(lr);
  }

  state(): unknown {
    return { count: this.count, baseLr: this.baseLr, minReached: this.minReached };
  }

  loadState(s: unknown): void {
    Object.assign(this, s as object);
  }
}

/**
 * Linear decay over steps: lr0 until step `start`, then down by (lr0 - lr0 * decay_factor) /
 * (saturate - start + 1) per step, and lr0 * decay_factor from step `saturate` on.
 */
export class LinearDecay implements UpdateCallback {
  readonly className = "LinearDecay";
  private count = 0;
  private baseLr = 0;
  private step = 0;
  constructor(
    readonly start: number,
    readonly saturate: number,
    readonly decayFactor: number,
  ) {}

  afterStep(alg: HasLearningRate): void {
    if (this.count === 0) {
      this.baseLr = alg.learningRate;
      this.step = (this.baseLr - this.baseLr * this.decayFactor) / (this.saturate - this.start + 1);
    }
    this.count++;
    let lr = this.baseLr;
    if (this.count >= this.start) {
      lr = this.count < this.saturate ? this.baseLr - this.step * (this.count - this.start + 1) : this.baseLr * this.decayFactor;
    }
    alg.learningRate = Math.fround(lr);
  }

  state(): unknown {
    return { count: this.count, baseLr: this.baseLr, step: this.step };
  }

  loadState(s: unknown): void {
    Object.assign(this, s as object);
  }
}
