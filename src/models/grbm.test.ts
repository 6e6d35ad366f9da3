import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Tensor, checkGradients, float64Backend, gradients } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { GaussianBinaryRBM } from "./grbm.js";
import { GRBM_TYPE_1, type GrbmParams } from "./grbm-energy.js";
import { onFloat64 } from "../../test/helpers/gradcheck.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const V = JSON.parse(readFileSync(path.resolve(root, "../shared/vectors/grbm_smd_small.json"), "utf8"));

/** Builds on the float64 backend (model parameters are made on the default backend). */
const flat = (m: number[][]) => m.flat();

/** A GRBM holding the reference vectors' parameters. */
function referenceModel(float64 = false): GaussianBinaryRBM {
  const make = () => {
    const m = new GaussianBinaryRBM({
      nvis: V.nvis, nhid: V.nhid, learnSigma: true, sigmaLrScale: V.sigma_lr_scale,
      initSigma: V.sigma_driver * V.sigma_lr_scale, minSigma: 0.1, maxSigma: 10,
    });
    m.W.assign(Tensor.from(flat(V.W), [V.nvis, V.nhid], m.W.backend));
    m.biasVis.assign(Tensor.from(V.bias_vis, [V.nvis], m.W.backend));
    m.biasHid.assign(Tensor.from(V.bias_hid, [V.nhid], m.W.backend));
    m.sigmaDriver.assign(Tensor.from([V.sigma_driver], [], m.W.backend));
    return m;
  };
  return float64 ? onFloat64(make) : make();
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string) {
  expect(got.length, what).toBe(want.length);
  const scale = Math.max(...Array.from(want, Math.abs));
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(rel * Math.max(Math.abs(want[i]), 1e-3 * scale));
  }
}

// Independent float64 definitions, straight from DESIGN section 4.
const sigm = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
function refHidden(v: number[], W: number[][], c: number[], s2: number): number[] {
  return c.map((cj, j) => sigm((cj + v.reduce((a, vi, i) => a + vi * W[i][j], 0)) / s2));
}
function refFreeEnergy(v: number[], W: number[][], b: number[], c: number[], s2: number): number {
  const vv = v.reduce((a, x) => a + x * x, 0);
  const vb = v.reduce((a, x, i) => a + x * b[i], 0);
  let soft = 0;
  for (let j = 0; j < c.length; j++) soft += softplus((c[j] + v.reduce((a, vi, i) => a + vi * W[i][j], 0)) / s2);
  return (vv / 2 - vb) / s2 - soft;
}
function refScore(v: number[], W: number[][], b: number[], c: number[], s2: number): number[] {
  const h = refHidden(v, W, c, s2);
  return v.map((vi, i) => -(vi - b[i] - h.reduce((a, hj, j) => a + hj * W[i][j], 0)) / s2);
}

