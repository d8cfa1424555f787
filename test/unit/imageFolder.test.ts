import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { describeSkippedFiles, loadImageFolder } from '../../src/trainer/data/imageFolder';
import { UserError } from '../../src/shared/userError';
import { encodeGrayPng, encodeRgbPng } from '../../src/shared/png';
import { Rng } from '../../src/trainer/rng';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'images');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-images-'));
let folders = 0;

/** A fresh folder holding `files` (relative paths, subfolders created). */
function folder(files: Record<string, Buffer | string>): string {
  const dir = path.join(root, `f${folders++}`);
  for (const [name, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), bytes);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A width*height grey image from a function of the pixel. */
function gray(width: number, height: number, value: (x: number, y: number) => number): Buffer {
  return encodeGrayPng(Uint8Array.from({ length: width * height }, (_, i) => value(i % width, Math.floor(i / width))), width, height);
}

const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];
const WHITE = [255, 255, 255];

/** 2n×2n RGB quadrants: red, green / blue, white. */
function quadrants(n: number): Buffer {
  const colours = [RED, GREEN, BLUE, WHITE];
  const rgb = new Uint8Array(4 * n * n * 3);
  for (let y = 0; y < 2 * n; y++) for (let x = 0; x < 2 * n; x++) rgb.set(colours[2 * Math.floor(y / n) + Math.floor(x / n)], (y * 2 * n + x) * 3);
  return encodeRgbPng(rgb, 2 * n, 2 * n);
}

