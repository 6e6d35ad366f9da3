import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { DlError } from "../util/errors.js";

export interface DataDirOptions {
  /** `--data-dir`, when given. */
  dataDir?: string;
  /** Environment to read (default process.env); tests pass their own. */
  env?: Record<string, string | undefined>;
}

export interface ResolvedDataDir {
  dir: string;
  /** Which setting chose it, for messages ("from DL_DATA_PATH"). */
  source: "--data-dir" | "DL_DATA_PATH" | "PYLEARN2_DATA_PATH" | "XDG_CACHE_HOME" | "home";
}

/**
 * The data folder, first that is set (DESIGN section 1): `--data-dir`, `DL_DATA_PATH`,
 * `PYLEARN2_DATA_PATH`, `$XDG_CACHE_HOME/dl`, `~/.cache/dl`. Empty values count as unset.
 */
export function resolveDataDirWithSource(opts: DataDirOptions = {}): ResolvedDataDir {
  const env = opts.env ?? process.env;
  const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== "";
  if (set(opts.dataDir)) return { dir: resolve(opts.dataDir), source: "--data-dir" };
  if (set(env.DL_DATA_PATH)) return { dir: resolve(env.DL_DATA_PATH), source: "DL_DATA_PATH" };
  if (set(env.PYLEARN2_DATA_PATH)) return { dir: resolve(env.PYLEARN2_DATA_PATH), source: "PYLEARN2_DATA_PATH" };
  if (set(env.XDG_CACHE_HOME)) return { dir: resolve(env.XDG_CACHE_HOME, "dl"), source: "XDG_CACHE_HOME" };
  return { dir: join(env.HOME && env.HOME.trim() !== "" ? env.HOME : homedir(), ".cache", "dl"), source: "home" };
}

/** The data folder as an absolute path (see `resolveDataDirWithSource`). */
export function resolveDataDir(opts: DataDirOptions = {}): string {
  return resolveDataDirWithSource(opts).dir;
}

/** How a resolved folder was chosen, in words: "from --data-dir", "from DL_DATA_PATH", "the default ~/.cache/dl". */
export function describeDataDirSource(r: ResolvedDataDir): string {
  switch (r.source) {
    case "--data-dir":
    case "DL_DATA_PATH":
    case "PYLEARN2_DATA_PATH":
      return `from ${r.source}`;
    case "XDG_CACHE_HOME":
      return "from $XDG_CACHE_HOME/dl";
    case "home":
      return "the default ~/.cache/dl";
  }
}

/**
 * The error for a dataset that is not in the data folder: names the folder searched, how it was
 * chosen, what was missing, and the command that fetches it. Exit code 1 (a runtime condition).
 */
export function missingDatasetError(what: string, searched: string, missing: string[], fetchCommand: string, dataDir?: ResolvedDataDir): DlError {
  const how = dataDir ? ` (data folder ${dataDir.dir}, ${describeDataDirSource(dataDir)})` : "";
  const files = missing.length > 3 ? `${missing.slice(0, 3).join(", ")} and ${missing.length - 3} more` : missing.join(", ");
  return new DlError(
    `${what} not found: ${searched} has no ${files}${how}. Fetch it with \`${fetchCommand}\`, ` +
      "or point --data-dir / DL_DATA_PATH at a folder that has it",
  );
}
