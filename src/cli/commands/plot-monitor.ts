import { createInterface } from "node:readline/promises";
import { Command, Option } from "commander";
import { DlError, UsageError } from "../../util/errors.js";
import {
  buildCodebook,
  defaultSelection,
  formatCodebook,
  selectChannels,
  X_AXES,
  type ChannelRef,
  type Selection,
  type XAxis,
} from "../../viz/channels.js";
import {
  DEFAULT_SMOOTH,
  defaultMonitorPath,
  formatOf,
  loadMonitors,
  monitorChart,
  PANEL_MODES,
  parseYRange,
  type PanelMode,
  renderChartTerminal,
  writeChart,
} from "../../viz/plot-monitor.js";

interface PlotMonitorFlags {
  channels?: string;
  x: XAxis;
  out?: string;
  yrange?: string;
  logy?: boolean;
  smooth?: boolean | string;
  terminal?: boolean;
  list?: boolean;
  title?: string;
  size: string;
  panels: PanelMode;
}

/** `dl plot-monitor MODEL...`: monitor channels over training as a PNG, an SVG or a terminal chart. */
export function plotMonitorCommand(program: Command): void {
  program
    .command("plot-monitor")
    .description("plot monitor channels of one or more models (pylearn2's plot_monitor.py) as PNG, SVG or in the terminal")
    .argument("<models...>", "model files written by dl train; several are overlaid and labelled by file name")
    .option(
      "--channels <list>",
      "comma list of channel names, globs (valid_*), letter codes from --list (A, C-F) or <name>; " +
        "default: ask on a terminal, else the objective-like channels (objective, *_nll, *_misclass, reconstruction_error...)",
    )
    .addOption(new Option("--x <axis>", "x axis").choices(X_AXES as string[]).default("epochs"))
    .option("--out <file>", "output .png or .svg (default: <first model stem>_monitor.png in the current folder)")
    .option("--yrange <low:high>", "fix the y axis, e.g. 0:1 (either side may be empty: 0:)")
    .option("--logy", "logarithmic y axis")
    .option(
      "--smooth [k]",
      `smooth each channel with a trailing moving average: each point becomes the mean of itself and the k points before it (default k=${DEFAULT_SMOOTH}, pylearn2's smoothing)`,
    )
    .option("--terminal", "draw the chart in the terminal (braille; colour unless NO_COLOR) instead of writing a file, unless --out is given too")
    .option("--list", "list the channels with their letter codes and exit")
    .option("--title <text>", "chart title (default: the model file and class)")
    .option("--size <WxH>", "picture size in pixels", "960x600")
    .addOption(
      new Option("--panels <mode>", "one: all channels on one y axis; split: a panel per channel; auto: split off channels the others would squash flat")
        .choices(PANEL_MODES as string[])
        .default("auto"),
    )
    .action(async (models: string[], o: PlotMonitorFlags) => {
      const sources = loadMonitors(models);
      const book = buildCodebook(sources);
      if (book.length === 0) throw new DlError(`${models.join(", ")}: no monitor channels recorded (was the model trained with a monitor?)`);
      if (o.list) {
        process.stdout.write(formatCodebook(book) + "\n");
        return;
      }
      const smooth = parseSmooth(o.smooth);
      const yRange = o.yrange !== undefined ? parseYRange(o.yrange) : undefined;
      const [width, height] = parseSize(o.size);
      const out = o.out ?? (o.terminal ? undefined : defaultMonitorPath(models[0]));
      if (out) formatOf(out); // a bad extension is an error before anything is asked or drawn

      let selection: Selection | undefined;
      if (o.channels !== undefined) selection = selectChannels(book, o.channels);
      else if (process.stdin.isTTY && process.stdout.isTTY) {
        selection = await ask(book);
        if (!selection) return;
      } else {
        const d = defaultSelection(book);
        if (d.note) process.stderr.write(`dl: note: ${d.note}\n`);
        selection = { refs: d.refs };
      }
      if (selection.refs.length === 0) throw new UsageError("no channels selected; run with --list to see them");
      const x = selection.x ?? o.x;

      const { spec, warnings } = monitorChart(sources, selection.refs, {
        x,
        smooth,
        logY: o.logy,
        yRange,
        title: o.title,
        width,
        height,
        panels: o.panels,
      });
      for (const w of warnings) process.stderr.write(`dl: warning: ${w}\n`);
      if (o.terminal) {
        const columns = Number(process.env.COLUMNS) || process.stdout.columns || 80;
        process.stdout.write(renderChartTerminal(spec, { columns, color: useColor() }));
      }
      if (out) {
        const format = writeChart(spec, out);
        const names = selection.refs.map((r) => r.key).join(", ");
        process.stdout.write(`wrote ${out} (${format.toUpperCase()} ${width}x${height}, x: ${x}; ${names})\n`);
      }
    });
}

/** pylearn2's interactive choice: show the codebook, read a list (or q to quit; empty takes the default). */
async function ask(book: ChannelRef[]): Promise<Selection | undefined> {
  process.stdout.write(formatCodebook(book) + "\n\n");
  process.stdout.write("Put e, b, s or h in the list to plot against epochs, batches, seconds or hours.\n");
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = (await rl.question("Channels to plot (example: A, C-F, e, <objective>; empty for the default, q to quit): ")).trim();
    if (answer === "q") return undefined;
    if (answer === "") return { refs: defaultSelection(book).refs };
    return selectChannels(book, answer);
  } finally {
    rl.close();
  }
}

/** Colour in the terminal only when writing to one and NO_COLOR (https://no-color.org) is unset or empty. */
function useColor(): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return process.stdout.isTTY === true;
}

function parseSmooth(v: boolean | string | undefined): number | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return DEFAULT_SMOOTH;
  const k = Number(v);
  if (!/^\d+$/.test(v) || k < 1) throw new UsageError(`--smooth ${v}: expected a whole number of earlier points to average over, e.g. --smooth 5`);
  return k;
}

function parseSize(s: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(s);
  const w = m ? Number(m[1]) : NaN, h = m ? Number(m[2]) : NaN;
  if (!(w >= 320 && h >= 200 && w <= 8000 && h <= 8000)) throw new UsageError(`--size ${s}: expected WIDTHxHEIGHT in pixels, from 320x200 to 8000x8000`);
  return [w, h];
}
