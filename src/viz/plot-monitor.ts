import { basename, extname } from "node:path";
import { readModelFile, type MonitorHistory } from "../io/model-file.js";
import { writeFileAtomic } from "../io/atomic.js";
import { writePng } from "../io/png.js";
import { FileFormatError, UsageError } from "../util/errors.js";
import { layoutChart, type ChartSeries, type ChartSpec } from "./chart.js";
import { renderChartPng } from "./chart-png.js";
import { renderChartSvg } from "./chart-svg.js";
import { renderChartTerminal } from "./chart-terminal.js";
import { modelLabels, xValues, type ChannelRef, type XAxis } from "./channels.js";
import { seriesStyle } from "./palette.js";

export interface MonitorSource {
  path: string;
  label: string;
  className: string;
  monitor?: MonitorHistory;
}

/** Reads each model file's monitor history; labels tell the files apart in legends. */
export function loadMonitors(paths: readonly string[]): MonitorSource[] {
  const labels = modelLabels(paths);
  return paths.map((path, i) => {
    const m = readModelFile(path);
    return { path, label: labels[i], className: m.className, monitor: m.monitor };
  });
}

/** pylearn2's smoothing window (plot_monitor.py option 1): each point and the 5 before it. */
export const DEFAULT_SMOOTH = 5;

/**
 * Trailing moving average: point i becomes the mean of points max(0, i-k)..i, as pylearn2's
 * plot_monitor smoothed. Non-finite points stay gaps and are left out of their neighbours' means.
 */
export function smoothTrailing(values: readonly number[], k: number): number[] {
  return values.map((v, i) => {
    if (!Number.isFinite(v)) return v;
    let s = 0, n = 0;
    for (let j = Math.max(0, i - k); j <= i; j++) {
      if (Number.isFinite(values[j])) {
        s += values[j];
        n++;
      }
    }
    return s / n;
  });
}

/** `a:b`, `a:` or `:b` to y limits (an empty side is fitted to the data). */
export function parseYRange(s: string): [number | undefined, number | undefined] {
  const m = /^\s*([^:]*):([^:]*)\s*$/.exec(s);
  const num = (t: string) => (t.trim() === "" ? undefined : Number(t));
  if (m) {
    const lo = num(m[1]), hi = num(m[2]);
    const bad = [lo, hi].some((v) => v !== undefined && !Number.isFinite(v));
    if (!bad && (lo === undefined || hi === undefined || lo < hi)) return [lo, hi];
  }
  throw new UsageError(`--yrange ${s}: expected LOW:HIGH with LOW < HIGH, e.g. 0:1 (either side may be empty)`);
}

/** JSON cannot hold NaN or Infinity, so a monitor may record them as null or as strings; read all as numbers. */
function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") return Number(v);
  return NaN;
}

const X_LABEL: Record<XAxis, string> = {
  epochs: "epochs",
  examples: "examples seen",
  batches: "batches seen",
  seconds: "seconds",
  hours: "hours",
};

export interface SeriesOptions {
  x: XAxis;
  smooth?: number;
  logY?: boolean;
}

/** One chart series per channel reference, with warnings about values that cannot be drawn. */
export function buildSeries(refs: readonly ChannelRef[], models: number, opts: SeriesOptions): { series: ChartSeries[]; warnings: string[] } {
  const warnings: string[] = [];
  const series = refs.map((r, i) => {
    const name = models > 1 ? `${r.channel} (${r.modelLabel})` : r.channel;
    const rawX = xValues(r.history, opts.x);
    const n = r.history.val.length;
    if (!Array.isArray(rawX) || rawX.length < n) {
      throw new FileFormatError(
        `channel ${name}: its monitor history has ${n} values but ${Array.isArray(rawX) ? rawX.length : "no"} ${opts.x} records; try another --x`,
      );
    }
    let ys = r.history.val.map(num);
    const xs = rawX.slice(0, n).map(num);
    const bad = ys.filter((v) => !Number.isFinite(v)).length;
    if (bad > 0) warnings.push(`channel ${name} has ${bad} NaN or infinite value${bad === 1 ? "" : "s"}; the line has gaps there`);
    if (opts.logY) {
      const nonPos = ys.filter((v) => Number.isFinite(v) && v <= 0).length;
      if (nonPos > 0) warnings.push(`channel ${name} has ${nonPos} value${nonPos === 1 ? "" : "s"} <= 0, which a log axis cannot show`);
    }
    if (opts.smooth && opts.smooth > 0) ys = smoothTrailing(ys, opts.smooth);
    const style = seriesStyle(i, r.modelIndex);
    return { label: name, xs, ys, color: style.color, dash: style.dash };
  });
  return { series, warnings };
}

