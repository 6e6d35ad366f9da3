import type { Command } from "commander";
import { formatBytes } from "../../io/download-progress.js";
import { formatSeconds, runQuickstart, SMALL_MAX_EPOCHS, SMALL_PATCHES } from "../../quickstart/quickstart.js";
import { ConsoleReporter } from "../../train/reporter.js";
import { UsageError } from "../../util/errors.js";

interface QuickstartFlags {
  dir: string;
  offline?: boolean;
  small?: boolean;
  dataDir?: string;
  from?: string;
  numPatches?: string;
  maxEpochs?: string;
  verbose?: boolean;
}

/** `dl quickstart`: the GRBM tutorial chain (download, make-dataset, train, show-weights, plot-monitor) in one go. */
export function quickstartCommand(program: Command): void {
  program
    .command("quickstart")
    .description("run pylearn2's GRBM tutorial end to end into a fresh folder: download-cifar10, make-dataset, train, show-weights, plot-monitor")
    .option("--dir <dir>", "output folder", "dl-quickstart")
    .option("--offline", "use the digits bundled with dl instead of CIFAR-10 (no network); also the fallback when CIFAR-10 cannot be fetched")
    .option("--small", `a quick look: ${SMALL_PATCHES.cifar10} CIFAR-10 patches (${SMALL_PATCHES.digits} of digits) and at most ${SMALL_MAX_EPOCHS} epochs`)
    .option("--data-dir <dir>", "where CIFAR-10 is or goes (default: DL_DATA_PATH, PYLEARN2_DATA_PATH, $XDG_CACHE_HOME/dl, ~/.cache/dl)")
    .option("--from <url|file|dir>", "another source of CIFAR-10, as for dl download-cifar10")
    .option("--num-patches <n>", "patches to extract (default 150000 for CIFAR-10, as the tutorial; 20000 for digits)")
    .option("--max-epochs <n>", "stop training after this many epochs at most (the tutorial's own stopping rule still applies)")
    .option("--verbose", "print dl train's monitor block after every epoch")
    .action(async (o: QuickstartFlags) => {
      const r = await runQuickstart({
        dir: o.dir,
        offline: o.offline,
        small: o.small,
        dataDir: o.dataDir,
        from: o.from,
        numPatches: positiveInt("--num-patches", o.numPatches),
        maxEpochs: positiveInt("--max-epochs", o.maxEpochs),
        log: (line) => process.stdout.write(`${line}\n`),
        reporter: o.verbose ? new ConsoleReporter({}) : undefined,
      });
      const out = [`done in ${formatSeconds(r.seconds)} on ${r.data === "cifar10" ? "CIFAR-10" : "the bundled digits"}. Files in ${r.dir}:`];
      const width = Math.max(...r.files.map((f) => f.name.length));
      for (const f of r.files) out.push(`  ${f.name.padEnd(width)}  ${formatBytes(f.bytes).padStart(10)}`);
      const ch = r.finalChannels;
      const show = ["objective", "reconstruction_error", "learning_rate"].filter((k) => k in ch);
      if (show.length) out.push(`final ${show.map((k) => `${k} ${ch[k].toPrecision(4)}`).join(", ")} after ${r.epochs} epochs`);
      out.push(`Look at ${r.weightsPng} (the learned filters) and ${r.monitorPng} (the training curves).`);
      process.stdout.write(out.join("\n") + "\n");
    });
}

function positiveInt(flag: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s.trim()) || Number(s) < 1) throw new UsageError(`${flag} must be a positive integer, got '${s}'`);
  return Number(s);
}
