import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { completeConfig } from '../../src/protocol/config';
import { initBackend } from '../../src/trainer/backend/select';
import { Batcher } from '../../src/trainer/data/dataset';
import { loadImageDataset } from '../../src/trainer/data/imageDatasets';
import { cosineSchedule, ddpmFamily } from '../../src/trainer/families/ddpm';
import { Rng } from '../../src/trainer/rng';
import { eightGaussians, pointData } from './pointData';

before(async () => {
  await initBackend('wasm');
});

test('the cosine schedule runs ᾱ from 1 down to about 0, with every β in (0, 0.999]', () => {
  const { beta, alphaBar } = cosineSchedule(100);
  assert.equal(alphaBar[0], 1);
  assert.ok(alphaBar[100] < 1e-4, `ᾱ_T = ${alphaBar[100]}`);
  for (let t = 1; t <= 100; t++) {
    assert.ok(beta[t] > 0 && beta[t] <= 0.999);
    assert.ok(alphaBar[t] < alphaBar[t - 1]);
    assert.ok(Math.abs(alphaBar[t] - alphaBar[t - 1] * (1 - beta[t])) < 1e-12);
  }
});

test('a 2-D DDPM trains: its samples\' histogram JS to held-out data falls by a clear margin; the reverse strip runs from noise to data', () => {
  const rng = new Rng(4);
  const data = pointData(2, eightGaussians(20000, rng), eightGaussians(5000, rng), [-4, 4, -4, 4]);
  const config = completeConfig({ family: 'ddpm', dataset: '8gaussians', steps: 1500, model: { timesteps: 50, hiddenSizes: [64, 64] } });
  const model = ddpmFamily.create(config, data, new Rng(1));
  const before = model.evaluate();
  const batches = new Batcher(data, 256, new Rng(2));
  const losses: number[] = [];
  for (let i = 0; i < 1500; i++) {
    const x = batches.next();
    losses.push(model.trainStep(x).mse);
    x.dispose();
  }
  const after = model.evaluate();
  assert.ok(after.js < before.js / 2, `JS ${before.js} → ${after.js}`);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(mean(losses.slice(-100)) < mean(losses.slice(0, 100)) * 0.8, 'the noise-prediction error falls');

  const view = model.density!()!;
  assert.equal(view.field, 'none');
  assert.deepEqual(view.values, []);
  const reverse = view.reverse!;
  assert.equal(reverse[0].t, 50, 'the strip starts at T');
  assert.equal(reverse.at(-1)!.t, 0, 'and ends with the samples');
  assert.deepEqual(reverse.at(-1)!.samples, view.samples);
  // Pure noise has no modes; the samples sit near the 8 centres at radius 2.83.
  const nearRing = (s: number[]) => {
    let near = 0;
    for (let i = 0; i < s.length; i += 2) if (Math.abs(Math.hypot(s[i], s[i + 1]) - 2.83) < 0.7) near++;
    return near / (s.length / 2);
  };
  assert.ok(nearRing(reverse.at(-1)!.samples) > 0.8, `samples near the ring: ${nearRing(reverse.at(-1)!.samples)}`);
  assert.ok(nearRing(reverse[0].samples) < 0.5, `noise near the ring: ${nearRing(reverse[0].samples)}`);
  model.dispose();
});

test('an image DDPM takes a step on grey levels and draws a sample grid and a reverse-process strip in [0, 1]', async () => {
  const data = await loadImageDataset('mnist');
  const config = completeConfig({ family: 'ddpm', dataset: 'mnist', steps: 1, batchSize: 8, model: { timesteps: 6, channels: 4 } });
  const model = ddpmFamily.create(config, data, new Rng(1));
  const x = new Batcher(data, 8, new Rng(2), ddpmFamily.grayscale).next();
  assert.ok(Number.isFinite(model.trainStep(x).mse));
  x.dispose();
  const [samples, reverse] = model.sample!();
  assert.equal(samples.kind, 'samples');
  assert.equal(samples.pixels.length, 64 * 784);
  assert.equal(reverse.kind, 'reverse');
  // Snapshots at t = 6, 4, 2, 1 and 0 (fractions 1, .6, .3, .15, .05 and 0 of T = 6, rounded, once each), for 4 images.
  assert.equal(reverse.cols, 5);
  assert.equal(reverse.count, 20);
  assert.ok([...samples.pixels, ...reverse.pixels].every((v) => v >= 0 && v <= 1));
  model.dispose();
});
