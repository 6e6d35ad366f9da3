import { describe, expect, it } from "vitest";
import { Tensor, gradients } from "../engine/index.js";
import { BinomialCorruptor, DropoutCorruptor, GaussianCorruptor, SaltPepperCorruptor } from "./corruptors.js";

const N = 200, D = 100; // 20000 entries: a proportion's standard error is about 0.0035
const values = (t: Tensor) => Array.from(t.toArray());
const frac = (xs: number[], pred: (x: number) => boolean) => xs.filter(pred).length / xs.length;

describe("corruptors", () => {
  const X = Tensor.full([N, D], 0.7);

  it("BinomialCorruptor zeroes inputs with probability corruption_level and keeps the rest", () => {
    const out = values(new BinomialCorruptor(0.3).corrupt(X));
    expect(frac(out, (x) => x === 0)).toBeCloseTo(0.3, 1);
    expect(Math.abs(frac(out, (x) => x === 0) - 0.3)).toBeLessThan(0.015);
    expect(out.every((x) => x === 0 || Math.abs(x - 0.7) < 1e-7)).toBe(true);
  });

  it("DropoutCorruptor rescales kept inputs by 1/(1-p), keeping the mean", () => {
    const out = values(new DropoutCorruptor(0.5).corrupt(X));
    expect(Math.abs(frac(out, (x) => x === 0) - 0.5)).toBeLessThan(0.015);
    expect(out.every((x) => x === 0 || Math.abs(x - 1.4) < 1e-6)).toBe(true);
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    expect(Math.abs(mean - 0.7)).toBeLessThan(0.02);
    const tiny = new DropoutCorruptor(1e-6);
    expect(tiny.corrupt(X)).toBe(X);
  });

  it("GaussianCorruptor adds N(0, stdev^2) noise; its Parzen score is (x - x~)/stdev^2", () => {
    const c = new GaussianCorruptor(0.4);
    const Xt = c.corrupt(X);
    const noise = values(Xt).map((x) => x - 0.7);
    const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
    const sd = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sd - 0.4)).toBeLessThan(0.01);
    // parzen = -d/dx~ of the corruption free energy
    const xt = Tensor.param(values(Xt).slice(0, 6), [2, 3], "xt");
    const x0 = X.slice([0, 0], [2, 3]);
    const g = gradients(c.corruptionFreeEnergy(xt, x0).sum().neg(), [xt])[0].toArray();
    const p = c.parzenScore(xt, x0).toArray();
    for (let i = 0; i < 6; i++) expect(p[i]).toBeCloseTo(g[i], 5);
    expect(p[0]).toBeCloseTo((0.7 - xt.toArray()[0]) / 0.16, 5);
  });

  it("SaltPepperCorruptor sets a corruption_level fraction to 0 or 1, half each", () => {
    const out = values(new SaltPepperCorruptor(0.2).corrupt(X));
    const zeros = frac(out, (x) => x === 0), ones = frac(out, (x) => x === 1);
    expect(Math.abs(zeros - 0.1)).toBeLessThan(0.012);
    expect(Math.abs(ones - 0.1)).toBeLessThan(0.012);
    expect(out.every((x) => x === 0 || x === 1 || Math.abs(x - 0.7) < 1e-7)).toBe(true);
  });

  it("is seeded (pylearn2 default 2001) and resumes from its saved state", () => {
    const a = new GaussianCorruptor(1);
    const b = new GaussianCorruptor(1, 2001);
    expect(values(a.corrupt(X))).toEqual(values(b.corrupt(X)));
    const c = new SaltPepperCorruptor(0.5, [2012, 10, 16]);
    c.corrupt(X);
    const st = c.rngState();
    const next = values(c.corrupt(X));
    const d = new SaltPepperCorruptor(0.5, 1);
    d.loadRngState(st);
    expect(values(d.corrupt(X))).toEqual(next);
    // The cached second normal deviate is part of the state too.
    const g = new GaussianCorruptor(1, 5);
    g.corrupt(Tensor.zeros([1, 1]));
    const gs = g.rngState();
    const gn = values(g.corrupt(X));
    const h = new GaussianCorruptor(1, 6);
    h.loadRngState(gs);
    expect(values(h.corrupt(X))).toEqual(gn);
  });

  it("lets gradients flow through x (the noise is constant)", () => {
    const x = Tensor.param([1, 2, 3, 4], [2, 2], "x");
    const [gd] = gradients(new DropoutCorruptor(0.5, 3).corrupt(x).sum(), [x]);
    expect(values(gd).every((v) => v === 0 || v === 2)).toBe(true);
    const [gg] = gradients(new GaussianCorruptor(1).corrupt(x).sum(), [x]);
    expect(values(gg)).toEqual([1, 1, 1, 1]);
  });
});
