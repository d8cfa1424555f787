// RealNVP on images: the coupling flow on dequantised, logit-transformed pixels.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig, type TrainConfig } from '../../src/protocol/config';
import { Batcher } from '../../src/trainer/data/dataset';
import { type ImageDataset, loadImageDataset } from '../../src/trainer/data/imageDatasets';
import type { TrainableModel } from '../../src/trainer/families/family';
import { realnvpFamily } from '../../src/trainer/families/realnvp';
import { checkerboardHalves, type ImageFlow, LOGIT_ALPHA, type RealNvpImages, TEST_DEQUANTIZATION_SEED } from '../../src/trainer/families/realnvpImages';
import { loadLayersModel } from '../../src/trainer/runs/layersFormat';
import { Rng } from '../../src/trainer/rng';
import { initFamilyBackend } from '../support/familyBackend';

let mnist: ImageDataset;

before(async () => {
  await initFamilyBackend();
  mnist = await loadImageDataset('mnist');
});

const config = (dataset: 'mnist' | 'image-folder', model: { couplings: number; hiddenSizes: number[] }, extra: { steps?: number; batchSize?: number; learningRate?: number } = {}) =>
  completeConfig({ family: 'realnvp', dataset, steps: 100, model, ...extra, ...(dataset === 'image-folder' ? { data: { type: 'image-folder', path: '/x', size: 4, color: 'grayscale' } } : {}) }) as TrainConfig<'realnvp'>;

const create = (c: TrainConfig<'realnvp'>, data: ImageDataset, seed = 1) => realnvpFamily.create(c, data, new Rng(seed)) as RealNvpImages;

/** Random 8-bit images of side `size`, `channels` values per pixel: a stand-in for a person's small folder. */
function fakeImages(size: number, channels: 1 | 3, train: number, testCount: number, seed: number): ImageDataset {
  const rng = new Rng(seed);
  const pixels = (n: number) => Uint8Array.from({ length: n * size * size * channels }, () => Math.floor(rng.next() * 256));
  const test = pixels(testCount);
  return {
    kind: 'images',
    name: 'image-folder',
    width: size,
    height: size,
    channels,
    train: { count: train, pixels: pixels(train) },
    test: { count: testCount, pixels: test },
    testBinary: Float32Array.from(test, (v) => (v > 127 ? 1 : 0)),
    source: 'test',
    licence: 'test',
  };
}

/** Gives every coupling random output weights, so that none is the identity. */
function randomise(flow: ImageFlow, seed: number, scale = 0.05): void {
  const rng = new Rng(seed);
  for (const net of flow.couplings) {
    const head = net.layers[net.layers.length - 1];
    head.setWeights(head.getWeights().map((w) => tf.tensor(rng.fillNormal(new Float32Array(w.size)).map((v) => v * scale), w.shape)));
  }
}

/** The flow's forward map on one input row (image order, standardised logits), in float64 from its weights; returns z in image order and Σ log-scales. */
function forward64(flow: ImageFlow): (y: Float64Array) => { z: Float64Array; logDet: number } {
  const nets = flow.couplings.map((net) => net.layers.map((layer) => layer.getWeights().map((w) => Array.from(w.dataSync()))));
  return (y) => {
    const z = Float64Array.from(y);
    let logDet = 0;
    nets.forEach((layers, k) => {
      const [cond, other] = [flow.halves[k % 2], flow.halves[1 - (k % 2)]];
      let h = Array.from(cond, (i) => z[i]);
      layers.forEach(([kernel, bias], l) => {
        h = bias.map((b, j) => h.reduce((s, v, i) => s + v * kernel[i * bias.length + j], b)).map((v) => (l < layers.length - 1 ? Math.max(v, 0) : v));
      });
      other.forEach((i, j) => {
        const s = flow.scaleBound * Math.tanh(h[j] / flow.scaleBound);
        z[i] = z[i] * Math.exp(s) + h[other.length + j];
        logDet += s;
      });
    });
    return { z, logDet };
  };
}

