import { copyFileSync, constants, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DlError } from "../util/errors.js";
import { downloadToFile, type DownloadOptions } from "../io/download.js";
import { extractTar } from "../io/tar-extract.js";
import { MNIST_GZ_SHA256, MNIST_RAW_MD5, hashFile } from "./checksums.js";
import { resolveDataDirWithSource } from "./data-dir.js";
import { classifySource, findFolderWith, removeStale } from "./fetch-common.js";
import { mnistFolder, MNIST_FILES } from "./mnist.js";

/** PyTorch's S3 mirror of the original files (yann.lecun.com no longer serves them reliably). */
export const MNIST_BASE_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/";

export interface FetchMnistOptions {
  dataDir?: string;
  /** Base URL of the four .gz files, a URL or path of a tar(.gz) holding them, or a folder holding them (gzipped or not). */
  from?: string;
  force?: boolean;
  /** `<name>.gz` -> sha256 (default: the published files). */
  gzSha256?: Record<string, string>;
  /** `<name>` -> md5 of the uncompressed file (default: the published values). */
  rawMd5?: Record<string, string>;
  /** Progress per file, by file name. */
  download?: (file: string) => DownloadOptions;
  log?: (line: string) => void;
}

export interface FetchMnistResult {
  folder: string;
  status: "present" | "downloaded" | "copied" | "unpacked";
  /** Files now in place, each verified. */
  files: string[];
}

const NAMES = Object.values(MNIST_FILES);

/**
 * `dl download-mnist`: the four IDX files into `<data>/mnist/`. Each file arrives under a
 * temporary name, is checked (sha256 of the .gz, or md5 of an uncompressed copy) and only then
 * renamed into place; downloads resume from their `.part`.
 */
export async function fetchMnist(opts: FetchMnistOptions = {}): Promise<FetchMnistResult> {
  const log = opts.log ?? (() => {});
  const gzSha = opts.gzSha256 ?? MNIST_GZ_SHA256;
  const rawMd5 = opts.rawMd5 ?? MNIST_RAW_MD5;
  const dataDir = opts.dataDir ? opts.dataDir : resolveDataDirWithSource().dir;
  const folder = mnistFolder(dataDir);

  /** Is `path` (named as `name` or `name.gz`) one of the published files? */
  const verify = async (path: string, name: string, gz: boolean): Promise<string | undefined> => {
    const expected = gz ? gzSha[`${name}.gz`] : rawMd5[name];
    const actual = await hashFile(path, gz ? "sha256" : "md5");
    return actual === expected ? undefined : `${name}${gz ? ".gz" : ""}: ${gz ? "sha256" : "md5"} is ${actual.slice(0, 16)}..., expected ${String(expected).slice(0, 16)}...`;
  };
  const presentOk = async (name: string): Promise<boolean> => {
    for (const gz of [true, false]) {
      const p = join(folder, gz ? `${name}.gz` : name);
      if (existsSync(p) && (await verify(p, name, gz)) === undefined) return true;
    }
    return false;
  };

  const todo: string[] = [];
  for (const name of NAMES) if (opts.force || !(await presentOk(name))) todo.push(name);
  if (todo.length === 0) return { folder, status: "present", files: NAMES.map((n) => n) };
  mkdirSync(folder, { recursive: true });
  removeStale(folder, /^\.(.+\.tmp|unpack)-(\d+)$/);

  /** Verifies `src` and moves/copies it into place as `name[.gz]`, removing the other form. */
  const install = async (src: string, name: string, gz: boolean, move: boolean) => {
    const tmp = join(folder, `.${name}${gz ? ".gz" : ""}.tmp-${process.pid}`);
    if (move) renameSync(src, tmp);
    else copyFileSync(src, tmp, constants.COPYFILE_FICLONE);
    const bad = await verify(tmp, name, gz);
    if (bad) {
      rmSync(tmp, { force: true });
      throw new DlError(`MNIST verification failed (${bad}); nothing was installed for this file`);
    }
    renameSync(tmp, join(folder, gz ? `${name}.gz` : name));
    rmSync(join(folder, gz ? name : `${name}.gz`), { force: true }); // one form per file, so readers never see a stale twin
  };

  const source = classifySource(opts.from ?? MNIST_BASE_URL);
  const isArchive = (s: string) => /\.(tar|tar\.gz|tgz)$/i.test(s);
  if (source.kind === "url" && !isArchive(new URL(source.url).pathname)) {
    const base = source.url.endsWith("/") ? source.url : `${source.url}/`;
    for (const name of todo) {
      const dl = join(folder, `${name}.gz.download`);
      await downloadToFile(`${base}${name}.gz`, dl, opts.download?.(`${name}.gz`));
      await install(dl, name, true, true).catch((err) => {
        rmSync(dl, { force: true });
        throw err;
      });
    }
    return { folder, status: "downloaded", files: NAMES.map((n) => n) };
  }

  let root: string;
  let scratch: string | undefined;
  if (source.kind === "dir") {
    root = source.path;
  } else {
    // An archive URL downloads beside the folder (so an interrupted download resumes), then unpacks to scratch.
    const archive = source.kind === "file" ? source.path : join(folder, "mnist-archive.download");
    if (source.kind === "url") await downloadToFile(source.url, archive, opts.download?.("archive"));
    scratch = join(folder, `.unpack-${process.pid}`);
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch);
    root = scratch;
    try {
      await extractTar(archive, root);
    } catch (err) {
      rmSync(scratch, { recursive: true, force: true });
      throw err;
    } finally {
      if (source.kind === "url") rmSync(archive, { force: true });
    }
  }
  try {
    for (const name of todo) {
      const dirGz = findFolderWith(root, `${name}.gz`);
      const dirRaw = findFolderWith(root, name);
      if (!dirGz && !dirRaw) throw new DlError(`${opts.from} has no ${name} or ${name}.gz`);
      const gz = !!dirGz;
      await install(join((dirGz ?? dirRaw)!, gz ? `${name}.gz` : name), name, gz, false);
      log(`${name}${gz ? ".gz" : ""}: verified`);
    }
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  return { folder, status: source.kind === "dir" ? "copied" : "unpacked", files: NAMES.map((n) => n) };
}