export type PlotFormat = "png" | "svg";

/** `<first model stem>_monitor.png` in the current folder. */
export function defaultMonitorPath(modelPath: string): string {
  return `${basename(modelPath, extname(modelPath))}_monitor.png`;
}

export function formatOf(out: string): PlotFormat {
  const ext = extname(out).toLowerCase();
  if (ext === ".png") return "png";
  if (ext === ".svg") return "svg";
  throw new UsageError(`--out ${out}: plot-monitor writes .png or .svg files`);
}

/**
 * How channels share panels: `one` overlays everything on one y axis (pylearn2's plot); `split`
 * gives each channel its own panel; `auto` overlays channels of similar scale and splits off
 * those that would be squashed flat by the others (objective ~1 next to reconstruction_error ~100).
 */
export type PanelMode = "auto" | "one" | "split";
export const PANEL_MODES: readonly PanelMode[] = ["auto", "one", "split"];
/** In `auto`, a channel whose spread is under this fraction of its panel's spread gets a panel of its own. */
const SQUASHED = 0.15;
const MAX_PANELS = 6;

export interface PlotOptions {
  x: XAxis;
  smooth?: number;
  logY?: boolean;
  yRange?: [number | undefined, number | undefined];
  title?: string;
  width?: number;
  height?: number;
  panels?: PanelMode;
}

/** Groups series (by channel name: one channel's curves from several models always share a panel) into panels. */
export function groupPanels(refs: readonly ChannelRef[], series: ChartSeries[], mode: PanelMode, logY: boolean): ChartSeries[][] {
  const names = [...new Set(refs.map((r) => r.channel))];
  const byName = names.map((name) => series.filter((_, i) => refs[i].channel === name));
  if (mode === "one" || names.length === 1) return [series];
  if (mode === "split") return byName;
  const spread = (group: ChartSeries[][]) => {
    let lo = Infinity, hi = -Infinity;
    for (const ss of group) {
      for (const s of ss) {
        for (const v of s.ys) {
          const t = logY ? (v > 0 ? Math.log10(v) : NaN) : v;
          if (!Number.isFinite(t)) continue;
          if (t < lo) lo = t;
          if (t > hi) hi = t;
        }
      }
    }
    return hi >= lo ? hi - lo : 0;
  };
  // Greedy, in channel order: join the first group where no member (the newcomer included) ends up
  // squashed; a constant channel (spread 0, e.g. a fixed learning rate) squashes nothing.
  const groups: ChartSeries[][][] = [];
  for (const ch of byName) {
    const home = groups.find((g) => {
      const total = spread([...g, ch]);
      return [...g, ch].every((m) => spread([m]) === 0 || spread([m]) >= SQUASHED * total);
    });
    if (home) home.push(ch);
    else groups.push([ch]);
  }
  if (groups.length > MAX_PANELS) return [series];
  return groups.map((g) => g.flat());
}

/** The chart for the chosen channels: series grouped in panels, labels, title. */
export function monitorChart(sources: readonly MonitorSource[], refs: readonly ChannelRef[], opts: PlotOptions): { spec: ChartSpec; warnings: string[] } {
  const { series, warnings } = buildSeries(refs, sources.length, opts);
  const groups = groupPanels(refs, series, opts.panels ?? "auto", opts.logY ?? false);
  const channelOf = new Map(series.map((s, i) => [s, refs[i].channel]));
  const models = sources.filter((_, i) => refs.some((r) => r.modelIndex === i));
  let title = opts.title ?? (sources.length === 1 ? `${sources[0].label} (${sources[0].className})` : models.map((m) => m.label).join(" vs "));
  if (opts.title === undefined && opts.smooth) title += `, smoothed over ${opts.smooth + 1} points`;
  const panels = groups.map((g) => {
    const channels = [...new Set(g.map((s) => channelOf.get(s)!))];
    const yLabel = (channels.length === 1 ? channels[0] : "value") + (opts.logY ? " (log scale)" : "");
    return { yLabel, series: g };
  });
  return {
    spec: { width: opts.width ?? 960, height: opts.height ?? 600, title, xLabel: X_LABEL[opts.x], panels, logY: opts.logY, yRange: opts.yRange },
    warnings,
  };
}

/** Draws the chart and writes it (PNG or SVG by the extension), atomically. */
export function writeChart(spec: ChartSpec, out: string): PlotFormat {
  const format = formatOf(out);
  const layout = layoutChart(spec);
  if (format === "png") writePng(out, renderChartPng(layout));
  else writeFileAtomic(out, Buffer.from(renderChartSvg(layout), "utf8"));
  return format;
}

export { renderChartTerminal };