/** log|det A| of a square matrix (row-major, n×n) by Gaussian elimination with partial pivoting. */
function logAbsDet(a: Float64Array, n: number): number {
  const m = Float64Array.from(a);
  let sum = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    for (let j = 0; j < n; j++) [m[c * n + j], m[p * n + j]] = [m[p * n + j], m[c * n + j]];
    sum += Math.log(Math.abs(m[c * n + c]));
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / m[c * n + c];
      for (let j = c; j < n; j++) m[r * n + j] -= f * m[c * n + j];
    }
  }
  return sum;
}

const tensors = (halves: [Float32Array, Float32Array], rows: number) => halves.map((h) => tf.tensor2d(h, [rows, h.length / rows])) as [tf.Tensor2D, tf.Tensor2D];

test('the halves are a checkerboard over pixels and its complement; for RGB, the values of a pixel alternate between them', () => {
  const [even, odd] = checkerboardHalves({ width: 4, height: 4, channels: 1 });
  assert.deepEqual(Array.from(even), [0, 2, 5, 7, 8, 10, 13, 15]);
  assert.deepEqual(Array.from(odd), [1, 3, 4, 6, 9, 11, 12, 14]);
  const [rgbEven, rgbOdd] = checkerboardHalves({ width: 2, height: 1, channels: 3 });
  assert.deepEqual([Array.from(rgbEven), Array.from(rgbOdd)], [[0, 2, 4], [1, 3, 5]]);
});

test('the flow is invertible: inverse(forward(y)) gives back y on real MNIST rows, through couplings that move it', () => {
  const model = create(config('mnist', { couplings: 6, hiddenSizes: [64] }), mnist);
  randomise(model.flow, 3);
  const rows = 16;
  const { halves } = model.flow.inputs(mnist.test.pixels.subarray(0, rows * 784), rows, 1, new Rng(4));
  const [a, b] = tensors(halves, rows);
  const [back, z] = tf.tidy(() => {
    const { z } = model.flow.forward(a, b);
    const y = model.flow.inverse(z[0], z[1]);
    return [tf.concat(y, 1).dataSync(), tf.concat(z, 1).dataSync()];
  });
  const y = tf.tidy(() => tf.concat([a, b], 1).dataSync());
  const worst = Math.max(...Array.from(y, (v, i) => Math.abs(v - back[i])));
  const moved = Math.max(...Array.from(y, (v, i) => Math.abs(v - z[i])));
  assert.ok(worst < 1e-3, `y → z → y: largest error ${worst}`);
  assert.ok(moved > 0.5, `the random flow hardly moves y (${moved}), so the check would be vacuous`);
  tf.dispose([a, b]);
  model.dispose();
});

