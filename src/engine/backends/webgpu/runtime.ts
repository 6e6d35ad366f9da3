/// <reference types="@webgpu/types" />
import { DlError, ShapeError } from "../../../util/errors.js";
import type { GpuHandle } from "./device.js";
import { PARAM_WORDS, shaderPrelude } from "./wgsl/prelude.js";

// GPUBufferUsage / GPUMapMode bits, fixed by the WebGPU spec (the globals exist only once Dawn is loaded).
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const UNIFORM = 0x40;
const STORAGE = 0x80;
const MAP_MODE_READ = 0x1;

/** Bytes of parameters each dispatch gets (a multiple of minUniformBufferOffsetAlignment, 256). */
const PARAM_BYTES = PARAM_WORDS * 4;
/** Dispatches recorded before a submit even without a readback: keeps memory reuse moving. */
const MAX_PENDING_DISPATCHES = 4096;
const RING_BYTES = MAX_PENDING_DISPATCHES * PARAM_BYTES;
/** Freed buffers kept for reuse, in bytes; beyond this they are destroyed. */
const POOL_LIMIT_BYTES = 1 << 30;
/** Cached bind groups before the cache starts over (a bound on it; a training loop needs a few hundred). */
const BIND_CACHE_LIMIT = 1 << 14;
/** 1-D dispatches wider than this wrap into a second grid dimension (the WebGPU minimum limit). */
export const MAX_GROUPS_X = 65535;

/** The grid of a 1-D launch of `groups` workgroups (kernels find their place with `flat_id`). */
export function grid1d(groups: number): [number, number] {
  if (groups <= MAX_GROUPS_X) return [groups, 1];
  return [MAX_GROUPS_X, Math.ceil(groups / MAX_GROUPS_X)];
}

let nextId = 1;

/**
 * A tensor's storage on the GPU: one buffer (possibly larger than needed, from the pool) holding
 * `n` 32-bit values. Buffers return to the pool when this object is garbage collected.
 */
export class GpuBuffer {
  readonly id = nextId++;
  constructor(readonly buffer: GPUBuffer, readonly n: number) {}
}

/** A kernel: WGSL body plus how many read-only inputs and writable outputs it binds after the params. */
export interface KernelSpec {
  key: string;
  code: string;
  inputs: number;
  outputs: number;
}

interface Kernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/** The parameter words of one dispatch; the last two are reserved for NaN and +Inf bit patterns. */
export type Params = Uint32Array;

/**
 * Owns the device and runs kernels on it: compiles and caches pipelines, records dispatches into
 * one open compute pass, writes each dispatch's parameters into a ring buffer (one writeBuffer per
 * submit), and submits only when a readback needs it or the ring is full — small ops cost a few
 * microseconds of JavaScript, not a submit each.
 *
 * Memory: buffers of dead tensors come back through a FinalizationRegistry, wait in `released`
 * until the next submit (so no recorded-but-unsubmitted command can still see them), then join a
 * pool keyed by byte size.
 */
export class GpuRuntime {
  readonly device: GPUDevice;
  private readonly kernels = new Map<string, Kernel>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** The pipeline the open pass last set: consecutive dispatches of one kernel set it once (Dawn takes ~1.5 us a call). */
  private passPipeline: GPUComputePipeline | null = null;
  private readonly ring: GPUBuffer;
  private readonly ringHost = new Uint32Array(RING_BYTES / 4);
  private ringUsed = 0;
  private readonly pool = new Map<number, GPUBuffer[]>();
  private pooledBytes = 0;
  private released: Array<{ buffer: GPUBuffer; bytes: number }> = [];
  /** Buffers `recycle` took back since the last submit, by byte size: free for kernel outputs now. */
  private recycled = new Map<number, GPUBuffer[]>();
  private recording: GpuBuffer[] | null = null;
  private readonly registry = new FinalizationRegistry<{ buffer: GPUBuffer; bytes: number }>((held) => this.released.push(held));
  private readonly submitHooks = new Set<() => void>();
  /** Bind groups by layout, then by each bound buffer in turn (see `bindGroup`). */
  private bindCache = new Map<string, BindCacheNode>();
  private bindCacheSize = 0;
  private lost = false;
  private firstError: string | null = null;
  /** Counters for tests and the bench. */
  readonly stats = { dispatches: 0, submits: 0, allocations: 0, reuses: 0, reads: 0, bindGroups: 0, uploads: 0 };

