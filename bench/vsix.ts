/**
 * The packaged extension as a user gets it: `packageVsix` runs the project's own `npm run
 * package:vsix` (vsce with the flags package.json gives it) on whatever dist/ holds, and reads the
 * .vsix back. `npm run bench` reports its size and file count; test/integration/packaging.test.ts
 * holds them under VSIX_CEILING, unpacks the file and trains with the CLI inside it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const ROOT = path.resolve(__dirname, '..');

/**
 * What the .vsix may weigh: megabytes as vsce counts them (2^20 bytes), and zip entries. About
 * 13 MB are TensorFlow.js, MNIST and the bundles; TypeScript's compiler (for model modules)
 * and the declarations they are checked against add about 3.
 */
export const VSIX_CEILING = { megabytes: 18, files: 100 };

export interface PackagedVsix {
  file: string;
  megabytes: number;
  /** Every zip entry, vsce's [Content_Types].xml and manifest included (vsce's own count). */
  entries: ZipEntry[];
  /** What vsce printed, warnings included. */
  output: string;
}

export function packageVsix(file: string): PackagedVsix {
  // stdin is closed so that a question from vsce (it asks before packaging what it doubts) ends
  // the run instead of hanging it.
  const r = spawnSync('npm', ['run', '--silent', 'package:vsix', '--', '--out', file], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024 });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`npm run package:vsix failed (status ${r.status}):\n${output}`);
  return { file, megabytes: fs.statSync(file).size / 2 ** 20, entries: readZip(fs.readFileSync(file)), output };
}

export interface ZipEntry {
  name: string;
  size: number;
  data(): Buffer;
}

const END_OF_CENTRAL_DIRECTORY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const CENTRAL_HEADER = 0x02014b50;

/** The entries of a zip file, from its central directory (vsce writes neither zip64 nor comments). */
export function readZip(zip: Buffer): ZipEntry[] {
  const end = zip.lastIndexOf(END_OF_CENTRAL_DIRECTORY);
  if (end < 0) throw new Error('not a zip file: no end-of-central-directory record');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL_HEADER) throw new Error(`zip central directory damaged at entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    if (method !== 0 && method !== 8) throw new Error(`${name}: zip compression method ${method} (only stored and deflated are read)`);
    const data = () => {
      // The local header repeats the name and has its own extra field: the data follows both.
      const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const raw = zip.subarray(start, start + compressedSize);
      return method === 0 ? Buffer.from(raw) : zlib.inflateRawSync(raw);
    };
    entries.push({ name, size, data });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** Writes every entry under `dir`, as VS Code does when it installs the .vsix. */
export function extractZip(entries: ZipEntry[], dir: string): void {
  for (const entry of entries) {
    const target = path.resolve(dir, entry.name);
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`zip entry outside the folder: ${entry.name}`);
    if (entry.name.endsWith('/')) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, entry.data());
  }
}

/** For bench/results.json: the .vsix packaged from the current dist/, against its ceiling. */
export function vsixFigures(file: string): Record<string, unknown> {
  const vsix = packageVsix(file);
  fs.rmSync(file, { force: true });
  // A dev build (`npm run build`, as the bench's) leaves source maps; `npm run package` minifies first.
  const build = fs.existsSync(path.join(ROOT, 'dist', 'extension.js.map')) ? 'dev' : 'production';
  return { megabytes: Math.round(vsix.megabytes * 100) / 100, files: vsix.entries.length, build, ceiling: VSIX_CEILING };
}
