import type { KernelSpec } from "../runtime.js";
import { entry1d } from "./prelude.js";

/**
 * Convolution lowering and pooling (NCHW), with the reference backend's layouts. Every backward
 * kernel gathers (one invocation per input element, summing the outputs whose window covers it,
 * in the order the reference adds them), so no atomics are needed and results are deterministic.
 * Words: 0 count, then N C H W kh kw sh sw ph pw oh ow at 1..12.
 */
const GEOM = /* wgsl */ `
fn gN() -> u32 { return pu(1u); }
fn gC() -> u32 { return pu(2u); }
fn gH() -> i32 { return pi(3u); }
fn gW() -> i32 { return pi(4u); }
fn gkh() -> i32 { return pi(5u); }
fn gkw() -> i32 { return pi(6u); }
fn gsh() -> i32 { return pi(7u); }
fn gsw() -> i32 { return pi(8u); }
fn gph() -> i32 { return pi(9u); }
fn gpw() -> i32 { return pi(10u); }
fn goh() -> i32 { return pi(11u); }
fn gow() -> i32 { return pi(12u); }
// The outputs along one axis whose window covers input position p: [lo, hi].
fn cover_lo(p: i32, pad: i32, k: i32, s: i32) -> i32 {
  let t = p + pad - k + 1;
  return max(0, select(t / s, (t + s - 1) / s, t > 0));
}
fn cover_hi(p: i32, pad: i32, s: i32, o: i32) -> i32 { return min(o - 1, (p + pad) / s); }
`;

/** cols [C*kh*kw, N*oh*ow]. */
export const im2colKernel: KernelSpec = {
  key: "im2col",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `${GEOM}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let oh = goh(); let ow = gow();
  let cols = gN() * u32(oh * ow);
  let row = i32(i / cols);
  let col = i32(i % cols);
  let xx = col % ow;
  let y = (col / ow) % oh;
  let b = col / (ow * oh);
  let j = row % gkw();
  let ki = (row / gkw()) % gkh();
  let c = row / (gkw() * gkh());
  let iy = y * gsh() - gph() + ki;
  let ix = xx * gsw() - gpw() + j;
  var v = 0.0;
  if (iy >= 0 && iy < gH() && ix >= 0 && ix < gW()) {
    v = X[((b * i32(gC()) + c) * gH() + iy) * gW() + ix];
  }
  Y[i] = v;
}`,
};

/** dx [N,C,H,W] from cols: each input pixel sums the column entries that copied it. */
export const col2imKernel: KernelSpec = {
  key: "col2im",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `${GEOM}
@group(0) @binding(1) var<storage, read> COLS: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let H = gH(); let W = gW(); let oh = goh(); let ow = gow();
  let ix = i32(i) % W;
  let iy = (i32(i) / W) % H;
  let c = (i32(i) / (W * H)) % i32(gC());
  let b = i32(i) / (W * H * i32(gC()));
  let cols = i32(gN()) * oh * ow;
  var s = 0.0;
  for (var ki = 0; ki < gkh(); ki++) {
    let ty = iy + gph() - ki;
    if (ty < 0 || ty % gsh() != 0) { continue; }
    let y = ty / gsh();
    if (y >= oh) { continue; }
    for (var j = 0; j < gkw(); j++) {
      let tx = ix + gpw() - j;
      if (tx < 0 || tx % gsw() != 0) { continue; }
      let xx = tx / gsw();
      if (xx >= ow) { continue; }
      s += COLS[((c * gkh() + ki) * gkw() + j) * cols + (b * oh + y) * ow + xx];
    }
  }
  Y[i] = s;
}`,
};

