import { getFont, measureText, fitText, type Font } from "./font.js";
import type { Rect } from "./raster.js";
import { linearTicks, logTicks, type Tick } from "./ticks.js";

/**
 * A line chart, laid out once and drawn by two renderers (PNG raster and SVG) so both show the
 * same axes, ticks and legend. Coordinates are pixels, y downwards.
 */
export interface ChartSeries {
  label: string;
  xs: readonly number[];
  /** Non-finite values leave a gap in the line. */
  ys: readonly number[];
  color: string;
  dash: readonly number[];
}

export interface PanelSpec {
  yLabel: string;
  series: ChartSeries[];
}

/**
 * A figure: a title, one or more panels stacked vertically that share the x axis (each with its
 * own y axis, so channels of very different size each fill their panel), and the x label.
 */
export interface ChartSpec {
  width: number;
  height: number;
  title: string;
  xLabel: string;
  panels: PanelSpec[];
  logY?: boolean;
  /** Fixed y limits (every panel); an undefined end is fitted to the data. */
  yRange?: [number | undefined, number | undefined];
}

export interface AxisLayout {
  lo: number;
  hi: number;
  log: boolean;
  ticks: (Tick & { px: number })[];
  /** Data value to pixel coordinate. */
  toPx(v: number): number;
}

export interface LegendLayout {
  box: Rect;
  entries: { label: string; color: string; dash: readonly number[]; y: number }[];
  /** Where the sample line starts and ends, and the label's left edge. */
  lineX0: number;
  lineX1: number;
  textX: number;
}

export interface PanelLayout {
  plot: Rect;
  x: AxisLayout;
  y: AxisLayout;
  /**
   * The panel's name: rotated beside the y axis when there is one panel; with several (short)
   * panels, a heading above each plot area, which stays readable where a rotated label would not fit.
   */
  yLabel: { text: string; x: number; y: number; rotate: boolean };
  /** Absent when the panel has one series: its y label already names it. */
  legend?: LegendLayout;
  series: ChartSeries[];
  /** Only the bottom panel labels its x ticks. */
  xTickLabels: boolean;
}

export interface ChartLayout {
  width: number;
  height: number;
  panels: PanelLayout[];
  title: { text: string; x: number; y: number };
  xLabel: { text: string; x: number; y: number };
  /** Markers on the points when the series are sparse enough for them to help. */
  markers: boolean;
  fonts: { tick: Font; label: Font; title: Font; legend: Font };
}

const TICK_LEN = 5;
const LEGEND_ROW = 18;
const LEGEND_PAD = 8;
const LEGEND_SAMPLE = 28;
const PANEL_GAP = 16;

/** All series of a figure, panel after panel. */
export function allSeries(spec: Pick<ChartSpec, "panels">): ChartSeries[] {
  return spec.panels.flatMap((p) => p.series);
}

