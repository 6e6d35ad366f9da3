import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const SHARED_DATA = resolve(ROOT, "../shared/data");
export const DL_BIN = resolve(ROOT, "bin/dl.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `dl ARGS...` as a real child process (dist/ is built by test/global-setup.ts). */
export function runDl(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [DL_BIN, ...args], {
    encoding: "utf8",
    timeout: 120_000,
    ...opts,
    env: { ...process.env, NO_COLOR: "1", ...(opts.env ?? {}) },
  });
  return { code: r.status ?? -1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}
