/**
 * Just enough of the zip format to take a few members out of a Python wheel (a zip file) without
 * pip or unzip: the central directory, zip64 sizes (the wheel's libtensorflow unpacks to more than
 * 500 MB), stored and deflated members.
 */
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  /** Unix mode bits when the archive recorded them (symlinks, executables), else 0. */
  mode: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = fs.readSync(fd, buffer, 0, length, position);
  if (read !== length) throw new Error(`the archive ends early (at ${position + read} of ${position + length} bytes)`);
  return buffer;
}

/** The central directory: where it starts, how long it is and how many entries it has (zip64 where the plain record overflows). */
function directory(fd: number, size: number): { offset: number; length: number; count: number } {
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = readAt(fd, size - tailLength, tailLength);
  let at = tail.length - 22;
  while (at >= 0 && tail.readUInt32LE(at) !== EOCD) at--;
  if (at < 0) throw new Error('not a zip archive (no end-of-directory record)');
  const plain = { count: tail.readUInt16LE(at + 10), length: tail.readUInt32LE(at + 12), offset: tail.readUInt32LE(at + 16) };
  if (plain.offset !== MAX32 && plain.count !== 0xffff) return plain;
  const locator = size - tailLength + at - 20;
  const loc = readAt(fd, locator, 20);
  if (loc.readUInt32LE(0) !== ZIP64_LOCATOR) throw new Error('a zip64 archive without its locator');
  const record = readAt(fd, Number(loc.readBigUInt64LE(8)), 56);
  if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new Error('a zip64 archive without its end-of-directory record');
  return { count: Number(record.readBigUInt64LE(32)), length: Number(record.readBigUInt64LE(40)), offset: Number(record.readBigUInt64LE(48)) };
}

export function zipEntries(file: string): ZipEntry[] {
  const fd = fs.openSync(file, 'r');
  try {
    const { offset, length, count } = directory(fd, fs.fstatSync(fd).size);
    const cd = readAt(fd, offset, length);
    const entries: ZipEntry[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (cd.readUInt32LE(at) !== CENTRAL) throw new Error(`entry ${i} of the central directory is damaged`);
      const nameLength = cd.readUInt16LE(at + 28);
      const extraLength = cd.readUInt16LE(at + 30);
      const commentLength = cd.readUInt16LE(at + 32);
      const entry: ZipEntry = {
        name: cd.toString('utf8', at + 46, at + 46 + nameLength),
        method: cd.readUInt16LE(at + 10),
        compressedSize: cd.readUInt32LE(at + 20),
        size: cd.readUInt32LE(at + 24),
        localOffset: cd.readUInt32LE(at + 42),
        mode: cd.readUInt8(at + 5) === 3 ? cd.readUInt32LE(at + 38) >>> 16 : 0,
      };
      readZip64Sizes(entry, cd.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
      entries.push(entry);
      at += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    fs.closeSync(fd);
  }
}

/** Zip64's extra field holds, in this order, whichever of the sizes and the offset overflowed 32 bits. */
function readZip64Sizes(entry: ZipEntry, extra: Buffer): void {
  for (let at = 0; at + 4 <= extra.length; at += 4 + extra.readUInt16LE(at + 2)) {
    if (extra.readUInt16LE(at) !== 0x0001) continue;
    let field = at + 4;
    for (const key of ['size', 'compressedSize', 'localOffset'] as const) {
      if (entry[key] !== MAX32) continue;
      entry[key] = Number(extra.readBigUInt64LE(field));
      field += 8;
    }
  }
}

/** Writes one member to `dest`, inflating it if it was deflated. */
export async function extractEntry(file: string, entry: ZipEntry, dest: string, signal?: AbortSignal): Promise<void> {
  if (entry.method !== 0 && entry.method !== 8) throw new Error(`${entry.name} is compressed with method ${entry.method}, which this reader does not inflate`);
  const fd = fs.openSync(file, 'r');
  let start: number;
  try {
    const local = readAt(fd, entry.localOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw new Error(`${entry.name}: its local header is damaged`);
    start = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    fs.closeSync(fd);
  }
  if (entry.compressedSize === 0) return fs.writeFileSync(dest, '');
  const source = fs.createReadStream(file, { start, end: start + entry.compressedSize - 1 });
  const out = fs.createWriteStream(dest);
  if (entry.method === 8) await pipeline(source, zlib.createInflateRaw(), out, { signal });
  else await pipeline(source, out, { signal });
}
