/**
 * What every kernel starts with: the parameter block (binding 0, one 256-byte slot per dispatch)
 * and helpers for reading it, the NaN/Inf values WGSL cannot write as constants, and the flat
 * invocation index of a 1-D launch that may wrap into a second grid dimension.
 */
export const PARAM_WORDS = 64;

export const shaderPrelude = /* wgsl */ `
struct Params { v: array<vec4<u32>, ${PARAM_WORDS / 4}> }
@group(0) @binding(0) var<uniform> P: Params;
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(P.v[i / 4u][i % 4u]); }
fn pf(i: u32) -> f32 { return bitcast<f32>(P.v[i / 4u][i % 4u]); }
fn nan() -> f32 { return pf(${PARAM_WORDS - 2}u); }
fn inf() -> f32 { return pf(${PARAM_WORDS - 1}u); }
// Bit test instead of x != x: a driver may assume floats are never NaN and fold the comparison.
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn flat_id(wg: vec3<u32>, nwg: vec3<u32>, lid: u32, size: u32) -> u32 { return (wg.y * nwg.x + wg.x) * size + lid; }
`;

/** Workgroup size of the 1-D elementwise kernels. */
export const WG = 256;

/** The entry point line of a 1-D kernel over `count` items, with `i` the item index. */
export function entry1d(countExpr: string): string {
  return /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_id(wg, nwg, lid, ${WG}u);
  if (i >= ${countExpr}) { return; }`;
}

/** Caches a kernel generator's specs by argument, so a hot op does not rebuild its WGSL text. */
export function memo<A extends Array<string | boolean | number | object>, R>(f: (...a: A) => R): (...a: A) => R {
  const cache = new Map<string, R>();
  return (...a: A) => {
    const key = a.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join("|");
    let r = cache.get(key);
    if (r === undefined) cache.set(key, (r = f(...a)));
    return r;
  };
}
