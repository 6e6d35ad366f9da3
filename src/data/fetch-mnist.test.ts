import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { c as tarCreate } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchMnist } from "./fetch-mnist.js";
import { loadMnist } from "./mnist.js";
import { startRangeServer, type RangeServer } from "../../test/helpers/range-server.js";

const SHARED_MNIST = resolve(import.meta.dirname, "../../../shared/data/mnist");
const FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
const dir = mkdtempSync(join(tmpdir(), "dl-fetch-mnist-"));
let server: RangeServer;
let n = 0;
const fresh = () => join(dir, `data${n++}`);
const instant = () => ({ sleep: async () => {}, backoffMs: () => 0 });

beforeAll(async () => {
  server = await startRangeServer();
  // The real published .gz files (sha256-checked against the default table).
  for (const f of FILES) server.serve(`/mnist/${f}.gz`, readFileSync(join(SHARED_MNIST, `${f}.gz`)));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("fetchMnist", () => {
  it("downloads the four files from a base URL, verifies the published sha256, and reads back", async () => {
    const dataDir = fresh();
    const r = await fetchMnist({ dataDir, from: server.url("/mnist"), download: instant });
    expect(r.status).toBe("downloaded");
    expect(readdirSync(join(dataDir, "mnist")).sort()).toEqual(FILES.map((f) => `${f}.gz`).sort());
    expect(loadMnist({ which_set: "train", dataDir, stop: 1 }).labels![0]).toBe(5);
    expect((await fetchMnist({ dataDir, from: server.url("/mnist") })).status).toBe("present");
  });

  it("copies a folder of uncompressed files, verifying their published md5", async () => {
    const src = join(dir, "raw");
    mkdirSync(src);
    for (const f of FILES.slice(2)) writeFileSync(join(src, f), gunzipSync(readFileSync(join(SHARED_MNIST, `${f}.gz`))));
    for (const f of FILES.slice(0, 2)) writeFileSync(join(src, `${f}.gz`), readFileSync(join(SHARED_MNIST, `${f}.gz`)));
    const dataDir = fresh();
    const r = await fetchMnist({ dataDir, from: src });
    expect(r.status).toBe("copied");
    expect(existsSync(join(dataDir, "mnist", "t10k-images-idx3-ubyte"))).toBe(true);
    expect(loadMnist({ which_set: "test", dataDir, stop: 1 }).labels![0]).toBe(7);
  });

  it("unpacks a tarball, and rejects a file whose checksum is wrong", async () => {
    const staging = join(dir, "stage");
    mkdirSync(join(staging, "mnist"), { recursive: true });
    for (const f of FILES) writeFileSync(join(staging, "mnist", `${f}.gz`), readFileSync(join(SHARED_MNIST, `${f}.gz`)));
    await tarCreate({ file: join(dir, "mnist.tar"), cwd: staging }, ["mnist"]);
    const dataDir = fresh();
    expect((await fetchMnist({ dataDir, from: join(dir, "mnist.tar") })).status).toBe("unpacked");
    expect(readdirSync(join(dataDir, "mnist")).filter((f) => f.startsWith("."))).toEqual([]);

    const bad = fresh();
    await expect(
      fetchMnist({ dataDir: bad, from: server.url("/mnist/"), gzSha256: { "train-images-idx3-ubyte.gz": "f".repeat(64) }, download: instant }),
    ).rejects.toThrow(/MNIST verification failed \(train-images-idx3-ubyte\.gz: sha256 is 440fcabf73cc546f\.\.\., expected ffffffffffffffff/);
    expect(readdirSync(join(bad, "mnist"))).toEqual([]);
  });
});
