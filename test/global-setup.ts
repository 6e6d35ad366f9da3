import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

/**
 * CLI tests run the real `bin/dl.js`, which loads dist/. Build once before any test file runs so
 * they exercise the current sources, not whatever dist/ an earlier build left.
 */
export default function setup(): void {
  const root = resolve(import.meta.dirname, "..");
  execFileSync(process.execPath, [resolve(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
}
