import type { ChannelHistory, MonitorHistory } from "../io/model-file.js";
import { DlError } from "../util/errors.js";
import { didYouMean } from "../util/suggest.js";

/**
 * pylearn2's Monitor (pylearn2/monitor.py): the training counters (batches, examples, epochs) and,
 * per channel, the record of every value with when it was taken. The algorithm computes the
 * values; the monitor keeps them, in the file format of src/io/model-file.ts.
 */
export class Monitor {
  batchesSeen = 0;
  examplesSeen = 0;
  epochsSeen = 0;
  /** Seconds of training before this process (a resumed run continues the clock). */
  private timeOffset = 0;
  private t0 = performance.now();
  readonly channels = new Map<string, ChannelHistory>();
  /** Monitors of earlier training stages that push_monitor set aside, by the name it gave them (for MatchChannel). */
  readonly earlier = new Map<string, MonitorHistory>();

  reportBatch(numExamples: number): void {
    this.examplesSeen += numExamples;
    this.batchesSeen += 1;
  }

  reportEpoch(): void {
    this.epochsSeen += 1;
  }

  /** Seconds since training started (across resumes). */
  elapsed(): number {
    return this.timeOffset + (performance.now() - this.t0) / 1000;
  }

  /** Appends one value per channel, stamped with the current counters and time. */
  record(values: Record<string, number>): void {
    const t = this.elapsed();
    for (const name of sortChannelNames(Object.keys(values))) {
      let ch = this.channels.get(name);
      if (!ch) {
        ch = { val: [], batch: [], example: [], epoch: [], time: [] };
        this.channels.set(name, ch);
      }
      ch.val.push(values[name]);
      ch.batch.push(this.batchesSeen);
      ch.example.push(this.examplesSeen);
      ch.epoch.push(this.epochsSeen);
      ch.time.push(t);
    }
  }

  /** The channel's values so far; an unknown name is an error listing the channels (with a suggestion). */
  values(name: string, who: string): number[] {
    const ch = this.channels.get(name);
    if (!ch) {
      const names = [...this.channels.keys()];
      const hint = didYouMean(name, names);
      throw new DlError(
        `${who}: there is no monitor channel named '${name}'.${hint ? ` Did you mean '${hint}'?` : ""}` +
          ` Channels: ${names.length > 0 ? sortChannelNames(names).join(", ") : "(none: give the algorithm a monitoring_dataset)"}`,
        2,
      );
    }
    return ch.val;
  }

  last(name: string, who: string): number {
    const v = this.values(name, who);
    if (v.length === 0) throw new DlError(`${who}: channel '${name}' has no values yet`);
    return v[v.length - 1];
  }

  history(): MonitorHistory {
    const channels: Record<string, ChannelHistory> = {};
    for (const name of sortChannelNames([...this.channels.keys()])) channels[name] = this.channels.get(name)!;
    return { channels };
  }

  state(): { batchesSeen: number; examplesSeen: number; epochsSeen: number; elapsed: number } {
    return { batchesSeen: this.batchesSeen, examplesSeen: this.examplesSeen, epochsSeen: this.epochsSeen, elapsed: this.elapsed() };
  }

  loadState(s: { batchesSeen: number; examplesSeen: number; epochsSeen: number; elapsed: number }, history: MonitorHistory): void {
    this.batchesSeen = s.batchesSeen;
    this.examplesSeen = s.examplesSeen;
    this.epochsSeen = s.epochsSeen;
    this.timeOffset = s.elapsed;
    this.t0 = performance.now();
    this.channels.clear();
    for (const [name, ch] of Object.entries(history.channels)) this.channels.set(name, ch);
  }
}

/**
 * pylearn2's number_aware_alphabetical_key: names compare piecewise, digit runs as numbers, so
 * `layer_2` comes before `layer_10`.
 */
export function sortChannelNames(names: readonly string[]): string[] {
  const key = (s: string) => s.split(/(\d+)/).map((p, i) => (i % 2 === 1 ? Number(p) : p));
  return [...names].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const x = ka[i];
      const y = kb[i];
      if (x === y) continue;
      if (typeof x === "number" && typeof y === "number") return x - y;
      return String(x) < String(y) ? -1 : 1;
    }
    return ka.length - kb.length;
  });
}

/** A channel value as pylearn2 prints it: plain below 1e4 in magnitude, else 3-digit scientific. */
export function formatChannelValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const r = Number(v.toPrecision(7));
  if (r !== 0 && Math.abs(r) < 1e-4) return r.toExponential(); // 4.410443e-6, not 0.000004410443
  if (Math.abs(v) < 1e4) return String(r);
  return v.toExponential(3);
}