/** out [N,C,oh,ow] and the flat input index of each window's first maximum (-1 for an empty window). */
export const maxPoolKernel: KernelSpec = {
  key: "max_pool",
  inputs: 1,
  outputs: 2,
  code: /* wgsl */ `${GEOM}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> ARG: array<i32>;
${entry1d("pu(0u)")}
  let H = gH(); let W = gW(); let oh = goh(); let ow = gow();
  let xx = i32(i) % ow;
  let y = (i32(i) / ow) % oh;
  let p = i32(i) / (ow * oh);
  let xb = p * H * W;
  var best = -inf();
  var bi = -1;
  for (var ki = 0; ki < gkh(); ki++) {
    let iy = y * gsh() - gph() + ki;
    if (iy < 0 || iy >= H) { continue; }
    for (var j = 0; j < gkw(); j++) {
      let ix = xx * gsw() - gpw() + j;
      if (ix < 0 || ix >= W) { continue; }
      let v = X[xb + iy * W + ix];
      if (v > best || bi < 0) { best = v; bi = xb + iy * W + ix; }
    }
  }
  Y[i] = best;
  ARG[i] = bi;
}`,
};

/** dx: each input element sums gy over the windows covering it whose winner it was. */
export const maxPoolBackwardKernel: KernelSpec = {
  key: "max_pool_backward",
  inputs: 2,
  outputs: 1,
  code: /* wgsl */ `${GEOM}
@group(0) @binding(1) var<storage, read> GY: array<f32>;
@group(0) @binding(2) var<storage, read> ARG: array<i32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let H = gH(); let W = gW(); let oh = goh(); let ow = gow();
  let ix = i32(i) % W;
  let iy = (i32(i) / W) % H;
  let p = i32(i) / (W * H);
  var s = 0.0;
  for (var y = cover_lo(iy, gph(), gkh(), gsh()); y <= cover_hi(iy, gph(), gsh(), oh); y++) {
    for (var xx = cover_lo(ix, gpw(), gkw(), gsw()); xx <= cover_hi(ix, gpw(), gsw(), ow); xx++) {
      let o = (p * oh + y) * ow + xx;
      if (ARG[o] == i32(i)) { s += GY[o]; }
    }
  }
  Y[i] = s;
}`,
};

/** Mean over the window; padding counts as zeros (divides by kh*kw), as the reference does. */
export const avgPoolKernel: KernelSpec = {
  key: "avg_pool",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `${GEOM}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let H = gH(); let W = gW(); let oh = goh(); let ow = gow();
  let xx = i32(i) % ow;
  let y = (i32(i) / ow) % oh;
  let p = i32(i) / (ow * oh);
  let xb = p * H * W;
  var s = 0.0;
  for (var ki = 0; ki < gkh(); ki++) {
    let iy = y * gsh() - gph() + ki;
    if (iy < 0 || iy >= H) { continue; }
    for (var j = 0; j < gkw(); j++) {
      let ix = xx * gsw() - gpw() + j;
      if (ix >= 0 && ix < W) { s += X[xb + iy * W + ix]; }
    }
  }
  Y[i] = s / f32(gkh() * gkw());
}`,
};

export const avgPoolBackwardKernel: KernelSpec = {
  key: "avg_pool_backward",
  inputs: 1,
  outputs: 1,
  code: /* wgsl */ `${GEOM}
@group(0) @binding(1) var<storage, read> GY: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d("pu(0u)")}
  let H = gH(); let W = gW(); let oh = goh(); let ow = gow();
  let ix = i32(i) % W;
  let iy = (i32(i) / W) % H;
  let p = i32(i) / (W * H);
  let area = f32(gkh() * gkw());
  var s = 0.0;
  for (var y = cover_lo(iy, gph(), gkh(), gsh()); y <= cover_hi(iy, gph(), gsh(), oh); y++) {
    for (var xx = cover_lo(ix, gpw(), gkw(), gsw()); xx <= cover_hi(ix, gpw(), gsw(), ow); xx++) {
      s += GY[(p * oh + y) * ow + xx] / area;
    }
  }
  Y[i] = s;
}`,
};
