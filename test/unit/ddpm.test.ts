import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { completeConfig } from '../../src/protocol/config';
import { Batcher } from '../../src/trainer/data/dataset';
import { loadImageDataset } from '../../src/trainer/data/imageDatasets';
import { cosineSchedule, ddpmFamily, diffuse, reverseProcess } from '../../src/trainer/families/ddpm';
import { loadLayersModel } from '../../src/trainer/runs/layersFormat';
import { Rng } from '../../src/trainer/rng';
import { eightGaussians, pointData } from './pointData';
import { initFamilyBackend } from '../support/familyBackend';

before(async () => {
  await initFamilyBackend();
});

const mean = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
};
const variance = (a: ArrayLike<number>) => {
  const m = mean(a);
  return mean(Array.from(a, (v) => (v - m) ** 2));
};

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

test('q(x_t | x_0) keeps unit variance, shrinks x_0 by sqrt(ᾱ_t) and is pure noise at T', () => {
  const { alphaBar } = cosineSchedule(100);
  const n = 40000;
  const rng = new Rng(3);
  // Unit-variance data far from Gaussian: ±1.
  const x0 = Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1));
  for (const t of [10, 50, 100]) {
    const eps = rng.fillNormal(new Float32Array(n));
    const xt = diffuse(x0, eps, new Array<number>(n).fill(t), alphaBar, 1);
    assert.ok(Math.abs(variance(xt) - 1) < 0.03, `Var x_${t} = ${variance(xt)}`);
    const covariance = mean(Array.from(xt, (v, i) => v * x0[i]));
    assert.ok(Math.abs(covariance - Math.sqrt(alphaBar[t])) < 0.02, `Cov(x_${t}, x_0) = ${covariance}, sqrt(ᾱ) = ${Math.sqrt(alphaBar[t])}`);
    const residual = Array.from(xt, (v, i) => v - Math.sqrt(alphaBar[t]) * x0[i]);
    assert.ok(Math.abs(variance(residual) / (1 - alphaBar[t]) - 1) < 0.03, `Var(x_t | x_0) at t = ${t}`);
  }
});

test('the reverse process with the exact noise predictor of a Gaussian recovers that Gaussian, from noise', () => {
  // Data N(m, v): x_t ~ N(sqrt(ᾱ)·m, ᾱ·v + 1 - ᾱ), and E[x_0 | x_t] is linear in x_t. With few steps
  // the posterior variance β̃_t leaves out the uncertainty of x̂_0 and the samples come out narrower
  // (by 10% at T = 100 for this v); with 1,000 steps the process is close to exact.
  const [m, v] = [1, 0.09];
  const exactEps = (alphaBar: Float64Array) => (x: Float32Array, t: number) => {
    const a = alphaBar[t];
    return x.map((xt) => {
      const x0 = m + (Math.sqrt(a) * v * (xt - Math.sqrt(a) * m)) / (a * v + 1 - a);
      return (xt - Math.sqrt(a) * x0) / Math.sqrt(1 - a);
    });
  };
  const schedule = cosineSchedule(1000);
  const { x, snapshots } = reverseProcess(20000, schedule, exactEps(schedule.alphaBar), new Rng(5), { keep: [1000, 500, 0] });
  assert.ok(Math.abs(mean(x) - m) < 0.01, `mean ${mean(x)}`);
  assert.ok(Math.abs(variance(x) / v - 1) < 0.03, `variance ${variance(x)}`);
  assert.deepEqual(
    snapshots.map((s) => s.t),
    [1000, 500, 0],
  );
  assert.ok(Math.abs(variance(snapshots[0].x) - 1) < 0.05 && Math.abs(mean(snapshots[0].x)) < 0.03, 'x_T is standard noise');
  assert.equal(snapshots[2].x, x);
  // Cooler sampling draws from a narrower distribution.
  const short = cosineSchedule(100);
  const cool = reverseProcess(20000, short, exactEps(short.alphaBar), new Rng(5), { temperature: 0.5 });
  assert.ok(variance(cool.x) < 0.5 * v, `variance at temperature 0.5: ${variance(cool.x)}`);
});

