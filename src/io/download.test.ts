import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadToFile } from "./download.js";
import { createProgress, formatBytes, formatDuration } from "./download-progress.js";
import { startRangeServer, type RangeServer } from "../../test/helpers/range-server.js";

const dir = mkdtempSync(join(tmpdir(), "dl-download-"));
let server: RangeServer;
const body = randomBytes(300_000);
const instant = { sleep: async () => {}, backoffMs: (k: number) => k };

beforeAll(async () => {
  server = await startRangeServer();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("downloadToFile", () => {
  it("downloads to a .part file and renames it when complete", async () => {
    server.serve("/ok", body);
    const dest = join(dir, "ok.bin");
    const r = await downloadToFile(server.url("/ok"), dest, instant);
    expect(readFileSync(dest).equals(body)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(r).toEqual({ bytes: body.length, resumedFrom: 0, attempts: 1 });
  });

  it("resumes with Range after the connection is cut, and from a .part left by an earlier run", async () => {
    server.serve("/cut", body, { cutAfter: { bytes: 100_000, times: 2 } });
    const dest = join(dir, "cut.bin");
    const logs: string[] = [];
    const r = await downloadToFile(server.url("/cut"), dest, { ...instant, log: (l) => logs.push(l) });
    expect(readFileSync(dest).equals(body)).toBe(true);
    const reqs = server.requests.filter((q) => q.path === "/cut");
    // Each retry asks for the rest from what reached the disk (at most the 100000 bytes sent per cut attempt).
    const starts = reqs.map((q) => (q.range ? Number(/^bytes=(\d+)-$/.exec(q.range)![1]) : 0));
    expect(starts[0]).toBe(0);
    expect(starts[1]).toBeGreaterThan(0);
    expect(starts[1]).toBeLessThanOrEqual(100_000);
    expect(starts[2]).toBeGreaterThan(starts[1]);
    expect(starts[2]).toBeLessThanOrEqual(starts[1] + 100_000);
    expect(reqs.map((q) => q.status)).toEqual([200, 206, 206]);
    expect(r.attempts).toBe(3);
    expect(logs[0]).toMatch(/retrying/);

    server.serve("/later", body);
    const dest2 = join(dir, "later.bin");
    writeFileSync(`${dest2}.part`, body.subarray(0, 123_456));
    const r2 = await downloadToFile(server.url("/later"), dest2, instant);
    expect(server.requests.filter((q) => q.path === "/later").map((q) => q.range)).toEqual(["bytes=123456-"]);
    expect(r2.resumedFrom).toBe(123_456);
    expect(readFileSync(dest2).equals(body)).toBe(true);
  });

  it("retries server errors with growing delays, then gives up keeping what it has", async () => {
    server.serve("/flaky", body, { fail: { status: 503, times: 2 } });
    const waits: number[] = [];
    await downloadToFile(server.url("/flaky"), join(dir, "flaky.bin"), { sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([1000, 2000]); // default backoff, not actually waited

    server.serve("/down", body, { fail: { status: 500, times: Infinity } });
    await expect(downloadToFile(server.url("/down"), join(dir, "down.bin"), { ...instant, retries: 2 })).rejects.toThrow(
      /failed after 3 attempts: the server answered HTTP 500.*Check the network/,
    );
    expect(existsSync(join(dir, "down.bin"))).toBe(false);
  });

  it("fails at once on 404, follows redirects, restarts when Range is ignored, accepts 416 for a whole .part", async () => {
    await expect(downloadToFile(server.url("/missing"), join(dir, "m.bin"), instant)).rejects.toThrow(/HTTP 404/);
    expect(server.requests.filter((q) => q.path === "/missing")).toHaveLength(1);

    server.serve("/moved", Buffer.alloc(0), { redirectTo: "/ok" });
    await downloadToFile(server.url("/moved"), join(dir, "moved.bin"), instant);
    expect(readFileSync(join(dir, "moved.bin")).equals(body)).toBe(true);

    server.serve("/norange", body, { ignoreRange: true });
    writeFileSync(join(dir, "nr.bin.part"), Buffer.from("stale bytes from another file"));
    await downloadToFile(server.url("/norange"), join(dir, "nr.bin"), instant);
    expect(readFileSync(join(dir, "nr.bin")).equals(body)).toBe(true);

    server.serve("/whole", body);
    writeFileSync(join(dir, "whole.bin.part"), body);
    await downloadToFile(server.url("/whole"), join(dir, "whole.bin"), instant);
    expect(server.requests.filter((q) => q.path === "/whole").map((q) => q.status)).toEqual([416]);
    expect(readFileSync(join(dir, "whole.bin")).equals(body)).toBe(true);
  });
});

describe("progress", () => {
  it("formats sizes and durations", () => {
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(170498071)).toBe("162.6 MiB");
    expect(formatDuration(75)).toBe("1m15s");
  });

  it("redraws one line with rate and ETA on a TTY; prints a single line otherwise", () => {
    let t = 0;
    const tty: string[] = [];
    const p = createProgress({ write: (s) => tty.push(s), isTTY: true, columns: 120 }, "cifar-10", () => t);
    p.start(4 * 1048576, 0);
    t = 1000;
    p.update(1048576);
    t = 1050; // throttled: no redraw within 100 ms
    p.update(1100000);
    t = 2000;
    p.update(2 * 1048576);
    p.done(true);
    expect(tty[0]).toBe("\rcifar-10  1.0 MiB / 4.0 MiB  25%  1.0 MiB/s  ETA 3s\x1b[K");
    expect(tty).toHaveLength(4); // two redraws, the final one, the newline
    expect(tty[1]).toContain("50%  1.0 MiB/s  ETA 2s");
    expect(tty[3]).toBe("\n");

    const log: string[] = [];
    const q = createProgress({ write: (s) => log.push(s), isTTY: false }, "cifar-10", () => t);
    t = 0;
    q.start(undefined, 512);
    t = 2000;
    q.update(512 + 4 * 1048576);
    q.done(true);
    expect(log).toEqual(["cifar-10: 4.0 MiB in 2.0 s, 2.0 MiB/s (resumed at 512 B)\n"]);
  });
});
