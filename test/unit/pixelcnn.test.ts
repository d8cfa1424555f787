import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig } from '../../src/protocol/config';
import { Batcher } from '../../src/trainer/data/dataset';
import { type ImageDataset, loadImageDataset } from '../../src/trainer/data/imageDatasets';
import { causalMask, PixelCnnNet, pixelcnnFamily } from '../../src/trainer/families/pixelcnn';
import { Rng } from '../../src/trainer/rng';
import { initFamilyBackend } from '../support/familyBackend';

let mnist: ImageDataset;
before(async () => {
  await initFamilyBackend();
  mnist = await loadImageDataset('mnist');
});

test('masks: A hides the centre and everything after it in raster order, B shows the centre; nothing below the centre row is stored', () => {
  assert.deepEqual(Array.from(causalMask(3, 'A').dataSync()), [1, 1, 1, 1, 0, 0]);
  assert.deepEqual(Array.from(causalMask(3, 'B').dataSync()), [1, 1, 1, 1, 1, 0]);
  assert.deepEqual(causalMask(7, 'A').shape, [4, 7, 1, 1]);
  assert.equal(tf.sum(causalMask(7, 'A')).dataSync()[0], 24);
});

test('the network is causal: changing a later pixel never changes an earlier output', () => {
  const net = new PixelCnnNet(8, 3, new Rng(1));
  const size = 12;
  const rng = new Rng(2);
  const base = Float32Array.from({ length: size * size }, () => (rng.next() < 0.5 ? 1 : 0));
  const logits = (pixels: Float32Array) => tf.tidy(() => net.logits(tf.tensor4d(pixels, [1, size, size, 1])).dataSync());
  const reference = logits(base);
  for (const changed of [0, 5, 13, 50, 77, 143]) {
    const flipped = base.slice();
    flipped[changed] = 1 - flipped[changed];
    const out = logits(flipped);
    for (let i = 0; i <= changed; i++) assert.equal(out[i], reference[i], `flipping pixel ${changed} changed the logit of pixel ${i}`);
    // And the net does use what came before: some later logit moves.
    if (changed < size * size - 1) assert.ok(Array.from(out).some((v, i) => i > changed && v !== reference[i]), `pixel ${changed} reaches no later logit`);
  }
  net.dispose();
});

test('a window around a pixel gives the full network\'s logit for it, at the borders too', () => {
  const net = new PixelCnnNet(8, 2, new Rng(6));
  const size = 12;
  const rng = new Rng(7);
  const image = Float32Array.from({ length: size * size }, () => (rng.next() < 0.4 ? 1 : 0));
  const full = tf.tidy(() => net.logits(tf.tensor4d(image, [1, size, size, 1])).dataSync());
  const { reach } = net;
  const [rows, cols] = [reach + 1, 2 * reach + 1];
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const window = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const [y, x] = [r - reach + i, c - reach + j];
          if (y >= 0 && x >= 0 && x < size) window[i * cols + j] = image[y * size + x];
        }
      }
      const logit = tf.tidy(() => net.windowLogits(tf.tensor4d(window, [1, rows, cols, 1]), r - reach, c - reach, size, size).dataSync()[0]);
      assert.ok(Math.abs(logit - full[r * size + c]) < 1e-5, `pixel (${r}, ${c}): window ${logit}, full ${full[r * size + c]}`);
    }
  }
  net.dispose();
});

test('a short real training run lowers the exact test NLL clearly; eval reports nats and bits/dim consistently', () => {
  const small: ImageDataset = { ...mnist, test: { ...mnist.test, count: 200 }, testBinary: mnist.testBinary.subarray(0, 200 * 784) };
  const config = completeConfig({ family: 'pixelcnn', steps: 60, batchSize: 32, learningRate: 3e-3, model: { channels: 16, residualBlocks: 2 } });
  const model = pixelcnnFamily.create(config, small, new Rng(3));
  const before = model.evaluate();
  const batches = new Batcher(small, 32, new Rng(4));
  for (let i = 0; i < 60; i++) {
    const x = batches.next();
    model.trainStep(x);
    x.dispose();
  }
  const after = model.evaluate();
  assert.ok(after.testNll < before.testNll - 150, `test NLL ${before.testNll} → ${after.testNll}`);
  assert.ok(Math.abs(after.testBitsPerDim - after.testNll / (784 * Math.LN2)) < 1e-9);
  model.dispose();
});

test('ancestral sampling draws binary images, the same for the same seed, each pixel from the model\'s conditional', () => {
  const config = completeConfig({ family: 'pixelcnn', steps: 1, model: { channels: 8, residualBlocks: 1 } });
  const model = pixelcnnFamily.create(config, mnist, new Rng(5)) as unknown as { drawPixels(count: number, rng: Rng, t?: number): Float32Array; net: PixelCnnNet; dispose(): void };
  const a = model.drawPixels(3, new Rng(9));
  const b = model.drawPixels(3, new Rng(9));
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.ok(a.every((v) => v === 0 || v === 1));
  // Replaying the draws: with the uniforms of Rng(9), each pixel is 1 exactly when u < p(x_i = 1 | x_<i) under the full network.
  const logits = tf.tidy(() => model.net.logits(tf.tensor4d(a, [3, 28, 28, 1])).dataSync());
  const replay = new Rng(9);
  for (let i = 0; i < 784; i++) {
    for (let img = 0; img < 3; img++) {
      const p = 1 / (1 + Math.exp(-logits[img * 784 + i]));
      const u = replay.next();
      assert.equal(a[img * 784 + i], u < p ? 1 : 0, `image ${img}, pixel ${i}`);
    }
  }
  model.dispose();
});

test('the export holds full k×k kernels with the masks applied: the documented architecture on them gives the model\'s logits', async () => {
  const config = completeConfig({ family: 'pixelcnn', steps: 1, model: { channels: 8, residualBlocks: 2 } });
  const model = pixelcnnFamily.create(config, mnist, new Rng(8)) as unknown as { net: PixelCnnNet; save(dir: string): Promise<void>; dispose(): void };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-pixelcnn-'));
  await model.save(dir);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'pixelcnn.json'), 'utf8')) as { weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
  const w = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), manifest.weightsManifest[0].weights);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(w['mask-a/kernel'].shape, [7, 7, 1, 8]);
  assert.deepEqual(w['block-0/mask-b/kernel'].shape, [3, 3, 8, 8]);
  // Mask B: the centre row's right tap and the whole bottom row are zero.
  const b = w['block-0/mask-b/kernel'].arraySync() as number[][][][];
  assert.ok([b[1][2], ...b[2]].every((tap) => tap.flat().every((v) => v === 0)));
  const [exported, ours] = tf.tidy(() => {
    const x = tf.tensor4d(mnist.testBinary.subarray(0, 2 * 784), [2, 28, 28, 1]);
    const conv = (h: tf.Tensor4D, name: string) => tf.add(tf.conv2d(h, w[`${name}/kernel`] as tf.Tensor4D, 1, 'same'), w[`${name}/bias`]) as tf.Tensor4D;
    let h = conv(x, 'mask-a');
    for (const i of [0, 1]) h = tf.add(h, conv(tf.relu(conv(tf.relu(h), `block-${i}/mask-b`)), `block-${i}/mix`));
    return [conv(tf.relu(conv(tf.relu(h), 'head-0')), 'head-1').dataSync(), model.net.logits(x).dataSync()];
  });
  assert.ok(exported.every((v, i) => Math.abs(v - ours[i]) < 1e-4), 'the exported weights compute other logits');
  tf.dispose(Object.values(w));
  model.dispose();
});
