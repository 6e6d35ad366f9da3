/**
 * Series colours: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), which
 * stays distinguishable under the common colour-vision deficiencies. Its yellow is left out: it
 * has too little contrast on white. Past seven series the colours repeat with a different dash.
 */
export const PALETTE: readonly string[] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

/** Dash patterns (pixels on, off): solid, dashed, dotted, dash-dot. */
export const DASHES: readonly (readonly number[])[] = [[], [7, 4], [2, 3], [8, 3, 2, 3]];

/**
 * Style of series `i` of model `model`: colours run over series; with several models each model
 * gets its own dash, so a channel's curves from two runs differ in colour and in line style.
 */
export function seriesStyle(i: number, model: number): { color: string; dash: readonly number[] } {
  const color = PALETTE[i % PALETTE.length];
  const dash = DASHES[(model + Math.floor(i / PALETTE.length)) % DASHES.length];
  return { color, dash };
}
