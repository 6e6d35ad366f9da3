/**
 * Axis ticks at round values: steps of 1, 2 or 5 times a power of ten, so labels read 0, 0.2, 0.4
 * or 0, 500k, 1M, never 0.1739. Log axes tick at powers of ten (and at 2 and 5 times them when
 * the axis is short enough for three ticks a decade).
 */
export interface Tick {
  value: number;
  label: string;
}

/** The 1-2-5 step nearest to `span / target`, as [step, power of ten]. */
export function niceStep(span: number, target: number): { step: number; exp: number } {
  const raw = span / Math.max(1, target);
  let exp = Math.floor(Math.log10(raw));
  const f = raw / 10 ** exp;
  let m: number;
  if (f < 1.5) m = 1;
  else if (f < 3.5) m = 2;
  else if (f < 7.5) m = 5;
  else {
    m = 1;
    exp += 1;
  }
  return { step: m * 10 ** exp, exp };
}

/** Round ticks inside [lo, hi], about `target` of them; `integer` keeps steps >= 1 (counts such as epochs). */
export function linearTicks(lo: number, hi: number, target: number, integer = false): Tick[] {
  if (!(hi > lo)) return [{ value: lo, label: formatNumber(lo, 0) }];
  let { step, exp } = niceStep(hi - lo, target);
  if (integer && step < 1) {
    step = 1;
    exp = 0;
  }
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const values: number[] = [];
  // Multiplying an integer by the step (not adding steps) keeps 0.1 * 3 from drifting to 0.30000000000000004 in labels.
  for (let k = first; k <= last; k++) values.push(k * step);
  return labelLinear(values, exp);
}

/** Labels for ticks spaced 10^exp apart (times 1, 2 or 5): as many decimals as the step needs, k/M/G for large values. */
function labelLinear(values: number[], exp: number): Tick[] {
  const biggest = Math.max(...values.map(Math.abs));
  if (biggest >= 1e4) {
    const unitExp = biggest >= 1e9 ? 9 : biggest >= 1e6 ? 6 : 3;
    const suffix = unitExp === 9 ? "G" : unitExp === 6 ? "M" : "k";
    return values.map((v) => ({ value: v, label: v === 0 ? "0" : formatNumber(v / 10 ** unitExp, Math.max(0, unitExp - exp)) + suffix }));
  }
  if (biggest > 0 && biggest < 1e-3) {
    return values.map((v) => ({ value: v, label: v === 0 ? "0" : scientific(v) }));
  }
  return values.map((v) => ({ value: v, label: formatNumber(v, Math.max(0, -exp)) }));
}

/** Ticks for a log10 axis over [lo, hi] (both > 0). */
export function logTicks(lo: number, hi: number, target: number): Tick[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const decades = Math.log10(hi) - Math.log10(lo);
  // Intermediate 2x and 5x ticks while there is room for three per decade.
  const mults = decades * 3 <= target * 1.5 ? [1, 2, 5] : [1];
  let every = 1;
  while ((b - a) / every > target) every++; // many decades: label every 2nd, 3rd... power
  const out: Tick[] = [];
  for (let e = a; e <= b; e++) {
    if (mults.length === 1 && (e - a) % every !== 0) continue;
    for (const m of mults) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push({ value: v, label: logLabel(m, e) });
    }
  }
  // Less than a decade and no round value inside: fall back to linear ticks, which still read well.
  return out.length >= 2 ? out : linearTicks(lo, hi, Math.min(target, 5)).filter((t) => t.value > 0);
}

function logLabel(m: number, e: number): string {
  const v = m * 10 ** e;
  if (e >= -3 && e < 4) return formatNumber(v, Math.max(0, -e));
  if (e >= 4 && e < 12) return labelLinear([v], e)[0].label;
  return `${m}e${e}`;
}

/** `v` with `decimals` digits after the point, without a "-0". */
export function formatNumber(v: number, decimals: number): string {
  const s = v.toFixed(Math.min(20, decimals));
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

function scientific(v: number): string {
  const e = Math.floor(Math.log10(Math.abs(v)) + 1e-9);
  const m = v / 10 ** e;
  return `${Number(m.toPrecision(3))}e${e}`;
}

/** A compact label for a value (legend, terminal): 4 significant digits, exponent form when tiny or huge. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}
