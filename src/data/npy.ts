import { readFileSync } from "node:fs";
import { FileFormatError } from "../util/errors.js";

/**
 * NumPy `.npy` files (format versions 1-3): magic `\x93NUMPY`, version, a little header length,
 * a Python-literal dict `{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }`, then the
 * raw data. dl reads C-order arrays of float32/64, (u)int8/16/32/64 and bool, converting to float32.
 */
export interface NpyArray {
  shape: number[];
  /** Values as float32, C order. */
  data: Float32Array;
  /** The stored dtype, e.g. `<f4`. */
  descr: string;
}

export function readNpy(path: string): NpyArray {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileFormatError(code === "ENOENT" ? `${path}: no such file` : `${path}: cannot read (${code})`);
  }
  return parseNpy(buf, path);
}

export function parseNpy(buf: Buffer, path = "<npy>"): NpyArray {
  const bad = (why: string) => new FileFormatError(`${path} is not a readable .npy file: ${why}`);
  if (buf.length < 10 || buf.toString("latin1", 0, 6) !== "\x93NUMPY") throw bad("missing the \\x93NUMPY magic");
  const major = buf[6];
  let hlen: number;
  let hstart: number;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    hstart = 10;
  } else if (major === 2 || major === 3) {
    hlen = buf.readUInt32LE(8);
    hstart = 12;
  } else throw bad(`format version ${major} is unknown`);
  const header = buf.toString(major === 3 ? "utf8" : "latin1", hstart, hstart + hlen);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad(`header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  if (fortran === "True") throw bad("Fortran-ordered arrays are not supported; save with np.ascontiguousarray(a)");
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.some((v) => !Number.isInteger(v) || v < 0)) throw bad(`shape (${shapeText}) is not a tuple of sizes`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = hstart + hlen;
  const kind = descr.replace(/^[<>|=]/, "");
  const bigEndian = descr.startsWith(">");
  const size: Record<string, number> = { f4: 4, f8: 8, i1: 1, u1: 1, b1: 1, i2: 2, u2: 2, i4: 4, u4: 4, i8: 8, u8: 8 };
  const bytes = size[kind];
  if (!bytes) throw bad(`dtype ${descr} is not supported (use float32/float64/integers/bool)`);
  if (buf.length - dataStart < count * bytes) throw bad(`it holds ${buf.length - dataStart} data bytes, shape ${JSON.stringify(shape)} needs ${count * bytes} (truncated?)`);
  const dv = new DataView(buf.buffer, buf.byteOffset + dataStart, count * bytes);
  const le = !bigEndian;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const o = i * bytes;
    switch (kind) {
      case "f4": out[i] = dv.getFloat32(o, le); break;
      case "f8": out[i] = dv.getFloat64(o, le); break;
      case "i1": out[i] = dv.getInt8(o); break;
      case "u1": case "b1": out[i] = dv.getUint8(o); break;
      case "i2": out[i] = dv.getInt16(o, le); break;
      case "u2": out[i] = dv.getUint16(o, le); break;
      case "i4": out[i] = dv.getInt32(o, le); break;
      case "u4": out[i] = dv.getUint32(o, le); break;
      case "i8": out[i] = Number(dv.getBigInt64(o, le)); break;
      case "u8": out[i] = Number(dv.getBigUint64(o, le)); break;
    }
  }
  return { shape, data: out, descr };
}
