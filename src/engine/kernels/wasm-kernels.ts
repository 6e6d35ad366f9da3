import { readFileSync } from "node:fs";
import v8 from "node:v8";
import { checkActBackward, checkBiasAct, checkConv, checkSgemm, convOut, span } from "./check.js";
import { ACT_CODE, type CpuKernels } from "./types.js";
import { WasmPool } from "./wasm-pool.js";

/** The two builds of csrc/dl_kernels.c in wasm/ (scripts/build-wasm.sh). */
export type WasmVariant = "relaxed" | "simd128";

const WASM_DIR = new URL("../../../wasm/", import.meta.url);
const PAGE = 65536;
const MAX_PAGES = 32768; // must equal the build's --max-memory (2 GiB)

interface KernelExports {
  dl_sgemm(isa: number, ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
           b: number, ldb: number, beta: number, c: number, ldc: number, scratch: number, part: number, nparts: number): void;
  dl_sgemm_task(args: number, part: number): void;
  dl_im2col(x: number, N: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, out: number): void;
  dl_col2im(cols: number, N: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dx: number): void;
  dl_bias_act(act: number, x: number, bias: number, m: number, n: number, out: number): void;
  dl_act_backward(act: number, y: number, gy: number, gx: number, len: number): void;
  dl_scratch_floats(): number;
  __heap_base: WebAssembly.Global;
}

// dl_sgemm_task's argument slots (DL_TASK_* in csrc/dl_kernels.h).
const T = { TA: 0, TB: 1, M: 2, N: 3, K: 4, ALPHA: 5, A: 6, LDA: 7, B: 8, LDB: 9, BETA: 10, C: 11, LDC: 12,
  SCRATCH: 13, SCRATCH_STRIDE: 14, NPARTS: 15, ISA: 16, SLOTS: 17 } as const;

const modules = new Map<string, WebAssembly.Module>();

/**
 * Compiles (once) the given build. Relaxed SIMD is behind a V8 flag on Node 20; the flag is set
 * only when the plain validation fails, and then `WebAssembly.validate` has the last word.
 * With `shared: false`, the same code importing a private (non-shared) memory: see
 * unsharedMemoryImport. Throws an Error saying why when this runtime cannot run it.
 */
export function loadWasmModule(variant: WasmVariant, shared = true): WebAssembly.Module {
  const key = `${variant}:${shared}`;
  const cached = modules.get(key);
  if (cached) return cached;
  const file = new URL(`dl-kernels-${variant}.wasm`, WASM_DIR);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch {
    throw new Error(`${file.pathname} is missing (run \`npm run build:wasm\`)`);
  }
  if (!shared) {
    const patched = unsharedMemoryImport(bytes);
    if (!patched) throw new Error(`${file.pathname} does not import a shared memory`);
    bytes = patched;
  }
  let valid = WebAssembly.validate(bytes);
  if (!valid && variant === "relaxed") {
    v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
    valid = WebAssembly.validate(bytes);
  }
  if (!valid) throw new Error(`this Node's WebAssembly does not accept the ${variant === "relaxed" ? "relaxed-SIMD" : "SIMD128"} build`);
  const mod = new WebAssembly.Module(bytes);
  modules.set(key, mod);
  return mod;
}

