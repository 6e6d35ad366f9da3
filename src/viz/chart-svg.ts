import type { ChartLayout, PanelLayout } from "./chart.js";
import { LINE_WIDTH, MARKER_RADIUS } from "./chart-png.js";

/** The raster fonts are DejaVu Sans, so SVG text asks for it first; the layout used its metrics. */
const FAMILY = "DejaVu Sans, Verdana, Geneva, Arial, sans-serif";

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

const n = (v: number) => String(Math.round(v * 100) / 100);

function text(s: string, x: number, y: number, anchor: "start" | "middle" | "end", extra = ""): string {
  return `<text x="${n(x)}" y="${n(y)}" text-anchor="${anchor}"${extra}>${xmlEscape(s)}</text>`;
}

/** The same chart as renderChartPng, as a standalone SVG document with real <text> elements. */
export function renderChartSvg(L: ChartLayout): string {
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}" viewBox="0 0 ${L.width} ${L.height}" font-family="${FAMILY}">`,
  );
  out.push(`<title>${xmlEscape(L.title.text)}</title>`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  L.panels.forEach((p, i) => drawPanel(out, L, p, i));
  out.push(`<g fill="#222222">`);
  out.push(text(L.title.text, L.title.x, L.title.y, "middle", ` font-size="${L.fonts.title.size}px" font-weight="bold"`));
  out.push(text(L.xLabel.text, L.xLabel.x, L.xLabel.y, "middle", ` font-size="${L.fonts.label.size}px"`));
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

function drawPanel(out: string[], L: ChartLayout, P: PanelLayout, index: number): void {
  const { plot } = P;
  const id = `plot-area-${index}`;
  out.push(`<g class="panel">`);
  out.push(`<defs><clipPath id="${id}"><rect x="${n(plot.x0)}" y="${n(plot.y0)}" width="${n(plot.x1 - plot.x0)}" height="${n(plot.y1 - plot.y0)}"/></clipPath></defs>`);
  out.push(`<g stroke="#e8e8e8" stroke-width="1" shape-rendering="crispEdges">`);
  for (const t of P.x.ticks) out.push(`<line x1="${n(Math.round(t.px) + 0.5)}" y1="${n(plot.y0)}" x2="${n(Math.round(t.px) + 0.5)}" y2="${n(plot.y1)}"/>`);
  for (const t of P.y.ticks) out.push(`<line x1="${n(plot.x0)}" y1="${n(Math.round(t.px) + 0.5)}" x2="${n(plot.x1)}" y2="${n(Math.round(t.px) + 0.5)}"/>`);
  out.push(`</g>`);

  out.push(`<g clip-path="url(#${id})" fill="none" stroke-width="${LINE_WIDTH}" stroke-linejoin="round" stroke-linecap="round">`);
  for (const s of P.series) {
    const d: string[] = [];
    const pts: [number, number][] = [];
    let pen = false;
    for (let i = 0; i < s.xs.length; i++) {
      const v = s.ys[i];
      if (!Number.isFinite(v) || (P.y.log && v <= 0)) {
        pen = false; // a gap: the next point starts a new subpath
        continue;
      }
      const x = P.x.toPx(s.xs[i]), y = P.y.toPx(v);
      d.push(`${pen ? "L" : "M"}${n(x)} ${n(y)}`);
      pts.push([x, y]);
      pen = true;
    }
    const dash = s.dash.length ? ` stroke-dasharray="${s.dash.join(" ")}"` : "";
    out.push(`<path stroke="${s.color}"${dash} d="${d.join(" ")}"><title>${xmlEscape(s.label)}</title></path>`);
    if (L.markers) for (const [x, y] of pts) out.push(`<circle cx="${n(x)}" cy="${n(y)}" r="${MARKER_RADIUS}" fill="${s.color}" stroke="none"/>`);
  }
  out.push(`</g>`);

  out.push(
    `<rect x="${n(plot.x0 + 0.5)}" y="${n(plot.y0 + 0.5)}" width="${n(plot.x1 - plot.x0)}" height="${n(plot.y1 - plot.y0)}" fill="none" stroke="#787878" stroke-width="1"/>`,
  );
  const { tick: tf, label: lf, legend: legF } = L.fonts;
  out.push(`<g fill="#444444" font-size="${tf.size}px">`);
  for (const t of P.x.ticks) {
    const x = Math.round(t.px) + 0.5;
    out.push(`<line x1="${n(x)}" y1="${n(plot.y1 + 1)}" x2="${n(x)}" y2="${n(plot.y1 + 6)}" stroke="#787878"/>`);
    if (P.xTickLabels) out.push(text(t.label, x, plot.y1 + 6 + 4 + tf.ascent - 2, "middle"));
  }
  for (const t of P.y.ticks) {
    const y = Math.round(t.px) + 0.5;
    out.push(`<line x1="${n(plot.x0 - 5)}" y1="${n(y)}" x2="${n(plot.x0)}" y2="${n(y)}" stroke="#787878"/>`);
    out.push(text(t.label, plot.x0 - 5 - 6, y + (tf.ascent - tf.descent) / 2 - 1, "end"));
  }
  out.push(`</g>`);
  const turn = P.yLabel.rotate ? ` transform="rotate(-90 ${n(P.yLabel.x)} ${n(P.yLabel.y)})"` : "";
  out.push(text(P.yLabel.text, P.yLabel.x, P.yLabel.y, P.yLabel.rotate ? "middle" : "start", ` font-size="${lf.size}px" fill="#222222"${turn}`));

  if (P.legend) {
    const { box } = P.legend;
    out.push(`<g class="legend">`);
    out.push(
      `<rect x="${n(box.x0 + 0.5)}" y="${n(box.y0 + 0.5)}" width="${n(box.x1 - box.x0 - 1)}" height="${n(box.y1 - box.y0 - 1)}" fill="#ffffff" fill-opacity="0.9" stroke="#cccccc"/>`,
    );
    for (const e of P.legend.entries) {
      const dash = e.dash.length ? ` stroke-dasharray="${e.dash.join(" ")}"` : "";
      out.push(`<line x1="${n(P.legend.lineX0)}" y1="${n(e.y)}" x2="${n(P.legend.lineX1)}" y2="${n(e.y)}" stroke="${e.color}" stroke-width="${LINE_WIDTH}"${dash}/>`);
      if (L.markers) out.push(`<circle cx="${n((P.legend.lineX0 + P.legend.lineX1) / 2)}" cy="${n(e.y)}" r="${MARKER_RADIUS}" fill="${e.color}"/>`);
      out.push(text(e.label, P.legend.textX, e.y + (legF.ascent - legF.descent) / 2 - 1, "start", ` font-size="${legF.size}px" fill="#222222"`));
    }
    out.push(`</g>`);
  }
  out.push(`</g>`);
}