  constructor(readonly handle: GpuHandle) {
    this.device = handle.device;
    this.ring = this.device.createBuffer({ size: RING_BYTES, usage: UNIFORM | COPY_DST });
    this.device.lost.then((info) => {
      this.lost = true;
      if (info.reason !== "destroyed") this.firstError ??= `device lost: ${info.message}`;
    });
    this.device.addEventListener("uncapturederror", (ev) => {
      this.firstError ??= (ev as GPUUncapturedErrorEvent).error.message;
    });
  }

  /**
   * A buffer for `n` 32-bit values that kernels will write (contents undefined unless it is
   * fresh). It may be one a training step released moments ago and recorded dispatches still
   * read: the queue runs dispatches in recording order, so those reads happen first.
   */
  alloc(n: number): GpuBuffer {
    const bytes = roundBytes(Math.max(4, n * 4));
    const buffer = this.recycled.get(bytes)?.pop();
    if (!buffer) return this.allocSettled(n);
    this.stats.reuses++;
    return this.track(new GpuBuffer(buffer, n), bytes);
  }

  /**
   * A buffer no recorded-but-unsubmitted command uses: what `queue.writeBuffer` may fill, since
   * a write lands before the commands still waiting for the next submit run.
   */
  private allocSettled(n: number): GpuBuffer {
    this.checkAlive();
    // Sizes round up to 256 bytes below 64 KiB and to 1/8 of the power of two above, so a
    // training loop's ever-repeating shapes find their buffers again.
    const bytes = roundBytes(Math.max(4, n * 4));
    const list = this.pool.get(bytes);
    let buffer = list?.pop();
    if (buffer) {
      this.pooledBytes -= bytes;
      this.stats.reuses++;
    } else {
      buffer = this.device.createBuffer({ size: bytes, usage: STORAGE | COPY_SRC | COPY_DST });
      this.stats.allocations++;
    }
    return this.track(new GpuBuffer(buffer, n), bytes);
  }

  private track(out: GpuBuffer, bytes: number): GpuBuffer {
    // The buffer object is its own unregister token (held weakly), so recycle/releaseNow can take it back.
    this.registry.register(out, { buffer: out.buffer, bytes }, out);
    this.recording?.push(out);
    return out;
  }

  /** Uploads values (queued now, so they land before any later dispatch reads them). */
  upload(data: ArrayBufferView & ArrayLike<number>, n: number): GpuBuffer {
    const out = this.allocSettled(n);
    if (n > 0) this.device.queue.writeBuffer(out.buffer, 0, data.buffer, data.byteOffset, n * 4);
    this.stats.uploads++;
    return out;
  }

  /** While `list` is set, every buffer handed out is pushed on it (a training step's scope, step-scope.ts). */
  recordAllocations(list: GpuBuffer[] | null): void {
    this.recording = list;
  }

  /** Runs `fn` with that list set aside: for buffers that outlive the step they are made in (a dataset's device copy). */
  beyondStep<T>(fn: () => T): T {
    const list = this.recording;
    this.recording = null;
    try {
      return fn();
    } finally {
      this.recording = list;
    }
  }

  /**
   * Takes back a buffer nothing will read after the commands already recorded: kernels may write
   * it at once (`alloc`), uploads only after the next submit. A step that reuses the last step's
   * buffers this way binds the same buffers in the same places, so its bind groups are cached.
   */
  recycle(b: GpuBuffer): void {
    if (!this.registry.unregister(b)) return;
    const bytes = b.buffer.size;
    let list = this.recycled.get(bytes);
    if (!list) this.recycled.set(bytes, (list = []));
    list.push(b.buffer);
  }

  /** Returns a scratch buffer to the pool at the next submit, without waiting for the GC. */
  releaseNow(b: GpuBuffer): void {
    if (this.registry.unregister(b)) this.released.push({ buffer: b.buffer, bytes: b.buffer.size });
  }

