import { engineState } from "./context.js";
import { GRADS, type GradFn } from "./grads.js";
import { Tensor } from "./tensor.js";
import { assertShape } from "../util/errors.js";

/**
 * Reverse-mode differentiation. The graph is ordered with an explicit stack (a recursive walk
 * would overflow on long graphs such as unrolled Gibbs chains), then gradients flow from the root
 * in reverse topological order, accumulating with `+` wherever a value was used more than once.
 */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order; // children before parents
}

/**
 * Gradients of the scalar `root` with respect to each of `wrt` (zeros where `wrt` does not
 * influence `root`). Nothing is stored on the tensors.
 */
export function gradients(root: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  const grads = propagate(root, seed, new Set(wrt));
  return wrt.map((w) => grads.get(w) ?? Tensor.zeros(w.shape, w.backend));
}

function propagate(root: Tensor, seed?: Tensor, keep?: ReadonlySet<Tensor>): Map<Tensor, Tensor> {
  assertShape(seed !== undefined || root.size === 1,
    () => `backward: the root has shape [${root.shape.join(", ")}]; pass a seed gradient or reduce it to a scalar first`);
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, seed ?? Tensor.full(root.shape, 1, root.backend));
  const order = topoOrder(root);
  const prev = engineState.gradEnabled;
  engineState.gradEnabled = false;
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const node = t.node;
      const g = grads.get(t);
      if (!node || !g) continue;
      const rule = (GRADS as Record<string, GradFn>)[node.op];
      const inGrads = rule(g, t, node);
      for (let j = 0; j < node.inputs.length; j++) {
        const x = node.inputs[j];
        const gx = inGrads[j];
        if (!gx || !x.requiresGrad) continue;
        const have = grads.get(x);
        grads.set(x, have ? have.add(gx) : gx);
      }
      // Interior gradients are no longer needed once passed on; free them early.
      if (t !== root && t.node && !keep?.has(t)) grads.delete(t);
    }
  } finally {
    engineState.gradEnabled = prev;
  }
  return grads;
}

/** Accumulates d(root)/d(leaf) into `leaf.grad` for every leaf that requires a gradient. */
export function backward(root: Tensor, seed?: Tensor): void {
  const grads = propagate(root, seed);
  for (const [t, g] of grads) {
    if (t.node !== null) continue;
    t.grad = t.grad ? t.grad.add(g) : g;
  }
}
