import type { PixelImage } from "../io/png.js";
import type { ChartLayout, PanelLayout } from "./chart.js";
import { hexToRgb, Raster, type Rgb } from "./raster.js";

const INK: Rgb = [34, 34, 34];
const TICK_INK: Rgb = [68, 68, 68];
const GRID: Rgb = [232, 232, 232];
const FRAME: Rgb = [120, 120, 120];
const LEGEND_EDGE: Rgb = [204, 204, 204];
const WHITE: Rgb = [255, 255, 255];

/** Line width of the series, in pixels. */
export const LINE_WIDTH = 2;
export const MARKER_RADIUS = 2.6;

/** Draws a laid-out chart into an RGB raster: per panel grid, lines, markers, frame, ticks, legend; then the labels. */
export function renderChartPng(L: ChartLayout): PixelImage {
  const r = new Raster(L.width, L.height);
  for (const p of L.panels) drawPanel(r, L, p);
  r.drawText(L.fonts.title, L.title.text, L.title.x, L.title.y, INK, { align: "center" });
  r.drawText(L.fonts.label, L.xLabel.text, L.xLabel.x, L.xLabel.y, INK, { align: "center" });
  return r.toImage();
}

function drawPanel(r: Raster, L: ChartLayout, P: PanelLayout): void {
  const { plot } = P;
  const px0 = Math.round(plot.x0), px1 = Math.round(plot.x1), py0 = Math.round(plot.y0), py1 = Math.round(plot.y1);
  // Light grid at the ticks under everything; crisp 1-pixel lines on whole pixels.
  for (const t of P.x.ticks) r.fillRect(Math.round(t.px), py0, 1, py1 - py0, GRID);
  for (const t of P.y.ticks) r.fillRect(px0, Math.round(t.px), px1 - px0, 1, GRID);

  const clip = { x0: px0 + 1, y0: py0 + 1, x1: px1, y1: py1 };
  for (const s of P.series) {
    const c = hexToRgb(s.color);
    const xs = s.xs.map((v) => P.x.toPx(v));
    const ys = s.ys.map((v) => (Number.isFinite(v) && (!P.y.log || v > 0) ? P.y.toPx(v) : NaN));
    r.strokePolyline(xs, ys, c, { width: LINE_WIDTH, clip, dash: s.dash });
    if (L.markers) {
      for (let i = 0; i < xs.length; i++) if (Number.isFinite(ys[i])) r.fillCircle(xs[i], ys[i], MARKER_RADIUS, c, clip);
    }
  }

  r.strokeRect(px0, py0, px1 - px0 + 1, py1 - py0 + 1, FRAME);
  const { tick: tf, label: lf, legend: legF } = L.fonts;
  for (const t of P.x.ticks) {
    const x = Math.round(t.px);
    r.fillRect(x, py1 + 1, 1, 5, FRAME);
    if (P.xTickLabels) r.drawText(tf, t.label, x + 0.5, py1 + 6 + 4 + tf.ascent - 2, TICK_INK, { align: "center" });
  }
  for (const t of P.y.ticks) {
    const y = Math.round(t.px);
    r.fillRect(px0 - 5, y, 5, 1, FRAME);
    r.drawText(tf, t.label, px0 - 5 - 6, y + Math.round((tf.ascent - tf.descent) / 2) - 1, TICK_INK, { align: "right" });
  }
  if (P.yLabel.rotate) r.drawText(lf, P.yLabel.text, P.yLabel.x, P.yLabel.y, INK, { align: "center", rotate: true });
  else r.drawText(lf, P.yLabel.text, P.yLabel.x, P.yLabel.y, INK);

  if (P.legend) {
    const { box } = P.legend;
    r.fillRect(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0, WHITE, 0.9);
    r.strokeRect(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0, LEGEND_EDGE);
    for (const e of P.legend.entries) {
      const c = hexToRgb(e.color);
      const y = Math.round(e.y); // on a pixel edge: the 2-pixel line covers the rows above and below fully
      r.strokePolyline([P.legend.lineX0, P.legend.lineX1], [y, y], c, { width: LINE_WIDTH, dash: e.dash });
      if (L.markers) r.fillCircle((P.legend.lineX0 + P.legend.lineX1) / 2, y, MARKER_RADIUS, c);
      r.drawText(legF, e.label, P.legend.textX, y + Math.round((legF.ascent - legF.descent) / 2) - 1, INK);
    }
  }
}
