import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../util/errors.js";
import { hashFile } from "./checksums.js";

/** Where `--from` points: a URL, an archive file, or a folder of already-extracted files. */
export type FetchSource = { kind: "url"; url: string } | { kind: "file"; path: string } | { kind: "dir"; path: string };

export function classifySource(from: string): FetchSource {
  if (/^https?:\/\//i.test(from)) return { kind: "url", url: from };
  const path = resolve(from);
  if (!existsSync(path)) throw new UsageError(`--from ${from}: no such file or folder (give a URL, an archive, or a folder holding the files)`);
  return statSync(path).isDirectory() ? { kind: "dir", path } : { kind: "file", path };
}

/** The folder under `root` (itself, or up to two levels down) that holds `name`, if any: archives differ in their top folder. */
export function findFolderWith(root: string, name: string, depth = 2): string | undefined {
  if (existsSync(join(root, name))) return root;
  if (depth === 0) return undefined;
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const found = findFolderWith(join(root, entry.name), name, depth - 1);
    if (found) return found;
  }
  return undefined;
}

/** Puts the verified folder `tmp` at `dest`, replacing what was there, with renames only (never a half-filled dest). */
export function installFolder(tmp: string, dest: string): void {
  const old = `${dest}.old-${process.pid}`;
  if (existsSync(dest)) renameSync(dest, old);
  try {
    renameSync(tmp, dest);
  } catch (err) {
    if (existsSync(old)) renameSync(old, dest);
    throw err;
  }
  rmSync(old, { recursive: true, force: true });
}

export interface Mismatch {
  file: string;
  expected: string;
  actual: string | undefined;
}

/** Checks each named file in `folder` against its expected digest; missing files are reported with actual undefined. */
export async function verifyFiles(folder: string, expected: Record<string, string>, algorithm: "sha256" | "md5" = "sha256"): Promise<Mismatch[]> {
  const bad: Mismatch[] = [];
  for (const [file, digest] of Object.entries(expected)) {
    const p = join(folder, file);
    if (!existsSync(p)) {
      bad.push({ file, expected: digest, actual: undefined });
      continue;
    }
    const actual = await hashFile(p, algorithm);
    if (actual !== digest.toLowerCase()) bad.push({ file, expected: digest, actual });
  }
  return bad;
}

/** "data_batch_1.bin: sha256 is 1a2b3c4d..., expected cee91656..." lines. */
export function describeMismatches(bad: Mismatch[], algorithm = "sha256"): string {
  return bad
    .map((m) => (m.actual === undefined ? `${m.file}: missing` : `${m.file}: ${algorithm} is ${m.actual.slice(0, 16)}..., expected ${m.expected.slice(0, 16)}...`))
    .join("; ");
}

/** Whether a process with this id is running (so its temp folder is still in use). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes temp folders/files in `dir` named `<something>-<pid>` by `pattern` (whose last group is
 * the pid) that a killed run (Ctrl-C) left behind, so they do not pile up; live runs' are kept.
 */
export function removeStale(dir: string, pattern: RegExp): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const m = pattern.exec(name);
    if (m && !alive(Number(m[m.length - 1]))) rmSync(join(dir, name), { recursive: true, force: true });
  }
}