test('the log-determinant matches a numerical Jacobian of the forward map (4x4 images, D = 16, float64 finite differences)', () => {
  const data = fakeImages(4, 1, 40, 8, 5);
  const model = create(config('image-folder', { couplings: 4, hiddenSizes: [16, 16] }), data);
  randomise(model.flow, 6, 0.3);
  const f = forward64(model.flow);
  const rows = 4;
  const { halves } = model.flow.inputs(data.test.pixels, rows, 1, new Rng(7));
  const [a, b] = tensors(halves, rows);
  const [logDet, z] = tf.tidy(() => {
    const out = model.flow.forward(a, b);
    return [out.logDet.dataSync(), model.flow.merge(out.z[0].dataSync(), out.z[1].dataSync(), rows)];
  });
  const inputs = model.flow.merge(halves[0], halves[1], rows);
  const eps = 1e-6;
  for (let r = 0; r < rows; r++) {
    const y = Float64Array.from(inputs.subarray(r * 16, (r + 1) * 16));
    const at = f(y);
    // The float64 map is the model's map.
    at.z.forEach((v, i) => assert.ok(Math.abs(v - z[r * 16 + i]) < 1e-3 * Math.max(1, Math.abs(v)), `z[${i}]: ${v} vs ${z[r * 16 + i]}`));
    assert.ok(Math.abs(at.logDet - logDet[r]) < 1e-3, `Σ s: ${at.logDet} vs ${logDet[r]}`);
    const jacobian = new Float64Array(16 * 16);
    for (let j = 0; j < 16; j++) {
      const plus = Float64Array.from(y);
      const minus = Float64Array.from(y);
      plus[j] += eps;
      minus[j] -= eps;
      const [zp, zm] = [f(plus).z, f(minus).z];
      for (let i = 0; i < 16; i++) jacobian[i * 16 + j] = (zp[i] - zm[i]) / (2 * eps);
    }
    const numeric = logAbsDet(jacobian, 16);
    assert.ok(Math.abs(numeric - logDet[r]) < 1e-3, `image ${r}: numerical log|det J| ${numeric} vs the flow's ${logDet[r]}`);
    assert.ok(Math.abs(numeric) > 0.5, `log|det J| = ${numeric}: the random flow is nearly volume-preserving, so the check would be vacuous`);
  }
  tf.dispose([a, b]);
  model.dispose();
});

test("a fresh flow's test NLL is a standard normal on the standardised logits plus the Jacobian terms, on [0, 256)^D, computed by hand", () => {
  const data = fakeImages(4, 1, 50, 12, 8);
  const model = create(config('image-folder', { couplings: 4, hiddenSizes: [8] }), data);
  const { testNll, testBitsPerDim } = model.evaluate();
  const { mean, std } = model.flow.standardise;
  const D = 16;
  const noise = new Rng(TEST_DEQUANTIZATION_SEED);
  let total = 0;
  for (let r = 0; r < data.test.count; r++) {
    let nll = (D / 2) * Math.log(2 * Math.PI) + D * Math.log(256);
    for (let i = 0; i < D; i++) {
      const u = (data.test.pixels[r * D + i] + noise.next()) / 256;
      const p = LOGIT_ALPHA + (1 - 2 * LOGIT_ALPHA) * u;
      const z = (Math.log(p / (1 - p)) - mean[i]) / std[i];
      // -log N(z) of the standardised logit, less the log-derivatives of the logit and of the standardisation.
      nll += 0.5 * z * z - Math.log((1 - 2 * LOGIT_ALPHA) / (p * (1 - p))) + Math.log(std[i]);
    }
    total += nll;
  }
  const expected = total / data.test.count;
  assert.ok(Math.abs(testNll - expected) < 1e-3 * Math.abs(expected), `test NLL ${testNll} vs ${expected} by hand`);
  assert.ok(Math.abs(testBitsPerDim - testNll / (D * Math.LN2)) < 1e-9);
  // Uniform random bytes have 8 bits per value, and no model of them does better: a fresh flow is
  // within a few tenths of a bit of it.
  assert.ok(testBitsPerDim > 8 && testBitsPerDim < 8.6, `bits/dim of uniform noise: ${testBitsPerDim}`);
  // The same noise each time: a second evaluation gives the same number.
  assert.equal(model.evaluate().testNll, testNll);
  model.dispose();
});

test('a short training run on MNIST lowers the test bits/dim by a clear margin', () => {
  const small: ImageDataset = { ...mnist, test: { ...mnist.test, count: 500 } };
  const c = config('mnist', { couplings: 4, hiddenSizes: [128] }, { steps: 300, batchSize: 32, learningRate: 3e-3 });
  const model = create(c, small, 9);
  const batches = new Batcher(small, c.batchSize, new Rng(10), realnvpFamily.grayscale);
  const before = model.evaluate().testBitsPerDim;
  const losses: number[] = [];
  for (let s = 0; s < 300; s++) {
    const x = batches.next();
    losses.push(model.trainStep(x).nll);
    x.dispose();
  }
  const after = model.evaluate().testBitsPerDim;
  model.dispose();
  assert.ok(losses.every(Number.isFinite));
  assert.ok(after < before - 1, `test bits/dim ${before.toFixed(3)} → ${after.toFixed(3)}`);
  assert.ok(after < 4.5, `test bits/dim after 300 steps: ${after.toFixed(3)}`);
});

