import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../src/data/dataset-file.js";
import { readModelFile } from "../src/io/model-file.js";
import { runQuickstart } from "../src/quickstart/quickstart.js";
import { DL_BIN, ROOT, runDl, SHARED_DATA } from "./helpers/cli.js";
import { startRangeServer, type RangeServer } from "./helpers/range-server.js";

/**
 * `dl quickstart` end to end: on real CIFAR-10 from ../shared/data (tiny: a few thousand patches,
 * one epoch), offline on the bundled digits, and the fall-back to digits when CIFAR-10 cannot be
 * fetched. The pictures must decode with the sizes PatchViewer's geometry gives.
 */

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "dl-quickstart-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function readPng(path: string): PNG {
  return PNG.sync.read(readFileSync(path));
}

/** PatchViewer's picture side for an n x n grid of k-pixel patches with pad 5, magnified `scale` times. */
function tiledSide(grid: number, patch: number, scale: number): number {
  return (5 * (grid + 1) + grid * patch) * scale;
}

/** A channel's recorded values, in order. */
function channel(modelPath: string, name: string): number[] {
  const h = readModelFile(modelPath).monitor?.channels[name];
  if (!h) throw new Error(`${modelPath} has no channel ${name}`);
  return h.val.map(Number);
}

describe("dl quickstart", () => {
  it("runs the tutorial chain on real CIFAR-10 (--small, 3000 patches, 1 epoch): dataset, model, filters and curves", () => {
    // The data folder layout dl expects (<data>/cifar10/cifar-10-batches-bin), pointing at the shared copy.
    const data = join(tmp, "data");
    mkdirSync(join(data, "cifar10"), { recursive: true });
    symlinkSync(join(SHARED_DATA, "cifar-10", "cifar-10-batches-bin"), join(data, "cifar10", "cifar-10-batches-bin"));
    const out = join(tmp, "cifar");
    const r = runDl(["quickstart", "--small", "--dir", out, "--data-dir", data, "--num-patches", "3000", "--max-epochs", "1"], { timeout: 240_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // Each step says what it does and how long it took, in order.
    const stepLines = r.stdout.split("\n").filter((l) => /^\[\d\/5\]/.test(l));
    expect(stepLines.map((l) => l.split(" ")[1])).toEqual(["data:", "make-dataset", "train", "show-weights", "plot-monitor"]);
    expect(r.stdout).toMatch(/CIFAR-10 present and verified/);
    expect(r.stdout.match(/\(\d+\.\d s\)$/gm)?.length).toBe(5);
    expect(r.stdout).toMatch(/done in .* on CIFAR-10\. Files in /);
    for (const f of ["cifar10_preprocessed_train.pkl", "cifar_grbm_smd.yaml", "cifar_grbm_smd.pkl", "cifar_grbm_smd_weights.png", "cifar_grbm_smd_monitor.png"]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${f.replace(/\./g, "\\.")} `, "m"));
    }

    const ds = loadDataset(join(out, "cifar10_preprocessed_train.pkl"));
    expect([ds.numExamples, ds.dim]).toEqual([3000, 192]);
    expect(ds.view).toEqual({ rows: 8, cols: 8, channels: 3 });

    const model = join(out, "cifar_grbm_smd.pkl");
    expect(readModelFile(model).className).toBe("GaussianBinaryRBM");
    const objective = channel(model, "objective");
    expect(objective).toHaveLength(2); // before training, and after the one epoch
    expect(objective[1]).toBeLessThan(objective[0]); // 600 SGD steps of SMD lower the objective

    // 400 hidden units: a 20x20 grid of 8x8 colour patches, magnified twice.
    const w = readPng(join(out, "cifar_grbm_smd_weights.png"));
    expect([w.width, w.height]).toEqual([tiledSide(20, 8, 2), tiledSide(20, 8, 2)]);
    const m = readPng(join(out, "cifar_grbm_smd_monitor.png"));
    expect([m.width, m.height]).toEqual([960, 600]);
  });

  it("--offline runs the same chain on the bundled digits", () => {
    const out = join(tmp, "offline");
    const r = runDl(["quickstart", "--offline", "--small", "--dir", out, "--num-patches", "2000", "--max-epochs", "2"], { timeout: 120_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--offline, using the digits bundled with dl/);
    expect(r.stdout).toMatch(/on the bundled digits\. Files in /);
    const ds = loadDataset(join(out, "digits_preprocessed_train.pkl"));
    expect([ds.numExamples, ds.dim]).toEqual([2000, 36]);
    const model = join(out, "digits_grbm_smd.pkl");
    expect(channel(model, "objective").length).toBeGreaterThanOrEqual(2);
    // 100 hidden units: a 10x10 grid of 6x6 grey patches, magnified twice.
    const w = readPng(join(out, "digits_grbm_smd_weights.png"));
    expect([w.width, w.height]).toEqual([tiledSide(10, 6, 2), tiledSide(10, 6, 2)]);
    expect(readPng(join(out, "digits_grbm_smd_monitor.png")).width).toBe(960);
  });

  describe("when CIFAR-10 cannot be fetched", () => {
    let server: RangeServer;
    beforeAll(async () => {
      server = await startRangeServer();
    });
    afterAll(() => server.close());

    it("falls back to the digits and says why", async () => {
      const lines: string[] = [];
      const r = await runQuickstart({
        dir: join(tmp, "fallback"),
        dataDir: join(tmp, "empty-data"),
        from: server.url("/cifar-10-binary.tar.gz"), // not served: HTTP 404
        small: true,
        numPatches: 1000,
        maxEpochs: 1,
        log: (l) => lines.push(l),
      });
      expect(r.data).toBe("digits");
      expect(r.fallbackReason).toMatch(/HTTP 404/);
      expect(lines.join("\n")).toMatch(/could not get CIFAR-10: .*HTTP 404/);
      expect(server.requests.map((q) => q.status)).toEqual([404]);
      expect(r.steps.map((s) => s.name)).toEqual(["data", "make-dataset", "train", "show-weights", "plot-monitor"]);
      expect(r.files.map((f) => f.name)).toContain("digits_grbm_smd_weights.png");
      expect(Number.isFinite(r.finalChannels.objective)).toBe(true);
    });
  });

  it("scripts/quickstart.sh makes the same files with plain dl commands (OFFLINE=1, tiny)", () => {
    const out = join(tmp, "script");
    const r = spawnSync("bash", [join(ROOT, "scripts/quickstart.sh"), out], {
      encoding: "utf8",
      timeout: 180_000,
      env: { ...process.env, NO_COLOR: "1", DL: `${process.execPath} ${DL_BIN}`, OFFLINE: "1", NUM_PATCHES: "1000", MAX_EPOCHS: "1" },
    });
    expect(r.status, r.stderr).toBe(0);
    const commands = r.stdout.split("\n").filter((l) => l.startsWith("+ dl ")).map((l) => l.split(" ")[2]);
    expect(commands).toEqual(["make-dataset", "train", "show-weights", "plot-monitor"]);
    expect(readdirSync(out).sort()).toEqual([
      "digits_grbm_smd.pkl",
      "digits_grbm_smd.pkl.ckpt",
      "digits_grbm_smd.yaml",
      "digits_grbm_smd_monitor.png",
      "digits_grbm_smd_weights.png",
      "digits_preprocessed_train.pkl",
    ]);
    expect(loadDataset(join(out, "digits_preprocessed_train.pkl")).numExamples).toBe(1000);
    expect(channel(join(out, "digits_grbm_smd.pkl"), "objective")).toHaveLength(2);
    expect(readPng(join(out, "digits_grbm_smd_weights.png")).width).toBe(tiledSide(10, 6, 2));
  });

  it("rejects bad numbers and a --dir that is a file, with exit code 2", () => {
    const bad = runDl(["quickstart", "--offline", "--dir", join(tmp, "x"), "--num-patches", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^dl: error: --num-patches must be a positive integer, got '0'/);
    const file = join(tmp, "a-file");
    writeFileSync(file, "");
    const r = runDl(["quickstart", "--offline", "--dir", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a file, not a folder/);
  });
});