/** Computes where everything goes. Empty data gives a [0, 1] axis rather than an error. */
export function layoutChart(spec: ChartSpec): ChartLayout {
  const fonts = { tick: getFont("sans12"), label: getFont("sans14"), title: getFont("bold16"), legend: getFont("sans12") };
  const { width, height } = spec;
  const logY = spec.logY ?? false;
  const { xlo, xhi } = chartRanges({ panels: spec.panels, logY, yRange: spec.yRange });
  const np = Math.max(1, spec.panels.length);

  // Vertical margins do not depend on tick labels, so fix them first.
  const top = 14 + fonts.title.lineHeight + 10;
  const bottom = TICK_LEN + 4 + fonts.tick.lineHeight + 6 + fonts.label.lineHeight + 10;
  const headed = np > 1;
  const heading = headed ? fonts.label.lineHeight + 2 : 0;
  const panelH = Math.floor((height - top - bottom - PANEL_GAP * (np - 1)) / np) - heading;

  const ys = spec.panels.map((p, i) => {
    const { ylo, yhi } = chartRanges({ panels: [p], logY, yRange: spec.yRange });
    const target = Math.max(2, Math.round(panelH / 70));
    const ticks = logY ? logTicks(ylo, yhi, target) : linearTicks(ylo, yhi, target);
    const y0 = top + heading + i * (heading + panelH + PANEL_GAP);
    return { ylo, yhi, ticks, y0, y1: y0 + panelH };
  });
  // One left margin for all panels, so their plot areas line up.
  const yTickW = Math.max(0, ...ys.flatMap((y) => y.ticks.map((t) => measureText(fonts.tick, t.label))));
  const left = 12 + (headed ? 0 : fonts.label.lineHeight + 8) + yTickW + 6 + TICK_LEN;

  // Legends: inside their panel in the emptiest corner when they fit, else in a column on the right.
  const legendSize = spec.panels.map((p) => {
    if (p.series.length < 2) return undefined;
    const labelW = Math.max(0, ...p.series.map((s) => measureText(fonts.legend, s.label)));
    return { w: Math.min(LEGEND_PAD * 2 + LEGEND_SAMPLE + 8 + labelW, Math.round(width * 0.4)), h: LEGEND_PAD * 2 + LEGEND_ROW * p.series.length - 4 };
  });
  const fullW = width - 24 - left;
  const fitsInside = (l: { w: number; h: number } | undefined) => !l || (l.h <= panelH * 0.55 && l.w <= fullW * 0.45);

  // Places the panels with the legends of `outside` in a right-hand column; the others go in the
  // emptiest inside corner.
  const place = (outside: boolean[]) => {
    const outsideW = Math.max(0, ...legendSize.map((l, i) => (l && outside[i] ? l.w : 0)));
    const right = outsideW > 0 ? 16 + outsideW + 12 : 24;
    const x0 = left, x1 = width - right;
    // Counts (epochs, batches, examples) never get fractional ticks such as "0.5 epochs".
    const xIsCount = /^(epochs|batches|examples)\b/.test(spec.xLabel);
    const xAxis = makeAxis(xlo, xhi, false, x0, x1, linearTicks(xlo, xhi, Math.max(2, Math.round((x1 - x0) / 90)), xIsCount));
    let covered = false;
    const panels: PanelLayout[] = spec.panels.map((p, i) => {
      const { ylo, yhi, ticks, y0, y1 } = ys[i];
      const plot: Rect = { x0, y0, x1, y1 };
      const yAxis = makeAxis(ylo, yhi, logY, y1, y0, ticks);
      const size = legendSize[i];
      let legend: LegendLayout | undefined;
      if (size) {
        let box: Rect;
        if (outside[i]) box = { x0: x1 + 16, y0, x1: x1 + 16 + size.w, y1: y0 + size.h };
        else {
          const best = bestCorner(p.series, xAxis, yAxis, plot, size.w, size.h);
          box = best.box;
          if (best.hits > 0) {
            outside[i] = true; // every corner would hide data: the next pass moves this legend out
            covered = true;
          }
        }
        const maxLabel = size.w - (LEGEND_PAD * 2 + LEGEND_SAMPLE + 8);
        legend = {
          box,
          lineX0: box.x0 + LEGEND_PAD,
          lineX1: box.x0 + LEGEND_PAD + LEGEND_SAMPLE,
          textX: box.x0 + LEGEND_PAD + LEGEND_SAMPLE + 8,
          entries: p.series.map((s, k) => ({
            label: fitText(fonts.legend, s.label, maxLabel),
            color: s.color,
            dash: s.dash,
            y: box.y0 + LEGEND_PAD + k * LEGEND_ROW + 9, // the entry's vertical centre
          })),
        };
      }
      return {
        plot,
        x: xAxis,
        y: yAxis,
        yLabel: headed
          ? { text: fitText(fonts.label, p.yLabel, x1 - x0), x: x0, y: y0 - 5 - fonts.label.descent, rotate: false }
          : { text: fitText(fonts.label, p.yLabel, panelH), x: 12 + fonts.label.ascent - 2, y: (y0 + y1) / 2, rotate: true },
        legend,
        series: p.series,
        xTickLabels: i === spec.panels.length - 1,
      };
    });
    return { panels, x0, x1, covered };
  };
  const outside = legendSize.map((l) => !fitsInside(l));
  let placed = place(outside);
  if (placed.covered) placed = place(outside);
  const { panels, x0, x1 } = placed;

  const maxPoints = Math.max(0, ...allSeries(spec).map((s) => s.ys.length));
  return {
    width,
    height,
    panels,
    title: { text: fitText(fonts.title, spec.title, width - 20), x: (x0 + x1) / 2, y: 14 + fonts.title.ascent - 2 },
    xLabel: { text: spec.xLabel, x: (x0 + x1) / 2, y: height - 10 - fonts.label.descent },
    markers: maxPoints > 0 && maxPoints <= Math.max(8, (x1 - x0) / 12),
    fonts,
  };
}