/** Reads an unsigned LEB128 at `pos`: [value, next position]. */
function leb(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0, shift = 0, b: number;
  do {
    if (pos >= bytes.length) throw new RangeError("truncated LEB128");
    b = bytes[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [value, pos];
}

/**
 * A copy of a module's bytes whose imported memory is not shared (the limits' "shared" flag,
 * bit 1, cleared in the import section), or null when it imports no shared memory. The build
 * has no data segments and no start function, and atomic instructions (there are none) would
 * stay valid, so the code runs unchanged over a private memory. Why: JavaScript writes into a
 * shared buffer go through V8's relaxed-atomic copy, about 3x slower than into a private one
 * (a 300 KB operand: ~28 against ~10 µs, as long as the 5 x 192 x 400 product itself), so the
 * work the calling thread does alone is done in a private memory.
 */
export function unsharedMemoryImport(bytes: Uint8Array): Uint8Array<ArrayBuffer> | null {
  let pos = 8; // magic + version
  while (pos < bytes.length) {
    const id = bytes[pos]!;
    let size: number;
    [size, pos] = leb(bytes, pos + 1);
    const end = pos + size;
    if (id === 2) { // import section
      let count: number, p = pos;
      [count, p] = leb(bytes, p);
      for (let i = 0; i < count; i++) {
        for (let name = 0; name < 2; name++) { // module and field names
          let len: number;
          [len, p] = leb(bytes, p);
          p += len;
        }
        const kind = bytes[p++];
        if (kind === 0) [, p] = leb(bytes, p); // function: type index
        else if (kind === 1 || kind === 2) { // table (reftype, limits) or memory (limits)
          if (kind === 1) p++;
          const flags = bytes[p]!;
          if (kind === 2) {
            if (!(flags & 2)) return null;
            const out = new Uint8Array(bytes);
            out[p] = flags & ~2;
            return out;
          }
          [, p] = leb(bytes, p + 1);
          if (flags & 1) [, p] = leb(bytes, p);
        } else if (kind === 3) p += 2; // global: value type, mutability
        else return null;
      }
      return null;
    }
    pos = end;
  }
  return null;
}

export interface WasmKernelOptions {
  variant: WasmVariant;
  /** Threads for large GEMMs, the calling thread included (default 1). */
  threads?: number;
  /** 2*m*n*k from which a GEMM is split over the threads (default WASM_THREAD_MIN_FLOPS). */
  threadMinFlops?: number;
  why?: string;
}

/** GEMMs below this many flops run on the calling thread: waking a worker costs tens of µs. */
export const WASM_THREAD_MIN_FLOPS = 4e6;

const align16 = (n: number): number => (n + 15) & ~15;

/** One instance over one memory: where operands are copied to, and its scratch. */
interface Space {
  ex: KernelExports;
  memory: WebAssembly.Memory;
  f32: Float32Array;
  i32: Int32Array;
  /** Bytes: the pool's control words and task arguments (shared memory only). */
  ctrlIndex: number;
  argsPtr: number;
  scratchPtr: number;
  scratchStride: number;
  /** Float index where operands start. */
  operandIndex: number;
}

// Layout (bytes): [module stack/data .. heapBase) [ctrl + task args] [scratch x threads] [operands ...]
function makeSpace(module: WebAssembly.Module, shared: boolean, threads: number): Space {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared });
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  const heapBase = (Number(ex.__heap_base.value) + 63) & ~63;
  const scratchStride = (ex.dl_scratch_floats() * 4 + 63) & ~63;
  const scratchPtr = heapBase + 256;
  const sp: Space = {
    ex, memory, f32: new Float32Array(memory.buffer), i32: new Int32Array(memory.buffer),
    ctrlIndex: heapBase / 4, argsPtr: heapBase + 64, scratchPtr, scratchStride,
    operandIndex: (scratchPtr + threads * scratchStride) / 4,
  };
  ensure(sp, sp.operandIndex);
  return sp;
}

/** Makes the space's memory hold `endIndex` floats. */
function ensure(sp: Space, endIndex: number): void {
  const need = endIndex * 4;
  if (need <= sp.memory.buffer.byteLength) return;
  const pages = Math.ceil(need / PAGE);
  if (pages > MAX_PAGES) throw new RangeError(`kernel operands need ${(need / 2 ** 30).toFixed(2)} GiB, more than the 2 GiB WebAssembly memory holds`);
  sp.memory.grow(pages - sp.memory.buffer.byteLength / PAGE);
  sp.f32 = new Float32Array(sp.memory.buffer);
  sp.i32 = new Int32Array(sp.memory.buffer);
}

/** Copies `src`'s first `count` floats to float index `at`. */
function put(sp: Space, src: Float32Array, count: number, at: number): void {
  sp.f32.set(count === src.length ? src : src.subarray(0, count), at);
}

/**
 * Kernels in WebAssembly memory. Operands are copied in, the result copied back (a
 * Float32Array from the engine cannot be handed to WebAssembly in place); the copies are one
 * TypedArray.set each. Work on the calling thread alone (small GEMMs, the other kernels) runs
 * in a private memory, where those copies are ~3x faster (see unsharedMemoryImport); GEMMs split
 * over worker threads run in a second, shared memory that the workers' instances import too.
 */
