import { describe, expect, it } from "vitest";
import { resolve, join } from "node:path";
import { missingDatasetError, resolveDataDir, resolveDataDirWithSource } from "./data-dir.js";

describe("resolveDataDir", () => {
  const all = { DL_DATA_PATH: "/d/dl", PYLEARN2_DATA_PATH: "/d/p2", XDG_CACHE_HOME: "/d/xdg", HOME: "/home/u" };

  it("takes the first that is set, in DESIGN's order", () => {
    expect(resolveDataDirWithSource({ dataDir: "rel/data", env: all })).toEqual({ dir: resolve("rel/data"), source: "--data-dir" });
    expect(resolveDataDirWithSource({ env: all })).toEqual({ dir: "/d/dl", source: "DL_DATA_PATH" });
    expect(resolveDataDir({ env: { ...all, DL_DATA_PATH: undefined } })).toBe("/d/p2");
    expect(resolveDataDir({ env: { XDG_CACHE_HOME: "/d/xdg", HOME: "/home/u" } })).toBe(join("/d/xdg", "dl"));
    expect(resolveDataDirWithSource({ env: { HOME: "/home/u" } })).toEqual({ dir: "/home/u/.cache/dl", source: "home" });
  });

  it("treats empty values as unset", () => {
    expect(resolveDataDir({ dataDir: "", env: { DL_DATA_PATH: " ", PYLEARN2_DATA_PATH: "/d/p2" } })).toBe("/d/p2");
  });

  it("a missing dataset names the folder, how it was chosen, and the fetch command", () => {
    const err = missingDatasetError("CIFAR-10", "/d/dl/cifar10/cifar-10-batches-bin", ["data_batch_1.bin"], "dl download-cifar10", {
      dir: "/d/dl",
      source: "DL_DATA_PATH",
    });
    expect(err.message).toContain("/d/dl/cifar10/cifar-10-batches-bin has no data_batch_1.bin");
    expect(err.message).toContain("from DL_DATA_PATH");
    expect(err.message).toContain("`dl download-cifar10`");
    expect(err.exitCode).toBe(1);
  });
});
