/**
 * Reader for the IDX format that MNIST and Fashion-MNIST ship in: a 4-byte magic number
 * (two zero bytes, an element-type byte, a rank byte), one big-endian uint32 per dimension,
 * then the elements. Gzip-compressed files (as Debian ships them) are inflated transparently,
 * recognised by their content rather than by a `.gz` name.
 */
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/** The element-type byte for unsigned bytes, the only type the image datasets use. */
const UBYTE = 0x08;

export interface IdxUbyte {
  dims: number[];
  /** Row-major elements; a view into the file's bytes, so it is not a copy. */
  data: Uint8Array;
}

/**
 * Decodes an uncompressed IDX file of unsigned bytes whose rank is `rank` (3 for images,
 * 1 for labels). `file` is only used to name the culprit in errors.
 */
export function parseIdx(bytes: Uint8Array, file: string, rank: number): IdxUbyte {
  if (bytes.length < 4) throw new Error(`${file}: not an IDX file: only ${bytes.length} bytes, too short for the 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const expected = (UBYTE << 8) | rank;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${file}: not an IDX file: magic number is 0x${hex(magic)}, expected 0x${hex(expected)} (idx${rank}, unsigned bytes)`);
  }
  if (bytes[2] !== UBYTE) {
    throw new Error(`${file}: IDX element type 0x${bytes[2].toString(16).padStart(2, '0')} is not supported; only unsigned bytes (0x08) are`);
  }
  if (bytes[3] !== rank) {
    throw new Error(`${file}: expected an idx${rank} file (${rank} dimensions) but its magic number 0x${hex(magic)} declares ${bytes[3]}`);
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw new Error(`${file}: truncated IDX header: ${bytes.length} bytes, the header alone needs ${headerLength}`);
  }
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerLength;
  if (available !== count) {
    const what = available < count ? 'truncated' : 'has trailing bytes';
    throw new Error(`${file}: ${what}: the header declares ${dims.join('x')} = ${count} bytes of data but the file holds ${available}; the file is damaged, reinstall it`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Reads and decodes an IDX file, inflating it first if it is gzip-compressed. */
export async function readIdx(file: string, rank: number): Promise<IdxUbyte> {
  let bytes: Uint8Array = await readFile(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (err) {
      throw new Error(`${file}: cannot decompress its gzip data (${(err as Error).message}); the file is damaged or truncated, reinstall it`);
    }
  }
  return parseIdx(bytes, file, rank);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
