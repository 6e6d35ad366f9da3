import type { Conv2dGeometry } from "./backend.js";
import { reducedAxesForBroadcast, shapeEq, type Shape } from "./shape.js";
import { Tensor, reduceShape, type GraphNode, type Prim } from "./tensor.js";

/**
 * One gradient rule per primitive: given the upstream gradient `g` and the node's output, return
 * the gradient for each input (null where the input needs none). Rules are written with tensor
 * ops, so they run on whatever backend holds the tensors. `satisfies Record<Prim, GradFn>` makes a
 * primitive without a rule a compile error.
 */
export type GradFn = (g: Tensor, out: Tensor, node: GraphNode) => (Tensor | null)[];

/** Sums `g` over the axes along which an input of `shape` was broadcast. */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (shapeEq(g.shape, shape)) return g;
  const axes = reducedAxesForBroadcast(shape, g.shape);
  return g.sum(axes).reshape(shape);
}

const x0 = (n: GraphNode) => n.inputs[0];
const x1 = (n: GraphNode) => n.inputs[1];
const none = () => [null];

function reduceMinMaxGrad(g: Tensor, out: Tensor, node: GraphNode): (Tensor | null)[] {
  const x = x0(node);
  const { axes, keepdims } = node.attrs as { axes: number[]; keepdims: boolean };
  const kept = reduceShape(x.shape, axes, true);
  const o = keepdims ? out : out.reshape(kept);
  const gk = keepdims ? g : g.reshape(kept);
  // Ties share the gradient equally, so the rule is a true subgradient whatever the data.
  const mask = x.eq(o.detach());
  const count = mask.sum(axes, true);
  return [mask.div(count).mul(gk)];
}

