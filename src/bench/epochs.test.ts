import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CIFAR10_RECORD_BYTES, CIFAR10_TRAIN_FILES, cifar10Folder } from "../data/cifar10.js";
import { probeAdapter } from "../engine/backends/webgpu/probe.js";
import { FileFormatError } from "../util/errors.js";
import { cifarSubsetNote, cifarTrainImages } from "./epochs.js";
import { epochLine, runGpuEpochs } from "./gpu.js";

const SHARED_CIFAR = resolve(fileURLToPath(new URL("../../..", import.meta.url)), "shared/data/cifar-10/cifar-10-batches-bin");
const work = mkdtempSync(join(tmpdir(), "dl-epochs-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const probe = await probeAdapter();
if (!probe.found) console.log(`gpu bench subset test skipped: ${probe.why}`);

/** A data folder whose CIFAR-10 batches hold the first `counts[i]` real records of batch i + 1. */
function cifarSubset(name: string, counts: number[]): string {
  const dir = join(work, name);
  const folder = cifar10Folder(dir);
  mkdirSync(folder, { recursive: true });
  CIFAR10_TRAIN_FILES.forEach((f, i) => {
    const buf = Buffer.alloc(counts[i] * CIFAR10_RECORD_BYTES);
    const fd = openSync(join(SHARED_CIFAR, f), "r");
    try {
      readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
    writeFileSync(join(folder, f), buf);
  });
  return dir;
}

describe("bench epochs on a CIFAR-10 subset", () => {
  it("counts the training images a data folder holds, batch files of any whole number of records", () => {
    expect(cifarTrainImages(cifarSubset("counts", [2, 3, 0, 1, 4]))).toBe(10);
    const bad = cifarSubset("bad", [1, 1, 1, 1, 1]);
    writeFileSync(join(cifar10Folder(bad), "data_batch_3.bin"), Buffer.alloc(CIFAR10_RECORD_BYTES + 7));
    expect(() => cifarTrainImages(bad)).toThrow(FileFormatError);
  });

  it("notes the subset only when it is fewer than the 50000 training images", () => {
    expect(cifarSubsetNote(5000, 150000)).toBe("150000 patches from 5000 of CIFAR-10's 50000 training images");
    expect(cifarSubsetNote(50000, 150000)).toBeUndefined();
  });

  it.skipIf(!probe.found)("gpu bench: a GRBM slice on a subset says how many images its patches came from (JSON and table)", async () => {
    const saved = process.env.DL_DATA_PATH;
    process.env.DL_DATA_PATH = cifarSubset("gpu", [10, 10, 10, 10, 10]);
    try {
      const rows = await runGpuEpochs({ benches: ["grbm"], steps: 2 });
      expect(rows.map((r) => `${r.bench}/${r.device}/${r.examples}/${r.data}`)).toEqual(["grbm/webgpu/10/10 patches from 50 of CIFAR-10's 50000 training images"]);
      expect(JSON.parse(JSON.stringify(rows[0])).data).toBe(rows[0].data);
      expect(epochLine(rows[0])).toMatch(/\[.+\]  data: 10 patches from 50 of CIFAR-10's 50000 training images$/);
    } finally {
      if (saved === undefined) delete process.env.DL_DATA_PATH;
      else process.env.DL_DATA_PATH = saved;
    }
  }, 180_000);
});
