import { bold16, sans12, sans14, type PackedFont } from "./font-data.js";

/**
 * The bitmap fonts dl's plots are drawn with: anti-aliased DejaVu Sans glyphs, rasterised once by
 * scripts/make-font.py and embedded as data (font-data.ts), so a PNG plot needs no system fonts,
 * no native library and looks the same on every machine. SVG plots use the same metrics to lay
 * out text and name DejaVu Sans first in their font list.
 */
export interface Glyph {
  advance: number;
  /** Offset of the bitmap's left edge from the pen position. */
  left: number;
  /** Offset of the bitmap's top edge from the baseline (negative: above it). */
  top: number;
  width: number;
  height: number;
  /** 8-bit coverage, row-major, width x height. */
  alpha: Uint8Array;
}

export interface Font {
  readonly name: FontName;
  readonly size: number;
  readonly ascent: number;
  readonly descent: number;
  /** Distance between baselines of consecutive lines. */
  readonly lineHeight: number;
  readonly bold: boolean;
  glyph(codePoint: number): Glyph;
}

export type FontName = "sans12" | "sans14" | "bold16";

const PACKED: Record<FontName, PackedFont> = { sans12, sans14, bold16 };
const cache = new Map<FontName, Font>();

/** The font `name`, decoded on first use. */
export function getFont(name: FontName): Font {
  let f = cache.get(name);
  if (!f) {
    f = decode(name, PACKED[name]);
    cache.set(name, f);
  }
  return f;
}

function decode(name: FontName, p: PackedFont): Font {
  const bytes = Buffer.from(p.coverage, "base64");
  const glyphs = new Map<number, Glyph>();
  for (const [cp, advance, left, top, width, height, offset] of p.glyphs) {
    glyphs.set(cp, { advance, left, top, width, height, alpha: new Uint8Array(bytes.subarray(offset, offset + width * height)) });
  }
  // Characters the font lacks are drawn as '?', so a label never silently loses a letter's space.
  const fallback = glyphs.get(63)!;
  return {
    name,
    size: p.size,
    ascent: p.ascent,
    descent: p.descent,
    lineHeight: p.ascent + p.descent,
    bold: name.startsWith("bold"),
    glyph: (cp) => glyphs.get(cp) ?? fallback,
  };
}

/** Width in pixels of `text` set on one line in `font`. */
export function measureText(font: Font, text: string): number {
  let w = 0;
  for (const ch of text) w += font.glyph(ch.codePointAt(0)!).advance;
  return w;
}

/** Shortens `text` with a trailing ellipsis so that it fits in `maxWidth` pixels. */
export function fitText(font: Font, text: string, maxWidth: number): string {
  if (measureText(font, text) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 1 && measureText(font, chars.join("") + "…") > maxWidth) chars.pop();
  return chars.join("") + "…";
}
