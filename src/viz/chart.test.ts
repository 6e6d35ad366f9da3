import { describe, expect, it } from "vitest";
import type { PixelImage } from "../io/png.js";
import { layoutChart, type ChartSeries, type ChartSpec } from "./chart.js";
import { renderChartPng } from "./chart-png.js";
import { renderChartTerminal } from "./chart-terminal.js";
import { hexToRgb } from "./raster.js";

const BLUE = "#0072B2";
const ORANGE = "#D55E00";

function spec(series: ChartSeries[], extra: Partial<ChartSpec> = {}): ChartSpec {
  return { width: 800, height: 500, title: "t", xLabel: "epochs", panels: [{ yLabel: "value", series }], ...extra };
}
const line = (label: string, color: string, f: (x: number) => number, n = 11): ChartSeries => ({
  label,
  color,
  dash: [],
  xs: Array.from({ length: n }, (_, i) => i),
  ys: Array.from({ length: n }, (_, i) => f(i)),
});

/** Rows in column x whose pixel is exactly colour c. */
function rowsOfColour(img: PixelImage, x: number, c: string, y0 = 0, y1 = img.height): number[] {
  const [r, g, b] = hexToRgb(c);
  const rows: number[] = [];
  for (let y = y0; y < y1; y++) {
    const i = (y * img.width + x) * img.channels;
    if (img.data[i] === r && img.data[i + 1] === g && img.data[i + 2] === b) rows.push(y);
  }
  return rows;
}

