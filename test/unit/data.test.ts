import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { IMAGE_DATASETS } from '../../src/protocol/datasets';
import { binarizeBatch, loadImageDataset, TEST_BINARIZATION_SEED } from '../../src/trainer/data/imageDatasets';
import { readIdx } from '../../src/trainer/data/idx';
import { Rng } from '../../src/trainer/rng';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const fashionAbsent =
  !process.env.GENLAB_FASHION_MNIST_DIR && !existsSync(join(FASHION_DIR, 'train-images-idx3-ubyte.gz')) && !existsSync(join(FASHION_DIR, 'train-images-idx3-ubyte'))
    ? `Debian package dataset-fashion-mnist is not installed (sudo apt-get install dataset-fashion-mnist)`
    : false;

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

for (const name of IMAGE_DATASETS) {
  describe(`${name} dataset`, { skip: name === 'fashion-mnist' && fashionAbsent }, () => {
    test('has the standard 60000/10000 split of 28x28 images', async () => {
      const d = await loadImageDataset(name);
      assert.equal(d.name, name);
      assert.equal(d.width, 28);
      assert.equal(d.height, 28);
      assert.equal(d.train.count, 60000);
      assert.equal(d.test.count, 10000);
      for (const split of [d.train, d.test]) {
        assert.equal(split.pixels.length, split.count * 784);
        assert.equal(split.labels!.length, split.count);
      }
      assert.equal(d.testBinary.length, 10000 * 784);
      assert.ok(d.licence.length > 0 && d.source.length > 0);
    });

    test('pixels span 0..255, labels cover exactly 0..9', async () => {
      const d = await loadImageDataset(name);
      for (const split of [d.train, d.test]) {
        const first = split.pixels.subarray(0, 784 * 100);
        assert.equal(first.reduce((a, b) => Math.min(a, b)), 0);
        assert.equal(first.reduce((a, b) => Math.max(a, b)), 255);
        assert.deepEqual([...new Set(split.labels)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      }
    });

    test('the binarised test set is 0/1 with the grayscale mean', async () => {
      const d = await loadImageDataset(name);
      assert.ok(d.testBinary.every((v) => v === 0 || v === 1));
      assert.ok(Math.abs(mean(d.testBinary) - mean(d.test.pixels) / 255) < 0.01);
    });

    test('the binarised test set is the same in every load and every run seed', async () => {
      const d = await loadImageDataset(name);
      const all = Uint32Array.from({ length: d.test.count }, (_, i) => i);
      const again = binarizeBatch(d.test.pixels, all, new Rng(TEST_BINARIZATION_SEED), new Float32Array(d.testBinary.length));
      assert.deepEqual(again, d.testBinary);
    });
  });
}

describe('binarizeBatch', () => {
  test('is reproducible for a seed, differs across seeds, and keeps the batch mean', async () => {
    const d = await loadImageDataset('mnist');
    const indices = new Rng(1).permutation(d.train.count).subarray(0, 256);
    const draw = (seed: number) => binarizeBatch(d.train.pixels, indices, new Rng(seed), new Float32Array(indices.length * 784));
    const a = draw(7);
    assert.deepEqual(draw(7), a);
    const b = draw(8);
    const differing = a.filter((v, i) => v !== b[i]).length;
    assert.ok(differing > 1000, `only ${differing} pixels differ between seeds`);
    let grey = 0;
    for (const i of indices) grey += mean(d.train.pixels.subarray(i * 784, (i + 1) * 784));
    assert.ok(Math.abs(mean(a) - grey / indices.length / 255) < 0.01);
  });

  test('takes the images at the given indices, 0 and 255 deterministically', () => {
    const pixels = new Uint8Array(3 * 784);
    pixels.fill(255, 784, 2 * 784);
    const out = binarizeBatch(pixels, [1, 0, 1], new Rng(3), new Float32Array(3 * 784));
    assert.deepEqual(Array.from(new Set(out.subarray(0, 784))), [1]);
    assert.deepEqual(Array.from(new Set(out.subarray(784, 2 * 784))), [0]);
    assert.deepEqual(Array.from(new Set(out.subarray(2 * 784))), [1]);
  });

  test('rejects a wrongly sized output and an index outside the images', () => {
    const pixels = new Uint8Array(2 * 784);
    assert.throws(() => binarizeBatch(pixels, [0, 1], new Rng(0), new Float32Array(784)), /out holds 784 values but 2 images need 1568/);
    assert.throws(() => binarizeBatch(pixels, [2], new Rng(0), new Float32Array(784)), /index 2 .* outside the 2 images/);
  });
});

describe('IDX reader', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genlab-idx-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** An idx3 header for `n` images of 2x2, followed by `dataBytes` bytes. */
  function idx3(n: number, dataBytes: number): Buffer {
    const b = Buffer.alloc(16 + dataBytes);
    b.writeUInt32BE(0x00000803, 0);
    b.writeUInt32BE(n, 4);
    b.writeUInt32BE(2, 8);
    b.writeUInt32BE(2, 12);
    for (let i = 0; i < dataBytes; i++) b[16 + i] = i;
    return b;
  }

  test('reads plain and gzipped files alike', async () => {
    const plain = join(dir, 'ok-idx3-ubyte');
    const gz = join(dir, 'ok-idx3-ubyte.gz');
    await writeFile(plain, idx3(3, 12));
    await writeFile(gz, gzipSync(idx3(3, 12)));
    for (const file of [plain, gz]) {
      const idx = await readIdx(file, 3);
      assert.deepEqual(idx.dims, [3, 2, 2]);
      assert.deepEqual(Array.from(idx.data), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    }
  });

  test('a truncated file is an error naming the file', async () => {
    const file = join(dir, 'short-idx3-ubyte');
    await writeFile(file, idx3(3, 10));
    await assert.rejects(readIdx(file, 3), (err: Error) => err.message.includes(file) && /truncated/.test(err.message));
  });

  test('a truncated gzip file is an error naming the file', async () => {
    const file = join(dir, 'short-idx3-ubyte.gz');
    const whole = gzipSync(idx3(100, 400));
    await writeFile(file, whole.subarray(0, whole.length - 20));
    await assert.rejects(readIdx(file, 3), (err: Error) => err.message.includes(file) && /decompress/.test(err.message));
  });

  test('a bad magic number is an error naming the file', async () => {
    const file = join(dir, 'bad-magic');
    await writeFile(file, Buffer.from('PNG not an idx file at all'));
    await assert.rejects(readIdx(file, 3), (err: Error) => err.message.includes(file) && /magic number/.test(err.message));
  });

  test('a labels file where images are expected is an error', async () => {
    const file = join(dir, 'labels-idx1-ubyte');
    const b = Buffer.alloc(8 + 4);
    b.writeUInt32BE(0x00000801, 0);
    b.writeUInt32BE(4, 4);
    await writeFile(file, b);
    await assert.rejects(readIdx(file, 3), /expected an idx3 file .* declares 1/);
    assert.deepEqual((await readIdx(file, 1)).dims, [4]);
  });

  test('a Fashion-MNIST folder without the files names the Debian package and the paths', async () => {
    const previous = process.env.GENLAB_FASHION_MNIST_DIR;
    process.env.GENLAB_FASHION_MNIST_DIR = dir;
    try {
      await assert.rejects(
        loadImageDataset('fashion-mnist'),
        (err: Error) =>
          err.message.includes('sudo apt-get install dataset-fashion-mnist') && err.message.includes(join(dir, 'train-images-idx3-ubyte.gz')),
      );
    } finally {
      if (previous === undefined) delete process.env.GENLAB_FASHION_MNIST_DIR;
      else process.env.GENLAB_FASHION_MNIST_DIR = previous;
    }
  });
});
