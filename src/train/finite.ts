import type { Tensor } from "../engine/index.js";

/** The first tensor holding a NaN or an infinity, and which (reads every value back: call at epoch ends, not per step). */
export function findNonFinite(tensors: readonly Tensor[]): { name: string; what: "NaN" | "Inf"; index: number } | null {
  for (let t = 0; t < tensors.length; t++) {
    const a = tensors[t].toArray();
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v - v !== 0) return { name: tensors[t].name ?? `param${t}`, what: v !== v ? "NaN" : "Inf", index: i };
    }
  }
  return null;
}
