import type { PixelImage } from "../io/png.js";
import { measureText, type Font } from "./font.js";

/** An sRGB colour, 0..255 per channel. */
export type Rgb = readonly [number, number, number];

export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface TextOptions {
  /** Horizontal anchor relative to x (along the text direction when rotated). */
  align?: "left" | "center" | "right";
  /** Rotate 90 degrees counter-clockwise: the text reads bottom to top (y-axis labels). */
  rotate?: boolean;
}

export interface StrokeOptions {
  /** Line width in pixels. */
  width: number;
  /** Pixels outside this rectangle are left alone (the plot area). */
  clip?: Rect;
  /** Dash pattern in pixels along the line: on, off, on, off... */
  dash?: readonly number[];
  alpha?: number;
}

/** `#rrggbb` to an Rgb triple. */
export function hexToRgb(hex: string): Rgb {
  const n = Number.parseInt(hex.replace(/^#/, ""), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * An RGB canvas with the few primitives plots need: rectangles, anti-aliased lines and discs
 * (coverage from the exact distance to the shape, so edges are smooth at any angle), and text in
 * the embedded bitmap fonts. Blending is the usual "over" in sRGB values.
 */
export class Raster {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;

  constructor(width: number, height: number, background: Rgb = [255, 255, 255]) {
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Mixes colour `c` into pixel (x, y) with opacity `a` in [0, 1]. */
  blend(x: number, y: number, c: Rgb, a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const i = (y * this.width + x) * 3;
    const d = this.data;
    if (a >= 1) {
      d[i] = c[0];
      d[i + 1] = c[1];
      d[i + 2] = c[2];
      return;
    }
    d[i] = Math.round(d[i] + (c[0] - d[i]) * a);
    d[i + 1] = Math.round(d[i + 1] + (c[1] - d[i + 1]) * a);
    d[i + 2] = Math.round(d[i + 2] + (c[2] - d[i + 2]) * a);
  }

  get(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.data[i], this.data[i + 1], this.data[i + 2]];
  }

  /** Fills the pixel rectangle [x, x+w) x [y, y+h) (integer pixel edges). */
  fillRect(x: number, y: number, w: number, h: number, c: Rgb, a = 1): void {
    const xa = Math.max(0, Math.round(x));
    const ya = Math.max(0, Math.round(y));
    const xb = Math.min(this.width, Math.round(x + w));
    const yb = Math.min(this.height, Math.round(y + h));
    for (let yy = ya; yy < yb; yy++) for (let xx = xa; xx < xb; xx++) this.blend(xx, yy, c, a);
  }

  /** A 1-pixel outline whose outer edge is the rectangle [x, x+w) x [y, y+h). */
  strokeRect(x: number, y: number, w: number, h: number, c: Rgb, a = 1): void {
    this.fillRect(x, y, w, 1, c, a);
    this.fillRect(x, y + h - 1, w, 1, c, a);
    this.fillRect(x, y + 1, 1, h - 2, c, a);
    this.fillRect(x + w - 1, y + 1, 1, h - 2, c, a);
  }

  /**
   * Draws `text` with its baseline at y. With `rotate`, (x, y) is the baseline point and the text
   * runs upwards from it (alignment then applies along the vertical direction).
   */
  drawText(font: Font, text: string, x: number, y: number, c: Rgb, opts: TextOptions = {}): void {
    const width = measureText(font, text);
    const shift = opts.align === "center" ? Math.round(width / 2) : opts.align === "right" ? width : 0;
    let pen = -shift;
    const x0 = Math.round(x);
    const y0 = Math.round(y);
    for (const ch of text) {
      const g = font.glyph(ch.codePointAt(0)!);
      for (let j = 0; j < g.height; j++) {
        for (let i = 0; i < g.width; i++) {
          const a = g.alpha[j * g.width + i];
          if (a === 0) continue;
          const u = pen + g.left + i; // along the text
          const v = g.top + j; // below the baseline
          // Counter-clockwise rotation: along-text becomes upwards, below-baseline becomes rightwards.
          if (opts.rotate) this.blend(x0 + v, y0 - u, c, a / 255);
          else this.blend(x0 + u, y0 + v, c, a / 255);
        }
      }
      pen += g.advance;
    }
  }

  /**
   * Strokes the polyline through (xs[i], ys[i]) (pixel coordinates, pixel centres at +0.5), skipping
   * non-finite points (they split the line into pieces). Coverage is the maximum over segments, not
   * the sum, so joints are not darker than the rest of the line.
   */
  strokePolyline(xs: ArrayLike<number>, ys: ArrayLike<number>, c: Rgb, opts: StrokeOptions): void {
    const clip = clipRect(opts.clip, this.width, this.height);
    const cw = clip.x1 - clip.x0;
    const ch = clip.y1 - clip.y0;
    if (cw <= 0 || ch <= 0) return;
    const cov = new Float32Array(cw * ch);
    const hw = opts.width / 2;
    const dash = opts.dash && opts.dash.length > 0 ? opts.dash : undefined;
    const period = dash ? dash.reduce((a, b) => a + b, 0) : 0;
    let arc = 0; // length along the line so far, so dashes continue across segments
    let touched = false;
    for (let k = 0; k + 1 < xs.length; k++) {
      const ax = xs[k], ay = ys[k], bx = xs[k + 1], by = ys[k + 1];
      if (!Number.isFinite(ax) || !Number.isFinite(ay) || !Number.isFinite(bx) || !Number.isFinite(by)) {
        arc = 0;
        continue;
      }
      const dx = bx - ax, dy = by - ay;
      const len2 = dx * dx + dy * dy;
      const len = Math.sqrt(len2);
      const xa = Math.max(clip.x0, Math.floor(Math.min(ax, bx) - hw - 1));
      const xb = Math.min(clip.x1 - 1, Math.ceil(Math.max(ax, bx) + hw + 1));
      const ya = Math.max(clip.y0, Math.floor(Math.min(ay, by) - hw - 1));
      const yb = Math.min(clip.y1 - 1, Math.ceil(Math.max(ay, by) + hw + 1));
      for (let py = ya; py <= yb; py++) {
        for (let px = xa; px <= xb; px++) {
          const qx = px + 0.5 - ax, qy = py + 0.5 - ay;
          let t = len2 > 0 ? (qx * dx + qy * dy) / len2 : 0;
          t = t < 0 ? 0 : t > 1 ? 1 : t;
          const ex = qx - t * dx, ey = qy - t * dy;
          const d = Math.sqrt(ex * ex + ey * ey);
          let a = hw + 0.5 - d;
          if (a <= 0) continue;
          if (a > 1) a = 1;
          if (dash && !dashOn(dash, period, arc + t * len)) continue;
          const idx = (py - clip.y0) * cw + (px - clip.x0);
          if (a > cov[idx]) cov[idx] = a;
          touched = true;
        }
      }
      arc += len;
    }
    if (!touched) return;
    const alpha = opts.alpha ?? 1;
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const a = cov[y * cw + x];
        if (a > 0) this.blend(clip.x0 + x, clip.y0 + y, c, a * alpha);
      }
    }
  }

  /** An anti-aliased filled disc centred at (cx, cy) (pixel coordinates, centres at +0.5). */
  fillCircle(cx: number, cy: number, r: number, c: Rgb, clip?: Rect, alpha = 1): void {
    const cl = clipRect(clip, this.width, this.height);
    const xa = Math.max(cl.x0, Math.floor(cx - r - 1));
    const xb = Math.min(cl.x1 - 1, Math.ceil(cx + r + 1));
    const ya = Math.max(cl.y0, Math.floor(cy - r - 1));
    const yb = Math.min(cl.y1 - 1, Math.ceil(cy + r + 1));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const a = Math.min(1, r + 0.5 - d);
        if (a > 0) this.blend(x, y, c, a * alpha);
      }
    }
  }

  toImage(): PixelImage {
    return { width: this.width, height: this.height, channels: 3, data: this.data };
  }
}

function clipRect(clip: Rect | undefined, w: number, h: number): Rect {
  if (!clip) return { x0: 0, y0: 0, x1: w, y1: h };
  return {
    x0: Math.max(0, Math.floor(clip.x0)),
    y0: Math.max(0, Math.floor(clip.y0)),
    x1: Math.min(w, Math.ceil(clip.x1)),
    y1: Math.min(h, Math.ceil(clip.y1)),
  };
}

function dashOn(dash: readonly number[], period: number, s: number): boolean {
  let r = s % period;
  for (let i = 0; i < dash.length; i++) {
    if (r < dash[i]) return i % 2 === 0;
    r -= dash[i];
  }
  return true;
}
