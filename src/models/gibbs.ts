import { Tensor } from "../engine/index.js";
import { keepBeyondStep, noGrad } from "../engine/index.js";
import { Rng } from "../util/rng.js";

/**
 * Sampling pieces shared by the RBMs and the energy-based costs: Bernoulli and Gaussian draws,
 * pylearn2's block Gibbs sampler with persistent particles (for SML/PCD), and a lossless encoding
 * of an Rng's state as float32 values so a component that owns a generator can put it in
 * `extraState` and resume exactly.
 */

/** One round of block Gibbs sampling v -> h -> v, with the intermediate means (pylearn2's `locals()`). */
export interface GibbsStep {
  hMean: Tensor;
  hSample: Tensor;
  vMean: Tensor;
  vSample: Tensor;
}

/** A model that can take a Gibbs step on its visible units (RBM, GaussianBinaryRBM). */
export interface GibbsModel {
  readonly inputDim: number;
  gibbsStepForV(v: Tensor, rng: Rng): GibbsStep;
}

export function isGibbsModel(m: unknown): m is GibbsModel {
  return typeof (m as GibbsModel | null)?.gibbsStepForV === "function";
}

/** 1 where u < p for uniform u, else 0: a Bernoulli(p) draw per entry, with no gradient. */
export function sampleBernoulli(p: Tensor, rng: Rng): Tensor {
  const u = rng.fillUniform(new Float32Array(p.size));
  return noGrad(() => Tensor.from(u, p.shape, p.backend).lt(p.detach()));
}

/** Standard normal deviates of `shape`. */
export function standardNormal(shape: readonly number[], rng: Rng, like: Tensor): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.from(rng.fillNormal(new Float32Array(n)), shape, like.backend);
}

/**
 * pylearn2's BlockGibbsSampler: `nchains` persistent particles, started at 0.5 everywhere (as
 * pylearn2's SML), advanced `steps` Gibbs steps each time `advance` is called.
 */
export class BlockGibbsSampler {
  particles: Tensor | null = null;

  constructor(
    readonly nchains: number,
    readonly steps: number,
  ) {}

  /** The current particles, created at 0.5 for `model` on first use. */
  current(model: GibbsModel, like: Tensor): Tensor {
    if (this.particles === null || this.particles.shape[1] !== model.inputDim) {
      this.particles = keepBeyondStep(Tensor.full([this.nchains, model.inputDim], 0.5, like.backend));
    }
    return this.particles;
  }

  advance(model: GibbsModel, rng: Rng, like: Tensor): Tensor {
    let v = this.current(model, like);
    noGrad(() => {
      for (let i = 0; i < this.steps; i++) v = model.gibbsStepForV(v, rng).vSample;
    });
    // The chains persist from step to step.
    this.particles = keepBeyondStep(v.detach());
    return this.particles;
  }
}

// ---------- Rng state as float32 (exact) ----------

/** 4 state words as 8 16-bit halves, a flag for the cached normal deviate, and its float64 bits as 4 halves. */
const RNG_STATE_LEN = 13;

/** The generator's full state as float32 values; every value is an integer below 2^16, so float32 holds it exactly. */
export function encodeRngState(rng: Rng): { shape: number[]; data: Float32Array } {
  const st = rng.getState();
  const out = new Float32Array(RNG_STATE_LEN);
  st.s.forEach((w, i) => {
    out[2 * i] = w >>> 16;
    out[2 * i + 1] = w & 0xffff;
  });
  if (st.spare !== null) {
    out[8] = 1;
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, st.spare);
    for (let i = 0; i < 4; i++) out[9 + i] = dv.getUint16(2 * i);
  }
  return { shape: [RNG_STATE_LEN], data: out };
}

export function decodeRngState(rng: Rng, state: { data: Float32Array }, what: string): void {
  const d = state.data;
  if (d.length !== RNG_STATE_LEN) throw new Error(`${what}: saved random-generator state has ${d.length} values, expected ${RNG_STATE_LEN}`);
  const s = [0, 1, 2, 3].map((i) => ((d[2 * i] << 16) | d[2 * i + 1]) >>> 0) as [number, number, number, number];
  let spare: number | null = null;
  if (d[8] === 1) {
    const dv = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < 4; i++) dv.setUint16(2 * i, d[9 + i]);
    spare = dv.getFloat64(0);
  }
  rng.setState({ s, spare });
}

/** A generator from a pylearn2-style seed (`2001`, `[2012, 10, 16]`), or `fallback` when the seed is null. */
export function rngFromSeed(seed: number | readonly number[] | null | undefined, fallback: number): Rng {
  return Rng.fromSeed(seed ?? fallback);
}
