import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig } from '../../src/protocol/config';
import { binarizeBatch, type ImageDataset, loadImageDataset } from '../../src/trainer/data/imageDatasets';
import { bernoulliNll, gaussianKl, vaeFamily } from '../../src/trainer/families/vae';
import { Rng } from '../../src/trainer/rng';
import { Batcher } from '../../src/trainer/data/dataset';
import { eightGaussians, pointData } from './pointData';
import { initFamilyBackend } from '../support/familyBackend';

let data: ImageDataset;

before(async () => {
  await initFamilyBackend();
  data = await loadImageDataset('mnist');
});

test('KL term equals the closed form 0.5 * sum(mu^2 + var - log var - 1), computed by hand', () => {
  const mu = [
    [0.5, -1, 0],
    [2, 0.1, -0.3],
  ];
  const logVar = [
    [0, Math.log(2), -1],
    [0.5, -0.2, 0.3],
  ];
  const expected = mu.map((row, i) => row.reduce((s, m, j) => s + 0.5 * (m * m + Math.exp(logVar[i][j]) - logVar[i][j] - 1), 0));
  const kl = tf.tidy(() => gaussianKl(tf.tensor2d(mu), tf.tensor2d(logVar)).arraySync());
  kl.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `row ${i}: ${v} vs ${expected[i]}`));
  // A posterior equal to the prior has zero KL.
  assert.ok(Math.abs(tf.tidy(() => gaussianKl(tf.zeros([1, 4]), tf.zeros([1, 4])).arraySync()[0])) < 1e-7);
});

test('Bernoulli NLL is stable for large logits and matches -log p by hand', () => {
  const nll = tf.tidy(() => bernoulliNll(tf.tensor2d([[1, 0, 1]]), tf.tensor2d([[0, 2, 80]])).arraySync()[0]);
  const expected = Math.log(2) + Math.log(1 + Math.exp(2)) + Math.log1p(Math.exp(-80));
  assert.ok(Math.abs(nll - expected) < 1e-4, `${nll} vs ${expected}`);
});

function trainSteps(model: ReturnType<typeof vaeFamily.create>, steps: number, batch: number, rng: Rng): void {
  const buffer = new Float32Array(batch * 784);
  for (let s = 0; s < steps; s++) {
    const idx = Array.from({ length: batch }, () => Math.floor(rng.next() * data.train.count));
    const x = tf.tensor2d(binarizeBatch(data.train.pixels, idx, rng, buffer), [batch, 784]);
    const values = model.trainStep(x);
    x.dispose();
    assert.ok(Number.isFinite(values.negElbo) && Math.abs(values.negElbo - values.recon - values.kl) < 1e-2);
  }
}

test('a short real training run lowers the test -ELBO well below its starting value', () => {
  const config = completeConfig({ family: 'vae', steps: 300, batchSize: 64 });
  const model = vaeFamily.create(config, data, new Rng(1));
  const before = model.evaluate().testNegElbo;
  trainSteps(model, 300, 64, new Rng(2));
  const after = model.evaluate().testNegElbo;
  model.dispose();
  // An untrained decoder outputs p = 0.5 per pixel: 784 ln 2 = 543 nats. 300 steps reach ~150.
  assert.ok(before > 500, `start ${before}`);
  assert.ok(after < 200, `after 300 steps: ${after}`);
});

test('no tensors leak: the tensor count is flat across 200 training steps, evals and sample grids', () => {
  const config = completeConfig({ family: 'vae', steps: 200, batchSize: 32 });
  const model = vaeFamily.create(config, data, new Rng(3));
  const rng = new Rng(4);
  trainSteps(model, 5, 32, rng); // Adam creates its moment variables on the first step.
  const start = tf.memory().numTensors;
  trainSteps(model, 200, 32, rng);
  model.sample!();
  assert.equal(tf.memory().numTensors, start);
  model.dispose();
});

test('the sample grids are 8x8 images in [0, 1]: prior samples and test reconstructions', () => {
  const model = vaeFamily.create(completeConfig({ family: 'vae', steps: 1 }), data, new Rng(5));
  const grids = model.sample!();
  model.dispose();
  assert.deepEqual(
    grids.map((g) => [g.kind, g.count, g.cols, g.pixels.length]),
    [
      ['samples', 64, 8, 64 * 784],
      ['reconstruction', 64, 8, 64 * 784],
    ],
  );
  for (const g of grids) assert.ok(g.pixels.every((v) => v >= 0 && v <= 1));
  // The reconstruction grid's first row holds test images themselves (binary).
  assert.ok(grids[1].pixels.subarray(0, 8 * 784).every((v) => v === 0 || v === 1));
});

test('a VAE on 2-D points trains (its test -ELBO falls clearly); its ELBO heatmap is a bound, higher on the data than far from it', () => {
  const rng = new Rng(6);
  const points = pointData(2, eightGaussians(20000, rng), eightGaussians(4000, rng), [-4, 4, -4, 4]);
  const config = completeConfig({ family: 'vae', dataset: '8gaussians', steps: 800, model: { hiddenSizes: [64, 64] } });
  const model = vaeFamily.create(config, points, new Rng(7));
  const before = model.evaluate();
  const batches = new Batcher(points, 256, new Rng(8));
  for (let i = 0; i < 800; i++) {
    const x = batches.next();
    const v = model.trainStep(x);
    x.dispose();
    assert.ok(Math.abs(v.negElbo - (v.recon + v.kl)) < 1e-3, '-ELBO = reconstruction + KL');
  }
  const after = model.evaluate();
  // Standardised points start an untrained model near one broad Gaussian (about 4.25 nats here);
  // below 3.8 it has learnt more than that, the modes.
  assert.ok(after.testNegElbo < Math.min(before.testNegElbo - 0.5, 3.8), `test -ELBO ${before.testNegElbo} → ${after.testNegElbo}`);
  assert.ok(after.testNllIwae <= after.testNegElbo + 0.02, 'the importance-weighted bound is at least as tight');
  const view = model.density!()!;
  assert.equal(view.field, 'elbo');
  const at = (x: number, y: number) => {
    const c = Math.floor(((x + 4) / 8) * view.width);
    const r = Math.floor(((4 - y) / 8) * view.height);
    return view.values[r * view.width + c];
  };
  // A mode's centre (2.83, 0) against an empty corner of the plane.
  assert.ok(at(2.83, 0) > at(-3.8, 3.8) + 3, `ELBO at a mode ${at(2.83, 0)}, in a corner ${at(-3.8, 3.8)}`);
  assert.equal(view.samples.length % 2, 0);
  model.dispose();
});

test('a 2-D latent space: the VAE encodes test images to 2 numbers each, and the scatter is a PNG with a dot per image in its label\'s colour', async () => {
  const { latentScatterPng } = await import('../../src/trainer/image/scatter');
  const model = vaeFamily.create(completeConfig({ family: 'vae', steps: 1, model: { latentDim: 2 } }), data, new Rng(9));
  const points = model.latentTools!.encodeTest!(300);
  model.dispose();
  assert.equal(points.length, 600);
  const labels = data.test.labels!.subarray(0, 300);
  const glyphs = Array.from({ length: 10 }, () => new Float32Array(784).fill(1));
  const png = latentScatterPng(points, labels, glyphs, 200);
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.equal(png.readUInt32BE(16), 224, 'width: the plot and its margins');
  assert.equal(png[25], 2, 'colour type 2: RGB');
});
