import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { c as tarCreate } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchCifar10 } from "./fetch-cifar10.js";
import { CIFAR10_SHA256 } from "./checksums.js";
import { loadCifar10 } from "./cifar10.js";
import { startRangeServer, type RangeServer } from "../../test/helpers/range-server.js";

const SHARED_BATCHES = resolve(import.meta.dirname, "../../../shared/data/cifar-10/cifar-10-batches-bin");
const dir = mkdtempSync(join(tmpdir(), "dl-fetch-cifar-"));
/** The small archive's contents and their real sha256 (from ../shared/data/cifar-10/SOURCE.md). */
const SMALL_HASHES = {
  "test_batch_first1000.bin": "8314c96d7cd65618193bab23acdd5d4c4af15bf6dd00a1781d55beedf3be1ef5",
  "batches.meta.txt": "558e74b5e208382e186da55784b4bac2cd52e558448e1b5800990fdb28ed8033",
};
const instant = { sleep: async () => {}, backoffMs: () => 0 };
let server: RangeServer;
let archive: Buffer;
let n = 0;
const freshDataDir = () => join(dir, `data${n++}`);
const installed = (dataDir: string) => join(dataDir, "cifar10", "cifar-10-batches-bin");

beforeAll(async () => {
  // A real .tar.gz laid out like the official one (top folder cifar-10-batches-bin/), built from the shared copy.
  const staging = join(dir, "staging", "cifar-10-batches-bin");
  mkdirSync(staging, { recursive: true });
  for (const f of Object.keys(SMALL_HASHES)) copyFileSync(join(SHARED_BATCHES, f), join(staging, f));
  await tarCreate({ gzip: true, file: join(dir, "small.tar.gz"), cwd: join(dir, "staging") }, ["cifar-10-batches-bin"]);
  archive = readFileSync(join(dir, "small.tar.gz"));
  server = await startRangeServer();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("fetchCifar10 over HTTP", () => {
  it("downloads, unpacks, verifies and installs; a second run finds it present", async () => {
    server.serve("/ok/cifar-10-binary.tar.gz", archive);
    const dataDir = freshDataDir();
    const r = await fetchCifar10({ dataDir, from: server.url("/ok/cifar-10-binary.tar.gz"), hashes: SMALL_HASHES, download: instant });
    expect(r.status).toBe("downloaded");
    expect(readdirSync(installed(dataDir)).sort()).toEqual(["batches.meta.txt", "test_batch_first1000.bin"]);
    expect(readdirSync(join(dataDir, "cifar10"))).toEqual(["cifar-10-batches-bin"]); // archive and temp folders gone
    const test = loadCifar10({ which_set: "test", dataDir });
    expect(test.labels![0]).toBe(3);
    const again = await fetchCifar10({ dataDir, from: server.url("/ok/cifar-10-binary.tar.gz"), hashes: SMALL_HASHES });
    expect(again.status).toBe("present");
    expect(server.requests.filter((q) => q.path === "/ok/cifar-10-binary.tar.gz")).toHaveLength(1);
  });

  it("resumes an interrupted download with an HTTP Range request", async () => {
    server.serve("/cut/cifar-10-binary.tar.gz", archive, { cutAfter: { bytes: 1_000_000, times: 1 } });
    const dataDir = freshDataDir();
    const r = await fetchCifar10({ dataDir, from: server.url("/cut/cifar-10-binary.tar.gz"), hashes: SMALL_HASHES, download: instant });
    expect(r.status).toBe("downloaded");
    const reqs = server.requests.filter((q) => q.path === "/cut/cifar-10-binary.tar.gz");
    expect(reqs.map((q) => q.status)).toEqual([200, 206]);
    expect(reqs[0].range).toBeUndefined();
    // The retry asks for exactly what is missing: from what reached the disk before the cut (up to the 1 MB sent).
    const from = Number(/^bytes=(\d+)-$/.exec(reqs[1].range ?? "")?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(1_000_000);
    expect(existsSync(join(installed(dataDir), "test_batch_first1000.bin"))).toBe(true);
  });

  it("gives up on a failing server with a clear error and installs nothing", async () => {
    server.serve("/err/cifar-10-binary.tar.gz", archive, { fail: { status: 500, times: Infinity } });
    const dataDir = freshDataDir();
    await expect(
      fetchCifar10({ dataDir, from: server.url("/err/cifar-10-binary.tar.gz"), hashes: SMALL_HASHES, download: { ...instant, retries: 2 } }),
    ).rejects.toThrow(/failed after 3 attempts: the server answered HTTP 500/);
    expect(existsSync(installed(dataDir))).toBe(false);
  });

  it("rejects a truncated archive and deletes it so the next run starts clean", async () => {
    server.serve("/trunc/cifar-10-binary.tar.gz", archive.subarray(0, Math.floor(archive.length / 2)));
    const dataDir = freshDataDir();
    await expect(fetchCifar10({ dataDir, from: server.url("/trunc/cifar-10-binary.tar.gz"), hashes: SMALL_HASHES, download: instant })).rejects.toThrow(
      /cannot unpack the archive: it ends early/,
    );
    expect(existsSync(installed(dataDir))).toBe(false);
    expect(readdirSync(join(dataDir, "cifar10"))).toEqual([]);
  });

  it("refuses files whose checksum is wrong and leaves an existing copy alone", async () => {
    server.serve("/bad/cifar-10-binary.tar.gz", archive);
    const dataDir = freshDataDir();
    mkdirSync(installed(dataDir), { recursive: true });
    writeFileSync(join(installed(dataDir), "keep.txt"), "the user's old copy");
    const wrong = { ...SMALL_HASHES, "test_batch_first1000.bin": "0".repeat(64) };
    await expect(
      fetchCifar10({ dataDir, from: server.url("/bad/cifar-10-binary.tar.gz"), hashes: wrong, download: instant, force: true }),
    ).rejects.toThrow(/verification failed \(test_batch_first1000\.bin: sha256 is 8314c96d7cd65618\.\.\., expected 0000000000000000\.\.\.\).*Nothing was installed/);
    expect(readdirSync(installed(dataDir))).toEqual(["keep.txt"]);
  });
});

describe("fetchCifar10 offline (--from FILE | DIR)", () => {
  it("unpacks a local archive, clearing temp folders a killed run left behind", async () => {
    const dataDir = freshDataDir();
    const stale = join(dataDir, "cifar10", ".cifar-10-batches-bin.tmp-999999");
    mkdirSync(stale, { recursive: true });
    const live = join(dataDir, "cifar10", `.cifar-10-batches-bin.tmp-${process.ppid}`); // a running process's: kept
    mkdirSync(live);
    const r = await fetchCifar10({ dataDir, from: join(dir, "small.tar.gz"), hashes: SMALL_HASHES });
    expect(r.status).toBe("unpacked");
    expect(existsSync(join(installed(dataDir), "batches.meta.txt"))).toBe(true);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it("copies the five real training batches from a folder and verifies them against the published sha256", async () => {
    const dataDir = freshDataDir();
    const logs: string[] = [];
    const r = await fetchCifar10({ dataDir, from: SHARED_BATCHES, log: (l) => logs.push(l) });
    expect(r.status).toBe("copied");
    expect(r.verified.sort()).toEqual(["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"]);
    expect(Object.keys(CIFAR10_SHA256)).toContain("test_batch.bin");
    expect(r.warnings[0]).toMatch(/has no test_batch\.bin.*only test_batch_first1000\.bin/);
    expect(readdirSync(installed(dataDir)).sort()).toEqual([
      "batches.meta.txt",
      "data_batch_1.bin",
      "data_batch_2.bin",
      "data_batch_3.bin",
      "data_batch_4.bin",
      "data_batch_5.bin",
      "test_batch_first1000.bin",
    ]);
    expect(logs).toContain("verifying 5 files (sha256)");
    // Already there and verified: nothing to do, even without --from.
    expect((await fetchCifar10({ dataDir })).status).toBe("present");
  });

  it("says what is wrong with a missing --from path", async () => {
    await expect(fetchCifar10({ dataDir: freshDataDir(), from: join(dir, "nope") })).rejects.toThrow(/--from .*nope: no such file or folder/);
  });
});
