import { describe, expect, it } from "vitest";
import { Tensor, checkGradients, float64Backend, gradients } from "../engine/index.js";
import { Rng } from "../util/rng.js";
import { ConfigError } from "../util/errors.js";
import { Autoencoder, type Activation } from "./autoencoder.js";
import { DenoisingAutoencoder } from "./dae.js";
import { ContractiveAutoencoder } from "./cae.js";
import { BinomialCorruptor } from "./corruptors.js";
import { onFloat64 } from "../../test/helpers/gradcheck.js";

const ACT: Record<string, (x: number) => number> = {
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  softplus: (x) => Math.log1p(Math.exp(x)),
  relu: (x) => Math.max(0, x),
  linear: (x) => x,
};
const act = (a: Activation) => ACT[a ?? "linear"];
const train = { rng: new Rng(0), training: true };
const monitor = { rng: new Rng(0), training: false };

describe("Autoencoder", () => {
  const nv = 4, nh = 3;
  const x = [0.5, -1, 2, 0.25, 1, 0, -0.5, 1.5];

  for (const [enc, dec, tied] of [["sigmoid", "sigmoid", false], ["tanh", null, true], ["relu", "linear", false], ["softplus", "tanh", true]] as const) {
    it(`h = ${enc}(xW + b), r = ${dec}(hW' + b') (${tied ? "tied" : "untied"}) against a direct loop`, () => {
      const m = onFloat64(() => new Autoencoder({ nvis: nv, nhid: nh, actEnc: enc, actDec: dec, tiedWeights: tied, irange: 1, seed: 3 }));
      const rng = new Rng(8);
      m.visbias.assign(Tensor.from(rng.fillNormal(new Float64Array(nv)), [nv], float64Backend));
      m.hidbias.assign(Tensor.from(rng.fillNormal(new Float64Array(nh)), [nh], float64Backend));
      const W = m.weights.toArray(), b = m.hidbias.toArray(), bp = m.visbias.toArray();
      const Wp = m.wPrime ? m.wPrime.toArray() : null;
      const X = Tensor.from(x, [2, nv], float64Backend);
      const H = m.encode(X).toArray(), R = m.reconstruct(X, train).toArray();
      for (let n = 0; n < 2; n++) {
        const h = Array.from({ length: nh }, (_, j) => act(enc)(b[j] + x.slice(n * nv, n * nv + nv).reduce((a, xi, i) => a + xi * W[i * nh + j], 0)));
        h.forEach((hj, j) => expect(H[n * nh + j]).toBeCloseTo(hj, 12));
        for (let i = 0; i < nv; i++) {
          // W' is W^T when tied: W'[j][i] = W[i][j].
          const z = bp[i] + h.reduce((a, hj, j) => a + hj * (Wp ? Wp[j * nv + i] : W[i * nh + j]), 0);
          expect(R[n * nv + i]).toBeCloseTo(act(dec)(z), 12);
        }
      }
    });
  }

  it("parameters: pylearn2 names and order, init ranges, seeded", () => {
    const a = new Autoencoder({ nvis: 50, nhid: 40, actEnc: "tanh", actDec: null, irange: 0.05 });
    expect(a.params().map((p) => p.name)).toEqual(["visbias", "hidbias", "weights", "w_prime"]);
    const w = Array.from(a.weights.toArray()), wp = Array.from(a.wPrime!.toArray());
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.05);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.049);
    // pylearn2 draws W' as (0.5 - rand) * irange: half the range.
    expect(Math.max(...wp.map(Math.abs))).toBeLessThanOrEqual(0.025);
    expect(Math.max(...wp.map(Math.abs))).toBeGreaterThan(0.024);
    expect(Array.from(new Autoencoder({ nvis: 50, nhid: 40, actEnc: "tanh", actDec: null, irange: 0.05, seed: 9001 }).weights.toArray())).toEqual(w);
    const t = new Autoencoder({ nvis: 5, nhid: 4, actEnc: "sigmoid", actDec: "sigmoid", tiedWeights: true });
    expect(t.params().map((p) => p.name)).toEqual(["visbias", "hidbias", "weights"]);
    const g = new Autoencoder({ nvis: 100, nhid: 100, actEnc: "sigmoid", actDec: "sigmoid", istdev: 0.1 });
    const gw = Array.from(g.weights.toArray());
    const sd = Math.sqrt(gw.reduce((s, v) => s + v * v, 0) / gw.length);
    expect(sd).toBeCloseTo(0.1, 2);
    expect(() => new Autoencoder({ nvis: 0, nhid: 2, actEnc: null, actDec: null })).toThrow(ConfigError);
  });

  it("monitors the reconstruction error, draws its encoder weights, encodes for stacking", () => {
    const m = new Autoencoder({ nvis: 4, nhid: 3, actEnc: "sigmoid", actDec: null, irange: 0.5 });
    const X = Tensor.from(x, [2, 4]);
    const ch = m.monitorChannels({ X, size: 2 }, monitor);
    const r = m.reconstruct(X, monitor).toArray();
    let want = 0;
    for (let i = 0; i < 8; i++) want += (r[i] - x[i]) ** 2;
    expect((ch.reconstruction_error as Tensor).item()).toBeCloseTo(want / 2, 5);
    expect(m.drawableLayers()).toEqual([{ name: "weights", tensor: "weights", layout: "vis_by_hid" }]);
    expect(m.outputDim).toBe(3);
  });
});

