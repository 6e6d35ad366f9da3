/**
 * Download progress on stderr. On a terminal: one line redrawn at most ten times a second with
 * bytes, percentage, rate and time left. Otherwise (logs, CI, pipes): a single line when the
 * transfer ends, so logs stay readable.
 */
export interface ProgressSink {
  /** A transfer (re)starts: total size if known, and bytes already on disk from an earlier attempt. */
  start(total: number | undefined, resumedFrom: number): void;
  /** Bytes received so far in this transfer, on disk included. */
  update(bytes: number): void;
  /** The transfer finished (or was abandoned: `ok` false). */
  done(ok: boolean): void;
}

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export const silentProgress: ProgressSink = { start() {}, update() {}, done() {} };

/** 1536 -> "1.5 KiB", 170498071 -> "162.6 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** 75 -> "1m15s", 3.2 -> "3s". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
}

export function createProgress(stream: ProgressStream, label: string, now: () => number = () => performance.now()): ProgressSink {
  let total: number | undefined;
  let base = 0;
  let bytes = 0;
  let t0 = 0;
  let lastDraw = -Infinity;
  let drawn = false;
  const tty = !!stream.isTTY;
  const rate = () => {
    const dt = (now() - t0) / 1000;
    return dt > 0 ? (bytes - base) / dt : 0;
  };
  const draw = () => {
    const r = rate();
    let line = `${label}  ${formatBytes(bytes)}`;
    if (total) {
      line += ` / ${formatBytes(total)}  ${Math.floor((100 * bytes) / total)}%`;
    }
    line += `  ${formatBytes(Math.round(r))}/s`;
    if (total && r > 0) line += `  ETA ${formatDuration((total - bytes) / r)}`;
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    stream.write(`\r${line.slice(0, width)}\x1b[K`);
    drawn = true;
  };
  return {
    start(t, resumedFrom) {
      total = t;
      base = resumedFrom;
      bytes = resumedFrom;
      t0 = now();
      if (tty && resumedFrom > 0) {
        stream.write(`${label}: resuming at ${formatBytes(resumedFrom)}${t ? ` of ${formatBytes(t)}` : ""}\n`);
      }
    },
    update(b) {
      bytes = b;
      if (!tty) return;
      const t = now();
      if (t - lastDraw >= 100) {
        lastDraw = t;
        draw();
      }
    },
    done(ok) {
      const secs = (now() - t0) / 1000;
      if (tty) {
        if (ok) draw();
        if (drawn) stream.write("\n");
      }
      if (!ok) return;
      const got = bytes - base;
      const resumed = base > 0 ? ` (resumed at ${formatBytes(base)})` : "";
      if (!tty) stream.write(`${label}: ${formatBytes(got)} in ${secs.toFixed(1)} s, ${formatBytes(Math.round(rate()))}/s${resumed}\n`);
    },
  };
}
