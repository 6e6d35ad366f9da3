import { Tensor } from "../engine/index.js";
import { isStaged } from "./readback.js";

export type NonFinite = { name: string; what: "NaN" | "Inf"; index: number };

/** The first tensor holding a NaN or an infinity, and which (reads every value back: call at epoch ends, not per step). */
export function findNonFinite(tensors: readonly Tensor[]): NonFinite | null {
  for (let t = 0; t < tensors.length; t++) {
    const bad = firstNonFinite(tensors[t].toArray(), tensors[t].name ?? `param${t}`);
    if (bad) return bad;
  }
  return null;
}

/** The first NaN or infinity in `a` (v - v is NaN exactly for those). */
function firstNonFinite(a: ArrayLike<number>, name: string): NonFinite | null {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) return { name, what: v !== v ? "NaN" : "Inf", index: i };
  }
  return null;
}

/**
 * `findNonFinite` on any backend. On a GPU each tensor's non-finite values are counted on the
 * device and the counts come back as one small read; only a tensor with a bad value is then read
 * whole, to say which value it was.
 */
export async function findNonFiniteAsync(tensors: readonly Tensor[]): Promise<NonFinite | null> {
  if (tensors.length === 0) return null;
  const backend = tensors[0].backend;
  if (!isStaged(backend)) return findNonFinite(tensors);
  const counts = tensors.map((t) => new Tensor(backend.countNonFinite(t.data, t.size), [1], backend));
  const c = await Tensor.concat(counts, 0).read();
  for (let t = 0; t < tensors.length; t++) {
    if (c[t] === 0) continue;
    const bad = firstNonFinite(await tensors[t].read(), tensors[t].name ?? `param${t}`);
    if (bad) return bad;
  }
  return null;
}
