import type { Command } from "commander";
import { cpus, availableParallelism } from "node:os";
import { availableKernels, getCpuKernels, type CpuKernels } from "../../engine/kernels/index.js";
import { Rng } from "../../util/rng.js";
import { gpuDoctorRows } from "../../engine/backends/webgpu/probe.js";

/** One line of `dl doctor`: `ok` true/false for a check that passed/failed, null for information. */
export interface DoctorRow {
  label: string;
  value: string;
  ok: boolean | null;
}

/** A group of rows; `rows` may be async (a GPU adapter is only found asynchronously). */
export interface DoctorSection {
  /** Label of the failed row shown when `rows` throws. */
  label: string;
  rows: () => DoctorRow[] | Promise<DoctorRow[]>;
}

/**
 * The sections `dl doctor` prints, in order. The GPU adapter and data folder sections belong
 * here too: add them to this list (one entry each) from their own modules.
 */
export const DOCTOR_SECTIONS: DoctorSection[] = [
  { label: "node", rows: nodeRows },
  { label: "kernels", rows: kernelRows },
  { label: "gpu", rows: gpuDoctorRows },
];

/** Runs every section; a section that throws becomes one failed row naming it. */
export async function doctorReport(sections: readonly DoctorSection[] = DOCTOR_SECTIONS): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  for (const section of sections) {
    try {
      rows.push(...(await section.rows()));
    } catch (err) {
      rows.push({ label: section.label, value: (err as Error).message, ok: false });
    }
  }
  return rows;
}

export function nodeRows(): DoctorRow[] {
  const major = Number(process.versions.node.split(".")[0]);
  const cpu = cpus()[0]?.model?.trim() || "unknown CPU";
  return [
    { label: "node", value: `${process.version} (V8 ${process.versions.v8})${major < 20 ? ": dl needs Node 20 or newer" : ""}`, ok: major >= 20 },
    { label: "cpu", value: `${cpu}, ${availableParallelism()} cores (${process.platform} ${process.arch})`, ok: null },
  ];
}

export function kernelRows(): DoctorRow[] {
  const k = getCpuKernels();
  const selfTest = kernelSelfTest(k);
  return [
    { label: "kernels", value: `${k.name}: ${k.why}`, ok: null },
    { label: "self-test", value: selfTest ?? `${k.name} GEMM (threaded) and sigmoid agree with float64`, ok: selfTest === null },
    {
      label: "threads",
      value: `${k.threads}${process.env.DL_THREADS ? " (from DL_THREADS)" : " (all cores; DL_THREADS sets it)"}`,
      ok: null,
    },
    { label: "available", value: availableKernels().map((x) => x.name).join(", "), ok: null },
  ];
}

/**
 * A GEMM big enough to use the threads (96 x 200 x 300) and a sigmoid, checked against float64;
 * returns null when they agree, else what went wrong.
 */
export function kernelSelfTest(k: CpuKernels): string | null {
  const rng = new Rng(1);
  const m = 96, n = 200, kk = 300;
  const a = rng.fillUniform(new Float32Array(m * kk), -1, 1) as Float32Array;
  const b = rng.fillUniform(new Float32Array(kk * n), -1, 1) as Float32Array;
  const c = new Float32Array(m * n);
  k.sgemm(false, false, m, n, kk, 1, a, kk, b, n, 0, c, n);
  for (let i = 0; i < m; i += 7) {
    for (let j = 0; j < n; j += 3) {
      let s = 0, mag = 0;
      for (let p = 0; p < kk; p++) {
        s += a[i * kk + p] * b[p * n + j];
        mag += Math.abs(a[i * kk + p] * b[p * n + j]);
      }
      if (!(Math.abs(c[i * n + j] - s) <= (kk + 2) * 2 ** -24 * mag)) {
        return `${k.name} GEMM is wrong at (${i}, ${j}): ${c[i * n + j]} instead of ${s}; set DL_KERNELS=js to work around, and please report it`;
      }
    }
  }
  const x = new Float32Array([-20, -1, 0, 0.5, 3]);
  const y = new Float32Array(5);
  k.biasAct("sigmoid", x, null, 1, 5, y);
  for (let i = 0; i < 5; i++) {
    const ref = 1 / (1 + Math.exp(-x[i]));
    if (!(Math.abs(y[i] - ref) <= 3e-7 * ref)) return `${k.name} sigmoid(${x[i]}) = ${y[i]}, not ${ref}`;
  }
  return null;
}

/** Renders rows as aligned text: label, value, and ok / FAIL where the row is a check. */
export function renderDoctor(rows: readonly DoctorRow[]): string {
  const width = Math.max(...rows.map((r) => r.label.length));
  return rows
    .map((r) => `${r.ok === false ? "FAIL" : r.ok ? "ok  " : "    "}  ${r.label.padEnd(width)}  ${r.value}\n`)
    .join("");
}

/** `dl doctor [--json]`: Node version, which compute kernels are active and why, threads. */
export function doctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("check this machine: Node version, which compute kernels are active (and why), threads")
    .option("--json", "print the rows as JSON")
    .action(async (o: { json?: boolean }) => {
      const rows = await doctorReport();
      process.stdout.write(o.json ? `${JSON.stringify(rows, null, 2)}\n` : renderDoctor(rows));
      if (rows.some((r) => r.ok === false)) process.exitCode = 1;
    });
}
