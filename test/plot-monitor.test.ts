import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeModelFile, type ChannelHistory, type MonitorHistory } from "../src/io/model-file.js";
import { readPng, type PixelImage } from "../src/io/png.js";
import { buildCodebook, selectChannels } from "../src/viz/channels.js";
import { layoutChart } from "../src/viz/chart.js";
import { PALETTE } from "../src/viz/palette.js";
import { hexToRgb } from "../src/viz/raster.js";
import { loadMonitors, monitorChart } from "../src/viz/plot-monitor.js";
import { runDl } from "./helpers/cli.js";
import { checkXml } from "./helpers/xml.js";

const dir = mkdtempSync(join(tmpdir(), "dl-plot-monitor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A channel recorded once per epoch for epochs 0..n-1 (1000 examples, 10 batches, 2 s an epoch). */
function channel(f: (epoch: number) => number | null, n = 21): ChannelHistory {
  const e = Array.from({ length: n }, (_, i) => i);
  return { val: e.map(f) as number[], epoch: e, example: e.map((i) => i * 1000), batch: e.map((i) => i * 10), time: e.map((i) => i * 2) };
}

const straight: MonitorHistory = {
  channels: {
    objective: channel((e) => 1 + 0.5 * e), // a straight rising line, 1 .. 11
    valid_nll: channel((e) => 10 - 0.25 * e), // a straight falling line, 10 .. 5
    learning_rate: channel(() => 0.1),
    h_mean: channel((e) => 0.5 + 0.01 * e),
  },
};
const model = join(dir, "straight.pkl");
writeModelFile(model, { className: "GaussianBinaryRBM", tensors: {}, monitor: straight });

function coloured(img: PixelImage, x: number, hex: string, y0: number, y1: number): number[] {
  const [r, g, b] = hexToRgb(hex);
  const rows: number[] = [];
  for (let y = Math.ceil(y0); y < Math.floor(y1); y++) {
    const i = (y * img.width + x) * 4;
    if (img.data[i] === r && img.data[i + 1] === g && img.data[i + 2] === b) rows.push(y);
  }
  return rows;
}

describe("dl plot-monitor", () => {
  it("plots the default (objective-like) channels as lines where the data say, with a legend", () => {
    const out = join(dir, "straight.png");
    const r = runDl(["plot-monitor", model, "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${out} (PNG 960x600, x: epochs; objective, valid_nll)`);
    const img = readPng(out);
    expect([img.width, img.height]).toEqual([960, 600]);

    // The same layout the command used, to know where epoch e and value v are in pixels.
    const sources = loadMonitors([model]);
    const { spec } = monitorChart(sources, selectChannels(buildCodebook(sources), "objective,valid_nll").refs, { x: "epochs" });
    const L = layoutChart(spec);
    expect(L.panels.length).toBe(1); // same scale: one panel, both lines on it
    const P = L.panels[0];
    const [blue, orange] = PALETTE;
    for (const e of [1.5, 7.5, 13.5, 18.5]) {
      const x = Math.floor(P.x.toPx(e));
      const xe = (x + 0.5 - P.x.toPx(0)) / (P.x.toPx(1) - P.x.toPx(0)); // the epoch at this column's centre
      for (const [hex, f] of [
        [blue, (t: number) => 1 + 0.5 * t],
        [orange, (t: number) => 10 - 0.25 * t],
      ] as const) {
        const rows = coloured(img, x, hex, P.plot.y0, P.plot.y1);
        expect(rows.length).toBeGreaterThan(0);
        const mid = rows.reduce((a, b) => a + b, 0) / rows.length + 0.5;
        expect(Math.abs(mid - P.y.toPx(f(xe)))).toBeLessThan(1.5);
      }
    }
    // The legend: a box holding a sample of each colour.
    const lg = P.legend!;
    expect(lg.entries.map((e) => e.label)).toEqual(["objective", "valid_nll"]);
    const sx = Math.round(lg.lineX0) + 3;
    expect(coloured(img, sx, blue, lg.box.y0, lg.box.y1).length).toBeGreaterThanOrEqual(2);
    expect(coloured(img, sx, orange, lg.box.y0, lg.box.y1).length).toBeGreaterThanOrEqual(2);
  });

  it("--list shows pylearn2's letter codes in sorted order", () => {
    const r = runDl(["plot-monitor", model, "--list"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.map((l) => l.split("  ")[0])).toEqual(["A. h_mean", "B. learning_rate", "C. objective", "D. valid_nll"]);
    expect(lines[2]).toContain("21 points, last 11");
  });

  it("writes SVG that parses as XML, with the channel names as <text>", () => {
    const other = join(dir, "other.pkl");
    writeModelFile(other, { className: "GaussianBinaryRBM", tensors: {}, monitor: { channels: { objective: channel((e) => 2 + 0.4 * e) } } });
    const out = join(dir, "two.svg");
    const r = runDl(["plot-monitor", model, other, "--channels", "objective,valid_*", "--out", out, "--title", "a < b & c"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const svg = checkXml(readFileSync(out, "utf8"));
    expect(svg.root).toBe("svg");
    const texts = svg.texts.get("text") ?? [];
    expect(texts).toContain("objective (straight)");
    expect(texts).toContain("objective (other)");
    expect(texts).toContain("valid_nll (straight)");
    expect(texts).toContain("a < b & c");
    expect(texts).toContain("epochs");
    expect(svg.texts.get("path")?.length).toBe(3); // one line per series
  });

  it("selects by code, range and x axis; the x axis changes the tick labels", () => {
    const out = join(dir, "codes.svg");
    const r = runDl(["plot-monitor", model, "--channels", "C-D", "--x", "examples", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("x: examples; objective, valid_nll");
    const texts = checkXml(readFileSync(out, "utf8")).texts.get("text") ?? [];
    expect(texts).toContain("examples seen");
    expect(texts).toContain("20k");
  });

  it("NaN values leave a gap and a warning on stderr", () => {
    const nan = join(dir, "nan.pkl");
    // JSON has no NaN: a monitor written with NaN holds null there.
    writeModelFile(nan, { className: "MLP", tensors: {}, monitor: { channels: { objective: channel((e) => (e === 10 ? NaN : 3)) } } });
    const out = join(dir, "nan.png");
    const r = runDl(["plot-monitor", nan, "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("dl: warning: channel objective has 1 NaN or infinite value; the line has gaps there\n");
    const sources = loadMonitors([nan]);
    const { spec } = monitorChart(sources, buildCodebook(sources), { x: "epochs" });
    const P = layoutChart(spec).panels[0];
    const img = readPng(out);
    const at = (e: number) => coloured(img, Math.floor(P.x.toPx(e)), PALETTE[0], P.plot.y0, P.plot.y1).length;
    expect(at(5.5)).toBeGreaterThan(0);
    expect(at(9.5)).toBe(0);
    expect(at(10.5)).toBe(0);
    expect(at(14.5)).toBeGreaterThan(0);
  });

  it("--terminal draws a chart within COLUMNS, without colour under NO_COLOR", () => {
    const r = runDl(["plot-monitor", model, "--terminal", "--channels", "objective"], { env: { COLUMNS: "70", NO_COLOR: "1" } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("\x1b[");
    expect(r.stdout).toMatch(/[\u2801-\u28ff]/);
    expect(r.stdout).toContain("epochs");
    for (const l of r.stdout.split("\n")) expect([...l].length).toBeLessThanOrEqual(70);
    expect(existsSync(join(dir, "straight_monitor.png"))).toBe(false); // --terminal alone writes no file
  });

  it("writes <model stem>_monitor.png in the current folder by default, and accepts --smooth, --logy, --yrange", () => {
    const r = runDl(["plot-monitor", "straight.pkl", "--smooth", "--logy", "--yrange", "0.5:20"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, "straight_monitor.png"))).toBe(true);
  });

  it("usage errors name the problem: unknown channel (with a suggestion), bad --yrange, bad extension", () => {
    const a = runDl(["plot-monitor", model, "--channels", "objectiv", "--out", join(dir, "x.png")]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("Did you mean `objective`?");
    const b = runDl(["plot-monitor", model, "--yrange", "5:1", "--out", join(dir, "x.png")]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("--yrange 5:1: expected LOW:HIGH with LOW < HIGH");
    const c = runDl(["plot-monitor", model, "--out", join(dir, "x.jpg")]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain("writes .png or .svg");
    expect(existsSync(join(dir, "x.png"))).toBe(false);
    const d = runDl(["plot-monitor", model, "--x", "days"]);
    expect(d.code).toBe(2);
  });
});
