import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { FileFormatError } from "../util/errors.js";

/**
 * IDX files (MNIST's format): big-endian magic 0x00 0x00 <type> <ndim>, then ndim big-endian
 * uint32 sizes, then the data. MNIST uses type 0x08 (uint8): images 2051 (3 dims), labels 2049
 * (1 dim). Gzip-compressed files are recognised by their magic bytes, whatever their name.
 */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

export function readIdx(path: string): IdxArray {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileFormatError(code === "ENOENT" ? `${path}: no such file` : `${path}: cannot read (${code})`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new FileFormatError(`${path}: gzip data is damaged or truncated (${(err as Error).message}); fetch it again`);
    }
  }
  return parseIdx(buf, path);
}

export function parseIdx(buf: Uint8Array, path = "<idx>"): IdxArray {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new FileFormatError(`${path} is not an IDX file (bad magic number)`);
  const type = buf[2];
  const ndim = buf[3];
  if (type !== 0x08) throw new FileFormatError(`${path}: IDX element type 0x${type.toString(16)} is not supported (dl reads uint8 IDX files)`);
  if (ndim < 1 || buf.length < 4 + 4 * ndim) throw new FileFormatError(`${path}: IDX header is truncated`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (buf.length - start !== count) {
    throw new FileFormatError(
      `${path}: IDX header promises ${shape.join(" x ")} = ${count} values but the file holds ${buf.length - start} (truncated or damaged)`,
    );
  }
  return { shape, data: buf.subarray(start, start + count) };
}