describe("GaussianBinaryRBM (grbm_type_1)", () => {
  const s2 = (V.sigma_driver * V.sigma_lr_scale) ** 2;
  const xt: number[][] = V.x.map((row: number[], n: number) => row.map((x, i) => x + V.stdev * V.noise[n][i]));

  it("free energy, P(h|x~) and score equal the reference vectors in float32", () => {
    const m = referenceModel();
    const X = Tensor.from(flat(V.x), [3, V.nvis]);
    const Xt = Tensor.from(flat(xt), [3, V.nvis]);
    expectClose(m.freeEnergy(X).toArray(), V.free_energy, 1e-5, "free energy");
    expectClose(m.meanHGivenV(Xt).toArray(), flat(V.mean_h_given_x_tilde), 1e-5, "P(h|x~)");
    expectClose(m.score(Xt).toArray(), flat(V.score_at_x_tilde), 1e-5, "score");
  });

  it("matches an independent float64 closed form on random parameters", () => {
    const rng = new Rng(7);
    const nv = 5, nh = 3;
    const W = Array.from({ length: nv }, () => Array.from({ length: nh }, () => rng.normal()));
    const b = Array.from({ length: nv }, () => rng.normal());
    const c = Array.from({ length: nh }, () => rng.normal());
    const v = Array.from({ length: 4 }, () => Array.from({ length: nv }, () => 2 * rng.normal()));
    const sigma = 0.8;
    const m = onFloat64(() => new GaussianBinaryRBM({ nvis: nv, nhid: nh, initSigma: sigma, sigmaLrScale: 0.01, learnSigma: true }));
    m.W.assign(Tensor.from(flat(W), [nv, nh], float64Backend));
    m.biasVis.assign(Tensor.from(b, [nv], float64Backend));
    m.biasHid.assign(Tensor.from(c, [nh], float64Backend));
    const Vt = Tensor.from(flat(v), [4, nv], float64Backend);
    const F = m.freeEnergy(Vt).toArray();
    const S = m.score(Vt).toArray();
    const H = m.meanHGivenV(Vt).toArray();
    v.forEach((row, n) => {
      expect(F[n]).toBeCloseTo(refFreeEnergy(row, W, b, c, sigma * sigma), 12);
      refScore(row, W, b, c, sigma * sigma).forEach((s, i) => expect(S[n * nv + i]).toBeCloseTo(s, 12));
      refHidden(row, W, c, sigma * sigma).forEach((h, j) => expect(H[n * nh + j]).toBeCloseTo(h, 12));
    });
    // E[v|h] = b + h W^T
    const h = Tensor.from([1, 0, 1, 0, 1, 1], [2, nh], float64Backend);
    const mv = m.meanVGivenH(h).toArray();
    for (let i = 0; i < nv; i++) {
      expect(mv[i]).toBeCloseTo(b[i] + W[i][0] + W[i][2], 12);
      expect(mv[nv + i]).toBeCloseTo(b[i] + W[i][1] + W[i][2], 12);
    }
  });

  it("score = -dF/dv (autodiff and central differences)", () => {
    const m = referenceModel(true);
    const X = Tensor.param(flat(xt), [3, V.nvis], "x", float64Backend);
    const dF = gradients(m.freeEnergy(X).sum(), [X])[0].toArray();
    const S = m.score(X).toArray();
    for (let i = 0; i < S.length; i++) expect(S[i]).toBeCloseTo(-dF[i], 10);
    const data = X.data as Float64Array;
    const h = 1e-6;
    for (const k of [0, 4, 7, 17]) {
      const row = Math.floor(k / V.nvis);
      const orig = data[k];
      data[k] = orig + h;
      const fp = m.freeEnergy(X).toArray()[row];
      data[k] = orig - h;
      const fm = m.freeEnergy(X).toArray()[row];
      data[k] = orig;
      expect(S[k]).toBeCloseTo(-(fp - fm) / (2 * h), 6);
    }
  });

  it("free energy is -log sum_h exp(-E(v,h)) over all hidden states", () => {
    const m = referenceModel(true);
    const X = Tensor.from(flat(V.x), [3, V.nvis], float64Backend);
    const F = m.freeEnergy(X).toArray();
    for (let n = 0; n < 3; n++) {
      const es: number[] = [];
      for (let s = 0; s < 1 << V.nhid; s++) {
        const h = Array.from({ length: V.nhid }, (_, j) => (s >> j) & 1);
        const E = m.energy(X.slice([n, 0], [n + 1, V.nvis]), Tensor.from(h, [1, V.nhid], float64Backend)).item();
        es.push(-E);
      }
      const mx = Math.max(...es);
      const lse = mx + Math.log(es.reduce((a, e) => a + Math.exp(e - mx), 0));
      expect(F[n]).toBeCloseTo(-lse, 9);
    }
  });

  it("energy-function gradients agree with finite differences (W, b, c, sigma)", () => {
    const nv = 4, nh = 3;
    const x = Tensor.from(new Rng(3).fillNormal(new Float64Array(2 * nv)), [2, nv], float64Backend);
    const r = checkGradients((W, b, c, d) => {
      const p: GrbmParams = { W, biasVis: b, biasHid: c, sigma: d.mul(0.5) };
      return Tensor.concat([GRBM_TYPE_1.freeEnergy(p, x).reshape([2, 1]), GRBM_TYPE_1.score(p, x), GRBM_TYPE_1.energy(p, x, GRBM_TYPE_1.meanHGivenV(p, x)).reshape([2, 1])], 1);
    }, [{ shape: [nv, nh] }, { shape: [nv] }, { shape: [nh] }, { shape: [], values: [1.7] }]);
    expect(r.maxError).toBeLessThan(1e-6);
  });

  it("sigma = sigma_driver * sigma_lr_scale; the driver is a parameter only when learned, clipped after updates", () => {
    const fixed = new GaussianBinaryRBM({ nvis: 3, nhid: 2, initSigma: 0.4 });
    expect(fixed.params().map((p) => p.name)).toEqual(["W", "bias_vis", "bias_hid"]);
    const m = new GaussianBinaryRBM({ nvis: 3, nhid: 2, initSigma: 0.4, learnSigma: true, sigmaLrScale: 1e-3, minSigma: 0.1, maxSigma: 10 });
    expect(m.params().map((p) => p.name)).toEqual(["W", "bias_vis", "bias_hid", "sigma_driver"]);
    expect(m.sigmaDriver.item()).toBeCloseTo(400, 3);
    expect(m.sigmaValue()).toBeCloseTo(0.4, 6);
    m.sigmaDriver.assign(Tensor.from([20], []));
    m.afterUpdate();
    expect(m.sigmaDriver.item()).toBeCloseTo(100, 3); // min_sigma / scale
    m.sigmaDriver.assign(Tensor.from([2e5], []));
    m.afterUpdate();
    expect(m.sigmaDriver.item()).toBeCloseTo(1e4, 1);
    expect((m as { lrScalers?: unknown }).lrScalers).toBeUndefined(); // the scale acts through the parameterisation
  });

  it("initialises W ~ U(-irange, irange) and bias_hid = init_bias_hid, reproducibly", () => {
    const a = new GaussianBinaryRBM({ nvis: 192, nhid: 400, irange: 0.05, initBiasHid: -2, seed: 5 });
    const b = new GaussianBinaryRBM({ nvis: 192, nhid: 400, irange: 0.05, initBiasHid: -2, seed: 5 });
    const w = a.W.toArray();
    expect(Array.from(w)).toEqual(Array.from(b.W.toArray()));
    expect(Math.max(...w)).toBeLessThan(0.05);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-0.05);
    expect(Math.max(...w)).toBeGreaterThan(0.049);
    expect(Array.from(new Set(a.biasHid.toArray()))).toEqual([-2]);
    expect(Array.from(new Set(a.biasVis.toArray()))).toEqual([0]);
  });

  it("samples visibles from N(E[v|h], sigma^2) unless mean_vis", () => {
    const m = new GaussianBinaryRBM({ nvis: 2, nhid: 1, initSigma: 0.5 });
    const mean = Tensor.from(new Float32Array(2 * 20000).fill(1.5), [20000, 2]);
    const s = m.sampleVisibles(mean, new Rng(1)).toArray();
    let mu = 0, sq = 0;
    for (const x of s) mu += x;
    mu /= s.length;
    for (const x of s) sq += (x - mu) ** 2;
    expect(mu).toBeCloseTo(1.5, 2);
    expect(Math.sqrt(sq / s.length)).toBeCloseTo(0.5, 2);
    const mv = new GaussianBinaryRBM({ nvis: 2, nhid: 1, meanVis: true });
    expect(mv.sampleVisibles(mean, new Rng(1))).toBe(mean);
  });

  it("reports pylearn2's RBM channels", () => {
    const m = referenceModel();
    const X = Tensor.from(flat(V.x), [3, V.nvis]);
    const ch = m.monitorChannels({ X, size: 3 }, { rng: new Rng(1), training: false });
    expect(Object.keys(ch).sort()).toEqual([
      "bias_hid_max", "bias_hid_mean", "bias_hid_min", "bias_vis_max", "bias_vis_mean", "bias_vis_min",
      "h_max", "h_mean", "h_min", "reconstruction_error",
    ]);
    const val = (k: string) => (ch[k] as Tensor).item();
    expect(val("bias_hid_min")).toBeCloseTo(Math.min(...V.bias_hid), 6);
    expect(val("bias_vis_mean")).toBeCloseTo(V.bias_vis.reduce((a: number, b: number) => a + b, 0) / V.nvis, 6);
    // h_*: statistics over units of each unit's batch-mean activation.
    const s2v = s2;
    const hm = Array.from({ length: V.nhid }, (_, j) => V.x.reduce((a: number, row: number[]) => a + refHidden(row, V.W, V.bias_hid, s2v)[j], 0) / 3);
    expect(val("h_max")).toBeCloseTo(Math.max(...hm), 6);
    expect(val("h_min")).toBeCloseTo(Math.min(...hm), 6);
    expect(val("reconstruction_error")).toBeGreaterThan(0);
    expect(m.encode(X).shape).toEqual([3, V.nhid]);
    expect(m.drawableLayers()[0]).toMatchObject({ tensor: "W", layout: "vis_by_hid" });
  });
});
