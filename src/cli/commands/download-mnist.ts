import type { Command } from "commander";
import { fetchMnist } from "../../data/fetch-mnist.js";
import { describeDataDirSource, resolveDataDirWithSource } from "../../data/data-dir.js";
import { createProgress } from "../../io/download-progress.js";

/** `dl download-mnist`: fetch and verify MNIST's four IDX files into <data>/mnist. */
export function downloadMnistCommand(program: Command): void {
  program
    .command("download-mnist")
    .description("download MNIST's four IDX files, verify them against the published checksums, install them in <data>/mnist")
    .option("--data-dir <dir>", "data folder (default: DL_DATA_PATH, PYLEARN2_DATA_PATH, $XDG_CACHE_HOME/dl, ~/.cache/dl)")
    .option("--from <url|file|dir>", "another base URL of the .gz files, a tar(.gz) holding them, or a folder holding them (gzipped or not)")
    .option("--force", "fetch again even if verified copies are present")
    .action(async (o: { dataDir?: string; from?: string; force?: boolean }) => {
      const where = resolveDataDirWithSource({ dataDir: o.dataDir });
      process.stdout.write(`data folder: ${where.dir} (${describeDataDirSource(where)})\n`);
      const r = await fetchMnist({
        dataDir: where.dir,
        from: o.from,
        force: o.force,
        download: (file) => ({
          progress: createProgress(process.stderr, file),
          log: (line) => process.stderr.write(`dl: ${line}\n`),
        }),
        log: (line) => process.stdout.write(`${line}\n`),
      });
      if (r.status === "present") {
        process.stdout.write(`MNIST is already present and verified in ${r.folder}; use --force to fetch it again\n`);
      } else {
        process.stdout.write(`MNIST ${r.status} and verified (4 files): ${r.folder}\n`);
      }
    });
}
