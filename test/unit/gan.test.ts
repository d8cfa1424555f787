import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig } from '../../src/protocol/config';
import { initBackend } from '../../src/trainer/backend/select';
import { Batcher } from '../../src/trainer/data/dataset';
import { loadImageDataset } from '../../src/trainer/data/imageDatasets';
import { ganFamily } from '../../src/trainer/families/gan';
import { Rng } from '../../src/trainer/rng';
import { eightGaussians, pointData } from './pointData';

before(async () => {
  await initBackend('wasm');
});

const plane: [number, number, number, number] = [-4, 4, -4, 4];

for (const loss of ['non-saturating', 'least-squares'] as const) {
  test(`a 2-D GAN (${loss}) trains: the histogram JS to held-out data falls by a clear margin; both players learn`, () => {
    const rng = new Rng(3);
    const data = pointData(2, eightGaussians(20000, rng), eightGaussians(5000, rng), plane);
    const steps = 1200;
    const config = completeConfig({ family: 'gan', dataset: '8gaussians', steps, learningRate: 1e-3, model: { loss } });
    const model = ganFamily.create(config, data, new Rng(1));
    const before = model.evaluate();
    const batches = new Batcher(data, 256, new Rng(2));
    const losses: Record<string, number>[] = [];
    for (let i = 0; i < steps; i++) {
      const x = batches.next();
      losses.push(model.trainStep(x));
      x.dispose();
    }
    const after = model.evaluate();
    assert.ok(before.js > 0.4, `an untrained generator misses the data: JS ${before.js}`);
    assert.ok(after.js < before.js / 2, `JS ${before.js} → ${after.js}`);
    for (const key of ['discriminator', 'generator']) {
      assert.ok(losses.every((l) => Number.isFinite(l[key])), `${key} loss stays finite`);
      assert.notEqual(losses[0][key], losses.at(-1)![key]);
    }
    const view = model.density!()!;
    assert.equal(view.field, 'discriminator');
    assert.equal(view.values.length, view.width * view.height);
    assert.ok(view.values.every((v) => v >= 0 && v <= 1), 'D(x) is a probability');
    assert.equal(view.samples.length % 2, 0);
    model.dispose();
  });
}

test('a DCGAN on MNIST takes a step and draws grey-level grids; latent tools decode interpolations and traversals', async () => {
  const data = await loadImageDataset('mnist');
  const config = completeConfig({ family: 'gan', dataset: 'mnist', steps: 2, batchSize: 16, model: { channels: 8, latentDim: 4 } });
  const model = ganFamily.create(config, data, new Rng(1));
  const batches = new Batcher(data, 16, new Rng(2), ganFamily.grayscale);
  const x = batches.next();
  assert.ok(x.dataSync().some((v) => v > 0 && v < 1), 'GAN batches keep grey levels');
  const values = model.trainStep(x);
  x.dispose();
  assert.ok(Number.isFinite(values.discriminator) && Number.isFinite(values.generator));
  assert.deepEqual(model.evaluate(), {}, 'no likelihood, no histogram for images');
  assert.equal(model.density!(), undefined);
  const [grid] = model.sample!();
  assert.equal(grid.count, 64);
  assert.equal(grid.pixels.length, 64 * 784);
  assert.ok(grid.pixels.every((v) => v >= 0 && v <= 1));
  const tools = model.latentTools!;
  const strip = tools.interpolate(new Rng(5), 6, 2);
  assert.equal(strip.count, 12);
  assert.equal(strip.cols, 6);
  const traversal = tools.traverse([0, 3], 5, 2);
  assert.equal(traversal.count, 25);
  // The centre of a traversal is z = 0, whatever the dimensions traversed.
  const centre = tools.traverse([1, 2], 5, 2).pixels.subarray(12 * 784, 13 * 784);
  assert.deepEqual(Array.from(traversal.pixels.subarray(12 * 784, 13 * 784)), Array.from(centre));
  model.dispose();
  assert.ok(tf.memory().numTensors < 200);
});
