import type { Command } from "commander";
import { statSync } from "node:fs";
import { datasetInfo, type DatasetInfo } from "../../data/dataset-info.js";
import { formatBytes } from "../../io/download-progress.js";
import { detectFormat, readModelFile, type MonitorHistory } from "../../io/model-file.js";

/** `dl info FILE [--json]`: what a dataset, model or checkpoint file holds. */
export function infoCommand(program: Command): void {
  program
    .command("info")
    .description("show what a dl file holds: dataset (shape, view, labels, preprocessing) or model/checkpoint (class, parameters, config, monitor)")
    .argument("<file>", "a dataset, model or checkpoint file written by dl")
    .option("--json", "print everything as JSON (the full monitor history included)")
    .action((file: string, o: { json?: boolean }) => {
      const format = detectFormat(file);
      if (format === "dl-dataset/1") {
        const info = datasetInfo(file);
        process.stdout.write(o.json ? `${JSON.stringify(info, null, 2)}\n` : renderDataset(info));
        return;
      }
      const info = modelInfo(file);
      process.stdout.write(o.json ? `${JSON.stringify(info, null, 2)}\n` : renderModel(info));
    });
}

const num = (v: number) => (v === 0 ? "0" : Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(4) : Number(v.toPrecision(6)).toString());

function renderDataset(d: DatasetInfo): string {
  const lines = [`${d.path}: dl dataset file (${d.format}, ${formatBytes(d.bytes)})`];
  lines.push(`  description:   ${d.description}`);
  lines.push(`  examples:      ${d.numExamples} x ${d.dim} features (float32)`);
  lines.push(`  view:          ${d.view ? `${d.view[0]}x${d.view[1]}x${d.view[2]} (rows x cols x channels, channels last)` : "none (not image-shaped)"}`);
  if (d.labels) {
    const parts = d.labels.counts.map((c, i) => `${d.labels!.names?.[i] ?? i} ${c}`);
    lines.push(`  labels:        ${d.labels.counts.length} classes: ${parts.join(", ")}`);
  } else lines.push("  labels:        none");
  if (d.targetDim !== null) lines.push(`  targets:       ${d.numExamples} x ${d.targetDim}`);
  lines.push(`  values:        min ${num(d.values.min)}  max ${num(d.values.max)}  mean ${num(d.values.mean)}  std ${num(d.values.std)}`);
  if (d.preprocessing.length) {
    lines.push("  preprocessing:");
    d.preprocessing.forEach((p, i) => {
      const settings = Object.entries(p.settings)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(", ");
      lines.push(`    ${i + 1}. ${p.name}(${settings})`);
    });
  } else lines.push("  preprocessing: none");
  const fitted = Object.entries(d.fitted);
  if (fitted.length) lines.push(`  fitted:        ${fitted.map(([k, s]) => `${k} [${s.join(", ")}]`).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

interface ModelInfo {
  kind: "model" | "checkpoint";
  path: string;
  format: string;
  bytes: number;
  className: string;
  parameters: Record<string, number[]>;
  parameterCount: number;
  view: [number, number, number] | null;
  config: string | null;
  metadata: Record<string, string>;
  /** Last value of each channel, with the epoch it was recorded at. */
  channels: Record<string, { last: number | null; epoch: number | null; records: number }>;
  monitor: MonitorHistory | null;
}

function modelInfo(path: string): ModelInfo {
  const m = readModelFile(path);
  const parameters = Object.fromEntries(Object.entries(m.tensors).map(([k, t]) => [k, t.shape]));
  const parameterCount = Object.values(m.tensors).reduce((a, t) => a + t.data.length, 0);
  const channels: ModelInfo["channels"] = {};
  for (const [name, h] of Object.entries(m.monitor?.channels ?? {})) {
    const n = h.val.length;
    channels[name] = { last: n ? h.val[n - 1] : null, epoch: n ? h.epoch[n - 1] : null, records: n };
  }
  // Metadata shown as its own fields is not repeated.
  const shown = new Set(["format", "class", "config", "monitor", "view"]);
  return {
    kind: m.format === "dl-checkpoint/1" ? "checkpoint" : "model",
    path,
    format: m.format,
    bytes: statSync(path).size,
    className: m.className,
    parameters,
    parameterCount,
    view: m.view ? [m.view.rows, m.view.cols, m.view.channels] : null,
    config: m.config ?? null,
    metadata: Object.fromEntries(Object.entries(m.metadata).filter(([k]) => !shown.has(k))),
    channels,
    monitor: m.monitor ?? null,
  };
}

function renderModel(m: ModelInfo): string {
  const lines = [`${m.path}: dl ${m.kind} file (${m.format}, ${formatBytes(m.bytes)})`];
  lines.push(`  class:       ${m.className}`);
  lines.push(`  parameters:  ${m.parameterCount.toLocaleString("en-US")} values`);
  const width = Math.max(0, ...Object.keys(m.parameters).map((k) => k.length));
  for (const [k, s] of Object.entries(m.parameters)) lines.push(`    ${k.padEnd(width)}  [${s.join(", ")}]`);
  if (m.view) lines.push(`  input view:  ${m.view[0]}x${m.view[1]}x${m.view[2]}`);
  for (const [k, v] of Object.entries(m.metadata)) lines.push(`  ${`${k}:`.padEnd(12)} ${v.length > 100 ? `${v.slice(0, 97)}...` : v}`);
  const chans = Object.entries(m.channels).sort(([a], [b]) => a.localeCompare(b));
  if (chans.length) {
    const w = Math.max(...chans.map(([k]) => k.length));
    lines.push(`  monitor:     ${chans.length} channels, last values${chans[0][1].epoch !== null ? ` (epoch ${chans[0][1].epoch})` : ""}:`);
    for (const [k, c] of chans) lines.push(`    ${k.padEnd(w)}  ${c.last === null ? "-" : num(c.last)}`);
  } else lines.push("  monitor:     none");
  if (m.config) {
    lines.push("  config:");
    for (const l of m.config.trimEnd().split("\n")) lines.push(`    ${l}`);
  }
  return `${lines.join("\n")}\n`;
}