test('samples are grey levels in [0, 1], the same grid for the same state; a restored state gives the same test NLL; the export loads', async () => {
  const small: ImageDataset = { ...mnist, test: { ...mnist.test, count: 100 } };
  const c = config('mnist', { couplings: 4, hiddenSizes: [32] }, { steps: 20, batchSize: 16 });
  const model = create(c, small, 11);
  const batches = new Batcher(small, c.batchSize, new Rng(12), realnvpFamily.grayscale);
  for (let s = 0; s < 20; s++) {
    const x = batches.next();
    model.trainStep(x);
    x.dispose();
  }
  const [grid] = model.sample();
  assert.deepEqual([grid.kind, grid.count, grid.cols, grid.width, grid.channels], ['samples', 64, 8, 28, 1]);
  assert.ok(grid.pixels.every((v) => v >= 0 && v <= 1));
  assert.ok(new Set(grid.pixels).size > 100, 'the grid is not blank');
  assert.deepEqual(model.sample()[0].pixels, grid.pixels);
  // Temperature 0 is the flow's image of z = 0: the same image every time.
  const cold = model.generate(3, new Rng(13), 0);
  assert.deepEqual(cold.pixels.subarray(0, 784), cold.pixels.subarray(784, 1568));
  assert.equal((model as TrainableModel).density, undefined, 'images have no density view');

  const trained = model.evaluate().testNll;
  const restored = create(c, small, 99);
  const fresh = restored.evaluate().testNll;
  await restored.setState(await model.getState());
  assert.notEqual(fresh, trained, 'training moved the test NLL, so the restore check is not vacuous');
  assert.ok(Math.abs(restored.evaluate().testNll - trained) < 1e-6 * Math.abs(trained), `restored ${restored.evaluate().testNll} vs ${trained}`);
  assert.deepEqual(restored.sample()[0].pixels.subarray(0, 784).length, 784);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-realnvp-images-'));
  await model.save(dir);
  const described = JSON.parse(fs.readFileSync(path.join(dir, 'flow.json'), 'utf8'));
  assert.deepEqual([described.format, described.alpha, described.couplings.length, described.halves[0].length], ['genlab-realnvp-images', LOGIT_ALPHA, 4, 392]);
  const loaded = await loadLayersModel(path.join(dir, 'coupling-00'));
  assert.deepEqual(loaded.outputs[0].shape, [null, 784]);
  loaded.dispose();
  model.dispose();
  restored.dispose();
});

test('RGB images: a training step is finite and the sample grid has three channels', () => {
  const data = fakeImages(4, 3, 40, 6, 14);
  const c = completeConfig({ family: 'realnvp', dataset: 'image-folder', data: { type: 'image-folder', path: '/x', size: 4, color: 'rgb' }, steps: 5, batchSize: 8, model: { couplings: 2, hiddenSizes: [8] } }) as TrainConfig<'realnvp'>;
  const model = create(c, data);
  const batches = new Batcher(data, 8, new Rng(15), realnvpFamily.grayscale);
  const x = batches.next();
  assert.ok(Number.isFinite(model.trainStep(x).nll));
  x.dispose();
  const [grid] = model.sample();
  assert.deepEqual([grid.channels, grid.pixels.length], [3, 64 * 48]);
  model.dispose();
});

test('MNIST defaults: images get their own defaults, points keep theirs', () => {
  const images = completeConfig({ family: 'realnvp', dataset: 'mnist' });
  const points = completeConfig({ family: 'realnvp' });
  assert.equal(points.steps, 15000);
  assert.notDeepEqual(images.model, points.model);
  assert.equal(realnvpFamily.grayscale, true);
});
