import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import { FileFormatError } from "../util/errors.js";
import { writeFileAtomic } from "./atomic.js";

/** An 8-bit image, row-major; `channels` 1 (grey), 3 (RGB) or 4 (RGBA). */
export interface PixelImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/**
 * Encodes an image as PNG bytes in the colour type that matches its channels: grey (0), RGB (2)
 * or RGBA (6). Plots are RGB without alpha, so viewers never show a checkerboard behind them;
 * greyscale filter grids are true greyscale PNGs.
 */
export function encodePng(img: PixelImage): Uint8Array {
  const { width, height, channels, data } = img;
  if (data.length !== width * height * channels) {
    throw new Error(`encodePng: ${data.length} bytes for a ${width}x${height}x${channels} image`);
  }
  const colorType = COLOR_TYPE[channels];
  // Same input and output colour type: pngjs writes the bytes as they are, no conversion.
  const buf = PNG.sync.write(
    { width, height, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) } as PNG,
    { colorType, inputColorType: colorType, inputHasAlpha: channels === 4 },
  );
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

const COLOR_TYPE = { 1: 0, 3: 2, 4: 6 } as const;

/** Writes an image as a PNG file through a temp file and rename (src/io/atomic.ts). */
export function writePng(path: string, img: PixelImage): void {
  writeFileAtomic(path, encodePng(img));
}

/** Decodes PNG bytes into RGBA (whatever colour type the file uses). */
export function decodePng(bytes: Uint8Array, name = "PNG data"): PixelImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new FileFormatError(`${name} is not a readable PNG: ${(err as Error).message}`);
  }
  return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data) };
}

export function readPng(path: string): PixelImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new FileFormatError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
  return decodePng(bytes, path);
}