describe("PNG line chart", () => {
  it("draws a straight line where the data say", () => {
    const s = spec([line("objective", BLUE, (x) => 2 * x + 1)]);
    const L = layoutChart(s);
    const img = renderChartPng(L);
    expect([img.width, img.height]).toEqual([800, 500]);
    const P = L.panels[0];
    for (const xv of [0.5, 2.5, 5.5, 8.5]) {
      const px = Math.floor(P.x.toPx(xv));
      const rows = rowsOfColour(img, px, BLUE, Math.ceil(P.plot.y0), Math.floor(P.plot.y1));
      expect(rows.length).toBeGreaterThanOrEqual(1);
      const mid = rows.reduce((a, b) => a + b, 0) / rows.length + 0.5;
      // The exact line at the column's centre, y = 2x + 1 with x at the pixel centre.
      const want = P.y.toPx(2 * (((px + 0.5 - P.x.toPx(0)) / (P.x.toPx(1) - P.x.toPx(0)))) + 1);
      expect(Math.abs(mid - want)).toBeLessThan(1.5);
      expect(Math.max(...rows) - Math.min(...rows)).toBeLessThan(6); // a thin line, not a smear
    }
  });

  it("y ticks are round numbers and the axis covers the data with a margin", () => {
    const L = layoutChart(spec([line("objective", BLUE, (x) => 2 * x + 1)]));
    const P = L.panels[0];
    expect(P.y.lo).toBeLessThan(1);
    expect(P.y.hi).toBeGreaterThan(21);
    expect(P.y.ticks.map((t) => t.label)).toEqual(["0", "5", "10", "15", "20"]);
    expect(P.x.ticks.map((t) => t.label)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
  });

  it("draws a legend with each series' colour when a panel has several series", () => {
    const L = layoutChart(spec([line("objective", BLUE, (x) => 10 - x), line("valid_nll", ORANGE, (x) => 12 - x)]));
    const img = renderChartPng(L);
    const legend = L.panels[0].legend!;
    expect(legend.entries.map((e) => e.label)).toEqual(["objective", "valid_nll"]);
    // Decreasing lines leave the upper right corner... no: they start high on the left, so the legend goes right.
    expect(legend.box.x0).toBeGreaterThan((L.panels[0].plot.x0 + L.panels[0].plot.x1) / 2);
    const sampleX = Math.round((legend.lineX0 + legend.lineX1) / 2) + 5; // on the sample line, beside the marker
    expect(rowsOfColour(img, sampleX, BLUE, Math.round(legend.box.y0), Math.round(legend.box.y1)).length).toBeGreaterThanOrEqual(2);
    expect(rowsOfColour(img, sampleX, ORANGE, Math.round(legend.box.y0), Math.round(legend.box.y1)).length).toBeGreaterThanOrEqual(2);
    // ... and text: dark pixels to the right of the samples.
    let ink = 0;
    for (let y = Math.round(legend.box.y0); y < legend.box.y1; y++) {
      for (let x = legend.textX; x < legend.box.x1; x++) if (img.data[(y * img.width + x) * 3] < 100) ink++;
    }
    expect(ink).toBeGreaterThan(50);
  });

  it("a NaN point leaves a gap in the line", () => {
    const s = line("objective", BLUE, (x) => (x === 5 ? NaN : 3));
    const L = layoutChart(spec([s]));
    const img = renderChartPng(L);
    const P = L.panels[0];
    const at = (xv: number) => rowsOfColour(img, Math.floor(P.x.toPx(xv)), BLUE, Math.ceil(P.plot.y0), Math.floor(P.plot.y1)).length;
    expect(at(2.5)).toBeGreaterThan(0);
    expect(at(4.5)).toBe(0); // the segments 4-5 and 5-6 are not drawn
    expect(at(5)).toBe(0);
    expect(at(5.5)).toBe(0);
    expect(at(7.5)).toBeGreaterThan(0);
  });

  it("panels share the x axis and only the bottom one labels it", () => {
    const s: ChartSpec = {
      ...spec([]),
      panels: [
        { yLabel: "objective", series: [line("objective", BLUE, (x) => 1 / (x + 1))] },
        { yLabel: "reconstruction_error", series: [line("reconstruction_error", ORANGE, (x) => 100 - x)] },
      ],
    };
    const L = layoutChart(s);
    expect(L.panels.map((p) => p.xTickLabels)).toEqual([false, true]);
    expect(L.panels[0].plot.x0).toBe(L.panels[1].plot.x0);
    expect(L.panels[0].plot.y1).toBeLessThan(L.panels[1].plot.y0);
    expect(L.panels[0].legend).toBeUndefined(); // one series: the y label names it
  });

  it("log axes place decades evenly", () => {
    const L = layoutChart(spec([line("loss", BLUE, (x) => 10 ** (-x / 2))], { logY: true }));
    const P = L.panels[0];
    const d1 = P.y.toPx(1) - P.y.toPx(10);
    const d2 = P.y.toPx(0.01) - P.y.toPx(0.1);
    expect(d1).toBeCloseTo(d2, 6);
  });
});

describe("terminal chart", () => {
  it("draws braille without colour codes when colour is off, with axis labels and a key", () => {
    const out = renderChartTerminal(spec([line("objective", BLUE, (x) => x)]), { columns: 60, color: false });
    expect(out).not.toContain("\x1b[");
    expect(out).toMatch(/[\u2801-\u28ff]/);
    expect(out).toContain("objective");
    expect(out).toContain("epochs");
    for (const l of out.split("\n")) expect([...l].length).toBeLessThanOrEqual(60);
  });

  it("uses marker characters for several series without colour, 24-bit colour with it", () => {
    const two = spec([line("a", BLUE, (x) => x), line("b", ORANGE, (x) => 10 - x)]);
    const plain = renderChartTerminal(two, { columns: 80, color: false });
    expect(plain).toMatch(/^ +\* +a$/m);
    expect(plain).toMatch(/^ +o +b$/m);
    expect(plain).toContain("*");
    const colour = renderChartTerminal(two, { columns: 80, color: true });
    expect(colour).toContain("\x1b[38;2;0;114;178m");
    expect(colour).toContain("\x1b[38;2;213;94;0m");
  });

  it("honours the width it is given", () => {
    const out = renderChartTerminal(spec([line("objective", BLUE, (x) => x)]), { columns: 120, color: false });
    const widest = Math.max(...out.split("\n").map((l) => [...l].length));
    expect(widest).toBeGreaterThan(100);
    expect(widest).toBeLessThanOrEqual(120);
  });
});
