/**
 * Seeded random numbers: xoshiro128** (32-bit state words, fast with Math.imul), seeded through
 * splitmix32. The whole state — four words plus the cached second normal deviate — can be saved
 * and restored, so a resumed run draws exactly the numbers an uninterrupted one would.
 */
export interface RngState {
  s: [number, number, number, number];
  /** Second Box-Muller deviate kept for the next `normal()` call, or null. */
  spare: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    // Seeds may be any JS number (pylearn2 configs use lists like [2012, 10, 16]); fold to 32 bits.
    const sm = splitmix32(Math.floor(Math.abs(seed)) % 4294967296 ^ (seed < 0 ? 0x5bd1e995 : 0));
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
  }

  /** Seed from a list of integers, as pylearn2's `[2012, 10, 16]` seeds. */
  static fromSeed(seed: number | readonly number[]): Rng {
    if (typeof seed === "number") return new Rng(seed);
    let h = 0x811c9dc5;
    for (const v of seed) h = Math.imul(h ^ (v >>> 0), 0x01000193) >>> 0;
    return new Rng(h);
  }

  getState(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  setState(st: RngState): void {
    [this.s0, this.s1, this.s2, this.s3] = st.s.map((v) => v >>> 0) as [number, number, number, number];
    this.spare = st.spare;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [0, n). Rejection sampling avoids modulo bias. */
  randint(n: number): number {
    if (n <= 0) throw new RangeError(`randint needs n > 0, got ${n}`);
    if (n > 4294967296) return Math.floor(this.uniform() * n);
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextU32();
    while (x >= limit);
    return x % n;
  }

  /** Standard normal deviate (Box-Muller; the second value is cached in the state). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** 1 with probability p, else 0. */
  bernoulli(p: number): number {
    return this.uniform() < p ? 1 : 0;
  }

  /** Binomial(n, p) by summing Bernoulli draws (n is small wherever dl uses it). */
  binomial(n: number, p: number): number {
    let k = 0;
    for (let i = 0; i < n; i++) if (this.uniform() < p) k++;
    return k;
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  fillUniform(out: Float32Array | Float64Array, lo = 0, hi = 1): typeof out {
    const w = hi - lo;
    for (let i = 0; i < out.length; i++) out[i] = lo + w * (this.nextU32() / 4294967296);
    return out;
  }

  /**
   * Normal deviates by Marsaglia's polar method: one log and one sqrt per pair and no sines, about
   * twice as fast as Box-Muller (noise for denoising costs is drawn every training step).
   */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): typeof out {
    const n = out.length;
    let i = 0;
    while (i < n) {
      let u: number, v: number, s: number;
      do {
        u = (this.nextU32() / 4294967296) * 2 - 1;
        v = (this.nextU32() / 4294967296) * 2 - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = mean + std * u * f;
      if (i < n) out[i++] = mean + std * v * f;
    }
    return out;
  }

  /** Each entry 1 with probability p (p may be per-entry via an array), else 0. */
  fillBernoulli(out: Float32Array | Float64Array, p: number | ArrayLike<number>): typeof out {
    if (typeof p === "number") for (let i = 0; i < out.length; i++) out[i] = this.nextU32() / 4294967296 < p ? 1 : 0;
    else for (let i = 0; i < out.length; i++) out[i] = this.nextU32() / 4294967296 < p[i] ? 1 : 0;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
