/**
 * A minimal PNG encoder (8-bit grayscale or RGB) on node:zlib, and the tiling of sample images into a
 * grid. Enough for sample grids; no image library needed in the trainer or in genlab/log.
 */
import * as zlib from 'node:zlib';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes a width*height image of `channels` bytes per pixel (1: grayscale, 3: RGB), row-major, as PNG. */
function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, channels === 1 ? 0 : 2, 0, 0, 0], 8); // bit depth 8, colour type 0 (grey) or 2 (RGB), default methods
  const row = width * channels;
  // Each row starts with its filter type, 0 (none).
  const raw = Buffer.alloc((row + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * row, (y + 1) * row), y * (row + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Encodes a width*height grayscale image (bytes 0..255, row-major) as PNG. */
export function encodeGrayPng(gray: Uint8Array, width: number, height: number): Buffer {
  return encodePng(gray, width, height, 1);
}

/** Encodes a width*height RGB image (3 bytes per pixel, row-major) as PNG. */
export function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Buffer {
  return encodePng(rgb, width, height, 3);
}

const GAP = 2;

/** `count` images of width x height x channels values in [0, 1], one after another, `cols` across. */
export interface PixelGrid {
  pixels: ArrayLike<number>;
  count: number;
  cols: number;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** Tiles the grid's images with a 2-pixel dark gap; returns the PNG (grey or RGB, as the images) and its pixel size. */
export function gridToPng(grid: PixelGrid): { png: Buffer; width: number; height: number; rows: number } {
  const rows = Math.ceil(grid.count / grid.cols);
  const width = grid.cols * (grid.width + GAP) + GAP;
  const height = rows * (grid.height + GAP) + GAP;
  const c = grid.channels;
  const out = new Uint8Array(width * height * c);
  const line = grid.width * c;
  const cell = grid.height * line;
  for (let i = 0; i < grid.count; i++) {
    const x0 = GAP + (i % grid.cols) * (grid.width + GAP);
    const y0 = GAP + Math.floor(i / grid.cols) * (grid.height + GAP);
    for (let y = 0; y < grid.height; y++) {
      const to = ((y0 + y) * width + x0) * c;
      for (let k = 0; k < line; k++) out[to + k] = Math.round(Math.min(1, Math.max(0, grid.pixels[i * cell + y * line + k])) * 255);
    }
  }
  return { png: encodePng(out, width, height, c), width, height, rows };
}
