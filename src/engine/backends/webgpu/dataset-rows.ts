import type { RowSelection } from "../../backend.js";
import { grid1d, type GpuBuffer, type GpuRuntime, type KernelSpec } from "./runtime.js";
import { SubmitStage } from "./submit-stage.js";
import { WG } from "./wgsl/prelude.js";
import { gatherRowsKernel, oneHotRowsKernel } from "./wgsl/rows.js";

/** Row indices staged on the host between submits (4 MiB; a bigger batch is gathered on the host). */
const STAGE_INDICES = 1 << 20;


/**
 * Training batches cut on the device from datasets uploaded once. Uploading every batch cost a
 * step a copy of its rows on the host, a 300 KB write (MNIST, batch 100) and new bind groups for
 * the fresh buffers; now a step stages its row indices on the host and records one gather kernel
 * into a buffer the last step released, so its bind groups repeat. The indices of all steps
 * between two submits go to the device in one write just before the submit (a SubmitStage, as
 * the fused GRBM step's noise and indices do).
 *
 * Datasets are found by their host array (a WeakMap: a dropped dataset frees its device copy),
 * so the arrays must not change while training: dl's datasets never change after loading.
 */
export class DeviceDatasets {
  private readonly uploaded = new WeakMap<Float32Array | Int32Array, GpuBuffer | null>();
  private readonly stage: SubmitStage;

  constructor(private readonly rt: GpuRuntime) {
    this.stage = new SubmitStage(rt, STAGE_INDICES);
  }

  /** Rows `sel` of `data` (rows of `dim` values) as a new buffer, or null when the device cannot hold the dataset. */
  rows(data: Float32Array, dim: number, sel: RowSelection): GpuBuffer | null {
    return this.launch(gatherRowsKernel, data, sel, dim);
  }

  /** One-hot rows [n, depth] of the labels of rows `sel`, or null as for `rows`. */
  oneHot(labels: Int32Array, depth: number, sel: RowSelection): GpuBuffer | null {
    return this.launch(oneHotRowsKernel, labels, sel, depth);
  }

  /** `width` values per batch row: the dataset's row length, or the one-hot depth. */
  private launch(spec: KernelSpec, data: Float32Array | Int32Array, sel: RowSelection, width: number): GpuBuffer | null {
    const src = this.onDevice(data);
    const n = "start" in sel ? sel.stop - sel.start : sel.length;
    if (!src || n > STAGE_INDICES) return null;
    let first: number;
    let contiguous = 0;
    if ("start" in sel) {
      first = sel.start;
      contiguous = 1;
    } else {
      first = this.stage.take(n);
      for (let r = 0; r < n; r++) this.stage.u32[first + r] = sel[r];
    }
    const total = n * width;
    const out = this.rt.alloc(total);
    if (total === 0) return out;
    this.rt.dispatch(spec, [first, total, width, contiguous], [src, this.stage.buffer, out], grid1d(Math.ceil(total / WG)));
    return out;
  }

  /** The device copy of a dataset array, uploaded on first use; null when it exceeds one storage binding. */
  onDevice(data: Float32Array | Int32Array): GpuBuffer | null {
    let buf = this.uploaded.get(data);
    if (buf === undefined) {
      buf = this.rt.fitsOneBinding(data.length) ? this.rt.beyondStep(() => this.rt.upload(data, data.length)) : null;
      this.uploaded.set(data, buf);
    }
    return buf;
  }
}
