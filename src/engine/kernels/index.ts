import { availableParallelism } from "node:os";
import { UsageError } from "../../util/errors.js";
import { suggestionSuffix } from "../../util/suggest.js";
import { createJsKernels } from "./js-kernels.js";
import { createNativeKernels, nativeIsas, type NativeIsa } from "./native-kernels.js";
import type { CpuKernels } from "./types.js";
import { createWasmKernels, loadWasmModule, type WasmVariant } from "./wasm-kernels.js";

export type { ActKind, CpuKernels, KernelName } from "./types.js";
export { createJsKernels } from "./js-kernels.js";
export { createNativeKernels } from "./native-kernels.js";
export { createWasmKernels } from "./wasm-kernels.js";

/** Values DL_KERNELS accepts: a path name, or a family that takes its best member. */
export const KERNEL_CHOICES = [
  "native", "native-avx512", "native-avx2", "native-generic", "wasm", "wasm-relaxed", "wasm-simd128", "js",
] as const;

/** DL_THREADS, else every core this process may use. */
export function threadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DL_THREADS;
  if (raw === undefined || raw.trim() === "") return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new UsageError(`DL_THREADS must be a whole number from 1 to 256, got '${raw}'`);
  }
  return n;
}

type Candidate = { name: string; make: (why: string) => CpuKernels };

/** Every path this machine might run, fastest first; `skipped` collects why others are absent. */
function candidates(threads: number, env: NodeJS.ProcessEnv, skipped: string[]): Candidate[] {
  const list: Candidate[] = [];
  try {
    for (const isa of nativeIsas(env.DL_NATIVE_ADDON || undefined)) {
      const addonPath = env.DL_NATIVE_ADDON || undefined;
      list.push({
        name: isa === "generic" ? "native-generic" : `native-${isa}`,
        make: (why) => createNativeKernels({ isa, threads, why, addonPath }),
      });
    }
  } catch (err) {
    skipped.push((err as Error).message);
  }
  for (const variant of ["relaxed", "simd128"] as WasmVariant[]) {
    try {
      loadWasmModule(variant);
      list.push({ name: `wasm-${variant}`, make: (why) => createWasmKernels({ variant, threads, why }) });
    } catch (err) {
      skipped.push(`wasm-${variant}: ${(err as Error).message}`);
    }
  }
  list.push({ name: "js", make: (why) => createJsKernels(why) });
  return list;
}

/**
 * Chooses kernels for the given environment (not cached; getCpuKernels caches): the native addon
 * with the best instruction set this CPU has, else relaxed-SIMD WebAssembly, else SIMD128, else
 * plain TypeScript. DL_KERNELS=native|wasm|<path name>|js forces a path (a family takes its best
 * member); a forced path that is unavailable falls back to the best one and says why in `why`.
 * DL_THREADS sets the thread count; DL_NATIVE_ADDON another addon file (for tests).
 */
export function selectKernels(env: NodeJS.ProcessEnv = process.env): CpuKernels {
  const want = env.DL_KERNELS?.trim() || "";
  if (want && !(KERNEL_CHOICES as readonly string[]).includes(want)) {
    throw new UsageError(`DL_KERNELS='${want}' is not a kernel path.${suggestionSuffix(want, [...KERNEL_CHOICES])} Expected one of: ${KERNEL_CHOICES.join(", ")}`);
  }
  const threads = threadCount(env);
  const skipped: string[] = [];
  const list = candidates(threads, env, skipped);
  const best = list[0];
  if (want) {
    const pick = list.find((c) => c.name === want || c.name.startsWith(`${want}-`));
    if (pick) return pick.make(`DL_KERNELS=${want}`);
    const family = want.split("-")[0];
    const reason = skipped.find((s) => s.startsWith(want) || s.includes(family)) ?? `this CPU cannot run ${want}`;
    return best.make(`DL_KERNELS=${want} unavailable (${reason}); using ${best.name}`);
  }
  if (best.name.startsWith("native")) return best.make("native addon loaded; the best instruction set this CPU supports");
  return best.make(skipped.length ? `${skipped.join("; ")}; using ${best.name}` : `using ${best.name}`);
}

let active: CpuKernels | null = null;

/** Loads (once, synchronously, cached) the best available kernels; see selectKernels. */
export function getCpuKernels(): CpuKernels {
  return (active ??= selectKernels(process.env));
}

let all: CpuKernels[] | null = null;

/** Every path available on this machine (for tests and the bench), each fully usable. */
export function availableKernels(): CpuKernels[] {
  return (all ??= candidates(threadCount(), process.env, []).map((c) => c.make("listed by availableKernels()")));
}
