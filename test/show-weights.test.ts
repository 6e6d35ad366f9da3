import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { writeModelFile } from "../src/io/model-file.js";
import { readPng } from "../src/io/png.js";
import { writeSafetensors } from "../src/io/safetensors.js";
import { level } from "../src/viz/patch-viewer.js";
import { runDl, SHARED_DATA } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "dl-show-weights-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first n MNIST test digits as rows of 784 values in [0, 1] (real data from ../shared/data). */
function mnistDigits(n: number): Float32Array {
  const raw = gunzipSync(readFileSync(resolve(SHARED_DATA, "mnist/t10k-images-idx3-ubyte.gz")));
  expect(raw.readUInt32BE(0)).toBe(2051); // IDX magic for unsigned-byte 3-D data
  const out = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) out[i] = raw[16 + i] / 255;
  return out;
}

/** Grey level at (x, y) of a decoded PNG, checking the pixel is grey. */
function greyAt(img: { width: number; data: Uint8Array }, x: number, y: number): number {
  const i = (y * img.width + x) * 4;
  expect(img.data[i]).toBe(img.data[i + 1]);
  expect(img.data[i]).toBe(img.data[i + 2]);
  return img.data[i];
}

describe("dl show-weights", () => {
  // W (784 x 16) whose column j is MNIST test digit j shifted to [-0.5, 0.5]: filters that look like digits.
  const digits = mnistDigits(16);
  const W = new Float32Array(784 * 16);
  for (let j = 0; j < 16; j++) for (let i = 0; i < 784; i++) W[i * 16 + j] = digits[j * 784 + i] - 0.5;
  const mnistModel = join(dir, "mnist_rbm.pkl");
  writeModelFile(mnistModel, { className: "RBM", tensors: { W: { shape: [784, 16], data: W } }, view: { rows: 28, cols: 28, channels: 1 } });

  it("tiles real MNIST digits as 28x28 grey patches, pixel for pixel (individual rescale)", () => {
    const out = join(dir, "mnist.png");
    const r = runDl(["show-weights", mnistModel, "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("RBM layer W (tensor W): 16 filters, 16 tiles of 28x28 grey");
    expect(r.stdout).toMatch(/weight magnitude: min \S+ {2}mean \S+ {2}max 0\.5000/);
    expect(r.stdout).toMatch(/filter norms: min \S+ {2}mean \S+ {2}max \S+/);
    expect(r.stdout).toContain(`wrote ${out} (137x137, 4x4 grid, rescale individual)`); // 4 * 28 + 5 * 5
    const img = readPng(out);
    expect([img.width, img.height]).toEqual([137, 137]);
    for (const j of [0, 5, 15]) {
      const col = j % 4, row = Math.floor(j / 4);
      let max = 0;
      for (let i = 0; i < 784; i++) max = Math.max(max, Math.abs(W[i * 16 + j]));
      for (let i = 0; i < 784; i += 7) {
        const x = 5 + col * 33 + (i % 28), y = 5 + row * 33 + Math.floor(i / 28);
        expect(greyAt(img, x, y)).toBe(level(W[i * 16 + j] / max));
      }
    }
    expect(greyAt(img, 2, 2)).toBe(127); // background
  });

  it("global and none rescaling give pylearn2's levels too", () => {
    const g = join(dir, "g.png");
    expect(runDl(["show-weights", mnistModel, "--rescale", "global", "--out", g]).code).toBe(0);
    const n = join(dir, "n.png");
    const rn = runDl(["show-weights", mnistModel, "--rescale", "none", "--out", n]);
    expect(rn.code).toBe(0);
    expect(rn.stderr).toBe(""); // all values are inside [-1, 1]: nothing clipped
    const gi = readPng(g), ni = readPng(n);
    let max = 0;
    for (const v of W) max = Math.max(max, Math.abs(v));
    for (let i = 0; i < 784; i += 5) {
      const x = 5 + 33 + (i % 28), y = 5 + Math.floor(i / 28); // tile 1
      expect(greyAt(gi, x, y)).toBe(level(W[i * 16 + 1] / max));
      expect(greyAt(ni, x, y)).toBe(level(W[i * 16 + 1]));
    }
  });

  it("draws colour filters (8x8x3, the tutorial GRBM's shape) at 265x265, --scale and --border", () => {
    const D = 192, H = 400;
    const w = new Float32Array(D * H);
    // Filter u: red channel +1 at pixel (0, 0), blue channel -1 at pixel (7, 7), everything else 0.25 * green.
    for (let u = 0; u < H; u++) {
      for (let p = 0; p < 64; p++) w[(p * 3 + 1) * H + u] = 0.25;
      w[(0 * 3 + 0) * H + u] = 1;
      w[(63 * 3 + 2) * H + u] = -1;
    }
    const model = join(dir, "cifar_grbm_smd.pkl");
    writeModelFile(model, { className: "GaussianBinaryRBM", tensors: { W: { shape: [D, H], data: w } }, view: { rows: 8, cols: 8, channels: 3 } });
    const out = join(dir, "grbm.png");
    const r = runDl(["show-weights", model, "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("(265x265, 20x20 grid");
    const img = readPng(out);
    expect([img.width, img.height]).toEqual([265, 265]);
    const rgb = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
    // Tile (row 1, col 2) starts at (5 + 2 * 13, 5 + 13).
    expect(rgb(31, 18)).toEqual([255, 159, 127]); // (1, 0.25, 0) -> 255, 159.375, 127.5
    expect(rgb(31 + 7, 18 + 7)).toEqual([127, 159, 0]);
    expect(rgb(31 + 3, 18 + 4)).toEqual([127, 159, 127]);

    const big = join(dir, "big.png");
    expect(runDl(["show-weights", model, "--out", big, "--scale", "3", "--border"]).code).toBe(0);
    const b = readPng(big);
    expect([b.width, b.height]).toEqual([795, 795]);
    const brgb = (x: number, y: number) => Array.from(b.data.subarray((y * b.width + x) * 4, (y * b.width + x) * 4 + 3));
    expect(brgb(31 * 3 + 1, 18 * 3 + 2)).toEqual([255, 159, 127]);
    expect(brgb(30 * 3, 17 * 3)).toEqual([0, 0, 0]); // the frame's corner, just outside the tile
  });

  it("--unwhiten maps the filters through the dataset's ZCA inverse", () => {
    // 2x2 grey data; inv_P swaps the first two pixels and doubles the last: f @ inv_P = (f1, f0, f2, 2 f3).
    const data = join(dir, "white.pkl");
    const invP = Float32Array.from([0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2]);
    writeSafetensors(
      data,
      {
        X: { shape: [1, 4], data: new Float32Array(4) },
        "fitted.zca_inv_P": { shape: [4, 4], data: invP },
        "fitted.zca_mean": { shape: [4], data: new Float32Array(4) },
      },
      { format: "dl-dataset/1" },
    );
    const model = join(dir, "white_rbm.pkl");
    writeModelFile(model, {
      className: "RBM",
      tensors: { W: { shape: [4, 1], data: Float32Array.from([0.5, -1, 0.25, 0.5]) } },
      view: { rows: 2, cols: 2, channels: 1 },
      extra: { dataset_path: "white.pkl" }, // relative: found beside the model
    });
    const out = join(dir, "white.png");
    const r = runDl(["show-weights", model, "--unwhiten", "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`unwhitened through the ZCA of ${data}`);
    const img = readPng(out);
    // Unwhitened: (-1, 0.5, 0.25, 1), max |x| 1.
    expect([greyAt(img, 5, 5), greyAt(img, 6, 5), greyAt(img, 5, 6), greyAt(img, 6, 6)]).toEqual([0, 191, 159, 255]);
  });

  it("--unwhiten on a model without a recorded dataset, and on unwhitened data, are clear errors", () => {
    const r = runDl(["show-weights", mnistModel, "--unwhiten", "--out", join(dir, "x.png")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dl: error: --unwhiten needs the training dataset's ZCA, but .* does not record its dataset/);
    const plain = join(dir, "plain.pkl");
    writeSafetensors(plain, { X: { shape: [1, 784], data: new Float32Array(784) } }, { format: "dl-dataset/1" });
    const model = join(dir, "plain_rbm.pkl");
    writeModelFile(model, { className: "RBM", tensors: { W: { shape: [784, 16], data: W } }, extra: { dataset_path: plain } });
    const r2 = runDl(["show-weights", model, "--unwhiten", "--out", join(dir, "y.png")]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("was not ZCA-whitened");
    expect(existsSync(join(dir, "y.png"))).toBe(false);
  });

  it("writes <model stem>_weights.png in the current folder by default; guesses the view when none is recorded", () => {
    const model = join(dir, "noview.pkl");
    writeModelFile(model, { className: "Autoencoder", tensors: { W: { shape: [784, 16], data: W } } });
    const r = runDl(["show-weights", "noview.pkl"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("16 tiles of 28x28 grey (the model records no image view");
    expect(existsSync(join(dir, "noview_weights.png"))).toBe(true);
  });

  it("usage errors: unknown layer (with a suggestion), bad --rescale, bad --scale, missing file", () => {
    const layered = join(dir, "mlp.pkl");
    writeModelFile(layered, {
      className: "MLP",
      tensors: { "layers.0.W": { shape: [784, 16], data: W } },
      layers: [{ name: "h0", tensor: "layers.0.W", layout: "vis_by_hid", view: { rows: 28, cols: 28, channels: 1 } }],
    });
    const a = runDl(["show-weights", layered, "--layer", "h1", "--out", join(dir, "z.png")]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("Did you mean `h0`?");
    expect(a.stderr).not.toMatch(/\n\s+at /);
    expect(runDl(["show-weights", layered, "--layer", "h0", "--out", join(dir, "z.png")]).code).toBe(0);
    const b = runDl(["show-weights", layered, "--rescale", "locall"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("individual, global, none");
    expect(runDl(["show-weights", layered, "--scale", "0"]).code).toBe(2);
    const c = runDl(["show-weights", join(dir, "missing.pkl")]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain("missing.pkl: no such file");
  });
});
