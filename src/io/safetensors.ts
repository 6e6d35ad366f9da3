import { closeSync, openSync, readSync, fstatSync } from "node:fs";
import { FileFormatError } from "../util/errors.js";
import { writeFileAtomic } from "./atomic.js";

/**
 * safetensors containers (https://huggingface.co/docs/safetensors): u64 little-endian header
 * length, a JSON header `{name: {dtype, shape, data_offsets}, __metadata__: {string: string}}`,
 * then raw little-endian tensor bytes. Every dl model, checkpoint and dataset file is one of
 * these, whatever its extension, so Python can read them with `safetensors.numpy.load_file`.
 */
export type SafeDtype = "F32" | "F64" | "I32" | "I64" | "U8";
export type SafeArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  data: SafeArray;
}

export interface SafeFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafeDtype, number> = { F32: 4, F64: 8, I32: 4, I64: 8, U8: 1 };

function dtypeOf(a: SafeArray): SafeDtype {
  if (a instanceof Float32Array) return "F32";
  if (a instanceof Float64Array) return "F64";
  if (a instanceof Int32Array) return "I32";
  if (a instanceof BigInt64Array) return "I64";
  return "U8";
}

/** Serialises tensors and metadata into safetensors bytes (header padded to 8 bytes, as the spec recommends). */
export function encodeSafetensors(
  tensors: Record<string, { shape: readonly number[]; data: SafeArray }>,
  metadata: Record<string, string> = {},
): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new Error(`safetensors: tensor ${name} has shape [${t.shape}] but ${t.data.length} values`);
    }
    const nbytes = t.data.byteLength;
    header[name] = { dtype: dtypeOf(t.data), shape: [...t.shape], data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  let json = JSON.stringify(header);
  const pad = (8 - ((Buffer.byteLength(json) + 8) % 8)) % 8;
  json += " ".repeat(pad);
  const headerBytes = Buffer.from(json, "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.length));
  const chunks: Uint8Array[] = [len, headerBytes];
  for (const name of names) {
    const d = tensors[name].data;
    // Node and every platform dl targets are little-endian, so the typed array's bytes are the file's bytes.
    chunks.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return chunks;
}

export function writeSafetensors(
  path: string,
  tensors: Record<string, { shape: readonly number[]; data: SafeArray }>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads only the JSON header: cheap for `dl info` and for deciding what kind of file this is. */
export function readSafetensorsHeader(path: string): { header: Record<string, unknown>; dataStart: number; fileSize: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileFormatError(code === "ENOENT" ? `${path}: no such file` : `${path}: cannot open (${code})`);
  }
  try {
    const size = fstatSync(fd).size;
    const lenBuf = Buffer.alloc(8);
    if (size < 8 || readSync(fd, lenBuf, 0, 8, 0) !== 8) throw notDl(path, "too short to be a dl file");
    const hlen = Number(lenBuf.readBigUInt64LE());
    if (!Number.isSafeInteger(hlen) || hlen < 2 || hlen > 100_000_000 || 8 + hlen > size) {
      throw notDl(path, "its header length is impossible (truncated, or not a safetensors file)");
    }
    const hbuf = Buffer.alloc(hlen);
    readSync(fd, hbuf, 0, hlen, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(hbuf.toString("utf8")) as Record<string, unknown>;
    } catch {
      throw notDl(path, "its header is not valid JSON");
    }
    if (header === null || typeof header !== "object" || Array.isArray(header)) throw notDl(path, "its header is not an object");
    return { header, dataStart: 8 + hlen, fileSize: size };
  } finally {
    closeSync(fd);
  }
}

export function readSafetensors(path: string): SafeFile {
  const { header, dataStart, fileSize } = readSafetensorsHeader(path);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors = new Map<string, SafeTensor>();
  const fd = openSync(path, "r");
  try {
    for (const [name, raw] of Object.entries(header)) {
      if (name === "__metadata__") continue;
      const info = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
      const dtype = info.dtype as SafeDtype;
      if (!(dtype in BYTES) || !Array.isArray(info.shape) || !Array.isArray(info.data_offsets)) {
        throw notDl(path, `tensor ${name} has an unsupported or malformed entry`);
      }
      const [begin, end] = info.data_offsets;
      const count = info.shape.reduce((a, b) => a * b, 1);
      if (end - begin !== count * BYTES[dtype] || dataStart + end > fileSize || begin < 0) {
        throw notDl(path, `tensor ${name} runs past the end of the file (truncated?)`);
      }
      const bytes = new Uint8Array(end - begin);
      let got = 0;
      while (got < bytes.length) {
        const n = readSync(fd, bytes, got, bytes.length - got, dataStart + begin + got);
        if (n === 0) throw notDl(path, `tensor ${name} is truncated`);
        got += n;
      }
      tensors.set(name, { dtype, shape: info.shape, data: view(dtype, bytes.buffer) });
    }
  } finally {
    closeSync(fd);
  }
  return { tensors, metadata };
}

function view(dtype: SafeDtype, buf: ArrayBuffer): SafeArray {
  switch (dtype) {
    case "F32":
      return new Float32Array(buf);
    case "F64":
      return new Float64Array(buf);
    case "I32":
      return new Int32Array(buf);
    case "I64":
      return new BigInt64Array(buf);
    case "U8":
      return new Uint8Array(buf);
  }
}

function notDl(path: string, why: string): FileFormatError {
  return new FileFormatError(`${path} is not a readable dl file: ${why}`);
}
