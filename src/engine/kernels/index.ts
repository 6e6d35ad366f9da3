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
function candidates(threads: number, skipped: string[]): Candidate[] {
  const list: Candidate[] = [];
  try {
    for (const isa of nativeIsas()) {
      list.push({ name: isa === "generic" ? "native-generic" : `native-${isa}`, make: (why) => createNativeKernels({ isa: isa as NativeIsa, threads, why }) });
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

let active: CpuKernels | null = null;

/**
 * Loads (once, synchronously, cached) the best available kernels: the native addon with the
 * best instruction set this CPU has, else relaxed-SIMD WebAssembly, else SIMD128, else plain
 * TypeScript. DL_KERNELS=native|wasm|<path name>|js forces a path (its best member for a family);
 * DL_THREADS sets the thread count.
 */
export function getCpuKernels(): CpuKernels {
  if (active) return active;
  const want = process.env.DL_KERNELS?.trim() || "";
  if (want && !(KERNEL_CHOICES as readonly string[]).includes(want)) {
    throw new UsageError(`DL_KERNELS='${want}' is not a kernel path.${suggestionSuffix(want, [...KERNEL_CHOICES])} Expected one of: ${KERNEL_CHOICES.join(", ")}`);
  }
  const threads = threadCount();
  const skipped: string[] = [];
  const list = candidates(threads, skipped);
  const best = list[0];
  if (want) {
    const pick = list.find((c) => c.name === want || c.name.startsWith(`${want}-`));
    if (pick) return (active = pick.make(`DL_KERNELS=${want}`));
    // Forced but unavailable: keep working on the best path, and say why in `why`.
    const reason = skipped.find((s) => s.includes(want)) ?? skipped[0] ?? "not available on this machine";
    return (active = best.make(`DL_KERNELS=${want} unavailable (${reason}); using ${best.name}`));
  }
  const because = best.name.startsWith("native")
    ? "native addon loaded; best instruction set this CPU supports"
    : skipped.length ? `${skipped[0]}` : "fastest path available";
  return (active = best.make(because));
}

let all: CpuKernels[] | null = null;

/** Every path available on this machine (for tests and the bench), each fully usable. */
export function availableKernels(): CpuKernels[] {
  if (all) return all;
  const threads = threadCount();
  return (all = candidates(threads, []).map((c) => c.make("listed by availableKernels()")));
}
