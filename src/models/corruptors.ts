import { Tensor, noGrad } from "../engine/index.js";
import type { Rng } from "../util/rng.js";
import { decodeRngState, encodeRngState, rngFromSeed } from "./gibbs.js";

/**
 * pylearn2's corruptors (corruption.py): noise processes for denoising autoencoders and denoising
 * score matching. Each owns a generator seeded by its `rng` keyword (pylearn2 default 2001), whose
 * state its owner (the DAE or the SMD cost) saves in `extraState`, so a resumed run draws the same
 * noise. The noise is a constant: gradients flow through x only.
 */
export interface Corruptor {
  readonly className: string;
  corrupt(x: Tensor): Tensor;
  /** The generator's state (13 float32 values, exact). */
  rngState(): { shape: number[]; data: Float32Array };
  loadRngState(s: { data: Float32Array }): void;
}

/**
 * A corruptor with a tractable corruption density q(x~ | x) = exp(-C(x~, x)) / Z, whose "Parzen
 * score" -dC/dx~ is the target of denoising score matching.
 */
export interface ScoreCorruptor extends Corruptor {
  /** C(x~, x) per row (pylearn2's corruption_free_energy). */
  corruptionFreeEnergy(corrupted: Tensor, x: Tensor): Tensor;
  /** -dC/dx~ in closed form. */
  parzenScore(corrupted: Tensor, x: Tensor): Tensor;
}

export function isScoreCorruptor(c: Corruptor): c is ScoreCorruptor {
  return typeof (c as ScoreCorruptor).parzenScore === "function";
}

abstract class SeededCorruptor implements Corruptor {
  abstract readonly className: string;
  protected readonly rng: Rng;

  constructor(seed: number | readonly number[] | null | undefined) {
    this.rng = rngFromSeed(seed, 2001);
  }

  abstract corrupt(x: Tensor): Tensor;

  /** Uniform [0, 1) values shaped like x (on x's backend). */
  protected uniformLike(x: Tensor): Tensor {
    return Tensor.from(this.rng.fillUniform(new Float32Array(x.size)), x.shape, x.backend);
  }

  rngState(): { shape: number[]; data: Float32Array } {
    return encodeRngState(this.rng);
  }

  loadRngState(s: { data: Float32Array }): void {
    decodeRngState(this.rng, s, this.className);
  }
}

/** Sets each input to 0 with probability corruption_level (masking noise): x * Bernoulli(1 - level). */
export class BinomialCorruptor extends SeededCorruptor {
  readonly className: string = "BinomialCorruptor";
  constructor(readonly corruptionLevel: number, seed?: number | readonly number[] | null) {
    super(seed);
  }

  protected keepMask(x: Tensor): Tensor {
    return noGrad(() => this.uniformLike(x).lt(1 - this.corruptionLevel));
  }

  corrupt(x: Tensor): Tensor {
    return x.mul(this.keepMask(x));
  }
}

/** Dropout on the inputs: zero with probability corruption_level, scale the rest by 1 / (1 - level). */
export class DropoutCorruptor extends BinomialCorruptor {
  override readonly className: string = "DropoutCorruptor";

  override corrupt(x: Tensor): Tensor {
    // pylearn2 skips tiny levels "for stability" (and draws no noise then).
    if (this.corruptionLevel < 1e-5) return x;
    return x.mul(this.keepMask(x)).mul(1 / (1 - this.corruptionLevel));
  }
}

/** Additive isotropic Gaussian noise: x~ = x + N(0, stdev^2). */
export class GaussianCorruptor extends SeededCorruptor implements ScoreCorruptor {
  readonly className: string = "GaussianCorruptor";
  constructor(readonly stdev: number, seed?: number | readonly number[] | null) {
    super(seed);
  }

  corrupt(x: Tensor): Tensor {
    return x.add(Tensor.from(this.fillNoise(new Float32Array(x.size)), x.shape, x.backend));
  }

  /**
   * The noise `corrupt` adds, drawn from this corruptor's generator into `out` (the fused GPU
   * step draws its batches' noise here, so it sees the values a CPU run would).
   */
  fillNoise(out: Float32Array): Float32Array {
    return this.rng.fillNormal(out, 0, this.stdev) as Float32Array;
  }

  /** sum over dims of (x~ - x)^2 / (2 stdev^2), per row. */
  corruptionFreeEnergy(corrupted: Tensor, x: Tensor): Tensor {
    return corrupted.sub(x).square().sum(1).mul(1 / (2 * this.stdev * this.stdev));
  }

  /** (x - x~) / stdev^2. */
  parzenScore(corrupted: Tensor, x: Tensor): Tensor {
    return x.sub(corrupted).mul(1 / (this.stdev * this.stdev));
  }
}

/** Salt-and-pepper noise: with probability corruption_level an input becomes 0 or 1 (equally likely). */
export class SaltPepperCorruptor extends SeededCorruptor {
  readonly className: string = "SaltPepperCorruptor";
  constructor(readonly corruptionLevel: number, seed?: number | readonly number[] | null) {
    super(seed);
  }

  corrupt(x: Tensor): Tensor {
    const [keep, salt] = noGrad(() => {
      const a = this.uniformLike(x).lt(1 - this.corruptionLevel);
      const b = this.uniformLike(x).lt(0.5);
      return [a, a.rsub(1).mul(b)]; // c = (a == 0) * b, as pylearn2
    });
    return x.mul(keep).add(salt);
  }
}