  private kernel(spec: KernelSpec): Kernel {
    let k = this.kernels.get(spec.key);
    if (k) return k;
    const layoutKey = `${spec.inputs}/${spec.outputs}`;
    let layout = this.layouts.get(layoutKey);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: "uniform", hasDynamicOffset: true, minBindingSize: PARAM_BYTES } },
      ];
      for (let i = 0; i < spec.inputs + spec.outputs; i++) {
        entries.push({ binding: i + 1, visibility: 4, buffer: { type: i < spec.inputs ? "read-only-storage" : "storage" } });
      }
      layout = this.device.createBindGroupLayout({ entries });
      this.layouts.set(layoutKey, layout);
    }
    const module = this.device.createShaderModule({ code: shaderPrelude + spec.code, label: spec.key });
    const pipeline = this.device.createComputePipeline({
      label: spec.key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: "main" },
    });
    k = { pipeline, layout };
    this.kernels.set(spec.key, k);
    return k;
  }

  /** Compiles a kernel now (so the first timed call of a bench does not include compilation). */
  prepare(spec: KernelSpec): void {
    this.kernel(spec);
  }

  /**
   * Records one dispatch. `params` fills the first words of the kernel's parameter block; `buffers`
   * are the inputs then the outputs, in binding order; `groups` the workgroup grid.
   */
  dispatch(spec: KernelSpec, params: ArrayLike<number>, buffers: readonly GpuBuffer[], groups: readonly [number, number?, number?]): void {
    this.checkAlive();
    const k = this.kernel(spec);
    this.record(k, params, this.groupFor(k, spec, buffers), groups);
  }

  /** The bindings of one kernel's inputs then outputs (made once per buffer combination, see `groupFor`). */
  bindGroup(spec: KernelSpec, buffers: readonly GpuBuffer[]): GPUBindGroup {
    return this.groupFor(this.kernel(spec), spec, buffers);
  }

  private groupFor(k: Kernel, spec: KernelSpec, buffers: readonly GpuBuffer[]): GPUBindGroup {
    // Making a bind group costs Dawn tens of microseconds, several times the dispatch itself, and
    // a training step binds the same pooled buffers in the same combinations step after step: the
    // groups are cached by layout and buffer identity. Weak keys: a destroyed buffer is never
    // pooled again, so its groups become unreachable with it.
    const layoutKey = `${spec.inputs}/${spec.outputs}`;
    let node: BindCacheNode | undefined = this.bindCache.get(layoutKey);
    if (!node) this.bindCache.set(layoutKey, (node = new WeakMap()));
    for (let i = 0; i < buffers.length - 1; i++) {
      let next: BindCacheNode | GPUBindGroup | undefined = node.get(buffers[i].buffer);
      if (!(next instanceof WeakMap)) node.set(buffers[i].buffer, (next = new WeakMap()));
      node = next;
    }
    const last = buffers[buffers.length - 1].buffer;
    const cached = node.get(last);
    if (cached && !(cached instanceof WeakMap)) return cached;
    this.checkBindable(spec, buffers);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.ring, offset: 0, size: PARAM_BYTES } }];
    for (let i = 0; i < buffers.length; i++) entries.push({ binding: i + 1, resource: { buffer: buffers[i].buffer } });
    const group = this.device.createBindGroup({ layout: k.layout, entries });
    this.stats.bindGroups++;
    if (++this.bindCacheSize > BIND_CACHE_LIMIT) {
      this.bindCache = new Map();
      this.bindCacheSize = 0;
    } else node.set(last, group);
    return group;
  }

  /** Whether a tensor of `n` values, as this runtime allocates it, fits one storage binding (what every kernel binds). */
  fitsOneBinding(n: number): boolean {
    return roundBytes(Math.max(4, n * 4)) <= this.device.limits.maxStorageBufferBindingSize;
  }

  /** Says which tensor is too large for one binding, before Dawn's validation error would (once per new bind group). */
  private checkBindable(spec: KernelSpec, buffers: readonly GpuBuffer[]): void {
    const limit = this.device.limits.maxStorageBufferBindingSize;
    for (const b of buffers) {
      if (b.buffer.size <= limit) continue;
      const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
      throw new ShapeError(
        `webgpu: a tensor of ${b.n} values (${mib(b.n * 4)}, ${mib(b.buffer.size)} as allocated) is larger than this GPU's largest ` +
          `storage binding (maxStorageBufferBindingSize ${mib(limit)}), in kernel ${spec.key}; make the layer or the batch smaller, or train with --device cpu`,
      );
    }
  }

  /** Submits now unless `dispatches` more fit before the next forced submit (so they go out together). */
  reserve(dispatches: number): void {
    if (this.ringUsed + dispatches * PARAM_BYTES > RING_BYTES) this.flush();
  }

  private record(k: Kernel, params: ArrayLike<number>, group: GPUBindGroup, groups: readonly [number, number?, number?]): void {
    if (this.ringUsed + PARAM_BYTES > RING_BYTES) this.flush();
    const off = this.ringUsed;
    const w = off / 4;
    const host = this.ringHost;
    for (let i = 0; i < params.length; i++) host[w + i] = params[i];
    host[w + PARAM_WORDS - 2] = 0x7fc00000; // NaN (WGSL cannot spell NaN or Inf as constants)
    host[w + PARAM_WORDS - 1] = 0x7f800000; // +Inf
    this.ringUsed += PARAM_BYTES;
    if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
      this.passPipeline = null;
    }
    if (this.passPipeline !== k.pipeline) {
      this.pass.setPipeline(k.pipeline);
      this.passPipeline = k.pipeline;
    }
    this.pass.setBindGroup(0, group, [off]);
    this.pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    this.stats.dispatches++;
  }

  /** Records a buffer copy (ends the open compute pass). */
  copy(src: GpuBuffer, dst: GPUBuffer, bytes: number): void {
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src.buffer, 0, dst, 0, bytes);
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /**
   * Runs `fn` at every submit, before it: where data staged on the host for the recorded
   * dispatches (a block of steps' noise) is written, so it lands before they run. Returns the
   * function that removes it.
   */
  beforeSubmit(fn: () => void): () => void {
    this.submitHooks.add(fn);
    return () => void this.submitHooks.delete(fn);
  }

  /** Submits everything recorded so far, then lets released buffers be reused. */
  flush(): void {
    this.checkAlive();
    for (const fn of this.submitHooks) fn();
    this.endPass();
    if (this.ringUsed > 0) {
      this.device.queue.writeBuffer(this.ring, 0, this.ringHost.buffer, 0, this.ringUsed);
      this.ringUsed = 0;
    }
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.stats.submits++;
    }
    this.recyclePending();
  }

  private recyclePending(): void {
    // Recycled buffers not reused by now are settled too: into the pool with the rest.
    for (const [bytes, list] of this.recycled) for (const buffer of list) this.released.push({ buffer, bytes });
    this.recycled.clear();
    if (this.released.length === 0) return;
    const rel = this.released;
    this.released = [];
    for (const { buffer, bytes } of rel) {
      if (this.pooledBytes + bytes > POOL_LIMIT_BYTES) {
        buffer.destroy(); // the queue finishes any submitted work that still uses it first
        continue;
      }
      let list = this.pool.get(bytes);
      if (!list) this.pool.set(bytes, (list = []));
      list.push(buffer);
      this.pooledBytes += bytes;
    }
  }

  /** Copies `n` values back to the host (submits pending work first). */
  async read(src: GpuBuffer, n: number): Promise<Float32Array> {
    const out = new Float32Array(n);
    if (n === 0) return out;
    this.stats.reads++;
    const bytes = n * 4;
    const staging = this.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
    try {
      this.copy(src, staging, bytes);
      this.flush();
      await staging.mapAsync(MAP_MODE_READ, 0, bytes);
      this.checkAlive();
      out.set(new Float32Array(staging.getMappedRange(0, bytes)));
      staging.unmap();
    } finally {
      staging.destroy();
    }
    return out;
  }

  /** Waits until the GPU has finished everything submitted (for timing). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkAlive();
  }

  private checkAlive(): void {
    if (this.firstError) throw new DlError(`webgpu: ${this.firstError}`);
    if (this.lost) throw new DlError("webgpu: the GPU device was destroyed; create a new backend");
  }

  destroy(): void {
    this.encoder = null;
    this.pass = null;
    this.handle.destroy();
  }
}

/** One level of the bind-group cache: the next buffer's level, or (after the last buffer) the group. */
type BindCacheNode = WeakMap<GPUBuffer, BindCacheNode | GPUBindGroup>;

function roundBytes(bytes: number): number {
  if (bytes <= 65536) return (bytes + 255) & ~255;
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}
