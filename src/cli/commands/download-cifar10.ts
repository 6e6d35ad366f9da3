import type { Command } from "commander";
import { fetchCifar10 } from "../../data/fetch-cifar10.js";
import { describeDataDirSource, resolveDataDirWithSource } from "../../data/data-dir.js";
import { createProgress } from "../../io/download-progress.js";

/** `dl download-cifar10`: fetch, verify and install CIFAR-10's binary batches in the data folder. */
export function downloadCifar10Command(program: Command): void {
  program
    .command("download-cifar10")
    .description("download CIFAR-10 (binary version), verify every file's sha256, install it in <data>/cifar10/cifar-10-batches-bin")
    .option("--data-dir <dir>", "data folder (default: DL_DATA_PATH, PYLEARN2_DATA_PATH, $XDG_CACHE_HOME/dl, ~/.cache/dl)")
    .option("--from <url|file|dir>", "another URL of cifar-10-binary.tar.gz, a local copy of it, or a folder holding the batch files (offline)")
    .option("--force", "fetch again even if a verified copy is present")
    .action(async (o: { dataDir?: string; from?: string; force?: boolean }) => {
      const where = resolveDataDirWithSource({ dataDir: o.dataDir });
      process.stdout.write(`data folder: ${where.dir} (${describeDataDirSource(where)})\n`);
      const r = await fetchCifar10({
        dataDir: where.dir,
        from: o.from,
        force: o.force,
        download: {
          progress: createProgress(process.stderr, "cifar-10-binary.tar.gz"),
          log: (line) => process.stderr.write(`dl: ${line}\n`),
        },
        log: (line) => process.stdout.write(`${line}\n`),
      });
      for (const w of r.warnings) process.stderr.write(`dl: warning: ${w}\n`);
      if (r.status === "present") {
        process.stdout.write(`CIFAR-10 is already present and verified in ${r.folder} (${r.verified.length} files); use --force to fetch it again\n`);
      } else {
        const how = { downloaded: "downloaded", unpacked: "unpacked", copied: "copied" }[r.status];
        process.stdout.write(`CIFAR-10 ${how} and verified (${r.verified.length} files, sha256): ${r.folder}\n`);
      }
    });
}