const userError = (message: RegExp, hint?: RegExp) => (e: unknown) => e instanceof UserError && message.test(e.message) && (!hint || hint.test(e.hint));
const close = (actual: ArrayLike<number>, expected: number[], tolerance: number, what: string) => {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}: value ${i} is ${actual[i]}, expected ${expected[i]} ± ${tolerance}\n${Array.from(actual)}`);
};

test('RGB keeps the channels interleaved per pixel; grayscale is Rec. 601 luma', async () => {
  const dir = folder({ 'q.png': quadrants(4) });
  const rgb = await loadImageFolder(dir, { size: 2, color: 'rgb' });
  assert.deepEqual([rgb.count, rgb.width, rgb.height, rgb.channels], [1, 2, 2, 3]);
  assert.deepEqual(Array.from(rgb.pixels), [...RED, ...GREEN, ...BLUE, ...WHITE]);
  const grey = await loadImageFolder(dir, { size: 2 });
  assert.equal(grey.channels, 1);
  // 0.299 * 255 = 76.2, 0.587 * 255 = 149.7, 0.114 * 255 = 29.1.
  assert.deepEqual(Array.from(grey.pixels), [76, 150, 29, 255]);
  assert.equal((await loadImageFolder(dir)).width, 28, 'the default size is 28');
});

test('shrinking averages the covered area exactly, also for ratios that are not whole numbers', async () => {
  const rng = new Rng(7);
  const [w, h] = [100, 60];
  const values = Uint8Array.from({ length: w * h }, () => Math.floor(rng.next() * 256));
  const at = (x: number, y: number) => values[y * w + x];
  const size = 28;
  const got = (await loadImageFolder(folder({ 'noise.png': gray(w, h, at) }), { size })).pixels;
  // Reference: the mean of n×n point samples per output, which for n = 60 source pixels never
  // straddle a pixel edge, so it is the exact area average; the crop starts at column 20.
  const n = 60;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let sum = 0;
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) sum += at(20 + Math.floor((j * n + b + 0.5) / size), Math.floor((i * n + a + 0.5) / size));
      const exact = sum / (n * n);
      assert.ok(Math.abs(got[i * size + j] - exact) <= 0.5 + 1e-9, `pixel (${i}, ${j}) is ${got[i * size + j]}, the exact mean ${exact}`);
    }
  }
});

test('enlarging interpolates bilinearly between pixel centres, clamped at the edges', async () => {
  const out = await loadImageFolder(folder({ 'two.png': gray(2, 2, (x, y) => (x === y ? 0 : 200)) }), { size: 4 });
  // Output centres fall at -0.25 (clamped to 0), 0.25, 0.75 and 1.25 (clamped to 1) source pixels:
  // weights of the second pixel 0, 1/4, 3/4, 1 along each axis.
  const t = [0, 0.25, 0.75, 1];
  const expected = t.flatMap((ty) => t.map((tx) => Math.round(200 * (tx * (1 - ty) + ty * (1 - tx)))));
  assert.deepEqual(Array.from(out.pixels), expected);
  assert.deepEqual(expected.slice(0, 4), [0, 50, 150, 200]);
  const one = await loadImageFolder(folder({ 'dot.png': gray(1, 1, () => 77) }), { size: 3 });
  assert.deepEqual(Array.from(one.pixels), Array(9).fill(77));
});

test('wide and tall images lose equal parts at both ends: the centred square remains', async () => {
  const wide = await loadImageFolder(folder({ 'wide.png': gray(6, 2, (x) => x * 40) }), { size: 2 });
  assert.deepEqual(Array.from(wide.pixels), [80, 120, 80, 120]);
  const tall = await loadImageFolder(folder({ 'tall.png': gray(2, 7, (_, y) => y * 30) }), { size: 2 });
  // Seven rows: the square starts at row 2 (the odd row is lost at the end).
  assert.deepEqual(Array.from(tall.pixels), [60, 60, 90, 90]);
});

test('PNG variants: palette with a transparent entry, 16 bits per sample, grey with alpha composited on white', async () => {
  const palette = await loadImageFolder(folder({ 'p.png': fixture('palette.png') }), { size: 2, color: 'rgb' });
  assert.deepEqual(Array.from(palette.pixels), [...RED, ...BLUE, ...RED, ...WHITE]);
  const deep = await loadImageFolder(folder({ 'd.png': fixture('gray16.png') }), { size: 2 });
  assert.deepEqual(Array.from(deep.pixels), [0, 255, 100, 200]);
  const alpha = await loadImageFolder(folder({ 'a.png': fixture('gray-alpha.png') }), { size: 2 });
  // Opaque black, transparent (white shows), alpha 128 of 255 over white: 255 * 127/255 = 127, opaque grey 200.
  assert.deepEqual(Array.from(alpha.pixels), [0, 255, 127, 200]);
});

test('JPEG variants: baseline, progressive, grey and CMYK', async () => {
  const rgb = [...RED, ...GREEN, ...BLUE, ...WHITE];
  for (const name of ['baseline.jpg', 'progressive.jpg', 'cmyk.jpg']) {
    close((await loadImageFolder(folder({ [name]: fixture(name) }), { size: 2, color: 'rgb' })).pixels, rgb, 3, name);
  }
  close((await loadImageFolder(folder({ 'g.jpg': fixture('gray.jpg') }), { size: 2 })).pixels, [0, 85, 170, 255], 2, 'gray.jpg');
});

test('JPEG photos are turned upright by their EXIF orientation, all eight of them', async () => {
  const names = Array.from({ length: 8 }, (_, i) => `o${i + 1}.jpg`);
  const loaded = await loadImageFolder(folder(Object.fromEntries(names.map((n) => [n, fixture(n)]))), { size: 16 });
  assert.deepEqual(loaded.files, names);
  const image = (k: number) => loaded.pixels.subarray(k * 256, (k + 1) * 256);
  // Upright, the picture is 24x16 in 8x8 blocks of grey 0, 50, 100 / 150, 200, 250; its centred
  // 16x16 square starts at column 4.
  const upright = Array.from({ length: 256 }, (_, i) => {
    const [x, y] = [4 + (i % 16), Math.floor(i / 16)];
    return 50 * (3 * Math.floor(y / 8) + Math.floor(x / 8));
  });
  for (let k = 0; k < 8; k++) close(image(k), upright, 3, names[k]);
});

test('a folder: subfolders in sorted order, non-images and hidden files ignored, unreadable files skipped and listed', async () => {
  const png = gray(4, 4, () => 10);
  const truncated = fixture('palette.png').subarray(0, 60);
  const dir = folder({
    'b.png': png,
    'a/2.png': gray(4, 4, () => 20),
    'a/10.JPEG': fixture('gray.jpg'),
    'jpeg-named.png': fixture('gray.jpg'),
    'broken.png': truncated,
    'notes.jpg': 'not an image',
    'empty.jpeg': '',
    'readme.txt': 'hello',
    '.hidden.png': png,
    '.thumbs/c.png': png,
  });
  const r = await loadImageFolder(dir, { size: 4 });
  assert.deepEqual(r.files, [path.join('a', '10.JPEG'), path.join('a', '2.png'), 'b.png', 'jpeg-named.png']);
  assert.equal(r.count, 4);
  assert.equal(r.pixels.length, 4 * 16);
  assert.deepEqual([r.pixels[16], r.pixels[32]], [20, 10]);
  assert.deepEqual(
    r.skipped.map((s) => s.file),
    ['broken.png', 'empty.jpeg', 'notes.jpg'],
  );
  assert.match(r.skipped[0].reason, /^unreadable PNG: /);
  assert.deepEqual(r.skipped.slice(1).map((s) => s.reason), ['empty file', 'not a PNG or JPEG file']);
  assert.match(describeSkippedFiles(r.skipped)!, /^Skipped 3 files: broken\.png \(unreadable PNG: .*\), empty\.jpeg \(empty file\), notes\.jpg \(not a PNG or JPEG file\)\.$/);
  assert.equal(describeSkippedFiles([]), undefined);
});

test('an image over 100 megapixels is skipped before it is decoded', async () => {
  const huge = Buffer.from(gray(2, 2, () => 0));
  huge.writeUInt32BE(20000, 16);
  huge.writeUInt32BE(10000, 20);
  const r = await loadImageFolder(folder({ 'huge.png': huge, 'ok.png': gray(2, 2, () => 5) }), { size: 2 });
  assert.deepEqual(r.files, ['ok.png']);
  assert.deepEqual(r.skipped, [{ file: 'huge.png', reason: 'too large: 20000×10000 pixels (at most 100 megapixels)' }]);
});

test('errors name the folder and the fix: no images, none readable, no such folder, a file, a bad size', async () => {
  const others = folder({ 'a.gif': 'x', 'b.gif': 'x', 'c.webp': 'x', sub: Buffer.alloc(0) });
  await assert.rejects(loadImageFolder(others), userError(new RegExp(`^No PNG or JPEG images in ${others.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}\\.$`), /\.png, \.jpg, \.jpeg files .*2 \.gif, 1 \.webp, 1 without extension files/));
  await assert.rejects(loadImageFolder(folder({})), userError(/^No PNG or JPEG images/));
  await assert.rejects(loadImageFolder(folder({ 'x.png': 'text', 'y.jpg': 'text' })), userError(/None of the 2 image files/, /x\.png \(not a PNG or JPEG file\)/));
  await assert.rejects(loadImageFolder(path.join(root, 'missing')), userError(/Cannot read the folder .*missing \(ENOENT\)/, /exists/));
  const file = path.join(folder({ 'a.png': gray(1, 1, () => 0) }), 'a.png');
  await assert.rejects(loadImageFolder(file), userError(/\(ENOTDIR\)/, /not a file/));
  await assert.rejects(loadImageFolder(root, { size: 0 }), userError(/size 0/));
});
