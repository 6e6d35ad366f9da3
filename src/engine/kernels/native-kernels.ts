import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { checkActBackward, checkBiasAct, checkConv, checkSgemm } from "./check.js";
import { ACT_CODE, type CpuKernels, type ElementwiseKernels } from "./types.js";

/** Instruction sets of the addon's GEMM (DL_ISA_* in csrc/dl_kernels.h). */
export type NativeIsa = "generic" | "avx2" | "avx512";
export const ISA_CODE: Readonly<Record<NativeIsa, number>> = { generic: 0, avx2: 1, avx512: 2 };

interface Addon {
  sgemm(isa: number, ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number,
        b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number, nparts: number): void;
  im2col(x: Float32Array, N: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, out: Float32Array): void;
  col2im(cols: Float32Array, N: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dx: Float32Array): void;
  biasAct(act: number, x: Float32Array, bias: Float32Array | null, m: number, n: number, out: Float32Array): void;
  actBackward(act: number, y: Float32Array, gy: Float32Array, gx: Float32Array, len: number): void;
  isaBest(): number;
  /** Elementwise kernels (csrc/dl_elementwise.c); absent from an addon built before they existed. */
  ewBinary?(op: number, mode: number, a: Float32Array, b: Float32Array, out: Float32Array, rows: number, d: number): void;
  ewUnary?(op: number, x: Float32Array, out: Float32Array, n: number): void;
  ewWhere?(c: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array, n: number): void;
  ewReduce?(op: number, x: Float32Array, out: Float32Array, outer: number, red: number, inner: number): void;
  ewAxpy?(y: Float32Array, x: Float32Array, alpha: number, n: number): void;
  ewMomentum?(p: Float32Array, v: Float32Array, g: Float32Array, n: number, m: number, lr: number, nesterov: boolean): void;
  /** Tests: run the baseline (SSE2) build of the elementwise kernels even on an AVX2 CPU. */
  ewForceBase?(on: boolean): void;
}

/**
 * The addon's elementwise kernels, bound directly: the engine calls them on every small op, so no
 * checking wrapper sits in between (the C side checks lengths; the backend passes valid shapes).
 */
function nativeElementwise(lib: Addon): ElementwiseKernels | undefined {
  const { ewBinary, ewUnary, ewWhere, ewReduce, ewAxpy, ewMomentum } = lib;
  if (!ewBinary || !ewUnary || !ewWhere || !ewReduce || !ewAxpy || !ewMomentum) return undefined;
  return { binary: ewBinary, unary: ewUnary, where: ewWhere, reduce: ewReduce, axpy: ewAxpy, momentum: ewMomentum };
}

/** Where `npm install` builds the addon (scripts/build-native.cjs). */
export const ADDON_PATH = fileURLToPath(new URL("../../../native/build/Release/dl_native.node", import.meta.url));

const loaded = new Map<string, Addon | Error>();

/** Loads the addon (once per path); returns it, or throws an Error saying why it is unavailable. */
export function loadAddon(path: string = ADDON_PATH): Addon {
  let hit = loaded.get(path);
  if (!hit) {
    if (!existsSync(path)) {
      hit = new Error(path === ADDON_PATH
        ? "native addon not built (no C compiler at npm install, or DL_SKIP_NATIVE=1; `node scripts/build-native.cjs --strict` builds it)"
        : `native addon ${path} not found`);
    } else {
      try {
        const mod = createRequire(import.meta.url)(path) as Partial<Addon>;
        const missing = (["sgemm", "im2col", "col2im", "biasAct", "actBackward", "isaBest"] as const).filter((f) => typeof mod[f] !== "function");
        hit = missing.length ? new Error(`native addon failed to load: ${path} lacks ${missing.join(", ")} (not the dl kernels addon?)`) : (mod as Addon);
      } catch (err) {
        hit = new Error(`native addon failed to load: ${(err as Error).message.split("\n")[0]}`);
      }
    }
    loaded.set(path, hit);
  }
  if (hit instanceof Error) throw hit;
  return hit;
}

/** The instruction sets this CPU runs, best first (throws when the addon is unavailable). */
export function nativeIsas(path?: string): NativeIsa[] {
  const best = loadAddon(path).isaBest();
  return (["avx512", "avx2", "generic"] as const).filter((isa) => ISA_CODE[isa] <= best);
}

export interface NativeKernelOptions {
  isa: NativeIsa;
  /** Threads for large GEMMs, the calling thread included (default 1). */
  threads?: number;
  /** 2*m*n*k from which a GEMM is split over the threads (default NATIVE_THREAD_MIN_FLOPS). */
  threadMinFlops?: number;
  why?: string;
  /** The addon file (default: where `npm install` builds it). */
  addonPath?: string;
}

/** Smaller GEMMs run on the calling thread: waking a pool thread costs several µs. */
export const NATIVE_THREAD_MIN_FLOPS = 2e6;

/** Kernels of the native addon: they work in place on the caller's arrays. */
export function createNativeKernels(opts: NativeKernelOptions): CpuKernels {
  const lib = loadAddon(opts.addonPath);
  const isa = ISA_CODE[opts.isa];
  if (isa > lib.isaBest()) throw new Error(`this CPU cannot run the native ${opts.isa} kernels`);
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const minFlops = opts.threadMinFlops ?? NATIVE_THREAD_MIN_FLOPS;
  const name = opts.isa === "generic" ? "native-generic" : `native-${opts.isa}`;
  return {
    name,
    elementwise: nativeElementwise(lib),
    threads,
    why: opts.why ?? `native addon, ${opts.isa} GEMM`,
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
      const parts = threads > 1 && 2 * m * n * k >= minFlops ? threads : 1;
      lib.sgemm(isa, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parts);
    },
    im2col(x, N, C, H, W, kh, kw, sh, sw, ph, pw, out) {
      checkConv("im2col", N, C, H, W, kh, kw, sh, sw, ph, pw, x, out);
      lib.im2col(x, N, C, H, W, kh, kw, sh, sw, ph, pw, out);
    },
    col2im(cols, N, C, H, W, kh, kw, sh, sw, ph, pw, dx) {
      checkConv("col2im", N, C, H, W, kh, kw, sh, sw, ph, pw, dx, cols);
      lib.col2im(cols, N, C, H, W, kh, kw, sh, sw, ph, pw, dx);
    },
    biasAct(act, x, bias, m, n, out) {
      checkBiasAct(act, x, bias, m, n, out);
      lib.biasAct(ACT_CODE[act], x, bias, m, n, out);
    },
    actBackward(act, y, gy, gx, len) {
      checkActBackward(act, y, gy, gx, len);
      lib.actBackward(ACT_CODE[act], y, gy, gx, len);
    },
  };
}