export const GRADS = {
  neg: (g) => [g.neg()],
  exp: (g, out) => [g.mul(out)],
  log: (g, _o, n) => [g.div(x0(n))],
  log1p: (g, _o, n) => [g.div(x0(n).add(1))],
  sqrt: (g, out) => [g.mul(0.5).div(out)],
  square: (g, _o, n) => [g.mul(x0(n)).mul(2)],
  abs: (g, _o, n) => [g.mul(x0(n).sign())],
  tanh: (g, out) => [g.mul(out.square().rsub(1))],
  sigmoid: (g, out) => [g.mul(out).mul(out.rsub(1))],
  softplus: (g, _o, n) => [g.mul(x0(n).sigmoid())],
  // NOTE: relu's gradient at exactly 0 is 0 (the mask is x > 0), matching Theano's convention.
  relu: (g, _o, n) => [g.mul(x0(n).step())],
  sign: none,
  step: none,

  add: (g, _o, n) => [unbroadcast(g, x0(n).shape), unbroadcast(g, x1(n).shape)],
  sub: (g, _o, n) => [unbroadcast(g, x0(n).shape), unbroadcast(g.neg(), x1(n).shape)],
  mul: (g, _o, n) => [
    x0(n).requiresGrad ? unbroadcast(g.mul(x1(n)), x0(n).shape) : null,
    x1(n).requiresGrad ? unbroadcast(g.mul(x0(n)), x1(n).shape) : null,
  ],
  div: (g, out, n) => [
    x0(n).requiresGrad ? unbroadcast(g.div(x1(n)), x0(n).shape) : null,
    x1(n).requiresGrad ? unbroadcast(g.mul(out).div(x1(n)).neg(), x1(n).shape) : null,
  ],
  pow: (g, out, n) => {
    const [a, b] = n.inputs;
    return [
      a.requiresGrad ? unbroadcast(g.mul(b).mul(a.pow(b.sub(1))), a.shape) : null,
      b.requiresGrad ? unbroadcast(g.mul(out).mul(a.log()), b.shape) : null,
    ];
  },
  // Ties send the gradient to the first operand.
  maximum: (g, _o, n) => {
    const m = x0(n).ge(x1(n));
    return [unbroadcast(g.mul(m), x0(n).shape), unbroadcast(g.mul(m.rsub(1)), x1(n).shape)];
  },
  minimum: (g, _o, n) => {
    const m = x0(n).le(x1(n));
    return [unbroadcast(g.mul(m), x0(n).shape), unbroadcast(g.mul(m.rsub(1)), x1(n).shape)];
  },
  compare: (_g, _o, n) => n.inputs.map(() => null),
  where: (g, _o, n) => {
    const cond = n.attrs.cond as Tensor;
    const zero = Tensor.scalar(0, g.backend);
    return [unbroadcast(g.where(cond, zero), x0(n).shape), unbroadcast(zero.where(cond, g), x1(n).shape)];
  },

  reduce_sum: (g, _o, n) => {
    const x = x0(n);
    const { axes, keepdims } = n.attrs as { axes: number[]; keepdims: boolean };
    const gk = keepdims ? g : g.reshape(reduceShape(x.shape, axes, true));
    return [gk.expand(x.shape)];
  },
  reduce_max: reduceMinMaxGrad,
  reduce_min: reduceMinMaxGrad,
  log_softmax: (g, out, n) => {
    const { rows, cols } = n.attrs as { rows: number; cols: number };
    return [new Tensor(g.backend.logSoftmaxBackward(out.data, g.data, rows, cols), out.shape, g.backend)];
  },

  matmul: (g, _o, n) => {
    const [a, b] = n.inputs;
    const { transA, transB } = n.attrs as { transA: boolean; transB: boolean };
    // C = op(A) op(B):  dop(A) = G op(B)^T,  dop(B) = op(A)^T G; transposed operands take the transpose back.
    const da = a.requiresGrad ? (transA ? b.matmul(g, transB, true) : g.matmul(b, false, !transB)) : null;
    const db = b.requiresGrad ? (transB ? g.matmul(a, true, transA) : a.matmul(g, !transA, false)) : null;
    return [da, db];
  },

  reshape: (g, _o, n) => [g.reshape(x0(n).shape)],
  expand: (g, _o, n) => [unbroadcast(g, x0(n).shape)],
  permute: (g, _o, n) => {
    const perm = n.attrs.perm as number[];
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [g.permute(inv)];
  },
  slice: (g, _o, n) => {
    const x = x0(n);
    const starts = n.attrs.starts as number[];
    return [g.pad(starts, x.shape.map((d, i) => d - starts[i] - g.shape[i]))];
  },
  pad: (g, _o, n) => {
    const x = x0(n);
    const starts = n.attrs.starts as number[];
    return [g.slice(starts, starts.map((s, i) => s + x.shape[i]))];
  },
  concat: (g, _o, n) => {
    const { axis, offsets } = n.attrs as { axis: number; offsets: number[] };
    return n.inputs.map((x, i) => {
      const starts = g.shape.map((_, d) => (d === axis ? offsets[i] : 0));
      const ends = g.shape.map((dim, d) => (d === axis ? offsets[i] + x.shape[axis] : dim));
      return g.slice(starts, ends);
    });
  },
  gather: (g, _o, n) => {
    const { axis, indices } = n.attrs as { axis: number; indices: Int32Array };
    return [g.scatterAdd(indices, axis, x0(n).shape)];
  },
  scatter_add: (g, _o, n) => {
    const { axis, indices } = n.attrs as { axis: number; indices: Int32Array };
    return [g.gather(indices, axis)];
  },
  im2col: (g, _o, n) => {
    const geo = n.attrs.g as Conv2dGeometry;
    return [new Tensor(g.backend.col2im(g.data, geo), x0(n).shape, g.backend)];
  },
  col2im: (g, _o, n) => {
    const geo = n.attrs.g as Conv2dGeometry;
    return [new Tensor(g.backend.im2col(g.data, geo), x0(n).shape, g.backend)];
  },
  max_pool2d: (g, _o, n) => {
    const x = x0(n);
    const argmax = n.attrs.argmax as Int32Array;
    return [new Tensor(g.backend.maxPool2dBackward(g.data, argmax, x.size), x.shape, g.backend)];
  },
  avg_pool2d: (g, _o, n) => {
    const geo = n.attrs.g as Conv2dGeometry;
    return [new Tensor(g.backend.avgPool2dBackward(g.data, geo), x0(n).shape, g.backend)];
  },
} satisfies Record<Prim, GradFn>;
