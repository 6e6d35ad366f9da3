import { DenseDesignMatrix } from "./dataset.js";
import { ConfigError } from "../util/errors.js";
import { Rng } from "../util/rng.js";

export interface SineWaveOptions {
  /** Steps in the sequence. */
  length?: number;
  /** Steps per cycle. */
  period?: number;
  amplitude?: number;
  /** Phase in radians at step 0. */
  phase?: number;
  /** Standard deviation of Gaussian noise added to every step. */
  noise?: number;
  seed?: number | number[];
}

/**
 * A 1-D sequence, one step per row: x_t = amplitude * sin(2 pi t / period + phase) + noise.
 * The input for sliding-window examples (SlidingWindow turns it into window -> next value pairs).
 */
export function sineWave(opts: SineWaveOptions = {}): DenseDesignMatrix {
  const length = opts.length ?? 1000;
  const period = opts.period ?? 50;
  if (!Number.isInteger(length) || length < 1) throw new ConfigError(`SineWave: length must be a positive integer, got ${length}`);
  if (!(period > 0)) throw new ConfigError(`SineWave: period must be positive, got ${period}`);
  const amp = opts.amplitude ?? 1;
  const phase = opts.phase ?? 0;
  const noise = opts.noise ?? 0;
  const rng = Rng.fromSeed(opts.seed ?? 0);
  const X = new Float32Array(length);
  for (let t = 0; t < length; t++) X[t] = amp * Math.sin((2 * Math.PI * t) / period + phase) + (noise > 0 ? noise * rng.normal() : 0);
  return new DenseDesignMatrix({ X, numExamples: length, dim: 1, description: `SineWave(length=${length}, period=${period})` });
}
