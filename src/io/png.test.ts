import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileFormatError } from "../util/errors.js";
import { decodePng, encodePng, readPng, writePng } from "./png.js";

const dir = mkdtempSync(join(tmpdir(), "dl-png-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("png", () => {
  it("round-trips grey, RGB and RGBA pixels exactly (decoded as RGBA)", () => {
    const grey = { width: 3, height: 2, channels: 1 as const, data: Uint8Array.from([0, 127, 255, 1, 2, 3]) };
    const g = decodePng(encodePng(grey));
    expect([g.width, g.height]).toEqual([3, 2]);
    expect(Array.from(g.data.subarray(4, 8))).toEqual([127, 127, 127, 255]);

    const rgb = { width: 2, height: 1, channels: 3 as const, data: Uint8Array.from([10, 20, 30, 40, 50, 60]) };
    expect(Array.from(decodePng(encodePng(rgb)).data)).toEqual([10, 20, 30, 255, 40, 50, 60, 255]);

    const rgba = { width: 1, height: 1, channels: 4 as const, data: Uint8Array.from([1, 2, 3, 4]) };
    expect(Array.from(decodePng(encodePng(rgba)).data)).toEqual([1, 2, 3, 4]);
  });

  it("writes the file's colour type from the channel count (grey PNGs for grey images)", () => {
    const bytes = encodePng({ width: 1, height: 1, channels: 1, data: Uint8Array.from([9]) });
    // IHDR: 8-byte signature, 4 length, 4 "IHDR", width 4, height 4, bit depth 1, colour type 1.
    expect(bytes[8 + 4 + 4 + 8 + 1]).toBe(0);
    const rgb = encodePng({ width: 1, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3]) });
    expect(rgb[8 + 4 + 4 + 8 + 1]).toBe(2);
  });

  it("writes atomically (no temp file left) and reads back", () => {
    const path = join(dir, "a.png");
    writePng(path, { width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(200) });
    expect(readdirSync(dir)).toEqual(["a.png"]);
    expect(readPng(path).data[0]).toBe(200);
  });

  it("rejects a wrong byte count and a file that is not a PNG", () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) })).toThrow(/5 bytes for a 2x2x3 image/);
    const bad = join(dir, "bad.png");
    writeFileSync(bad, "not a png");
    expect(() => readPng(bad)).toThrow(FileFormatError);
  });
});