describe("DenoisingAutoencoder", () => {
  it("corrupts the input while training only, with a resumable corruptor", () => {
    const opts = { nvis: 6, nhid: 4, actEnc: "tanh" as const, actDec: null, irange: 0.5 };
    const plain = new Autoencoder(opts);
    const dae = new DenoisingAutoencoder(new BinomialCorruptor(0.5, 1), opts);
    const X = Tensor.from(new Rng(1).fillUniform(new Float32Array(60), 0.5, 1), [10, 6]);
    expect(Array.from(dae.reconstruct(X, monitor).toArray())).toEqual(Array.from(plain.reconstruct(X, monitor).toArray()));
    // While training, the encoder sees x with about half its entries zeroed.
    const seen = dae.corruptor.corrupt;
    let corrupted: Tensor | null = null;
    dae.corruptor.corrupt = (t: Tensor) => (corrupted = seen.call(dae.corruptor, t));
    const rt = dae.reconstruct(X, train).toArray();
    dae.corruptor.corrupt = seen;
    const c = Array.from(corrupted!.toArray());
    expect(c.filter((v) => v === 0).length).toBeGreaterThan(15);
    expect(Array.from(rt)).toEqual(Array.from(plain.reconstruct(corrupted!, monitor).toArray()));
    const st = dae.extraState();
    const next = Array.from(dae.reconstruct(X, train).toArray());
    const other = new DenoisingAutoencoder(new BinomialCorruptor(0.5, 77), opts);
    other.loadExtraState(st);
    expect(Array.from(other.reconstruct(X, train).toArray())).toEqual(next);
  });
});

describe("ContractiveAutoencoder", () => {
  for (const enc of ["sigmoid", "tanh", "softplus", "linear"] as const) {
    it(`contraction penalty (${enc}) is the batch-mean squared Frobenius norm of dh/dx`, () => {
      const m = onFloat64(() => new ContractiveAutoencoder({ nvis: 4, nhid: 3, actEnc: enc, actDec: "sigmoid", irange: 1 }));
      const rows = [[0.3, -0.2, 1, 0.5], [1, 1, -1, 0]];
      let want = 0;
      for (const row of rows) {
        // Jacobian by autodiff, one hidden unit at a time.
        const xr = Tensor.param(row, [1, 4], "x", float64Backend);
        const h = m.encode(xr);
        for (let j = 0; j < 3; j++) {
          const sel = Tensor.from([0, 1, 2].map((k) => (k === j ? 1 : 0)), [1, 3], float64Backend);
          const g = gradients(h.mul(sel).sum(), [xr])[0].toArray();
          for (const v of g) want += v * v;
        }
      }
      const got = m.contractionPenalty(Tensor.from(rows.flat(), [2, 4], float64Backend)).item();
      expect(got).toBeCloseTo(want / 2, 10);
    });
  }

  it("contraction penalty gradients agree with finite differences", () => {
    const X = Tensor.from(new Rng(2).fillNormal(new Float64Array(12)), [3, 4], float64Backend);
    for (const enc of ["sigmoid", "tanh", "softplus"] as const) {
      const r = checkGradients((W, hb) => {
        const m = onFloat64(() => new ContractiveAutoencoder({ nvis: 4, nhid: 3, actEnc: enc, actDec: null }));
        Object.assign(m, { weights: W, hidbias: hb });
        return m.contractionPenalty(X);
      }, [{ shape: [4, 3] }, { shape: [3] }]);
      expect(r.maxError, enc).toBeLessThan(1e-6);
    }
  });

  it("reports the penalty as a channel", () => {
    const m = new ContractiveAutoencoder({ nvis: 4, nhid: 3, actEnc: "sigmoid", actDec: "sigmoid", irange: 0.5 });
    const X = Tensor.from([0, 1, 0, 1, 1, 1, 0, 0], [2, 4]);
    const ch = m.monitorChannels({ X, size: 2 }, monitor);
    expect((ch.contraction_penalty as Tensor).item()).toBeCloseTo(m.contractionPenalty(X).item(), 6);
    expect(ch.reconstruction_error).toBeDefined();
  });
});
