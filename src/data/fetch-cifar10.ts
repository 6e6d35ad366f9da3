import { copyFileSync, constants, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { DlError } from "../util/errors.js";
import { downloadToFile, type DownloadOptions } from "../io/download.js";
import { extractTar } from "../io/tar-extract.js";
import { CIFAR10_SHA256 } from "./checksums.js";
import { cifar10Folder, CIFAR10_TEST_FILE, CIFAR10_TEST_PREFIX_FILE } from "./cifar10.js";
import { resolveDataDirWithSource } from "./data-dir.js";
import { classifySource, describeMismatches, findFolderWith, installFolder, removeStale, verifyFiles } from "./fetch-common.js";

export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
const ARCHIVE_NAME = "cifar-10-binary.tar.gz";
/** Files without a published checksum that are carried along when present. */
const EXTRAS = ["batches.meta.txt", "readme.html", CIFAR10_TEST_PREFIX_FILE];

export interface FetchCifar10Options {
  dataDir?: string;
  /** URL of a .tar.gz, a local archive, or a folder holding the batch files. Default: the official URL. */
  from?: string;
  /** Fetch again even if a verified copy is present. */
  force?: boolean;
  /** File name -> sha256 that must all be in an archive (default: the published table). */
  hashes?: Record<string, string>;
  /** Names in `hashes` that a `--from` folder may lack (default: the test batch, absent from partial copies). */
  optionalInFolder?: string[];
  download?: DownloadOptions;
  /** Status lines for the user ("verifying...", warnings). */
  log?: (line: string) => void;
}

export interface FetchResult {
  folder: string;
  status: "present" | "downloaded" | "unpacked" | "copied";
  /** Verified files now in the folder. */
  verified: string[];
  warnings: string[];
}

/**
 * `dl download-cifar10`: fetch, unpack, verify and install CIFAR-10's binary batches in
 * `<data>/cifar10/cifar-10-batches-bin/`. Work happens in a temporary folder beside the target,
 * renamed into place only after every checksum matched; the download resumes from its `.part`.
 */
export async function fetchCifar10(opts: FetchCifar10Options = {}): Promise<FetchResult> {
  const log = opts.log ?? (() => {});
  const hashes = opts.hashes ?? CIFAR10_SHA256;
  const optional = new Set(opts.optionalInFolder ?? [CIFAR10_TEST_FILE]);
  const dataDir = opts.dataDir ? { dir: opts.dataDir, source: "--data-dir" as const } : resolveDataDirWithSource();
  const folder = cifar10Folder(dataDir.dir);
  const parent = join(dataDir.dir, "cifar10");
  const warnings: string[] = [];

  if (!opts.force && existsSync(folder)) {
    const present = Object.fromEntries(Object.entries(hashes).filter(([f]) => !optional.has(f) || existsSync(join(folder, f))));
    const bad = await verifyFiles(folder, present);
    if (bad.length === 0) return { folder, status: "present", verified: Object.keys(present), warnings };
    log(`the copy in ${folder} does not verify (${describeMismatches(bad)}); fetching it again`);
  }

  const source = classifySource(opts.from ?? CIFAR10_URL);
  mkdirSync(parent, { recursive: true });
  removeStale(parent, /^(\.cifar-10-batches-bin\.tmp|\.cifar-10-batches-bin\.ready|cifar-10-batches-bin\.old)-(\d+)$/);
  const tmp = join(parent, `.cifar-10-batches-bin.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  let downloaded: string | undefined;
  try {
    let filesDir: string;
    let required = Object.keys(hashes);
    if (source.kind === "dir") {
      const src = findFolderWith(source.path, Object.keys(hashes)[0]) ?? source.path;
      for (const name of [...Object.keys(hashes), ...EXTRAS]) {
        if (existsSync(join(src, name))) copyFileSync(join(src, name), join(tmp, name), constants.COPYFILE_FICLONE);
      }
      required = required.filter((f) => !optional.has(f) || existsSync(join(src, f)));
      filesDir = tmp;
    } else {
      let archive: string;
      if (source.kind === "url") {
        archive = join(parent, basename(new URL(source.url).pathname) || ARCHIVE_NAME);
        rmSync(archive, { force: true }); // a complete archive left by a crashed run is fetched again; its .part resumes
        await downloadToFile(source.url, archive, opts.download);
        downloaded = archive;
      } else {
        archive = source.path;
      }
      const unpacked = join(tmp, "unpacked");
      mkdirSync(unpacked);
      await extractTar(archive, unpacked);
      const found = findFolderWith(unpacked, Object.keys(hashes)[0]);
      if (!found) {
        throw new DlError(`${archive} does not contain CIFAR-10's ${Object.keys(hashes)[0]} (is it cifar-10-binary.tar.gz, the binary version?)`);
      }
      filesDir = found;
    }
    const expected = Object.fromEntries(required.map((f) => [f, hashes[f]]));
    log(`verifying ${required.length} files (sha256)`);
    const bad = await verifyFiles(filesDir, expected);
    if (bad.length) {
      const what = source.kind === "url" ? "the download is corrupt; run the command again" : `the files in ${opts.from} are not the official CIFAR-10 batches`;
      throw new DlError(`CIFAR-10 verification failed (${describeMismatches(bad)}): ${what}. Nothing was installed.`);
    }
    for (const f of Object.keys(hashes)) {
      if (!required.includes(f)) {
        const partial = existsSync(join(filesDir, CIFAR10_TEST_PREFIX_FILE)) ? ` (only ${CIFAR10_TEST_PREFIX_FILE}, the first 1000 test records, is there)` : "";
        warnings.push(`${opts.from} has no ${f}: CIFAR10(which_set: test) will not have the full test set${partial}`);
      }
    }
    // The unpacked folder moves out of tmp by rename (same file system): no second copy of 180 MB.
    const final = filesDir === tmp ? tmp : join(parent, `.cifar-10-batches-bin.ready-${process.pid}`);
    if (filesDir !== tmp) {
      rmSync(final, { recursive: true, force: true });
      renameSync(filesDir, final);
    }
    installFolder(final, folder);
    if (downloaded) rmSync(downloaded, { force: true });
    return {
      folder,
      status: source.kind === "url" ? "downloaded" : source.kind === "file" ? "unpacked" : "copied",
      verified: required,
      warnings,
    };
  } catch (err) {
    // A bad archive must not be resumed or reused: drop it so the next run starts clean.
    if (downloaded) rmSync(downloaded, { force: true });
    throw err;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(join(parent, `.cifar-10-batches-bin.ready-${process.pid}`), { recursive: true, force: true });
  }
}
