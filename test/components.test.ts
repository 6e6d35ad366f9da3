import { describe, expect, it } from "vitest";
import { runDl } from "./helpers/cli.js";

describe("dl components", () => {
  it("lists the registered components by kind", () => {
    const r = runDl(["components"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Train objects:");
    expect(r.stdout).toMatch(/\n {2}GaussianBinaryRBM +RBM with Gaussian visible/);
    expect(r.stdout).toMatch(/\n {2}SMD +Denoising score matching/);
  });

  it("shows one component's keywords, by dl name or pylearn2 path", () => {
    const r = runDl(["components", "pylearn2.training_algorithms.sgd.SGD"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("SGD (training algorithm)");
    expect(r.stdout).toMatch(/learning_rate +positive number; required/);
    expect(r.stdout).toMatch(/monitor_iteration_mode +one of 'sequential', 'shuffled_sequential', 'random_uniform'; default 'sequential'/);
  });

  it("an unknown name exits 2 with a suggestion and no stack trace", () => {
    const r = runDl(["components", "MomentumAdjuster"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("dl: error: no component named `MomentumAdjuster`. Did you mean `MomentumAdjustor`?");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("--markdown prints the README reference", () => {
    const r = runDl(["components", "--markdown"]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith("## YAML reference")).toBe(true);
  });
});
