import { assertShape } from "../util/errors.js";

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Row-major (C-order) strides. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapeEq(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** numpy broadcasting: align trailing dims; each pair must be equal or contain a 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  if (shapeEq(a, b)) return a as number[];
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    assertShape(da === db || da === 1 || db === 1, () => `${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together (dimension ${i}: ${da} vs ${db})`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides for reading `shape` as if broadcast to `out` (0 where the dim is broadcast). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const st = stridesOf(shape);
  const r = new Array<number>(out.length).fill(0);
  const off = out.length - shape.length;
  for (let i = 0; i < shape.length; i++) r[i + off] = shape[i] === 1 && out[i + off] !== 1 ? 0 : st[i];
  return r;
}

/** Normalises axis arguments (negative allowed) to a sorted unique list; undefined means all axes. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === "number" ? [axes] : axes;
  const out: number[] = [];
  for (const a of list) {
    const ax = a < 0 ? a + rank : a;
    assertShape(Number.isInteger(ax) && ax >= 0 && ax < rank, () => `${op}: axis ${a} is out of range for a tensor of rank ${rank}`);
    if (!out.includes(ax)) out.push(ax);
  }
  return out.sort((x, y) => x - y);
}

/** The axes along which `from` was broadcast to reach `to` (for summing gradients back). */
export function reducedAxesForBroadcast(from: Shape, to: Shape): number[] {
  const axes: number[] = [];
  const off = to.length - from.length;
  for (let i = 0; i < to.length; i++) {
    if (i < off || (from[i - off] === 1 && to[i] !== 1)) axes.push(i);
  }
  return axes;
}