test("a 2-D DDPM trains: its samples' histogram JS to held-out data and its test loss fall by a clear margin; the reverse strip runs from noise to data", () => {
  const rng = new Rng(4);
  const data = pointData(2, eightGaussians(20000, rng), eightGaussians(5000, rng), [-4, 4, -4, 4]);
  const config = completeConfig({ family: 'ddpm', dataset: '8gaussians', steps: 1500, learningRate: 3e-3, model: { timesteps: 50, hiddenSizes: [64, 64] } });
  const model = ddpmFamily.create(config, data, new Rng(1));
  const before = model.evaluate();
  const batches = new Batcher(data, 256, new Rng(2));
  for (let i = 0; i < 1500; i++) {
    const x = batches.next();
    model.trainStep(x);
    x.dispose();
  }
  const after = model.evaluate();
  assert.ok(after.js < before.js / 4, `JS ${before.js} → ${after.js}`);
  assert.ok(after.testMse < before.testMse * 0.7, `test noise-prediction error ${before.testMse} → ${after.testMse}`);

  const view = model.density!()!;
  assert.equal(view.field, 'none');
  assert.deepEqual(view.values, []);
  const reverse = view.reverse!;
  assert.deepEqual(
    reverse.map((r) => r.t),
    [50, 30, 15, 8, 3, 0],
    'snapshots from T down to the samples',
  );
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

test('a DDPM restored from its training state has the same denoiser and the same place on the cosine learning-rate schedule', async () => {
  const rng = new Rng(4);
  const data = pointData(2, eightGaussians(2000, rng), eightGaussians(500, rng), [-4, 4, -4, 4]);
  const config = completeConfig({ family: 'ddpm', dataset: '8gaussians', steps: 100, model: { timesteps: 20, hiddenSizes: [16] } });
  const trained = ddpmFamily.create(config, data, new Rng(1));
  const batches = new Batcher(data, 64, new Rng(2));
  for (let i = 0; i < 5; i++) {
    const x = batches.next();
    trained.trainStep(x);
    x.dispose();
  }
  const state = await trained.getState!();
  assert.deepEqual(Array.from(state.find((s) => s.name === 'step')!.tensor.dataSync()), [5]);
  const restored = ddpmFamily.create(config, data, new Rng(1));
  const fresh = restored.evaluate().testMse;
  await restored.setState!(state);
  const testMse = trained.evaluate().testMse;
  assert.notEqual(fresh, testMse);
  assert.equal(restored.evaluate().testMse, testMse);
  assert.deepEqual(Array.from((await restored.getState!()).find((s) => s.name === 'step')!.tensor.dataSync()), [5]);
  trained.dispose();
  restored.dispose();
});

test('an image DDPM takes a step on grey levels, draws a sample grid and a reverse strip in [0, 1], and saves and restores its denoiser', async () => {
  const data = await loadImageDataset('mnist');
  const config = completeConfig({ family: 'ddpm', dataset: 'mnist', steps: 10, batchSize: 8, model: { timesteps: 6, channels: 4 } });
  const model = ddpmFamily.create(config, data, new Rng(1));
  const x = new Batcher(data, 8, new Rng(2), ddpmFamily.grayscale).next();
  assert.ok(Number.isFinite(model.trainStep(x).mse));
  x.dispose();
  assert.ok(Number.isFinite(model.evaluate().testMse));
  const [samples, reverse] = model.sample!();
  assert.equal(samples.kind, 'samples');
  assert.equal(samples.pixels.length, 64 * 784);
  assert.equal(reverse.kind, 'reverse');
  // Snapshots at t = 6, 4, 2, 1 and 0 (fractions 1, .6, .3, .15, .05 and 0 of T = 6, rounded, once each), for 4 images.
  assert.equal(reverse.cols, 5);
  assert.equal(reverse.count, 20);
  assert.equal(reverse.pixels.length, 20 * 784);
  assert.ok([...samples.pixels, ...reverse.pixels].every((v) => v >= 0 && v <= 1));
  // The strip's last column is the grid's first images.
  assert.deepEqual(reverse.pixels.subarray(4 * 784, 5 * 784), samples.pixels.subarray(0, 784));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-ddpm-'));
  try {
    await model.save(dir);
    const loaded = await loadLayersModel(path.join(dir, 'denoiser'));
    const net = (model as unknown as { net: tfl.LayersModel }).net;
    const input = [tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 1), tf.randomNormal([2, 16], 0, 1, 'float32', 2)];
    const [a, b] = [net, loaded].map((n) => (n.predict(input) as tf.Tensor).dataSync());
    assert.equal(a.length, 2 * 784);
    assert.deepEqual(a, b);
    tf.dispose(input);
    loaded.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  model.dispose();
});
