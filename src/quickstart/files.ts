import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export interface MadeFile {
  name: string;
  bytes: number;
}

/** The plain files directly in `dir`, sorted by name, with their sizes (what the quickstart lists at the end). */
export function listFiles(dir: string): MadeFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => ({ name: e.name, bytes: statSync(join(dir, e.name)).size }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
