import { describe, expect, it } from "vitest";
import { Tensor } from "./tensor.js";
import { gradients } from "./autodiff.js";
import { noGrad } from "./context.js";
import { keepBeyondStep, runInStepScope } from "./step-scope.js";
import { cpuBackend, ReferenceBackend } from "./backends/reference.js";
import { Rng } from "../util/rng.js";

// Sizes above the 16 KiB slab limit, so the step's buffers really are recycled.
const B = 32;
const D = 200;
const H = 150;

interface Net {
  W: Tensor;
  b: Tensor;
  V: Tensor;
  /** AdaGrad-style accumulator whose `data` is replaced every step. */
  acc: Tensor;
  /** State made inside a step and read in the next one (like persistent Gibbs chains). */
  chain: Tensor | null;
  /** Arrays read out during steps and kept (like monitor values). */
  readOut: Float32Array[];
}

function makeNet(seed: number): Net {
  const rng = new Rng(seed);
  const u = (n: number, r: number) => rng.fillUniform(new Float32Array(n), -r, r);
  return {
    W: Tensor.param(u(D * H, 0.1), [D, H], "W"),
    b: Tensor.param(new Float32Array(H), [H], "b"),
    V: Tensor.param(u(H * D, 0.1), [H, D], "V"),
    acc: Tensor.zeros([D, H]),
    chain: null,
    readOut: [],
  };
}

/** One step of a small autoencoder with AdaGrad on W and plain SGD elsewhere. */
function step(net: Net, rng: Rng, keepChain: (t: Tensor) => Tensor): void {
  const x = net.chain ?? Tensor.from(rng.fillUniform(new Float32Array(B * D), 0, 1), [B, D]);
  const h = x.matmul(net.W).add(net.b).sigmoid();
  const loss = h.matmul(net.V).sub(x).square().sum().mul(1 / B);
  const [gW, gb, gV] = gradients(loss, [net.W, net.b, net.V]);
  noGrad(() => {
    net.acc.data = net.acc.add(gW.square()).data;
    net.W.data = net.W.sub(gW.mul(0.05).div(net.acc.add(1e-6).sqrt())).data;
    net.b.axpyInPlace(gb, -0.05);
    net.V.axpyInPlace(gV, -0.05);
    net.chain = keepChain(h.matmul(net.V).sigmoid().detach());
    net.readOut.push(h.toArray() as Float32Array);
  });
}

function train(scoped: boolean, steps: number): Net {
  const net = makeNet(3);
  const rng = new Rng(7);
  for (let i = 0; i < steps; i++) {
    if (scoped) runInStepScope(cpuBackend, () => step(net, rng, keepBeyondStep));
    else step(net, rng, (t) => t);
  }
  return net;
}

describe("runInStepScope", () => {
  it("gives bit-identical training to running without it, state and read-out arrays intact", () => {
    const plain = train(false, 4);
    const scoped = train(true, 4);
    for (const k of ["W", "b", "V", "acc", "chain"] as const) {
      expect(Buffer.from((scoped[k] as Tensor).toArray().buffer).equals(Buffer.from((plain[k] as Tensor).toArray().buffer)), k).toBe(true);
    }
    for (let i = 0; i < 4; i++) expect(scoped.readOut[i]).toEqual(plain.readOut[i]);
  });

  it("hands a finished step's buffers to the next step", () => {
    const be = new ReferenceBackend("cpu-scope-test", Float32Array);
    const x = new Tensor(be.fromArray(new Float32Array(B * D).fill(1)), [B, D], be);
    const seen: unknown[] = [];
    runInStepScope(be, () => void seen.push(x.mul(2).data));
    const reused = runInStepScope(be, () => x.mul(3).data === seen[0]);
    expect(reused).toBe(true);
    // Outside a step nothing is recorded, so nothing comes back.
    const outside = x.mul(4);
    runInStepScope(be, () => undefined);
    expect(runInStepScope(be, () => x.mul(5).data === outside.data)).toBe(false);
  });

  it("a reused zero-initialised buffer starts at zero again", () => {
    const be = new ReferenceBackend("cpu-scope-test", Float32Array);
    runInStepScope(be, () => void new Tensor(be.full(B * D, 7), [B, D], be));
    const z = runInStepScope(be, () => Array.from(be.readSync(be.full(B * D, 0))).every((v) => v === 0));
    expect(z).toBe(true);
  });

  it("a tensor made in a step and used after it fails loudly instead of reading recycled memory", () => {
    let leaked: Tensor | null = null;
    const x = Tensor.from(new Float32Array(B * D).fill(1), [B, D]);
    runInStepScope(cpuBackend, () => {
      leaked = x.mul(2);
    });
    expect(() => leaked!.sum()).toThrow(/made during a training step and released .* keepBeyondStep/);
  });

  it("releases nothing when the step throws, so the error path can still read what it made", () => {
    let made: Tensor | null = null;
    expect(() =>
      runInStepScope(cpuBackend, () => {
        made = Tensor.from(new Float32Array(B * D).fill(2), [B, D]).mul(2);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(made!.toArray()[0]).toBe(4);
  });
});