/** The axes' data ranges: the data's extent plus a 5% margin, or the fixed `yRange` ends. */
export function chartRanges(spec: Pick<ChartSpec, "panels" | "logY" | "yRange">): { xlo: number; xhi: number; ylo: number; yhi: number } {
  const logY = spec.logY ?? false;
  const series = allSeries(spec);
  const xr = extent(series.flatMap((s) => s.xs.filter((_, i) => Number.isFinite(s.ys[i]))), false);
  const yData = extent(series.flatMap((s) => s.ys as number[]), logY);
  let [ylo, yhi] = pad(yData, logY);
  if (spec.yRange?.[0] !== undefined) ylo = spec.yRange[0];
  if (spec.yRange?.[1] !== undefined) yhi = spec.yRange[1];
  if (!(yhi > ylo)) [ylo, yhi] = pad([ylo, ylo], logY);
  const [xlo, xhi] = pad(xr, false);
  return { xlo, xhi, ylo, yhi };
}

function makeAxis(lo: number, hi: number, log: boolean, p0: number, p1: number, ticks: Tick[]): AxisLayout {
  const f = log ? Math.log10 : (v: number) => v;
  const a = f(lo), b = f(hi);
  const toPx = (v: number) => p0 + ((f(v) - a) / (b - a)) * (p1 - p0);
  return { lo, hi, log, toPx, ticks: ticks.map((t) => ({ ...t, px: toPx(t.value) })) };
}

/** Finite (and, on a log axis, positive) min and max, or undefined when there is none. */
function extent(values: readonly number[], positiveOnly: boolean): [number, number] | undefined {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (positiveOnly && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** A 5% margin on each side (in log space on a log axis), and a sensible span for a single value. */
function pad(r: [number, number] | undefined, log: boolean): [number, number] {
  if (!r) return log ? [1, 10] : [0, 1];
  let [lo, hi] = r;
  if (log) {
    let a = Math.log10(lo), b = Math.log10(hi);
    if (b - a < 1e-12) {
      a -= 0.5;
      b += 0.5;
    }
    const m = (b - a) * 0.05;
    return [10 ** (a - m), 10 ** (b + m)];
  }
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(lo))) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const m = (hi - lo) * 0.05;
  return [lo - m, hi + m];
}

/** The inside corner whose legend box would cover the fewest data points (upper right wins ties, as in matplotlib). */
function bestCorner(series: readonly ChartSeries[], x: AxisLayout, y: AxisLayout, plot: Rect, w: number, h: number): { box: Rect; hits: number } {
  const m = 10;
  const corners: Rect[] = [
    { x0: plot.x1 - m - w, y0: plot.y0 + m, x1: plot.x1 - m, y1: plot.y0 + m + h },
    { x0: plot.x0 + m, y0: plot.y0 + m, x1: plot.x0 + m + w, y1: plot.y0 + m + h },
    { x0: plot.x1 - m - w, y0: plot.y1 - m - h, x1: plot.x1 - m, y1: plot.y1 - m },
    { x0: plot.x0 + m, y0: plot.y1 - m - h, x1: plot.x0 + m + w, y1: plot.y1 - m },
  ];
  let best = corners[0];
  let bestHits = Infinity;
  for (const c of corners) {
    let hits = 0;
    for (const s of series) {
      // Sample along each segment too, so a line crossing the box counts even between points.
      for (let i = 0; i < s.xs.length; i++) {
        const px = x.toPx(s.xs[i]), py = y.toPx(s.ys[i]);
        const nx = i + 1 < s.xs.length ? x.toPx(s.xs[i + 1]) : px;
        const ny = i + 1 < s.xs.length ? y.toPx(s.ys[i + 1]) : py;
        for (let k = 0; k < 8; k++) {
          const qx = px + ((nx - px) * k) / 8, qy = py + ((ny - py) * k) / 8;
          if (qx >= c.x0 - 4 && qx <= c.x1 + 4 && qy >= c.y0 - 4 && qy <= c.y1 + 4) hits++;
        }
      }
    }
    if (hits < bestHits) {
      bestHits = hits;
      best = c;
    }
  }
  return { box: best, hits: bestHits };
}
