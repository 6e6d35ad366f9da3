import { Command, Option } from "commander";
import { UsageError } from "../../util/errors.js";
import { RESCALE_MODES, type Rescale } from "../../viz/patch-viewer.js";
import { showWeights } from "../../viz/show-weights.js";

/** `dl show-weights MODEL`: the first layer's filters (or --layer's) as a grid of image patches, in a PNG. */
export function showWeightsCommand(program: Command): void {
  program
    .command("show-weights")
    .description("draw a layer's filters as a grid of image patches (pylearn2's show_weights.py) into a PNG")
    .argument("<model>", "model file written by dl train")
    .option("--out <file.png>", "output picture (default: <model stem>_weights.png in the current folder)")
    .addOption(
      new Option("--rescale <mode>", "individual: each filter by its own max |w|; global: all by the overall max; none: as is, clipped to [-1, 1]")
        .choices(RESCALE_MODES as string[])
        .default("individual"),
    )
    .option("--border", "draw a 1-pixel black frame around each filter")
    .option("--layer <name>", "layer (or 2-D tensor) to draw; default: the first layer")
    .option("--scale <k>", "magnify the picture k times (nearest neighbour)", "1")
    .option("--unwhiten", "map filters back through the training dataset's stored ZCA inverse (whitened data only)")
    .action((model: string, o: { out?: string; rescale: string; border?: boolean; layer?: string; scale: string; unwhiten?: boolean }) => {
      const scale = Number(o.scale);
      if (!/^\d+$/.test(o.scale)) throw new UsageError(`--scale must be a whole number from 1 to 64, got ${o.scale}`);
      const r = showWeights(model, {
        out: o.out,
        rescale: o.rescale as Rescale,
        border: o.border,
        layer: o.layer,
        scale,
        unwhiten: o.unwhiten,
      });
      const f = r.filters;
      const shape = `${f.rows}x${f.cols}${f.channels === 3 ? "x3 colour" : " grey"}`;
      const lines = [
        `${r.className} layer ${f.layer.name} (tensor ${f.layer.tensor}): ${f.units} filters, ${f.count} tiles of ${shape}` +
          (f.viewGuessed ? " (the model records no image view; shape inferred from the input size)" : ""),
      ];
      if (r.unwhitenedWith) lines.push(`unwhitened through the ZCA of ${r.unwhitenedWith}`);
      const s = r.stats;
      lines.push(`weight magnitude${r.unwhitenedWith ? " (as drawn)" : ""}: min ${fmt(s.magnitude.min)}  mean ${fmt(s.magnitude.mean)}  max ${fmt(s.magnitude.max)}`);
      lines.push(`filter norms: min ${fmt(s.norms.min)}  mean ${fmt(s.norms.mean)}  max ${fmt(s.norms.max)}`);
      if (r.image.clipped > 0) {
        process.stderr.write(`dl: warning: --rescale none clipped ${r.image.clipped} values outside [-1, 1]; try --rescale global\n`);
      }
      lines.push(`wrote ${r.out} (${r.image.width}x${r.image.height}, ${r.image.grid.rows}x${r.image.grid.cols} grid, rescale ${o.rescale})`);
      process.stdout.write(lines.join("\n") + "\n");
    });
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toPrecision(4);
}
