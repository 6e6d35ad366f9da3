import { allSeries, chartRanges, type ChartSpec } from "./chart.js";
import { hexToRgb } from "./raster.js";
import { linearTicks, logTicks, type Tick } from "./ticks.js";

/**
 * A line chart as text. Lines are drawn in braille dots (2 x 4 per character cell), coloured per
 * series with 24-bit ANSI colours. Without colour (NO_COLOR, or output that is not a terminal),
 * several series would be indistinguishable in braille, so each is drawn with its own marker
 * character at cell resolution instead; a single series keeps the finer braille line.
 */
export interface TerminalOptions {
  /** Total width in characters (the terminal's COLUMNS). */
  columns: number;
  /** Plot height in character rows. */
  rows?: number;
  color: boolean;
}

const MARKERS = ["*", "o", "+", "x", "#", "@", "%", "&", "=", "~"];
// Braille dot bits by (column, row) inside a cell: Unicode's 8-dot braille numbering.
const DOT = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
];

export function renderChartTerminal(spec: ChartSpec, opts: TerminalOptions): string {
  const np = Math.max(1, spec.panels.length);
  const rows = Math.max(5, opts.rows ?? (np === 1 ? 16 : Math.floor(24 / np)));
  const { xlo, xhi } = chartRanges(spec);
  const all = allSeries(spec);
  const paint = (si: number, text: string) => {
    if (!opts.color || si < 0) return text;
    const color = all[si].color === "#000000" ? "#9e9e9e" : all[si].color; // black is invisible on dark terminals
    const [r, g, b] = hexToRgb(color);
    return `\x1b[38;2;${r};${g};${b}m${text}\x1b[0m`;
  };
  const panelYs = spec.panels.map((p) => chartRanges({ panels: [p], logY: spec.logY, yRange: spec.yRange }));
  const yTicks = panelYs.map(({ ylo, yhi }) => {
    const target = Math.max(2, Math.round(rows / 4));
    return spec.logY ? logTicks(ylo, yhi, target) : linearTicks(ylo, yhi, target);
  });
  const labW = Math.max(1, ...yTicks.flat().map((t) => t.label.length));
  const W = Math.max(10, opts.columns - labW - 2 - 1);
  const cx = (v: number) => ((v - xlo) / (xhi - xlo)) * W;

  const lines: string[] = [];
  if (spec.title) lines.push(opts.color ? `\x1b[1m${spec.title}\x1b[0m` : spec.title);
  let first = 0; // global index of the panel's first series, for colours and markers
  spec.panels.forEach((p, pi) => {
    const { ylo, yhi } = panelYs[pi];
    const fy = spec.logY ? Math.log10 : (v: number) => v;
    const a = fy(ylo), b = fy(yhi);
    const cy = (v: number) => ((b - fy(v)) / (b - a)) * rows;
    // Braille lines cannot be told apart without colour, so then several series use marker characters.
    const useMarkers = !opts.color && p.series.length > 1;
    const bits = new Uint8Array(W * rows);
    const owner = new Int16Array(W * rows).fill(-1);
    const mark = new Array<string>(W * rows).fill(" ");
    p.series.forEach((s, k) => {
      const si = first + k;
      let prev: [number, number] | undefined;
      for (let i = 0; i < s.xs.length; i++) {
        const v = s.ys[i];
        if (!Number.isFinite(v) || (spec.logY && v <= 0)) {
          prev = undefined; // a gap
          continue;
        }
        const pt: [number, number] = [cx(s.xs[i]), cy(v)];
        const q = prev ?? pt;
        if (useMarkers) {
          line(Math.floor(q[0]), Math.floor(q[1]), Math.floor(pt[0]), Math.floor(pt[1]), (x, y) => {
            if (x >= 0 && y >= 0 && x < W && y < rows) mark[y * W + x] = MARKERS[si % MARKERS.length];
          });
        } else {
          line(Math.floor(q[0] * 2), Math.floor(q[1] * 4), Math.floor(pt[0] * 2), Math.floor(pt[1] * 4), (x, y) => {
            if (x < 0 || y < 0 || x >= W * 2 || y >= rows * 4) return;
            const c = (y >> 2) * W + (x >> 1);
            bits[c] |= DOT[x & 1][y & 3];
            owner[c] = si;
          });
        }
        prev = pt;
      }
    });
    lines.push(p.yLabel);
    const tickRow = new Map<number, Tick>();
    for (const t of yTicks[pi]) {
      const row = Math.min(rows - 1, Math.max(0, Math.floor(cy(t.value))));
      if (!tickRow.has(row)) tickRow.set(row, t);
    }
    for (let y = 0; y < rows; y++) {
      const t = tickRow.get(y);
      let row = (t ? t.label.padStart(labW) : " ".repeat(labW)) + (t ? " ┤" : " │");
      for (let x = 0; x < W; x++) {
        const c = y * W + x;
        if (useMarkers) row += mark[c];
        else row += bits[c] ? paint(owner[c], String.fromCharCode(0x2800 + bits[c])) : " ";
      }
      lines.push(row);
    }
    lines.push(...xAxis(xlo, xhi, W, labW, cx, pi === spec.panels.length - 1));
    first += p.series.length;
  });
  if (spec.xLabel) lines.push(" ".repeat(labW + 2 + Math.max(0, Math.floor((W - spec.xLabel.length) / 2))) + spec.xLabel);
  let si = 0;
  for (const p of spec.panels) {
    const useMarkers = !opts.color && p.series.length > 1;
    for (const s of p.series) {
      const key = useMarkers ? ` ${MARKERS[si % MARKERS.length]} ` : paint(si, opts.color ? "━━" : "──");
      lines.push(`  ${key} ${s.label}`);
      si++;
    }
  }
  return lines.join("\n") + "\n";
}

/** The x axis: a rule with a mark under each tick and, under the last panel, the labels that fit without overlapping. */
function xAxis(xlo: number, xhi: number, W: number, labW: number, cx: (v: number) => number, labelled: boolean): string[] {
  const ticks = linearTicks(xlo, xhi, Math.max(2, Math.floor(W / 12)));
  const rule = Array.from({ length: W }, () => "─");
  const labels = Array.from({ length: W + labW + 2 }, () => " ");
  let free = 0;
  for (const t of ticks) {
    const x = Math.floor(cx(t.value));
    if (x < 0 || x >= W) continue;
    rule[x] = "┬";
    const start = Math.max(0, labW + 2 + x - Math.floor(t.label.length / 2));
    if (start < free || start + t.label.length > labels.length) continue;
    for (let k = 0; k < t.label.length; k++) labels[start + k] = t.label[k];
    free = start + t.label.length + 1;
  }
  const out = [" ".repeat(labW) + " └" + rule.join("")];
  if (labelled) out.push(labels.join("").trimEnd());
  return out;
}

/** Bresenham's line from (x0, y0) to (x1, y1), both ends included. */
function line(x0: number, y0: number, x1: number, y1: number, plot: (x: number, y: number) => void): void {
  const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    plot(x0, y0);
    if (x0 === x1 && y0 === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}
