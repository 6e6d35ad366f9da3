import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { EpochProgress } from "./algorithm.js";
import { formatChannelValue, sortChannelNames } from "./monitor.js";

/** What the Train loop tells the person (or program) watching it. */
export interface TrainReporter {
  paramSummary(lines: string[]): void;
  /** Called often within an epoch (the loop throttles it to a few times a second). */
  progress(epoch: number, p: EpochProgress, examplesPerSecond: number): void;
  /** The epoch's training is over (clears a progress bar). */
  epochTrained(epoch: number, seconds: number): void;
  monitor(counters: { epochs: number; batches: number; examples: number; seconds: number }, values: Record<string, number>): void;
  log(message: string): void;
}

export interface ConsoleReporterOptions {
  quiet?: boolean;
  /** Append one JSON line per monitoring step to this file (truncated first). */
  logJson?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/**
 * pylearn2's log output, plus a progress bar: parameter summary and monitor blocks on stdout, a
 * one-line bar with examples/s and ETA on stderr when it is a terminal (nothing when it is not).
 */
export class ConsoleReporter implements TrainReporter {
  private readonly out: NodeJS.WritableStream;
  private readonly err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  private barShown = false;

  constructor(private readonly opts: ConsoleReporterOptions = {}) {
    this.out = opts.stdout ?? process.stdout;
    this.err = opts.stderr ?? process.stderr;
    if (opts.logJson) {
      mkdirSync(dirname(opts.logJson), { recursive: true });
      writeFileSync(opts.logJson, "");
    }
  }

  private print(s: string): void {
    if (!this.opts.quiet) this.out.write(`${s}\n`);
  }

  paramSummary(lines: string[]): void {
    this.print("Parameter and initial learning rate summary:");
    for (const l of lines) this.print(l);
  }

  progress(epoch: number, p: EpochProgress, rate: number): void {
    if (this.opts.quiet || !this.err.isTTY) return;
    const width = Math.max(10, Math.min(40, (this.err.columns ?? 80) - 60));
    const frac = p.numBatches > 0 ? Math.min(1, p.batch / p.numBatches) : 0;
    const filled = Math.round(frac * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const left = rate > 0 ? (p.numExamples - p.examples) / rate : NaN;
    const line = `epoch ${epoch} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${p.batch}/${p.numBatches} batches  ${formatRate(rate)} ex/s  ETA ${formatDuration(left)}`;
    this.err.write(`\r${line}\x1b[K`);
    this.barShown = true;
  }

  epochTrained(_epoch: number, seconds: number): void {
    if (this.barShown) {
      this.err.write("\r\x1b[K");
      this.barShown = false;
    }
    this.print(`Time this epoch: ${formatDuration(seconds)}`);
  }

  monitor(c: { epochs: number; batches: number; examples: number; seconds: number }, values: Record<string, number>): void {
    this.print("Monitoring step:");
    this.print(`\tEpochs seen: ${c.epochs}`);
    this.print(`\tBatches seen: ${c.batches}`);
    this.print(`\tExamples seen: ${c.examples}`);
    for (const k of sortChannelNames(Object.keys(values))) this.print(`\t${k}: ${formatChannelValue(values[k])}`);
    if (this.opts.logJson) {
      const rec = { epoch: c.epochs, batches: c.batches, examples: c.examples, seconds: c.seconds, channels: jsonSafe(values) };
      appendFileSync(this.opts.logJson, `${JSON.stringify(rec)}\n`);
    }
  }

  log(message: string): void {
    this.print(message);
  }
}

/** A reporter that says nothing (library use, tests). */
export const SILENT: TrainReporter = {
  paramSummary() {},
  progress() {},
  epochTrained() {},
  monitor() {},
  log() {},
};

/** JSON cannot hold NaN or infinities: write them as strings so the line still parses. */
function jsonSafe(values: Record<string, number>): Record<string, number | string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number.isFinite(v) ? v : String(v)]));
}

function formatRate(r: number): string {
  if (!(r > 0)) return "-";
  return r >= 1000 ? `${(r / 1000).toFixed(1)}k` : r.toFixed(0);
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "--";
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
