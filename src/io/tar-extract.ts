import { createReadStream, closeSync, openSync, readSync } from "node:fs";
import { createGunzip } from "node:zlib";
import { x as tarExtract } from "tar";
import { FileFormatError } from "../util/errors.js";

/**
 * Streams a .tar or .tar.gz (detected by content) through gunzip and tar into `destDir`,
 * dropping the first `strip` path components. Only regular files and folders are written;
 * absolute paths and `..` are refused by tar. A truncated or damaged archive is a
 * FileFormatError naming the file.
 */
export async function extractTar(archive: string, destDir: string, opts: { strip?: number } = {}): Promise<string[]> {
  const gz = isGzip(archive);
  const written: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const unpack = tarExtract({
      cwd: destDir,
      strip: opts.strip ?? 0,
      strict: true,
      filter: (_path, entry) => {
        const type = (entry as { type?: string }).type;
        return type === "File" || type === "OldFile" || type === "Directory";
      },
      onReadEntry: (entry) => {
        if (entry.type === "File" || entry.type === "OldFile") written.push(entry.path);
      },
    });
    const input = createReadStream(archive);
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      input.destroy();
      const why = (e as NodeJS.ErrnoException).code === "Z_BUF_ERROR" ? "it ends early (truncated download?)" : e.message;
      reject(new FileFormatError(`${archive}: cannot unpack the archive: ${why}`));
    };
    input.on("error", fail);
    unpack.on("error", fail);
    unpack.on("close", () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    if (gz) {
      const gunzip = createGunzip();
      gunzip.on("error", fail);
      input.pipe(gunzip).pipe(unpack);
    } else {
      input.pipe(unpack);
    }
  });
  return written;
}

function isGzip(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}