export function createWasmKernels(opts: WasmKernelOptions): CpuKernels {
  const module = loadWasmModule(opts.variant);
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const minFlops = opts.threadMinFlops ?? WASM_THREAD_MIN_FLOPS;
  let privateModule: WebAssembly.Module | null = null;
  try {
    privateModule = loadWasmModule(opts.variant, false);
  } catch { /* not expected; the shared build then serves the calling thread too */ }
  let shared: Space | null = privateModule ? null : makeSpace(module, true, threads);
  const local: Space = shared ?? makeSpace(privateModule!, false, 1);
  const sharedSpace = (): Space => (shared ??= makeSpace(module, true, threads));

  let pool: WasmPool | null = null;
  let poolError = "";
  const getPool = (): WasmPool | null => {
    if (pool || poolError) return pool;
    try {
      const sp = sharedSpace();
      pool = new WasmPool(module, sp.memory, sp.ctrlIndex, sp.argsPtr, threads - 1);
    } catch (err) {
      poolError = (err as Error).message;
    }
    return pool;
  };

  const name = opts.variant === "relaxed" ? "wasm-relaxed" : "wasm-simd128";
  const why = opts.why ?? `WebAssembly ${opts.variant === "relaxed" ? "relaxed-SIMD (FMA)" : "SIMD128"} kernels`;
  const kernels: CpuKernels = {
    name,
    // A pool that failed to start leaves the calling thread alone, and says so.
    get threads() {
      return poolError ? 1 : threads;
    },
    get why() {
      return poolError ? `${why}; worker threads unavailable: ${poolError}` : why;
    },

    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
      if (m === 0 || n === 0) return;
      const pl = threads > 1 && 2 * m * n * k >= minFlops ? getPool() : null;
      const sp = pl ? sharedSpace() : local;
      const sa = span(transA ? k : m, transA ? m : k, lda), sb = span(transB ? n : k, transB ? k : n, ldb), sc = span(m, n, ldc);
      const oa = sp.operandIndex, ob = oa + align16(sa), oc = ob + align16(sb);
      ensure(sp, oc + sc);
      put(sp, a, sa, oa);
      put(sp, b, sb, ob);
      // With ldc > n the gaps between rows go back out too, so they must come in first.
      if (beta !== 0 || ldc !== n) put(sp, c, sc, oc);
      const ta = transA ? 1 : 0, tb = transB ? 1 : 0;
      if (!pl) {
        sp.ex.dl_sgemm(0, ta, tb, m, n, k, alpha, oa * 4, lda, ob * 4, ldb, beta, oc * 4, ldc, sp.scratchPtr, 0, 1);
      } else {
        const { i32, f32 } = sp, s = sp.argsPtr / 4;
        i32[s + T.TA] = ta; i32[s + T.TB] = tb; i32[s + T.M] = m; i32[s + T.N] = n; i32[s + T.K] = k;
        f32[s + T.ALPHA] = alpha; f32[s + T.BETA] = beta;
        i32[s + T.A] = oa * 4; i32[s + T.LDA] = lda; i32[s + T.B] = ob * 4; i32[s + T.LDB] = ldb;
        i32[s + T.C] = oc * 4; i32[s + T.LDC] = ldc;
        i32[s + T.SCRATCH] = sp.scratchPtr; i32[s + T.SCRATCH_STRIDE] = sp.scratchStride;
        i32[s + T.NPARTS] = pl.size + 1; i32[s + T.ISA] = 0;
        if (!pl.run(() => sp.ex.dl_sgemm_task(sp.argsPtr, 0))) throw new Error("sgemm: a kernel worker thread failed");
      }
      c.set(sp.f32.subarray(oc, oc + sc));
    },

    im2col(x, N, C, H, W, kh, kw, sh, sw, ph, pw, out) {
      checkConv("im2col", N, C, H, W, kh, kw, sh, sw, ph, pw, x, out);
      const nx = N * C * H * W, nout = C * kh * kw * N * convOut(H, kh, sh, ph) * convOut(W, kw, sw, pw);
      const ox = local.operandIndex, oo = ox + align16(nx);
      ensure(local, oo + nout);
      put(local, x, nx, ox);
      local.ex.dl_im2col(ox * 4, N, C, H, W, kh, kw, sh, sw, ph, pw, oo * 4);
      out.set(local.f32.subarray(oo, oo + nout));
    },

    col2im(cols, N, C, H, W, kh, kw, sh, sw, ph, pw, dx) {
      checkConv("col2im", N, C, H, W, kh, kw, sh, sw, ph, pw, dx, cols);
      const nx = N * C * H * W, ncols = C * kh * kw * N * convOut(H, kh, sh, ph) * convOut(W, kw, sw, pw);
      const oc = local.operandIndex, ox = oc + align16(ncols);
      ensure(local, ox + nx);
      put(local, cols, ncols, oc);
      put(local, dx, nx, ox); // col2im accumulates into dx
      local.ex.dl_col2im(oc * 4, N, C, H, W, kh, kw, sh, sw, ph, pw, ox * 4);
      dx.set(local.f32.subarray(ox, ox + nx));
    },

    biasAct(act, x, bias, m, n, out) {
      checkBiasAct(act, x, bias, m, n, out);
      const len = m * n;
      const ox = local.operandIndex, ob = ox + align16(len);
      ensure(local, ob + n);
      put(local, x, len, ox);
      if (bias) put(local, bias, n, ob);
      local.ex.dl_bias_act(ACT_CODE[act], ox * 4, bias ? ob * 4 : 0, m, n, ox * 4);
      out.set(local.f32.subarray(ox, ox + len));
    },

    actBackward(act, y, gy, gx, len) {
      checkActBackward(act, y, gy, gx, len);
      const oy = local.operandIndex, og = oy + align16(len);
      ensure(local, og + len);
      put(local, y, len, oy);
      put(local, gy, len, og);
      local.ex.dl_act_backward(ACT_CODE[act], oy * 4, og * 4, og * 4, len);
      gx.set(local.f32.subarray(og, og + len));
    },
  };
  return kernels;
}
